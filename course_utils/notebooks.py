"""The course's notebooks, in order: the one list every tool and test uses.

The course is the ordered set of ``NN_slug.ipynb`` files of ``notebooks/``
(``tests/test_notebooks.py`` checks the names). This module imports nothing
beyond the standard library, so tools can list notebooks without nbformat.
"""
from __future__ import annotations

from pathlib import Path

#: The repository's folder of course notebooks.
NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"


def course_notebooks(folder: Path | None = None) -> list[Path]:
    """Every ``*.ipynb`` of ``folder`` (default: the course's ``notebooks/``), sorted by name.

    Parameters
    ----------
    folder : pathlib.Path, optional
        A folder of notebooks, e.g. ``student/``; not searched recursively, so
        ``.ipynb_checkpoints/`` is never listed.

    Output
    ------
    list[pathlib.Path]
        The notebooks in course order (their names start with their two-digit number).

    Examples
    --------
    >>> [p.name for p in course_notebooks()][:2]
    ['00_start_here.ipynb', '01_function_basics.ipynb']
    """
    folder = NOTEBOOKS_DIR if folder is None else Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no such folder of notebooks: {folder}")
    return sorted(p for p in folder.glob("*.ipynb") if p.is_file())
