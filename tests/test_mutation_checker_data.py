"""Checkers' test data: near-miss wrong answers that only the data as written catches.

Each test gives a checker a plausible wrong answer that is right almost everywhere: at all
but one of its points, within a loose tolerance, for all-ones bits, ... The checker must
reject it; a checker whose points, sizes, seeds or tolerances were changed would accept it.
"""
from __future__ import annotations

import pytest
import torch
from torch import nn

from course_utils import CheckFailed
from course_utils.assignment import SAMPLE_INPUT, InputError, parse_input
from course_utils.binarize import BinaryLinear, sign_parabola, sign_swish
from course_utils.exercises.binarized_network import check_binary_matmul, check_model_bytes
from course_utils.exercises.binary_linear import check_format_rows, check_parabola_sign
from course_utils.exercises.channels import check_llrs
from course_utils.exercises.fast_channel import check_logistic_errors, check_logistic_noise
from course_utils.exercises.part4 import check_tanh_jvp
from course_utils.exercises.straight_through import check_swish_sign, check_tanh_sign


def _with_grad(forward: torch.Tensor, x: torch.Tensor, slope: torch.Tensor) -> torch.Tensor:
    """``forward``'s values with gradient ``slope`` with respect to ``x`` (the detach trick)."""
    surrogate = x * slope.detach()
    return forward.detach() + (surrogate - surrogate.detach())


# -- notebook 08: the binary-linear assignment ------------------------------------------


def _float32_parabola_sign(x: torch.Tensor) -> torch.Tensor:
    # The slope computed in float32: exact at the boundary points (multiples of 1/4), off by
    # about 1e-7 at the random ones.
    x32 = x.detach().float()
    slope = torch.where(x32.abs() < 1, 2 - 2 * x32.abs(), torch.zeros_like(x32)).to(x.dtype)
    return _with_grad(sign_parabola(x.detach()), x, slope)


def test_parabola_checker_random_points_are_checked_exactly() -> None:
    """A slope computed in float32 is exact at the 12 boundary points only: the random points' rtol = 0, atol = 1e-12 must reject it."""
    with pytest.raises(CheckFailed, match=r"^grad of x: .*\(rtol=0, atol=1e-12\)$"):
        check_parabola_sign(_float32_parabola_sign)


def test_format_checker_catches_values_that_round_to_minus_zero() -> None:
    """Turning only exact -0.0 into 0.0 (t + 0.0) still prints -0.0000 for -0.00004: the checker's -0.00004 catches it."""
    def only_exact_zeros(t: torch.Tensor) -> str:
        return "".join(" ".join(f"{v:.4f}" for v in row) + "\n" for row in (t + 0.0).tolist())

    with pytest.raises(CheckFailed, match=r"^line 2: yours '-0.0000 -4.0000 12.5000', expected '0.0000 -4.0000 12.5000'$"):
        check_format_rows(only_exact_zeros)


def test_extra_input_is_quoted_to_40_characters() -> None:
    """The error for extra input quotes its first 40 characters: no more (a long line would flood the message), no fewer."""
    extra = " ".join(str(i) for i in range(40))
    with pytest.raises(InputError) as info:
        parse_input(SAMPLE_INPUT + extra + "\n")
    assert str(info.value).endswith(f"unexpected extra input after the last row of W: {extra[:40]!r}")


# -- notebook 09: a binarized network ----------------------------------------------------


def _disagreements_matmul(a_bits: torch.Tensor, b_bits: torch.Tensor) -> torch.Tensor:
    # Counts disagreements instead of agreements: minus the right product, wrong at every
    # entry for odd d.
    return 2 * (a_bits[:, None, :] != b_bits[None, :, :]).sum(-1) - a_bits.shape[1]


def _and_matmul(a_bits: torch.Tensor, b_bits: torch.Tensor) -> torch.Tensor:
    # Counts positions where both bits are 1 (AND) instead of where they agree (XNOR):
    # right whenever one of the two matrices is all ones.
    both = (a_bits[:, None, :] & b_bits[None, :, :]).sum(-1)
    return 2 * both - a_bits.shape[1]


def test_binary_matmul_checker_draws_zero_bits_in_both_matrices() -> None:
    """Counting AND instead of agreements is right when a or b is all ones: both must hold zero bits."""
    with pytest.raises(CheckFailed, match=r"^with d = 5: \d+ of 12 entries differ; entry "):
        check_binary_matmul(_and_matmul)


def test_binary_matmul_checker_reports_the_first_wrong_entry() -> None:
    """Every entry wrong (counting disagreements): the report names the first one, [0, 0]."""
    with pytest.raises(CheckFailed, match=r"^with d = 5: 12 of 12 entries differ; entry \[0, 0\]: yours (-?\d), expected (-?\d) "):
        check_binary_matmul(_disagreements_matmul)


def _two_d_weights_are_one_bit(model: nn.Module) -> float:
    # Every matrix counted as 1-bit: right for the binarized models, wrong for nn.Linear.
    return sum(p.numel() * (1 if p.ndim == 2 else 32) for p in model.parameters()) / 8


def test_model_bytes_checker_names_the_float_twin() -> None:
    """An answer that counts every 2-D weight as 1 bit fails on the nn.Linear twin, named as the message says."""
    with pytest.raises(CheckFailed, match=r"^for its float twin with nn\.Linear: yours "):
        check_model_bytes(_two_d_weights_are_one_bit)


def test_model_bytes_checker_wants_fractional_bytes() -> None:
    """Whole bytes (bits // 8) are off by 0.75 for BinaryLinear(3, 2, bias=True)'s 70 bits: the checker's 1e-9 must see it."""
    def whole_bytes(model: nn.Module) -> int:
        binary = {id(m.weight) for m in model.modules() if isinstance(m, BinaryLinear)}
        return sum(p.numel() * (1 if id(p) in binary else 32) for p in model.parameters()) // 8

    with pytest.raises(CheckFailed, match=r"^for BinaryLinear\(3, 2, bias=True\): yours 8, expected 8\.75 bytes"):
        check_model_bytes(whole_bytes)


# -- notebook 07: straight-through estimators --------------------------------------------


def _copysign_tanh_sign(x: torch.Tensor) -> torch.Tensor:
    # copysign(1, x) is the sign with no zero, but -1 at -0.0 where sign_ste gives +1.
    t = torch.tanh(x)
    return torch.copysign(torch.ones_like(x), x).detach() + (t - t.detach())


def test_tanh_sign_checker_probes_negative_zero() -> None:
    """copysign(1, x) differs from the course's sign only at -0.0: the points must hold -0.0."""
    with pytest.raises(CheckFailed, match=r"output: 1 of 12 values differ; .*\(input -0\): yours -1, expected 1"):
        check_tanh_sign(_copysign_tanh_sign)


def _windowed_swish_sign(x: torch.Tensor, beta: float) -> torch.Tensor:
    # SwishSign's derivative, but zero outside [-1, 1] as the STE's: off by < 0.1 there.
    xd = x.detach().requires_grad_(True)
    (slope,) = torch.autograd.grad(sign_swish(xd, beta).sum(), xd)
    slope = torch.where(x.abs() <= 1, slope, torch.zeros_like(slope))
    return _with_grad(sign_swish(x.detach(), beta), x, slope)


def test_swish_checker_sees_small_tails() -> None:
    """A SwishSign gradient cut to zero outside [-1, 1] is off by less than 0.1: atol = 1e-12 must reject it."""
    with pytest.raises(CheckFailed, match=r"^with beta = 5\.0: grad of x: .* yours 0, expected "):
        check_swish_sign(_windowed_swish_sign)


# -- notebook 14: a fast channel sampler --------------------------------------------------

_EPS, _TAU = 1e-9, 0.1


def _noise(u: torch.Tensor) -> torch.Tensor:
    return torch.log1p(-u) - torch.log(u)


class _Errors(torch.autograd.Function):
    """The logistic sampler's errors; subclasses change only the derivative of l(p)."""

    @staticmethod
    def dell(p: torch.Tensor) -> torch.Tensor:
        return 1 / (p + _EPS) + 1 / (1 - p + _EPS)

    @staticmethod
    def ell(p: torch.Tensor) -> torch.Tensor:
        return torch.log(p + _EPS) - torch.log(1 - p + _EPS)

    @classmethod
    def forward(cls, ctx, p: torch.Tensor, u: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        ctx.save_for_backward(p, u)
        return (u < p).to(p.dtype)

    @classmethod
    def backward(cls, ctx, g: torch.Tensor) -> tuple[torch.Tensor, None]:  # noqa: ANN001
        p, u = ctx.saved_tensors
        s = torch.sigmoid((cls.ell(p) + _noise(u)) / _TAU)
        return g * s * (1 - s) * cls.dell(p) / _TAU, None


class _EpsOnTheOneMinusSide(_Errors):
    @staticmethod
    def ell(p: torch.Tensor) -> torch.Tensor:
        return torch.log(p) - torch.log(1 - p + _EPS)

    @staticmethod
    def dell(p: torch.Tensor) -> torch.Tensor:
        return 1 / p + 1 / (1 - p + _EPS)


class _ForgotTheOneMinusTerm(_Errors):
    @staticmethod
    def dell(p: torch.Tensor) -> torch.Tensor:
        return 1 / (p + _EPS)  # d/dp of log(p) only; -log(1 - p) forgotten


def test_logistic_errors_checker_has_p_zero() -> None:
    """eps only in the logs of 1 - p (none in log p, 1/p) breaks only at p = 0: the points must hold p = 0 (p = 1 does not show it)."""
    with pytest.raises(CheckFailed, match=r"^d errors / d p: .* at index \[0\] \(input 0\): yours nan, expected 0 "):
        check_logistic_errors(_EpsOnTheOneMinusSide.apply)


def test_logistic_errors_checker_gradient_tolerance() -> None:
    """A gradient missing the 1/(1 - p) term is (1 - p) times the right one, within rtol = 1: rtol = 1e-6 must reject it."""
    with pytest.raises(CheckFailed, match=r"^d errors / d p: .*\(rtol=1e-06, atol=1e-08\)$"):
        check_logistic_errors(_ForgotTheOneMinusTerm.apply)


def test_logistic_noise_checker_names_the_first_wrong_decision() -> None:
    """L with the wrong sign: the report names the first (u, p) where the decision is wrong."""
    with pytest.raises(CheckFailed) as info:
        check_logistic_noise(lambda u: torch.log(u) - torch.log1p(-u))
    assert str(info.value) == ("the decision l(p) + L > 0 disagrees with u < p at u = 0.1725, p = 0.4274: "
                               "check the sign of L (which of u and 1 - u is the error side?)")


def test_logistic_noise_checker_shows_the_edge_uniform() -> None:
    """eps inside L's logs is wrong only at u = 1 - 2**-53 (its decision at p = 1 still right): the report shows that input."""
    with pytest.raises(CheckFailed, match=r"^L: \d+ of 256 values differ; .* at index \[1\] \(input 1\): yours -20\.7233, expected -36\.7368"):
        check_logistic_noise(lambda u: torch.log(1 - u + _EPS) - torch.log(u + _EPS))


def test_logistic_noise_in_float32_fails_on_l_not_on_a_decision() -> None:
    """L computed in float32 is -inf at u = 1 - 2**-53 (it rounds to 1): reported as L's value there, p = 1 being no decision to check."""
    with pytest.raises(CheckFailed, match=r"^L: \d+ of 256 values differ; .*\(input 1\): yours -inf, expected -36\.7368"):
        check_logistic_noise(lambda u: _noise(u.float()).double())


# -- notebook 15: forward mode ------------------------------------------------------------


class _TanhIdentityJvp(torch.autograd.Function):
    """Tanh whose jvp returns the input's tangent unchanged: wrong for every tangent."""

    @staticmethod
    def forward(x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x)

    @staticmethod
    def setup_context(ctx, inputs: tuple[torch.Tensor], output: torch.Tensor) -> None:  # noqa: ANN001
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, g: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        (y,) = ctx.saved_tensors
        return g * (1 - y * y)

    @staticmethod
    def jvp(ctx, t: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        return t


def test_jvp_wrong_for_ones_gets_no_random_tangent_hint() -> None:
    """A jvp already wrong for a tangent of ones is reported as such, without the hint meant for one right only for ones."""
    with pytest.raises(CheckFailed) as info:
        check_tanh_jvp(_TanhIdentityJvp.apply)
    assert str(info.value).startswith("tangent of the output: ")
    assert str(info.value).endswith("(rtol=1e-05, atol=1e-08)")


# -- notebook 12: porting the channel -----------------------------------------------------


def test_llr_checker_has_an_llr_against_the_received_sign() -> None:
    """LLR = y * |w| (its sign taken from y) is wrong only where pb1 > 0.5 makes a received -1 favour 1: that point must stay."""
    def sign_from_y(y: torch.Tensor, pb0: torch.Tensor, pb1: torch.Tensor) -> torch.Tensor:
        w0 = torch.log(1 - pb0 - 1e-9) - torch.log(pb1 + 1e-9)
        w1 = torch.log(1 - pb1 - 1e-9) - torch.log(pb0 + 1e-9)
        return torch.clamp(y * torch.where(y == 1, w1, w0).abs(), -10.0, 10.0)

    with pytest.raises(CheckFailed, match=r"^output: 1 of 9 values differ; .* at index \[7\]"):
        check_llrs(sign_from_y)
