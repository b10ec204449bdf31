"""Tests that fail for plausible one-line bugs the other tests let through (docs/mutation.md).

Each test names the bug it catches: a bound, a default, a tolerance, a mode or a size that
the example-based tests never exercised. Tolerance tests try a near miss on both sides: an
answer off by just more than the checker's tolerance fails, one just inside it passes.
"""
from __future__ import annotations

import math
import re

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable
from torch.utils._python_dispatch import TorchDispatchMode

from course_utils import CheckFailed, check_function, compare
from course_utils.assignment import SAMPLE_INPUT, assignment_gradients, parse_input
from course_utils.binarize import BinaryLinear, sign_clipped_ste, sign_parabola, sign_ste, sign_swish
from course_utils.channels import (
    BinaryErasureChannel,
    BinaryMemorylessChannel,
    BinarySymmetricChannel,
    BinaryZChannel,
    memoryless_llrs,
)
from course_utils.env import pick_device
from course_utils.exercises.binarized_network import check_binary_matmul
from course_utils.exercises.binary_linear import check_assignment
from course_utils.exercises.channels import check_bec
from course_utils.exercises.part1 import check_twice_differentiable_sin
from course_utils.exercises.sionna_bmc import LLR_CASES, check_sionna_llrs
from course_utils.functions import Linear
from course_utils.gumbel import gumbel_softmax, relaxed_bernoulli
from course_utils.memory import saved_tensor_bytes

from helpers import FactoryDevices

BINARIZERS = {"ste": sign_ste, "clipped_ste": sign_clipped_ste, "parabola": sign_parabola, "swish": sign_swish}

# ------------------------------------------------------------------ functions, binarize


def test_linear_initialises_exactly_like_nn_linear() -> None:
    """Same seed, same parameters: the bound is 1/sqrt(in_features), not 1/in_features."""
    torch.manual_seed(3)
    ours = Linear(50, 7)
    torch.manual_seed(3)
    reference = nn.Linear(50, 7)
    assert torch.equal(ours.weight, reference.weight)
    assert torch.equal(ours.bias, reference.bias)
    big = Linear(400, 100)  # 40 000 draws fill [-0.05, 0.05]
    assert 0.049 < float(big.weight.detach().abs().max()) <= 1 / math.sqrt(400)


@pytest.mark.parametrize("bound", [0.25, 1.0, 3.0])
def test_clip_weights_uses_the_bound_on_both_sides(bound: float) -> None:
    layer = BinaryLinear(8, 2)
    with torch.no_grad():
        layer.weight.copy_(torch.linspace(-4, 4, 16).reshape(2, 8))
    layer.clip_weights_(bound)
    assert float(layer.weight.detach().min()) == -bound
    assert float(layer.weight.detach().max()) == bound
    inside = torch.linspace(-4, 4, 16).reshape(2, 8).abs() < bound
    assert torch.equal(layer.weight[inside], torch.linspace(-4, 4, 16).reshape(2, 8)[inside])


@pytest.mark.parametrize("where", ["weights", "inputs"])
def test_every_binarizer_name_gives_its_own_gradient(where: str) -> None:
    """BinaryLinear(weights=name) and (inputs=name) use exactly the binarizer of that name."""
    w0 = torch.tensor([[-1.5, -0.5, 0.0, 0.25], [-0.3, -1.0, 2.0, 1.0]], dtype=torch.float64)
    x0 = torch.tensor([[0.7, -0.2, 1.0, -1.3], [1.2, 0.0, -0.6, 0.4]], dtype=torch.float64)
    grads = {}
    for name, binarize in BINARIZERS.items():
        kwargs = {"weights": name} if where == "weights" else {"inputs": name}
        layer = BinaryLinear(4, 2, dtype=torch.float64, **kwargs)
        with torch.no_grad():
            layer.weight.copy_(w0)
        x = x0.clone().requires_grad_(True)
        layer(x).sum().backward()
        got = layer.weight.grad if where == "weights" else x.grad
        w, xr = w0.clone().requires_grad_(True), x0.clone().requires_grad_(True)
        if where == "weights":
            F.linear(xr, binarize(w)).sum().backward()
        else:
            F.linear(binarize(xr), sign_ste(w)).sum().backward()
        expected = w.grad if where == "weights" else xr.grad
        assert torch.equal(got, expected), name
        grads[name] = got
    names = list(grads)
    for i, a in enumerate(names):  # the four gradients differ, so a swapped name is seen
        for b in names[i + 1:]:
            assert not torch.equal(grads[a], grads[b]), (a, b)


# ------------------------------------------------------------------------------ gumbel


@pytest.mark.parametrize("tau", [math.inf, -math.inf, torch.tensor(math.inf), torch.tensor([0.5, math.inf])],
                         ids=["inf", "-inf", "tensor inf", "tensor with an inf"])
def test_an_infinite_temperature_is_refused(tau: float | torch.Tensor) -> None:
    with pytest.raises(ValueError, match="tau must be a finite number > 0"):
        gumbel_softmax(torch.zeros(3), tau)
    with pytest.raises(ValueError, match="tau must be a finite number > 0"):
        relaxed_bernoulli(torch.tensor([0.5]), tau)


@pytest.mark.parametrize("dim", [0, 1, -2])
def test_hard_gumbel_softmax_is_one_hot_along_dim(dim: int) -> None:
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(4, 5, 3, generator=g)
    gumbels = -torch.log(-torch.log(torch.rand(4, 5, 3, generator=g)))
    soft = gumbel_softmax(logits, 0.5, gumbels=gumbels, dim=dim)
    hard = gumbel_softmax(logits, 0.5, gumbels=gumbels, dim=dim, hard=True)
    assert torch.equal(hard.sum(dim), torch.ones_like(hard.sum(dim)))
    assert torch.equal(hard.argmax(dim), soft.argmax(dim))
    assert set(hard.unique().tolist()) == {0.0, 1.0}


# ---------------------------------------------------------------------------- checking


def test_check_function_default_rtol_near_miss() -> None:
    """Default rtol = 1e-5: off by 2e-5 (relative) fails, off by 5e-6 passes."""
    x = torch.linspace(0.5, 1.5, 7, dtype=torch.float64)
    with pytest.raises(CheckFailed, match=r"output: 7 of 7 values differ.*rtol=1e-05"):
        check_function(lambda t: torch.exp(t) * (1 + 2e-5), torch.exp, [x], verbose=False)
    check_function(lambda t: torch.exp(t) * (1 + 5e-6), torch.exp, [x], verbose=False)


def test_compare_treats_nan_in_the_same_place_as_equal() -> None:
    nan = float("nan")
    result = compare("x", torch.tensor([nan, 1.0]), torch.tensor([nan, 1.0]), check=True, verbose=False)
    assert result.close and result.problem is None
    with pytest.raises(CheckFailed, match="x: 1 of 3 values differ"):
        compare("x", torch.tensor([nan, 1.0, 2.0]), torch.tensor([nan, 1.0, 3.0]), check=True, verbose=False)
    with pytest.raises(CheckFailed, match="x: 1 of 2 values differ"):
        compare("x", torch.tensor([nan, 1.0]), torch.tensor([0.0, 1.0]), check=True, verbose=False)


# ------------------------------------------------------------------------ memory, env


def test_saved_bytes_count_the_storage_of_views_once() -> None:
    """Two views of one 400-byte storage are 400 bytes, not 2 x 12 bytes of elements."""
    x = torch.ones(100, requires_grad=True)
    saved = saved_tensor_bytes(lambda t: t[:3] * t[3:6], x)
    assert (saved.total, saved.inputs, saved.count) == (400, 400, 1)
    base = torch.ones(50)
    w = base[10:20].requires_grad_(True)  # a view: its storage is the whole base
    assert saved_tensor_bytes(lambda t: t * t, w).total == 200


@pytest.mark.parametrize("value", ["CPU", " cpu ", "Cpu"])
def test_course_device_is_case_and_space_insensitive(value: str, monkeypatch) -> None:
    monkeypatch.setenv("COURSE_DEVICE", value)
    assert pick_device() == torch.device("cpu")


def test_course_device_rejects_other_names(monkeypatch) -> None:
    monkeypatch.setenv("COURSE_DEVICE", "tpu")
    with pytest.raises(ValueError, match="COURSE_DEVICE must be 'cpu' or 'cuda', got 'tpu'"):
        pick_device()


# ------------------------------------------------------------------ exercise checkers


class _SinSecondWrong(torch.autograd.Function):
    """Right value and first derivative; the first derivative's own derivative is 0."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        ctx.save_for_backward(x)
        return torch.sin(x)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        (x,) = ctx.saved_tensors
        return grad_output * torch.cos(x.detach()) + 0 * x


def test_double_backward_checker_fails_a_wrong_second_derivative_only() -> None:
    with pytest.raises(CheckFailed, match=r"second derivative: .* values differ"):
        check_twice_differentiable_sin(_SinSecondWrong.apply)


def _correct_bec(x, pb, noise, bipolar):
    return BinaryErasureChannel(bipolar_input=bipolar, dtype=torch.float64)(x, pb, noise=noise)


@pytest.mark.parametrize("wrong_mode", [False, True])
def test_bec_checker_checks_both_modes(wrong_mode: bool) -> None:
    """An erasure channel wrong only for binary (or only for bipolar) inputs fails."""
    def bec(x, pb, noise, bipolar):
        out = _correct_bec(x, pb, noise, bipolar)
        return out.flip(0) if bipolar == wrong_mode else out

    with pytest.raises(CheckFailed, match=f"with bipolar={wrong_mode}: output"):
        check_bec(bec)
    check_bec(_correct_bec)


def _binary_matmul(a_bits, b_bits):
    agree = (a_bits[:, None, :] == b_bits[None, :, :]).sum(-1)
    return 2 * agree - a_bits.shape[1]


@pytest.mark.parametrize("wrong_d", [5, 64])
def test_binary_matmul_checker_checks_both_sizes(wrong_d: int) -> None:
    def matmul(a_bits, b_bits):
        out = _binary_matmul(a_bits, b_bits)
        return out + 1 if a_bits.shape[1] == wrong_d else out

    with pytest.raises(CheckFailed, match=f"with d = {wrong_d}: "):
        check_binary_matmul(matmul)


def test_assignment_checker_tolerance_near_miss() -> None:
    """rtol = 1e-6: gradients off by 3e-6 (relative) fail, off by 5e-7 pass."""
    x, w = parse_input(SAMPLE_INPUT)
    assert assignment_gradients(x, w)[1].abs().max() > 0  # something to be off from
    with pytest.raises(CheckFailed, match=r"on the sample input: .*rtol=1e-06, atol=1e-09"):
        check_assignment(lambda x, w: tuple(g * (1 + 3e-6) for g in assignment_gradients(x, w)))
    check_assignment(lambda x, w: tuple(g * (1 + 5e-7) for g in assignment_gradients(x, w)))


def _sionna_llrs(off: float):
    """The checker's formula, moved by ``off * (1 + |llr|)``: a tolerance of 1e-5 + 1e-5 |llr|."""
    def llrs(y, pb0, pb1, llr_max):
        eps = 1e-9
        llr0 = torch.log(pb1 + eps) - torch.log(1 - pb0 - eps)
        llr1 = torch.log(1 - pb1 - eps) - torch.log(pb0 + eps)
        exact = torch.where(y == 1, llr1, llr0).clamp(-llr_max, llr_max)
        return exact + off * (1 + exact.abs())
    return llrs


def test_sionna_llr_checker_tolerance_near_miss() -> None:
    assert len(LLR_CASES) == 9
    with pytest.raises(CheckFailed, match=r"LLR for y = 0, pb = \(0.1, 0.2\), llr_max = 100: .*\(18 of 18"):
        check_sionna_llrs(_sionna_llrs(2e-5))
    check_sionna_llrs(_sionna_llrs(4e-6))
    check_sionna_llrs(_sionna_llrs(-4e-6))


# --------------------------------------------------------------------------- channels


def test_llrs_at_p0_pin_sionnas_eps() -> None:
    """eps = 1e-9 inside the logarithms: the LLRs of p = 0 are +-log((1 - 1e-9) / 1e-9) = +-20.723."""
    y = torch.tensor([1.0, -1.0], dtype=torch.float64)
    zero = torch.zeros(2, dtype=torch.float64)
    expected = math.log((1 - 1e-9) / 1e-9)
    llr = memoryless_llrs(y, zero, zero, llr_max=100.0)
    assert llr.tolist() == pytest.approx([expected, -expected], rel=1e-12)
    for sampler in ("gumbel", "logistic"):
        ch = BinarySymmetricChannel(return_llrs=True, dtype=torch.float64, sampler=sampler)
        out = ch(torch.tensor([0.0, 1.0], dtype=torch.float64), 0.0)
        assert out.tolist() == pytest.approx([-expected, expected], rel=1e-12)


@pytest.mark.parametrize("channel", [BinaryMemorylessChannel, BinarySymmetricChannel, BinaryZChannel,
                                     BinaryErasureChannel])
def test_llr_max_zero_is_allowed_and_clips_everything(channel) -> None:
    ch = channel(return_llrs=True, llr_max=0.0)
    assert ch.llr_max == 0.0
    pb = (0.1, 0.2) if channel is BinaryMemorylessChannel else 0.1
    out = ch(torch.tensor([0.0, 1.0, 1.0, 0.0]), pb)
    assert torch.equal(out.abs(), torch.zeros(4))
    with pytest.raises(ValueError, match="llr_max must be non-negative, got -1e-12"):
        channel(return_llrs=True, llr_max=-1e-12)


def test_logistic_sampler_flips_exactly_where_u_is_below_p() -> None:
    """u < p flips: u == p does not, u = 0 flips every p > 0 and no p = 0."""
    ch = BinarySymmetricChannel(dtype=torch.float64, sampler="logistic")
    x = torch.zeros(5, dtype=torch.float64)
    u = torch.tensor([0.25, 0.25 - 2**-40, 0.0, 0.0, 0.5], dtype=torch.float64)
    p = torch.tensor([0.25, 0.25, 0.3, 0.0, 0.5], dtype=torch.float64)
    assert ch(x, p, noise=u).tolist() == [0.0, 1.0, 1.0, 0.0, 0.0]
    # scalar probabilities take the chunked CPU path: the same rule there
    assert ch(x, 0.25, noise=u).tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]
    bmc = BinaryMemorylessChannel(dtype=torch.float64, sampler="logistic")
    sent = torch.tensor([0.0, 0.0, 1.0, 1.0, 1.0], dtype=torch.float64)
    u = torch.tensor([0.25, 0.25 - 2**-40, 0.5, 0.5 - 2**-40, 0.0], dtype=torch.float64)
    assert bmc(sent, (0.25, 0.5), noise=u).tolist() == [0.0, 1.0, 1.0, 0.0, 0.0]


def test_a_uniform_of_zero_is_accepted_by_both_samplers() -> None:
    x = torch.zeros(2)
    for sampler in ("gumbel", "logistic"):
        ch = BinarySymmetricChannel(sampler=sampler)
        noise = torch.zeros(ch.noise_shape(x.shape))
        # all uniforms equal: the decision is by the probabilities alone
        assert ch(x, torch.tensor([0.0, 1.0]), noise=noise).tolist() == [0.0, 1.0]
    with pytest.raises(ValueError, match=r"noise must hold uniforms in \[0, 1\)"):
        BinarySymmetricChannel()(x, 0.5, noise=torch.full((2, 2, 2), -1e-30))


# ------------------------------------------- found by mutmut (docs/mutation.md)


def test_reprs_say_whether_there_is_a_bias() -> None:
    assert repr(Linear(2, 3, bias=False)) == "Linear(in_features=2, out_features=3, bias=False)"
    assert repr(Linear(2, 3)) == "Linear(in_features=2, out_features=3, bias=True)"
    assert repr(BinaryLinear(2, 3, bias=True, inputs="parabola")) == (
        "BinaryLinear(in_features=2, out_features=3, bias=True, weights='ste', inputs='parabola')")
    assert repr(BinaryLinear(2, 3)) == (
        "BinaryLinear(in_features=2, out_features=3, bias=False, weights='ste', inputs=None)")


@pytest.mark.parametrize("needed", [(True, False, False), (False, True, False), (False, False, True),
                                    (True, True, True)])
def test_multiply_add_backward_returns_none_for_inputs_without_grad(needed) -> None:
    """Backward computes only what ``ctx.needs_input_grad`` asks for (called directly, as autograd does)."""
    from types import SimpleNamespace

    from course_utils.functions import MultiplyAdd

    w, x, g = torch.tensor([2.0, 3.0]), torch.tensor([4.0, 5.0]), torch.tensor([1.0, -1.0])
    ctx = SimpleNamespace(saved_tensors=(w, x), needs_input_grad=needed)
    grads = MultiplyAdd.backward(ctx, g)
    expected = (g * x, g * w, g)
    for got, want, need in zip(grads, expected, needed):
        if need:
            assert torch.equal(got, want)
        else:
            assert got is None


def test_possible_output_cases_use_the_input_alphabets() -> None:
    from course_utils.exercises.sionna_bmc import possible_output_cases

    cases = possible_output_cases()
    assert len(cases) == 36
    for bipolar, alphabet in ((False, {0, 1}), (True, {-1, 1})):
        assert {x for _, bip, x, _ in cases if bip == bipolar} == alphabet
    assert {pb for *_, pb in cases} == {0.0, 0.3, 1.0}
    assert {ch for ch, *_ in cases} == {"bsc", "z", "bec"}


class _SoftplusSlightlyWrong(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        ctx.save_for_backward(x)
        return F.softplus(x)

    @staticmethod
    def backward(ctx, g: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        (x,) = ctx.saved_tensors
        return g * torch.sigmoid(x) * 1.01


def test_checker_messages_name_the_input_and_its_value() -> None:
    """A failure says which gradient (``grad of x``) and at which input value."""
    from course_utils.exercises.part1 import check_softplus

    with pytest.raises(CheckFailed, match=r"^grad of x: 6 of 8 values differ; .* \(input -?\d"):
        check_softplus(_SoftplusSlightlyWrong.apply)


def _sigmoid(second_wrong: bool = False, first_wrong: bool = False):
    class SigmoidBackward(torch.autograd.Function):
        @staticmethod
        def forward(ctx, g, y):  # noqa: ANN001, ANN205
            ctx.save_for_backward(g, y)
            return g * y * (1 - y)

        @staticmethod
        def backward(ctx, gg):  # noqa: ANN001, ANN205
            g, y = ctx.saved_tensors
            d_dy = gg * g * (1 - 2 * y) * (2 if second_wrong else 1)
            return gg * y * (1 - y), d_dy

    class Sigmoid(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):  # noqa: ANN001, ANN205
            y = torch.sigmoid(x)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):  # noqa: ANN001, ANN205
            (y,) = ctx.saved_tensors
            return SigmoidBackward.apply(g * 1.01 if first_wrong else g, y)

    return Sigmoid.apply


def test_sigmoid_backward_checker_names_what_is_wrong() -> None:
    from course_utils.exercises.part4 import check_sigmoid_backward_function

    with pytest.raises(CheckFailed, match=r"^grad of x: "):
        check_sigmoid_backward_function(_sigmoid(first_wrong=True))
    with pytest.raises(CheckFailed, match=r"^second derivative: .* \(input -?\d"):
        check_sigmoid_backward_function(_sigmoid(second_wrong=True))


class _HardTanhTooWide(torch.autograd.Function):
    """In place and marked dirty, the right gradient, but clamped to [-2, 2]."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        keep = (x.abs() < 1).to(x.dtype)
        x.clamp_(-2, 2)
        ctx.mark_dirty(x)
        ctx.save_for_backward(keep)
        return x

    @staticmethod
    def backward(ctx, g: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        (keep,) = ctx.saved_tensors
        return g * keep


def test_hardtanh_checker_fails_a_wrong_output_with_the_right_gradient() -> None:
    from course_utils.exercises.part4 import check_hardtanh_inplace

    with pytest.raises(CheckFailed, match=r"^output: .* \(input -?\d"):
        check_hardtanh_inplace(_HardTanhTooWide.apply)


def test_logistic_noise_checker_compares_the_values_too() -> None:
    """An L 0.1 % too large keeps every decision of the checker's points but is not Logistic noise."""
    from course_utils.exercises.fast_channel import check_logistic_noise

    with pytest.raises(CheckFailed, match=r"^L: .* values differ"):
        check_logistic_noise(lambda u: (torch.log1p(-u) - torch.log(u)) * 1.001)


def test_linear_creates_its_parameters_on_the_device_asked_for() -> None:
    layer = Linear(3, 2, device="meta", dtype=torch.float64)
    assert (layer.weight.device.type, layer.bias.device.type) == ("meta", "meta")
    assert (layer.weight.dtype, layer.bias.dtype) == (torch.float64, torch.float64)


def test_sort_backward_scatters_along_the_last_dimension_of_any_rank() -> None:
    from course_utils.multi_output import Sort

    x = torch.randn(2, 3, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(5), requires_grad=True)
    w = torch.randn(2, 3, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(6))
    (Sort.apply(x)[0] * w).sum().backward()
    ref = x.detach().clone().requires_grad_(True)
    (torch.sort(ref, dim=-1)[0] * w).sum().backward()
    assert torch.equal(x.grad, ref.grad)


def test_binary_matmul_checker_messages() -> None:
    with pytest.raises(CheckFailed, match=r"^return a tensor, got list$"):
        check_binary_matmul(lambda a, b: [[0]])
    with pytest.raises(CheckFailed, match="created a floating-point tensor with float"):
        check_binary_matmul(lambda a, b: _binary_matmul(a, b) + int(a.float().sum() * 0))
    with pytest.raises(CheckFailed, match=r"with d = 5: 12 of 12 entries differ") as info:
        check_binary_matmul(lambda a, b: _binary_matmul(a, b) + 2)
    yours, expected, agree, d = (int(v) for v in re.search(
        r"yours (-?\d+), expected (-?\d+) \((\d+) of (\d+) positions agree\)", str(info.value)).groups())
    assert yours == expected + 2 and 2 * agree - d == expected  # the count of agreements behind it


class _SinOnce(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        ctx.save_for_backward(x)
        return torch.sin(x)

    @staticmethod
    @once_differentiable
    def backward(ctx, g: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        (x,) = ctx.saved_tensors
        return g * torch.cos(x)


def test_double_backward_checker_messages() -> None:
    with pytest.raises(CheckFailed, match=r"second derivative: .* \(input -?\d"):
        check_twice_differentiable_sin(_SinSecondWrong.apply)
    with pytest.raises(CheckFailed, match="does not require grad"):
        check_twice_differentiable_sin(_SinOnce.apply)


def test_logistic_errors_checker_names_the_shape() -> None:
    from course_utils.exercises.fast_channel import check_logistic_errors

    with pytest.raises(CheckFailed, match=r"^errors\(p, u\) must return a tensor of shape \(257,\)$"):
        check_logistic_errors(lambda p, u: (u < p).to(p.dtype)[:1])


def test_binary_linear_creates_its_parameters_on_the_device_asked_for() -> None:
    layer = BinaryLinear(3, 2, bias=True, device="meta", dtype=torch.float64)
    assert (layer.weight.device.type, layer.bias.device.type) == ("meta", "meta")
    assert layer.weight.dtype == torch.float64


def _copysign_sign(t: torch.Tensor) -> torch.Tensor:
    """A plausible wrong sign: -1 at -0.0 (the course's sign is +1 there)."""
    return torch.copysign(torch.ones_like(t), t)


@pytest.mark.parametrize("which", ["x", "w"])
def test_assignment_checker_tries_negative_zero(which: str) -> None:
    """An answer whose sign gives -1 at -0.0 (of the inputs or of the weights) fails at the edge case."""
    def gradients(x, w):
        bx = _copysign_sign(x) if which == "x" else torch.where(x < 0, -1.0, 1.0).to(x.dtype)
        bw = _copysign_sign(w) if which == "w" else torch.where(w < 0, -1.0, 1.0).to(w.dtype)
        slope = (2 - 2 * x.abs()).clamp_min(0)
        return slope * bw.sum(0), bx.sum(0).expand_as(w).clone()

    with pytest.raises(CheckFailed, match=r"^on inputs at -1, 0, -0.0 and 1: "):
        check_assignment(gradients)


def test_saved_tensors_of_a_graph_with_a_constant_and_a_set_attribute() -> None:
    """A graph edge to a constant (a None node) is skipped; tensors in a set attribute are found."""
    x = torch.ones(10, requires_grad=True)
    const = saved_tensor_bytes(lambda t: t * torch.full_like(t, 2.0), x)
    assert (const.total, const.inputs, const.count) == (40, 0, 1)

    class InSet(torch.autograd.Function):
        @staticmethod
        def forward(ctx, t):  # noqa: ANN001, ANN205
            ctx.kept = {t * 2}
            return t * 3

        @staticmethod
        def backward(ctx, g):  # noqa: ANN001, ANN205
            return g * 3

    found = saved_tensor_bytes(InSet.apply, x)
    assert (found.total, found.attributes) == (40, ("ctx.kept{...}",))


class _Calls(TorchDispatchMode):
    """The aten operators run while active (backward's included)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        self.names.append(str(func))
        return func(*args, **(kwargs or {}))


def test_sincos_backward_skips_the_term_of_an_unused_output() -> None:
    """With set_materialize_grads(False) an unused output's gradient is None: no -sin(x) * 0 term."""
    from course_utils.multi_output import SinCos

    leaf = torch.randn(5, dtype=torch.float64, requires_grad=True)
    s, _ = SinCos.apply(leaf)
    calls = _Calls()
    with calls:
        s.sum().backward()
    assert "aten.sin.default" not in calls.names and "aten.cos.default" in calls.names, calls.names


def test_compare_of_a_non_tensor_is_a_failed_comparison() -> None:
    result = compare("dL/dx", [1.0], torch.tensor([1.0]), verbose=False)
    assert (result.name, result.exact, result.close, result.max_abs_diff) == ("dL/dx", False, False, math.inf)
    assert result.problem == "dL/dx: expected a torch.Tensor, got list"


def test_gumbel_from_uniform_names_its_argument() -> None:
    from course_utils.gumbel import gumbel_from_uniform

    with pytest.raises(TypeError, match=r"^u must have a floating-point dtype, got torch.int64$"):
        gumbel_from_uniform(torch.tensor([1]))


# ---------------------------------------------------------------------------
# Devices, on a machine without a GPU: a dropped ``device=`` changes nothing on the CPU,
# so these tests look at the device each tensor is asked for instead.
# ---------------------------------------------------------------------------
def _factory_devices() -> FactoryDevices:
    """The factories these tests watch."""
    return FactoryDevices(torch.rand, torch.Tensor.to)


def test_the_gumbel_samplers_ask_for_the_generators_or_the_given_device() -> None:
    """Noise drawn on the default device instead (a GPU generator or GPU logits would then fail)."""
    from course_utils.gumbel import sample_gumbel, sample_logistic

    gen = torch.Generator().manual_seed(0)
    cpu = torch.device("cpu")
    for call in (lambda: sample_gumbel((3,), generator=gen), lambda: sample_logistic((3,), generator=gen),
                 lambda: sample_gumbel((3,), device="cpu"), lambda: sample_logistic((3,), device="cpu"),
                 lambda: gumbel_softmax(torch.zeros(3), 1.0)):
        with _factory_devices() as seen:
            call()
        assert seen.devices and all(torch.device(d) == cpu for d in seen.devices if d is not None), seen.devices
        assert None not in seen.devices, "a tensor was made on the default device, not on the asked one"


def test_numpy_results_come_back_on_the_inputs_device() -> None:
    """``_from_numpy`` dropping ``device=``: a NumPy-backed op would return CPU tensors for GPU inputs."""
    import numpy as np

    from course_utils.custom_ops import _from_numpy

    with _factory_devices() as seen:
        _from_numpy(np.zeros(2), torch.zeros(2, dtype=torch.float64))
    assert seen.devices == [torch.device("cpu")]


def test_the_logistic_sampler_asks_for_the_inputs_device() -> None:
    """Its fresh uniforms: drawn in forward, and again in backward (the whole-tensor engine)."""
    from course_utils.channels import LogisticSampler, WholeTensorEngine

    whole = LogisticSampler(engines=(WholeTensorEngine(),))
    pb = torch.tensor(0.3, requires_grad=True)
    calls = {
        "erasure": lambda: BinaryErasureChannel(sampler="logistic")(torch.zeros(50), 0.3),
        "erasure LLRs": lambda: BinaryErasureChannel(sampler="logistic", return_llrs=True)(torch.zeros(50), 0.3),
        "whole-tensor, both passes": lambda: BinarySymmetricChannel(sampler=whole)(torch.zeros(50), pb).sum().backward(),
    }
    for what, call in calls.items():
        with FactoryDevices(torch.rand) as seen:
            call()
        assert seen.devices and all(d == torch.device("cpu") for d in seen.devices), (what, seen.devices)
    assert pb.grad is not None


def test_checkers_build_their_points_on_the_course_device(monkeypatch) -> None:
    """A checker's points made on the CPU: a learner's answer on a GPU would then fail to run."""
    from course_utils.exercises import channels as ex_channels
    from course_utils.exercises import sionna_bmc as ex_sionna
    from course_utils.exercises import start as ex_start

    meta = torch.device("meta")  # shapes without data: any tensor made elsewhere shows
    for module in (ex_channels, ex_sionna, ex_start):
        monkeypatch.setattr(module, "device", lambda: meta)
    points = [*ex_channels._llr_points(), *ex_sionna._sample_errors_points(), ex_start._points()]
    assert [p.device for p in points] == [meta] * len(points)

    seen: list[torch.device] = []

    def record(*args: object) -> torch.Tensor:
        seen.extend(a.device for a in args if isinstance(a, torch.Tensor))
        raise RuntimeError("recorded")

    with pytest.raises(CheckFailed, match="recorded"):
        check_sionna_llrs(record)
    assert seen == [meta] * 3


# ---------------------------------------------------------------------------
# Names in a checker's failure message: a wrong gradient of one input is reported under
# the name the exercise gives that input, so the learner knows which gradient to fix.
# ---------------------------------------------------------------------------
class _TwiceTheGradient(torch.autograd.Function):
    """The identity, with twice the gradient: makes one input's gradient wrong, nothing else."""

    @staticmethod
    def forward(ctx, t):  # noqa: ANN001, ANN205
        return t.clone()

    @staticmethod
    def backward(ctx, g):  # noqa: ANN001, ANN205
        return 2 * g


def _wrong_gradient_of(answer, index: int):  # noqa: ANN001, ANN202
    """``answer`` with the gradient of its input ``index`` doubled."""
    return lambda *args: answer(*[_TwiceTheGradient.apply(a) if j == index else a for j, a in enumerate(args)])


def _named_input_cases() -> list[tuple[object, object, list[str]]]:
    from course_utils.exercises import channels as ex_channels
    from course_utils.exercises import part1, part4, start, straight_through

    return [
        (start.check_cube, lambda x: x**3, ["x"]),
        (part1.check_x_sin_x, lambda x: x * torch.sin(x), ["x"]),
        (part1.check_scaled_add, lambda x, y, alpha: x + alpha * y, ["x", "y"]),
        (part1.check_legendre_p4, lambda x: (35 * x**4 - 30 * x**2 + 3) / 8, ["x"]),
        (part1.check_matmul, torch.matmul, ["a", "b"]),
        (part1.check_batched_linear, F.linear, ["x", "weight", "bias"]),
        (part1.check_huber, F.huber_loss, ["pred", "target"]),
        (part1.check_softplus, F.softplus, ["x"]),
        (part1.check_mish, F.mish, ["x"]),
        (part1.check_gelu_tanh, lambda x: F.gelu(x, approximate="tanh"), ["x"]),
        (part1.check_vmappable_clamp, lambda x: x.clamp(0, 1), ["x"]),
        (part1.check_twice_differentiable_sin, torch.sin, ["x"]),
        (part4.check_tanh_jvp, torch.tanh, ["x"]),
        (part4.check_sigmoid_backward_function, torch.sigmoid, ["x"]),
        (straight_through.check_tanh_sign, straight_through._tanh_sign_reference, ["x"]),
        (straight_through.check_swish_sign, sign_swish, ["x"]),
        (ex_channels.check_llrs, lambda y, p0, p1: memoryless_llrs(y, p0, p1, ex_channels.LLR_MAX),
         ["y", "pb0", "pb1"]),
        (ex_channels.check_flip_rate_ci, lambda f, z: ex_channels._wald(f, z), ["flips"]),
    ]


@pytest.mark.parametrize("check,answer,names", _named_input_cases(),
                         ids=[c[0].__name__ for c in _named_input_cases()])
def test_a_wrong_gradient_is_reported_under_the_inputs_name(check, answer, names) -> None:
    for index, name in enumerate(names):
        with pytest.raises(CheckFailed, match=rf"grad of {re.escape(name)}\b"):
            check(_wrong_gradient_of(answer, index))


# ---------------------------------------------------------------------------
# Core modules, found by the full mutmut run (docs/mutation.md)
# ---------------------------------------------------------------------------
def test_cuda_descriptions_and_generators_without_a_gpu(monkeypatch) -> None:
    """The CUDA branches of ``describe_device`` and ``default_generator``, with torch.cuda faked.

    A plain ``cuda`` device means the current GPU; ``cuda:1`` means GPU 1.
    """
    from course_utils.channels.logistic_math import default_generator
    from course_utils.env import describe_device

    generators = (torch.Generator(), torch.Generator())
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 1)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index: f"GPU number {index}")
    monkeypatch.setattr(torch.cuda, "default_generators", generators)
    assert describe_device(torch.device("cuda")) == "cuda:1 (GPU number 1)"
    assert describe_device(torch.device("cuda", 0)) == "cuda:0 (GPU number 0)"
    assert default_generator(torch.device("cuda")) is generators[1]
    assert default_generator(torch.device("cuda", 0)) is generators[0]
    with pytest.raises(ValueError, match=r"only on cpu or cuda, not on meta: pass noise="):
        default_generator(torch.device("meta"))


def test_seed_everything_seeds_an_imported_tensorflow(monkeypatch) -> None:
    """With TensorFlow in ``sys.modules`` (and only then) its global seed is set too."""
    import sys
    import types

    from course_utils import env

    calls: list[object] = []
    fake = types.SimpleNamespace(random=types.SimpleNamespace(set_seed=calls.append))
    monkeypatch.setitem(sys.modules, "tensorflow", fake)
    monkeypatch.setattr(env, "_seed", env._seed)  # the last seed given, as before this test, afterwards
    env.seed_everything(7)
    assert calls == [7] and env._seed == 7
    env.seed_everything(0)
    assert calls == [7, 0] and env._seed == 0


def test_versions_names_python_and_marks_missing_packages(monkeypatch) -> None:
    import importlib.metadata
    import platform

    from course_utils import env

    def version(name: str) -> str:
        if name == "tensorflow":
            raise importlib.metadata.PackageNotFoundError(name)
        return "1.0"

    monkeypatch.setattr(importlib.metadata, "version", version)
    found = env.versions()
    assert found["python"] == platform.python_version()
    assert found["tensorflow"] == "missing" and found["torch"] == "1.0"


def test_linear_sizes_are_named_and_one_is_allowed() -> None:
    assert Linear(1, 1).weight.shape == (1, 1)
    with pytest.raises(ValueError, match=r"^in_features must be"):
        Linear(0, 3)
    with pytest.raises(ValueError, match=r"^out_features must be"):
        Linear(3, 0)


def test_type_errors_name_the_type_and_one_class_is_allowed() -> None:
    from course_utils.functions import cross_entropy
    from course_utils.inplace import relu_

    with pytest.raises(TypeError, match=r"\blist\b"):
        cross_entropy([[1.0, 2.0]], torch.tensor([0]))
    with pytest.raises(TypeError, match=r"\blist\b"):
        relu_([1.0])
    one_class = torch.zeros(3, 1, dtype=torch.float64)
    torch.testing.assert_close(cross_entropy(one_class, torch.zeros(3, dtype=torch.long)),
                               F.cross_entropy(one_class, torch.zeros(3, dtype=torch.long)))
    with pytest.raises(ValueError, match=r"target is on meta but logits on cpu"):
        cross_entropy(torch.zeros(3, 2), torch.zeros(3, dtype=torch.long, device="meta"))


def test_binary_linear_takes_any_number_of_batch_dimensions() -> None:
    layer = BinaryLinear(4, 3)
    x = torch.randn(2, 5, 4, generator=torch.Generator().manual_seed(0))
    assert layer(x).shape == (2, 5, 3)
    torch.testing.assert_close(layer(x), layer(x.reshape(10, 4)).reshape(2, 5, 3))


def test_ctx_attributes_are_found_nested_up_to_four_levels_and_in_shared_nodes() -> None:
    """``saved_tensors`` finds tensors kept on ``ctx`` in containers four levels deep, not five.

    The graph below reaches one Function node twice (a diamond): it is visited once, and the
    nodes after the revisit are still visited.
    """
    from course_utils.memory import saved_tensors

    t = torch.ones(2)

    class Nested(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):  # noqa: ANN001, ANN205
            ctx.deep = [{"k": ({t},)}]  # list > dict > tuple > set > tensor: four levels
            ctx.deeper = [[[[[t]]]]]  # five levels: not looked into
            return x * 2

        @staticmethod
        def backward(ctx, g):  # noqa: ANN001, ANN205
            return 2 * g

    class Keeps(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):  # noqa: ANN001, ANN205
            ctx.kept = x.detach()
            return x + 1

        @staticmethod
        def backward(ctx, g):  # noqa: ANN001, ANN205
            return g

    found = saved_tensors(lambda x: Nested.apply(x), torch.ones(2, requires_grad=True)).attributes
    assert list(found) == ["ctx.deep[0]['k'][0]{...}"], found

    def diamond(x):  # noqa: ANN001, ANN202
        y = Keeps.apply(x)
        h = Nested.apply(y)
        return h + h * 3  # h's node is reached from both terms

    found = saved_tensors(diamond, torch.ones(2, requires_grad=True)).attributes
    assert sorted(found) == ["ctx.deep[0]['k'][0]{...}", "ctx.kept"], found


def test_learned_pb_within_the_tolerance_includes_it() -> None:
    from course_utils.exercises.channels import check_learned_pb

    check_learned_pb(torch.tensor([0.5, 0.25]), target=(0.25, 0.25), tol=0.25)  # exactly tol away: within
    with pytest.raises(CheckFailed, match=r"^pb0 = 0\.500, but the target flip rate is 0\.25 \(tolerance 0\.2\)"):
        check_learned_pb(torch.tensor([0.5, 0.25]), target=(0.25, 0.25), tol=0.2)
    with pytest.raises(CheckFailed, match=r"shape \(2,\), got list \(\)$"):
        check_learned_pb([0.05, 0.25])
    with pytest.raises(CheckFailed, match=r"shape \(2,\), got Tensor \(3,\)$"):
        check_learned_pb(torch.zeros(3))


def test_sincos_backward_sums_both_terms_when_both_outputs_are_used() -> None:
    """gradcheck feeds one output's gradient at a time (the other is None): this feeds both."""
    from course_utils.multi_output import SinCos

    leaf = torch.randn(5, dtype=torch.float64, requires_grad=True, generator=torch.Generator().manual_seed(0))
    s, c = SinCos.apply(leaf)
    (2 * s + 3 * c).sum().backward()
    torch.testing.assert_close(leaf.grad, 2 * torch.cos(leaf.detach()) - 3 * torch.sin(leaf.detach()))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_samplers_draw_from_the_given_generator_in_the_inputs_dtype(dtype: torch.dtype) -> None:
    """``generator=`` reaches the noise, drawn in the dtype of the logits or probabilities."""
    from course_utils.gumbel import sample_gumbel, sample_logistic

    logits = torch.tensor([[0.1, -0.4, 1.2], [0.0, 0.3, -2.0]], dtype=dtype)
    got = gumbel_softmax(logits, 0.5, generator=torch.Generator().manual_seed(3))
    noise = sample_gumbel(logits.shape, generator=torch.Generator().manual_seed(3), dtype=dtype)
    assert torch.equal(got, torch.softmax((logits + noise) / 0.5, dim=-1))
    p = torch.tensor([0.1, 0.5, 0.9], dtype=dtype)
    got = relaxed_bernoulli(p, 0.5, generator=torch.Generator().manual_seed(4))
    noise = sample_logistic(p.shape, generator=torch.Generator().manual_seed(4), dtype=dtype)
    assert torch.equal(got, relaxed_bernoulli(p, 0.5, noise=noise))
