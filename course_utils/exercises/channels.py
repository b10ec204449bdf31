"""Checkers for the exercises of notebooks 12 (porting the channel) and 13 (TF vs torch parity)."""
from __future__ import annotations

from collections.abc import Callable

import torch

from ..channels import BinaryErasureChannel
from ..channels.formulas import memoryless_llrs
from ..checking import CheckFailed, check_function
from ..env import device

LLR_MAX = 10.0


def _llr_points() -> list[torch.Tensor]:
    # received values, and probabilities including 0 (eps matters), clipped at +10 and at -10
    y = torch.tensor([1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0, -1.0], dtype=torch.float64, device=device())
    pb0 = torch.tensor([0.1, 0.1, 0.0, 0.0, 0.3, 0.45, 1e-6, 0.2, 0.3], dtype=torch.float64, device=device())
    pb1 = torch.tensor([0.2, 0.2, 0.3, 0.3, 0.0, 0.05, 0.4, 0.9, 0.0], dtype=torch.float64, device=device())
    return [y, pb0, pb1]


def check_llrs(llrs: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """Exercise 12.1: ``llrs(y, pb0, pb1)`` gives Sionna's BMC LLRs of bipolar ``y``, clipped at 10."""
    check_function(llrs, lambda y, p0, p1: memoryless_llrs(y, p0, p1, LLR_MAX),
                   _llr_points(), names=["y", "pb0", "pb1"])
    print("correct: your LLRs match Sionna's formula (eps = 1e-9, clipped at 10) in value and gradient")


def check_bec(bec: Callable[..., torch.Tensor]) -> None:
    """Exercise 12.2: ``bec(x, pb, noise, bipolar)`` equals the package's BinaryErasureChannel."""
    gen = torch.Generator().manual_seed(12)
    for bipolar in (False, True):
        x = torch.randint(0, 2, (64,), generator=gen).to(torch.float64)
        if bipolar:
            x = 2 * x - 1
        pb = torch.rand(64, generator=gen, dtype=torch.float64)
        noise = torch.rand(1, 64, 2, generator=gen, dtype=torch.float64)
        x, pb, noise = x.to(device()), pb.to(device()), noise.to(device())
        reference = BinaryErasureChannel(bipolar_input=bipolar, dtype=torch.float64)
        try:
            check_function(lambda x_, pb_: bec(x_, pb_, noise, bipolar),
                           lambda x_, pb_: reference(x_, pb_, noise=noise), [x, pb], names=["x", "pb"])
        except CheckFailed as exc:
            raise CheckFailed(f"with bipolar={bipolar}: {exc}") from None
    print("correct: your erasure channel matches BinaryErasureChannel for binary and bipolar inputs")


def _ci_points() -> torch.Tensor:
    gen = torch.Generator().manual_seed(13)
    rates = torch.tensor([0.02, 0.1, 0.3, 0.5, 0.8])
    return (torch.rand(400, 5, generator=gen) < rates).to(device=device(), dtype=torch.float64)


def _wald(flips: torch.Tensor, z: float) -> torch.Tensor:
    n = flips.shape[0]
    rate = flips.mean(0)
    return torch.stack((rate, z * torch.sqrt(rate * (1 - rate) / n)))


def check_flip_rate_ci(flip_rate_ci: Callable[[torch.Tensor, float], torch.Tensor]) -> None:
    """Exercise 13.1: ``flip_rate_ci(flips, z)`` gives per-position rates and Wald half-widths, shape ``[2, m]``."""
    for z in (1.96, 4.0):
        check_function(lambda f: flip_rate_ci(f, z), lambda f: _wald(f, z), [_ci_points()], names=["flips"])
    print("correct: rates and half-widths z*sqrt(r(1-r)/n) match at 5 positions, for z = 1.96 and 4")


def check_learned_pb(pb: torch.Tensor, target: tuple[float, float] = (0.05, 0.25), tol: float = 0.03) -> None:
    """Exercise 13.2: ``pb`` (a tensor ``[pb0, pb1]``) was learned to within ``tol`` of ``target``."""
    if not isinstance(pb, torch.Tensor) or tuple(pb.shape) != (2,):
        raise CheckFailed(f"pb must be a tensor of shape (2,), got {type(pb).__name__} "
                          f"{tuple(getattr(pb, 'shape', ()))}")
    got = pb.detach().cpu().double()
    for name, value, want in zip(("pb0", "pb1"), got.tolist(), target):
        if abs(value - want) > tol:
            raise CheckFailed(f"{name} = {value:.3f}, but the target flip rate is {want} (tolerance {tol}):"
                              " more steps, a larger learning rate, or a wrong loss?")
    print(f"correct: learned pb within {tol} of {target}")
