"""course_utils.inplace: ReLUInplace equals torch.relu_ and keeps autograd's bookkeeping right."""
from __future__ import annotations

import doctest

import pytest
import torch
from torch.autograd import gradcheck, gradgradcheck

from course_utils import inplace
from course_utils.inplace import relu_


def _x() -> torch.Tensor:
    return torch.tensor([-1.5, -0.2, 0.3, 0.8, 2.0], dtype=torch.float64)


def test_equals_torch_relu_in_value_and_gradient() -> None:
    a, b = _x().requires_grad_(True), _x().requires_grad_(True)
    ours, theirs = relu_(a * 1), torch.relu_(b * 1)
    torch.testing.assert_close(ours, theirs)
    w = torch.arange(5, dtype=torch.float64)
    (ours * w).sum().backward()
    (theirs * w).sum().backward()
    torch.testing.assert_close(a.grad, b.grad)


def test_returns_its_input_and_moves_history_to_it() -> None:
    a = _x().requires_grad_(True)
    h = a * 1
    version = h._version
    out = relu_(h)
    assert out is h and h._version > version
    assert type(h.grad_fn).__name__ == "ReLUInplaceBackward"


def test_a_view_gives_its_base_the_new_history() -> None:
    a = _x().requires_grad_(True)
    base = a * 1
    relu_(base[:2])
    base.sum().backward()
    torch.testing.assert_close(a.grad, torch.tensor([0.0, 0.0, 1.0, 1.0, 1.0], dtype=torch.float64))


def test_gradcheck_and_gradgradcheck() -> None:
    leaf = _x().requires_grad_(True)
    assert gradcheck(lambda t: relu_(t.clone()), (leaf,))
    assert gradgradcheck(lambda t: relu_(t.clone()), (leaf,))


def test_leaf_and_bad_types_are_refused() -> None:
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        relu_(_x().requires_grad_(True))
    with pytest.raises(TypeError, match="floating-point tensor"):
        relu_(torch.arange(3))
    with pytest.raises(TypeError, match="floating-point tensor, got list"):
        relu_([1.0])


def test_doctests() -> None:
    assert doctest.testmod(inplace).failed == 0
