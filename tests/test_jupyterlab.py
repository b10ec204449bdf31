"""The course in real JupyterLab: every notebook opens and runs there without an error.

nbval proves the notebooks run in a kernel; this test proves they run the way a learner
runs them. It starts a real ``jupyter lab`` server (127.0.0.1, a free port, no token) on a
temporary copy of ``notebooks/`` with cleared outputs, drives headless Chromium with
Playwright, and for each notebook: opens it in the lab (*File > Open from Path*), waits
for its kernel, clicks *Run > Run All Cells*, waits until no cell is queued or running
and the kernel is idle, saves it (*File > Save Notebook*), screenshots the page into
``build/jupyterlab/``, and reads the saved notebook: any ``error`` output, or a
non-empty code cell the lab never ran, fails the test. One server and one browser serve
the whole course; each notebook's kernel is shut down when it is done.

Needs the ``playwright`` package (in requirements.txt) and a Chromium-family browser:
``$COURSE_CHROMIUM`` or ``chromium`` / ``chromium-browser`` / ``google-chrome`` on the
PATH (``./course setup`` installs Debian's ``chromium`` when run as root). Without
them the tests are skipped, with the reason. Run alone: ``./course test
tests/test_jupyterlab.py``.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
from course_utils.notebooks import course_notebooks  # noqa: E402  (the one list of the course's notebooks)

NOTEBOOKS = course_notebooks()
ARTEFACTS = ROOT / "build" / "jupyterlab"  # screenshots and the server log, not committed

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Chromium runs as root only without its sandbox; the other flags keep it from
# reaching out to the network (updates, sync, field trials) on closed machines.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]

# Every wait is bounded (seconds).
SERVER_START = 120
PAGE_LOAD = 120
KERNEL_READY = 120
RUN_ALL = 300  # one whole notebook, from "Run All Cells" to an idle kernel
SAVE = 60
UI_STEP = 30  # one click, one dialog
POLL = 0.25

# The lab's user settings for the run: no news or update checks (the network may be
# closed) and no autosave (the test saves, then reads the file). The notebooks keep the
# lab's default windowing ("contentVisibility", as a learner has it): every cell stays in
# the page, and the browser skips rendering those out of view.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}


def _wait(condition: Callable[[], object], timeout: float, what: str) -> object:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(POLL)


# What the page shows of the open notebook: its kernel's status (idle or not) and the text of
# each code cell's prompt ("[ ]:", "[*]:", "[3]:"). Read in the page with textContent, which
# needs no layout: polling from the page costs the browser less than reading rendered text.
PAGE_STATE = """name => {
  const kernel = document.querySelector(`.jp-StatusBar-TextItem[title="Change kernel for ${name}"]`);
  const panels = [...document.querySelectorAll(".jp-NotebookPanel")]
    .filter(panel => !panel.classList.contains("lm-mod-hidden"));
  const prompts = panels.length === 1
    ? [...panels[0].querySelectorAll(".jp-CodeCell .jp-InputPrompt")].map(p => p.textContent) : [];
  return {idle: !!kernel && kernel.textContent.trim().endsWith("| Idle"), prompts};
}"""


def _wait_in_page(page: object, condition: str, name: str, timeout: float, what: str) -> None:
    """Wait until the JavaScript ``condition`` holds of ``PAGE_STATE`` for notebook ``name``; fail after ``timeout`` s."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(f"name => ({condition})(({PAGE_STATE})(name))", arg=name,
                               timeout=timeout * 1000, polling=POLL * 1000)
    except PlaywrightTimeout:
        pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def find_browser() -> str | None:
    """Path of the Chromium to drive: ``$COURSE_CHROMIUM``, else the first on the PATH."""
    forced = os.environ.get("COURSE_CHROMIUM")
    if forced:
        return forced if os.access(forced, os.X_OK) else None
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    """Every process descended from ``pid`` (Linux /proc; empty elsewhere)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        kids = [p for p, pp in parents.items() if pp == parent]
        found += kids
        todo += kids
    return found


@dataclass
class Lab:
    """A running JupyterLab server and a browser page showing it."""

    url: str
    root: Path  # the server's root folder: a copy of notebooks/ lives in root/notebooks
    page: object  # playwright.sync_api.Page
    stopping: list[threading.Thread] = field(default_factory=list)

    # -- the server's REST API (only to find and shut down kernels) -----------------
    def api(self, path: str, method: str = "GET") -> object:
        request = urllib.request.Request(self.url + path, method=method)
        with urllib.request.urlopen(request, timeout=UI_STEP) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down(self, relpath: str) -> None:
        """Shut down the kernel of the notebook ``relpath``, in the background."""
        for session in self.api("/api/sessions"):
            if session["path"] == relpath:
                thread = threading.Thread(
                    target=self.api, args=(f"/api/sessions/{session['id']}", "DELETE"), daemon=True)
                thread.start()
                self.stopping.append(thread)

    def shut_down_sessions(self) -> None:
        """Shut down every kernel; wait for those already shutting down."""
        for thread in self.stopping:
            thread.join(timeout=UI_STEP)
        for session in self.api("/api/sessions"):
            self.api(f"/api/sessions/{session['id']}", method="DELETE")

    # -- the lab's UI -----------------------------------------------------------------
    def menu(self, top: str, item: str) -> None:
        """Click ``top`` in the menu bar, then the item whose label matches the regex ``item``."""
        page = self.page
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(rf"^{re.escape(top)}$")).click()
        page.locator(".lm-Menu .lm-Menu-itemLabel", has_text=re.compile(rf"^{item}$")).first.click()

    def open(self, relpath: str) -> None:
        """Open ``relpath`` (relative to the root) with File > Open from Path."""
        self.menu("File", "Open from Path…")
        box = self.page.locator(".jp-Dialog input")
        box.fill(relpath)
        box.press("Enter")


def _write_settings(settings_dir: Path) -> None:
    for plugin, values in LAB_SETTINGS.items():
        package, name = plugin.rsplit("/", 1)
        path = settings_dir / package / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


def _copy_notebooks(target: Path) -> None:
    """Copy notebooks/ to ``target``, every notebook's outputs and counts cleared."""
    shutil.copytree(ROOT / "notebooks", target,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    for path in target.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        nbformat.write(nb, path)


def _prepare(tmp: Path) -> dict[str, str]:
    """Fill ``tmp`` with the lab's root, settings and kernel; return the server's environment."""
    _copy_notebooks(tmp / "root" / "notebooks")
    _write_settings(tmp / "config" / "lab" / "user-settings")
    # The notebooks' python3 kernel is this interpreter, whatever kernels the user has:
    # the test run's warm kernels where it has them (conftest.py), else a cold start.
    kernel_dir = tmp / "data" / "kernels" / "python3"
    warm = os.environ.get("COURSE_WARM_KERNELS")
    if warm:
        shutil.copytree(Path(warm) / "kernels" / "python3", kernel_dir)
    else:
        kernel_dir.mkdir(parents=True)
        (kernel_dir / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (ipykernel)", "language": "python",
        }), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_"))}
    env.update(  # no user or site Jupyter configuration is read
        JUPYTER_CONFIG_DIR=str(tmp / "config"),
        JUPYTER_DATA_DIR=str(tmp / "data"),
        JUPYTER_PATH=str(tmp / "data"),
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(tmp / "config" / "lab" / "user-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "config" / "lab" / "workspaces"),
        IPYTHONDIR=str(tmp / "ipython"),
        COURSE_FIGURES_DIR=str(tmp / "figures"),  # figures never land in the repository
        # course_utils imports from this checkout, installed or not
        PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
    )
    return env


def _stop(server: subprocess.Popen) -> None:
    """Stop the server, then kill whatever it started that is still alive."""
    leftovers = _children(server.pid)  # kernels run in process groups of their own
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)  # the server shuts its kernels down
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
    for pid in leftovers:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    """One JupyterLab server on a copy of the course, and one Chromium page on it."""
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="the Python package 'playwright' is missing: run ./course setup (see requirements.txt)")
    pytest.importorskip("jupyterlab", reason="JupyterLab is missing: run ./course setup")
    browser_path = find_browser()
    if browser_path is None and os.environ.get("COURSE_CHROMIUM"):
        pytest.skip(f"COURSE_CHROMIUM={os.environ['COURSE_CHROMIUM']} is not an executable")
    if browser_path is None:
        pytest.skip("no Chromium found: install the 'chromium' package (./course setup does, as root "
                    "on Debian) or set COURSE_CHROMIUM to a Chromium or Chrome executable")

    tmp = Path(tempfile.mkdtemp(prefix="course-lab-"))
    log = tmp / "server.log"
    server = playwright = browser = lab_ = None
    try:
        env = _prepare(tmp)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        with log.open("wb") as out:
            server = subprocess.Popen(
                [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
                 "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
                 "--IdentityProvider.token=", "--ServerApp.password=",
                 "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={tmp / 'root'}",
                 "--LabApp.extension_manager=readonly"],
                cwd=tmp / "root", env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,  # a process group of its own, stopped as a whole
            )
        # The browser starts while the server does.
        playwright = sync_api.sync_playwright().start()
        browser = playwright.chromium.launch(executable_path=browser_path, args=CHROMIUM_ARGS)

        def server_up() -> bool:
            if server.poll() is not None:
                pytest.fail(f"jupyter lab exited with code {server.returncode}:\n{log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(url + "/api/status", timeout=5).close()
                return True
            except OSError:  # URLError included: not listening yet
                return False

        _wait(server_up, SERVER_START, "the jupyter lab server to answer")
        lab_ = Lab(url=url, root=tmp / "root", page=None)
        argv = lab_.api("/api/kernelspecs")["kernelspecs"].get("python3", {}).get("spec", {}).get("argv")
        assert argv and argv[0] == sys.executable, (
            f"the lab's python3 kernel would run {argv}, not this environment's {sys.executable}")

        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(UI_STEP * 1000)
        page.goto(url + "/lab", timeout=PAGE_LOAD * 1000)
        page.locator(".lm-MenuBar-itemLabel", has_text="File").wait_for(timeout=PAGE_LOAD * 1000)
        lab_.page = page
        yield lab_
    finally:
        try:
            if lab_ is not None:
                lab_.shut_down_sessions()
        except Exception:  # noqa: BLE001 - the server is stopped below anyway
            pass
        for stop in (browser and browser.close, playwright and playwright.stop):
            try:
                if stop:
                    stop()
            except Exception:  # noqa: BLE001 - still stop the server below
                pass
        if server is not None:
            _stop(server)
        if log.exists():
            ARTEFACTS.mkdir(parents=True, exist_ok=True)
            # one log per worker: under pytest-xdist two labs may run at once
            shutil.copyfile(log, ARTEFACTS / f"server-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.log")
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class Result:
    """What the saved notebook says about one run in the lab."""

    errors: list[str]  # "cell 4: ZeroDivisionError: division by zero"
    not_run: list[int]  # indexes of non-empty code cells without an execution count
    screenshot: Path


def run_in_lab(lab: Lab, relpath: str) -> Result:
    """Open ``relpath`` in the lab, run all its cells, save it; report what it holds."""
    page = lab.page
    name = Path(relpath).name
    saved = lab.root / relpath
    code_cells = sum(1 for c in nbformat.read(saved, as_version=4).cells if c.cell_type == "code")
    shot = ARTEFACTS / f"{Path(name).stem}.png"
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    finished = False
    try:
        lab.open(relpath)
        notebook = page.locator(".jp-NotebookPanel:visible")
        _wait_in_page(page, "s => s.idle", name, KERNEL_READY, f"{name}'s kernel to start")
        _wait_in_page(page, f"s => s.prompts.length === {code_cells}", name, PAGE_LOAD,
                      f"{name}'s {code_cells} code cells to render")

        lab.menu("Run", "Run All Cells")
        _wait_in_page(page, "s => s.prompts.some(t => /[*\\d]/.test(t))", name, UI_STEP, f"{name} to start running")
        _wait_in_page(page, "s => s.idle && !s.prompts.some(t => t.includes('*'))", name, RUN_ALL,
                      f"{name} to finish running (no cell queued, kernel idle)")

        before = saved.stat().st_mtime_ns
        lab.menu("File", "Save( Notebook)?")
        dirty = page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty")

        def saved_notebook() -> nbformat.NotebookNode | None:
            # The server writes in place: read once the lab says it is saved, and parses.
            if saved.stat().st_mtime_ns == before or dirty.count():
                return None
            try:
                return nbformat.read(saved, as_version=4)
            except ValueError:  # still being written
                return None

        nb = _wait(saved_notebook, SAVE, f"{name} to be saved")
        errors, not_run, first_error = [], [], None
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            for out in cell.outputs:
                if out.output_type == "error":
                    errors.append(f"cell {i}: {out.ename}: {out.evalue}")
                    first_error = i if first_error is None else first_error
            if cell.source.strip() and cell.execution_count is None:
                not_run.append(i)
        if first_error is not None:  # show the first error in the screenshot
            notebook.locator(".jp-Cell").nth(first_error).scroll_into_view_if_needed()
        finished = True
        return Result(errors=errors, not_run=not_run, screenshot=shot)
    finally:
        try:
            _close(lab, relpath, shot, saved=finished)
        except Exception:
            if finished:  # else the error that brought us here is the one to report
                raise


def _close(lab: Lab, relpath: str, shot: Path, saved: bool) -> None:
    """Done with a notebook: keep a screenshot, shut its kernel down, close its tab."""
    lab.page.screenshot(path=str(shot))
    lab.shut_down(relpath)
    lab.menu("File", "Close Tab")
    if not saved:  # an unsaved notebook asks before closing: discard it
        discard = lab.page.locator(".jp-Dialog button", has_text=re.compile("^Discard$"))
        try:
            discard.click(timeout=5000)
        except Exception:  # noqa: BLE001 - no dialog came: nothing to discard
            pass


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs_in_jupyterlab(lab: Lab, path: Path) -> None:
    result = run_in_lab(lab, f"notebooks/{path.name}")
    shot = result.screenshot.relative_to(ROOT)
    assert not result.errors, f"{path.name} raised in JupyterLab ({shot}):\n  " + "\n  ".join(result.errors)
    assert not result.not_run, f"{path.name}: code cells {result.not_run} never ran in JupyterLab ({shot})"


def test_a_failing_cell_is_reported(lab: Lab) -> None:
    """The check above can fail: a cell that raises is reported, and the cells after it did not run."""
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell('print("fine")'),
                nbformat.v4.new_code_cell("1 / 0"),
                nbformat.v4.new_code_cell('print("never")')]
    nbformat.write(nb, lab.root / "zz_failing_example.ipynb")
    result = run_in_lab(lab, "zz_failing_example.ipynb")
    assert result.errors == ["cell 1: ZeroDivisionError: division by zero"], result.errors
    assert result.not_run == [2], result.not_run
