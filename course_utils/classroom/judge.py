"""The judge: runs one submission in a process where code in a cell cannot change the verdicts.

The grader (:mod:`course_utils.classroom.grading`) starts this file as a script,
``python -I -B judge.py``, from the submission's own read-only copy of the course,
and writes one JSON request on its stdin: a secret key, the file descriptor to
report on, and the cells to run, each with its role:

- ``lesson``: the source notebook's own cells, run first, as the instructor wrote them;
- ``answer``: the learner's cells of an exercise (the only code of the submission that runs);
- ``check``: the source's checker cells, hidden tests included.

Before the first answer cell the judge imports the checkers, takes a snapshot of
everything a verdict depends on, and arms two monitors that Python code cannot
remove: an audit hook (:pep:`578`) and a profile function. From then on, while
learner code runs (a frame compiled from an answer cell is on the stack), the
hook refuses frame and garbage-collector introspection, writing files, processes,
signals, threads, sockets, ``ctypes``, compiling or executing code and rebinding a
function's code; and each time learner code returns, and each time a checker
enters :mod:`course_utils.checking`, the snapshot is compared: modules and their
attributes, classes of ``torch`` and ``course_utils``, the checkers' module-level
data, ``sys``'s import machinery and streams, torch's global modes, and the
names of modules and checkers in the notebook's namespace. Checker cells call
the pinned checkers whatever a cell defined under their names, and only what
non-learner code prints counts as a checker's ``correct: ...`` line. Any
violation is reported at once and the whole submission is graded ``error``.

Every report is a JSON line authenticated with the key (HMAC-SHA256, numbered),
so a line written by learner code is recognised as forged; the judge ends with
``os._exit`` (``atexit`` handlers never run). Only the standard library is
imported before the request is read.

Examples
--------
>>> code = compile("x = 1", ANSWER_FILE.format(3), "exec")
>>> code.co_filename
'<answer cell 3>'
"""
from __future__ import annotations

import builtins
import hashlib
import hmac
import io
import json
import os
import re
import sys
import types

#: The file name learner code is compiled under; it is how the monitors recognise it.
ANSWER_FILE = "<answer cell {}>"
#: Audit events refused while learner code runs (prefix match; ``open`` is checked separately).
REFUSED_EVENTS = (
    "sys._getframe", "sys._current_frames", "sys.settrace", "sys.setprofile", "sys.addaudithook",
    "sys.monitoring", "gc.", "ctypes.", "cpython.", "code.__new__", "function.__new__", "compile", "exec",
    "marshal.", "pickle.", "object.__setattr__", "object.__delattr__", "os.", "subprocess.", "shutil.",
    "socket.", "mmap.", "pty.", "fcntl.", "resource.", "signal.", "_thread.", "builtins.input", "webbrowser.",
)
#: Audit events of the ``os.`` family that only read.
ALLOWED_OS = ("os.listdir", "os.scandir", "os.getxattr", "os.listxattr", "os.walk")
#: Attributes that give a frame; reading them (audit event ``object.__getattr__``) is refused.
FRAME_ATTRIBUTES = ("tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back")
#: Methods whose presence in learner code would let it answer for torch itself.
REFUSED_METHODS = ("__torch_function__", "__torch_dispatch__", "__instancecheck__", "__subclasscheck__")
CHECK_NAME = re.compile(r"\bcheck_\w+")
CHECKER_IMPORT = re.compile(r"^\s*(?:from\s+(course_utils\.exercises\.\w+)\s+import|import\s+(course_utils\.exercises\.\w+))",
                            re.M)


class _Channel:
    """The authenticated, numbered report lines to the grader."""

    def __init__(self, fd: int, key: bytes) -> None:
        self._fd, self._key, self._seq = fd, key, 0
        self._write, self._dumps, self._new = os.write, json.dumps, hmac.new

    def send(self, kind: str, **data: object) -> None:
        self._seq += 1
        line = self._dumps({"kind": kind, "seq": self._seq, **data}, ensure_ascii=True)
        mac = self._new(self._key, line.encode(), hashlib.sha256).hexdigest()
        payload = f"{line}\t{mac}\n".encode()
        while payload:
            payload = payload[self._write(self._fd, payload):]


class _Stdout(io.TextIOBase):
    """``sys.stdout`` of the judge: what non-learner code prints, and apart what learner code prints."""

    def __init__(self, state: dict) -> None:
        self._state, self.trusted, self.learner = state, [], []

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        (self.learner if self._state["depth"] else self.trusted).append(str(text))
        return len(text)


def _safe_str(value: object) -> str:
    try:
        return str(value)
    except BaseException as exc:  # noqa: BLE001  (a learner's __str__ may raise anything)
        return f"<unprintable: {type(exc).__name__}>"


def _snapshot(modules: dict, namespace: dict, course_prefix: str) -> dict:
    """Everything the integrity check compares, taken once, before learner code runs."""
    import torch

    entries, classes, data = [], {}, []
    for name, module in list(modules.items()):
        if type(module) is not types.ModuleType or name == "sys":
            continue
        d = module.__dict__
        entries.append((name, module, d, tuple(d), tuple(map(id, d.values()))))
        watched = name.startswith(("torch", "course_utils", "builtins"))
        for key, value in list(d.items()):
            if watched and isinstance(value, type) and id(value) not in classes \
                    and value.__module__.startswith(("torch", "course_utils")):
                c = value.__dict__
                classes[id(value)] = (value, tuple(c), tuple(map(id, c.values())))
            if name.startswith("course_utils") and key != "__warningregistry__":
                if isinstance(value, torch.Tensor):
                    data.append((name, key, value, (value._version, value.data_ptr(), tuple(value.shape))))
                elif isinstance(value, (list, dict, set, bytearray)):
                    data.append((name, key, value, repr(value)))
    return {
        "modules": entries, "classes": list(classes.values()), "data": data,
        "module_names": set(modules), "modules_dict": modules,
        "sys": _sys_state(), "namespace_modules": {k: v for k, v in namespace.items() if isinstance(v, types.ModuleType)},
        "course_prefix": course_prefix,
    }


def _sys_state() -> tuple:
    from importlib.machinery import FileFinder

    finders = all(v is None or type(v) is FileFinder for v in list(sys.path_importer_cache.values()))
    return (finders, id(sys.modules), tuple(sys.path), tuple(map(id, sys.meta_path)), tuple(map(id, sys.path_hooks)),
            id(sys.displayhook), id(sys.excepthook), id(sys.stdout), id(sys.stderr), id(sys.stdin),
            sys.getrecursionlimit(), id(builtins.__dict__), id(builtins.__import__))


def _torch_state() -> tuple:
    import torch

    return (torch.is_grad_enabled(), torch.is_inference_mode_enabled(), torch.get_default_dtype(),
            str(torch.get_default_device()), torch._C._len_torch_function_stack(),
            torch._C._len_torch_dispatch_stack())


def _violations(snap: dict, namespace: dict) -> str | None:
    """The first difference from the snapshot, as a sentence; ``None`` when there is none."""
    modules = snap["modules_dict"]
    if _sys_state() != snap["sys"]:
        return "changed the interpreter's import machinery, streams or limits (sys)"
    for name, module, d, keys, ids in snap["modules"]:
        if modules.get(name) is not module:
            return f"replaced the module {name} in sys.modules"
        if len(d) == len(keys) and tuple(d) == keys and tuple(map(id, d.values())) == ids:
            continue
        old = dict(zip(keys, ids))
        for key, value in d.items():
            if key == "__warningregistry__":
                continue
            if key not in old:
                if isinstance(value, types.ModuleType) and modules.get(f"{name}.{key}") is value:
                    continue  # a submodule imported since
                return f"added {name}.{key}"
            if id(value) != old[key]:
                return f"rebound {name}.{key}"
        for key in old:
            if key not in d:
                return f"deleted {name}.{key}"
    for cls, keys, ids in snap["classes"]:
        c = cls.__dict__
        if tuple(c) != keys or tuple(map(id, c.values())) != ids:
            return f"changed the class {cls.__module__}.{cls.__qualname__}"
    for name, key, value, was in snap["data"]:
        now = (value._version, value.data_ptr(), tuple(value.shape)) if not isinstance(
            value, (list, dict, set, bytearray)) else repr(value)
        if now != was:
            return f"modified the data {name}.{key}"
    for name in set(modules) - snap["module_names"]:
        module = modules[name]
        spec = getattr(module, "__spec__", None)
        origin = getattr(spec, "origin", None) or ""
        if not isinstance(module, types.ModuleType) or (
                origin not in ("built-in", "frozen") and not origin.startswith(_TRUSTED_PREFIXES)):
            return f"put a module that was not imported from the installed packages into sys.modules ({name})"
        snap["module_names"].add(name)
    for name, module in snap["namespace_modules"].items():
        if namespace.get(name) is not module:
            return f"rebound the notebook's module name {name!r}"
    return None


_TRUSTED_PREFIXES: tuple[str, ...] = ()


def main() -> None:
    """Read the request on stdin, run its cells, report on the channel, then end the process."""
    global _TRUSTED_PREFIXES
    request = json.loads(sys.stdin.buffer.read())
    channel = _Channel(request["fd"], bytes.fromhex(request["key"]))
    del request["key"]
    root, cells = request["root"], request["cells"]
    sys.path.insert(0, root)
    os.chdir(request["cwd"])
    _TRUSTED_PREFIXES = tuple({os.path.realpath(p) + os.sep for p in (root, sys.prefix, sys.base_prefix)}
                              | {p + os.sep for p in (root, sys.prefix, sys.base_prefix)})

    state = {"depth": 0, "importing": 0, "armed": False, "violation": None, "entry": None, "cell": None}
    stdout = _Stdout(state)
    sys.stdout, sys.stderr = stdout, io.StringIO()
    namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
    learner_files: set[str] = set()
    compiled = []
    for index, cell in enumerate(cells):
        filename = ANSWER_FILE.format(index) if cell["role"] == "answer" else f"<{cell['role']} cell {index}>"
        if cell["role"] == "answer":
            learner_files.add(filename)
        try:
            compiled.append(compile(cell["source"], filename, "exec"))
        except SyntaxError as exc:
            compiled.append(exc)

    def violation(what: str) -> None:
        if state["violation"] is None:
            state["violation"] = what
            channel.send("tampering", cell=state["cell"], what=what)

    def run(index: int) -> None:
        state["cell"] = index
        channel.send("start", cell=index)
        stdout.trusted, stdout.learner = [], []
        error = None
        code = compiled[index]
        if isinstance(code, SyntaxError):
            error = ["SyntaxError", _safe_str(code)]
        else:
            try:
                exec(code, namespace)  # noqa: S102  (the point of a notebook runner)
            except BaseException as exc:  # noqa: BLE001  (a cell's error is its output, as in a kernel)
                error = [type(exc).__name__, _safe_str(exc)]
        if state["armed"] and state["violation"] is None:
            found = _violations(snap, namespace)
            if found:
                violation(found)
        channel.send("ran", cell=index, stdout="".join(stdout.trusted), error=error)

    first_armed = next((i for i, c in enumerate(cells) if c["role"] != "lesson"), len(cells))
    for index in range(first_armed):
        run(index)

    # Pin the checkers and take the snapshot, then arm the monitors.
    import torch

    import course_utils.checking as checking
    modules = {m for c in cells if c["role"] == "check" for pair in CHECKER_IMPORT.findall(c["source"])
               for m in pair if m}
    pinned = {}
    for name in sorted(modules):
        module = __import__(name, fromlist=["_"])
        pinned.update({k: v for k, v in vars(module).items() if k.startswith("check_") and callable(v)})
    snap = _snapshot(sys.modules, namespace, os.path.dirname(checking.__file__))
    checking_file = checking.__file__
    pinned_codes = {getattr(f, "__code__", None) for f in pinned.values()} - {None}
    import atexit
    import threading
    import weakref
    import gc
    import signal
    import _thread
    refused_codes = {threading.Thread.start.__code__, weakref.finalize.__init__.__code__,
                     signal.signal.__code__}
    refused_calls = {gc.enable, gc.disable, gc.set_threshold, gc.freeze, gc.unfreeze, _thread.start_new_thread,
                     signal.alarm, signal.setitimer, signal.set_wakeup_fd, signal.pthread_kill,
                     signal.raise_signal, signal.siginterrupt, sys.setrecursionlimit, sys.setswitchinterval,
                     os.write, os.close, os.closerange, os.dup, os.dup2, atexit.register}
    import _frozen_importlib

    import_code = _frozen_importlib._find_and_load.__code__
    allowed_os, refused_events, frame_attributes = ALLOWED_OS, REFUSED_EVENTS, FRAME_ATTRIBUTES
    torch_state, check_now = _torch_state, _violations

    def audit(event: str, args: tuple) -> None:
        if not state["depth"]:
            return
        if state["importing"] and event in ("exec", "compile", "marshal.loads"):
            return  # importing a module of the installed packages (the import machinery is checked)
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None, None))[:3]
            text = os.fsdecode(path) if isinstance(path, (str, bytes)) else ""
            writing = (isinstance(mode, str) and any(ch in mode for ch in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND))
            if writing or text.startswith("/proc") or (isinstance(path, int) and not state["importing"]):
                violation(f"opened {text or path!r} for writing or introspection")
                raise PermissionError("the grader refuses this: opening files for writing")
            return
        if event == "object.__getattr__":
            if len(args) > 1 and args[1] in frame_attributes:
                violation(f"read a frame ({args[1]})")
                raise PermissionError("the grader refuses this: frame introspection")
            return
        if event == "import" or event.startswith(allowed_os):
            return
        if event.startswith(refused_events):
            violation(f"used {event}")
            raise PermissionError(f"the grader refuses this: {event}")

    def profile(frame: types.FrameType, event: str, arg: object) -> None:
        try:
            monitor(frame, event, arg)
        except BaseException as exc:  # noqa: BLE001  (a failing monitor would silently stop monitoring)
            violation(f"made the judge's monitor fail ({type(exc).__name__})")

    def monitor(frame: types.FrameType, event: str, arg: object) -> None:
        if event == "call":
            code = frame.f_code
            if code is import_code:
                state["importing"] += 1
            elif code.co_filename in learner_files:
                if not state["depth"]:
                    state["entry"] = torch_state()
                state["depth"] += 1
                if code.co_name in REFUSED_METHODS:
                    violation(f"defined {code.co_name}, which answers for torch's own functions")
            elif state["depth"]:
                if code in refused_codes:
                    violation(f"called {code.co_name} ({code.co_filename.rsplit(os.sep, 1)[-1]})")
            elif code.co_filename == checking_file or code in pinned_codes:
                found = check_now(snap, namespace)
                if found:
                    violation(found)
        elif event == "return":
            if frame.f_code is import_code:
                state["importing"] -= 1
            elif frame.f_code.co_filename in learner_files:
                state["depth"] -= 1
                if not state["depth"]:
                    if torch_state() != state["entry"]:
                        violation("changed torch's global mode (grad mode, default dtype or device, modes)")
                    found = check_now(snap, namespace)
                    if found:
                        violation(found)
        elif event == "c_call" and state["depth"] and arg in refused_calls:
            violation(f"called {getattr(arg, '__module__', None) or ''}.{getattr(arg, '__name__', arg)}")

    gc.disable()  # finalizers run only where the judge collects, not in the middle of a check
    sys.addaudithook(audit)
    sys.setprofile(profile)
    state["armed"] = True
    for index in range(first_armed, len(cells)):
        if cells[index]["role"] == "check":
            for name in set(CHECK_NAME.findall(cells[index]["source"])) & set(pinned):
                namespace[name] = pinned[name]
        run(index)
        if state["violation"] is not None:
            break
    sys.setprofile(None)
    channel.send("end")
    os._exit(0)


if __name__ == "__main__":
    main()
