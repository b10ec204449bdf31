"""Checkers for the exercises of notebook 08, the binary-linear assignment.

The assignment itself (its input format, the reference gradients, the output
format and the command) is :mod:`course_utils.assignment`.
"""
from __future__ import annotations

from collections.abc import Callable

import torch

from ..assignment import SAMPLE_INPUT, assignment_gradients, parse_input
from ..binarize import sign_parabola
from ..checking import CheckFailed, call_answer, check_function, compare
from ..env import device


def _boundary_points() -> torch.Tensor:
    values = [-2.0, -1.0, -0.75, -0.5, -0.25, -0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 2.0]
    return torch.tensor(values, dtype=torch.float64, device=device())


def check_parabola_sign(parabola_sign: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """Check exercise 08.1: the parabola binarizer written with torch operations only.

    ``parabola_sign`` is ``sign`` (``+1`` at ``0`` and ``-0.0``) with the parabola's
    gradient. "Only torch operations" is checked by running it, forward and backward,
    on tensors of the ``meta`` device, which have no data: NumPy, ``.item()`` or a copy
    to the CPU cannot work there, any torch operation can.
    """
    x = _boundary_points()
    check_function(parabola_sign, sign_parabola, [x], names=["x"], rtol=0, atol=1e-12)
    rng = torch.Generator().manual_seed(1)
    x = (torch.rand(3, 5, generator=rng, dtype=torch.float64) * 4 - 2).to(device())
    check_function(parabola_sign, sign_parabola, [x], names=["x"], rtol=0, atol=1e-12)
    _check_device_agnostic(parabola_sign)
    print("correct: sign forward and parabola backward match at 12 boundary and 15 random points,"
          " with torch operations only")


def _check_device_agnostic(fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """Fail unless ``fn`` and its backward run on data-less ``meta`` tensors and stay there."""
    x = torch.empty(3, 5, dtype=torch.float64, device="meta", requires_grad=True)
    try:  # NotImplementedError included: here it means "no data", not an unfinished exercise
        y = fn(x)
        y.backward(torch.ones_like(y))
    except Exception as exc:
        raise CheckFailed(
            "use only torch operations, so that it runs on any device: on a tensor without data "
            f"(device 'meta') it raised {type(exc).__name__}: {exc}") from exc
    if y.device.type != "meta" or x.grad is None or x.grad.device.type != "meta":
        raise CheckFailed("use only torch operations: the output or the gradient left the input's device")


def _cases() -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    sample_x, sample_w = parse_input(SAMPLE_INPUT, device=device())
    # Inputs exactly at -1, 0 (both zeros) and 1, and a weight of exactly 0.
    edge_x = torch.tensor([[-1.0, -0.0, 0.0, 1.0], [0.5, -0.5, -1.5, 0.999]], dtype=torch.float64,
                          device=device())
    edge_w = torch.tensor([[0.0, -0.3, 1.2, -0.0], [-2.0, 0.7, -0.1, 0.4], [0.6, 0.6, -0.6, 0.6]],
                          dtype=torch.float64, device=device())
    return [("the sample input", sample_x, sample_w), ("inputs at -1, 0, -0.0 and 1", edge_x, edge_w)]


def check_assignment(gradients: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]) -> None:
    """Exercise 08.2: ``gradients(x, w)`` returns ``(dL/dx, dL/dw)`` of the assignment.

    Says which gradient is wrong, at which row and column, and the input there.
    """
    for label, x, w in _cases():
        result = call_answer(gradients, x.clone(), w.clone(), context=f"on {label}, ")
        if not (isinstance(result, tuple) and len(result) == 2):
            raise CheckFailed(f"return a tuple (grad_x, grad_w), got {type(result).__name__}")
        expected_x, expected_w = assignment_gradients(x, w)
        for name, ours, ref, at in (("input gradient dL/dX", result[0], expected_x, x),
                                    ("weight gradient dL/dW", result[1], expected_w, w)):
            try:
                compare(name, ours, ref, rtol=1e-6, atol=1e-9, check=True, verbose=False, inputs=at)
            except CheckFailed as exc:
                raise CheckFailed(f"on {label}: {exc}") from None
    print("correct: both gradients match on the sample input and at the boundaries -1, 0, -0.0, 1")


def check_format_rows(fmt: Callable[[torch.Tensor], str]) -> None:
    """Exercise 08.3: ``fmt(t)`` prints rows with four decimals and never ``-0.0000``."""
    t = torch.tensor([[4.84559, -0.0, 0.0], [-0.00004, -4.0, 12.5]], device=device())
    expected = "4.8456 0.0000 0.0000\n0.0000 -4.0000 12.5000\n"
    got = fmt(t)
    if not isinstance(got, str):
        raise CheckFailed(f"return a str, got {type(got).__name__}")
    got_lines, want_lines = got.rstrip("\n").split("\n"), expected.rstrip("\n").split("\n")
    if len(got_lines) != len(want_lines):
        raise CheckFailed(f"expected {len(want_lines)} lines, got {len(got_lines)}: {got!r}")
    for i, (g, e) in enumerate(zip(got_lines, want_lines), start=1):
        if g != e:
            raise CheckFailed(f"line {i}: yours {g!r}, expected {e!r}")
    print("correct: four decimals, single spaces, and -0.0000 printed as 0.0000")
