"""Tests that pin behaviours of the core modules left unchecked by the mutation run.

The checker engine (:mod:`course_utils.checking`), the saved-tensor walk
(:mod:`course_utils.memory`), device choice (:mod:`course_utils.env`), the assignment
command, and the small Functions and samplers of the course: each test names the
plausible bug it catches.
"""
from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from course_utils import env
from course_utils.assignment import InputError, main, parse_input
from course_utils.binarize import BinaryLinear
from course_utils.checking import CheckFailed, Comparison, call_answer, check_function, check_saves_result, compare
from course_utils.custom_ops import _from_numpy, _numpy_sign
from course_utils.functions import Linear, LinearFunction, cross_entropy
from course_utils.gumbel import (
    gumbel_from_uniform,
    gumbel_softmax,
    logistic_from_uniform,
    one_hot_ste,
    relaxed_bernoulli,
    sample_gumbel,
)
from course_utils.inplace import relu_
from course_utils.memory import saved_tensors
from course_utils.vmap_rule import NumpyCube

CPU = torch.device("cpu")
INF = float("inf")


class _Calls(TorchFunctionMode):
    """Records the calls of the given torch functions made while active: ``(func, args, kwargs)``."""

    def __init__(self, *funcs: Callable[..., Any]) -> None:
        super().__init__()
        self.funcs = funcs
        self.calls: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        kwargs = kwargs or {}
        if func in self.funcs:
            self.calls.append((func, args, kwargs))
        return func(*args, **kwargs)

    def to_targets(self) -> list[tuple[torch.device | None, torch.dtype | None]]:
        """The ``(device, dtype)`` asked of each recorded ``Tensor.to`` (None: not given)."""
        targets = []
        for func, args, kwargs in self.calls:
            if func is not torch.Tensor.to:
                continue
            device, dtype = kwargs.get("device"), kwargs.get("dtype")
            for arg in args[1:]:
                if isinstance(arg, torch.dtype):
                    dtype = arg
                elif isinstance(arg, (str, torch.device)):
                    device = arg
            targets.append((None if device is None else torch.device(device), dtype))
        return targets


@pytest.fixture
def restore_rng() -> Iterator[None]:
    """Leave Python's, NumPy's and torch's global generators as they were."""
    py, npy = random.getstate(), np.random.get_state()  # noqa: NPY002 - the legacy global one is the one seeded
    with torch.random.fork_rng():
        yield
    random.setstate(py)
    np.random.set_state(npy)  # noqa: NPY002


# ------------------------------------------------------------------ checking.compare


@pytest.mark.parametrize(
    ("ours", "reference", "expected"),
    [
        (None, None, Comparison("g", True, True, 0.0, None)),
        (None, torch.ones(2), Comparison("g", False, False, INF, "g: got None but expected a tensor")),
        (torch.ones(2), None, Comparison("g", False, False, INF, "g: expected None (no gradient) but got a tensor")),
        ([1.0, 2.0], torch.ones(2), Comparison("g", False, False, INF, "g: expected a torch.Tensor, got list")),
        (torch.ones(3), torch.ones(2), Comparison("g", False, False, INF, "g: shape (3,) but expected (2,)")),
        (torch.empty(0, 2), torch.empty(0, 2), Comparison("g", True, True, 0.0, None)),
        (torch.tensor([float("nan"), 1.0]), torch.tensor([float("nan"), 1.0]), Comparison("g", False, True, 0.0, None)),
    ],
    ids=["both None", "got None", "expected None", "not a tensor", "shape", "empty", "matching NaN"],
)
def test_compare_fills_every_field_of_its_result(ours: Any, reference: Any, expected: Comparison) -> None:
    """A wrong name, flag or max_abs_diff (1.0 for "no gradient" on both sides, NaN counted
    as a difference of 1, max() of an empty tensor crashing) in compare's result."""
    result = compare("g", ours, reference, verbose=False)
    assert result == expected
    assert type(result.exact) is bool and type(result.close) is bool


def test_compare_reports_a_nan_mismatch_at_the_first_bad_position() -> None:
    """A NaN where the reference has a number: max_abs_diff must be NaN (not the largest
    finite difference), and the report points at the first mismatch, not at argmax."""
    result = compare("g", torch.tensor([0.0, float("nan")]), torch.tensor([5.0, 0.0]), verbose=False)
    assert (result.name, result.exact, result.close) == ("g", False, False)
    assert math.isnan(result.max_abs_diff)
    assert result.problem == ("g: 2 of 2 values differ; max abs difference nan at index [0]: "
                              "yours 0, expected 5 (rtol=1e-05, atol=1e-08)")


def test_compare_uses_the_given_atol() -> None:
    """atol dropped from allclose or isclose: a near miss within the given atol would fail,
    and a report would count values within atol as wrong."""
    ours, ref = torch.tensor([1.0, 2.0], dtype=torch.float64), torch.tensor([1.001, 2.0], dtype=torch.float64)
    assert compare("g", ours, ref, atol=1e-2, verbose=False).close
    assert not compare("g", ours, ref, verbose=False).close
    result = compare("g", torch.zeros(2, dtype=torch.float64), torch.tensor([1e-3, 1.0], dtype=torch.float64),
                     atol=1e-2, verbose=False)
    assert result.problem == ("g: 1 of 2 values differ; max abs difference 1 at index [1]: "
                              "yours 0, expected 1 (rtol=1e-05, atol=0.01)")


def test_compare_moves_both_tensors_to_the_cpu() -> None:
    """compare not moving to the CPU: a learner's GPU tensor against a CPU reference would crash."""
    with _Calls(torch.Tensor.to) as seen:
        compare("g", torch.ones(2), torch.ones(2), verbose=False)
    assert seen.to_targets() == [(CPU, torch.float64), (CPU, torch.float64)]


# ------------------------------------------------------------- checking.check_function


class _Cube(torch.autograd.Function):
    """``x**3`` with a correct backward."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        (x,) = ctx.saved_tensors
        return 3 * x**2 * grad_output


class _CubeIgnoringUpstream(_Cube):
    """``x**3`` whose backward forgets to multiply by ``grad_output``."""

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        (x,) = ctx.saved_tensors
        return 3 * x**2


class _CubeWrongDerivative(_Cube):
    """``x**3`` whose backward uses the derivative of ``x**2``."""

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        (x,) = ctx.saved_tensors
        return 2 * x * grad_output


def _cube(x: torch.Tensor) -> torch.Tensor:
    return x**3


X = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64)


def test_check_function_is_silent_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    """verbose defaulting to True, or not passed on to the output or gradient comparisons:
    every passing checker would print its comparison lines."""
    check_function(_Cube.apply, _cube, [X])
    assert capsys.readouterr().out == ""


def test_check_function_verbose_prints_each_comparison_once(capsys: pytest.CaptureFixture[str]) -> None:
    """verbose not passed on (lines missing), or integer inputs compared too (extra lines)."""
    target = torch.tensor([1, 2, 3])
    check_function(lambda x, n: _Cube.apply(x) * n, lambda x, n: x**3 * n, [X, target], names=["x", "n"],
                   verbose=True)
    output = "output         | exact: True  | allclose: True  | max abs diff: 0.00e+00"
    grad = "grad of x      | exact: True  | allclose: True  | max abs diff: 0.00e+00"
    assert capsys.readouterr().out.splitlines() == [output, grad, output, grad]


def test_check_function_refuses_names_that_do_not_match_the_inputs() -> None:
    """The error for a wrong number of names losing its text."""
    with pytest.raises(ValueError) as err:
        check_function(_cube, _cube, [X, X], names=["x"])
    assert str(err.value) == "got 1 names for 2 inputs"


@pytest.mark.parametrize(
    ("candidate", "tolerance"),
    [
        (lambda x: x + 1e-3 * x.detach(), {"rtol": 1e-2}),
        (lambda x: x + 1e-4, {"atol": 1e-3}),
        (lambda x: x + 1e-3 * (x - x.detach()), {"rtol": 1e-2}),
        (lambda x: x + 1e-4 * (x - x.detach()), {"atol": 1e-3}),
    ],
    ids=["output rtol", "output atol", "grad rtol", "grad atol"],
)
def test_check_function_passes_its_tolerances_to_every_comparison(
        candidate: Callable[[torch.Tensor], torch.Tensor], tolerance: dict[str, float]) -> None:
    """rtol or atol not passed to the output's or a gradient's comparison: an answer within
    the tolerance the exercise allows would be refused."""
    check_function(candidate, lambda x: x, [X], **tolerance)
    with pytest.raises(CheckFailed):
        check_function(candidate, lambda x: x, [X])


def test_check_function_checks_gradients_after_an_integer_input() -> None:
    """Stopping at the first input that needs no gradient (break for continue): the gradient
    of every later input would go unchecked."""
    with pytest.raises(CheckFailed, match=r"^grad of x: "):
        check_function(lambda n, x: n * _CubeWrongDerivative.apply(x), lambda n, x: n * x**3,
                       [torch.tensor([1, 2, 3]), X], names=["n", "x"])


def test_check_function_shows_the_input_only_for_a_one_input_function() -> None:
    """The output's report naming "the input" of a two-input function (the first one)."""
    with pytest.raises(CheckFailed) as err:
        check_function(lambda x, y: x * y + 1, lambda x, y: x * y, [X, X])
    assert str(err.value) == ("output: 3 of 3 values differ; max abs difference 1 at index [0]: "
                              "yours 1.25, expected 0.25 (rtol=1e-05, atol=1e-08)")


def test_check_function_reports_a_detached_output() -> None:
    """The learner-facing sentence for an output cut from the graph."""
    with pytest.raises(CheckFailed) as err:
        check_function(lambda x: (x**3).detach(), _cube, [X])
    assert str(err.value) == "output does not require grad: is the result detached from the inputs?"


def test_check_function_reports_a_wrong_derivative_with_grad_output_one() -> None:
    """The first pass not using grad_output = 1, or its failure getting the "random
    grad_output" hint: a plain wrong derivative must be reported as it is."""
    with pytest.raises(CheckFailed) as err:
        check_function(_CubeWrongDerivative.apply, _cube, [X], names=["x"])
    assert str(err.value) == ("grad of x: 3 of 3 values differ; max abs difference 8 at index [2] (input 2): "
                              "yours 4, expected 12 (rtol=1e-05, atol=1e-08)")


def test_check_function_random_upstream_is_seeded_float64_noise() -> None:
    """The second pass's upstream drawn with another seed or in float32 (the report in the
    notebooks would change), or the hint about grad_output losing its text."""
    x = torch.linspace(-2.0, 2.0, 16, dtype=torch.float64)
    with pytest.raises(CheckFailed) as err:
        check_function(_CubeIgnoringUpstream.apply, _cube, [x], names=["x"])
    assert str(err.value) == (
        "grad of x: 16 of 16 values differ; max abs difference 39.7 at index [0] (input -2): yours 12, "
        "expected -27.7249 (rtol=1e-05, atol=1e-08) -- correct for grad_output = 1 but not for a random "
        "grad_output: does backward multiply by grad_output?")


def test_check_function_upstream_has_the_outputs_dtype_and_device() -> None:
    """The random upstream left in float64, or on the CPU for an output on a GPU."""
    x = X.float()
    with _Calls(torch.Tensor.to, torch.Tensor.backward) as seen:
        check_function(torch.sin, torch.sin, [x])
    assert (CPU, torch.float32) in seen.to_targets()
    gradients = [kwargs["gradient"] for func, _, kwargs in seen.calls if func is torch.Tensor.backward]
    assert len(gradients) == 4  # candidate and reference, two passes
    assert all(g.dtype == torch.float32 and g.device == CPU for g in gradients)


def test_call_answer_reports_a_crash_without_a_prefix() -> None:
    """A default context other than "" prefixing every crash report."""
    with pytest.raises(CheckFailed) as err:
        call_answer(lambda: 1 / 0)
    assert str(err.value) == "calling your function raised ZeroDivisionError: division by zero"


# --------------------------------------------------------- checking.check_saves_result


class _ExpKeepingAttributes(torch.autograd.Function):
    """``exp`` keeping its input and result as ctx attributes."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        y = x.exp()
        ctx.x, ctx.y = x, y
        return y

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        return grad_output * ctx.y


class _ExpReturningATuple(torch.autograd.Function):
    """``exp`` whose forward ends in ``return y,`` (a one-tensor tuple)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> tuple[torch.Tensor]:  # noqa: ANN001
        y = x.exp()
        ctx.save_for_backward(y)
        return (y,)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        (y,) = ctx.saved_tensors
        return grad_output * y


def test_check_saves_result_lists_every_ctx_attribute() -> None:
    """The report of tensors kept on ctx losing its separator or its closing words."""
    with pytest.raises(CheckFailed) as err:
        check_saves_result(_ExpKeepingAttributes.apply, torch.zeros(3), what="Exp")
    assert str(err.value) == ("Exp keeps tensors as ctx attributes (ctx.x, ctx.y): save the result with "
                              "ctx.save_for_backward, which checks it was not modified in place (notebook 06)")


def test_check_saves_result_reports_a_tuple_result_instead_of_crashing() -> None:
    """A result that is not a tensor reaching ``out.detach()``: the checker would crash with an
    AttributeError instead of telling the learner what is saved."""
    with pytest.raises(CheckFailed) as err:
        check_saves_result(_ExpReturningATuple.apply, torch.zeros(3), what="Exp")
    assert str(err.value) == ("Exp must save only its result y for backward (ctx.save_for_backward(y)); "
                              "it saves a tensor of shape [3] that is neither x nor y")


# --------------------------------------------------------------------------- memory


class _Holds(torch.autograd.Function):
    """An identity whose node keeps ``wrap(2 x)`` as the ctx attribute ``held``."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, wrap: Callable[[torch.Tensor], Any]) -> torch.Tensor:  # noqa: ANN001
        ctx.held = wrap(x * 2)
        return x.clone()

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> tuple[torch.Tensor, None]:  # noqa: ANN001
        return grad_output, None


def _held_names(wrap: Callable[[torch.Tensor], Any],
                through: Callable[[torch.Tensor], Any] = lambda y: y) -> list[str]:
    """Names of the ctx attributes :func:`saved_tensors` finds when ``_Holds`` keeps ``wrap(2x)``."""
    leaf = torch.ones(2, requires_grad=True)
    return list(saved_tensors(lambda t: through(_Holds.apply(t, wrap)), leaf).attributes)


@pytest.mark.parametrize(
    ("wrap", "names"),
    [
        (lambda t: [[[[t]]]], ["ctx.held[0][0][0][0]"]),
        (lambda t: [[[[[t]]]]], []),
        (lambda t: [[frozenset({(t,)})]], ["ctx.held[0][0]{...}[0]"]),
        (lambda t: [[[frozenset({(t,)})]]], []),
        (lambda t: [[[[frozenset({t})]]]], []),
        (lambda t: [[{"k": (t,)}]], ["ctx.held[0][0]['k'][0]"]),
        (lambda t: [[[{"k": (t,)}]]], []),
        (lambda t: [[[[{"k": t}]]]], []),
    ],
    ids=["4 lists", "5 lists", "set at 3", "set at 4", "set at 5", "dict at 3", "dict at 4", "dict at 5"],
)
def test_ctx_containers_are_searched_four_levels_deep(wrap: Callable[[torch.Tensor], Any],
                                                      names: list[str]) -> None:
    """The bound on the search (it stops self-referencing or huge structures) counted wrongly
    for lists, sets or dicts: a level lost, one more searched, or the count restarted in a set."""
    assert _held_names(wrap) == names


def test_ctx_attributes_of_outputs_that_are_not_one_tensor_are_found() -> None:
    """A 0-d result iterated, a tuple result not unpacked, or a non-tensor in it touched as
    a tensor: the attributes would be missed or the walk would crash."""
    expected = ["ctx.held[0]"]
    assert _held_names(lambda t: [t], through=lambda y: y.sum()) == expected
    assert _held_names(lambda t: [t], through=lambda y: (y, y * 3)) == expected
    assert _held_names(lambda t: [t], through=lambda y: (y, 3)) == expected


class _CountingList(list):
    """A list that counts how often it is iterated."""

    iterations = 0

    def __iter__(self) -> Iterator[Any]:
        self.iterations += 1
        return super().__iter__()


def test_a_node_reached_twice_is_walked_once() -> None:
    """The walk not remembering the nodes it saw: a graph with shared parts would be walked
    once per path, exponentially many times for a deep network with skip connections."""
    held = _CountingList()
    names = _held_names(lambda t: held.append(t) or held, through=lambda y: y * 2 + y * 3)
    assert names == ["ctx.held[0]"]
    assert held.iterations == 1


def test_the_graph_saved_tensors_returns_still_runs_backward() -> None:
    """The unpack hook losing the saved tensor: backward through the measured output would fail."""
    x = torch.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    kept = saved_tensors(lambda t: t * torch.sigmoid(t), x)
    kept.output.sum().backward()
    s = torch.sigmoid(x.detach())
    torch.testing.assert_close(x.grad, s + x.detach() * s * (1 - s))


# ------------------------------------------------------------------------------ env


def test_pick_device_message_when_cuda_is_forced_without_a_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """The message for COURSE_DEVICE=cuda on a machine without a GPU losing its text."""
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError) as err:
        env.pick_device()
    assert str(err.value) == "COURSE_DEVICE=cuda but torch finds no usable GPU"


def test_device_picks_once_then_keeps_its_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    """device() returning None before setup, or choosing again after setup chose."""
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    monkeypatch.setattr(env, "_device", None)
    assert env.device() == CPU
    assert env._device == CPU
    meta = torch.device("meta")
    monkeypatch.setattr(env, "_device", meta)
    assert env.device() == meta


@pytest.mark.usefixtures("restore_rng")
def test_setup_seeds_with_zero_and_reports_the_versions(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A default seed other than 0 (the notebooks' numbers would change), or the version line's
    separator changed."""
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    monkeypatch.setattr(env, "_device", None)
    monkeypatch.setattr(env, "_seed", None)
    assert env.setup() == CPU
    drawn = torch.rand(3)
    torch.manual_seed(0)
    assert torch.equal(drawn, torch.rand(3))
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"device: {env.describe_device(CPU)} | seed: 0",
                     " | ".join(f"{k} {v}" for k, v in env.versions().items())]


# ----------------------------------------------------------------------- assignment


def test_parse_input_truncates_extra_input_to_forty_characters() -> None:
    """The quoted start of unexpected extra input cut at another length."""
    with pytest.raises(InputError) as err:
        parse_input("1\n1\n0.5\n1\n1\n0.25\n" + "7" * 50 + "\n")
    assert str(err.value) == f"line 7: unexpected extra input after the last row of W: {'7' * 40!r}"


def test_parse_input_puts_both_tensors_on_the_asked_device() -> None:
    """X or W made on the default device instead of the one asked for."""
    x, w = parse_input("1\n2\n0.5 -1\n1\n2\n-0.25 0.75\n", device="meta", dtype=torch.float32)
    assert (x.device.type, w.device.type) == ("meta", "meta")
    assert (x.shape, w.shape, x.dtype, w.dtype) == ((1, 2), (1, 2), torch.float32, torch.float32)


def test_the_assignment_command_help_names_the_command_and_what_it_does(
        capsys: pytest.CaptureFixture[str]) -> None:
    """``--help`` showing the test runner's name instead of the command, or losing its description."""
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == ["usage: python -m course_utils.assignment [-h]", "",
                         "Print dL/dX then dL/dW for the binary-linear assignment read from stdin."]


# ------------------------------------------------------------------------- binarize


def test_binary_linear_refuses_weights_none_with_its_message() -> None:
    """The message for a BinaryLinear without a weight binarizer losing its text or case."""
    with pytest.raises(ValueError) as err:
        BinaryLinear(2, 3, weights=None)
    assert str(err.value) == "weights must name a binarizer: a BinaryLinear always binarizes its weights"


@pytest.mark.usefixtures("restore_rng")
def test_binary_linear_layers_start_like_their_float_twins() -> None:
    """A bias drawn (then dropped) for a layer without bias: every layer built after it would
    start from other weights than its nn.Linear twin."""
    torch.manual_seed(0)
    binary = [BinaryLinear(4, 3), BinaryLinear(3, 2)]
    torch.manual_seed(0)
    twins = [nn.Linear(4, 3, bias=False), nn.Linear(3, 2, bias=False)]
    for layer, twin in zip(binary, twins):
        assert layer.bias is None
        assert torch.equal(layer.weight, twin.weight)


def test_binary_linear_takes_inputs_of_any_rank() -> None:
    """The feature check reading the wrong dimension: a single sample (1-D) or a 3-D batch refused."""
    layer = BinaryLinear(4, 2)
    sign_w = torch.where(layer.weight < 0, -1.0, 1.0)
    for shape in ((4,), (2, 3, 4)):
        x = torch.randn(shape, generator=torch.Generator().manual_seed(0))
        torch.testing.assert_close(layer(x), F.linear(x, sign_w))


# ------------------------------------------------------------------------ functions


def test_linear_function_bias_message_names_the_out_features() -> None:
    """The expected bias shape reported as in_features instead of out_features."""
    with pytest.raises(ValueError) as err:
        LinearFunction.apply(torch.ones(2, 3), torch.ones(4, 3), torch.ones(3))
    assert str(err.value) == "bias must have shape (4,), got (3,)"


def test_linear_function_backward_skips_a_bias_that_needs_no_gradient() -> None:
    """backward computing the bias gradient although needs_input_grad says it is not needed."""
    x, w, g = torch.ones(2, 3), torch.ones(4, 3), torch.ones(2, 4)
    ctx = SimpleNamespace(saved_tensors=(x, w), has_bias=True, needs_input_grad=(True, True, False))
    grad_x, grad_w, grad_b = LinearFunction.backward(ctx, g)
    assert grad_b is None
    assert grad_x.shape == (2, 3) and grad_w.shape == (4, 3)


def test_linear_accepts_one_feature() -> None:
    """The size check refusing 1 (a one-feature regression layer)."""
    layer = Linear(1, 1)
    x = torch.tensor([[2.0]])
    torch.testing.assert_close(layer(x), x * layer.weight + layer.bias)


def test_cross_entropy_messages_and_a_single_class() -> None:
    """The dtype of integer logits missing from the error, or one class (loss 0) refused."""
    with pytest.raises(TypeError) as err:
        cross_entropy(torch.tensor([[1, 2]]), torch.tensor([0]))
    assert str(err.value) == "logits must be a floating-point tensor, got torch.int64"
    logits = torch.tensor([[0.3], [-2.0]], requires_grad=True)
    loss = cross_entropy(logits, torch.tensor([0, 0]))
    loss.backward()
    assert loss.item() == 0.0
    assert torch.equal(logits.grad, torch.zeros(2, 1))


def test_relu_inplace_names_the_dtype_it_refuses() -> None:
    """The dtype of an integer input missing from relu_'s error."""
    with pytest.raises(TypeError) as err:
        relu_(torch.tensor([1, -2]))
    assert str(err.value) == "x must be a floating-point tensor, got torch.int64"


# --------------------------------------------------------------------------- gumbel


@pytest.mark.parametrize(
    ("tau", "error", "message"),
    [
        (torch.tensor(1), TypeError, "tau must be a float or a floating-point tensor, got torch.int64"),
        (torch.tensor([1.0, 0.0]), ValueError, "tau must be a finite number > 0 in every entry"),
        ("1", TypeError, "tau must be a float or a tensor, got str"),
    ],
)
def test_gumbel_softmax_tau_messages(tau: Any, error: type[Exception], message: str) -> None:
    """A wrong temperature's error losing its text or naming the wrong type."""
    with pytest.raises(error) as err:
        gumbel_softmax(torch.zeros(2), tau)
    assert str(err.value) == message


def test_uniform_and_one_hot_errors_name_the_argument() -> None:
    """logistic_from_uniform's or one_hot_ste's errors naming another argument than u or y."""
    with pytest.raises(ValueError) as err:
        logistic_from_uniform(torch.tensor([float("nan")]))
    assert str(err.value) == "u contains NaN"
    with pytest.raises(ValueError) as err:
        logistic_from_uniform(torch.tensor([0.5, 1.5]))
    assert str(err.value) == "u must lie in [0, 1], got values in [0.5, 1.5]"
    with pytest.raises(TypeError) as err:
        one_hot_ste(torch.tensor([1, 2]))
    assert str(err.value) == "y must have a floating-point dtype, got torch.int64"


@pytest.mark.usefixtures("restore_rng")
def test_sample_gumbel_uses_the_global_generator_and_its_eps() -> None:
    """Sampling without a generator crashing (the generator's device read from None), or the
    given eps not reaching the transform."""
    torch.manual_seed(0)
    drawn = sample_gumbel((4,), eps=0.25)
    torch.manual_seed(0)
    u = torch.rand(4)
    assert torch.equal(drawn, gumbel_from_uniform(u, 0.25))
    assert not torch.equal(drawn, gumbel_from_uniform(u))


@pytest.mark.usefixtures("restore_rng")
def test_relaxed_bernoulli_draws_its_noise_on_the_probabilities_device() -> None:
    """The logistic noise drawn on the default device: GPU probabilities would then fail."""
    with _Calls(torch.rand) as seen:
        relaxed_bernoulli(torch.full((3,), 0.3), 1.0)
    assert [kwargs.get("device") for _, _, kwargs in seen.calls] == [CPU]


# ------------------------------------------------------------- custom_ops, vmap_rule


def test_numpy_helpers_keep_the_tensors_dtype() -> None:
    """NumPy results handed back in NumPy's dtype (float64) instead of the tensor's."""
    like = torch.zeros(2, dtype=torch.float32)
    assert _from_numpy(np.zeros(2), like).dtype == torch.float32
    signs = _numpy_sign(np.array([-2.0, 0.0, np.nan], dtype=np.float32))
    assert signs.dtype == np.float32
    assert signs[:2].tolist() == [-1.0, 1.0] and np.isnan(signs[2])


def test_numpy_cube_returns_to_the_inputs_device() -> None:
    """NumpyCube's result left on the CPU for an input on a GPU."""
    with _Calls(torch.Tensor.to) as seen:
        y = NumpyCube.apply(torch.tensor([2.0]))
    assert y.tolist() == [8.0]
    assert [device for device, _ in seen.to_targets()] == [CPU]
