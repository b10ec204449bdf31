"""Forward + backward throughput and peak memory of the binary memoryless channel.

Compares four implementations of the same work -- a BMC with LLR output on float32
bits, ``pb = (0.1, 0.2)`` a tensor that requires grad, ``loss = sum(llrs)``, and the
gradient of the loss w.r.t. ``pb``:

* ``faithful``: ``course_utils.channels.BinaryMemorylessChannel`` (Gumbel sampler, the port);
* ``fast``: the same channel with ``sampler="logistic"`` (``course_utils.channels.fast``);
* ``fast-compiled``: ``fast`` under ``torch.compile(fullgraph=True)`` (Inductor); its compile
  time (the warm-up step minus a timed one) is reported apart, with a cold Inductor cache (a
  fresh ``TORCHINDUCTOR_CACHE_DIR``, first round) and a warm one (the same folder, later rounds);
* ``sionna-eager``: Sionna 1.2.2's TensorFlow ``BinaryMemorylessChannel``, eager, with a GradientTape;
* ``sionna-function``: the same step compiled with ``tf.function``;
* ``sionna2``: Sionna 2's PyTorch ``BinaryMemorylessChannel`` (eager), run by the interpreter
  given with ``--sionna2-python`` (Sionna 2 and 1.2.2 cannot share one environment; the
  README says how to make one). Skipped without that option.

Method. Every (implementation, size, round) runs in its own child process (TensorFlow
and torch in one process would fight over the cores), and the implementations take
turns, in alternating order from round to round, so that slow drifts of the machine
hit all of them alike. A child first runs one step on 1000 bits (so that the
libraries' one-time initialization is not counted), builds its inputs, records its resident memory
(``VmRSS``), resets the peak-RSS counter (``/proc/self/clear_refs``; where that is
impossible it falls back to ``ru_maxrss``), runs one warm-up step and ``--repeats``
timed steps, and reports the times and the peak resident memory above that baseline
(``VmHWM - VmRSS``): the memory the steps need, inputs excluded, memory pools that a
framework keeps after the warm-up included. On a GPU, the
clock is read after synchronizing (``torch.cuda.synchronize`` / fetching the result
from TensorFlow), and the peak is the framework's peak device memory. The throughput
is bits / median time, in Mbit/s; the ratios compare each implementation with the
best of the two Sionna TF variants, and with Sionna 2, measured in the same run.

Usage::

    python benchmarks/channel_throughput.py                      # 1 M and 10 M bits, CPU (+ GPU if any)
    python benchmarks/channel_throughput.py --sizes 100000 --rounds 1 --repeats 1 --impls faithful fast

It writes ``benchmarks/results/channel_throughput_<device>.json`` and ``.md`` (``--out``
to change the folder). Not part of the test suite (minutes); ``tests/test_channel_benchmark.py``
runs a tiny configuration to keep it working.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

IMPLS = ("faithful", "fast", "fast-compiled", "sionna-eager", "sionna-function", "sionna2")
DEFAULT_IMPLS = ("faithful", "fast", "fast-compiled", "sionna-eager", "sionna-function")
ROOT = Path(__file__).resolve().parent.parent
PB = (0.1, 0.2)


# ----------------------------------------------------------------------------
# Child: one implementation, one size
# ----------------------------------------------------------------------------

def _rss_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _torch_step(impl: str, n: int, device: str):  # noqa: ANN202
    import torch

    from course_utils.channels import BinaryMemorylessChannel

    sampler = "gumbel" if impl == "faithful" else "logistic"
    ch = BinaryMemorylessChannel(return_llrs=True, sampler=sampler)
    if impl == "fast-compiled":
        ch = torch.compile(ch, fullgraph=True)
    return _module_step(ch, n, device)


def _sionna2_step(impl: str, n: int, device: str):  # noqa: ANN202
    from sionna.phy.channel import BinaryMemorylessChannel

    return _module_step(BinaryMemorylessChannel(return_llrs=True, device=device), n, device)


def _module_step(ch, n: int, device: str):  # noqa: ANN001, ANN202
    """The timed step of a torch channel module ``ch`` on ``n`` bits, its GPU peak and its reset."""
    import torch

    gen = torch.Generator(device).manual_seed(0)
    x = torch.randint(0, 2, (n,), generator=gen, device=device).float()
    pb = torch.tensor(PB, device=device, requires_grad=True)

    def step() -> None:
        pb.grad = None
        ch(x, pb).sum().backward()
        if device == "cuda":
            torch.cuda.synchronize()
        assert pb.grad is not None and bool(torch.isfinite(pb.grad).all())

    def gpu_reset() -> None:
        if device == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()

    gpu_reset()
    base = torch.cuda.memory_allocated() if device == "cuda" else 0
    return step, lambda: None if device != "cuda" else torch.cuda.max_memory_allocated() - base, gpu_reset


def _sionna_step(impl: str, n: int, device: str):  # noqa: ANN202
    import numpy as np
    import tensorflow as tf
    from sionna.phy.channel import BinaryMemorylessChannel

    dev = "/GPU:0" if device == "cuda" else "/CPU:0"
    with tf.device(dev):
        ch = BinaryMemorylessChannel(return_llrs=True)
        bits = np.random.default_rng(0).integers(0, 2, n).astype(np.float32)
        x = tf.constant(bits)
        pb = tf.Variable(PB, dtype=tf.float32)

    def grad():  # noqa: ANN202
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(ch(x, pb))
        return tape.gradient(loss, pb)

    fn = tf.function(grad) if impl == "sionna-function" else grad

    def step() -> None:
        with tf.device(dev):
            g = fn().numpy()  # fetching the result waits for the device
        assert np.isfinite(g).all()

    def gpu_peak() -> int | None:
        return tf.config.experimental.get_memory_info("GPU:0")["peak"] if device == "cuda" else None

    def gpu_reset() -> None:
        if device == "cuda":
            tf.config.experimental.reset_memory_stats("GPU:0")

    gpu_reset()
    base = tf.config.experimental.get_memory_info("GPU:0")["current"] if device == "cuda" else 0
    return step, lambda: None if device != "cuda" else gpu_peak() - base, gpu_reset


def child(impl: str, n: int, device: str, repeats: int, threads: int | None) -> dict:
    if threads:
        os.environ["OMP_NUM_THREADS"] = str(threads)
    if impl == "sionna2":
        import torch

        if threads:
            torch.set_num_threads(threads)
        make = _sionna2_step
    elif impl.startswith("sionna"):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        if device == "cpu":
            os.environ["CUDA_VISIBLE_DEVICES"] = ""
        import tensorflow as tf

        if threads:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        make = _sionna_step
    else:
        import torch

        if threads:
            torch.set_num_threads(threads)
        make = _torch_step
    # initializes the libraries' lazy state, outside the measurement (eagerly: a compiled
    # channel compiles in the warm-up step below, for the measured size)
    make("fast" if impl == "fast-compiled" else impl, 1000, device)[0]()
    step, device_peak, device_reset = make(impl, n, device)
    base = _rss_kib("VmRSS")
    exact = _reset_peak()
    if not exact:
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    step()  # warm-up (tf.function traces, torch.compile compiles here)
    warmup = time.perf_counter() - t0
    device_reset()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    peak = _rss_kib("VmHWM") if exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    dev_peak = device_peak()
    return {"times_s": times, "warmup_s": warmup,
            "peak_mib": (peak - base) / 1024 if device == "cpu" else dev_peak / 2**20,
            "host_peak_mib": (peak - base) / 1024,
            "peak_method": "VmHWM-VmRSS" if exact else "ru_maxrss-baseline"}


# ----------------------------------------------------------------------------
# Parent: rounds of children, summary, results files
# ----------------------------------------------------------------------------

def run_child(impl: str, n: int, device: str, repeats: int, threads: int | None,
              python: str | None = None, cache_dir: str | None = None) -> dict:
    """One child process: ``python`` runs it (default: this interpreter); ``cache_dir``: Inductor's cache."""
    cmd = [python or sys.executable, str(Path(__file__).resolve()), "--child", impl, "--n", str(n),
           "--device", device, "--repeats", str(repeats)]
    if threads:
        cmd += ["--threads", str(threads)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if cache_dir:
        env["TORCHINDUCTOR_CACHE_DIR"] = cache_dir
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{impl} at {n} bits failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def available(impl: str, sionna2_python: str | None) -> bool:
    if impl == "sionna2":
        return sionna2_python is not None
    if not impl.startswith("sionna"):
        return True
    import importlib.util

    return importlib.util.find_spec("sionna") is not None


def measure(device: str, sizes: list[int], impls: list[str], rounds: int, repeats: int,
            threads: int | None, sionna2_python: str | None = None) -> dict:
    import tempfile

    rows = {(impl, n): {"times_s": [], "peak_mib": [], "compile_s": []} for impl in impls for n in sizes}
    for n in sizes:
        # a fresh Inductor cache per size: the first round compiles cold, the later ones warm
        cache = tempfile.TemporaryDirectory(prefix="inductor-cache-")
        for r in range(rounds):
            order = impls if r % 2 == 0 else impls[::-1]
            for impl in order:
                res = run_child(impl, n, device, repeats, threads,
                                python=sionna2_python if impl == "sionna2" else None,
                                cache_dir=cache.name if impl == "fast-compiled" else None)
                row = rows[(impl, n)]
                row["times_s"] += res["times_s"]
                row["peak_mib"].append(res["peak_mib"])
                row["peak_method"] = res["peak_method"]
                if impl == "fast-compiled":
                    row["compile_s"].append(res["warmup_s"] - statistics.median(res["times_s"]))
                print(f"[{device}] {impl:16s} {n:>10,d} bits  round {r + 1}/{rounds}: "
                      f"median {n / statistics.median(res['times_s']) / 1e6:7.2f} Mbit/s, "
                      f"peak {res['peak_mib']:8.1f} MiB", flush=True)
        cache.cleanup()
    results = []
    for (impl, n), row in rows.items():
        median = statistics.median(row["times_s"])
        result = {"impl": impl, "bits": n, "median_s": median,
                  "mbit_per_s": n / median / 1e6, "times_s": row["times_s"],
                  "peak_mib": max(row["peak_mib"]), "peak_method": row["peak_method"]}
        if row["compile_s"]:
            result["compile_cold_s"] = row["compile_s"][0]
            result["compile_warm_s"] = (statistics.median(row["compile_s"][1:])
                                        if len(row["compile_s"]) > 1 else None)
        results.append(result)
    for n in sizes:
        same = [r for r in results if r["bits"] == n]
        tf_best = max((r["mbit_per_s"] for r in same if r["impl"] in ("sionna-eager", "sionna-function")),
                      default=None)
        sionna2 = next((r["mbit_per_s"] for r in same if r["impl"] == "sionna2"), None)
        faithful_peak = next((r["peak_mib"] for r in same if r["impl"] == "faithful"), None)
        for r in same:
            r["vs_sionna_best"] = r["mbit_per_s"] / tf_best if tf_best else None
            r["vs_sionna2"] = r["mbit_per_s"] / sionna2 if sionna2 else None
            r["peak_vs_faithful"] = (r["peak_mib"] / faithful_peak
                                     if faithful_peak and faithful_peak > 0 else None)
    return {"device": device, "sizes": sizes, "rounds": rounds, "repeats": repeats,
            "threads": threads or os.cpu_count(), "results": results}


def markdown(report: dict) -> str:
    lines = [f"Device: {report['device']} ({report['machine']}), threads {report['threads']}, "
             f"{report['rounds']} round(s) x {report['repeats']} timed step(s) after a warm-up, "
             f"{report['date']}.", "",
             "| implementation | bits | Mbit/s | x Sionna TF best | x Sionna 2 | peak MiB | peak / faithful |",
             "|---|---:|---:|---:|---:|---:|---:|"]

    def fmt(v: float | None, spec: str) -> str:
        return "-" if v is None else format(v, spec)

    for r in report["results"]:
        lines.append(f"| {r['impl']} | {r['bits']:,} | {r['mbit_per_s']:.2f} | "
                     f"{fmt(r['vs_sionna_best'], '.2f')} | {fmt(r.get('vs_sionna2'), '.2f')} | "
                     f"{r['peak_mib']:.1f} | {fmt(r['peak_vs_faithful'], '.2f')} |")
    compiled = [r for r in report["results"] if "compile_cold_s" in r]
    if compiled:
        lines.append("")
        lines += [f"fast-compiled, {r['bits']:,} bits: compile time {r['compile_cold_s']:.1f} s with a cold "
                  f"Inductor cache, {fmt(r['compile_warm_s'], '.1f')} s with a warm one (not in Mbit/s)."
                  for r in compiled]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--impls", nargs="+", choices=IMPLS, default=list(DEFAULT_IMPLS))
    ap.add_argument("--sionna2-python", default=None, metavar="PATH",
                    help="python of a separate environment with sionna-no-rt 2.x: adds the sionna2 reference")
    ap.add_argument("--rounds", type=int, default=3, help="child processes per implementation and size")
    ap.add_argument("--repeats", type=int, default=3, help="timed steps per child, after one warm-up")
    ap.add_argument("--devices", nargs="+", choices=("cpu", "cuda"), default=None,
                    help="default: cpu, and cuda where torch sees a GPU")
    ap.add_argument("--threads", type=int, default=None, help="intra-op threads (default: library default)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--child", choices=IMPLS, help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--device", default="cpu", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        print(json.dumps(child(args.child, args.n, args.device, args.repeats, args.threads)))
        return

    import torch

    devices = args.devices or ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    if args.sionna2_python and "sionna2" not in args.impls:
        args.impls.append("sionna2")
    impls = [i for i in args.impls if available(i, args.sionna2_python)]
    skipped = sorted(set(args.impls) - set(impls))
    if skipped:
        print(f"skipping {', '.join(skipped)}: sionna is not installed (sionna2: no --sionna2-python)",
              flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    for device in devices:
        report = measure(device, args.sizes, impls, args.rounds, args.repeats, args.threads,
                         args.sionna2_python)
        report["machine"] = (torch.cuda.get_device_name() if device == "cuda"
                             else f"{platform.processor() or platform.machine()}, "
                                  f"{os.cpu_count()} logical CPUs")
        report["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        report["torch"] = torch.__version__
        stem = args.out / f"channel_throughput_{device}"
        stem.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n")
        stem.with_suffix(".md").write_text(markdown(report))
        print(markdown(report), flush=True)
        print(f"wrote {stem}.json and .md", flush=True)


if __name__ == "__main__":
    main()
