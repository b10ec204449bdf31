"""README's table "PyTorch extension API -> where the course teaches it" tells the truth.

Each row names an API as it is written in code (first column, in backticks) and the
notebooks that teach it (links in the last column); every one of those notebooks must
use that text in a code cell.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
HEADING = "### PyTorch extension API → where the course teaches it"


def _rows() -> list[tuple[str, list[str]]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert HEADING in readme, f"README has no section {HEADING!r}"
    section = readme.split(HEADING, 1)[1].split("\n#", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        api = re.fullmatch(r"`([^`]+)`", cells[0])
        assert api, f"README API table: the first column must be one `name`, got {cells[0]!r}"
        notebooks = re.findall(r"\(notebooks/(\d\d_[a-z0-9_]+\.ipynb)\)", cells[2])
        assert notebooks, f"README API table: row {api.group(1)!r} links no notebook"
        rows.append((api.group(1), notebooks))
    return rows


ROWS = _rows()


def test_the_table_has_the_apis_of_the_extension_notes() -> None:
    names = {name for name, _ in ROWS}
    for required in ("setup_context", "generate_vmap_rule", "once_differentiable", "gradgradcheck",
                     "torch.compile", "saved_tensors_hooks", "ctx.save_for_forward", "torch.func.jvp",
                     "torch.func.jacfwd", "check_forward_ad", "ctx.mark_dirty",
                     "ctx.mark_non_differentiable", "ctx.set_materialize_grads", "fast_mode",
                     "check_batched_grad", "check_undefined_grad", "torch.library.custom_op",
                     "register_fake", "register_autograd", "mutates_args", "torch.library.opcheck"):
        assert required in names, f"README API table: no row for {required!r}"
    assert len(names) == len(ROWS), "README API table: a name appears in two rows"


@pytest.mark.parametrize("name, notebooks", ROWS, ids=[name for name, _ in ROWS])
def test_each_named_notebook_uses_the_api_in_code(name: str, notebooks: list[str]) -> None:
    for notebook in notebooks:
        path = ROOT / "notebooks" / notebook
        assert path.exists(), f"README API table: {name!r} points to {notebook}, which does not exist"
        nb = nbformat.read(path, as_version=4)
        assert any(name in cell.source for cell in nb.cells if cell.cell_type == "code"), (
            f"README API table: {notebook} is said to teach {name!r} but no code cell uses it")
