"""Checkers for the exercises of notebook 07 (straight-through estimators)."""
from __future__ import annotations

from collections.abc import Callable

import torch

from ..binarize import sign_ste, sign_swish
from ..checking import check_function
from ..env import device


def _points() -> torch.Tensor:
    # Both zeros, the boundaries +-1, the sharp region near 0 and the tails.
    values = [-4.0, -1.5, -1.0, -0.5, -0.2, -0.0, 0.0, 0.1, 0.3, 1.0, 2.0, 4.0]
    return torch.tensor(values, dtype=torch.float64, device=device())


def check_swish_sign(swish_sign: Callable[[torch.Tensor, float], torch.Tensor]) -> None:
    """Exercise 07.1: ``swish_sign(x, beta)`` is sign forward, SwishSign's derivative backward."""
    x = _points()
    for beta in (5.0, 2.0):
        try:
            check_function(lambda t, b=beta: swish_sign(t, b), lambda t, b=beta: sign_swish(t, b), [x],
                           names=["x"], rtol=1e-9, atol=1e-12)
        except AssertionError as exc:
            raise type(exc)(f"with beta = {beta}: {exc}") from None
    print("correct: sign forward and SwishSign backward match for beta = 5 and beta = 2 at 12 points")


def _tanh_sign_reference(x: torch.Tensor) -> torch.Tensor:
    # Value sign(x); gradient that of tanh: the detach trick of notebook 07.
    t = torch.tanh(x)
    return sign_ste(x).detach() + (t - t.detach())


def check_tanh_sign(tanh_sign: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """Exercise 07.2: ``tanh_sign(x)`` is sign forward, ``1 - tanh(x)**2`` backward."""
    check_function(tanh_sign, _tanh_sign_reference, [_points()], names=["x"], rtol=1e-9, atol=1e-12)
    print("correct: sign forward and tanh-derivative backward match at 12 points")
