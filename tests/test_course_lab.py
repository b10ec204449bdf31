"""``./course lab``: the command line it builds, run against a stand-in ``jupyter``.

The script is copied into a temporary folder with a ``.venv`` whose set-up stamp is
current (so nothing is installed) and whose ``bin/jupyter`` only prints what it was
given; a stand-in ``id`` plays root or an ordinary user.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "notebooks/00_start_here.ipynb"

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the display check is Linux's")

STUB_JUPYTER = """#!/usr/bin/env bash
printf 'ARG %s\\n' "$@"
echo "TOKEN $JUPYTER_TOKEN"
"""


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the entry point, its environment set up, ``jupyter`` a stand-in."""
    for name in ("course", "requirements.txt", "pyproject.toml"):
        shutil.copy2(ROOT / name, tmp_path / name)
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    stamp = hashlib.sha256((tmp_path / "requirements.txt").read_bytes()
                           + (tmp_path / "pyproject.toml").read_bytes()).hexdigest()
    (tmp_path / ".venv" / ".course-stamp").write_text(stamp + "\n")
    (bin_dir / "jupyter").write_text(STUB_JUPYTER)
    (bin_dir / "jupyter").chmod(0o755)
    return tmp_path


def run_lab(checkout: Path, uid: int, *args: str, **env: str) -> tuple[list[str], str, str]:
    """``./course lab ARGS`` as user ``uid``: (arguments jupyter got, its token, the output)."""
    fake = checkout / "fake-id"
    fake.mkdir(exist_ok=True)
    (fake / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    (fake / "id").chmod(0o755)
    base = {k: v for k, v in os.environ.items()
            if k not in ("DISPLAY", "WAYLAND_DISPLAY", "JUPYTER_TOKEN") and not k.startswith("COURSE_LAB_")}
    base["PATH"] = f"{fake}{os.pathsep}{base['PATH']}"
    proc = subprocess.run([str(checkout / "course"), "lab", *args], capture_output=True, text=True,
                          env={**base, **env}, timeout=60, check=True)
    jupyter_args = [line[4:] for line in proc.stdout.splitlines() if line.startswith("ARG ")]
    (token,) = [line[6:] for line in proc.stdout.splitlines() if line.startswith("TOKEN ")]
    return jupyter_args, token, proc.stdout


def _url(output: str) -> re.Match:
    match = re.search(r"^course: open http://127\.0\.0\.1:(\d+)/lab/tree/(\S+)\?token=(\w+)$", output, re.M)
    assert match, output
    return match


def test_as_root_without_display(checkout: Path) -> None:
    args, token, output = run_lab(checkout, 0)
    assert args[0] == "lab" and args[-1] == NOTEBOOK, args
    assert {"--allow-root", "--no-browser", "--ip=127.0.0.1", "--notebook-dir=."} <= set(args), args
    assert "with --allow-root" in output and "--no-browser" in output
    url = _url(output)
    assert f"--port={url[1]}" in args and url[2] == NOTEBOOK
    assert url[3] == token and re.fullmatch(r"[0-9a-f]{48}", token), "the printed token is the server's"


def test_as_a_user_with_a_display_and_own_arguments(checkout: Path) -> None:
    args, token, output = run_lab(checkout, 1000, "--ServerApp.shutdown_no_activity_timeout=60",
                                  DISPLAY=":0", JUPYTER_TOKEN="abc123")
    assert "--allow-root" not in args and "--no-browser" not in args, args
    assert "root" not in output
    assert args[-2:] == ["--ServerApp.shutdown_no_activity_timeout=60", NOTEBOOK], "own arguments come last"
    assert token == "abc123" and _url(output)[3] == "abc123", "a token already set is kept"


def test_a_busy_port_is_skipped(checkout: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        args, _, output = run_lab(checkout, 1000, COURSE_LAB_PORT=str(taken))
    port = int(_url(output)[1])
    assert port != taken and taken < port < taken + 50
    assert f"--port={port}" in args and "--ServerApp.port_retries=0" in args


def test_listening_on_every_interface_prints_a_local_url(checkout: Path) -> None:
    args, _, output = run_lab(checkout, 0, COURSE_LAB_IP="0.0.0.0")
    assert "--ip=0.0.0.0" in args
    _url(output)
