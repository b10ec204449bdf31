"""The committed results of the benchmark scripts in ``benchmarks/`` (read in notebooks 13 and 14).

Timings belong to a machine, so the notebooks never time anything themselves: they read
what ``benchmarks/<name>.py`` wrote into ``benchmarks/results/<name>_<device>.json`` and
``.md`` when it was last run.
"""
from __future__ import annotations

import json
from pathlib import Path

__all__ = ["benchmark_report", "benchmark_table", "results_dir"]


def results_dir() -> Path:
    """The folder ``benchmarks/results`` of the course checkout.

    Examples
    --------
    >>> results_dir().relative_to(results_dir().parent.parent).as_posix()
    'benchmarks/results'
    """
    return Path(__file__).resolve().parent.parent / "benchmarks" / "results"


def _path(name: str, device: str, suffix: str) -> Path:
    path = results_dir() / f"{name}_{device}{suffix}"
    if not path.is_file():
        raise FileNotFoundError(
            f"no results for benchmark {name!r} on {device!r}: {path.name} is not in "
            f"benchmarks/results; run `python benchmarks/{name}.py` to measure them"
        )
    return path


def benchmark_report(name: str = "channel_throughput", device: str = "cpu") -> dict:
    """The full report of the last run of ``benchmarks/<name>.py`` on ``device``.

    Parameters
    ----------
    name : str
        The benchmark script's name without ``.py`` (default ``"channel_throughput"``).
    device : str
        ``"cpu"`` or ``"cuda"``.

    Output
    ------
    dict
        The JSON report: machine, date, method parameters and one entry per measurement
        under ``"results"``.

    Examples
    --------
    >>> report = benchmark_report("channel_throughput", "cpu")
    >>> sorted({r["impl"] for r in report["results"]})
    ['faithful', 'fast', 'fast-compiled', 'sionna-eager', 'sionna-function', 'sionna2']
    """
    return json.loads(_path(name, device, ".json").read_text())


def benchmark_table(name: str = "channel_throughput", device: str = "cpu") -> str:
    """The Markdown table of the last run of ``benchmarks/<name>.py`` on ``device``.

    Parameters and errors as in :func:`benchmark_report`.

    Examples
    --------
    >>> benchmark_table("channel_throughput", "cpu").splitlines()[2]
    '| implementation | bits | Mbit/s | x Sionna TF best | x Sionna 2 | peak MiB | peak / faithful |'
    """
    return _path(name, device, ".md").read_text()
