"""Property-based tests (hypothesis): what must hold for every input, not only for examples.

- The binarizers: forward exactly -1/+1 (``sign(-0.0) = +1``, NaN kept) and backward equal to
  the formula their module documents, at arbitrary floats including -0.0, the boundaries and
  infinities.
- The channels: hard outputs binary or bipolar (ternary for the erasure channel) and LLRs
  within ``[-llr_max, llr_max]``, for any shape and any probability.
- The assignment's command line: any well-formed input is read back exactly and answered
  with the gradients the layer defines.

Examples are few and small (``max_examples``) so that the file runs in seconds.
"""
from __future__ import annotations

import io
import math
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from course_utils.assignment import main, parse_input
from course_utils.binarize import sign_clipped_ste, sign_parabola, sign_ste, sign_swish
from course_utils.channels import (
    BinaryErasureChannel,
    BinaryMemorylessChannel,
    BinarySymmetricChannel,
    BinaryZChannel,
)

# No example database, and hypothesis' caches in a temporary folder: no files left in the tree.
SETTINGS = settings(max_examples=60, deadline=None, database=None)
_HOME = Path(tempfile.mkdtemp(prefix="course-hypothesis-"))
set_hypothesis_home_dir(_HOME)


@pytest.fixture(autouse=True, scope="module")
def _remove_hypothesis_home():  # noqa: ANN202
    yield
    shutil.rmtree(_HOME, ignore_errors=True)


EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, math.inf, -math.inf, 1e-300, -5e-324, 1e30, -1e30]
FLOATS = st.one_of(st.sampled_from(EDGES), st.floats(allow_nan=False, width=64),
                   st.floats(min_value=-3, max_value=3))
VALUES = st.lists(FLOATS, min_size=1, max_size=16)
DTYPES = st.sampled_from([torch.float32, torch.float64])


def _sign(x: torch.Tensor) -> torch.Tensor:
    """The documented forward: -1 where x < 0, +1 elsewhere (also at -0.0)."""
    return torch.tensor([-1.0 if v < 0 else 1.0 for v in x.tolist()], dtype=x.dtype)


def _swish_derivative(x: float, beta: float) -> float:
    """beta (2 - beta x tanh(beta x / 2)) / (1 + cosh(beta x)), with its limit 0 at +-inf."""
    u = beta * x
    if abs(u) > 700:  # cosh overflows; the derivative is below 1e-300 there
        return 0.0
    return beta * (2 - u * math.tanh(u / 2)) / (1 + math.cosh(u))


def _backward(binarize, x: torch.Tensor, g: torch.Tensor, *args: float) -> tuple[torch.Tensor, torch.Tensor]:
    leaf = x.clone().requires_grad_(True)
    out = binarize(leaf, *args)
    out.backward(g)
    return out.detach(), leaf.grad


@SETTINGS
@given(VALUES, DTYPES, st.floats(min_value=-4, max_value=4))
def test_ste_and_parabola_forward_and_backward(values: list[float], dtype: torch.dtype, g: float) -> None:
    x = torch.tensor(values, dtype=dtype)
    grad_output = torch.full_like(x, g)
    for binarize in (sign_ste, sign_parabola):
        out, grad = _backward(binarize, x, grad_output)
        assert torch.equal(out, _sign(x)), binarize.__name__
        assert out.dtype == dtype
    _, grad = _backward(sign_ste, x, grad_output)
    assert torch.equal(grad, grad_output)
    _, grad = _backward(sign_parabola, x, grad_output)
    # 2 + 2x on [-1, 0), 2 - 2x on [0, 1), 0 elsewhere
    slope = [2 + 2 * v if -1 <= v < 0 else 2 - 2 * v if 0 <= v < 1 else 0.0 for v in x.tolist()]
    torch.testing.assert_close(grad, grad_output * torch.tensor(slope, dtype=dtype), rtol=0, atol=0)


@SETTINGS
@given(VALUES, DTYPES, st.one_of(st.sampled_from([1.0, 0.5, 2.0]), st.floats(min_value=1e-3, max_value=10)))
def test_clipped_ste_passes_the_gradient_exactly_inside_the_closed_window(values, dtype, clip: float) -> None:
    x = torch.tensor(values + [clip, -clip], dtype=dtype)  # the boundaries themselves
    clip_in_dtype = float(torch.tensor(clip, dtype=dtype))  # x is compared with clip in x's dtype
    grad_output = torch.ones_like(x)
    out, grad = _backward(sign_clipped_ste, x, grad_output, clip)
    assert torch.equal(out, _sign(x))
    assert grad.tolist() == [1.0 if abs(v) <= clip_in_dtype else 0.0 for v in x.tolist()]
    assert grad[-2:].tolist() == [1.0, 1.0]


@SETTINGS
@given(VALUES, st.one_of(st.sampled_from([5.0, 1.0]), st.floats(min_value=0.1, max_value=20)))
def test_swish_backward_is_the_documented_derivative(values: list[float], beta: float) -> None:
    x = torch.tensor(values, dtype=torch.float64)
    out, grad = _backward(sign_swish, x, torch.ones_like(x), beta)
    assert torch.equal(out, _sign(x))
    assert not bool(torch.isnan(grad).any()), (values, grad)
    expected = torch.tensor([_swish_derivative(v, beta) for v in values], dtype=torch.float64)
    torch.testing.assert_close(grad, expected, rtol=1e-9, atol=1e-12)


@SETTINGS
@given(VALUES)
def test_nan_is_kept_by_every_binarizer(values: list[float]) -> None:
    x = torch.tensor(values + [math.nan])
    for binarize in (sign_ste, sign_clipped_ste, sign_parabola, sign_swish):
        out = binarize(x)
        assert math.isnan(out[-1].item())
        assert torch.equal(out[:-1], _sign(x[:-1]))


# --------------------------------------------------------------------------- channels

SHAPES = st.lists(st.integers(min_value=0, max_value=4), min_size=0, max_size=3).map(tuple)
PROBS = st.one_of(st.sampled_from([0.0, 1.0, 0.5]), st.floats(min_value=0.0, max_value=1.0))


@SETTINGS
@given(st.sampled_from([BinaryMemorylessChannel, BinarySymmetricChannel, BinaryZChannel, BinaryErasureChannel]),
       SHAPES, PROBS, PROBS, st.booleans(), st.sampled_from(["gumbel", "logistic"]), DTYPES,
       st.integers(min_value=0, max_value=2**31))
def test_channel_outputs_stay_in_the_alphabet(channel, shape, p0: float, p1: float, bipolar: bool, sampler: str,
                                              dtype: torch.dtype, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    bits = torch.randint(0, 2, shape, generator=gen).to(dtype)
    x = 2 * bits - 1 if bipolar else bits
    pb = (p0, p1) if channel is BinaryMemorylessChannel else p0
    erasure = 0.0 if bipolar else -1.0
    alphabet = {-1.0, 1.0} if bipolar else {0.0, 1.0}
    if channel is BinaryErasureChannel:
        alphabet = alphabet | {erasure}
    y = channel(bipolar_input=bipolar, dtype=dtype, sampler=sampler)(x, pb, generator=gen)
    assert y.shape == x.shape and y.dtype == dtype
    assert set(y.unique().tolist()) <= alphabet
    if channel is BinaryErasureChannel:  # only erasures change a bit
        assert bool(((y == x) | (y == erasure)).all())
    if channel is BinaryZChannel:  # only 1 -> 0
        assert bool(((y == x) | (x == 1)).all())
    llr = channel(return_llrs=True, bipolar_input=bipolar, llr_max=7.5, dtype=dtype, sampler=sampler)(
        x, pb, generator=gen)
    assert llr.shape == x.shape
    assert bool((llr.abs() <= 7.5)[~torch.isnan(llr)].all())
    if max(p0, p1) < 1:  # an LLR is NaN only at p = 1, as in Sionna (log of -eps)
        assert not bool(torch.isnan(llr).any())


# ------------------------------------------------------------------- assignment's CLI

ENTRY = st.one_of(st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, -0.5]),
                  st.floats(min_value=-5, max_value=5, allow_subnormal=False))
SEP = st.sampled_from([" ", "  ", "\t", " \t "])


@st.composite
def assignment_inputs(draw) -> tuple[list[list[float]], list[list[float]], str]:
    rows, cols, outs = (draw(st.integers(min_value=1, max_value=4)) for _ in range(3))
    x = [[draw(ENTRY) for _ in range(cols)] for _ in range(rows)]
    w = [[draw(ENTRY) for _ in range(cols)] for _ in range(outs)]

    def line(values: list[float]) -> str:
        text = draw(SEP).join(repr(v) for v in values)
        return draw(st.sampled_from(["", " "])) + text + draw(st.sampled_from(["", " ", "\t"]))

    lines = [str(rows), str(cols), *map(line, x), str(outs), str(cols), *map(line, w)]
    text = "\n".join(lines) + draw(st.sampled_from(["", "\n", "\n\n", "\n \n"]))
    return x, w, text


def _gradients(x: list[list[float]], w: list[list[float]]) -> tuple[list[list[float]], list[list[float]]]:
    """The assignment's answer from its definition, in plain Python.

    Loss = sum of ``linear(sign(x), sign(w))``: dL/dx[i, k] = parabola'(x[i, k]) * sum_o sign(w[o, k])
    and dL/dw[o, k] = sum_i sign(x[i, k]) (identity straight-through for the weights).
    """
    def sign(v: float) -> float:
        return -1.0 if v < 0 else 1.0

    cols = range(len(w[0]))
    column = [sum(sign(row[k]) for row in w) for k in cols]
    grad_x = [[(2 - 2 * abs(row[k]) if abs(row[k]) < 1 else 0.0) * column[k] for k in cols] for row in x]
    grad_w = [[sum(sign(row[k]) for row in x) for k in cols] for _ in w]
    return grad_x, grad_w


@SETTINGS
@given(assignment_inputs())
def test_cli_round_trips_any_well_formed_input(case) -> None:
    x, w, text = case
    px, pw = parse_input(text)
    assert px.tolist() == x and pw.tolist() == w  # read back exactly (repr round-trips floats)
    stdin, stdout, stderr = sys.stdin, sys.stdout, sys.stderr
    out, err = io.StringIO(), io.StringIO()
    try:
        sys.stdin, sys.stdout, sys.stderr = io.StringIO(text), out, err
        status = main([])
    finally:
        sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stderr
    assert (status, err.getvalue()) == (0, "")
    printed = [[float(v) for v in line.split(" ")] for line in out.getvalue().splitlines()]
    assert all("-0.0000" not in line for line in out.getvalue().splitlines())
    grad_x, grad_w = _gradients(x, w)
    assert len(printed) == len(x) + len(w)
    for got, expected in zip(printed, grad_x + grad_w):
        assert len(got) == len(expected)
        assert all(abs(a - b) <= 5e-5 + 1e-12 * abs(b) for a, b in zip(got, expected)), (got, expected)
