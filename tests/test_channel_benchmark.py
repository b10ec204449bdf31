"""The channel throughput benchmark still runs (tiny configuration; the real run takes minutes)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.benchmarks import benchmark_report, benchmark_table

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_runs_in_a_tiny_configuration(tmp_path) -> None:
    cmd = [sys.executable, str(ROOT / "benchmarks" / "channel_throughput.py"), "--sizes", "10000",
           "--rounds", "1", "--repeats", "1", "--impls", "faithful", "fast", "--devices", "cpu",
           "--out", str(tmp_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert proc.stdout.count("[cpu]") == 2  # one progress line per measurement
    report = json.loads((tmp_path / "channel_throughput_cpu.json").read_text())
    rows = {r["impl"]: r for r in report["results"]}
    assert set(rows) == {"faithful", "fast"}
    for r in rows.values():
        assert r["bits"] == 10000 and r["mbit_per_s"] > 0 and len(r["times_s"]) == 1
        assert r["vs_sionna_best"] is None  # no Sionna in this run
    faithful = rows["faithful"]
    assert faithful["peak_vs_faithful"] == (1.0 if faithful["peak_mib"] > 0 else None)
    assert "| fast | 10,000 |" in (tmp_path / "channel_throughput_cpu.md").read_text()


def test_committed_results_are_complete_and_consistent() -> None:
    report = benchmark_report("channel_throughput", "cpu")
    impls = {r["impl"] for r in report["results"]}
    assert impls == {"faithful", "fast", "sionna-eager", "sionna-function"}
    for n in report["sizes"]:
        same = [r for r in report["results"] if r["bits"] == n]
        assert len(same) == 4
        best_tf = max(r["mbit_per_s"] for r in same if r["impl"].startswith("sionna"))
        for r in same:  # the ratios are those of this run's own figures
            assert abs(r["vs_sionna_best"] - r["mbit_per_s"] / best_tf) < 1e-9
    table = benchmark_table("channel_throughput", "cpu")
    assert table.startswith("Device: cpu")
    rows = [line for line in table.splitlines() if line.startswith("| ") and "implementation" not in line]
    assert len(rows) == len(report["results"])
    for r, row in zip(report["results"], rows):  # the table shows the report's own figures
        assert row.startswith(f"| {r['impl']} | {r['bits']:,} | {r['mbit_per_s']:.2f} | ")


def test_missing_results_name_the_command_that_makes_them() -> None:
    with pytest.raises(FileNotFoundError, match=r"run `python benchmarks/no_such\.py`"):
        benchmark_table("no_such", "cpu")
