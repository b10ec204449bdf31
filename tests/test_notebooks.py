"""Hygiene of the committed notebooks (their execution is tested by nbval)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
from course_utils.notebooks import course_notebooks  # noqa: E402  (the one list of the course's notebooks)
NOTEBOOKS = course_notebooks()
MAX_BYTES = 1_000_000
LEAK = re.compile(r"/work/|/tmp/|/root/|/home/[a-z]|/Users/|[A-Z]:\\\\|0x[0-9a-fA-F]{8,}")
# Headings allowed after "## Summary": the end matter of every notebook.
END_MATTER = re.compile(r"^#+\s*(Summary|Exercises?\b.*|Hints?\b.*|What's next.*|Next\b.*)$", re.I)


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def test_notebooks_exist_and_are_named_in_order() -> None:
    assert NOTEBOOKS, "no notebooks found in notebooks/"
    for path in NOTEBOOKS:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), (
            f"{path.name}: notebooks are named NN_slug.ipynb (two digits, lowercase slug)"
        )
    numbers = [p.name[:2] for p in NOTEBOOKS]
    assert len(set(numbers)) == len(numbers), f"two notebooks share a number: {numbers}"


def test_readme_lists_every_notebook_in_order() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = []
    for name in re.findall(r"notebooks/(\d\d_[a-z0-9_]+\.ipynb)", readme):
        if name not in listed:
            listed.append(name)
    assert listed == [p.name for p in NOTEBOOKS], (
        "README's notebook list must name every notebook, in order:\n"
        f"  README: {listed}\n  on disk: {[p.name for p in NOTEBOOKS]}"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
class TestNotebook:
    def test_valid_small_python3(self, path: Path) -> None:
        assert path.stat().st_size < MAX_BYTES, f"{path.name} is over 1 MB: shrink its figures or outputs"
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert nb.metadata.get("kernelspec", {}).get("name") == "python3", "kernelspec must be python3"

    def test_executed_top_to_bottom_without_errors(self, path: Path) -> None:
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
        counts = [c.execution_count for c in code]
        assert counts == list(range(1, len(code) + 1)), (
            f"{path.name}: execution counts {counts} are not 1..{len(code)}: "
            "run it with ./course run (a fresh kernel, top to bottom)"
        )
        assert any(c.outputs for c in code), f"{path.name}: no stored outputs"
        for i, cell in enumerate(nb.cells):
            for out in cell.get("outputs", []):
                assert out.output_type != "error", f"{path.name} cell {i}: stored error output"
                text = json.dumps(out.get("text", "")) + json.dumps(
                    {k: v for k, v in out.get("data", {}).items() if k.startswith("text/")})
                leak = LEAK.search(text)
                assert not leak, f"{path.name} cell {i}: output shows {leak.group(0)!r} (a path or address)"

    def test_structure(self, path: Path) -> None:
        nb = nbformat.read(path, as_version=4)
        first = nb.cells[0]
        assert first.cell_type == "markdown" and first.source.startswith("# "), (
            f"{path.name}: the first cell is a markdown title ('# ...')")
        for part in ("Estimated time", "Objectives", "Prerequisites"):
            assert part in first.source, f"{path.name}: the first cell must state '{part}'"
        headings = [
            line.strip()
            for cell in nb.cells if cell.cell_type == "markdown"
            for line in cell.source.splitlines() if line.startswith("#")
        ]
        summary = [i for i, h in enumerate(headings) if re.match(r"^##\s*Summary\s*$", h)]
        assert summary, f"{path.name}: no '## Summary' section"
        after = [h for h in headings[summary[-1]:] if not END_MATTER.match(h)]
        assert not after, (
            f"{path.name}: only the summary, exercises, hints and what's next come after "
            f"'## Summary'; found {after}")
