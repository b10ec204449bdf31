"""The checkers of notebook 08's exercises: right answers pass, plausible wrong ones fail saying why."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils import CheckFailed
from course_utils.assignment import format_rows
from course_utils.binarize import sign_parabola, sign_ste
from course_utils.exercises.binary_linear import check_assignment, check_format_rows, check_parabola_sign

from helpers import checker_output


class ParabolaSign(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.where(x < 0, -torch.ones_like(x), torch.ones_like(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        slope = torch.where(x < 0, 2 + 2 * x, 2 - 2 * x)
        return g * torch.where(x.abs() < 1, slope, torch.zeros_like(x))


class ParabolaTorchSign(ParabolaSign):  # a plausible slip: torch.sign gives 0 at 0
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sign(x)


class ParabolaNoWindow(ParabolaSign):  # forgot that the slope is zero outside [-1, 1)
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * torch.where(x < 0, 2 + 2 * x, 2 - 2 * x)


class ParabolaNumpySign(ParabolaSign):  # right values, but NumPy: breaks "only torch operations"
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        signs = np.where(x.detach().cpu().numpy() < 0, -1.0, 1.0)
        return torch.from_numpy(signs).to(device=x.device, dtype=x.dtype)


class ParabolaItemSlope(ParabolaSign):  # right values, but a Python loop over .item()
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        slopes = [(2 - 2 * abs(v)) if abs(v) < 1 else 0.0 for v in (x.flatten()[i].item() for i in range(x.numel()))]
        return g * torch.tensor(slopes, dtype=x.dtype, device=x.device).reshape(x.shape)


def solution(x, w):
    x = x.detach().clone().requires_grad_(True)
    w = w.detach().clone().requires_grad_(True)
    torch.nn.functional.linear(ParabolaSign.apply(x), sign_ste(w)).sum().backward()
    return x.grad, w.grad


def swapped_binarizers(x, w):  # STE on the inputs, parabola on the weights
    x = x.detach().clone().requires_grad_(True)
    w = w.detach().clone().requires_grad_(True)
    torch.nn.functional.linear(sign_ste(x), sign_parabola(w)).sum().backward()
    return x.grad, w.grad


def mean_loss(x, w):  # loss = mean instead of sum of the outputs
    x = x.detach().clone().requires_grad_(True)
    w = w.detach().clone().requires_grad_(True)
    torch.nn.functional.linear(ParabolaSign.apply(x), sign_ste(w)).mean().backward()
    return x.grad, w.grad


def test_solutions_pass(capsys) -> None:
    check_parabola_sign(ParabolaSign.apply)
    check_assignment(solution)
    check_format_rows(format_rows)
    assert checker_output(capsys).count("correct:") == 3


def test_parabola_checker_names_the_wrong_value() -> None:
    with pytest.raises(CheckFailed, match=r"output: 2 of 12 values differ; .*\(input -0\): yours 0, expected 1"):
        check_parabola_sign(ParabolaTorchSign.apply)
    with pytest.raises(CheckFailed, match=r"grad of x: 2 of 12 values differ; .*\(input -2\): yours -2, expected 0"):
        check_parabola_sign(ParabolaNoWindow.apply)


def test_parabola_checker_requires_torch_operations_only() -> None:
    # Both are right in value and gradient on the CPU; only the stated constraint is broken.
    for wrong in (ParabolaNumpySign, ParabolaItemSlope):
        with pytest.raises(CheckFailed, match=r"use only torch operations, so that it runs on any device"):
            check_parabola_sign(wrong.apply)


def test_assignment_checker_says_which_gradient_and_where() -> None:
    with pytest.raises(CheckFailed, match=r"on the sample input: input gradient dL/dX: .* at index \[\d, \d\] \(input "):
        check_assignment(swapped_binarizers)
    with pytest.raises(CheckFailed, match=r"on the sample input: input gradient dL/dX: 8 of 12 values differ"):
        check_assignment(mean_loss)
    with pytest.raises(CheckFailed, match=r"weight gradient dL/dW: got None"):
        check_assignment(lambda x, w: (solution(x, w)[0], None))
    with pytest.raises(CheckFailed, match=r"return a tuple \(grad_x, grad_w\)"):
        check_assignment(lambda x, w: solution(x, w)[0])


def test_format_checker_names_the_line() -> None:
    with pytest.raises(CheckFailed, match=r"line 1: yours '4.8456 -0.0000 0.0000', expected '4.8456 0.0000 0.0000'"):
        check_format_rows(lambda t: "\n".join(" ".join(f"{v:.4f}" for v in r) for r in t.tolist()))
    with pytest.raises(CheckFailed, match=r"line 1: yours '4.8456\\t"):
        check_format_rows(lambda t: "\n".join("\t".join(f"{v:.4f}" for v in r) for r in t.tolist()))
    # a trailing space after the last value: the single-space format has none
    with pytest.raises(CheckFailed, match=r"^line 2: yours '0.0000 -4.0000 12.5000 ', expected '0.0000 -4.0000 12.5000'$"):
        check_format_rows(lambda t: format_rows(t).rstrip("\n") + " \n")
