"""The checkers of notebook 14 accept the solutions and name what is wrong in plausible mistakes."""
from __future__ import annotations

import pytest
import torch

from course_utils import CheckFailed
from course_utils.exercises.fast_channel import check_logistic_errors, check_logistic_noise

from helpers import checker_output, scaled_gradient

EPS, TAU = 1e-9, 0.1


def logistic_noise(u):
    return torch.log1p(-u) - torch.log(u)


class LogisticErrors(torch.autograd.Function):
    @staticmethod
    def forward(ctx, p, u):
        ctx.save_for_backward(p, u)
        return (u < p).to(p.dtype)

    @staticmethod
    def backward(ctx, g):
        p, u = ctx.saved_tensors
        s = torch.sigmoid((torch.log(p + EPS) - torch.log(1 - p + EPS) + logistic_noise(u)) / TAU)
        return g * s * (1 - s) * (1 / (p + EPS) + 1 / (1 - p + EPS)) / TAU, None


class WithoutEps(LogisticErrors):
    @staticmethod
    def backward(ctx, g):
        p, u = ctx.saved_tensors
        s = torch.sigmoid((torch.log(p) - torch.log(1 - p) + logistic_noise(u)) / TAU)
        return g * s * (1 - s) * (1 / p + 1 / (1 - p)) / TAU, None


class WrongSide(LogisticErrors):
    @staticmethod
    def forward(ctx, p, u):
        ctx.save_for_backward(p, u)
        return (u > 1 - p).to(p.dtype)


def test_solutions_pass(capsys) -> None:
    check_logistic_noise(logistic_noise)
    check_logistic_errors(LogisticErrors.apply)
    assert checker_output(capsys).count("correct:") == 2


def test_logistic_noise_with_the_wrong_sign_fails() -> None:
    with pytest.raises(CheckFailed, match="sign of L"):
        check_logistic_noise(lambda u: torch.log(u) - torch.log1p(-u))
    with pytest.raises(CheckFailed, match="L"):
        check_logistic_noise(lambda u: 2 * (torch.log1p(-u) - torch.log(u)))


def test_wrong_errors_fail() -> None:
    with pytest.raises(CheckFailed, match="d errors / d p"):
        check_logistic_errors(WithoutEps.apply)  # NaN/inf gradient at p = 0 and p = 1
    with pytest.raises(CheckFailed, match="errors"):
        check_logistic_errors(WrongSide.apply)  # u > 1 - p: right rate, other uniforms
    with pytest.raises(CheckFailed, match="not differentiable"):
        check_logistic_errors(lambda p, u: (u < p).double())


class GradientForU(LogisticErrors):
    @staticmethod
    def backward(ctx, g):
        grad_p, _ = LogisticErrors.backward(ctx, g)
        return grad_p, torch.zeros_like(grad_p)  # the statement asks for None


class Float32Errors(LogisticErrors):
    @staticmethod
    def forward(ctx, p, u):
        ctx.save_for_backward(p, u)
        return (u < p).float()  # the statement asks for p's dtype


def detach_trick(p, u):  # right values and gradient, but not a custom Function
    s = torch.sigmoid((torch.log(p + EPS) - torch.log(1 - p + EPS) + logistic_noise(u)) / TAU)
    return (u < p).to(p.dtype) + s - s.detach()


def test_each_stated_constraint_is_enforced() -> None:
    with pytest.raises(CheckFailed, match="None as the gradient for u"):
        check_logistic_errors(GradientForU.apply)
    with pytest.raises(CheckFailed, match="floats of p's dtype"):
        check_logistic_errors(Float32Errors.apply)
    with pytest.raises(CheckFailed, match=r"custom torch.autograd.Function"):
        check_logistic_errors(detach_trick)


def test_logistic_noise_of_the_wrong_shape_or_type_fails() -> None:
    with pytest.raises(CheckFailed, match=r"must return a tensor of the shape of u \(257,\)"):
        check_logistic_noise(lambda u: logistic_noise(u)[:-1])
    with pytest.raises(CheckFailed, match=r"must return a tensor of the shape of u"):
        check_logistic_noise(lambda u: logistic_noise(u).tolist())


GradientOff = scaled_gradient(LogisticErrors, 1 + 3e-6)  # just outside the checker's rtol = 1e-6
GradientBarelyOff = scaled_gradient(LogisticErrors, 1 + 3e-7)  # inside it


def test_failures_name_the_worst_input_and_the_tolerance(capsys) -> None:
    """A near miss on both sides of the gradient's rtol; each failure names p (or u) where it is worst."""
    number = r"-?[0-9.]+(e-?[0-9]+)?"
    with pytest.raises(CheckFailed, match=rf"^L: .*\(input {number}\)"):
        check_logistic_noise(lambda u: logistic_noise(u) * (1 + 1e-4))  # decisions hold, values off
    with pytest.raises(CheckFailed, match=rf"^errors: .*\(input {number}\)"):
        check_logistic_errors(WrongSide.apply)
    with pytest.raises(CheckFailed, match=rf"^d errors / d p: .*\(input {number}\).*\(rtol=1e-06, atol=1e-08\)"):
        check_logistic_errors(GradientOff.apply)
    check_logistic_errors(GradientBarelyOff.apply)  # prints the comparison (not exact), then its verdict
    assert capsys.readouterr().out.splitlines()[-1].startswith("correct: your errors")
