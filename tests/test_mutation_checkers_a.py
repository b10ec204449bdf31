"""What the checkers of notebooks 00-02, 05-07, 09 and 10 feed a learner's answer, and what they tell them.

Found by the mutation run (docs/mutation-survivors.md): the exact failure reports of
plausible wrong answers, the tolerances (near misses just above and just below them),
the dtype, device and reproducibility of the points an answer is called at.
"""
from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F

from course_utils import CheckFailed
from course_utils.binarize import BinaryLinear, sign_ste, sign_swish
from course_utils.env import device
from course_utils.exercises import binarized_network, gumbel_softmax, part1, start, straight_through

# ---------------------------------------------------------------------------
# Reference answers
# ---------------------------------------------------------------------------


def _binary_matmul(a_bits: torch.Tensor, b_bits: torch.Tensor) -> torch.Tensor:
    agree = (a_bits[:, None, :] == b_bits[None, :, :]).sum(-1)
    return 2 * agree - a_bits.shape[-1]


def _gumbel_max(logits: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    return (logits - torch.log(-torch.log(u))).argmax(dim=-1)


def _fit_gradients(a, b, c, d, x, y) -> tuple[torch.Tensor, ...]:  # noqa: ANN001
    z = c + d * x
    p3 = 0.5 * (5 * z**3 - 3 * z)
    r = 2 * (a + b * p3 - y)
    dp3 = 1.5 * (5 * z**2 - 1)
    return r.sum(), (r * p3).sum(), (r * b * dp3).sum(), (r * b * dp3 * x).sum()


def _fit_gradients_changing(index: int, change: Callable[[torch.Tensor], torch.Tensor]) -> Callable:
    """The right ``fit_gradients`` with its gradient ``index`` passed through ``change``."""
    def answer(*args: torch.Tensor) -> tuple[torch.Tensor, ...]:
        grads = list(_fit_gradients(*args))
        grads[index] = change(grads[index])
        return tuple(grads)

    return answer


class _Recorded(Exception):
    """Raised by a recording answer once it has seen its inputs."""


def _recorder(seen: list[torch.Tensor]) -> Callable[..., torch.Tensor]:
    """An answer that keeps the tensors it is called with and stops the check."""
    def answer(*args: object) -> torch.Tensor:
        seen.extend(a for a in args if isinstance(a, torch.Tensor))
        raise _Recorded("recorded")

    return answer


def _run_recording(check: Callable[[Callable], None]) -> list[torch.Tensor]:
    seen: list[torch.Tensor] = []
    with pytest.raises(CheckFailed, match="raised _Recorded: recorded"):
        check(_recorder(seen))
    assert seen
    return seen


# ---------------------------------------------------------------------------
# The points: float64, on the course device, the same whatever the global seed
# ---------------------------------------------------------------------------
_POINT_CHECKERS = {
    "check_cube": start.check_cube,
    "check_tanh": part1.check_tanh,
    "check_matmul": part1.check_matmul,
    "check_fit_gradients": part1.check_fit_gradients,
    "check_tanh_sign": straight_through.check_tanh_sign,
    "check_gumbel_max": gumbel_softmax.check_gumbel_max,
    "check_hard_relaxed_bernoulli": lambda answer: gumbel_softmax.check_hard_relaxed_bernoulli(
        lambda p, u, tau: answer(p, u)),
}


@pytest.mark.parametrize("name", list(_POINT_CHECKERS))
def test_the_learner_is_called_at_float64_points(name: str) -> None:
    """Points made in the default float32: a right answer could then fail on rounding, or a wrong one pass."""
    dtypes = [t.dtype for t in _run_recording(_POINT_CHECKERS[name])]
    assert dtypes == [torch.float64] * len(dtypes)


@pytest.mark.parametrize("name", [*_POINT_CHECKERS, "check_binary_matmul"])
def test_the_learner_is_called_on_the_course_device(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Points made on the CPU: an answer run on a GPU course device would then see CPU inputs."""
    meta = torch.device("meta")  # shapes without data: any tensor made elsewhere shows
    for module in (start, part1, straight_through, gumbel_softmax, binarized_network):
        monkeypatch.setattr(module, "device", lambda: meta)
    check = binarized_network.check_binary_matmul if name == "check_binary_matmul" else _POINT_CHECKERS[name]
    devices = [t.device for t in _run_recording(check)]
    assert devices == [meta] * len(devices)


@pytest.mark.parametrize("check", [part1.check_matmul, binarized_network.check_binary_matmul,
                                   gumbel_softmax.check_gumbel_max],
                         ids=["check_matmul", "check_binary_matmul", "check_gumbel_max"])
def test_the_points_do_not_depend_on_the_global_seed(check: Callable[[Callable], None]) -> None:
    """Points drawn from the global generator: a learner's run would not be reproducible, and its report would change."""
    runs = []
    with torch.random.fork_rng():
        for seed in (0, 1):
            torch.manual_seed(seed)
            runs.append([t.cpu() for t in _run_recording(check)])
    assert [t.shape for t in runs[0]] == [t.shape for t in runs[1]]
    assert all(torch.equal(a, b) for a, b in zip(*runs))


# ---------------------------------------------------------------------------
# Notebook 00: Reciprocal
# ---------------------------------------------------------------------------
class _ReciprocalSavesYSquared(torch.autograd.Function):
    """Right value and gradient, but it saves y**2 (what backward needs), not y."""

    @staticmethod
    def forward(ctx, x):  # noqa: ANN001, ANN205
        y = 1 / x
        ctx.save_for_backward(y * y)
        return y

    @staticmethod
    def backward(ctx, g):  # noqa: ANN001, ANN205
        (y2,) = ctx.saved_tensors
        return -g * y2


def test_reciprocal_saving_y_squared_is_refused() -> None:
    """The save check run at the wrong points (x == 0, where y**2 and y are both inf) would accept it."""
    with pytest.raises(CheckFailed) as info:
        start.check_reciprocal(_ReciprocalSavesYSquared.apply)
    assert str(info.value) == ("Reciprocal must save only its result y for backward (ctx.save_for_backward(y)); "
                               "it saves a tensor of shape [6] that is neither x nor y")


# ---------------------------------------------------------------------------
# Notebook 02: fit_gradients
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("index,name", list(enumerate(["dL/da", "dL/db", "dL/dc", "dL/dd"])))
def test_a_wrong_fit_gradient_is_reported_under_its_name(index: int, name: str) -> None:
    """A wrong gradient reported under another name: the learner would fix the wrong formula."""
    with pytest.raises(CheckFailed, match=rf"^{re.escape(name)}: 1 of 1 values differ; "):
        part1.check_fit_gradients(_fit_gradients_changing(index, lambda g: 2 * g))


def test_fit_gradients_must_pair_each_x_with_its_residual() -> None:
    """Points all equal (a degenerate linspace) would accept dL/dd computed with the mean of x."""
    def with_mean_x(a, b, c, d, x, y):  # noqa: ANN001, ANN202
        z = c + d * x
        r = 2 * (a + b * 0.5 * (5 * z**3 - 3 * z) - y)
        return (*_fit_gradients(a, b, c, d, x, y)[:3], (r * b * 1.5 * (5 * z**2 - 1)).sum() * x.mean())

    with pytest.raises(CheckFailed, match=r"^dL/dd: 1 of 1 values differ"):
        part1.check_fit_gradients(with_mean_x)


@pytest.mark.parametrize("relative,absolute,passes", [
    (0.5e-7, 0.5e-9, True),  # half the tolerance atol + rtol * |expected|
    (1e-7, 5e-9, False),     # just above it: within atol = 1e-8 + rtol, but not 1e-9
    (1e-6, 0.0, False),      # within rtol = 1e-5, but not 1e-7
])
def test_fit_gradients_tolerance(relative: float, absolute: float, passes: bool,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    """dL/da off by a hair: the stated tolerances rtol=1e-7, atol=1e-9, not compare's looser defaults."""
    answer = _fit_gradients_changing(0, lambda g: g + (relative * g.abs() + absolute))
    if passes:
        part1.check_fit_gradients(answer)
        assert capsys.readouterr().out == "correct: all four hand-derived gradients match autograd\n"
    else:
        with pytest.raises(CheckFailed, match=r"^dL/da: 1 of 1 values differ; .*\(rtol=1e-07, atol=1e-09\)$"):
            part1.check_fit_gradients(answer)


def test_fit_gradients_reports_exactly_what_is_wrong() -> None:
    """The report a learner reads for a short tuple, an error of their own, or autograd used."""
    with pytest.raises(CheckFailed) as info:
        part1.check_fit_gradients(lambda *args: _fit_gradients(*args)[:3])
    assert str(info.value) == "return a tuple of 4 gradients (dL/da, dL/db, dL/dc, dL/dd)"

    def typo(*args: torch.Tensor) -> tuple[torch.Tensor, ...]:
        raise NameError("name 'grad_a' is not defined")  # a typo: nothing to do with autograd being off

    with pytest.raises(CheckFailed) as info:
        part1.check_fit_gradients(typo)
    assert str(info.value) == "calling your function raised NameError: name 'grad_a' is not defined"

    def by_autograd(a, b, c, d, x, y):  # noqa: ANN001, ANN202
        leaves = [p.clone().requires_grad_(True) for p in (a, b, c, d)]
        a, b, c, d = leaves
        z = c + d * x
        return torch.autograd.grad((a + b * 0.5 * (5 * z**3 - 3 * z) - y).pow(2).sum(), leaves)

    with pytest.raises(CheckFailed) as info:
        part1.check_fit_gradients(by_autograd)
    assert str(info.value).startswith("calling your function raised RuntimeError: ")
    assert str(info.value).endswith(
        " -- the checker runs fit_gradients with autograd switched off (torch.inference_mode): "
        "derive the four gradients by hand, without autograd")


# ---------------------------------------------------------------------------
# Notebooks 05 and 06
# ---------------------------------------------------------------------------
class _MishStashesTwo(torch.autograd.Function):
    """Saves x, but also keeps tanh(softplus(x)) and sigmoid(x) on ctx."""

    @staticmethod
    def forward(ctx, x):  # noqa: ANN001, ANN205
        ctx.save_for_backward(x)
        ctx.t = torch.tanh(F.softplus(x))
        ctx.s = torch.sigmoid(x)
        return x * ctx.t

    @staticmethod
    def backward(ctx, g):  # noqa: ANN001, ANN205
        (x,) = ctx.saved_tensors
        return g * (ctx.t + x * (1 - ctx.t * ctx.t) * ctx.s)


def test_mish_stashing_tensors_on_ctx_is_explained() -> None:
    """The report lists every ctx attribute, comma-separated, and says what to do instead."""
    with pytest.raises(CheckFailed) as info:
        part1.check_mish(_MishStashesTwo.apply)
    assert str(info.value) == ("Mish keeps tensors as ctx attributes (ctx.t, ctx.s): they cost memory too; "
                               "save only x, with ctx.save_for_backward, and recompute the rest")


class _Clamp01(torch.autograd.Function):
    generate_vmap_rule = True

    @staticmethod
    def forward(x):  # noqa: ANN001, ANN205
        return x.clamp(0, 1)

    @staticmethod
    def setup_context(ctx, inputs, output):  # noqa: ANN001, ANN205
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, g):  # noqa: ANN001, ANN205
        (x,) = ctx.saved_tensors
        return g * ((x >= 0) & (x <= 1)).to(g.dtype)


class _Clamp01OldStyle(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):  # noqa: ANN001, ANN205
        ctx.save_for_backward(x)
        return x.clamp(0, 1)

    @staticmethod
    def backward(ctx, g):  # noqa: ANN001, ANN205
        (x,) = ctx.saved_tensors
        return g * ((x >= 0) & (x <= 1)).to(g.dtype)


class _Clamp01WrongVmapRule(_Clamp01):
    """Right without vmap; its hand-written vmap rule forgets the upper bound."""

    generate_vmap_rule = False

    @staticmethod
    def vmap(info, in_dims, x):  # noqa: ANN001, ANN205
        return x.clamp(min=0), in_dims[0]


class _Clamp01NumpyBackward(_Clamp01):
    """Right under autograd; its backward goes through NumPy, which torch.func.grad cannot follow."""

    @staticmethod
    def backward(ctx, g):  # noqa: ANN001, ANN205
        (x,) = ctx.saved_tensors
        inside = x.detach().cpu().numpy()
        return g * torch.from_numpy(((inside >= 0) & (inside <= 1)).astype("float64")).to(g.device)


def test_vmappable_clamp_reports() -> None:
    """Each failure under vmap or torch.func.grad is named, with the hint the notebook gives."""
    with pytest.raises(CheckFailed) as info:
        part1.check_vmappable_clamp(_Clamp01OldStyle.apply)
    assert re.fullmatch(r"torch\.vmap failed with RuntimeError: .+ -- use setup_context and "
                        r"generate_vmap_rule = True", str(info.value)), str(info.value)
    with pytest.raises(CheckFailed, match=r"^vmap output: 5 of 15 values differ; .* expected 1 \(rtol"):
        part1.check_vmappable_clamp(_Clamp01WrongVmapRule.apply)
    with pytest.raises(CheckFailed, match=r"^torch\.func\.grad failed with RuntimeError: \w"):
        part1.check_vmappable_clamp(_Clamp01NumpyBackward.apply)


class _SinSavesCos(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):  # noqa: ANN001, ANN205
        ctx.save_for_backward(torch.cos(x))
        return torch.sin(x)

    @staticmethod
    def backward(ctx, g):  # noqa: ANN001, ANN205
        (cos_x,) = ctx.saved_tensors
        return g * cos_x


class _CosWithoutBackward(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):  # noqa: ANN001, ANN205
        return torch.cos(x)


class _SinThroughCosFunction(torch.autograd.Function):
    """Backward through a Cos Function whose own backward was never written."""

    @staticmethod
    def forward(ctx, x):  # noqa: ANN001, ANN205
        ctx.save_for_backward(x)
        return torch.sin(x)

    @staticmethod
    def backward(ctx, g):  # noqa: ANN001, ANN205
        (x,) = ctx.saved_tensors
        return g * _CosWithoutBackward.apply(x)


def test_twice_differentiable_sin_reports() -> None:
    """The reports for a backward autograd cannot see through, and for a double backward that raises."""
    with pytest.raises(CheckFailed) as info:
        part1.check_twice_differentiable_sin(_SinSavesCos.apply)
    assert str(info.value) == (
        "the gradient returned by backward does not require grad: is backward computed from tensors "
        "that autograd cannot see (detached or saved intermediates)?")
    with pytest.raises(CheckFailed, match=r"^double backward raised NotImplementedError: You must implement"):
        part1.check_twice_differentiable_sin(_SinThroughCosFunction.apply)


# ---------------------------------------------------------------------------
# Notebook 07: the straight-through tolerances
# ---------------------------------------------------------------------------
def _swish_sign(x: torch.Tensor, beta: float) -> torch.Tensor:
    return sign_swish(x, beta)


def _tanh_sign(x: torch.Tensor) -> torch.Tensor:
    t = torch.tanh(x)
    return sign_ste(x).detach() + (t - t.detach())


@pytest.mark.parametrize("offset,passes", [(5e-10, True), (5e-9, False)])
def test_straight_through_tolerances(offset: float, passes: bool) -> None:
    """A sign output off by 5e-9 fails (rtol=1e-9, atol=1e-12 on values +-1), by 5e-10 passes."""
    answers = {
        "swish_sign": (straight_through.check_swish_sign, lambda x, beta: _swish_sign(x, beta) + offset),
        "tanh_sign": (straight_through.check_tanh_sign, lambda x: _tanh_sign(x) + offset),
    }
    for check, answer in answers.values():
        if passes:
            check(answer)
        else:
            with pytest.raises(CheckFailed, match=r"output: 12 of 12 values differ; .*\(rtol=1e-09, atol=1e-12\)$"):
                check(answer)


# ---------------------------------------------------------------------------
# Notebook 09: binary_matmul and model_bytes
# ---------------------------------------------------------------------------
def test_binary_matmul_accepts_keyword_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    """The float watch dropping the keyword arguments of the answer's torch calls: sum(dim=-1) would sum everything."""
    def with_keywords(a_bits: torch.Tensor, b_bits: torch.Tensor) -> torch.Tensor:
        agree = torch.eq(a_bits[:, None, :], b_bits[None, :, :]).sum(dim=-1)
        return torch.sub(2 * agree, other=a_bits.shape[-1])

    binarized_network.check_binary_matmul(with_keywords)
    assert capsys.readouterr().out.startswith("correct: counting agreements")


def test_binary_matmul_sees_floats_from_a_multi_output_op() -> None:
    """Floats that come out of an op returning several tensors (here split) are floats created all the same."""
    signs = torch.tensor([-1.0, 1.0], device=device())

    def splits_a_float_table(a_bits: torch.Tensor, b_bits: torch.Tensor) -> torch.Tensor:
        minus, plus = torch.split(signs, 1)  # two +-1 floats, to build the +-1 matrices from
        return _binary_matmul(a_bits, b_bits) if minus.numel() == plus.numel() else a_bits

    with pytest.raises(CheckFailed) as info:
        binarized_network.check_binary_matmul(splits_a_float_table)
    assert str(info.value) == ("compute without converting to +-1 floats: your function created a "
                               "floating-point tensor with split")


def test_binary_matmul_refuses_a_boolean_result() -> None:
    """A bool tensor is not a count of agreements: it is refused as such, not as wrong values."""
    with pytest.raises(CheckFailed) as info:
        binarized_network.check_binary_matmul(lambda a, b: (a[:, None, :] == b[None, :, :]).all(-1))
    assert str(info.value) == "return an integer tensor (a count of agreements), got dtype torch.bool"


def test_model_bytes_report_in_full() -> None:
    """The whole report for BinaryLinear's bias counted as 1 bit, including why biases are not 1-bit."""
    def bias_as_binary(model: torch.nn.Module) -> float:
        binary = {id(p) for m in model.modules() if isinstance(m, BinaryLinear) for p in m.parameters()}
        return sum(p.numel() * (1 if id(p) in binary else 32) for p in model.parameters()) / 8

    with pytest.raises(CheckFailed) as info:
        binarized_network.check_model_bytes(bias_as_binary)
    assert str(info.value) == ("for BinaryLinear(3, 2, bias=True): yours 1.0, expected 8.75 bytes (of which "
                               "0.75 for the 1-bit weights; biases and buffers are not 1-bit weights, and "
                               "buffers do not count)")


# ---------------------------------------------------------------------------
# Notebook 10: gumbel_max
# ---------------------------------------------------------------------------
def test_gumbel_max_reports(capsys: pytest.CaptureFixture[str]) -> None:
    """The right answer prints only its success line; a list and a draw from torch's generator are named."""
    gumbel_softmax.check_gumbel_max(_gumbel_max)
    assert capsys.readouterr().out == (
        "correct: gumbel_max picks the same class as the reference for all 60 rows of uniforms\n")
    with pytest.raises(CheckFailed) as info:
        gumbel_softmax.check_gumbel_max(lambda logits, u: _gumbel_max(logits, u).tolist())
    assert str(info.value) == "expected a tensor of class indices, got list"

    def also_draws(logits: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        torch.rand(1)
        return _gumbel_max(logits, u)

    with pytest.raises(CheckFailed) as info:
        gumbel_softmax.check_gumbel_max(also_draws)
    assert str(info.value) == ("gumbel_max drew from torch's random generator: the uniforms u must be "
                               "the only randomness")


def test_gumbel_max_sees_a_draw_from_a_gpus_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a GPU machine a draw from the CUDA generator must be caught too (its state faked here)."""
    device()  # the course device is chosen before torch.cuda is faked
    cuda_state = torch.zeros(4, dtype=torch.uint8)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_rng_state_all", lambda: [cuda_state.clone()])

    def draws_on_the_gpu(logits: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        cuda_state.add_(1)  # what torch.rand(..., device="cuda") does to the CUDA generator's state
        return _gumbel_max(logits, u)

    with pytest.raises(CheckFailed, match=r"^gumbel_max drew from torch's random generator"):
        gumbel_softmax.check_gumbel_max(draws_on_the_gpu)
    cuda_state.zero_()
    gumbel_softmax.check_gumbel_max(_gumbel_max)  # no draw, no complaint

