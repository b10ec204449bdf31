"""Test-session settings shared by the package tests and nbval's notebook tests.

- Figures: every process of the run (nbval's kernels, the student runs, the browser
  test's lab) writes them into a temporary folder (``$COURSE_FIGURES_DIR``), never into
  ``figures/``; at the end the run fails if it changed what ``git status`` shows.
- Workers: ``-n auto --dist loadscope`` (pyproject.toml) runs the suite in one pytest-xdist
  worker per core. A notebook's cells, and the tests of one module, stay on one worker
  (a work unit each); the browser test runs in two shards of notebooks, one JupyterLab
  each; the student-version runs are distributed one by one; the longest units go first.
  Each worker, and every kernel it starts, gets an equal share of the cores' threads
  (torch, TensorFlow, BLAS).
- Warm kernels: each worker (or a run without workers) starts one process that imports
  NumPy, torch and ipykernel, and every kernel of that worker (nbval's, the student runs',
  the browser test's) is a fork of it (``tests/warm_kernel.py`` says what that shares and
  what not). ``--cold-kernels`` or ``COURSE_COLD_KERNELS=1`` turns this off: each kernel
  then starts cold, as a learner's does (mutmut's runs pass the option: they start no kernel).
- Devices: the ``device`` fixture runs a test on ``cpu`` and on ``cuda``; the ``cuda`` run
  and every test marked ``gpu`` are skipped, with the reason, where torch sees no GPU.
- Checkers' output: in the checker tests (``tests/test_exercises_*.py``) every line a test
  prints is one that a checker cell of a committed notebook shows, or ``compare``'s report of
  a failed comparison (a checker explaining a wrong answer), so a checker's success line
  cannot change, turn into ``None`` or grow a report of passing comparisons without a test failing.
- The run ends with the seconds spent per notebook under nbval and per part of the suite.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
BROWSER_TESTS = "tests/test_jupyterlab.py"
BROWSER_SHARDS = 2  # JupyterLab servers, each running its share of the notebooks
STUDENT_RUNS = "tests/test_classroom.py::test_student_notebook_fails_only_at_exercises"
NOTEBOOK_BUDGET = 30  # seconds on 2 CPU cores; the whole suite's budget is 240 s of wall time
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS")

_notebook_seconds: dict[str, float] = defaultdict(float)
_part_seconds: dict[str, float] = defaultdict(float)
_figures_dir: Path | None = None
_zygote: subprocess.Popen | None = None
_kernels_dir: Path | None = None
_tree_before: dict[str, str] | None = None
_tree_changes: list[str] = []


# --------------------------------------------------------------------------- set-up


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--cold-kernels", action="store_true",
                     help="start every kernel and python subprocess cold, as a learner's (no warm zygote); "
                          "also COURSE_COLD_KERNELS=1")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "gpu: needs a CUDA GPU (skipped, with the reason, where torch sees none)")
    global _figures_dir
    # Inherited by every kernel and subprocess started from here on.
    _figures_dir = Path(tempfile.mkdtemp(prefix="course-test-figures-"))
    os.environ["COURSE_FIGURES_DIR"] = str(_figures_dir)
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:  # two workers on two cores: one thread each, not two that fight
        threads = str(max(1, (os.cpu_count() or 1) // workers))
        for name in THREAD_VARIABLES:
            os.environ.setdefault(name, threads)
    runs_tests = _is_worker(config) or not getattr(config.option, "numprocesses", None)
    cold = config.getoption("cold_kernels") or os.environ.get("COURSE_COLD_KERNELS") == "1"
    if runs_tests and not cold:
        _start_warm_kernels()
        if getattr(config.option, "nbval_current_env", False):  # nbval: this environment's warm kernel
            config.option.nbval_current_env = False
            config.option.nbval_kernel_name = "python3"


def _start_warm_kernels() -> None:
    """Start this process's kernel zygote; point the ``python3`` kernelspec of its kernels at it."""
    global _zygote, _kernels_dir
    import importlib.util

    spec = importlib.util.spec_from_file_location("warm_kernel", ROOT / "tests" / "warm_kernel.py")
    warm_kernel = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(warm_kernel)

    _kernels_dir = Path(tempfile.mkdtemp(prefix="course-kernels-"))
    _zygote = warm_kernel.start(_kernels_dir)  # after the thread limits: the imports read them
    warm_kernel.kernelspec(_kernels_dir, _kernels_dir / "zygote.sock")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(_kernels_dir), os.environ.get("JUPYTER_PATH")]))
    os.environ["COURSE_WARM_KERNELS"] = str(_kernels_dir)  # the browser test's lab uses them too


def pytest_unconfigure(config: pytest.Config) -> None:
    if _figures_dir is not None:
        shutil.rmtree(_figures_dir, ignore_errors=True)
    if _zygote is not None:
        _zygote.kill()
        _zygote.wait(timeout=30)
    if _kernels_dir is not None:
        shutil.rmtree(_kernels_dir, ignore_errors=True)


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


# --------------------------------------------------------------------------- distribution


def _rank(nodeid: str) -> int:
    """Where a test's work unit stands in the workers' queue: the longest units first."""
    if nodeid.startswith(BROWSER_TESTS + "::"):
        return 0  # two shards of a few minutes each
    if nodeid.startswith(STUDENT_RUNS + "["):
        return 3  # many short units: they even out the workers' ends
    if nodeid.split("::")[0].endswith(".ipynb"):
        return 2
    return 1


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _is_worker(config):  # every worker sorts alike (xdist checks): the queue's order
        items.sort(key=lambda item: _rank(item.nodeid))


def pytest_xdist_make_scheduler(config: pytest.Config, log):  # noqa: ANN001, ANN201
    """Work units for ``--dist loadscope``: a notebook (its cells share one kernel), a test
    module (its tests share fixtures), a browser shard (one JupyterLab), a student run."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class CourseScheduling(LoadScopeScheduling):
        def __init__(self, config: pytest.Config, log) -> None:  # noqa: ANN001
            super().__init__(config, log)
            self.shards: dict[str, int] = {}

        def schedule(self) -> None:
            if self.collection is None and self.registered_collections:
                browser = [n for n in next(iter(self.registered_collections.values()))
                           if n.startswith(BROWSER_TESTS + "::")]
                self.shards = {nodeid: i % BROWSER_SHARDS + 1 for i, nodeid in enumerate(browser)}
            super().schedule()

        def _split_scope(self, nodeid: str) -> str:
            if nodeid in self.shards:
                return f"{BROWSER_TESTS} shard {self.shards[nodeid]}"
            if nodeid.startswith(STUDENT_RUNS + "["):
                return nodeid
            return nodeid.split("::")[0]

    return CourseScheduling(config, log)


# --------------------------------------------------------------------------- devices


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def device(request: pytest.FixtureRequest) -> str:
    """The device to run a test on: ``"cpu"``, then ``"cuda"`` where torch sees a GPU."""
    return request.param


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("gpu") and not _cuda_available():
        pytest.skip("needs a CUDA GPU (torch.cuda.is_available() is False)")


# ------------------------------------------------------------------- checkers' output


@pytest.fixture(autouse=True)
def _checkers_print_what_the_notebooks_show(request: pytest.FixtureRequest) -> object:
    """In a checker test, fail on a printed line that no notebook's checker cell shows (tests/helpers.py)."""
    if not getattr(request.module, "__name__", "").startswith("test_exercises_"):
        yield
        return
    capsys = request.getfixturevalue("capsys")
    yield
    from helpers import checker_output  # tests/ is on the path once a test module is imported

    checker_output(capsys)


# --------------------------------------------------------------------------- nbval


def pytest_collectstart(collector: pytest.Collector) -> None:
    # stderr (TensorFlow and warnings write there) is never compared, even in
    # cells marked NBVAL_CHECK_OUTPUT: it differs between machines and versions.
    if type(collector).__name__ == "IPyNbFile":
        collector.skip_compare = (*tuple(collector.skip_compare), "stderr")


# --------------------------------------------------------------------------- a clean tree


def git_tree_state(root: Path = ROOT) -> dict[str, str] | None:
    """What ``git status`` shows in ``root``: each changed or untracked file, with its content's hash.

    ``None`` when ``root`` is no git checkout (or git is missing): nothing to compare then.
    """
    try:
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all", "-z"],
            cwd=root, capture_output=True, check=True, timeout=60).stdout.decode()
    except (OSError, subprocess.SubprocessError):
        return None
    tree, entries = {}, iter(status.split("\0"))
    for entry in entries:
        if not entry:
            continue
        code, path = entry[:2], entry[3:]
        if "R" in code or "C" in code:
            next(entries, None)  # a rename's or copy's source path follows
        file = root / path
        digest = hashlib.sha256(file.read_bytes()).hexdigest() if file.is_file() else "-"
        tree[path] = f"{code} {digest}"
    return tree


def tree_changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The paths whose state differs, each as ``"<status now> <path>"`` (``gone``: back to committed)."""
    return sorted(f"{after.get(path, 'gone').split()[0]} {path}"
                  for path in set(before) | set(after) if before.get(path) != after.get(path))


def pytest_sessionstart(session: pytest.Session) -> None:
    global _tree_before
    if not _is_worker(session.config):
        _tree_before = git_tree_state()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _is_worker(session.config) or _tree_before is None:
        return
    _tree_changes[:] = tree_changes(_tree_before, git_tree_state() or {})
    if _tree_changes and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# --------------------------------------------------------------------------- the time summary


def _part(nodeid: str) -> str:
    if nodeid.split("::")[0].endswith(".ipynb"):
        return "notebooks under nbval"
    if nodeid.startswith(BROWSER_TESTS + "::"):
        return "notebooks in JupyterLab"
    if nodeid.startswith(STUDENT_RUNS + "["):
        return "student versions"
    return "package and hygiene tests"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # Under xdist the workers' reports reach the controller, which sums them here.
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _notebook_seconds[path] += report.duration
    _part_seconds[_part(report.nodeid)] += report.duration


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    tr = terminalreporter
    if _notebook_seconds:
        tr.write_sep("=", f"seconds per notebook under nbval (kernel start included; budget {NOTEBOOK_BUDGET} s each)")
        for path, seconds in sorted(_notebook_seconds.items()):
            tr.write_line(f"{seconds:7.1f}  {path}" + ("  (over budget)" if seconds > NOTEBOOK_BUDGET else ""))
        tr.write_line(f"{sum(_notebook_seconds.values()):7.1f}  total")
    if len(_part_seconds) > 1:
        workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT") or getattr(config.option, "numprocesses", None)
        tr.write_sep("=", f"seconds per part (test time, summed over {workers or 1} worker(s))")
        for part, seconds in sorted(_part_seconds.items(), key=lambda kv: -kv[1]):
            tr.write_line(f"{seconds:7.1f}  {part}")
    if _tree_changes:
        tr.write_sep("=", "FAILED: the test run changed the work tree", red=True)
        for line in _tree_changes:
            tr.write_line(f"  {line}")
        tr.write_line("Tests must write into temporary folders; figures/ is regenerated by ./course run only.")
