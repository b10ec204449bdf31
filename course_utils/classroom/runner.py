"""The one notebook runner: a fresh ``python3`` kernel, top to bottom, continuing after errors.

``./course run`` (``tools/run_notebooks.py``) stores the outputs of a run in the
notebook with :func:`run_in_place`; the student-version test runs every student
notebook with :func:`execute`. Needs nbclient (the ``classroom`` extra).

Examples
--------
>>> from nbformat.v4 import new_code_cell, new_notebook, new_output
>>> cell = new_code_cell("1 / 0", outputs=[new_output("error", ename="ZeroDivisionError",
...                                                   evalue="division by zero", traceback=[])])
>>> cell_error(cell)
('ZeroDivisionError', 'division by zero')
"""
from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

ROOT = Path(__file__).resolve().parents[2]
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


@dataclass
class Execution:
    """The outcome of running a notebook: the executed notebook and where it stopped.

    Attributes
    ----------
    nb : nbformat.NotebookNode
        The notebook with the outputs of the cells that ran (errors included).
    stopped_at : int | None
        Index of the cell that timed out or killed the kernel; ``None`` when every
        cell ran.
    reason : str
        Why it stopped (``""`` when it did not).
    seconds : float
        Wall-clock time, kernel start included.
    """

    nb: NotebookNode
    stopped_at: int | None = None
    reason: str = ""
    seconds: float = 0.0


def kernel_env(figures: Path) -> dict[str, str]:
    """Environment for a kernel: this checkout's ``course_utils`` importable, figures written to ``figures``.

    Examples
    --------
    >>> kernel_env(Path("/tmp/figs"))["COURSE_FIGURES_DIR"]
    '/tmp/figs'
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["COURSE_FIGURES_DIR"] = str(figures)
    return env


def execute(nb: NotebookNode, cwd: Path, timeout: float, figures: Path | None = None,
            cell_timeout: float | None = None) -> Execution:
    """Run ``nb`` top to bottom in a fresh ``python3`` kernel, continuing after errors.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook; its cells receive the outputs (errors included).
    cwd : pathlib.Path
        The kernel's working directory (the notebook's folder).
    timeout : float
        Seconds for the whole notebook, kernel start included. A cell still running
        when they are spent stops the notebook: the kernel is killed and the later
        cells are not run.
    figures : pathlib.Path, optional
        Where ``savefig`` writes (``$COURSE_FIGURES_DIR`` of the kernel); a
        throw-away folder when omitted, so test runs never touch ``figures/``.
    cell_timeout : float, optional
        Seconds for any one cell (no limit beyond ``timeout`` when omitted).

    Output
    ------
    Execution
        The executed notebook and, if it stopped early, the cell and the reason.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    start = time.monotonic()
    result = Execution(nb)
    with tempfile.TemporaryDirectory(prefix="course-figures-") as scratch:
        client = NotebookClient(
            nb, kernel_name="python3", allow_errors=True, record_timing=False,
            interrupt_on_timeout=False, shutdown_kernel="immediate", startup_timeout=120,
            resources={"metadata": {"path": str(cwd)}},
        )
        with client.setup_kernel(env=kernel_env(figures or Path(scratch))):
            info = client.wait_for_reply(client.kc.kernel_info())
            if info and "language_info" in info["content"]:
                nb.metadata["language_info"] = info["content"]["language_info"]
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                left = timeout - (time.monotonic() - start)
                try:
                    if left < 1:
                        raise CellTimeoutError(f"no time left before cell {index}")
                    client.timeout = int(min(left, cell_timeout or left))
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    limit = f"notebook ran past {timeout:g} s" if left <= (cell_timeout or left) else \
                        f"cell ran past {cell_timeout:g} s"
                    result.stopped_at, result.reason = index, f"timeout: {limit} (cell {index})"
                    break
                except DeadKernelError:
                    result.stopped_at, result.reason = index, f"crash: the kernel died in cell {index}"
                    break
    result.seconds = time.monotonic() - start
    return result


def cell_error(cell: NotebookNode) -> tuple[str, str] | None:
    """``(exception name, message)`` of the error output of an executed cell, or ``None``."""
    for out in cell.get("outputs", []):
        if out.output_type == "error":
            return out.ename, out.evalue
    return None


def cell_text(cell: NotebookNode) -> str:
    """What an executed cell printed to stdout.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_output
    >>> cell_text(new_code_cell("print(1)", outputs=[new_output("stream", name="stdout", text="1\\n")]))
    '1\\n'
    """
    return "".join(o.text for o in cell.get("outputs", []) if o.output_type == "stream" and o.name == "stdout")


def run_in_place(path: Path, cell_timeout: float, figures: Path = ROOT / "figures") -> Execution:
    """Execute the notebook ``path`` and, when no cell failed, store its outputs in it.

    Parameters
    ----------
    path : pathlib.Path
        The notebook, run in its own folder.
    cell_timeout : float
        Seconds for any one cell.
    figures : pathlib.Path
        Where its figures are written (default: the repository's ``figures/``).

    Output
    ------
    Execution
        The run; the file is rewritten only when ``stopped_at`` is ``None`` and no
        cell has an error output (see :func:`cell_error`).
    """
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    for cell in nb.cells:  # no stale timing or widget metadata in the repository
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    run = execute(nb, path.parent, timeout=float("inf"), figures=figures, cell_timeout=cell_timeout)
    if run.stopped_at is None and not any(cell_error(c) for c in nb.cells):
        nb.metadata.pop("widgets", None)
        nbformat.validate(nb)
        nbformat.write(nb, path)
    return run
