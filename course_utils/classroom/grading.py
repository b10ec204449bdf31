r"""The grading run: every submitted notebook judged in its own sealed process, one status per exercise.

For each submitted file the grader builds the program to judge from the source
notebook, which it read once before grading anything: the source's lesson cells
and checker cells (hidden tests included), and from the submission only the code
cells of each exercise (found by its ``### Exercise N: ...`` heading). It runs
that program in :mod:`course_utils.classroom.judge`, in a fresh process using the
submission's own read-only copy of the course (:mod:`course_utils.classroom.pristine`),
then checks by hash that neither that copy, the master copy nor the course's own
files changed. Each exercise gets one status (see :data:`~course_utils.classroom.report.STATUSES`)
and a message: the checker's ``correct: ...`` line, its ``CheckFailed`` message,
the error, or why the notebook stopped. A submission caught tampering gets
``error`` for every exercise, with a message saying what it did.

Examples
--------
>>> from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
>>> source = new_notebook(cells=[new_code_cell("import math"), new_markdown_cell("### Exercise 1: f"),
...                              new_code_cell("### BEGIN SOLUTION\nf = 1\n### END SOLUTION"),
...                              new_code_cell("check_f(f)")])
>>> submission = new_notebook(cells=[new_code_cell("import os"), new_markdown_cell("### Exercise 1: f"),
...                                  new_code_cell("f = 2"), new_code_cell("print('correct: trust me')")])
>>> program = judged_program(submission, source)
>>> [(role, cell.source) for role, cell in zip(program.roles, program.nb.cells)]
[('lesson', 'import math'), ('markdown', '### Exercise 1: f'), ('answer', 'f = 2'), ('check', 'check_f(f)')]
"""
from __future__ import annotations

import hashlib
import hmac
import json
import multiprocessing
import os
import re
import secrets
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from ..notebooks import course_notebooks
from . import pristine
from .find import Exercise, find_exercises
from .report import Grade
from .runner import Execution, cell_error, cell_text

NOTEBOOK_NAME = re.compile(r"^(\d\d)_")
#: Environment of every judge process: CPU only (so that all learner code runs on the monitored thread),
#: no display, figures kept out of the repository.
JUDGE_ENV = {"COURSE_DEVICE": "cpu", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}


@dataclass
class Program:
    """What the judge runs for one submission: cells with roles, and the exercises among them.

    Attributes
    ----------
    nb : nbformat.NotebookNode
        The cells, outputs cleared; the judge's outputs are stored in them.
    roles : list[str]
        Per cell: ``markdown``, ``lesson`` (source code), ``answer`` (the
        submission's code) or ``check`` (the source's checker cell).
    exercises : list[Exercise]
        The source's exercises present in the submission, indices into ``nb``.
    missing : list[str]
        Titles of the source's exercises whose heading is not in the submission.
    """

    nb: NotebookNode
    roles: list[str] = field(default_factory=list)
    exercises: list[Exercise] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def judged_program(submission: NotebookNode, source: NotebookNode) -> Program:
    """The program to judge: the source's cells, with the submission's code cells in each exercise.

    When the submission kept the source's cells (the student version keeps every
    cell), an exercise's cells are taken by position: the checker cells from the
    source, every other code cell from the submission. Otherwise the submission's
    code cells under the exercise's heading (its own checker cells left out) come
    between the source's statement and the source's checker cells.
    """
    program = Program(nbformat.v4.new_notebook(metadata=source.metadata))

    def add(cell: NotebookNode, role: str) -> int:
        new = nbformat.v4.new_code_cell(cell.source) if cell.cell_type == "code" else \
            nbformat.v4.new_markdown_cell(cell.source)
        program.nb.cells.append(new)
        program.roles.append(role if cell.cell_type == "code" else "markdown")
        return len(program.nb.cells) - 1

    theirs = {ex.title: ex for ex in find_exercises(submission)}
    same_shape = [c.cell_type for c in submission.cells] == [c.cell_type for c in source.cells]
    regions = {ex.heading_cell: ex for ex in find_exercises(source)}
    index = 0
    while index < len(source.cells):
        ex = regions.get(index)
        if ex is None:
            add(source.cells[index], "lesson")
            index += 1
            continue
        mine = theirs.get(ex.title)
        judged = Exercise(ex.title, len(program.nb.cells), 0)
        if mine is None:
            program.missing.append(ex.title)
            for j in range(ex.heading_cell, ex.end_cell):
                if source.cells[j].cell_type != "code":
                    add(source.cells[j], "markdown")
        elif same_shape and (mine.heading_cell, mine.end_cell) == (ex.heading_cell, ex.end_cell):
            for j in range(ex.heading_cell, ex.end_cell):
                if j in ex.check_cells:
                    judged.check_cells.append(add(source.cells[j], "check"))
                elif source.cells[j].cell_type == "code":
                    judged.solution_cells.append(add(submission.cells[j], "answer"))
                else:
                    add(source.cells[j], "markdown")
        else:
            first_check = min(ex.check_cells, default=ex.end_cell)
            for j in range(ex.heading_cell, first_check):
                if source.cells[j].cell_type != "code":
                    add(source.cells[j], "markdown")
            for j in range(mine.heading_cell, mine.end_cell):
                if submission.cells[j].cell_type == "code" and j not in mine.check_cells:
                    judged.solution_cells.append(add(submission.cells[j], "answer"))
            for j in range(first_check, ex.end_cell):
                role = "check" if j in ex.check_cells else "lesson"
                position = add(source.cells[j], role)
                if role == "check":
                    judged.check_cells.append(position)
        judged.end_cell = len(program.nb.cells)
        if mine is not None:
            program.exercises.append(judged)
        index = ex.end_cell
    return program


@dataclass
class Judgement:
    """The outcome of one judge process.

    Attributes
    ----------
    run : Execution
        The program's notebook with the outputs the judge reported; where and why it stopped.
    tampering : str | None
        What the submission was caught doing, or ``None``.
    """

    run: Execution
    tampering: str | None = None


def _judge_env(figures: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    return {**env, **JUDGE_ENV, "COURSE_FIGURES_DIR": str(figures)}


def judge(program: Program, course: Path, timeout: float, figures: Path) -> Judgement:
    """Run ``program`` in a fresh judge process using the course copy ``course``.

    Parameters
    ----------
    program : Program
        From :func:`judged_program`; its cells receive the outputs.
    course : pathlib.Path
        A read-only copy of the course (:func:`~course_utils.classroom.pristine.copy_master`).
    timeout : float
        Seconds for the whole program, process start included; the process is
        killed when they are spent.
    figures : pathlib.Path
        A writable folder for the figures the lesson cells save.

    Output
    ------
    Judgement
        The executed notebook, where it stopped, and any tampering.
    """
    code_cells = [i for i, role in enumerate(program.roles) if role != "markdown"]
    key = secrets.token_bytes(32)
    read_end, write_end = os.pipe()
    request = {"key": key.hex(), "fd": write_end, "root": str(course), "cwd": str(course / "notebooks"),
               "cells": [{"role": program.roles[i], "source": program.nb.cells[i].source} for i in code_cells]}
    start = time.monotonic()
    figures.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-I", "-B", str(course / "course_utils" / "classroom" / "judge.py")],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(write_end,),
        start_new_session=True, env=_judge_env(figures), cwd=course / "notebooks")
    os.close(write_end)
    result = Judgement(Execution(program.nb))
    expected, current, ended, timed_out, buffer = 1, None, False, False, b""
    try:
        proc.stdin.write(json.dumps(request).encode())
        proc.stdin.close()
    except BrokenPipeError:
        pass
    with selectors.DefaultSelector() as selector:
        selector.register(read_end, selectors.EVENT_READ)
        while not ended:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                timed_out = True
                break
            if not selector.select(left):
                continue
            data = os.read(read_end, 1 << 16)
            if not data:
                break
            buffer += data
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                message = _verified(line, key, expected)
                if message is None:
                    result.tampering = result.tampering or "wrote to the grader's report channel"
                    continue
                expected += 1
                kind = message["kind"]
                if kind == "start":
                    current = code_cells[message["cell"]]
                elif kind == "ran":
                    _store_outputs(program.nb.cells[code_cells[message["cell"]]], message)
                    current = None
                elif kind == "tampering":
                    where = f" (cell {code_cells[message['cell']]})" if message.get("cell") is not None else ""
                    result.tampering = result.tampering or f"{message['what']}{where}"
                elif kind == "end":
                    ended = True
    os.close(read_end)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()
    run = result.run
    if not ended:
        done = [i for i in code_cells if program.nb.cells[i].outputs or i == current]
        stop = current if current is not None else next((i for i in code_cells if i not in done), None)
        if stop is not None:
            run.stopped_at = stop
            run.reason = (f"timeout: notebook ran past {timeout:g} s (cell {stop})" if timed_out
                          else f"crash: the kernel died in cell {stop}")
    run.seconds = time.monotonic() - start
    return result


def _verified(line: bytes, key: bytes, expected: int) -> dict | None:
    """The judge's message on ``line`` if its MAC and number are right, else ``None``."""
    body, _, mac = line.rpartition(b"\t")
    good = hmac.new(key, body, hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(mac, good):
        return None
    try:
        message = json.loads(body)
    except ValueError:
        return None
    return message if message.get("seq") == expected else None


def _store_outputs(cell: NotebookNode, message: dict) -> None:
    cell.outputs = []
    if message.get("stdout"):
        cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=message["stdout"]))
    if message.get("error"):
        name, value = message["error"]
        cell.outputs.append(nbformat.v4.new_output("error", ename=name, evalue=value, traceback=[]))


def _one_line(text: str, width: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def grade_exercise(ex: Exercise, run: Execution) -> tuple[str, str]:
    r"""``(status, message)`` of exercise ``ex`` in the executed notebook ``run``.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
    >>> nb = new_notebook(cells=[new_markdown_cell("### Exercise 1: f"), new_code_cell("f = 1"),
    ...                          new_code_cell("check_f(f)", outputs=[new_output("stream", name="stdout",
    ...                                                                          text="correct: f is 1\n")])])
    >>> grade_exercise(find_exercises(nb)[0], Execution(nb))
    ('pass', 'correct: f is 1')
    """
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


def match_source(name: str, sources: list[str]) -> str | None:
    """The source notebook a submitted file belongs to: same name, else same ``NN_`` number.

    Examples
    --------
    >>> match_source("00_mine.ipynb", ["00_start_here.ipynb", "01_function_basics.ipynb"])
    '00_start_here.ipynb'
    """
    if name in sources:
        return name
    number = NOTEBOOK_NAME.match(name)
    return next((s for s in sources if number and s.startswith(number.group(1) + "_")), None)


@dataclass
class Task:
    """One submitted file to grade, with everything the grading process needs (picklable)."""

    student_file: str
    content: bytes
    source_name: str | None
    source_text: str | None
    master: pristine.Master
    course_files: dict[str, str]
    work: Path
    timeout: float


def _course_files(root: Path, source: Path) -> dict[str, str]:
    """Hashes of the course's own files a submission must not change: its Python modules and source notebooks."""
    files = sorted((root / "course_utils").rglob("*.py")) + course_notebooks(source)
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def _changed_course_files(hashes: dict[str, str]) -> list[str]:
    def digest(path: str) -> str | None:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest() if Path(path).is_file() else None
    return sorted(p for p, h in hashes.items() if digest(p) != h)


def grade_submission(task: Task) -> tuple[list[Grade], str]:
    """Grade one submitted file in its own judge process; return its rows and a progress line."""
    name = task.source_name or Path(task.student_file).name
    source = nbformat.reads(task.source_text, as_version=4) if task.source_text else None
    titles = [ex.title for ex in find_exercises(source)] if source else []
    try:
        submission = nbformat.reads(task.content.decode("utf-8"), as_version=4)
    except Exception as exc:  # noqa: BLE001  (any unreadable file is reported, not fatal)
        message = _one_line(f"unreadable notebook: {exc}")
        return [Grade(task.student_file, name, t, "error", message) for t in titles or ["(notebook)"]], \
            f"graded {task.student_file}: unreadable"
    if source is None:  # nothing to grade against; its own cells are never run unmonitored
        return [Grade(task.student_file, name, "(notebook)", "error",
                      "no source notebook matches this file's name (NN_slug.ipynb)")], \
            f"graded {task.student_file}: no source"
    if not titles:
        return [Grade(task.student_file, name, "(notebook)", "error", "no exercises found")], \
            f"graded {task.student_file}: no exercises"
    program = judged_program(submission, source)
    course = pristine.copy_master(task.master, task.work / "course")
    if pristine.changed_files(course, task.master.hashes):
        pristine.remove(task.work)
        raise RuntimeError("the course's master copy changed during grading (a submission graded earlier "
                           "tampered with it: see its 'tampering' rows); grading stopped")
    try:
        result = judge(program, course, task.timeout, task.work / "figures")
        changed = pristine.changed_files(course, task.master.hashes) + [
            f"master copy: {p}" for p in pristine.changed_files(task.master.path, task.master.hashes)] + \
            _changed_course_files(task.course_files)
    finally:
        pristine.remove(task.work)
    if changed and not result.tampering:
        result.tampering = "changed the course files it is graded with: " + ", ".join(changed[:3])
    run = result.run
    found = {ex.title: ex for ex in program.exercises}
    rows = []
    for title in titles:
        if title not in found:
            rows.append(Grade(task.student_file, name, title, "missing", "exercise heading not found in the submission"))
        elif result.tampering:
            rows.append(Grade(task.student_file, name, title, "error",
                              _one_line(f"tampering: the submission {result.tampering}; it is not graded")))
        else:
            rows.append(Grade(task.student_file, name, title, *grade_exercise(found[title], run)))
    note = f"{run.seconds:.1f} s" + (f" ({run.reason})" if run.reason else "") + \
        (" (tampering)" if result.tampering else "")
    return rows, f"graded {task.student_file}: {note}"


def grade_folder(folder: Path, source: Path, timeout: float, jobs: int = 1,
                 log: Callable[[str], None] | None = None) -> list[Grade]:
    """Grade every ``*.ipynb`` under ``folder`` (recursively); return the table's rows.

    Parameters
    ----------
    folder : pathlib.Path
        Completed student notebooks, e.g. ``submissions/alice/00_start_here.ipynb``.
        Every file is read before the first is graded.
    source : pathlib.Path
        The folder of the source (solution) notebooks: names the exercises each
        file must have and supplies the lesson and checker cells.
    timeout : float
        Seconds per notebook, process start included.
    jobs : int
        Notebooks graded at the same time, each in its own process.
    log : callable, optional
        Called with a progress line per notebook.

    Output
    ------
    list[Grade]
        One row per student file and exercise, in file order.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    paths = sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    if not paths:
        raise FileNotFoundError(f"no notebooks under {folder}")
    sources = {p.name: p.read_text(encoding="utf-8") for p in course_notebooks(source)}
    work = Path(tempfile.mkdtemp(prefix="course-grade-"))
    try:
        master = pristine.make_master(work / "master")
        course_files = _course_files(pristine.ROOT, source)
        tasks = []
        for number, path in enumerate(paths):
            matched = match_source(path.name, list(sources))
            tasks.append(Task(path.relative_to(folder).as_posix(), path.read_bytes(), matched,
                              sources.get(matched), master, course_files, work / f"submission-{number}", timeout))
        rows: list[Grade] = []
        if jobs == 1:
            results = map(grade_submission, tasks)
        else:
            pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"))
            results = pool.map(grade_submission, tasks)
        for new, line in results:
            if log:
                log(line)
            rows.extend(new)
        if jobs > 1:
            pool.shutdown()
    finally:
        pristine.remove(work)
    return rows
