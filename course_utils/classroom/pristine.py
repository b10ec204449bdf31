"""Pristine copies of the course for grading: one read-only copy per submission, verified by hash.

A grading run first copies what a notebook imports or reads (``course_utils/``,
its compiled bytecode, ``benchmarks/results/``) into a read-only *master* copy and
records the SHA-256 of every file. Each submission is then graded with its own
copy of the master, and after its run that copy, the master and the course's own
files are compared with the recorded hashes: a submission that changed any of
them is told so (:func:`changed_files`), and no later submission sees the change.

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     master = make_master(Path(tmp) / "master")
...     copy = copy_master(master, Path(tmp) / "alice")
...     print(changed_files(copy, master.hashes), (copy / "course_utils" / "checking.py").is_file())
[] True
"""
from __future__ import annotations

import compileall
import hashlib
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: What a graded notebook may import or read, relative to the repository.
COURSE_PARTS = ("course_utils", "benchmarks/results")


@dataclass
class Master:
    """The read-only master copy of the course and the hash of each of its files."""

    path: Path
    hashes: dict[str, str]


def tree_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder``, by path relative to it (links are refused).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "a.txt").write_text("a")
    ...     tree_hashes(Path(tmp))["a.txt"][:12]
    'ca978112ca1b'
    """
    hashes = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            hashes[rel] = "symlink"
        elif path.is_file():
            hashes[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def _set_read_only(folder: Path, read_only: bool) -> None:
    for path in [folder, *folder.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        if read_only:
            path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        else:
            path.chmod(mode | stat.S_IWUSR)


def make_master(target: Path, root: Path = ROOT) -> Master:
    """Copy the course's :data:`COURSE_PARTS` of ``root`` to ``target``, compile it, make it read-only."""
    target.mkdir(parents=True)
    for part in COURSE_PARTS:
        if (root / part).is_dir():
            shutil.copytree(root / part, target / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    compileall.compile_dir(target / "course_utils", quiet=1)
    (target / "notebooks").mkdir()
    _set_read_only(target, True)
    return Master(target, tree_hashes(target))


def copy_master(master: Master, target: Path) -> Path:
    """A fresh read-only copy of ``master`` at ``target`` (its parent is created); return ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(master.path, target, copy_function=shutil.copy2)
    _set_read_only(target, True)
    return target


def changed_files(folder: Path, hashes: dict[str, str]) -> list[str]:
    """Paths under ``folder`` added, removed or changed with respect to ``hashes``, sorted."""
    now = tree_hashes(folder) if folder.is_dir() else {}
    return sorted(p for p in set(now) | set(hashes) if now.get(p) != hashes.get(p))


def remove(folder: Path) -> None:
    """Delete a copy made by :func:`copy_master` or :func:`make_master` (read-only files included)."""
    if folder.exists():
        _set_read_only(folder, False)
        shutil.rmtree(folder)
