"""The command line: ``python -m course_utils.classroom student | grade | nbgrader`` (``./course ...``).

Examples
--------
>>> main(["--help"])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
SystemExit: 0
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..notebooks import NOTEBOOKS_DIR
from .grading import grade_folder
from .nbgrader import write_nbgrader_source
from .report import format_table, write_csv
from .student import write_student_versions

ROOT = NOTEBOOKS_DIR.parent


def main(argv: list[str] | None = None) -> int:
    """Run one classroom command; return its exit status."""
    parser = argparse.ArgumentParser(prog="python -m course_utils.classroom",
                                     description="Student versions, grading and the nbgrader export of the course.")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("student", help="write the student versions of the notebooks")
    s.add_argument("--source", type=Path, default=NOTEBOOKS_DIR, help="source notebooks (default: notebooks/)")
    s.add_argument("--out", type=Path, default=ROOT / "student", help="output folder (default: student/)")
    n = sub.add_parser("nbgrader", help="write the notebooks as nbgrader assignments (cell metadata added)")
    n.add_argument("course", type=Path, help="the nbgrader course folder (source/ is written in it)")
    n.add_argument("--source", type=Path, default=NOTEBOOKS_DIR, help="source notebooks (default: notebooks/)")
    g = sub.add_parser("grade", help="run and grade a folder of completed student notebooks")
    g.add_argument("submissions", type=Path, help="folder of completed notebooks (searched recursively)")
    g.add_argument("--source", type=Path, default=NOTEBOOKS_DIR, help="source notebooks (default: notebooks/)")
    g.add_argument("--csv", type=Path, default=Path("grades.csv"), help="CSV to write (default: grades.csv)")
    g.add_argument("--timeout", type=float, default=300, help="seconds per notebook (default: 300)")
    g.add_argument("--jobs", type=int, default=1, help="notebooks graded at the same time (default: 1)")
    args = parser.parse_args(argv)
    if args.command == "student":
        for path in write_student_versions(args.source, args.out):
            print(f"wrote {path.parent.name}/{path.name}")
        return 0
    if args.command == "nbgrader":
        for path in write_nbgrader_source(args.source, args.course):
            print(f"wrote source/{path.parent.name}/{path.name}")
        return 0
    rows = grade_folder(args.submissions, args.source, args.timeout, args.jobs,
                        log=lambda line: print(line, file=sys.stderr, flush=True))
    print(format_table(rows))
    write_csv(rows, args.csv)
    print(f"wrote {args.csv}")
    return 0
