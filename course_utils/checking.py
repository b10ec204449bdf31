"""Comparing hand-written gradients with autograd's, and the checks behind every exercise.

:func:`compare` is taught in notebook 00 and used in every notebook that writes a
``backward`` by hand, in the spirit of nn-zero-to-hero's ``cmp``: it prints whether
two tensors are exactly equal, allclose, and their largest absolute difference.
:func:`check_function` runs a candidate and a reference side by side and raises a
:class:`CheckFailed` that says *which* output or gradient is wrong, by how much and
at which input; the exercise checkers in :mod:`course_utils.exercises` are built on it.
:func:`check_saves_result` enforces an exercise's "save the result" constraint.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from .memory import saved_tensors


class CheckFailed(AssertionError):
    """Raised when a learner's answer does not match the reference; the message says why."""


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare`."""

    name: str
    exact: bool
    close: bool
    max_abs_diff: float
    problem: str | None = None  # a sentence describing the mismatch, None when close

    def __str__(self) -> str:
        return (
            f"{self.name:<14} | exact: {self.exact!s:<5} | allclose: {self.close!s:<5}"
            f" | max abs diff: {self.max_abs_diff:.2e}"
        )


def _fmt_index(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in index) + "]"


def compare(
    name: str,
    ours: torch.Tensor | None,
    reference: torch.Tensor | None,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    check: bool = False,
    verbose: bool = True,
    inputs: torch.Tensor | None = None,
) -> Comparison:
    """Compare a hand-computed tensor (usually a gradient) with a reference.

    Parameters
    ----------
    name : str
        What is compared, e.g. ``"dL/dw"``; used in the printed line and in errors.
    ours, reference : torch.Tensor or None
        The two tensors, on any device; ``None`` stands for "no gradient".
    rtol, atol : float
        Tolerances of :func:`torch.allclose`.
    check : bool
        Raise :class:`CheckFailed` when the tensors are not allclose.
    verbose : bool
        Print one line: ``name | exact | allclose | max abs diff``.
    inputs : torch.Tensor, optional
        The input the tensors were computed at (same shape); when given, the
        error message also shows the input value at the worst position.

    Output
    ------
    Comparison
        ``exact``, ``close``, ``max_abs_diff`` and, on mismatch, ``problem``.

    Examples
    --------
    >>> a = torch.tensor([1.0, 2.0], dtype=torch.float64)
    >>> r = compare("dL/dx", a, a + torch.tensor([0.0, 1e-7], dtype=torch.float64))
    dL/dx          | exact: False | allclose: True  | max abs diff: 1.00e-07
    >>> compare("dL/dx", torch.tensor([1.0, 2.0]), torch.tensor([1.0, 4.0]), check=True,  # doctest: +ELLIPSIS
    ...         verbose=False)
    Traceback (most recent call last):
        ...
    course_utils.checking.CheckFailed: dL/dx: 1 of 2 values differ; ... yours 2, expected 4 (rtol=1e-05, atol=1e-08)
    """
    if ours is None or reference is None:
        same = ours is None and reference is None
        problem = None
        if not same:
            problem = (
                f"{name}: got None but expected a tensor" if ours is None
                else f"{name}: expected None (no gradient) but got a tensor"
            )
        result = Comparison(name, same, same, 0.0 if same else float("inf"), problem)
    elif not isinstance(ours, torch.Tensor):
        result = Comparison(name, False, False, float("inf"),
                            f"{name}: expected a torch.Tensor, got {type(ours).__name__}")
    elif ours.shape != reference.shape:
        result = Comparison(
            name, False, False, float("inf"),
            f"{name}: shape {tuple(ours.shape)} but expected {tuple(reference.shape)}",
        )
    else:
        # Work in float64 on the CPU: exact for every float dtype, safe for GPU tensors.
        a = ours.detach().to("cpu", torch.float64)
        b = reference.detach().to("cpu", torch.float64)
        exact = bool(torch.equal(a, b))
        diff = (a - b).abs()
        nan_mismatch = torch.isnan(a) != torch.isnan(b)
        # NaN where both sides hold NaN, or the same infinity: no difference there.
        max_diff = float(diff.nan_to_num(nan=0.0, posinf=float("inf")).max()) if diff.numel() else 0.0
        if bool(nan_mismatch.any()):
            max_diff = float("nan")
        close = bool(torch.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))
        problem = None
        if not close:
            bad = (~torch.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True)).nonzero()
            first = tuple(int(i) for i in bad[0])
            worst = first
            if not bool(nan_mismatch.any()):
                worst = tuple(int(i) for i in torch.unravel_index(diff.argmax(), diff.shape))
            where = f" at index {_fmt_index(worst)}"
            if inputs is not None and tuple(inputs.shape) == tuple(a.shape):
                where += f" (input {float(inputs.detach().reshape(a.shape)[worst]):.6g})"
            problem = (
                f"{name}: {len(bad)} of {a.numel()} values differ; max abs difference "
                f"{max_diff:.3g}{where}: yours {float(a[worst]):.6g}, expected "
                f"{float(b[worst]):.6g} (rtol={rtol:g}, atol={atol:g})"
            )
        result = Comparison(name, exact, close, max_diff, problem)
    if verbose:
        print(result)
    if check and result.problem is not None:
        raise CheckFailed(result.problem)
    return result


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (``""`` for an empty one).

    Examples
    --------
    >>> first_line(ValueError("bad value\\nthe details"))
    'bad value'
    """
    return (str(exc).splitlines() or [""])[0]


def error_summary(exc: BaseException) -> str:
    """``"TypeName: first line of the message"``: how a checker reports an error it caught.

    Examples
    --------
    >>> error_summary(RuntimeError("vmap: not supported\\nmore"))
    'RuntimeError: vmap: not supported'
    """
    return f"{type(exc).__name__}: {first_line(exc)}"


def call_answer(fn: Callable[..., Any], *args: Any, context: str = "") -> Any:
    """Call a learner's function the way every checker does.

    ``NotImplementedError`` (an exercise not done yet) passes through unchanged; any
    other exception becomes a :class:`CheckFailed` naming it, prefixed by ``context``
    (e.g. ``"on the sample input, "``).

    Examples
    --------
    >>> call_answer(lambda a, b: a + b, 1, 2)
    3
    >>> call_answer(lambda: 1 / 0)
    Traceback (most recent call last):
        ...
    course_utils.checking.CheckFailed: calling your function raised ZeroDivisionError: division by zero
    """
    try:
        return fn(*args)
    except NotImplementedError:
        raise
    except Exception as exc:  # the learner's crash is a failed check, not a crash of the checker
        raise CheckFailed(f"{context}calling your function raised {type(exc).__name__}: {exc}") from exc


def check_function(
    candidate: Callable[..., torch.Tensor],
    reference: Callable[..., torch.Tensor],
    inputs: Sequence[torch.Tensor],
    *,
    names: Sequence[str] | None = None,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    verbose: bool = False,
) -> None:
    """Check ``candidate`` against ``reference`` in value and in every input gradient.

    Both are called on fresh leaf copies of ``inputs``; an upstream gradient of ones,
    then a random one (seeded), is back-propagated through both, and the gradient
    of every floating-point input is compared. The first mismatch raises
    :class:`CheckFailed` naming the output or gradient, the largest difference,
    where it occurs and the input value there.

    Parameters
    ----------
    candidate, reference : callable
        Functions of ``len(inputs)`` tensors returning one tensor, e.g.
        ``MyFunction.apply`` and the same formula written with torch ops.
    inputs : sequence of torch.Tensor
        The points to check at. Floating-point inputs are differentiated; others
        (integer targets, say) are passed through unchanged.
    names : sequence of str, optional
        Names of the inputs for messages (default ``x0, x1, ...``).
    rtol, atol : float
        Tolerances, as in :func:`compare`.
    verbose : bool
        Print the comparison lines even when everything matches.

    Examples
    --------
    >>> x = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64)
    >>> check_function(torch.exp, lambda t: t.exp(), [x], names=["x"])
    >>> check_function(torch.sin, torch.cos, [x], names=["x"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    course_utils.checking.CheckFailed: output: 3 of 3 values differ; ... yours 0.909297, expected -0.416147 (rtol=...)
    """
    names = list(names) if names is not None else [f"x{i}" for i in range(len(inputs))]
    if len(names) != len(inputs):
        raise ValueError(f"got {len(names)} names for {len(inputs)} inputs")

    def leaves() -> list[torch.Tensor]:
        return [
            t.detach().clone().requires_grad_(True) if t.is_floating_point() else t
            for t in inputs
        ]

    # First with grad_output = 1, so a mismatch shows plain derivatives; then with
    # a random grad_output, which catches a backward that ignores it.
    generator = torch.Generator().manual_seed(0)
    for upstream_kind in ("ones", "random"):
        ours_in, ref_in = leaves(), leaves()
        out = call_answer(candidate, *ours_in)
        expected = reference(*ref_in)
        compare("output", out, expected, rtol=rtol, atol=atol, check=True, verbose=verbose,
                inputs=inputs[0] if len(inputs) == 1 else None)
        if not expected.requires_grad:
            return
        if not isinstance(out, torch.Tensor) or not out.requires_grad:
            raise CheckFailed("output does not require grad: is the result detached from the inputs?")
        if upstream_kind == "ones":
            upstream = torch.ones_like(expected)
        else:
            upstream = torch.randn(expected.shape, generator=generator, dtype=torch.float64)
            upstream = upstream.to(device=expected.device, dtype=expected.dtype)
        try:
            out.backward(upstream)
        except Exception as exc:
            raise CheckFailed(f"backward raised {type(exc).__name__}: {exc}") from exc
        expected.backward(upstream)
        for name, x, ours, ref in zip(names, inputs, ours_in, ref_in):
            if not (isinstance(ref, torch.Tensor) and ref.requires_grad):
                continue
            try:
                compare(f"grad of {name}", ours.grad, ref.grad, rtol=rtol, atol=atol,
                        check=True, verbose=verbose, inputs=x)
            except CheckFailed as exc:
                if upstream_kind == "ones":
                    raise
                raise CheckFailed(
                    f"{exc} -- correct for grad_output = 1 but not for a random grad_output:"
                    " does backward multiply by grad_output?") from None


def check_saves_result(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, *,
                       what: str) -> None:
    """Check that ``fn(x)`` keeps exactly one tensor for backward, its result ``y``.

    The saved tensors are those the saved-tensor hooks see (``ctx.save_for_backward``)
    plus any tensor held as a ``ctx`` attribute (:func:`course_utils.memory.saved_tensors`);
    the latter is refused outright: a tensor for backward goes through
    ``save_for_backward``.

    Parameters
    ----------
    fn : callable
        A one-input Function's ``apply``, e.g. ``Exp.apply``.
    x : torch.Tensor
        A floating-point input; a leaf copy requiring grad is used.
    what : str
        The Function's name, for messages.

    Raises
    ------
    CheckFailed
        ``fn`` keeps a tensor on ``ctx``, saves the input or anything other than the
        result, saves more than the result, or saves nothing.

    Examples
    --------
    >>> from course_utils.functions import Exp, ReLU
    >>> check_saves_result(Exp.apply, torch.zeros(3), what="Exp")
    >>> check_saves_result(ReLU.apply, torch.zeros(3), what="ReLU")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    course_utils.checking.CheckFailed: ReLU must save only its result y for backward (...); it saves x
    """
    leaf = x.detach().clone().requires_grad_(True)
    kept = call_answer(lambda t: saved_tensors(fn, t), leaf)
    if kept.attributes:
        raise CheckFailed(
            f"{what} keeps tensors as ctx attributes ({', '.join(kept.attributes)}): "
            "save the result with ctx.save_for_backward, which checks it was not modified "
            "in place (notebook 06)")
    out = kept.output
    distinct: dict[tuple[str, int], torch.Tensor] = {}
    for t in kept.packed:
        distinct.setdefault((str(t.device), t.untyped_storage().data_ptr()), t)

    def describe(t: torch.Tensor) -> str:
        if t.untyped_storage().data_ptr() == leaf.untyped_storage().data_ptr():
            return "x"
        if isinstance(out, torch.Tensor) and t.shape == out.shape and torch.equal(t, out.detach()):
            return "y"
        return f"a tensor of shape {list(t.shape)} that is neither x nor y"

    saved = [describe(t) for t in distinct.values()]
    if saved != ["y"]:
        desc = ", ".join(saved) if saved else "nothing"
        raise CheckFailed(f"{what} must save only its result y for backward "
                          f"(ctx.save_for_backward(y)); it saves {desc}")
