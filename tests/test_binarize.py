"""Tests of course_utils.binarize: the sign convention, each surrogate gradient, BinaryLinear."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from course_utils.binarize import BinaryLinear, sign_clipped_ste, sign_parabola, sign_ste, sign_swish

BINARIZERS = [sign_ste, sign_clipped_ste, sign_parabola, sign_swish]
# The boundaries of every piecewise definition, both zeros, and points in between and outside.
POINTS = [-3.0, -1.5, -1.0, -0.75, -0.5, -1e-7, -0.0, 0.0, 1e-7, 0.25, 0.5, 0.999, 1.0, 1.5, 3.0]


def grad_of(binarizer, values, *args, dtype=torch.float64, device="cpu", upstream=None):
    x = torch.tensor(values, dtype=dtype, device=device, requires_grad=True)
    y = binarizer(x, *args)
    y.backward(torch.ones_like(y) if upstream is None else upstream)
    return y.detach(), x.grad


def approx_sign(x: torch.Tensor) -> torch.Tensor:
    """The parabola ApproxSign, written with torch ops (autograd differentiates it)."""
    inner = torch.where(x < 0, x * x + 2 * x, -x * x + 2 * x)
    return torch.where(x < -1, -torch.ones_like(x), torch.where(x >= 1, torch.ones_like(x), inner))


def swish_sign(x: torch.Tensor, beta: float) -> torch.Tensor:
    s = torch.sigmoid(beta * x)
    return 2 * s * (1 + beta * x * (1 - s)) - 1


# ---------------------------------------------------------------- forward: the sign convention


@pytest.mark.parametrize("binarizer", BINARIZERS, ids=lambda f: f.__name__)
def test_forward_is_plus_minus_one_with_sign_zero_plus_one(binarizer) -> None:
    y, _ = grad_of(binarizer, POINTS)
    expected = [-1.0] * 6 + [1.0] * 9  # -0.0 and 0.0 both give +1
    assert y.tolist() == expected
    # torch.sign differs exactly at the zeros: that is why the course does not use it.
    assert torch.sign(torch.tensor([-0.0, 0.0])).tolist() == [0.0, 0.0]


@pytest.mark.parametrize("binarizer", BINARIZERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_dtype_device_and_shape_preserved(binarizer, dtype, device) -> None:
    x = torch.linspace(-2, 2, 24, dtype=dtype, device=device).reshape(2, 3, 4).requires_grad_(True)
    y = binarizer(x)
    assert (y.dtype, y.device, y.shape) == (dtype, x.device, x.shape)
    assert set(y.detach().cpu().unique().tolist()) == {-1.0, 1.0}
    y.sum().backward()
    assert (x.grad.dtype, x.grad.device, x.grad.shape) == (dtype, x.device, x.shape)
    assert torch.isfinite(x.grad).all()


@pytest.mark.parametrize("binarizer", BINARIZERS, ids=lambda f: f.__name__)
def test_nan_propagates_and_infinities_are_signed(binarizer) -> None:
    y, _ = grad_of(binarizer, [float("nan"), float("-inf"), float("inf")])
    assert torch.isnan(y[0]) and y[1:].tolist() == [-1.0, 1.0]


# ---------------------------------------------------------------- backward: each surrogate


def test_identity_ste_passes_the_gradient_through() -> None:
    upstream = torch.linspace(-2, 2, len(POINTS), dtype=torch.float64)
    _, g = grad_of(sign_ste, POINTS, upstream=upstream)
    assert torch.equal(g, upstream)


def test_clipped_ste_is_one_inside_the_window_boundaries_included() -> None:
    _, g = grad_of(sign_clipped_ste, POINTS)
    expected = [0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    assert g.tolist() == expected
    _, g = grad_of(sign_clipped_ste, [-2.5, -2.0, 1.9, 2.0, 2.01], 2.0)
    assert g.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]


def test_clipped_ste_equals_autograd_of_hardtanh_off_the_boundaries() -> None:
    x = torch.linspace(-3, 3, 601, dtype=torch.float64)
    x = x[(x.abs() - 1).abs() > 1e-9]
    _, ours = grad_of(sign_clipped_ste, x.tolist())
    _, ref = grad_of(F.hardtanh, x.tolist())
    assert torch.equal(ours, ref)


def test_parabola_backward_at_the_boundaries() -> None:
    _, g = grad_of(sign_parabola, [-1.5, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 1.5])
    assert g.tolist() == [0.0, 0.0, 1.0, 2.0, 2.0, 1.0, 0.0, 0.0]


def test_parabola_backward_equals_autograd_of_approx_sign() -> None:
    x = torch.linspace(-2, 2, 401, dtype=torch.float64).tolist() + [-1.0, -0.0, 0.0, 1.0]
    upstream = torch.randn(len(x), dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    _, ours = grad_of(sign_parabola, x, upstream=upstream)
    _, ref = grad_of(approx_sign, x, upstream=upstream)
    torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("beta", [0.5, 1.0, 5.0, 20.0])
def test_swish_backward_equals_autograd_of_swish_sign(beta: float) -> None:
    x = torch.linspace(-4, 4, 401, dtype=torch.float64).tolist() + [-1.0, -0.0, 0.0, 1.0]
    _, ours = grad_of(sign_swish, x, beta)
    _, ref = grad_of(lambda t: swish_sign(t, beta), x)
    torch.testing.assert_close(ours, ref, rtol=1e-9, atol=1e-12)


def test_swish_peak_and_tails() -> None:
    _, g = grad_of(sign_swish, [0.0, 1e4, -1e4, 1e30])
    assert g[0].item() == pytest.approx(5.0)  # beta * 2 / (1 + cosh 0) = beta
    assert g[1:].abs().max().item() == 0.0  # no overflow to inf or nan far out
    _, g = grad_of(sign_swish, [0.0], 2.0)
    assert g.item() == pytest.approx(2.0)


@pytest.mark.parametrize("binarizer", BINARIZERS, ids=lambda f: f.__name__)
def test_backward_scales_with_grad_output(binarizer) -> None:
    _, g1 = grad_of(binarizer, POINTS)
    upstream = torch.full((len(POINTS),), -3.0, dtype=torch.float64)
    _, g3 = grad_of(binarizer, POINTS, upstream=upstream)
    torch.testing.assert_close(g3, -3 * g1)


@pytest.mark.parametrize("binarizer", BINARIZERS, ids=lambda f: f.__name__)
def test_gradcheck_fails_because_backward_is_not_the_derivative(binarizer) -> None:
    # Points away from 0, where sign is locally constant: the finite-difference
    # derivative is 0 but every surrogate returns a nonzero gradient there.
    x = torch.tensor([-0.4, 0.3, 0.6], dtype=torch.float64, requires_grad=True)
    assert not torch.autograd.gradcheck(binarizer, (x,), raise_exception=False)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("binarizer", BINARIZERS, ids=lambda f: f.__name__)
def test_non_float_input_is_refused(binarizer) -> None:
    with pytest.raises(TypeError, match=r"x must be a floating-point tensor.*torch.int64"):
        binarizer(torch.tensor([1, -2]))
    with pytest.raises(TypeError, match=r"x must be a floating-point tensor.*torch.bool"):
        binarizer(torch.tensor([True]))
    with pytest.raises(TypeError, match=r"x must be a torch.Tensor, got list"):
        binarizer([0.5, -0.5])


@pytest.mark.parametrize("bad", [0, 0.0, -1.0, float("nan")])
def test_non_positive_clip_and_beta_are_refused(bad) -> None:
    x = torch.zeros(2)
    with pytest.raises(ValueError, match="clip must be positive"):
        sign_clipped_ste(x, bad)
    with pytest.raises(ValueError, match="beta must be positive"):
        sign_swish(x, bad)


def test_non_number_clip_and_beta_are_refused() -> None:
    x = torch.zeros(2)
    with pytest.raises(TypeError, match="clip must be a positive number, got str"):
        sign_clipped_ste(x, "1")
    with pytest.raises(TypeError, match="beta must be a positive number, got Tensor"):
        sign_swish(x, torch.tensor(5.0))


# ---------------------------------------------------------------- BinaryLinear


def test_binary_linear_matches_f_linear_on_binarized_operands(device) -> None:
    torch.manual_seed(0)
    layer = BinaryLinear(5, 3, bias=True, weights="ste", inputs="parabola", device=device)
    x = torch.randn(4, 5, device=device, requires_grad=True)
    y = layer(x)
    assert y.shape == (4, 3) and y.device == x.device
    wb = torch.where(layer.weight < 0, -1.0, 1.0)
    xb = torch.where(x < 0, -1.0, 1.0)
    torch.testing.assert_close(y, xb @ wb.T + layer.bias)
    y.sum().backward()
    # loss = sum(y): dL/dW_b[j, k] = sum_i xb[i, k] passes straight through the STE ...
    torch.testing.assert_close(layer.weight.grad, xb.sum(0).expand(3, 5))
    # ... and dL/dX_b[i, k] = sum_j wb[j, k] is scaled by the parabola's 2 - 2|x|.
    torch.testing.assert_close(x.grad, wb.sum(0) * (2 - 2 * x.detach().abs()).clamp_min(0))
    torch.testing.assert_close(layer.bias.grad, torch.full((3,), 4.0, device=device))


def test_binary_linear_uses_the_named_binarizers() -> None:
    layer = BinaryLinear(2, 1, weights="clipped_ste")
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[0.5, 1.5]]))
    layer(torch.tensor([[1.0, 1.0]])).sum().backward()
    assert layer.weight.grad.tolist() == [[1.0, 0.0]]  # |1.5| > 1: clipped
    assert "weights='clipped_ste', inputs=None" in repr(layer)


def test_binary_linear_clip_weights() -> None:
    layer = BinaryLinear(3, 2)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[-2.0, 0.5, 3.0], [1.0, -1.0, -0.25]]))
    layer.clip_weights_()
    assert layer.weight.tolist() == [[-1.0, 0.5, 1.0], [1.0, -1.0, -0.25]]
    assert layer.weight.grad is None


def test_binary_linear_bad_arguments() -> None:
    with pytest.raises(ValueError, match="in_features must be positive, got 0"):
        BinaryLinear(0, 2)
    with pytest.raises(TypeError, match="out_features must be an int, got float"):
        BinaryLinear(2, 2.0)
    with pytest.raises(ValueError, match=r"weights must be one of .*got 'sign'"):
        BinaryLinear(2, 2, weights="sign")
    with pytest.raises(ValueError, match="weights must name a binarizer"):
        BinaryLinear(2, 2, weights=None)
    with pytest.raises(ValueError, match=r"inputs must be one of"):
        BinaryLinear(2, 2, inputs="tanh")
    layer = BinaryLinear(3, 2)
    with pytest.raises(ValueError, match=r"x must have 3 features .*shape \(4, 2\)"):
        layer(torch.zeros(4, 2))
    with pytest.raises(TypeError, match="x must be a floating-point tensor"):
        layer(torch.zeros(4, 3, dtype=torch.long))
