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
import select
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
    lesson_end : int
        Index of the first exercise heading: the cells before it are the source's
        lesson, the same for every submission of the notebook.
    """

    nb: NotebookNode
    roles: list[str] = field(default_factory=list)
    exercises: list[Exercise] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    lesson_end: int = 0


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
    program.lesson_end = min(regions, default=len(source.cells))
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


#: Seconds the judge process may take to start and run a notebook's lesson cells.
LESSON_TIMEOUT = 900.0


class JudgeServer:
    """One judge process for one source notebook: it runs the lesson once, then judges submissions.

    Each submission is judged in a child forked from the process after its lesson
    cells ran (:func:`course_utils.classroom.judge.main`), so that nothing one
    submission does in memory reaches the next, and the lesson's cost is paid once
    per notebook rather than once per submission.

    Parameters
    ----------
    program : Program
        Any submission's program for the notebook: its cells before
        ``lesson_end`` are the lesson.
    checkers : list[str]
        The ``course_utils.exercises`` modules the checker cells import.
    course : pathlib.Path
        A read-only copy of the course (:func:`~course_utils.classroom.pristine.copy_master`).
    figures : pathlib.Path
        A writable folder for the figures the lesson cells save.
    """

    def __init__(self, program: Program, checkers: list[str], course: Path, figures: Path) -> None:
        figures.mkdir(parents=True, exist_ok=True)
        self._read, write_end = os.pipe()
        self._buffer = b""
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-B", str(course / "course_utils" / "classroom" / "judge.py")],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(write_end,),
            start_new_session=True, env=_judge_env(figures), cwd=course / "notebooks")
        os.close(write_end)
        key = secrets.token_bytes(32)
        lesson = [program.nb.cells[i].source for i in range(program.lesson_end) if program.roles[i] == "lesson"]
        self._send({"fd": write_end, "root": str(course), "cwd": str(course / "notebooks"), "key": key.hex(),
                    "lesson": lesson, "checkers": checkers})
        line = self._line(time.monotonic() + LESSON_TIMEOUT)
        self.alive = bool(line) and (_verified(line, key, 1) or {}).get("kind") == "lesson"

    def _send(self, request: dict) -> None:
        try:
            self.proc.stdin.write(json.dumps(request).encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def _line(self, deadline: float) -> bytes | None:
        """The next line from the judge; ``b""`` at its end, ``None`` when ``deadline`` passes first."""
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self._read], [], [], left)
            if not ready:
                continue
            data = os.read(self._read, 1 << 16)
            if not data:
                return b""
            self._buffer += data
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def judge(self, program: Program, timeout: float) -> Judgement:
        """Judge one submission's ``program``; its cells from ``lesson_end`` on run in a fresh child.

        ``timeout`` is the seconds the child may run; it is killed when they are spent.
        """
        code_cells = [i for i, role in enumerate(program.roles) if role != "markdown" and i >= program.lesson_end]
        key = secrets.token_bytes(32)
        start = time.monotonic()
        result = Judgement(Execution(program.nb))
        self._send({"key": key.hex(),
                    "cells": [{"role": program.roles[i], "source": program.nb.cells[i].source} for i in code_cells]})
        expected, child, current, ended, exited, timed_out = 1, None, None, False, False, False
        while not exited:
            line = self._line(start + timeout if not timed_out else time.monotonic() + 30)
            if line is None and not timed_out:
                timed_out = True
                if child:
                    os.kill(child, signal.SIGKILL)
                continue
            if not line:  # the judge process itself is gone (or does not answer)
                self.alive = False
                break
            message = _verified(line, key, expected)
            if message is None:
                result.tampering = result.tampering or "wrote to the grader's report channel"
                continue
            kind = message["kind"]
            if message["seq"] == expected:
                expected += 1
            if kind == "fork":
                child = message["pid"]
            elif kind == "exit":
                exited = True
            elif kind == "start":
                current = code_cells[message["cell"]]
            elif kind == "ran":
                _store_outputs(program.nb.cells[code_cells[message["cell"]]], message)
                current = None
            elif kind == "tampering":
                where = f" (cell {code_cells[message['cell']]})" if message.get("cell") is not None else ""
                result.tampering = result.tampering or f"{message['what']}{where}"
            elif kind == "end":
                ended = True
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

    def close(self) -> None:
        """End the judge process and everything it started."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        os.close(self._read)


def _verified(line: bytes, key: bytes, expected: int) -> dict | None:
    """The judge's message on ``line`` if signed with ``key`` and in order, else ``None``.

    In order: numbered ``expected`` (the child's messages), or a ``fork`` / ``exit``
    message of the judge process itself (numbered below zero).
    """
    body, _, mac = line.rpartition(b"\t")
    good = hmac.new(key, body, hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(mac, good):
        return None
    try:
        message = json.loads(body)
    except ValueError:
        return None
    seq = message.get("seq")
    if seq == expected or (isinstance(seq, int) and seq < 0 and message.get("kind") in ("fork", "exit")):
        return message
    return None


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
    """One submitted file to grade (picklable: it crosses to a grading process)."""

    student_file: str
    content: bytes
    source_name: str | None


@dataclass
class Batch:
    """Submissions of one source notebook, graded by one :class:`JudgeServer` (picklable)."""

    source_name: str
    source_text: str
    tasks: list[Task]
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


def _read_submission(task: Task, titles: list[str]) -> tuple[NotebookNode | None, list[Grade]]:
    name = task.source_name or Path(task.student_file).name
    if task.source_name is None:  # nothing to grade against; its own cells are never run unmonitored
        return None, [Grade(task.student_file, name, "(notebook)", "error",
                            "no source notebook matches this file's name (NN_slug.ipynb)")]
    try:
        return nbformat.reads(task.content.decode("utf-8"), as_version=4), []
    except Exception as exc:  # noqa: BLE001  (any unreadable file is reported, not fatal)
        message = _one_line(f"unreadable notebook: {exc}")
        return None, [Grade(task.student_file, name, t, "error", message) for t in titles or ["(notebook)"]]


def _rows(task: Task, titles: list[str], program: Program, result: Judgement) -> list[Grade]:
    found = {ex.title: ex for ex in program.exercises}
    rows = []
    for title in titles:
        if title not in found:
            rows.append(Grade(task.student_file, task.source_name, title, "missing",
                              "exercise heading not found in the submission"))
        elif result.tampering:
            rows.append(Grade(task.student_file, task.source_name, title, "error",
                              _one_line(f"tampering: the submission {result.tampering}; it is not graded")))
        else:
            rows.append(Grade(task.student_file, task.source_name, title, *grade_exercise(found[title], result.run)))
    return rows


def grade_batch(batch: Batch) -> list[tuple[list[Grade], str]]:
    """Grade the submissions of ``batch``, one forked judge each; return their rows and progress lines.

    After each submission its course copy, the master copy and the course's own
    files are checked against the hashes taken when grading started; a change
    marks that submission as tampering, and the next one gets a new judge process
    with a new copy.
    """
    if not batch.source_text:  # files matching no source notebook: reported, never run
        return [(rows, f"graded {task.student_file}: {rows[0].message}")
                for task in batch.tasks for rows in [_read_submission(task, [])[1]]]
    source = nbformat.reads(batch.source_text, as_version=4)
    titles = [ex.title for ex in find_exercises(source)]
    checkers = sorted({m for ex in find_exercises(source) for i in ex.check_cells
                       for m in re.findall(r"course_utils\.exercises\.\w+", source.cells[i].source)})
    template = judged_program(source, source)
    out: list[tuple[list[Grade], str]] = []
    server, copies = None, 0
    try:
        for task in batch.tasks:
            submission, rows = _read_submission(task, titles)
            if submission is None:
                out.append((rows, f"graded {task.student_file}: {rows[0].message}"))
                continue
            if not titles:
                out.append(([Grade(task.student_file, task.source_name, "(notebook)", "error", "no exercises found")],
                            f"graded {task.student_file}: no exercises"))
                continue
            if server is None or not server.alive:
                if server is not None:
                    server.close()
                copies += 1
                course = pristine.copy_master(batch.master, batch.work / f"course-{copies}")
                if pristine.changed_files(course, batch.master.hashes):
                    raise RuntimeError("the course's master copy changed during grading (a submission graded "
                                       "earlier tampered with it: see its 'tampering' rows); grading stopped")
                server = JudgeServer(template, checkers, course, batch.work / f"figures-{copies}")
            program = judged_program(submission, source)
            result = server.judge(program, batch.timeout) if server.alive else Judgement(
                Execution(program.nb, program.lesson_end, "crash: the kernel died in the lesson cells"))
            changed = pristine.changed_files(course, batch.master.hashes) + [
                f"master copy: {p}" for p in pristine.changed_files(batch.master.path, batch.master.hashes)] + \
                _changed_course_files(batch.course_files)
            if changed:
                result.tampering = result.tampering or \
                    "changed the course files it is graded with: " + ", ".join(changed[:3])
                server.alive = False  # the next submission gets a fresh copy and a fresh judge
            run = result.run
            note = f"{run.seconds:.1f} s" + (f" ({run.reason})" if run.reason else "") + \
                (" (tampering)" if result.tampering else "")
            out.append((_rows(task, titles, program, result), f"graded {task.student_file}: {note}"))
    finally:
        if server is not None:
            server.close()
        pristine.remove(batch.work)
    return out


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
        Seconds per submitted notebook, for its own cells (each notebook's lesson
        cells run once, before its submissions, within :data:`LESSON_TIMEOUT`).
    jobs : int
        Judge processes at the same time, each grading a batch of submissions of
        one notebook.
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
    tasks = [Task(p.relative_to(folder).as_posix(), p.read_bytes(), match_source(p.name, list(sources)))
             for p in paths]
    work = Path(tempfile.mkdtemp(prefix="course-grade-"))
    try:
        master = pristine.make_master(work / "master")
        course_files = _course_files(pristine.ROOT, source)
        groups: dict[str | None, list[Task]] = {}
        for task in tasks:
            groups.setdefault(task.source_name, []).append(task)
        # Enough batches to keep every job busy, each paying its notebook's lesson once.
        per_group = max(1, -(-jobs // len(groups)))
        batches = []
        for name, members in groups.items():
            size = -(-len(members) // per_group)
            for k in range(0, len(members), size):
                batches.append(Batch(name or "", sources.get(name, ""), members[k:k + size], master,
                                     course_files, work / f"batch-{len(batches)}", timeout))
        if jobs == 1:
            results = map(grade_batch, batches)
        else:
            pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"))
            results = pool.map(grade_batch, batches)
        graded: dict[str, list[Grade]] = {}
        for batch_results in results:
            for rows, line in batch_results:
                if log:
                    log(line)
                graded[rows[0].student_file] = rows
        if jobs > 1:
            pool.shutdown()
    finally:
        pristine.remove(work)
    return [row for task in tasks for row in graded[task.student_file]]
