r"""The binary-linear assignment of notebook 08 as a command: parse, compute, print the gradients.

A fully connected layer without bias, inputs binarized with the parabola
approximator (:func:`~course_utils.binarize.sign_parabola`), weights with the
identity straight-through estimator (:func:`~course_utils.binarize.sign_ste`),
loss = the sum of the outputs; the answer is the gradient of the loss with
respect to the (real-valued) inputs, then with respect to the weights.

From the command line, reading the assignment's input format on stdin::

    python -m course_utils.assignment < input.txt

Input: the number of rows of X, the number of its columns, the rows of X (one per
line, numbers separated by spaces), then the out-features and in-features of W and
the rows of W. Output: the rows of dL/dX, then the rows of dL/dW, values with four
decimals separated by single spaces (``-0.0000`` is printed as ``0.0000``).
Malformed input prints one line on stderr naming the input line and the problem,
nothing on stdout, and exits with status 2. The exercise checkers built on it are
in :mod:`course_utils.exercises.binary_linear`.

Examples
--------
>>> x, w = parse_input("1\n2\n0.5 -1\n1\n2\n-0.25 0.75\n")
>>> grad_x, grad_w = assignment_gradients(x, w)
>>> print(format_rows(grad_x) + format_rows(grad_w), end="")
-1.0000 0.0000
1.0000 -1.0000
"""
from __future__ import annotations

import argparse
import math
import sys

import torch
import torch.nn.functional as F

from .binarize import sign_parabola, sign_ste

#: The assignment's sample input and expected output, as given with the task.
SAMPLE_INPUT = """\
4
3
-0.1924 -0.7276 0.6216
-0.2294 -0.1115 -2.1671
-1.3199 0.5962 -0.3633
-0.4749 1.4275 -1.4095
5
3
1.4425 0.2085 -1.0470
0.3339 0.0046 -1.8452
-1.2203 -0.1503 -0.5810
0.3694 -0.8143 0.8213
2.4192 -1.2167 -1.2936
"""
SAMPLE_OUTPUT = """\
4.8456 -0.5448 -2.2704
4.6236 -1.7770 0.0000
0.0000 -0.8076 -3.8202
3.1506 0.0000 0.0000
-4.0 0.0 -2.0
-4.0 0.0 -2.0
-4.0 0.0 -2.0
-4.0 0.0 -2.0
-4.0 0.0 -2.0
"""

EXIT_BAD_INPUT = 2


class InputError(ValueError):
    """Malformed assignment input; ``str()`` is ``line N: <problem>``."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem


class _Lines:
    """The input's lines, numbered from 1, with what the next one should hold."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        # Trailing blank lines (a final newline, an editor's habit) are not an error.
        while self.lines and not self.lines[-1].strip():
            self.lines.pop()
        self.number = 0

    def next(self, what: str) -> list[str]:
        if self.number >= len(self.lines):
            raise InputError(self.number + 1, f"expected {what}, but the input ended")
        self.number += 1
        fields = self.lines[self.number - 1].split()
        if not fields:
            raise InputError(self.number, f"expected {what}, got an empty line")
        return fields

    def size(self, what: str) -> int:
        fields = self.next(what)
        if len(fields) != 1:
            raise InputError(self.number, f"expected one integer ({what}), got {len(fields)} values")
        try:
            value = int(fields[0])
        except ValueError:
            raise InputError(self.number, f"{what} must be an integer, got {fields[0]!r}") from None
        if value <= 0:
            raise InputError(self.number, f"{what} must be positive, got {value}")
        return value

    def row(self, what: str, length: int) -> list[float]:
        fields = self.next(what)
        values = []
        for i, field in enumerate(fields, start=1):
            try:
                value = float(field)
            except ValueError:
                raise InputError(self.number, f"{what}, value {i}: {field!r} is not a number") from None
            if not math.isfinite(value):
                raise InputError(self.number, f"{what}, value {i}: {field!r} is not a finite number")
            values.append(value)
        if len(values) != length:
            raise InputError(self.number, f"{what} has {len(values)} values, expected {length}")
        return values


def parse_input(text: str, *, dtype: torch.dtype = torch.float64,
                device: torch.device | str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Read the assignment's input format.

    Parameters
    ----------
    text : str
        The whole input (what the command reads from stdin).
    dtype, device : optional
        Of the returned tensors (default ``float64`` on the CPU).

    Output
    ------
    X : [rows, cols], torch.Tensor
        The inputs.
    W : [out_features, in_features], torch.Tensor
        The weights; ``in_features == cols``.

    Raises
    ------
    InputError
        Missing or extra lines or numbers, a value that is not a finite number, a
        row of the wrong length, a size that is not a positive integer, or
        in-features different from the number of columns of X; the message names
        the line.
    """
    lines = _Lines(text)
    rows = lines.size("the number of rows of X")
    cols = lines.size("the number of columns of X")
    x = [lines.row(f"row {i + 1} of X", cols) for i in range(rows)]
    out_features = lines.size("the number of out-features of W")
    in_features = lines.size("the number of in-features of W")
    if in_features != cols:
        raise InputError(lines.number, f"in-features is {in_features} but X has {cols} columns")
    w = [lines.row(f"row {i + 1} of W", in_features) for i in range(out_features)]
    if lines.number < len(lines.lines):
        raise InputError(lines.number + 1, f"unexpected extra input after the last row of W: "
                                           f"{lines.lines[lines.number].strip()[:40]!r}")
    return (torch.tensor(x, dtype=dtype, device=device), torch.tensor(w, dtype=dtype, device=device))


def assignment_gradients(x: torch.Tensor, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The reference solution: gradients of ``sum(linear(sign_parabola(x), sign_ste(w)))``.

    Input
    -----
    x : [rows, in_features], torch.Tensor
        Real-valued inputs.
    w : [out_features, in_features], torch.Tensor
        Real-valued (latent) weights, same dtype and device.

    Output
    ------
    grad_x : [rows, in_features], torch.Tensor
    grad_w : [out_features, in_features], torch.Tensor
    """
    x = x.detach().clone().requires_grad_(True)
    w = w.detach().clone().requires_grad_(True)
    F.linear(sign_parabola(x), sign_ste(w)).sum().backward()
    return x.grad, w.grad


def format_rows(t: torch.Tensor) -> str:
    """Rows of a 2-D tensor, one per line, values with four decimals, never ``-0.0000``."""
    lines = []
    for row in t.detach().cpu().tolist():
        cells = [f"{v:.4f}" for v in row]
        lines.append(" ".join("0.0000" if c == "-0.0000" else c for c in cells))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the assignment on stdin; return the exit status (0, or 2 for malformed input)."""
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.assignment",
        description="Print dL/dX then dL/dW for the binary-linear assignment read from stdin.",
    )
    parser.parse_args(argv)
    try:
        x, w = parse_input(sys.stdin.read())
    except InputError as err:
        print(f"error: input {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    grad_x, grad_w = assignment_gradients(x, w)
    sys.stdout.write(format_rows(grad_x) + format_rows(grad_w))
    return 0


if __name__ == "__main__":
    sys.exit(main())
