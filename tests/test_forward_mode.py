"""course_utils.forward_mode: LegendreP3Dual in both modes, against torch's own P3."""
from __future__ import annotations

import doctest

import pytest
import torch
from torch.autograd import gradcheck, gradgradcheck

from course_utils import forward_mode
from course_utils.forward_mode import LegendreP3Dual, p3_derivative
from course_utils.functions import LegendreP3


@pytest.fixture
def x() -> torch.Tensor:
    return torch.linspace(-1.2, 1.3, 11, dtype=torch.float64)


def test_value_equals_torch_special_legendre(x: torch.Tensor) -> None:
    torch.testing.assert_close(LegendreP3Dual.apply(x), torch.special.legendre_polynomial_p(x, 3))


def test_gradcheck_both_modes_and_gradgradcheck(x: torch.Tensor) -> None:
    leaf = x.clone().requires_grad_(True)
    assert gradcheck(LegendreP3Dual.apply, (leaf,), check_forward_ad=True, check_batched_grad=True)
    assert gradgradcheck(LegendreP3Dual.apply, (leaf,))


def test_jvp_jacfwd_equal_reverse_mode(x: torch.Tensor) -> None:
    tangent = torch.randn(x.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    _, jvp_out = torch.func.jvp(LegendreP3Dual.apply, (x,), (tangent,))
    torch.testing.assert_close(jvp_out, tangent * p3_derivative(x))
    torch.testing.assert_close(torch.func.jacfwd(LegendreP3Dual.apply)(x), torch.diag(p3_derivative(x)))
    leaf = x.clone().requires_grad_(True)
    LegendreP3.apply(leaf).sum().backward()
    torch.testing.assert_close(torch.func.grad(lambda t: LegendreP3Dual.apply(t).sum())(x), leaf.grad)


def test_doctests() -> None:
    assert doctest.testmod(forward_mode).failed == 0
