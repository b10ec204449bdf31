r"""Student versions: every solution block replaced by nbgrader's stub, hidden tests and outputs removed.

Examples
--------
>>> from nbformat.v4 import new_code_cell, new_notebook
>>> nb = new_notebook(cells=[new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION")])
>>> print(student_notebook(nb).cells[0].source)
def f():
    # YOUR CODE HERE
    raise NotImplementedError()
"""
from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from ..notebooks import course_notebooks
from .find import BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION, _marker_word, _region_lines

#: What replaces a solution block (nbgrader's default ``ClearSolutions.code_stub``).
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")


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


def write_student_versions(source: Path, out: Path) -> list[Path]:
    """Write the student version of every notebook of ``source`` into ``out``; return their paths.

    ``out`` should sit at the same depth as ``source`` (``student/`` next to
    ``notebooks/``), so that relative links such as ``../figures/x.png`` still
    resolve. Notebooks of ``out`` with no source any more are removed.
    """
    paths = course_notebooks(source)
    if not paths:
        raise FileNotFoundError(f"no notebooks in {source}")
    versions = {p.name: student_notebook(nbformat.read(p, as_version=4), p.name) for p in paths}
    out.mkdir(parents=True, exist_ok=True)
    for stale in course_notebooks(out):
        if stale.name not in versions:
            stale.unlink()
    written = []
    for filename, nb in versions.items():
        nbformat.validate(nb)
        nbformat.write(nb, out / filename)
        written.append(out / filename)
    return written
