"""Execute notebooks top to bottom in a fresh kernel and store their outputs in place.

This is how the committed notebooks get their outputs (and how ``figures/`` is
regenerated): ``./course run`` executes every notebook, ``./course run
notebooks/03_linear.ipynb`` just one. Each notebook runs in its own fresh
``python3`` kernel with the notebook's folder as working directory, exactly as
nbval runs it in the tests.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def run(path: Path, timeout: int) -> float:
    """Execute ``path`` in place; return the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    for cell in nb.cells:  # no stale timing or widget metadata in the repository
        cell.metadata.pop("execution", None)
    start = time.perf_counter()
    NotebookClient(
        nb, timeout=timeout, kernel_name="python3", record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    nb.metadata.pop("widgets", None)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to run (default: every notebooks/*.ipynb)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    failed = 0
    for path in paths:
        path = path.resolve()
        print(f"running {path.relative_to(ROOT)} ...", flush=True)
        try:
            seconds = run(path, args.timeout)
        except CellExecutionError as exc:
            failed += 1
            print(f"FAILED {path.name}:\n{exc}", file=sys.stderr)
            continue
        print(f"  done in {seconds:.1f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
