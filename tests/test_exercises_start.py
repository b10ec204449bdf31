import pytest
import torch

from course_utils import CheckFailed
from course_utils.exercises.start import check_cube, check_reciprocal

from helpers import checker_output


class Cube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x**2 * g


class CubeWrong(Cube):  # a plausible slip: the power rule without the factor
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return x**2 * g


class Reciprocal(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = 1 / x
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return -y * y * g


class ReciprocalWrongSign(Reciprocal):
    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return y * y * g


class ReciprocalSavesX(Reciprocal):  # right gradient, but saves the input instead of the result
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 1 / x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g / (x * x)


class ReciprocalSavesBoth(Reciprocal):  # right gradient, saves the result and the input
    @staticmethod
    def forward(ctx, x):
        y = 1 / x
        ctx.save_for_backward(y, x)
        return y

    @staticmethod
    def backward(ctx, g):
        y, _ = ctx.saved_tensors
        return -y * y * g


class ReciprocalStashesY(Reciprocal):  # right gradient, the result kept as a ctx attribute
    @staticmethod
    def forward(ctx, x):
        ctx.y = 1 / x
        return ctx.y

    @staticmethod
    def backward(ctx, g):
        return -ctx.y * ctx.y * g


def test_reciprocal_must_save_the_result() -> None:
    with pytest.raises(CheckFailed, match=r"Reciprocal must save only its result y .*; it saves x$"):
        check_reciprocal(ReciprocalSavesX.apply)
    with pytest.raises(CheckFailed, match=r"must save only its result y .*; it saves y, x$"):
        check_reciprocal(ReciprocalSavesBoth.apply)
    with pytest.raises(CheckFailed, match=r"Reciprocal keeps tensors as ctx attributes \(ctx.y\): save the result"):
        check_reciprocal(ReciprocalStashesY.apply)


def test_solutions_pass(capsys) -> None:
    check_cube(Cube.apply)
    check_reciprocal(Reciprocal.apply)
    assert checker_output(capsys).count("correct:") == 2


def test_wrong_answers_are_explained() -> None:
    with pytest.raises(CheckFailed, match=r"grad of x: 6 of 7 values differ; .* at index \[6\] \(input 3\): yours 9, expected 27"):
        check_cube(CubeWrong.apply)
    with pytest.raises(CheckFailed, match=r"grad of x: 6 of 6 values differ"):
        check_reciprocal(ReciprocalWrongSign.apply)
    with pytest.raises(CheckFailed, match="output: "):
        check_cube(lambda x: x**2)
