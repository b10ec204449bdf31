"""course_utils.multi_output: Sort equals torch.sort, SinCos equals (sin, cos), None grads handled."""
from __future__ import annotations

import doctest

import torch
from torch.autograd import gradcheck, gradgradcheck

from course_utils import multi_output
from course_utils.multi_output import SinCos, Sort


def _x() -> torch.Tensor:
    return torch.randn(3, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(1))


def test_sort_equals_torch_sort() -> None:
    a, b = _x().requires_grad_(True), _x().requires_grad_(True)
    (values, indices), expected = Sort.apply(a), torch.sort(b, dim=-1)
    torch.testing.assert_close(values, expected.values)
    assert torch.equal(indices, expected.indices) and not indices.requires_grad
    w = torch.randn(3, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    (values * w).sum().backward()
    (expected.values * w).sum().backward()
    torch.testing.assert_close(a.grad, b.grad)
    assert gradcheck(lambda t: Sort.apply(t)[0], (_x().requires_grad_(True),))


def test_sincos_equals_sin_and_cos_and_skips_unused_outputs() -> None:
    x = _x()
    s, c = SinCos.apply(x)
    torch.testing.assert_close(s, torch.sin(x))
    torch.testing.assert_close(c, torch.cos(x))
    leaf = x.clone().requires_grad_(True)
    assert gradcheck(SinCos.apply, (leaf,))  # includes check_undefined_grad: both grads None
    assert gradgradcheck(SinCos.apply, (leaf,))
    for pick, derivative in ((0, torch.cos(x)), (1, -torch.sin(x))):
        leaf = x.clone().requires_grad_(True)
        SinCos.apply(leaf)[pick].sum().backward()
        torch.testing.assert_close(leaf.grad, derivative)


def test_doctests() -> None:
    assert doctest.testmod(multi_output).failed == 0
