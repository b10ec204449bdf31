"""course_utils.double_backward: Sinh (extra outputs) and Cube (backward as a Function)."""
from __future__ import annotations

import doctest

import torch
from torch.autograd import gradcheck, gradgradcheck

from course_utils import double_backward
from course_utils.double_backward import Cube, CubeBackward, sinh


def _x() -> torch.Tensor:
    return torch.linspace(-2.0, 1.5, 8, dtype=torch.float64)


def _second(fn, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    leaf = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(fn(leaf).sum(), leaf, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), leaf)
    return g, gg


def test_sinh_equals_torch_sinh_to_second_order() -> None:
    x = _x()
    torch.testing.assert_close(sinh(x), torch.sinh(x))
    g, gg = _second(sinh, x)
    torch.testing.assert_close(g, torch.cosh(x))
    torch.testing.assert_close(gg, torch.sinh(x))
    leaf = x.clone().requires_grad_(True)
    assert gradcheck(sinh, (leaf,)) and gradgradcheck(sinh, (leaf,))


def test_cube_equals_pow_to_second_order() -> None:
    x = _x()
    torch.testing.assert_close(Cube.apply(x), torch.pow(x, 3))
    g, gg = _second(Cube.apply, x)
    torch.testing.assert_close(g, 3 * x**2)
    torch.testing.assert_close(gg, 6 * x)
    leaf = x.clone().requires_grad_(True)
    assert gradcheck(Cube.apply, (leaf,)) and gradgradcheck(Cube.apply, (leaf,))
    g_in = torch.randn(8, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    assert gradcheck(CubeBackward.apply, (g_in.requires_grad_(True), leaf))


def test_doctests() -> None:
    assert doctest.testmod(double_backward).failed == 0
