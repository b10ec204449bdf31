"""Warm kernels for the test run: kernels and ``python`` commands forked from a process that has imported torch.

Every notebook runs three times in a test run (nbval, its student version, JupyterLab), and
each run paid for a new interpreter importing ipykernel, NumPy and torch (3-4 s of CPU on
the course's 2 cores, 54 times), as did every test that runs ``python -c``/``-m`` in a
subprocess. Here one *zygote* per test worker imports them once; each kernel or command of
that worker is a ``fork()`` of it: a new process with an empty namespace, the environment
(``PYTHONPATH`` included), working folder and standard streams of the process that asked for
it, and its own ZeroMQ sockets. Forking copies memory: what a child defines or changes is
its own, never seen by the zygote or another child, and a notebook that forgets an
``import`` still fails (the name is unbound). What differs from a cold start: those three
modules are imported already, with the thread settings of the worker's environment. Where no
zygote runs (``COURSE_COLD_KERNELS=1``), everything starts cold, as for a learner.

Roles, one file:

- ``python tests/warm_kernel.py serve SOCKET`` is the zygote (``start()`` runs it);
- ``python -I tests/warm_kernel.py launch SOCKET -f CONNECTION_FILE`` is the command of the
  ``python3`` kernelspec that tests use (``kernelspec()`` writes it);
- ``python -I tests/warm_kernel.py python SOCKET -c CODE`` (or ``-m MODULE``) stands for
  ``python -c CODE`` (``python_command()`` gives it).

The asking process hands over its environment, folder and streams, forwards the signals
that Jupyter sends it, and exits with the child's exit status; if it is killed, the child
ends too. The child's parent is the zygote, which reaps it and reports its status.
"""
from __future__ import annotations

import json
import os
import select
import selectors
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

PRELOAD = ("numpy", "torch", "ipykernel.kernelapp")  # no course module: a notebook imports those itself
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
_STATUS = struct.Struct("!i")
STARTUP = 120  # seconds a kernel waits for its zygote to be ready


def _read_request(conn: socket.socket) -> tuple[dict, list[int]]:
    """A request (JSON, then end of writing) and the three file descriptors sent with it."""
    first, fds, _, _ = socket.recv_fds(conn, 65536, 3)
    chunks = [first]
    while chunk := conn.recv(65536):
        chunks.append(chunk)
    return json.loads(b"".join(chunks)), fds


def _read_status(conn: socket.socket) -> int | None:
    """The next number the zygote sends, or ``None`` if it closed the connection first."""
    data = conn.recv(_STATUS.size, socket.MSG_WAITALL)
    return _STATUS.unpack(data)[0] if len(data) == _STATUS.size else None


# --------------------------------------------------------------------------- the zygote


def _run(argv: list[str]) -> None:
    """Run ``argv`` as ``python`` would (``-c CODE ...`` or ``-m MODULE ...``), in this process."""
    import runpy

    if argv[:1] == ["-c"]:
        sys.argv = ["-c", *argv[2:]]
        sys.path.insert(0, "")
        exec(compile(argv[1], "<string>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
    elif argv[:1] == ["-m"]:
        sys.argv = [argv[1], *argv[2:]]
        sys.path.insert(0, os.getcwd())
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        raise SystemExit(f"warm_kernel: python {' '.join(argv[:1])}: only -c CODE and -m MODULE are served")


def _child(request: dict, fds: list[int], inherited: list[socket.socket]) -> None:
    """In the forked process: become the asking process's kernel (or ``python`` command), then exit."""
    code = 1
    try:
        for sock in inherited:  # the zygote's sockets are not the child's
            sock.close()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in fds:
            os.close(fd)
        os.setsid()
        for sig in (*FORWARDED, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        # PYTHONPATH as the asking process has it (the zygote read its own at start)
        extra = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p not in sys.path]
        sys.path[:0] = extra
        asking = os.pidfd_open(request["pid"])

        def watch() -> None:  # the asking process gone (killed): so is its child
            select.select([asking], [], [])
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
        if request["mode"] == "python":
            _run(request["argv"])
        else:
            sys.argv = ["ipykernel_launcher", *request["argv"]]
            sys.path.insert(0, os.getcwd())
            if "JPY_PARENT_PID" in os.environ:  # read when ipykernel was imported, before this environment
                sys.argv.append(f"--IPKernelApp.parent_handle={os.environ['JPY_PARENT_PID']}")
            from ipykernel import kernelapp

            kernelapp.launch_new_instance()
        code = 0
    except SystemExit as stop:
        if isinstance(stop.code, int) or stop.code is None:
            code = stop.code or 0
        else:
            print(stop.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 - reported as python reports an uncaught exception
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve(path: str) -> None:
    """Import ``PRELOAD``, then fork one kernel per request on the Unix socket ``path``."""
    del sys.path[0]  # this file's folder: not on a kernel's path
    for module in PRELOAD:
        __import__(module)
    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    ready = Path(path + ".ready")
    ready.write_text(str(os.getpid()))
    waiting: dict[int, socket.socket] = {}  # kernel pid -> the connection to report its status on
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    while os.getppid() == parent:  # the test worker that started us is gone: stop
        for _ in selector.select(timeout=0.2):
            conn, _ = listener.accept()
            request, fds = _read_request(conn)
            pid = os.fork()
            if pid == 0:
                selector.close()
                _child(request, fds, [listener, conn, *waiting.values()])
            for fd in fds:
                os.close(fd)
            conn.sendall(_STATUS.pack(pid))
            waiting[pid] = conn
        while waiting:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            conn = waiting.pop(pid, None)
            if conn is not None:
                try:
                    conn.sendall(_STATUS.pack(os.waitstatus_to_exitcode(status)))
                except OSError:
                    pass  # the asking process is gone already
                conn.close()


# --------------------------------------------------------------------------- the kernelspec's command


def launch(path: str, mode: str, argv: list[str]) -> int:
    """Ask the zygote at ``path`` for a child (``mode`` "kernel" or "python") with ``argv``; return its exit status."""
    deadline = time.monotonic() + STARTUP
    while not Path(path + ".ready").exists():  # the zygote may still be importing
        if time.monotonic() > deadline:
            print(f"warm_kernel: no zygote answered at {path} within {STARTUP} s", file=sys.stderr)
            return 1
        time.sleep(0.05)
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(path)
    request = {"mode": mode, "argv": argv, "env": dict(os.environ), "cwd": os.getcwd(), "pid": os.getpid()}
    payload = json.dumps(request).encode()
    socket.send_fds(conn, [payload[:1]], [0, 1, 2])  # the descriptors travel with the first byte
    conn.sendall(payload[1:])
    conn.shutdown(socket.SHUT_WR)
    kernel = _read_status(conn)
    if kernel is None:
        return 1

    def forward(signum: int, _frame: object) -> None:
        try:
            os.kill(kernel, signum)
        except ProcessLookupError:
            pass

    for sig in FORWARDED:
        signal.signal(sig, forward)
    status = _read_status(conn)
    if status is None:
        return 1
    if status < 0:  # the child died of a signal: so does this process, as a cold one would
        signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    return status


# --------------------------------------------------------------------------- for conftest.py


def start(folder: Path) -> subprocess.Popen:
    """Start a zygote with a socket in ``folder``; kernels asked for meanwhile wait for it."""
    return subprocess.Popen([sys.executable, __file__, "serve", str(folder / "zygote.sock")],
                            stdin=subprocess.DEVNULL)


def python_command(folder: Path) -> list[str]:
    """The command that runs ``python -c``/``-m`` as a fork of the zygote with its socket in ``folder``."""
    return [sys.executable, "-I", __file__, "python", str(folder / "zygote.sock")]


def kernelspec(folder: Path, socket_path: Path) -> Path:
    """Write a ``python3`` kernelspec into ``folder/kernels`` whose kernels come from the zygote."""
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-I", __file__, "launch", str(socket_path), "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)", "language": "python",
        "metadata": {"debugger": True},
    }), encoding="utf-8")
    return spec


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(sys.argv[2])
    elif sys.argv[1:2] == ["launch"]:
        sys.exit(launch(sys.argv[2], "kernel", sys.argv[3:]))
    elif sys.argv[1:2] == ["python"]:
        sys.exit(launch(sys.argv[2], "python", sys.argv[3:]))
    else:
        sys.exit(f"usage: {sys.argv[0]} serve SOCKET | launch SOCKET -f CONNECTION_FILE | python SOCKET -c CODE")
