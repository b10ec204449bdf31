"""One short CUDA run of the course: package tests, torch-only notebooks, the throughput benchmark.

For a machine with an NVIDIA GPU, Python 3.12 and a preinstalled torch, but no network and no
TensorFlow. What it needs besides torch comes from a folder of wheels, downloaded beforehand
on a machine with network (see ``tools/gpu_requirements.txt`` and README, "Running on a GPU")::

    python -m pip download --only-binary=:all: --python-version 3.12 --implementation cp \\
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \\
        --platform manylinux2014_x86_64 -d .whl -r tools/gpu_requirements.txt

Then, on the GPU machine, from the repository root::

    python tools/gpu_check.py             # installs from .whl/, then runs the three steps
    python tools/gpu_check.py --dry-run   # prints the steps and checks files and wheels; needs no GPU

Each step has its own timeout; all of them fit in 8 minutes. The benchmark writes
``benchmarks/results/channel_throughput_cuda.md`` (and ``.json``).
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "tools" / "gpu_requirements.txt"
#: Test modules left out on the GPU machine, with the reason.
EXCLUDED_TESTS = {
    "tests/test_jupyterlab.py": "drives JupyterLab in a browser (not installed there)",
    "tests/test_course_lab.py": "starts JupyterLab (not installed there)",
    "tests/test_classroom.py": "runs every notebook's student version, the TensorFlow ones included",
    "tests/test_lint.py": "ruff is a development tool, not installed there",
    "tests/test_channels_sionna.py": "compares with Sionna, which needs TensorFlow",
    "tests/test_exercises_sionna_bmc.py": "checks exercises against Sionna, which needs TensorFlow",
    "tests/test_env.py::test_import_tensorflow_seeds_it_lazily": "imports TensorFlow",
}
#: A notebook needs TensorFlow if a code cell imports it unconditionally (at the cell's top level).
TF_IMPORT = re.compile(r"^(tf = import_tensorflow\(|import tensorflow|from sionna|import sionna)", re.M)
#: Seconds per step: install, tests, notebooks, benchmark (480 s in all).
TIMEOUTS = {"install": 60, "tests": 170, "notebooks": 150, "benchmark": 100}
BENCHMARK = ["benchmarks/channel_throughput.py", "--devices", "cuda", "--impls", "faithful", "fast",
             "--sizes", "1000000", "10000000", "--rounds", "2", "--repeats", "3"]


def requirements(path: Path = REQUIREMENTS) -> list[str]:
    """The pinned requirements ``name==version`` of the wheels folder, comments left out."""
    lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def _wheel_name(requirement: str) -> str:
    name = requirement.split("==")[0]
    return re.sub(r"[-_.]+", "_", name).lower()


def missing_wheels(folder: Path, reqs: list[str]) -> list[str]:
    """The requirements of ``reqs`` that have no ``.whl`` file of their name and version in ``folder``."""
    have = {p.name.lower() for p in folder.glob("*.whl")} if folder.is_dir() else set()
    missing = []
    for req in reqs:
        name, _, version = req.partition("==")
        prefix = f"{_wheel_name(name)}-{version}-"
        if not any(w.startswith(prefix) for w in have):
            missing.append(req)
    return missing


def tensorflow_notebooks(notebooks: list[Path]) -> list[Path]:
    """The notebooks that import TensorFlow or Sionna unconditionally."""
    import json

    found = []
    for nb in notebooks:
        cells = json.loads(nb.read_text())["cells"]
        if any(c["cell_type"] == "code" and TF_IMPORT.search("".join(c["source"])) for c in cells):
            found.append(nb)
    return found


def plan(wheels: Path, python: str) -> list[tuple[str, list[str]]]:
    """The steps, ``(name, command)``, after printing what is left out and why."""
    tests = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").glob("test_*.py"))
    deselect = []
    for node, reason in EXCLUDED_TESTS.items():
        path, _, test = node.partition("::")
        if path not in tests or (test and f"def {test}(" not in (ROOT / path).read_text()):
            raise SystemExit(f"gpu_check: excluded test {node} does not exist")
        print(f"skip {node}: {reason}")
        deselect += ["--deselect", node] if test else []
    tests = [t for t in tests if t not in EXCLUDED_TESTS]
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    tf = tensorflow_notebooks(notebooks)
    for nb in tf:
        print(f"skip {nb.relative_to(ROOT).as_posix()}: imports TensorFlow, which is not installed there")
    notebooks = [nb.relative_to(ROOT).as_posix() for nb in notebooks if nb not in tf]
    pytest = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    return [
        ("install", [python, "-m", "pip", "install", "--no-index", "--find-links", str(wheels),
                     "-r", str(REQUIREMENTS.relative_to(ROOT))]),
        ("tests", [*pytest, "-n", "8", *deselect, *tests]),
        ("notebooks", [*pytest, "-n", "4", *notebooks]),
        ("benchmark", [python, *BENCHMARK]),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheels", type=Path, default=ROOT / ".whl", help="folder of wheels (default .whl/)")
    ap.add_argument("--dry-run", action="store_true", help="print the steps and check files and wheels only")
    args = ap.parse_args(argv)
    steps = plan(args.wheels, sys.executable)
    missing = missing_wheels(args.wheels, requirements())
    if missing:
        print(f"gpu_check: {args.wheels} lacks wheels of {', '.join(missing)}: run the download "
              "command of tools/gpu_check.py's docstring first")
        return 1
    if args.dry_run:
        for name, cmd in steps:
            print(f"[{name}, timeout {TIMEOUTS[name]} s] {' '.join(cmd)}")
        return 0
    import torch

    if not torch.cuda.is_available():
        print("gpu_check: torch sees no GPU")
        return 1
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name(0)}")
    # this checkout's course_utils, in pytest, in nbval's kernels and in the benchmark's children
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    failed = []
    for name, cmd in steps:
        print(f"== {name}: {' '.join(cmd)}", flush=True)
        start = time.monotonic()
        try:
            rc = subprocess.run(cmd, cwd=ROOT, env=env, timeout=TIMEOUTS[name]).returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
        print(f"== {name}: {'ok' if rc == 0 else f'FAILED ({rc})'} in {time.monotonic() - start:.0f} s", flush=True)
        if rc != 0:
            failed.append(name)
            if name == "install":
                break
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
