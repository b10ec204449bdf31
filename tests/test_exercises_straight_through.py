import pytest
import torch

from course_utils import CheckFailed
from course_utils.exercises.straight_through import check_swish_sign, check_tanh_sign

from helpers import checker_output, scaled_gradient


def plus_minus_one(x):
    return torch.where(x < 0, -torch.ones_like(x), torch.ones_like(x))


class SwishSign(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, beta):
        ctx.save_for_backward(x)
        ctx.beta = beta
        return plus_minus_one(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        b = ctx.beta
        return g * b * (2 - b * x * torch.tanh(b * x / 2)) / (1 + torch.cosh(b * x)), None


class SwishSignBetaOnce(SwishSign):  # a plausible slip: forgot the leading factor beta
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        b = ctx.beta
        return g * (2 - b * x * torch.tanh(b * x / 2)) / (1 + torch.cosh(b * x)), None


class TanhSign(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return plus_minus_one(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (1 - torch.tanh(x) ** 2)


class TanhSignNoUpstream(TanhSign):  # forgot to multiply by grad_output
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 1 - torch.tanh(x) ** 2


def test_solutions_pass(capsys) -> None:
    check_swish_sign(SwishSign.apply)
    check_tanh_sign(TanhSign.apply)
    assert checker_output(capsys).count("correct:") == 2


def test_wrong_answers_are_explained() -> None:
    with pytest.raises(CheckFailed, match=r"with beta = 5.0: grad of x: .* at index \[\d+\] \(input -?0\): yours 1, expected 5"):
        check_swish_sign(SwishSignBetaOnce.apply)
    with pytest.raises(CheckFailed, match=r"output: 2 of 12 values differ.*\(input -?0\): yours 0, expected 1"):
        check_tanh_sign(lambda x: TanhSign.apply(x) * (x != 0))
    with pytest.raises(CheckFailed, match="does backward multiply by grad_output"):
        check_tanh_sign(TanhSignNoUpstream.apply)
    with pytest.raises(CheckFailed, match=r"with beta = 2.0: grad of x"):
        check_swish_sign(lambda x, beta: SwishSign.apply(x, 5.0))


class SwishSignGradientForBeta(SwishSign):  # the statement: beta is a plain float, its gradient None
    @staticmethod
    def backward(ctx, g):
        grad_x, _ = SwishSign.backward(ctx, g)
        return grad_x, torch.ones(())


class TorchSignForward(TanhSign):  # the statement: the course's sign (+1 at 0), not torch.sign
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sign(x)


def test_each_stated_constraint_is_enforced() -> None:
    with pytest.raises(CheckFailed, match="backward raised RuntimeError"):
        check_swish_sign(SwishSignGradientForBeta.apply)
    with pytest.raises(CheckFailed, match=r"^output: 2 of 12 values differ"):
        check_tanh_sign(TorchSignForward.apply)


# the right derivatives, 1e-7 too large: within compare's default rtol 1e-5, not the checkers' 1e-9
SwishSignNearMiss = scaled_gradient(SwishSign, 1 + 1e-7)
TanhSignNearMiss = scaled_gradient(TanhSign, 1 + 1e-7)


def test_tolerances_are_tight_and_named() -> None:
    tolerance = r"\(rtol=1e-09, atol=1e-12\)$"
    with pytest.raises(CheckFailed, match=r"^with beta = 5.0: grad of x: .*" + tolerance):
        check_swish_sign(SwishSignNearMiss.apply)
    with pytest.raises(CheckFailed, match=r"^grad of x: .*" + tolerance):
        check_tanh_sign(TanhSignNearMiss.apply)
