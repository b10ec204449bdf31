r"""Finding the exercises of a notebook: solution markers, ``### Exercise N`` headings, checker cells.

The notebooks in ``notebooks/`` are the single source: each exercise cell holds
its solution between nbgrader's default markers, ``### BEGIN SOLUTION`` and
``### END SOLUTION`` (optionally, instructor-only checks between ``### BEGIN
HIDDEN TESTS`` and ``### END HIDDEN TESTS``), and the code cell right after it
calls a ``check_*`` checker from :mod:`course_utils.exercises`.

Examples
--------
>>> from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
>>> nb = new_notebook(cells=[new_markdown_cell("### Exercise 1: `f`"),
...                          new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"),
...                          new_code_cell("check_f(f)")])
>>> [(ex.title, ex.solution_cells, ex.check_cells) for ex in find_exercises(nb)]
[('Exercise 1: `f`', [1], [2])]
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from nbformat import NotebookNode

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"

EXERCISE_HEADING = re.compile(r"^###\s+(Exercise\s+\d+\b.*?)\s*$")
HINT = re.compile(r"<details>\s*<summary>\s*Hint\b", re.I)
CHECK_CALL = re.compile(r"\bcheck_\w+\s*\(")

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
    r"""The lines between each ``### BEGIN SOLUTION`` / ``### END SOLUTION`` pair of ``source``.

    Raises ``ValueError`` (naming ``where``) for an unbalanced, nested or
    not-alone marker.

    Examples
    --------
    >>> solution_blocks("x = 1\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION")
    [['y = 2']]
    """
    lines = source.split("\n")
    return [lines[a + 1:b] for a, b in _region_lines(source, BEGIN_SOLUTION, END_SOLUTION, where)]


def has_solution(cell: NotebookNode) -> bool:
    r"""Whether ``cell`` is an exercise cell: a code cell with a solution block.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell
    >>> has_solution(new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION"))
    True
    """
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
