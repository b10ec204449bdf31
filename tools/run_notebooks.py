"""Execute notebooks top to bottom in a fresh kernel and store their outputs in place.

This is how the committed notebooks get their outputs (and how ``figures/`` is
regenerated): ``./course run`` executes every notebook, ``./course run
notebooks/03_linear.ipynb`` just one. Each notebook runs in its own fresh
``python3`` kernel with the notebook's folder as working directory, exactly as
nbval runs it in the tests, through the course's one runner
(:func:`course_utils.classroom.runner.run_in_place`). A notebook with a failing
cell is reported and left unchanged.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's course_utils, wherever the tool is started

from course_utils.classroom.runner import cell_error, run_in_place  # noqa: E402
from course_utils.notebooks import course_notebooks  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Run the notebooks named in ``argv`` (default: the whole course); return 1 if one failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to run (default: every notebook of notebooks/)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    failed = 0
    for path in args.notebooks or course_notebooks():
        path = path.resolve()
        print(f"running {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ...", flush=True)
        run = run_in_place(path, args.timeout)
        errors = [(i, cell_error(c)) for i, c in enumerate(run.nb.cells) if cell_error(c)]
        if run.stopped_at is not None or errors:
            failed += 1
            what = run.reason or "; ".join(f"cell {i}: {name}: {message}" for i, (name, message) in errors)
            print(f"FAILED {path.name} (left unchanged): {what}", file=sys.stderr)
            continue
        print(f"  done in {run.seconds:.1f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
