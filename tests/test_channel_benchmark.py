"""The channel throughput benchmark still runs (tiny configuration; the real run takes minutes)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
