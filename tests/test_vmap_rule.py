"""course_utils.vmap_rule: NumpyCube under torch.vmap, torch.func and gradcheck."""
from __future__ import annotations

import doctest

import pytest
import torch
from torch.autograd import gradcheck, gradgradcheck

from course_utils import vmap_rule
from course_utils.vmap_rule import NumpyCube


def _batch() -> torch.Tensor:
    return torch.randn(4, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(4))


@pytest.mark.parametrize("in_dims", [0, 1])
def test_vmap_equals_pow(in_dims: int) -> None:
    b = _batch()
    out = torch.vmap(NumpyCube.apply, in_dims=in_dims)(b)
    torch.testing.assert_close(out, torch.pow(b, 3) if in_dims == 0 else torch.pow(b, 3).T)


def test_per_sample_gradients_and_gradcheck() -> None:
    b = _batch()
    grads = torch.vmap(torch.func.grad(lambda r: NumpyCube.apply(r).sum()))(b)
    torch.testing.assert_close(grads, 3 * b**2)
    leaf = b[0].clone().requires_grad_(True)
    assert gradcheck(NumpyCube.apply, (leaf,), check_batched_grad=True)
    assert gradgradcheck(NumpyCube.apply, (leaf,))


def test_dtype_kept() -> None:
    x = torch.tensor([2.0], dtype=torch.float32)
    assert NumpyCube.apply(x).dtype == torch.float32


def test_doctests() -> None:
    assert doctest.testmod(vmap_rule).failed == 0
