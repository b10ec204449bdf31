import hashlib
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from course_utils import figures_dir, savefig

ROOT = Path(__file__).resolve().parent.parent


def _draw() -> plt.Figure:
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2], [0, 1, 4])
    return fig


def test_savefig_is_byte_reproducible(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("COURSE_FIGURES_DIR", str(tmp_path))
    assert figures_dir() == tmp_path
    digests = []
    for _ in range(2):
        fig = _draw()
        savefig("demo.png", fig)
        plt.close(fig)
        digests.append(hashlib.sha256((tmp_path / "demo.png").read_bytes()).hexdigest())
    assert digests[0] == digests[1]
    assert capsys.readouterr().out.splitlines()[-1] == "saved figures/demo.png"
    assert b"Software" not in (tmp_path / "demo.png").read_bytes()


@pytest.mark.parametrize("name", ["Demo.png", "demo.jpg", "../demo.png", "sub/demo.png", "", 3])
def test_savefig_refuses_bad_names(name, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("COURSE_FIGURES_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="figure name"):
        savefig(name, _draw())
    plt.close("all")


def test_default_folder_is_the_repositorys_figures(monkeypatch) -> None:
    monkeypatch.delenv("COURSE_FIGURES_DIR")
    assert figures_dir() == ROOT / "figures"


def test_the_test_run_writes_figures_outside_the_repository() -> None:
    """conftest.py points every kernel of the run at a temporary folder: figures/ stays as committed."""
    folder = Path(os.environ["COURSE_FIGURES_DIR"]).resolve()
    assert folder == figures_dir().resolve() and folder.is_dir()
    assert not folder.is_relative_to(ROOT), folder
