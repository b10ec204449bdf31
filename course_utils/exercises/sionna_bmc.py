"""Checkers for the exercises of notebook 11 (Sionna's binary memoryless channel in TensorFlow).

The references are written in torch and follow Sionna 1.2.2's formulas operation by
operation; nothing here imports TensorFlow.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import torch

from ..channels.formulas import gumbel_softmax_errors, memoryless_llrs
from ..checking import CheckFailed, call_answer, check_function
from ..env import device

# (pb0, pb1) pairs of exercise 11.1; none is 1, where Sionna's LLR is NaN.
LLR_CASES = [(0.1, 0.2), (0.2, 0.1), (0.0, 0.0), (0.0, 0.3), (0.3, 0.0), (0.5, 0.5),
             (1e-3, 0.25), (0.45, 0.05), (0.02, 0.6)]


def _reference_llrs(y: torch.Tensor, pb0: torch.Tensor, pb1: torch.Tensor, llr_max: float) -> torch.Tensor:
    return memoryless_llrs(2 * y - 1, pb0, pb1, llr_max)  # Sionna's LLRs of the bipolar output


def check_sionna_llrs(sionna_llrs: Callable[..., torch.Tensor]) -> None:
    """Check exercise 11.1: Sionna's BMC LLRs in torch.

    ``sionna_llrs(y, pb0, pb1, llr_max)`` returns the LLRs Sionna's BMC outputs
    (float32) for hard outputs ``y`` in {0, 1} and error probabilities ``pb0``, ``pb1``."""
    dev = device()
    pb0 = torch.tensor([c[0] for c in LLR_CASES], dtype=torch.float32, device=dev)
    pb1 = torch.tensor([c[1] for c in LLR_CASES], dtype=torch.float32, device=dev)
    y = torch.stack((torch.zeros_like(pb0), torch.ones_like(pb0)))  # [2, 9]: y = 0, then y = 1
    for llr_max in (100.0, 5.0):
        got = call_answer(sionna_llrs, y.clone(), pb0.clone(), pb1.clone(), llr_max)
        if not isinstance(got, torch.Tensor):
            raise CheckFailed(f"expected a tensor of LLRs, got {type(got).__name__}")
        if got.shape != y.shape:
            raise CheckFailed(f"LLRs have shape {tuple(got.shape)} but y has shape {tuple(y.shape)}")
        if got.dtype != torch.float32:
            raise CheckFailed(f"LLRs have dtype {got.dtype}; Sionna computes them in float32")
        expected = _reference_llrs(y, pb0, pb1, llr_max)
        bad = ~torch.isclose(got.detach(), expected, rtol=1e-5, atol=1e-5)
        if bool(bad.any()):
            i, j = (int(k) for k in bad.nonzero()[0])
            raise CheckFailed(
                f"LLR for y = {i}, pb = ({LLR_CASES[j][0]:g}, {LLR_CASES[j][1]:g}), llr_max = {llr_max:g}:"
                f" yours {float(got[i, j]):.6g}, expected {float(expected[i, j]):.6g}"
                f" ({int(bad.sum())} of {bad.numel()} values wrong)")
    print(f"correct: LLRs match Sionna's formula for y = 0 and 1 at {len(LLR_CASES)} (pb0, pb1) pairs,"
          " llr_max = 100 and 5")


def _reference_possible_outputs(channel: str, bipolar: bool, x: int, pb: float) -> set[int]:
    # What Sionna's BSC, Z channel or BEC can output for input symbol x and probability pb.
    if channel == "z" and x != 1:  # the Z channel never changes the first symbol (0 or -1)
        return {x}
    if channel == "bec":
        changed = 0 if bipolar else -1  # the erasure symbol
    else:
        changed = -x if bipolar else 1 - x  # the flipped symbol
    if pb == 0:
        return {x}
    if pb == 1:
        return {changed}
    return {x, changed}


def possible_output_cases() -> list[tuple[str, bool, int, float]]:
    """The (channel, bipolar, x, pb) cases of exercise 11.2, in checking order."""
    return [(ch, bip, x, pb)
            for ch in ("bsc", "z", "bec")
            for bip in (False, True)
            for x in ((-1, 1) if bip else (0, 1))
            for pb in (0.0, 0.3, 1.0)]


def check_possible_outputs(possible_outputs: Callable[[str, bool, int, float], Iterable[int]]) -> None:
    """Check exercise 11.2: the values each Sionna channel can return.

    ``possible_outputs(channel, bipolar, x, pb)`` gives the set of values the
    channel ``"bsc"``, ``"z"`` or ``"bec"`` can return for input ``x`` and probability ``pb``."""
    names = {"bsc": "BSC", "z": "Z channel", "bec": "BEC"}
    cases = possible_output_cases()
    for channel, bipolar, x, pb in cases:
        got = call_answer(possible_outputs, channel, bipolar, x, pb)
        try:
            got_set = {int(v) for v in got}
        except TypeError:
            raise CheckFailed(f"expected a set of output values, got {type(got).__name__}") from None
        expected = _reference_possible_outputs(channel, bipolar, x, pb)
        if got_set != expected:
            kind = "bipolar" if bipolar else "binary"
            raise CheckFailed(
                f"{names[channel]}, {kind} input, x = {x}, pb = {pb}: you answered {sorted(got_set)},"
                f" but the channel can output {sorted(expected)}")
    print(f"correct: all {len(cases)} cases (BSC, Z, BEC; binary and bipolar; pb = 0, 0.3, 1)")


def _reference_sample_errors(pb: torch.Tensor, u1: torch.Tensor, u2: torch.Tensor) -> torch.Tensor:
    return gumbel_softmax_errors(pb, torch.stack((u1, u2), dim=-1))


def _sample_errors_points() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    # pb, u1, u2 (float64, on the course device) at which exercise 11.3 is checked
    pb = torch.tensor([0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99],
                      dtype=torch.float64)
    u = torch.rand(2, 12, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    return pb.to(device()), u[0].to(device()), u[1].to(device())


def check_sample_errors(sample_errors: Callable[..., torch.Tensor]) -> None:
    """Check exercise 11.3: Sionna's Gumbel-softmax error sampler in torch.

    ``sample_errors(pb, u1, u2)`` ports Sionna's ``_sample_errors`` to torch:
    Gumbel noise from the uniforms ``u1``, ``u2`` (with ``eps = 1e-9``), two-class softmax at
    temperature 0.1, straight-through binarizer; checked in value and gradient w.r.t. ``pb``."""
    pb, u1, u2 = _sample_errors_points()
    check_function(lambda q: sample_errors(q, u1.clone(), u2.clone()),
                   lambda q: _reference_sample_errors(q, u1, u2), [pb], names=["pb"])
    print("correct: error pattern and straight-through gradient w.r.t. pb at 12 probabilities")
