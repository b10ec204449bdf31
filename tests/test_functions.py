"""The reference Functions of Part I: gradcheck in float64 and equality with PyTorch's ops."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch.autograd import gradcheck, gradgradcheck

from course_utils.functions import (
    CrossEntropy,
    Exp,
    LegendreP3,
    Linear,
    LinearFunction,
    MemoryEfficientSwish,
    MultiplyAdd,
    ReLU,
    SwishFunction,
    cross_entropy,
)


def _rand(*shape: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64).requires_grad_(True)


def _grads(fn, *inputs):
    leaves = [t.detach().clone().requires_grad_(t.requires_grad) for t in inputs]
    out = fn(*leaves)
    out.backward(torch.ones_like(out))
    return out.detach(), [t.grad for t in leaves]


@pytest.mark.parametrize("fn, ref", [
    (Exp.apply, torch.exp),
    (ReLU.apply, torch.relu),
    (LegendreP3.apply, lambda x: 0.5 * (5 * x**3 - 3 * x)),
    (SwishFunction.apply, F.silu),
])
def test_unary_functions_match_torch_and_gradcheck(fn, ref) -> None:
    x = _rand(4, 5)
    with torch.no_grad():  # keep away from ReLU's kink for finite differences
        x[x.abs() < 1e-3] += 0.01
    out, (gx,) = _grads(fn, x)
    ref_out, (ref_gx,) = _grads(ref, x)
    torch.testing.assert_close(out, ref_out)
    torch.testing.assert_close(gx, ref_gx)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_relu_gradient_at_zero_is_zero_like_torch() -> None:
    x = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    ReLU.apply(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0]


def test_multiply_add() -> None:
    w, x, b = _rand(3, 2, seed=1), _rand(3, 2, seed=2), _rand(3, 2, seed=3)
    out, grads = _grads(MultiplyAdd.apply, w, x, b)
    ref_out, ref_grads = _grads(lambda w, x, b: w * x + b, w, x, b)
    torch.testing.assert_close(out, ref_out)
    for g, r in zip(grads, ref_grads):
        torch.testing.assert_close(g, r)
    assert gradcheck(MultiplyAdd.apply, (w, x, b))
    with pytest.raises(ValueError, match="same shape"):
        MultiplyAdd.apply(w, x, b[:1])


def test_multiply_add_skips_unneeded_gradients() -> None:
    # x.grad would stay None whatever backward returned: record what backward computes instead
    class Recording(MultiplyAdd):
        computed: list[bool] = []  # noqa: RUF012 (a record shared by the calls)

        @staticmethod
        def backward(ctx, grad_output):
            grads = MultiplyAdd.backward(ctx, grad_output)
            Recording.computed = [g is not None for g in grads]
            return grads

    w, x, b = _rand(2), _rand(2).detach(), _rand(2)
    Recording.apply(w, x, b).sum().backward()
    assert Recording.computed == [True, False, True]
    Recording.apply(w, x.requires_grad_(True), b).sum().backward()
    assert Recording.computed == [True, True, True]


@pytest.mark.parametrize("bias", [True, False])
def test_linear_module_equals_nn_linear(bias: bool) -> None:
    torch.manual_seed(0)
    ref = torch.nn.Linear(5, 3, bias=bias, dtype=torch.float64)
    ours = Linear(5, 3, bias=bias, dtype=torch.float64)
    ours.load_state_dict(ref.state_dict())
    x1, x2 = _rand(7, 5), _rand(7, 5)
    ours(x1).pow(2).sum().backward()
    ref(x2).pow(2).sum().backward()
    torch.testing.assert_close(ours(x1), ref(x2))
    torch.testing.assert_close(x1.grad, x2.grad)
    torch.testing.assert_close(ours.weight.grad, ref.weight.grad)
    if bias:
        torch.testing.assert_close(ours.bias.grad, ref.bias.grad)
    else:
        assert ours.bias is None
    assert "in_features=5, out_features=3" in repr(ours)


def test_linear_function_gradcheck_and_needs_input_grad() -> None:
    x, w, b = _rand(4, 3), _rand(2, 3, seed=1), _rand(2, seed=2)
    assert gradcheck(LinearFunction.apply, (x, w, b))
    assert gradcheck(LinearFunction.apply, (x, w, None))
    assert gradgradcheck(LinearFunction.apply, (x, w, b))
    frozen_w = w.detach()
    out = LinearFunction.apply(x, frozen_w, b)
    out.sum().backward()
    assert frozen_w.grad is None and x.grad is not None


def test_linear_initialisation_bounds() -> None:
    layer = Linear(16, 4)
    assert layer.weight.abs().max() <= 0.25 and layer.bias.abs().max() <= 0.25


@pytest.mark.parametrize("args, match", [
    ((torch.zeros(2, 3, 4), torch.zeros(2, 4)), "x must be"),
    ((torch.zeros(2, 3), torch.zeros(2, 4)), "3 features"),
    ((torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(3)), "bias must have shape"),
])
def test_linear_function_rejects_bad_shapes(args, match) -> None:
    with pytest.raises(ValueError, match=match):
        LinearFunction.apply(*args)


@pytest.mark.parametrize("in_f", [0, -1, 2.0, True])
def test_linear_rejects_bad_sizes(in_f) -> None:
    with pytest.raises(ValueError, match="in_features"):
        Linear(in_f, 3)


@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_cross_entropy_equals_torch(scale: float) -> None:
    logits = (_rand(6, 4) * scale).detach().requires_grad_(True)
    if scale > 1:
        with torch.no_grad():
            logits[0] = torch.tensor([1000.0, -1000.0, 1000.0, -1000.0])
    target = torch.tensor([0, 1, 2, 3, 3, 1])
    ours, (g_ours, _) = _grads(cross_entropy, logits, target)
    ref, (g_ref, _) = _grads(F.cross_entropy, logits, target)
    assert torch.isfinite(ours) and torch.isfinite(g_ours).all()
    torch.testing.assert_close(ours, ref)
    torch.testing.assert_close(g_ours, g_ref)


def test_cross_entropy_gradcheck_and_grad_output() -> None:
    logits, target = _rand(5, 3), torch.tensor([0, 2, 1, 1, 0])
    assert gradcheck(lambda z: cross_entropy(z, target), (logits,))
    # a non-unit upstream gradient is applied
    (3 * cross_entropy(logits, target)).backward()
    g = logits.grad.clone()
    logits.grad = None
    (3 * F.cross_entropy(logits, target)).backward()
    torch.testing.assert_close(g, logits.grad)


def test_cross_entropy_is_once_differentiable() -> None:
    logits, target = _rand(3, 3), torch.tensor([0, 1, 2])
    upstream = torch.ones((), dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(CrossEntropy.apply(logits, target), logits, upstream,
                               create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()


@pytest.mark.parametrize("logits, target, error, match", [
    (torch.zeros(2, 3, dtype=torch.int64), torch.tensor([0, 1]), TypeError, "logits must be a floating"),
    (torch.zeros(2, 3), torch.tensor([0.0, 1.0]), TypeError, "target must be an int64"),
    (torch.zeros(2, 3), torch.tensor([0, 1], dtype=torch.int32), TypeError, "int32"),
    (torch.zeros(2, 3), [0, 1], TypeError, "got list"),
    (torch.zeros(3), torch.tensor([0]), ValueError, r"logits must have shape \[N, C\]"),
    (torch.zeros(0, 3), torch.tensor([], dtype=torch.int64), ValueError, "N, C >= 1"),
    (torch.zeros(2, 3), torch.tensor([[0, 1]]), ValueError, r"target must have shape \(2,\)"),
    (torch.zeros(2, 3), torch.tensor([0, 3]), ValueError, r"in \[0, 2\].*from 0 to 3"),
    (torch.zeros(2, 3), torch.tensor([-1, 0]), ValueError, "from -1 to 0"),
])
def test_cross_entropy_rejects_bad_input(logits, target, error, match) -> None:
    with pytest.raises(error, match=match):
        cross_entropy(logits, target)


def test_memory_efficient_swish_module_matches_silu() -> None:
    x = _rand(3, 4)
    torch.testing.assert_close(MemoryEfficientSwish()(x), torch.nn.SiLU()(x))
