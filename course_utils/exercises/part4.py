"""Checkers for the exercises of Part IV, the rest of the extension API (notebooks 15 to 17).

Each ``check_*`` function runs the learner's answer against a reference at fixed
float64 inputs on the course device, prints a ``correct: ...`` line, or raises
:class:`course_utils.CheckFailed` saying what is wrong.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch.autograd import gradgradcheck
from torch.overrides import TorchFunctionMode, resolve_name

from ..checking import CheckFailed, call_answer, check_function, compare, error_summary, first_line
from ..env import device

Fn = Callable[..., torch.Tensor]


def _t(values: list[float]) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64, device=device())


def _randn(*shape: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64).to(device())


def _points() -> torch.Tensor:
    # none on a kink of the references (|x| = 1 for hardtanh)
    return _t([-3.0, -1.7, -0.4, 0.0, 0.3, 0.9, 2.5])


def _function_class(fn: Any, what: str) -> type[torch.autograd.Function]:
    cls = getattr(fn, "__self__", None)
    if not (isinstance(cls, type) and issubclass(cls, torch.autograd.Function)):
        raise CheckFailed(f"pass {what}.apply (the apply of a torch.autograd.Function subclass), "
                          f"got {type(fn).__name__}")
    return cls


# -- notebook 15: forward mode and the rest of ctx ----------------------------------------

def check_tanh_jvp(tanh: Fn) -> None:
    """Check exercise 15.1: a Tanh Function with a forward-mode ``jvp``.

    ``tanh`` (``Tanh.apply``) equals ``torch.tanh`` in reverse mode and, through
    its ``jvp`` staticmethod, in forward mode (``torch.func.jvp`` with a random tangent)."""
    x = _points()
    check_function(tanh, torch.tanh, [x], names=["x"])
    derivative = 1 - torch.tanh(x) ** 2
    for kind, tangent in (("ones", torch.ones_like(x)), ("random", _randn(7, seed=151))):
        try:
            out, out_tangent = torch.func.jvp(tanh, (x,), (tangent,))
        except NotImplementedError as exc:
            if "jvp" not in str(exc):
                raise
            raise CheckFailed("forward mode: the Function has no jvp staticmethod "
                              "(jvp(ctx, x_tangent) returning the output's tangent)") from None
        except Exception as exc:
            raise CheckFailed(
                f"forward mode: torch.func.jvp raised {error_summary(exc)} -- "
                "use the setup_context style and save what jvp needs with ctx.save_for_forward") from None
        compare("jvp output", out, torch.tanh(x), check=True, verbose=False)
        try:
            compare("tangent of the output", out_tangent, derivative * tangent, check=True,
                    verbose=False, inputs=x)
        except CheckFailed as exc:
            if kind == "ones":
                raise
            raise CheckFailed(f"{exc} -- correct for a tangent of ones but not for a random one: "
                              "does jvp multiply by x_tangent?") from None
    print("correct: Tanh matches torch.tanh in reverse mode and in forward mode (jvp)")


def check_hardtanh_inplace(hardtanh_: Fn) -> None:
    """Check exercise 15.2: an in-place hardtanh Function marked dirty.

    ``hardtanh_`` (``HardTanhInplace.apply``) clamps ``x`` to ``[-1, 1]`` *in
    place*, like ``F.hardtanh_``: it returns ``x`` itself, bumps its version counter, gives the
    gradient ``1`` strictly inside ``(-1, 1)`` and ``0`` outside, and refuses a leaf requiring grad."""
    x = _points()
    leaf = x.clone().requires_grad_(True)
    h = leaf * 1
    version = h._version
    out = call_answer(hardtanh_, h)
    if out is not h:
        raise CheckFailed(
            "the output is not the input tensor itself: an in-place Function modifies x, "
            "calls ctx.mark_dirty(x) and returns x")
    if h._version == version:
        raise CheckFailed("x's version counter did not change: x was not modified in place")
    compare("output", out, F.hardtanh(x), check=True, verbose=False, inputs=x)
    w = _randn(7, seed=152)
    try:
        (out * w).sum().backward()
    except Exception as exc:
        raise CheckFailed(f"backward raised {error_summary(exc)}") from None
    compare("grad of x", leaf.grad, w * (x.abs() < 1).to(x.dtype), check=True, verbose=False, inputs=x)
    try:
        hardtanh_(x.clone().requires_grad_(True))
    except RuntimeError as exc:
        if "leaf" not in str(exc):
            raise CheckFailed(f"on a leaf that requires grad: expected autograd's leaf error, got "
                              f"RuntimeError: {first_line(exc)}") from None
    else:
        raise CheckFailed("a leaf that requires grad was modified in place without an error: "
                          "did forward call ctx.mark_dirty(x)?")
    print("correct: HardTanhInplace clamps in place like F.hardtanh_, with the right gradient")


# Tensor methods a NumPy-wrapping op may call: moving data, not computing with it.
_DATA_MOVES = ("detach", "cpu", "numpy", "to", "__get__", "contiguous", "clone", "copy_", "size",
               "dim", "numel", "tolist")


class _TorchCalls(TorchFunctionMode):
    """Record the torch functions and Tensor methods called from Python while active."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        self.names.append(resolve_name(func) or getattr(func, "__name__", str(func)))
        return func(*args, **(kwargs or {}))


def _torch_compute_in(fn: Callable[..., Any], x: torch.Tensor) -> list[str]:
    """The torch calls made by ``fn(x)`` from Python that are not data moves."""
    recorder = _TorchCalls()
    with recorder:
        call_answer(fn, x)
    return [name for name in recorder.names if name.rsplit(".", 1)[-1] not in _DATA_MOVES]


# -- notebook 16: double backward and vmap ------------------------------------------------

def check_sigmoid_backward_function(sigmoid: Fn) -> None:
    """Check exercise 16.1: a Sigmoid whose backward is its own Function.

    ``sigmoid`` (``Sigmoid.apply``) equals ``torch.sigmoid`` in value, first and
    second derivatives, and its backward is its own Function (``SigmoidBackward``), so the
    gradient it returns has a custom Function's backward node as ``grad_fn``."""
    x = _points()
    check_function(sigmoid, torch.sigmoid, [x], names=["x"])
    leaf = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(call_answer(sigmoid, leaf).sum(), leaf, create_graph=True)
    if not isinstance(g.grad_fn, torch.autograd.function.BackwardCFunction):
        name = type(g.grad_fn).__name__ if g.grad_fn is not None else "None"
        raise CheckFailed(
            f"backward is not its own Function: the gradient's grad_fn is {name}; make backward "
            "return SigmoidBackward.apply(grad_output, y)")
    s = torch.sigmoid(x)
    (gg,) = torch.autograd.grad(g.sum(), leaf)
    compare("second derivative", gg, s * (1 - s) * (1 - 2 * s), check=True, verbose=False, inputs=x)
    try:
        gradgradcheck(sigmoid, (x.clone().requires_grad_(True),))
    except Exception as exc:
        raise CheckFailed(
            f"gradgradcheck failed ({error_summary(exc)}): is SigmoidBackward's "
            "derivative with respect to grad_output right?") from None
    print("correct: Sigmoid matches torch.sigmoid to the second derivative; backward is a Function")


def check_numpy_tanh_vmap(tanh: Fn) -> None:
    """Check exercise 16.2: a NumPy Tanh with a hand-written vmap rule.

    ``tanh`` (``NumpyTanh.apply``) equals ``torch.tanh`` under ``torch.vmap``
    (batch dimension 0 or 1) and under ``vmap(grad)``, with a hand-written ``vmap`` staticmethod
    rather than ``generate_vmap_rule``, and a forward that computes in NumPy."""
    cls = _function_class(tanh, "NumpyTanh")
    computed = _torch_compute_in(cls.forward, _points())
    if computed:
        raise CheckFailed(f"forward computes with torch ({', '.join(sorted(set(computed)))}): keep "
                          "the NumPy forward of NumpyTanhBase and add only the vmap rule")
    if cls.generate_vmap_rule or cls.vmap is torch.autograd.Function.vmap:
        raise CheckFailed("write a vmap staticmethod (and leave generate_vmap_rule False): "
                          "vmap(info, in_dims, x) returning (output, out_dim)")
    check_function(tanh, torch.tanh, [_points()], names=["x"])
    batch = _randn(3, 5, seed=161)
    for in_dims, expected in ((0, torch.tanh(batch)), (1, torch.tanh(batch).T)):
        try:
            out = torch.vmap(tanh, in_dims=in_dims)(batch)
        except Exception as exc:
            raise CheckFailed(f"torch.vmap with in_dims={in_dims} raised {error_summary(exc)}") from None
        try:
            compare(f"vmap output (in_dims={in_dims})", out, expected, check=True, verbose=False)
        except CheckFailed as exc:
            raise CheckFailed(f"{exc} -- the batch dimension of the output is the second value "
                              "vmap returns: where is it?") from None
    try:
        grads = torch.vmap(torch.func.grad(lambda row: tanh(row).sum()))(batch)
    except Exception as exc:
        raise CheckFailed(f"vmap(grad) raised {error_summary(exc)}") from None
    compare("vmap(grad)", grads, 1 - torch.tanh(batch) ** 2, check=True, verbose=False)
    print("correct: NumpyTanh works under torch.vmap (in_dims 0 and 1) and vmap(grad)")


# -- notebook 17: custom operators --------------------------------------------------------

_OPCHECK_TESTS = ("test_schema", "test_autograd_registration", "test_faketensor",
                  "test_aot_dispatch_dynamic")


def check_numpy_sigmoid_op(op: Fn) -> None:
    """Check exercise 17.1: a NumPy sigmoid as a differentiable custom op.

    ``op`` is a ``torch.library.custom_op`` computing ``sigmoid`` with NumPy
    (its body calls no torch op but data moves) on any device, differentiable
    (``register_autograd``), passing every ``opcheck`` sub-test and running inside
    ``torch.compile(fullgraph=True)``."""
    from torch._library.custom_ops import CustomOpDef

    if not isinstance(op, CustomOpDef):
        raise CheckFailed(f"op must be made with @torch.library.custom_op, got {type(op).__name__}")
    x = _points()
    computed = _torch_compute_in(op._init_fn, x)
    if computed:
        raise CheckFailed(f"the op computes with torch ({', '.join(sorted(set(computed)))}): "
                          "compute with NumPy on x.detach().cpu().numpy() and convert back")
    out = call_answer(op, x)
    if not isinstance(out, torch.Tensor) or out.device != x.device:
        where = out.device if isinstance(out, torch.Tensor) else type(out).__name__
        raise CheckFailed(f"the output is on {where} but the input on {x.device}: move the result "
                          "back to the input's device")
    check_function(op, torch.sigmoid, [x], names=["x"])
    report = torch.library.opcheck(op, (x.clone().requires_grad_(True),), raise_exception=False)
    for name in _OPCHECK_TESTS:
        result = report.get(name)
        if result != "SUCCESS":
            raise CheckFailed(f"opcheck: {name} failed: {result}")
    compiled = torch.compile(lambda t: op(t).sum(), backend="aot_eager", fullgraph=True)
    leaf = x.clone().requires_grad_(True)
    try:
        compiled(leaf).backward()
    except Exception as exc:
        raise CheckFailed(f"torch.compile(fullgraph=True) raised {error_summary(exc)}") from None
    s = torch.sigmoid(x)
    compare("compiled grad", leaf.grad, s * (1 - s), check=True, verbose=False, inputs=x)
    print("correct: the sigmoid op matches torch.sigmoid, passes opcheck and compiles whole")
