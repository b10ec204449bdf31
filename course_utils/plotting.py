"""Saving figures into the repository's ``figures/`` folder, reproducibly.

Taught in notebook 00; used by every notebook that draws.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # matplotlib is imported lazily: torch-only helpers stay light
    from matplotlib.figure import Figure

_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]*\.png$")


def figures_dir() -> Path:
    """The folder figures are written to: ``$COURSE_FIGURES_DIR`` or ``<repo>/figures``.

    Examples
    --------
    >>> from unittest import mock
    >>> with mock.patch.dict("os.environ", {"COURSE_FIGURES_DIR": "/tmp/course-figures"}):
    ...     figures_dir()
    PosixPath('/tmp/course-figures')
    """
    override = os.environ.get("COURSE_FIGURES_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "figures"


def savefig(name: str, fig: Figure | None = None, *, dpi: int = 80) -> None:
    """Write ``fig`` (default: the current figure) to ``figures/<name>``.

    The PNG carries no timestamp and no software version, so re-running a
    notebook on the same versions rewrites the same bytes. Nothing is returned
    (a returned path would print a machine path in the notebook); a short
    ``saved figures/<name>`` line is printed instead.

    Parameters
    ----------
    name : str
        A file name such as ``"p3_fit.png"``: lowercase letters, digits, ``_`` or
        ``-``, ending in ``.png``.
    fig : matplotlib.figure.Figure, optional
        The figure to save; the current one when omitted.
    dpi : int
        Resolution; the default keeps figures small for the repository.

    Examples
    --------
    >>> import tempfile
    >>> from unittest import mock
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1, 2], [0, 1, 4])
    >>> with tempfile.TemporaryDirectory() as folder, mock.patch.dict("os.environ", {"COURSE_FIGURES_DIR": folder}):
    ...     savefig("parabola.png", fig)
    ...     (Path(folder) / "parabola.png").is_file()
    saved figures/parabola.png
    True
    >>> plt.close(fig)
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            f"figure name must look like 'my_plot.png' (lowercase, digits, '_' or '-'), got {name!r}"
        )
    import matplotlib.pyplot as plt

    fig = plt.gcf() if fig is None else fig
    out = figures_dir()
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / name, dpi=dpi, metadata={"Software": None}, bbox_inches="tight")
    print(f"saved figures/{name}")
