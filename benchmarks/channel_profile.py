"""Where the fast channel's time goes on the CPU: its phases, its operators, and the primitives they cost.

Profiles the step of ``channel_throughput.py`` (forward + backward of a BMC with LLR
output, ``pb = (0.1, 0.2)`` requiring grad, loss = sum of the LLRs) for ``fast``
(eager, the chunked engine) and ``fast-compiled`` (``torch.compile(fullgraph=True)``,
Inductor), in one process, and times the primitives that bound them:

* ``torch.rand`` of all the bits, and drawing into an existing tensor (``uniform_``):
  torch's CPU generator is serial;
* one element-wise pass into a new tensor and in place: a new tensor of this size
  is fresh memory, whose first touch costs more than the arithmetic;
* per chunk of the chunked engine: a comparison writing booleans or 0/1 floats, and
  selecting two values with ``torch.where`` or with 0/1-float arithmetic;
* under Inductor: a comparison whose result is written as booleans or as floats, and
  uniforms drawn inside the graph (Inductor's counter-based generator, one element at a time).

Each figure is the median of ``--repeats`` timed calls after a warm-up. Writes
``benchmarks/results/channel_profile_<device>.md``; it is not part of the test suite
(``tests/test_channel_benchmark.py`` runs it on a small size)::

    python benchmarks/channel_profile.py              # 10 M bits, about a minute on 2 cores
    python benchmarks/channel_profile.py --bits 100000 --repeats 2
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PB = (0.1, 0.2)


def _median_ms(fn: Callable[[], object], repeats: int, inner: int = 1) -> float:
    """Median over ``repeats`` of the time of one call, each timing ``inner`` calls in a row."""
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - t0) / inner)
    return statistics.median(times) * 1e3


def primitives(n: int, repeats: int, inductor: bool) -> list[tuple[str, float]]:
    """``(what, ms)`` of the primitives named in the module docstring (Inductor's if ``inductor``)."""
    import torch

    from course_utils.channels import chunked

    u = torch.rand(n)
    out = torch.empty(n)
    k = min(n, chunked.CHUNK)
    uc, fc, bc = u[:k].clone(), torch.empty(k), torch.empty(k, dtype=torch.bool)
    mask = (uc < 0.5).float()
    a, b = torch.tensor(3.0), torch.tensor(2.0)
    per_chunk = n / k
    rows = [
        (f"torch.rand({n:,}) (a new tensor)", lambda: torch.rand(n)),
        ("uniform_ into an existing tensor", lambda: out.uniform_()),
        ("u + 1 (a new tensor)", lambda: u + 1),
        ("out.add_(1) (in place)", lambda: out.add_(1)),
    ]
    result = [(what, _median_ms(fn, repeats)) for what, fn in rows]
    chunk_rows = [
        ("u < p into booleans", lambda: torch.lt(uc, 0.1, out=bc)),
        ("u < p into 0/1 floats", lambda: torch.lt(uc, 0.1, out=fc)),
        ("torch.where(mask, a, b) of a boolean mask", lambda: torch.where(bc, a, b, out=fc)),
        ("b (1 - m) + a m of a 0/1-float mask", lambda: torch.sub(mask, 1, out=fc).mul_(-2.0).add_(mask, alpha=3.0)),
    ]
    # per chunk, scaled to all the bits: what one such pass costs the engine
    result += [(f"{what}, per chunk of {k:,}, x {per_chunk:.0f} chunks", _median_ms(fn, repeats, inner=20) * per_chunk)
               for what, fn in chunk_rows]
    if not inductor:
        return result
    inductor_bool = torch.compile(lambda t: t < 0.5)
    inductor_float = torch.compile(lambda t: (t < 0.5).float())
    inductor_rand = torch.compile(lambda t: torch.rand(t.shape).sum())
    result += [("Inductor: u < 0.5 written as booleans", _median_ms(lambda: inductor_bool(u), repeats)),
               ("Inductor: u < 0.5 written as floats", _median_ms(lambda: inductor_float(u), repeats)),
               (f"Inductor: torch.rand({n:,}) drawn in the graph and summed (nothing written)",
                _median_ms(lambda: inductor_rand(u), repeats))]
    return result


def _name(key: str, in_forward: bool) -> str:
    """A profiler event's name, an Inductor graph's (named by a hash) told by its pass."""
    if "CompiledFxGraph" in key:
        return f"Inductor's {'forward' if in_forward else 'backward'} graph (generated C++)"
    return f"`{key}`"


def channel(n: int, repeats: int, compiled: bool, top: int) -> dict:
    """Forward, backward and step times of the fast channel, and its operators by self CPU time."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    from course_utils.channels import BinaryMemorylessChannel

    ch = BinaryMemorylessChannel(return_llrs=True, sampler="logistic")
    if compiled:
        ch = torch.compile(ch, fullgraph=True)
    x = torch.randint(0, 2, (n,), generator=torch.Generator().manual_seed(0)).float()
    pb = torch.tensor(PB, requires_grad=True)

    def forward() -> torch.Tensor:
        return ch(x, pb).sum()

    def step() -> None:
        pb.grad = None
        forward().backward()

    step()  # compiles
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        forward()
    forward_keys = {e.key for e in prof.key_averages()}
    backward_times = []
    for _ in range(repeats):
        loss = forward()
        t0 = time.perf_counter()
        loss.backward()
        backward_times.append(time.perf_counter() - t0)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        step()
    events = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in events)
    ops = [(_name(e.key, e.key in forward_keys), e.count, e.self_cpu_time_total / 1e3, e.self_cpu_time_total / total)
           for e in events[:top]]
    return {"forward_ms": _median_ms(forward, repeats), "backward_ms": statistics.median(backward_times) * 1e3,
            "step_ms": _median_ms(step, repeats), "ops": ops}


def markdown(n: int, threads: int, repeats: int, prims: list[tuple[str, float]], runs: dict) -> str:
    lines = [f"Device: cpu ({platform.machine()}, {os.cpu_count()} logical CPUs), threads {threads}, "
             f"{n:,} bits, median of {repeats} calls, "
             f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}.", "",
             "## The step", "",
             "| implementation | forward + sum ms | backward ms | step ms | Mbit/s |", "|---|---:|---:|---:|---:|"]
    for name, r in runs.items():
        lines.append(f"| {name} | {r['forward_ms']:.1f} | {r['backward_ms']:.1f} | {r['step_ms']:.1f} | "
                     f"{n / r['step_ms'] / 1e3:.1f} |")
    for name, r in runs.items():
        lines += ["", f"## {name}: operators by self CPU time (one step, torch.profiler)", "",
                  "| operator | calls | self ms | share |", "|---|---:|---:|---:|"]
        lines += [f"| {name} | {count} | {ms:.1f} | {share:.0%} |" for name, count, ms, share in r["ops"]]
    lines += ["", "## Primitives", "", "| what | ms |", "|---|---:|"]
    lines += [f"| {what} | {ms:.1f} |" for what, ms in prims]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bits", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--top", type=int, default=8, help="operators listed per implementation")
    parser.add_argument("--impls", nargs="+", choices=("fast", "fast-compiled"), default=["fast", "fast-compiled"],
                        help="what to profile; Inductor's primitives are timed with fast-compiled only")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    runs = {name: channel(args.bits, args.repeats, name == "fast-compiled", args.top) for name in args.impls}
    prims = primitives(args.bits, args.repeats, inductor="fast-compiled" in args.impls)
    text = markdown(args.bits, torch.get_num_threads(), args.repeats, prims, runs)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "channel_profile_cpu.md"
    path.write_text(text, encoding="utf-8")
    print(text)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
