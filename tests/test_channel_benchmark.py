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
    assert impls == {"faithful", "fast", "fast-compiled", "sionna-eager", "sionna-function", "sionna2"}
    for n in report["sizes"]:
        same = [r for r in report["results"] if r["bits"] == n]
        assert len(same) == 6
        best_tf = max(r["mbit_per_s"] for r in same if r["impl"] in ("sionna-eager", "sionna-function"))
        sionna2 = next(r["mbit_per_s"] for r in same if r["impl"] == "sionna2")
        for r in same:  # the ratios are those of this run's own figures
            assert abs(r["vs_sionna_best"] - r["mbit_per_s"] / best_tf) < 1e-9
            assert abs(r["vs_sionna2"] - r["mbit_per_s"] / sionna2) < 1e-9
        compiled = next(r for r in same if r["impl"] == "fast-compiled")
        assert compiled["compile_cold_s"] > compiled["compile_warm_s"] > 0
    table = benchmark_table("channel_throughput", "cpu")
    assert table.startswith("Device: cpu")
    rows = [line for line in table.splitlines() if line.startswith("| ") and "implementation" not in line]
    assert len(rows) == len(report["results"])
    for r, row in zip(report["results"], rows):  # the table shows the report's own figures
        assert row.startswith(f"| {r['impl']} | {r['bits']:,} | {r['mbit_per_s']:.2f} | ")


def test_missing_results_name_the_command_that_makes_them() -> None:
    with pytest.raises(FileNotFoundError, match=r"run `python benchmarks/no_such\.py`"):
        benchmark_table("no_such", "cpu")


def _benchmark_module():  # noqa: ANN202
    import importlib.util

    spec = importlib.util.spec_from_file_location("channel_throughput", ROOT / "benchmarks" / "channel_throughput.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_table_reports_compile_times_and_the_sionna2_ratio() -> None:
    bench = _benchmark_module()
    report = {"device": "cpu", "machine": "x", "threads": 1, "rounds": 2, "repeats": 1, "date": "d",
              "results": [
                  {"impl": "fast-compiled", "bits": 1000, "mbit_per_s": 6.0, "vs_sionna_best": None,
                   "vs_sionna2": 3.0, "peak_mib": 1.0, "peak_vs_faithful": None,
                   "compile_cold_s": 20.5, "compile_warm_s": 4.25},
                  {"impl": "sionna2", "bits": 1000, "mbit_per_s": 2.0, "vs_sionna_best": None,
                   "vs_sionna2": 1.0, "peak_mib": 1.0, "peak_vs_faithful": None}]}
    table = bench.markdown(report)
    assert "| fast-compiled | 1,000 | 6.00 | - | 3.00 |" in table
    assert "compile time 20.5 s with a cold Inductor cache, 4.2 s with a warm one" in table
    assert not bench.available("sionna2", None) and bench.available("sionna2", sys.executable)


def test_profile_runs_in_a_tiny_configuration(tmp_path) -> None:
    # the eager channel only, as in the throughput test above: with the compiled channel and
    # Inductor's primitives (four compiles) the test took 15 s instead of 5 s on 2 cores; the
    # committed profile has them (next test), and tests/test_channels_compile.py compiles the channel
    cmd = [sys.executable, str(ROOT / "benchmarks" / "channel_profile.py"), "--bits", "20000",
           "--repeats", "1", "--top", "3", "--impls", "fast", "--out", str(tmp_path)]
    subprocess.run(cmd, capture_output=True, text=True, check=True)
    text = (tmp_path / "channel_profile_cpu.md").read_text()
    assert "| fast | " in text and "| fast-compiled | " not in text
    assert text.count("operators by self CPU time") == 1 and "| `aten::uniform_` | " in text
    assert "u < p into booleans" in text and "torch.rand(20,000) (a new tensor)" in text
    assert "Inductor" not in text


def test_committed_profile_shows_both_implementations_and_the_inductor_primitives() -> None:
    text = (ROOT / "benchmarks" / "results" / "channel_profile_cpu.md").read_text()
    assert "| fast | " in text and "| fast-compiled | " in text
    assert "Inductor's forward graph" in text and "Inductor's backward graph" in text
    assert "Inductor: u < 0.5 written as booleans" in text and "drawn in the graph" in text
