r"""The notebooks as nbgrader assignments: nbgrader's cell metadata added, sources unchanged.

For instructors who use nbgrader itself (``./course nbgrader COURSE_DIR``):
exercise cells become "autograded answer" cells, their checker cells
"autograded tests" cells; nbgrader's ``generate_assignment`` then writes the
same student versions as :mod:`course_utils.classroom.student`.

Examples
--------
>>> from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
>>> nb = new_notebook(cells=[new_markdown_cell("### Exercise 1: `f`"),
...                          new_code_cell("### BEGIN SOLUTION\nf = 1\n### END SOLUTION"),
...                          new_code_cell("check_f(f)")])
>>> [c.metadata.get("nbgrader", {}).get("grade_id") for c in nbgrader_notebook(nb).cells]
[None, 'exercise1_answer1', 'exercise1_check1']
"""
from __future__ import annotations

import copy
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from ..notebooks import course_notebooks
from .find import find_exercises
from .student import student_notebook


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
    for path in course_notebooks(source):
        student_notebook(nbformat.read(path, as_version=4), path.name)  # refuse bad markers early
        target = course / "source" / path.stem / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nbgrader_notebook(nbformat.read(path, as_version=4)), target)
        written.append(target)
    return written
