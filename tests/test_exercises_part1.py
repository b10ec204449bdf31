"""The Part I exercise checkers accept the solutions and explain plausible wrong answers."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from course_utils import CheckFailed
from course_utils.exercises import part1 as ex
from course_utils.functions import LegendreP3

from helpers import checker_output


def _unary(forward_fn, backward_fn, save="x"):
    """A Function whose forward saves x (or y) and whose backward is backward_fn(saved, g)."""

    class Unary(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = forward_fn(x)
            ctx.save_for_backward(x if save == "x" else y)
            return y

        @staticmethod
        def backward(ctx, g):
            (saved,) = ctx.saved_tensors
            return backward_fn(saved, g)

    return Unary.apply


# -- 01 --------------------------------------------------------------------------------
def test_tanh(capsys) -> None:
    ex.check_tanh(_unary(torch.tanh, lambda y, g: g * (1 - y * y), save="y"))
    assert "correct: Tanh" in checker_output(capsys)
    with pytest.raises(CheckFailed, match=r"grad of x: .* values differ"):
        ex.check_tanh(_unary(torch.tanh, lambda y, g: g * (1 - y), save="y"))
    with pytest.raises(CheckFailed, match="does backward multiply by grad_output"):
        ex.check_tanh(_unary(torch.tanh, lambda y, g: 1 - y * y, save="y"))


def test_tanh_must_save_the_result() -> None:
    # right values and gradients, computed from x: only the "save the output" rule is broken
    with pytest.raises(CheckFailed, match=r"Tanh must save only its result y .*; it saves x$"):
        ex.check_tanh(_unary(torch.tanh, lambda x, g: g * (1 - torch.tanh(x) ** 2), save="x"))

    class TanhStashesY(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.y = torch.tanh(x)
            return ctx.y

        @staticmethod
        def backward(ctx, g):
            return g * (1 - ctx.y * ctx.y)

    with pytest.raises(CheckFailed, match=r"Tanh keeps tensors as ctx attributes \(ctx.y\)"):
        ex.check_tanh(TanhStashesY.apply)


def test_x_sin_x() -> None:
    ex.check_x_sin_x(_unary(lambda x: x * torch.sin(x),
                            lambda x, g: g * (torch.sin(x) + x * torch.cos(x))))
    with pytest.raises(CheckFailed, match=r"grad of x: 6 of 7 values differ"):
        ex.check_x_sin_x(_unary(lambda x: x * torch.sin(x), lambda x, g: g * x * torch.cos(x)))


class ScaledAdd(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, y, alpha):
        ctx.alpha = alpha
        return x + alpha * y

    @staticmethod
    def backward(ctx, g):
        return g, ctx.alpha * g, None


class ScaledAddTwoGrads(ScaledAdd):
    @staticmethod
    def backward(ctx, g):
        return g, ctx.alpha * g


class ScaledAddForgetsAlpha(ScaledAdd):
    @staticmethod
    def backward(ctx, g):
        return g, g, None


def test_scaled_add() -> None:
    ex.check_scaled_add(ScaledAdd.apply)
    with pytest.raises(CheckFailed, match=r"incorrect number of gradients \(expected 3, got 2\)"):
        ex.check_scaled_add(ScaledAddTwoGrads.apply)
    with pytest.raises(CheckFailed, match="grad of y"):
        ex.check_scaled_add(ScaledAddForgetsAlpha.apply)


# -- 02 --------------------------------------------------------------------------------
def test_legendre_p4() -> None:
    p4 = lambda x: (35 * x**4 - 30 * x**2 + 3) / 8  # noqa: E731
    ex.check_legendre_p4(_unary(p4, lambda x, g: g * (35 * x**3 - 15 * x) / 2))
    with pytest.raises(CheckFailed, match="grad of x"):  # forgot the chain-rule factor 1/8 -> 1/2
        ex.check_legendre_p4(_unary(p4, lambda x, g: g * (140 * x**3 - 60 * x)))
    with pytest.raises(CheckFailed, match="output"):
        ex.check_legendre_p4(_unary(lambda x: (35 * x**4 - 30 * x**2) / 8, lambda x, g: g))


def _fit_gradients_by_autograd(a, b, c, d, x, y):
    leaves = [p.clone().requires_grad_(True) for p in (a, b, c, d)]
    a, b, c, d = leaves
    loss = (a + b * LegendreP3.apply(c + d * x) - y).pow(2).sum()
    return torch.autograd.grad(loss, leaves)


def _fit_gradients(a, b, c, d, x, y, wrong=False):
    z = c + d * x
    p3 = 0.5 * (5 * z**3 - 3 * z)
    r = 2 * (a + b * p3 - y)
    dp3 = 1.5 * (5 * z**2 - 1)
    gd = (r * b * dp3).sum() if wrong else (r * b * dp3 * x).sum()
    return r.sum(), (r * p3).sum(), (r * b * dp3).sum(), gd


def test_fit_gradients() -> None:
    ex.check_fit_gradients(_fit_gradients)
    with pytest.raises(CheckFailed, match="dL/dd: 1 of 1 values differ"):
        ex.check_fit_gradients(lambda *args: _fit_gradients(*args, wrong=True))
    with pytest.raises(CheckFailed, match="tuple of 4 gradients"):
        ex.check_fit_gradients(lambda *args: _fit_gradients(*args)[:3])
    with pytest.raises(CheckFailed, match="calling your function raised ZeroDivisionError"):
        ex.check_fit_gradients(lambda *args: 1 / 0)
    # right gradients, but computed by autograd: the statement says "without autograd"
    with pytest.raises(CheckFailed, match=r"autograd switched off .*without autograd"):
        ex.check_fit_gradients(_fit_gradients_by_autograd)


def test_unsolved_exercise_is_not_reported_as_wrong() -> None:
    def unsolved(*args):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        ex.check_fit_gradients(unsolved)
    with pytest.raises(NotImplementedError):
        ex.check_tanh(unsolved)


# -- 03 --------------------------------------------------------------------------------
class MatMul(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g @ b.t(), a.t() @ g


class MatMulSwapped(MatMul):
    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g @ b.t(), g.t() @ a  # the transpose of the right answer


def test_matmul() -> None:
    ex.check_matmul(MatMul.apply)
    with pytest.raises(CheckFailed, match=r"invalid gradient at index 1 - got \[5, 3\] but expected shape compatible with \[3, 5\]"):
        ex.check_matmul(MatMulSwapped.apply)


def _batched_linear(sum_bias_over_all=True):
    class BatchedLinear(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, w, b):
            ctx.save_for_backward(x, w)
            return x @ w.t() + b

        @staticmethod
        def backward(ctx, g):
            x, w = ctx.saved_tensors
            g2, x2 = g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1])
            gb = g2.sum(0) if sum_bias_over_all else g.sum(0)
            return g @ w, g2.t() @ x2, gb

    return BatchedLinear.apply


def test_batched_linear() -> None:
    ex.check_batched_linear(_batched_linear())
    with pytest.raises(CheckFailed, match=r"for x of shape \[4\]: .* invalid gradient at index 2 - got \[\]"):
        ex.check_batched_linear(_batched_linear(sum_bias_over_all=False))


# -- 04 --------------------------------------------------------------------------------
def _huber(target_grad=True):
    class Huber(torch.autograd.Function):
        @staticmethod
        def forward(ctx, pred, target):
            d = pred - target
            ctx.save_for_backward(d)
            small = d.abs() <= 1
            return torch.where(small, 0.5 * d * d, d.abs() - 0.5).mean()

        @staticmethod
        def backward(ctx, g):
            (d,) = ctx.saved_tensors
            grad = d.clamp(-1, 1) * g / d.numel()
            return grad, (-grad if target_grad else None)

    return Huber.apply


def test_huber() -> None:
    ex.check_huber(_huber())
    with pytest.raises(CheckFailed, match="grad of target: got None"):
        ex.check_huber(_huber(target_grad=False))
    with pytest.raises(CheckFailed, match="output"):  # the sum instead of the mean
        ex.check_huber(lambda p, t: F.huber_loss(p, t, reduction="sum"))


def test_softplus() -> None:
    stable = lambda x: x.clamp(min=0) + torch.log1p(torch.exp(-x.abs()))  # noqa: E731
    ex.check_softplus(_unary(stable, lambda x, g: g * torch.sigmoid(x)))
    naive = lambda x: torch.log(1 + torch.exp(x))  # noqa: E731
    with pytest.raises(CheckFailed, match=r"output: .*input 1000\): yours inf"):
        ex.check_softplus(_unary(naive, lambda x, g: g * torch.sigmoid(x)))


# -- 05 --------------------------------------------------------------------------------
def _mish_backward(x, g):
    sp = F.softplus(x)
    t = torch.tanh(sp)
    return g * (t + x * (1 - t * t) * torch.sigmoid(x))


def test_mish() -> None:
    ex.check_mish(_unary(F.mish, _mish_backward))

    class MishSavesMore(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            t = torch.tanh(F.softplus(x))
            ctx.save_for_backward(x, t)
            return x * t

        @staticmethod
        def backward(ctx, g):
            x, t = ctx.saved_tensors
            return g * (t + x * (1 - t * t) * torch.sigmoid(x))

    with pytest.raises(CheckFailed, match=r"keeps 16384 bytes besides its input .*\(1 tensors"):
        ex.check_mish(MishSavesMore.apply)
    with pytest.raises(CheckFailed, match="keeps"):  # plain autograd saves intermediates
        ex.check_mish(lambda x: x * torch.tanh(F.softplus(x)))

    class MishStashesT(torch.autograd.Function):  # saves x, but also keeps t on ctx
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            ctx.t = torch.tanh(F.softplus(x))
            return x * ctx.t

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * (ctx.t + x * (1 - ctx.t * ctx.t) * torch.sigmoid(x))

    with pytest.raises(CheckFailed, match=r"Mish keeps tensors as ctx attributes \(ctx.t\)"):
        ex.check_mish(MishStashesT.apply)


def _gelu_backward(x, g):
    k = math.sqrt(2 / math.pi)
    inner = k * (x + 0.044715 * x**3)
    t = torch.tanh(inner)
    return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x))


def test_gelu_tanh() -> None:
    gelu = lambda x: F.gelu(x, approximate="tanh")  # noqa: E731
    ex.check_gelu_tanh(_unary(gelu, _gelu_backward))
    with pytest.raises(CheckFailed, match="grad of x"):  # forgot the product rule's 2nd term
        ex.check_gelu_tanh(_unary(gelu, lambda x, g: g * 0.5 * (1 + torch.tanh(
            math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))))
    with pytest.raises(CheckFailed, match=r"GELU keeps tensors as ctx attributes \(ctx.x\)"):
        ex.check_gelu_tanh(_stash(gelu, _gelu_backward, keep=lambda x: {"x": x}))
    with pytest.raises(CheckFailed, match=r"GELU keeps tensors as ctx attributes \(ctx.cache\[0\]\)"):
        ex.check_gelu_tanh(_stash(gelu, _gelu_backward, save_x=True,
                                  keep=lambda x: {"cache": [torch.tanh(x)]}))
    with pytest.raises(CheckFailed, match="saves 0 bytes"):
        ex.check_gelu_tanh(_closure(gelu, _gelu_backward))


def _stash(fwd, bwd, keep, save_x=False):
    class Stash(torch.autograd.Function):  # keeps tensors on ctx, beside save_for_backward
        @staticmethod
        def forward(ctx, x):
            if save_x:
                ctx.save_for_backward(x)
            for name, value in keep(x).items():
                setattr(ctx, name, value)
            return fwd(x)

        @staticmethod
        def backward(ctx, g):
            x = ctx.saved_tensors[0] if save_x else ctx.x
            return bwd(x, g)

    return Stash.apply


def _closure(fwd, bwd):
    held = []

    class Closure(torch.autograd.Function):  # x held in a closure: nothing on the graph at all
        @staticmethod
        def forward(ctx, x):
            held[:] = [x]
            return fwd(x)

        @staticmethod
        def backward(ctx, g):
            return bwd(held[0], g)

    return Closure.apply


# -- 06 --------------------------------------------------------------------------------
class Clamp01(torch.autograd.Function):
    generate_vmap_rule = True

    @staticmethod
    def forward(x):
        return x.clamp(0, 1)

    @staticmethod
    def setup_context(ctx, inputs, output):
        (x,) = inputs
        ctx.save_for_backward(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ((x >= 0) & (x <= 1)).to(g.dtype)


class Clamp01OldStyle(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(0, 1)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ((x >= 0) & (x <= 1)).to(g.dtype)


def test_vmappable_clamp() -> None:
    ex.check_vmappable_clamp(Clamp01.apply)
    with pytest.raises(CheckFailed, match=r"torch\.vmap failed with RuntimeError: .* use setup_context"):
        ex.check_vmappable_clamp(Clamp01OldStyle.apply)


class Sin(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * torch.cos(x)


class SinSavesCos(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(torch.cos(x))  # an intermediate: autograd cannot see through it
        return torch.sin(x)

    @staticmethod
    def backward(ctx, g):
        (cos_x,) = ctx.saved_tensors
        return g * cos_x


def test_twice_differentiable_sin() -> None:
    ex.check_twice_differentiable_sin(Sin.apply)
    with pytest.raises(CheckFailed, match="does not require grad"):
        ex.check_twice_differentiable_sin(SinSavesCos.apply)
    with pytest.raises(CheckFailed, match="output"):
        ex.check_twice_differentiable_sin(LegendreP3.apply)


class Clamp01Strict(Clamp01):  # gradient 0 at the bounds, unlike torch.clamp
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ((x > 0) & (x < 1)).to(g.dtype)


def test_vmappable_clamp_passes_the_gradient_at_both_bounds() -> None:
    with pytest.raises(CheckFailed, match=r"grad of x: 2 of 7 values differ; .*input 0\): yours 0, expected 1"):
        ex.check_vmappable_clamp(Clamp01Strict.apply)


def test_fit_gradients_hint_only_for_autograd_errors() -> None:
    # a RuntimeError that has nothing to do with autograd gets no "autograd switched off" hint
    def shape_bug(a, b, c, d, x, y):
        return x[:3] + y

    with pytest.raises(CheckFailed, match="RuntimeError") as info:
        ex.check_fit_gradients(shape_bug)
    assert "autograd switched off" not in str(info.value)


def test_fit_gradients_tolerance_is_tight_and_named() -> None:
    # a near miss, 1e-6 relative on dL/da: outside rtol=1e-7, inside compare's default 1e-5
    def near_miss(*args):
        ga, gb, gc, gd = _fit_gradients(*args)
        return ga * (1 + 1e-6), gb, gc, gd

    with pytest.raises(CheckFailed, match=r"^dL/da: 1 of 1 values differ; .*\(rtol=1e-07, atol=1e-09\)$"):
        ex.check_fit_gradients(near_miss)


class Clamp01WrongVmap(Clamp01):  # right without vmap; its own vmap rule forgets to clamp
    generate_vmap_rule = False

    @staticmethod
    def vmap(info, in_dims, x):
        return x.clone(), in_dims[0]


def test_vmappable_clamp_compares_the_batched_output() -> None:
    with pytest.raises(CheckFailed, match=r"^vmap output: \d+ of 15 values differ"):
        ex.check_vmappable_clamp(Clamp01WrongVmap.apply)
