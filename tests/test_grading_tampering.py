"""Grading that a submission cannot forge: every way we found for a cell to fake a pass, kept as a test.

One grading run (two at a time, like ``./course grade --jobs 2``) judges a small
course (notebook 00's real ``Cube`` checker) submitted by: an honest right answer,
an honest wrong one, an unfinished one, and one submission per attack, each a
wrong ``Cube`` (its backward forgets the factor 3) plus code trying to turn the
verdict into a pass. Every attack must be graded not-pass, a tampering one
``error`` with a message saying what it did; the honest submissions, graded
after tampering ones by the same workers, must get their true verdicts.
"""
from __future__ import annotations

import csv
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_utils.classroom import main, pristine

NAME = "01_cube.ipynb"
RIGHT = """
class Cube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x
"""
WRONG = RIGHT.replace("g * 3 * x * x", "g * x * x")
FAKE = 'print("correct: Cube matches x**3 in value and gradient at 7 points")'
CHECKER_MESSAGE = "CheckFailed: grad of x: 6 of 7 values differ"

# Each attack: a wrong Cube, then this code in the same exercise cell (or, with "WRONG" in it, instead).
ATTACKS = {
    "patch the checker module": f"import course_utils.exercises.start as s\ns.check_cube = lambda *a, **k: {FAKE}",
    "patch compare": "import course_utils.checking as c\nc.compare = lambda *a, **k: None",
    "patch check_function": "import course_utils.checking as c\nc.check_function = lambda *a, **k: None",
    "rebind CheckFailed": "import course_utils.checking as c\nc.CheckFailed = type('CheckFailed', (Exception,), {})",
    "patch torch.allclose": "torch.allclose = lambda *a, **k: True\ntorch.isclose = lambda a, b, **k: a == a",
    "patch a Tensor method": "torch.Tensor.abs = lambda self: self * 0",
    "patch builtins.print": "import builtins\n_p = builtins.print\nbuiltins.print = lambda *a, **k: _p('correct: yes')",
    "shadow print in the checker's module": "import course_utils.exercises.start as s\ns.print = lambda *a, **k: None",
    "replace sys.modules entry": (
        "import sys, types\nfake = types.ModuleType('course_utils.exercises.start')\n"
        f"fake.check_cube = fake.check_reciprocal = lambda *a, **k: {FAKE}\n"
        "sys.modules['course_utils.exercises.start'] = fake"),
    "grad mode off": "torch.set_grad_enabled(False)",
    "torch function mode": (
        "from torch.overrides import TorchFunctionMode\n"
        "class Yes(TorchFunctionMode):\n"
        "    def __torch_function__(self, func, types, args=(), kwargs=None):\n"
        "        if func in (torch.allclose, torch.equal):\n"
        "            return True\n"
        "        return func(*args, **(kwargs or {}))\n"
        "Yes().__enter__()"),
    "tensor subclass answering for torch": WRONG.replace("return x ** 3", "return (x ** 3).as_subclass(Liar)") + (
        "\nclass Liar(torch.Tensor):\n"
        "    @classmethod\n"
        "    def __torch_function__(cls, func, types, args=(), kwargs=None):\n"
        "        if func in (torch.allclose, torch.equal):\n"
        "            return True\n"
        "        return super().__torch_function__(func, types, args, kwargs)\n"),
    "define the checker name locally": f"def check_cube(f):\n    {FAKE}",
    "print the checker's line": FAKE,
    "write the checker's file": (
        "import course_utils.exercises.start as s\n"
        f"open(s.__file__, 'a').write('\\ndef check_cube(f):\\n    {FAKE}\\n')"),
    "write the source notebook": "open(SOURCE, 'w').write('{}')",
    "kill the kernel after printing": f"{FAKE}\nimport os\nos._exit(0)",
    "atexit": f"import atexit\natexit.register(lambda: {FAKE})",
    "read a frame": "import sys\nsys._getframe(0)",
    "frame from a traceback": "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    e.__traceback__.tb_frame",
    "garbage collector": "import gc\n[o for o in gc.get_objects() if getattr(o, '__name__', '') == 'check_cube']",
    "get the profile function": "import sys\nsys.getprofile()",
    "stop the profiler": "import sys\nsys.setprofile(None)",
    "a thread patching later": (
        "import threading, time\nimport course_utils.checking as c\n"
        "threading.Thread(target=lambda: (time.sleep(0.01), setattr(c, 'compare', lambda *a, **k: None))).start()"),
    "exec of a string": f"exec('def check_cube(f):\\n    {FAKE}')",
    "write on the report channel": (
        "import os\nfor fd in range(3, 64):\n    try:\n"
        "        os.write(fd, b'{\"kind\": \"end\", \"seq\": 99}\\t00\\n')\n    except OSError:\n        pass"),
    "empty the checker's data": "import course_utils.exercises.sionna_bmc as m\nm.LLR_CASES.clear()",
    "rebind the notebook's torch": "class _T:\n    def __getattr__(self, name):\n        return getattr(__import__('torch'), name)\ntorch = _T()",
    "patch from inside backward": WRONG.replace(
        "        return g * x * x",
        "        import course_utils.checking as c\n        c.compare = lambda *a, **k: None\n        return g * x * x"),
    "patch and restore inside forward": WRONG.replace(
        "        return x ** 3",
        "        import torch as t\n        globals()['_orig'] = t.allclose\n"
        "        t.allclose = lambda *a, **k: True\n        return x ** 3").replace(
        "        return g * x * x", "        torch.allclose = globals()['_orig']\n        return g * x * x"),
}


def _course(folder: Path) -> Path:
    """A one-exercise source notebook using notebook 00's real checker."""
    nb = new_notebook(cells=[
        new_markdown_cell("# 01 · Cube\n\n## Summary\nNothing.\n\n## Exercises\n\n### Exercise 1: `Cube`"),
        new_code_cell("import torch"),
        new_markdown_cell("<details><summary>Hint</summary>3 x squared.</details>"),
        new_code_cell("class Cube(torch.autograd.Function):\n    ### BEGIN SOLUTION\n"
                      + textwrap.indent(RIGHT.split("\n", 2)[2].rstrip(), "") + "\n    ### END SOLUTION"),
        new_code_cell("from course_utils.exercises.start import check_cube\n\ncheck_cube(Cube.apply)"),
        new_markdown_cell("## What's next\nNothing."),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / NAME)
    return folder


def _submission(source: nbformat.NotebookNode, answer: str) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(source)
    nb.cells[3].source = answer.strip("\n")
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    """Every submission graded in one run: ``{who: (status, message)}``."""
    root = tmp_path_factory.mktemp("tampering")
    source_dir = _course(root / "notebooks")
    source = nbformat.read(source_dir / NAME, as_version=4)
    submissions = root / "submissions"
    answers = {f"a{k:02d} {name}": (text if "class Cube" in text else WRONG + "\n" + text)
               for k, (name, text) in enumerate(ATTACKS.items())}
    answers = {who: text.replace("SOURCE", repr(str(source_dir / NAME))) for who, text in answers.items()}
    answers.update({"z honest right": RIGHT, "z honest wrong": WRONG,
                    "z unfinished": "class Cube(torch.autograd.Function):\n    # YOUR CODE HERE\n"
                                    "    raise NotImplementedError()"})
    for who, text in answers.items():
        (submissions / who).mkdir(parents=True)
        nbformat.write(_submission(source, text), submissions / who / NAME)
    # Outputs stored in the submitted file are forged too: an unfinished Cube "checked" in the file.
    forged = _submission(source, answers["z unfinished"])
    forged.cells[4].outputs = [new_output("stream", name="stdout", text="correct: Cube matches x**3\n")]
    (submissions / "a99 forged outputs").mkdir()
    nbformat.write(forged, submissions / "a99 forged outputs" / NAME)
    before = pristine.tree_hashes(source_dir)
    table = root / "grades.csv"
    assert main(["grade", str(submissions), "--source", str(source_dir), "--csv", str(table),
                 "--timeout", "240", "--jobs", "2"]) == 0
    assert pristine.tree_hashes(source_dir) == before, "a submission changed the source notebooks"
    with table.open(encoding="utf-8") as f:
        return {r["student_file"].split("/")[0]: (r["status"], r["message"]) for r in csv.DictReader(f)}


def test_honest_submissions_get_their_true_verdicts(graded: dict[str, tuple[str, str]]) -> None:
    assert graded["z honest right"] == ("pass", "correct: Cube matches x**3 in value and gradient at 7 points")
    assert graded["z honest wrong"][0] == "fail" and graded["z honest wrong"][1].startswith(CHECKER_MESSAGE)
    assert graded["z unfinished"] == ("unsolved", "NotImplementedError: the exercise is not done")
    assert graded["a99 forged outputs"] == ("unsolved", "NotImplementedError: the exercise is not done")


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_attack_is_not_a_pass(attack: str, graded: dict[str, tuple[str, str]]) -> None:
    status, message = graded[f"a{list(ATTACKS).index(attack):02d} {attack}"]
    assert status != "pass", message
    if status == "fail":  # defeated without tampering: the real checker's verdict
        assert message.startswith(CHECKER_MESSAGE), message
    else:
        assert status == "error", message
        assert message.startswith(("tampering: the submission ", "crash: ")), message


def test_pristine_copies_are_read_only_and_changes_are_found(tmp_path: Path) -> None:
    master = pristine.make_master(tmp_path / "master")
    copy = pristine.copy_master(master, tmp_path / "one" / "course")
    target = copy / "course_utils" / "exercises" / "start.py"
    writable = [p for p in [copy, *copy.rglob("*")] if p.stat().st_mode & 0o222]
    assert not writable, f"writable in the copy: {writable[:3]}"
    assert pristine.changed_files(copy, master.hashes) == []
    target.chmod(0o644)
    target.write_text("def check_cube(f):\n    print('correct: yes')\n")
    assert pristine.changed_files(copy, master.hashes) == ["course_utils/exercises/start.py"]
    pristine.remove(tmp_path / "one")
    assert not (tmp_path / "one").exists()
