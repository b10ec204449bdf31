"""The test run's warm kernels and ``python`` commands (tests/warm_kernel.py) behave as cold ones do."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import nbformat
import pytest

from helpers import python_command

pytestmark = pytest.mark.skipif(not os.environ.get("COURSE_WARM_KERNELS"),
                                reason="this run has no warm kernels (--cold-kernels or COURSE_COLD_KERNELS=1)")


def run(code: str, **kwargs: object) -> subprocess.CompletedProcess:
    return subprocess.run([*python_command(), "-c", code], capture_output=True, text=True, timeout=120, **kwargs)


def test_a_command_is_forked_warm_with_the_callers_environment_folder_and_streams(tmp_path) -> None:
    code = ("import os, sys; assert 'torch' in sys.modules\n"
            "print(os.getcwd(), os.environ['PROBE'], sys.argv[1:], sys.path[0] == '')\n"
            "print(sys.stdin.read().upper(), file=sys.stderr)")
    done = subprocess.run([*python_command(), "-c", code, "a", "b"], input="from stdin", capture_output=True,
                          text=True, cwd=tmp_path, env=dict(os.environ, PROBE="probe"), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{tmp_path} probe ['a', 'b'] True\n"
    assert done.stderr == "FROM STDIN\n"


def test_exit_status_exceptions_and_signals_come_back_as_from_python() -> None:
    assert run("raise SystemExit(3)").returncode == 3
    failed = run("import torch\nassert torch.zeros(1).item() == 1, 'wrong'")
    assert failed.returncode == 1
    assert failed.stderr.rstrip().endswith("AssertionError: wrong"), failed.stderr
    assert run("raise SystemExit('bye')").stderr == "bye\n"
    assert run("import os, signal; os.kill(os.getpid(), signal.SIGTERM)").returncode == -signal.SIGTERM


def test_children_share_no_state() -> None:
    """What one child changes (a module attribute, the RNG, sys.modules) the next one does not see."""
    first = run("import torch, sys; torch.course_probe = 1; torch.manual_seed(5); import this; "
                "print(torch.rand(1).item())")
    second = run("import torch, sys; assert not hasattr(torch, 'course_probe') and 'this' not in sys.modules; "
                 "torch.manual_seed(5); print(torch.rand(1).item())")
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert first.stdout.splitlines()[-1] == second.stdout.strip()


def test_killing_the_caller_ends_the_child(tmp_path) -> None:
    marker = tmp_path / "pid"
    caller = subprocess.Popen([*python_command(), "-c",
                               f"import os, time; open({str(marker)!r}, 'w').write(str(os.getpid())); time.sleep(600)"])
    deadline = time.monotonic() + 60
    while not (marker.exists() and marker.read_text()):
        assert time.monotonic() < deadline, "the child never started"
        time.sleep(0.05)
    child = int(marker.read_text())
    caller.kill()
    caller.wait(timeout=30)
    deadline = time.monotonic() + 30
    while os.path.exists(f"/proc/{child}") and "zombie" not in _state(child):
        assert time.monotonic() < deadline, "the child outlived its caller"
        time.sleep(0.05)


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(line for line in status if line.startswith("State:")).lower()
    except OSError:
        return "gone zombie"


def test_a_notebook_kernel_is_warm_and_fresh(tmp_path) -> None:
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell("import sys, os\nwarm = 'torch' in sys.modules\nx = 1"),
                nbformat.v4.new_code_cell("print(warm, os.getcwd(), sys.executable)")]
    outputs = []
    for _ in range(2):
        NotebookClient(nb, kernel_name="python3", timeout=120,
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
        outputs.append(nb.cells[1].outputs[0]["text"])
        nb.cells[0].source = "import sys, os\nassert 'x' not in dir()\nwarm = 'torch' in sys.modules"
    assert outputs == [f"True {tmp_path} {sys.executable}\n"] * 2
