"""The grading table: aligned text for the terminal and CSV for the gradebook.

Examples
--------
>>> rows = [Grade("alice/00_start_here.ipynb", "00_start_here.ipynb", "Exercise 1: `Cube`", "pass", "correct: fine")]
>>> print(format_table(rows))
student file               exercise            status  message
--------------------------------------------------------------
alice/00_start_here.ipynb  Exercise 1: `Cube`  pass    correct: fine
<BLANKLINE>
total: 1 pass
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

#: Every status an exercise can get, in the order totals are printed.
STATUSES = ("pass", "fail", "unsolved", "error", "timeout", "not run", "missing")
#: The CSV's header.
CSV_COLUMNS = ("student_file", "notebook", "exercise", "status", "message")


@dataclass
class Grade:
    """One row of the grading table: a student file, an exercise, the verdict."""

    student_file: str
    notebook: str
    exercise: str
    status: str
    message: str


def write_csv(rows: list[Grade], path: Path) -> None:
    """Write the grading table as CSV (header: student_file, notebook, exercise, status, message)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        writer.writerows([r.student_file, r.notebook, r.exercise, r.status, r.message] for r in rows)


def format_table(rows: list[Grade], width: int = 100) -> str:
    """The grading table as aligned text, one line per student file and exercise, then totals."""
    header = ("student file", "exercise", "status", "message")
    table = [(r.student_file, r.exercise, r.status, r.message) for r in rows]
    widths = [max(len(t[k]) for t in [header, *table]) for k in range(3)]
    lines = []
    for t in [header, *table]:
        head = "  ".join(t[k].ljust(widths[k]) for k in range(3))
        lines.append(f"{head}  {t[3][:width]}".rstrip())
    lines.insert(1, "-" * len(lines[0]))
    counts = {s: sum(r.status == s for r in rows) for s in STATUSES}
    lines.append("")
    lines.append("total: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n))
    return "\n".join(lines)
