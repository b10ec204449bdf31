"""Classroom mode: student versions of the notebooks, a grading run a submission cannot forge, nbgrader export.

One module per job (README, "For instructors")::

    find       the exercises of a notebook: markers, headings, checker cells
    student    student versions (solution blocks replaced by nbgrader's stub)
    runner     the one notebook runner (a fresh kernel; ``./course run``, the tests)
    grading    the grading run: a judge process per notebook, a forked child per submission
    judge      what runs in that process: the lesson once, then each submission under monitors
    pristine   the read-only per-submission copies of the course, verified by hash
    report     the grading table and its CSV
    nbgrader   the notebooks as nbgrader assignments
    cli        ``python -m course_utils.classroom student | grade | nbgrader``

nbformat and nbclient are needed (``pip install course-utils[classroom]``).

Examples
--------
>>> STATUSES
('pass', 'fail', 'unsolved', 'error', 'timeout', 'not run', 'missing')
"""
from .cli import main
from .find import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_HIDDEN,
    END_SOLUTION,
    Exercise,
    find_exercises,
    has_solution,
    solution_blocks,
)
from .grading import JudgeServer, Program, grade_batch, grade_exercise, grade_folder, judged_program, match_source
from .nbgrader import nbgrader_notebook, write_nbgrader_source
from .report import CSV_COLUMNS, STATUSES, Grade, format_table, write_csv
from .runner import Execution, cell_error, cell_text, execute, run_in_place
from .student import CODE_STUB, student_notebook, write_student_versions

__all__ = [
    "BEGIN_HIDDEN",
    "BEGIN_SOLUTION",
    "CODE_STUB",
    "CSV_COLUMNS",
    "END_HIDDEN",
    "END_SOLUTION",
    "STATUSES",
    "Execution",
    "Exercise",
    "Grade",
    "JudgeServer",
    "Program",
    "cell_error",
    "cell_text",
    "execute",
    "find_exercises",
    "format_table",
    "grade_batch",
    "grade_exercise",
    "grade_folder",
    "has_solution",
    "judged_program",
    "main",
    "match_source",
    "nbgrader_notebook",
    "run_in_place",
    "solution_blocks",
    "student_notebook",
    "write_csv",
    "write_nbgrader_source",
    "write_student_versions",
]
