"""Checkers for the exercises of notebook 00 (start here)."""
from __future__ import annotations

from collections.abc import Callable

import torch

from ..checking import check_function, check_saves_result
from ..env import device


def _points() -> torch.Tensor:
    # Negative, zero, fractional and large-ish points, in float64 so that
    # differences come from the formulas, not from rounding.
    return torch.tensor([-2.5, -1.0, -0.3, 0.0, 0.7, 1.0, 3.0], dtype=torch.float64, device=device())


def check_cube(cube: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """Exercise 00.1: ``cube`` (e.g. ``Cube.apply``) computes ``x**3`` with gradient ``3 x**2``."""
    check_function(cube, lambda x: x**3, [_points()], names=["x"])
    print("correct: Cube matches x**3 in value and gradient at 7 points")


def check_reciprocal(reciprocal: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """Check exercise 00.2: a Reciprocal Function that saves its result.

    ``reciprocal`` computes ``1/x`` with gradient ``-1/x**2`` (x != 0),
    saving only its result ``y`` for backward."""
    x = _points()
    check_function(reciprocal, torch.reciprocal, [x[x != 0]], names=["x"])
    check_saves_result(reciprocal, x[x != 0], what="Reciprocal")
    print("correct: Reciprocal matches 1/x in value and gradient at 6 points and saves only y")
