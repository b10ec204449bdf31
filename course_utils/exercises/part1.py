"""Checkers for the exercises of Part I (notebooks 01 to 06).

Each ``check_*`` function runs the learner's answer against a reference at fixed
float64 inputs on the course device, prints a ``correct: ...`` line, or raises
:class:`course_utils.CheckFailed` saying which output or gradient is wrong, by how
much and at which input.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from ..checking import CheckFailed, call_answer, check_function, check_saves_result, compare, error_summary
from ..env import device
from ..memory import saved_tensor_bytes

Fn = Callable[..., torch.Tensor]


def _t(values: object) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64, device=device())


def _randn(*shape: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64).to(device())


def _points() -> torch.Tensor:
    # negative, zero, fractional and large-ish points; none on a kink of the references
    return _t([-3.0, -1.7, -0.4, 0.0, 0.3, 1.2, 2.5])


# -- notebook 01: function basics ---------------------------------------------------------

def check_tanh(tanh: Fn) -> None:
    """Check exercise 01.1: a Tanh Function that saves its result.

    ``tanh`` (e.g. ``Tanh.apply``) equals ``torch.tanh`` with gradient ``1 - y**2``,
    saving only its result ``y`` for backward."""
    check_function(tanh, torch.tanh, [_points()], names=["x"])
    check_saves_result(tanh, _points(), what="Tanh")
    print("correct: Tanh matches torch.tanh in value and gradient at 7 points and saves only y")


def check_x_sin_x(x_sin_x: Fn) -> None:
    """Exercise 01.2: ``x_sin_x`` computes ``x * sin(x)``, gradient ``sin(x) + x cos(x)``."""
    check_function(x_sin_x, lambda x: x * torch.sin(x), [_points()], names=["x"])
    print("correct: XSinX matches x * sin(x) in value and gradient at 7 points")


def check_scaled_add(scaled_add: Fn) -> None:
    """Exercise 01.3: ``scaled_add(x, y, alpha)`` computes ``x + alpha * y`` for a float ``alpha``.

    Backward must return one gradient per input of ``forward``: ``None`` for ``alpha``.
    """
    alpha = 2.5
    x, y = _randn(2, 3, seed=11), _randn(2, 3, seed=12)
    check_function(lambda x, y: scaled_add(x, y, alpha), lambda x, y: x + alpha * y,
                   [x, y], names=["x", "y"])
    print("correct: ScaledAdd matches x + alpha * y; gradients of x and y are right")


# -- notebook 02: Legendre P3 -------------------------------------------------------------

def check_legendre_p4(p4: Fn) -> None:
    """Exercise 02.1: ``p4`` computes :math:`P_4(x) = (35x^4 - 30x^2 + 3)/8` and its derivative."""
    x = _t([-1.0, -0.8, -0.3, 0.0, 0.25, 0.6, 1.0, 1.5])
    check_function(p4, lambda x: (35 * x**4 - 30 * x**2 + 3) / 8, [x], names=["x"])
    print("correct: LegendreP4 matches (35x^4 - 30x^2 + 3)/8 in value and gradient at 8 points")


def check_fit_gradients(fit_gradients: Callable[..., tuple[torch.Tensor, ...]]) -> None:
    """Exercise 02.2: hand-derived gradients of ``sum((a + b P3(c + d x) - y)**2)``.

    ``fit_gradients(a, b, c, d, x, y)`` receives 0-dim ``a, b, c, d`` and 1-D ``x, y``
    (none requiring grad) and returns ``(dL/da, dL/db, dL/dc, dL/dd)``; they are
    compared with autograd's. It is called under :func:`torch.inference_mode`, so an
    answer that uses autograd itself fails.
    """
    x = torch.linspace(-math.pi, math.pi, 50, dtype=torch.float64, device=device())
    y = torch.sin(x)
    params = [_t(v) for v in (0.1, -0.9, 0.05, 0.4)]
    leaves = [p.clone().requires_grad_(True) for p in params]
    a, b, c, d = leaves
    z = c + d * x
    loss = (a + b * 0.5 * (5 * z**3 - 3 * z) - y).pow(2).sum()
    expected = torch.autograd.grad(loss, leaves)
    try:
        with torch.inference_mode():  # autograd records nothing here: the gradients come by hand
            got = call_answer(fit_gradients, *params, x, y)
    except CheckFailed as exc:
        if isinstance(exc.__cause__, RuntimeError) and "grad" in str(exc.__cause__):
            raise CheckFailed(
                f"{exc} -- the checker runs fit_gradients with autograd switched off "
                "(torch.inference_mode): derive the four gradients by hand, without autograd") from None
        raise
    if not isinstance(got, (tuple, list)) or len(got) != 4:
        raise CheckFailed("return a tuple of 4 gradients (dL/da, dL/db, dL/dc, dL/dd)")
    for name, g, e in zip(("dL/da", "dL/db", "dL/dc", "dL/dd"), got, expected):
        compare(name, g, e, rtol=1e-7, atol=1e-9, check=True, verbose=False)
    print("correct: all four hand-derived gradients match autograd")


# -- notebook 03: Linear ------------------------------------------------------------------

def check_matmul(matmul: Fn) -> None:
    """Exercise 03.1: ``matmul(a, b)`` computes ``a @ b`` with gradients ``g b^T`` and ``a^T g``."""
    a, b = _randn(4, 3, seed=21), _randn(3, 5, seed=22)
    check_function(matmul, torch.matmul, [a, b], names=["a", "b"])
    print("correct: MatMul matches a @ b; gradients of a [4, 3] and b [3, 5] are right")


def check_batched_linear(linear: Fn) -> None:
    """Exercise 03.2: ``linear(x, w, b)`` equals ``F.linear`` for ``x`` of shape ``[..., in]``."""
    for shape in ((2, 3, 4), (4,), (6, 4)):
        x = _randn(*shape, seed=31)
        w, b = _randn(5, 4, seed=32), _randn(5, seed=33)
        try:
            check_function(linear, F.linear, [x, w, b], names=["x", "weight", "bias"])
        except CheckFailed as exc:
            raise CheckFailed(f"for x of shape {list(shape)}: {exc}") from None
    print("correct: BatchedLinear matches F.linear for x of shapes [2, 3, 4], [4] and [6, 4]")


# -- notebook 04: cross-entropy -----------------------------------------------------------

def check_huber(huber: Fn) -> None:
    """Exercise 04.1: ``huber(pred, target)`` equals ``F.huber_loss(pred, target)`` (mean, delta 1)."""
    pred = _t([-2.0, -0.5, 0.0, 0.4, 1.3, 3.0])
    target = _t([0.0, 0.2, 0.5, -0.3, 1.0, 0.0])  # differences inside and outside [-1, 1]
    check_function(huber, F.huber_loss, [pred, target], names=["pred", "target"])
    print("correct: Huber matches F.huber_loss in value and in the gradients of pred and target")


def check_softplus(softplus: Fn) -> None:
    """Exercise 04.2: ``softplus`` equals ``F.softplus`` (gradient ``sigmoid``), finite at +-1000."""
    x = _t([-1000.0, -40.0, -2.0, 0.0, 0.5, 3.0, 40.0, 1000.0])
    check_function(softplus, F.softplus, [x], names=["x"])
    print("correct: Softplus matches F.softplus in value and gradient, including x = +-1000")


# -- notebook 05: memory-efficient Swish --------------------------------------------------

def _check_saves_only_input(fn: Fn, what: str) -> None:
    x = _randn(32, 64, seed=41).requires_grad_(True)
    saved = call_answer(lambda t: saved_tensor_bytes(fn, t), x)
    one = x.numel() * x.element_size()
    if saved.attributes:
        raise CheckFailed(
            f"{what} keeps tensors as ctx attributes ({', '.join(saved.attributes)}): they cost "
            "memory too; save only x, with ctx.save_for_backward, and recompute the rest")
    if saved.extra > 0:
        raise CheckFailed(
            f"{what} keeps {saved.extra} bytes besides its input for backward "
            f"({saved.extra / one:g} tensors the size of x): save only x and recompute the rest")
    if saved.total != one:
        raise CheckFailed(f"{what} saves {saved.total} bytes for backward, expected {one} (just x)")


def check_mish(mish: Fn) -> None:
    """Exercise 05.1: ``mish`` equals ``F.mish`` and saves only ``x`` for backward."""
    check_function(mish, F.mish, [_points()], names=["x"])
    _check_saves_only_input(mish, "Mish")
    print("correct: Mish matches F.mish in value and gradient and saves only x")


def check_gelu_tanh(gelu: Fn) -> None:
    """Exercise 05.2: ``gelu`` equals ``F.gelu(x, approximate='tanh')`` and saves only ``x``."""
    check_function(gelu, lambda x: F.gelu(x, approximate="tanh"), [_points()], names=["x"])
    _check_saves_only_input(gelu, "GELU")
    print("correct: GELU (tanh) matches F.gelu in value and gradient and saves only x")


# -- notebook 06: pitfalls and the modern API ---------------------------------------------

def check_vmappable_clamp(clamp: Fn) -> None:
    """Check exercise 06.1: a Clamp01 Function that works under vmap and grad.

    ``clamp`` (``Clamp01.apply``) equals ``x.clamp(0, 1)`` and works under
    ``torch.vmap`` and ``torch.func.grad``.

    Its gradient is 1 on the closed interval [0, 1], bounds included, and 0 outside,
    as that of ``torch.clamp``, which it is compared with at points including both
    bounds."""
    x = _t([-0.5, 0.0, 0.1, 0.4, 0.9, 1.0, 1.7])
    check_function(clamp, lambda x: x.clamp(0, 1), [x], names=["x"])
    batch = _randn(3, 5, seed=51)
    try:
        batched = torch.vmap(clamp)(batch)
    except Exception as exc:
        raise CheckFailed(
            f"torch.vmap failed with {error_summary(exc)} -- use setup_context and "
            "generate_vmap_rule = True") from None
    compare("vmap output", batched, batch.clamp(0, 1), check=True, verbose=False)
    try:
        grad = torch.func.grad(lambda t: clamp(t).sum())(x)
    except Exception as exc:
        raise CheckFailed(f"torch.func.grad failed with {error_summary(exc)}") from None
    compare("torch.func.grad", grad, ((x >= 0) & (x <= 1)).to(x.dtype), check=True, verbose=False,
            inputs=x)
    print("correct: Clamp01 matches clamp(0, 1) and works with torch.vmap and torch.func.grad")


def check_twice_differentiable_sin(sin: Fn) -> None:
    """Check exercise 06.2: a Sin Function with a correct second derivative.

    ``sin`` (``Sin.apply``) equals ``torch.sin`` in value, first and second
    derivative (double backward through the Function's backward)."""
    x = _points()
    check_function(sin, torch.sin, [x], names=["x"])
    leaf = x.clone().requires_grad_(True)
    try:
        (g,) = torch.autograd.grad(sin(leaf).sum(), leaf, create_graph=True)
        if not g.requires_grad:
            raise CheckFailed(
                "the gradient returned by backward does not require grad: is backward "
                "computed from tensors that autograd cannot see (detached or saved intermediates)?")
        (gg,) = torch.autograd.grad(g.sum(), leaf)
    except CheckFailed:
        raise
    except Exception as exc:
        raise CheckFailed(f"double backward raised {error_summary(exc)}") from None
    compare("second derivative", gg, -torch.sin(x), check=True, verbose=False, inputs=x)
    print("correct: Sin matches torch.sin in value, first and second derivative")
