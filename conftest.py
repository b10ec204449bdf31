"""Test-session settings shared by the package tests and nbval's notebook tests."""
from __future__ import annotations

from collections import defaultdict

import pytest

_notebook_seconds: dict[str, float] = defaultdict(float)


def pytest_collectstart(collector: pytest.Collector) -> None:
    # stderr (TensorFlow and warnings write there) is never compared, even in
    # cells marked NBVAL_CHECK_OUTPUT: it differs between machines and versions.
    if type(collector).__name__ == "IPyNbFile":
        collector.skip_compare = tuple(collector.skip_compare) + ("stderr",)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _notebook_seconds[path] += report.duration


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    if not _notebook_seconds:
        return
    tr = terminalreporter
    tr.write_sep("=", "seconds per notebook (kernel start included)")
    for path, seconds in sorted(_notebook_seconds.items()):
        tr.write_line(f"{seconds:7.1f}  {path}")
    tr.write_line(f"{sum(_notebook_seconds.values()):7.1f}  total (budget: 240 s on 2 CPU cores)")
