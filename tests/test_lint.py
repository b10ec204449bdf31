"""Ruff over the package, the tests, tools, benchmarks and the notebooks (pyproject.toml's rules)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CODE = ["course_utils", "tests", "tools", "benchmarks", "conftest.py"]


def ruff(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_ruff_is_the_pinned_version() -> None:
    pin = re.search(r"^ruff==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M)
    assert pin, "requirements.txt must pin ruff"
    proc = ruff("--version")
    assert proc.returncode == 0, f"ruff is not installed: run ./course setup\n{proc.stderr}"
    assert proc.stdout.split() == ["ruff", pin[1]], proc.stdout


@pytest.mark.parametrize("paths", [CODE, ["notebooks"]], ids=["code", "notebooks"])
def test_ruff_finds_nothing(paths: list[str]) -> None:
    proc = ruff("check", "--no-cache", "--output-format", "concise", *paths)
    assert proc.returncode == 0, f"ruff check {' '.join(paths)}:\n{proc.stdout}{proc.stderr}"


def test_the_rules_catch_a_plain_mistake(tmp_path: Path) -> None:
    """The configuration is the one in force, and the check above can fail."""
    (tmp_path / "mistake.py").write_text("import os\n\n\ndef f(x=[]):\n    return x\n")
    proc = ruff("check", "--no-cache", "--output-format", "concise",
                "--config", str(ROOT / "pyproject.toml"), str(tmp_path / "mistake.py"))
    assert proc.returncode == 1
    assert {"F401", "B006"} <= set(re.findall(r": ([A-Z]+\d+) ", proc.stdout)), proc.stdout
