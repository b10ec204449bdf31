"""Classroom mode: student versions of the notebooks and a grading run, from one source.

The notebooks in ``notebooks/`` are the single source: each exercise cell holds
its solution between nbgrader's default markers, ``### BEGIN SOLUTION`` and
``### END SOLUTION`` (optionally, instructor-only checks between ``### BEGIN
HIDDEN TESTS`` and ``### END HIDDEN TESTS``), and the code cell right after it
calls a ``check_*`` checker from :mod:`course_utils.exercises`. Notebook 00
explains this to learners; the README ("For instructors") explains the commands::

    python -m course_utils.classroom student [--source notebooks] [--out student]
    python -m course_utils.classroom grade SUBMISSIONS [--csv grades.csv] [--timeout 300] [--jobs 1]
    python -m course_utils.classroom nbgrader COURSE_DIR

``student`` writes the student versions: every solution block becomes
``# YOUR CODE HERE`` + ``raise NotImplementedError()`` at the block's indentation
(exactly what nbgrader's ``ClearSolutions`` writes), hidden tests are removed
and outputs cleared. ``grade`` runs every completed notebook of a folder in a
fresh kernel, restores the checker cells from the source notebook (an edited
check does not count), and reports each exercise as pass / fail / unsolved /
error / timeout / not run, with the checker's message, as a table and as CSV.
``nbgrader`` writes the notebooks with nbgrader's cell metadata, as assignments
of an nbgrader course, for instructors who use nbgrader itself.
"""
from __future__ import annotations

import argparse
import copy
import csv
import multiprocessing
import os
import re
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

ROOT = Path(__file__).resolve().parent.parent

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
#: What replaces a solution block (nbgrader's default ``ClearSolutions.code_stub``).
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")

EXERCISE_HEADING = re.compile(r"^###\s+(Exercise\s+\d+\b.*?)\s*$")
HINT = re.compile(r"<details>\s*<summary>\s*Hint\b", re.I)
CHECK_CALL = re.compile(r"\bcheck_\w+\s*\(")
NOTEBOOK_NAME = re.compile(r"^(\d\d)_")

STATUSES = ("pass", "fail", "unsolved", "error", "timeout", "not run", "missing")


# --------------------------------------------------------------------------- reading


@dataclass
class Exercise:
    """One exercise of a notebook, found from its ``### Exercise N: ...`` heading.

    Attributes
    ----------
    title : str
        The heading without the ``###``, e.g. ``"Exercise 1: `Cube`"``; with the
        notebook's file name it identifies the exercise.
    heading_cell : int
        Index of the markdown cell holding the heading.
    end_cell : int
        Index one past the exercise's last cell (the next exercise heading, the
        next ``##`` section or the end of the notebook).
    solution_cells : list[int]
        Code cells holding a solution block.
    check_cells : list[int]
        Code cells calling a ``check_*`` function.
    hint_cells : list[int]
        Markdown cells with a ``<details><summary>Hint</summary>`` block, before
        the first solution cell.
    """

    title: str
    heading_cell: int
    end_cell: int
    solution_cells: list[int] = field(default_factory=list)
    check_cells: list[int] = field(default_factory=list)
    hint_cells: list[int] = field(default_factory=list)


def _marker_word(marker: str) -> str:
    # nbgrader's delimiter: a line holding "BEGIN SOLUTION" anywhere is a marker.
    return marker.lstrip("# ")


def _region_lines(source: str, begin: str, end: str, where: str) -> list[tuple[int, int]]:
    """The ``(begin_line, end_line)`` pairs of the marker regions of ``source``."""
    regions, start = [], None
    for number, line in enumerate(source.split("\n")):
        if _marker_word(begin) in line or _marker_word(end) in line:
            if line.strip() not in (begin, end):
                raise ValueError(f"{where}: a marker must stand alone on its line, got {line.strip()!r}")
            if line.strip() == begin:
                if start is not None:
                    raise ValueError(f"{where}: nested {begin!r}")
                start = number
            else:
                if start is None:
                    raise ValueError(f"{where}: {end!r} without {begin!r}")
                regions.append((start, number))
                start = None
    if start is not None:
        raise ValueError(f"{where}: {begin!r} without {end!r}")
    return regions


def solution_blocks(source: str, where: str = "cell") -> list[list[str]]:
    """The lines between each ``### BEGIN SOLUTION`` / ``### END SOLUTION`` pair of ``source``.

    Raises ``ValueError`` (naming ``where``) for an unbalanced, nested or
    not-alone marker.
    """
    lines = source.split("\n")
    return [lines[a + 1:b] for a, b in _region_lines(source, BEGIN_SOLUTION, END_SOLUTION, where)]


def has_solution(cell: NotebookNode) -> bool:
    """Whether ``cell`` is an exercise cell: a code cell with a solution block."""
    return cell.cell_type == "code" and any(line.strip() == BEGIN_SOLUTION for line in cell.source.split("\n"))


def find_exercises(nb: NotebookNode) -> list[Exercise]:
    """The exercises of ``nb``, in order, each with its solution, checker and hint cells.

    An exercise starts at a markdown ``### Exercise N: ...`` heading and runs until
    the next exercise heading, the next ``#``/``##`` heading or the end.
    """
    exercises: list[Exercise] = []
    current: Exercise | None = None
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            for line in cell.source.split("\n"):
                heading = EXERCISE_HEADING.match(line)
                if heading:
                    if current is not None:
                        current.end_cell = index
                    current = Exercise(heading.group(1), index, len(nb.cells))
                    exercises.append(current)
                elif current is not None and re.match(r"^#{1,2}\s", line):
                    current.end_cell = index
                    current = None
            if current is not None and HINT.search(cell.source) and not current.solution_cells:
                current.hint_cells.append(index)
        elif current is not None and cell.cell_type == "code":
            if has_solution(cell):
                current.solution_cells.append(index)
            elif CHECK_CALL.search(cell.source):
                current.check_cells.append(index)
    return exercises


# --------------------------------------------------------------------------- student versions


def _clear_regions(source: str, begin: str, end: str, stub: tuple[str, ...], where: str) -> str:
    lines = source.split("\n")
    out: list[str] = []
    previous = 0
    for a, b in _region_lines(source, begin, end, where):
        out += lines[previous:a]
        indent = re.match(r"\s*", lines[a]).group(0)
        out += [indent + s for s in stub]
        previous = b + 1
    out += lines[previous:]
    return "\n".join(out)


def student_notebook(nb: NotebookNode, name: str = "notebook") -> NotebookNode:
    """The student version of ``nb`` (a new notebook; ``nb`` is left unchanged).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        A source notebook, as read by ``nbformat.read(path, as_version=4)``.
    name : str
        Its name, for error messages.

    Output
    ------
    nbformat.NotebookNode
        A copy in which every solution block is replaced by ``# YOUR CODE HERE``
        and ``raise NotImplementedError()`` (at the indentation of the ``### BEGIN
        SOLUTION`` line), hidden-test blocks are removed, and outputs, execution
        counts and execution metadata are cleared. Raises ``ValueError`` when a
        marker is unbalanced, nested, not alone on its line, or in a markdown cell
        (nbgrader takes any line holding ``BEGIN SOLUTION`` for a marker and would
        replace that prose with "YOUR ANSWER HERE").
    """
    out = copy.deepcopy(nb)
    for index, cell in enumerate(out.cells):
        where = f"{name} cell {index}"
        if cell.cell_type != "code":
            for marker in (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN):
                if _marker_word(marker) in cell.source:
                    raise ValueError(
                        f"{where}: {_marker_word(marker)!r} in a {cell.cell_type} cell; nbgrader takes any "
                        "line holding it for a marker, and markers belong in code cells: reword the text")
            continue
        source = _clear_regions(cell.source, BEGIN_SOLUTION, END_SOLUTION, CODE_STUB, where)
        cell.source = _clear_regions(source, BEGIN_HIDDEN, END_HIDDEN, (), where)
        cell.outputs = []
        cell.execution_count = None
        cell.metadata.pop("execution", None)
    out.metadata.pop("widgets", None)
    return out


def source_notebooks(source: Path) -> list[Path]:
    """The course notebooks ``NN_slug.ipynb`` of folder ``source``, in order."""
    return sorted(source.glob("[0-9][0-9]_*.ipynb"))


def write_student_versions(source: Path, out: Path) -> list[Path]:
    """Write the student version of every notebook of ``source`` into ``out``; return their paths.

    ``out`` should sit at the same depth as ``source`` (``student/`` next to
    ``notebooks/``), so that relative links such as ``../figures/x.png`` still
    resolve. Notebooks of ``out`` with no source any more are removed.
    """
    paths = source_notebooks(source)
    if not paths:
        raise FileNotFoundError(f"no NN_slug.ipynb notebooks in {source}")
    versions = {p.name: student_notebook(nbformat.read(p, as_version=4), p.name) for p in paths}
    out.mkdir(parents=True, exist_ok=True)
    for stale in source_notebooks(out):
        if stale.name not in versions:
            stale.unlink()
    written = []
    for filename, nb in versions.items():
        nbformat.validate(nb)
        nbformat.write(nb, out / filename)
        written.append(out / filename)
    return written


# --------------------------------------------------------------------------- execution


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
    """Environment for a student kernel: ``course_utils`` importable, figures kept out of the repo."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["COURSE_FIGURES_DIR"] = str(figures)
    return env


def execute(nb: NotebookNode, cwd: Path, timeout: float, figures: Path | None = None) -> Execution:
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
        throw-away folder when omitted, so student runs never touch ``figures/``.

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
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                left = timeout - (time.monotonic() - start)
                try:
                    if left < 1:
                        raise CellTimeoutError(f"no time left before cell {index}")
                    client.timeout = int(left)
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    result.stopped_at, result.reason = index, f"timeout: notebook ran past {timeout:g} s (cell {index})"
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
    """What an executed cell printed to stdout."""
    return "".join(o.text for o in cell.get("outputs", []) if o.output_type == "stream" and o.name == "stdout")


# --------------------------------------------------------------------------- grading


@dataclass
class Grade:
    """One row of the grading table: a student file, an exercise, the verdict."""

    student_file: str
    notebook: str
    exercise: str
    status: str
    message: str


def _one_line(text: str, width: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def grade_exercise(ex: Exercise, run: Execution) -> tuple[str, str]:
    """``(status, message)`` of exercise ``ex`` in the executed notebook ``run``."""
    cells = run.nb.cells
    if not ex.check_cells:
        return "fail", "no cell calls a check_* function for this exercise"
    for index in range(ex.heading_cell, ex.end_cell):
        if run.stopped_at is not None and index >= run.stopped_at:
            if index == run.stopped_at:
                return ("timeout" if run.reason.startswith("timeout") else "error"), run.reason
            return "not run", f"not reached: {run.reason}"
        if cells[index].cell_type != "code":
            continue
        error = cell_error(cells[index])
        if error is None:
            continue
        name, message = error
        if name == "CheckFailed" or (name == "AssertionError" and index in ex.check_cells):
            return "fail", _one_line(f"{name}: {message}")
        if name == "NotImplementedError":
            return "unsolved", "NotImplementedError: the exercise is not done"
        return "error", _one_line(f"{name}: {message} (cell {index})")
    correct = {i: [line for line in cell_text(cells[i]).splitlines() if line.startswith("correct:")]
               for i in ex.check_cells}
    silent = [i for i, lines in correct.items() if not lines]
    if silent:
        return "fail", f"no 'correct: ...' line printed by checker cell {silent[0]}"
    return "pass", _one_line("; ".join(line for lines in correct.values() for line in lines))


def _restore_checks(submission: NotebookNode, source: NotebookNode) -> None:
    """Give the submission's checker cells the source's text, hidden tests included.

    An edited or deleted check thus does not count. When the submission kept the
    source's cells (the student version keeps every cell), checker cells are
    matched by position; otherwise by exercise heading and order.
    """
    if [c.cell_type for c in submission.cells] == [c.cell_type for c in source.cells]:
        pairs = [(j, j) for ex in find_exercises(source) for j in ex.check_cells]
    else:
        theirs = {ex.title: ex for ex in find_exercises(submission)}
        pairs = [
            (i, j)
            for ex in find_exercises(source)
            if ex.title in theirs and len(theirs[ex.title].check_cells) == len(ex.check_cells)
            for i, j in zip(theirs[ex.title].check_cells, ex.check_cells)
        ]
    for i, j in pairs:
        submission.cells[i].source = source.cells[j].source


def match_source(path: Path, sources: list[Path]) -> Path | None:
    """The source notebook a submitted file belongs to: same name, else same ``NN_`` number."""
    for src in sources:
        if src.name == path.name:
            return src
    number = NOTEBOOK_NAME.match(path.name)
    if number:
        for src in sources:
            if src.name.startswith(number.group(1) + "_"):
                return src
    return None


def grade_notebook(
    path: Path, student_file: str, source: Path | None, timeout: float,
) -> tuple[list[Grade], Execution | None]:
    """Grade one completed notebook; return its rows and its execution (``None`` if unreadable)."""
    name = source.name if source else path.name
    original = nbformat.read(source, as_version=4) if source else None
    expected = find_exercises(original) if original else None
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # noqa: BLE001  (any unreadable file is reported, not fatal)
        titles = [ex.title for ex in expected or []] or ["(notebook)"]
        return [Grade(student_file, name, t, "error", _one_line(f"unreadable notebook: {exc}")) for t in titles], None
    if original:
        _restore_checks(nb, original)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    found = {ex.title: ex for ex in find_exercises(nb)}
    titles = [ex.title for ex in expected] if expected is not None else list(found)
    run = execute(nb, path.parent, timeout)
    rows = []
    for title in titles:
        if title not in found:
            rows.append(Grade(student_file, name, title, "missing", "exercise heading not found in the submission"))
            continue
        status, message = grade_exercise(found[title], run)
        rows.append(Grade(student_file, name, title, status, message))
    if not titles:
        rows.append(Grade(student_file, name, "(notebook)", "error", "no exercises found"))
    return rows, run


def _grade_file(path: Path, student_file: str, source: Path | None, timeout: float) -> tuple[list[Grade], str]:
    """:func:`grade_notebook` reduced to what crosses a process boundary: rows and a log line."""
    rows, run = grade_notebook(path, student_file, source, timeout)
    note = "unreadable" if run is None else f"{run.seconds:.1f} s" + (f" ({run.reason})" if run.reason else "")
    return rows, f"graded {student_file}: {note}"


def grade_folder(folder: Path, source: Path, timeout: float, jobs: int = 1, log=None) -> list[Grade]:  # noqa: ANN001
    """Grade every ``*.ipynb`` under ``folder`` (recursively); return the table's rows.

    Parameters
    ----------
    folder : pathlib.Path
        Completed student notebooks, e.g. ``submissions/alice/00_start_here.ipynb``.
    source : pathlib.Path
        The folder of the source (solution) notebooks: names the exercises each
        file must have and restores their checker cells.
    timeout : float
        Seconds per notebook (see :func:`execute`).
    jobs : int
        Notebooks run at the same time, each in its own process and kernel.
    log : callable, optional
        Called with a progress line per notebook.

    Output
    ------
    list[Grade]
        One row per student file and exercise, in file order.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    sources = source_notebooks(source)
    paths = sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    if not paths:
        raise FileNotFoundError(f"no notebooks under {folder}")
    tasks = [(p, p.relative_to(folder).as_posix(), match_source(p, sources), timeout) for p in paths]
    rows: list[Grade] = []

    def collect(results) -> None:  # noqa: ANN001
        for new, line in results:
            if log:
                log(line)
            rows.extend(new)

    if jobs == 1:
        collect(map(_grade_file, *zip(*tasks)))
    else:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            collect(pool.map(_grade_file, *zip(*tasks)))
    return rows


def write_csv(rows: list[Grade], path: Path) -> None:
    """Write the grading table as CSV (header: student_file, notebook, exercise, status, message)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student_file", "notebook", "exercise", "status", "message"])
        writer.writerows([r.student_file, r.notebook, r.exercise, r.status, r.message] for r in rows)


def format_table(rows: list[Grade], width: int = 100) -> str:
    """The grading table as aligned text, one line per student file and exercise, then totals."""
    header = ("student file", "exercise", "status", "message")
    table = [(r.student_file, r.exercise, r.status, r.message) for r in rows]
    widths = [max(len(t[k]) for t in [header, *table]) for k in range(3)]
    lines = []
    for t in [header, *table]:
        head = "  ".join(t[k].ljust(widths[k]) for k in range(3))
        lines.append(f"{head}  {t[3][:width]}".rstrip())
    lines.insert(1, "-" * len(lines[0]))
    counts = {s: sum(r.status == s for r in rows) for s in STATUSES}
    lines.append("")
    lines.append("total: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n))
    return "\n".join(lines)


# --------------------------------------------------------------------------- full nbgrader


def nbgrader_notebook(nb: NotebookNode, points: int = 1) -> NotebookNode:
    """A copy of ``nb`` with nbgrader's cell metadata, for a full nbgrader workflow.

    Exercise cells become "autograded answer" cells (``solution: true``) and each
    exercise's checker cells "autograded tests" cells (``grade: true``, locked,
    ``points`` each; a checker raising ``CheckFailed`` scores 0). Sources are
    unchanged: nbgrader's ``generate_assignment`` then replaces the solution
    blocks exactly as :func:`student_notebook` does.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        A source notebook.
    points : int
        Points per checker cell.

    Output
    ------
    nbformat.NotebookNode
        The copy, every other cell without nbgrader metadata.
    """
    out = copy.deepcopy(nb)
    for number, ex in enumerate(find_exercises(out), start=1):
        for k, index in enumerate(ex.solution_cells, start=1):
            out.cells[index].metadata["nbgrader"] = {
                "grade": False, "solution": True, "locked": False,
                "grade_id": f"exercise{number}_answer{k}", "schema_version": 3}
        for k, index in enumerate(ex.check_cells, start=1):
            out.cells[index].metadata["nbgrader"] = {
                "grade": True, "solution": False, "locked": True, "points": points,
                "grade_id": f"exercise{number}_check{k}", "schema_version": 3}
    return out


def write_nbgrader_source(source: Path, course: Path) -> list[Path]:
    """Write every notebook of ``source`` as an nbgrader assignment: ``course/source/NN_slug/NN_slug.ipynb``."""
    written = []
    for path in source_notebooks(source):
        student_notebook(nbformat.read(path, as_version=4), path.name)  # refuse bad markers early
        target = course / "source" / path.stem / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nbgrader_notebook(nbformat.read(path, as_version=4)), target)
        written.append(target)
    return written


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.classroom", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("student", help="write the student versions of the notebooks")
    s.add_argument("--source", type=Path, default=ROOT / "notebooks", help="source notebooks (default: notebooks/)")
    s.add_argument("--out", type=Path, default=ROOT / "student", help="output folder (default: student/)")
    n = sub.add_parser("nbgrader", help="write the notebooks as nbgrader assignments (cell metadata added)")
    n.add_argument("course", type=Path, help="the nbgrader course folder (source/ is written in it)")
    n.add_argument("--source", type=Path, default=ROOT / "notebooks", help="source notebooks (default: notebooks/)")
    g = sub.add_parser("grade", help="run and grade a folder of completed student notebooks")
    g.add_argument("submissions", type=Path, help="folder of completed notebooks (searched recursively)")
    g.add_argument("--source", type=Path, default=ROOT / "notebooks", help="source notebooks (default: notebooks/)")
    g.add_argument("--csv", type=Path, default=Path("grades.csv"), help="CSV to write (default: grades.csv)")
    g.add_argument("--timeout", type=float, default=300, help="seconds per notebook (default: 300)")
    g.add_argument("--jobs", type=int, default=1, help="notebooks graded at the same time (default: 1)")
    args = parser.parse_args(argv)
    if args.command == "student":
        written = write_student_versions(args.source, args.out)
        for path in written:
            print(f"wrote {path.parent.name}/{path.name}")
        return 0
    if args.command == "nbgrader":
        for path in write_nbgrader_source(args.source, args.course):
            print(f"wrote source/{path.parent.name}/{path.name}")
        return 0
    rows = grade_folder(args.submissions, args.source, args.timeout, args.jobs,
                        log=lambda line: print(line, file=sys.stderr, flush=True))
    print(format_table(rows))
    write_csv(rows, args.csv)
    print(f"wrote {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
