"""The check behind "a test run leaves the work tree as it found it" (conftest.py).

At the start of every run conftest.py records ``git_tree_state()``; at the end it fails
the run if ``tree_changes`` finds any difference. Here that comparison is shown to catch
each kind of change, on a scratch repository.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import git_tree_state, tree_changes


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@localhost", *args],
                   cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "a.png").write_bytes(b"committed")
    (tmp_path / "notes.txt").write_text("committed\n")
    (tmp_path / ".gitignore").write_text("build/\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "start")
    return tmp_path


def test_a_clean_tree_has_no_state(repo: Path) -> None:
    assert git_tree_state(repo) == {}


def test_every_kind_of_change_is_caught(repo: Path) -> None:
    (repo / "notes.txt").write_text("edited before the run\n")  # a contributor's own edit
    before = git_tree_state(repo)
    assert tree_changes(before, git_tree_state(repo)) == []

    (repo / "figures" / "a.png").write_bytes(b"regenerated")           # a tracked file rewritten
    (repo / "figures" / "new.png").write_bytes(b"new")                  # an untracked file
    (repo / "notes.txt").write_text("edited again by the run\n")         # an edited file changed again
    (repo / "build").mkdir()
    (repo / "build" / "log.txt").write_text("ignored\n")                # ignored: fine
    assert tree_changes(before, git_tree_state(repo)) == ["?? figures/new.png", "M figures/a.png", "M notes.txt"]


def test_a_file_restored_to_its_committed_state_is_a_change_too(repo: Path) -> None:
    (repo / "notes.txt").write_text("edited\n")
    before = git_tree_state(repo)
    _git(repo, "checkout", "--", "notes.txt")
    assert tree_changes(before, git_tree_state(repo)) == ["gone notes.txt"]


def test_outside_a_checkout_there_is_nothing_to_compare(tmp_path: Path) -> None:
    assert git_tree_state(tmp_path) is None
