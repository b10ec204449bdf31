"""The checkers of notebooks 12 and 13 accept the solutions and name what is wrong in plausible mistakes."""
from __future__ import annotations

import pytest
import torch

from course_utils import CheckFailed
from course_utils.channels import EPS, gumbel_softmax_errors
from course_utils.exercises.channels import (
    check_bec,
    check_flip_rate_ci,
    check_learned_pb,
    check_llrs,
)

from helpers import checker_output


def llrs(y, pb0, pb1):
    y0 = -(torch.log(pb1 + EPS) - torch.log(1 - pb0 - EPS))
    y1 = torch.log(1 - pb1 - EPS) - torch.log(pb0 + EPS)
    return torch.clamp(torch.where(y == 1, y1, y0) * y, -10.0, 10.0)


def bec(x, pb, noise, bipolar):
    e = gumbel_softmax_errors(pb, noise[0])
    if bipolar:
        return torch.where(e == 0, x, torch.zeros_like(x))
    return torch.where(e == 0, x, -torch.ones_like(x))


def flip_rate_ci(flips, z):
    rate = flips.mean(0)
    return torch.stack((rate, z * torch.sqrt(rate * (1 - rate) / flips.shape[0])))


def test_solutions_pass(capsys) -> None:
    check_llrs(llrs)
    check_bec(bec)
    check_flip_rate_ci(flip_rate_ci)
    check_learned_pb(torch.tensor([0.06, 0.24]))
    assert checker_output(capsys).count("correct:") == 4


def test_llrs_without_eps_or_clipping_fail() -> None:
    def no_eps(y, pb0, pb1):
        y0 = -(torch.log(pb1) - torch.log(1 - pb0))
        y1 = torch.log(1 - pb1) - torch.log(pb0)
        return torch.clamp(torch.where(y == 1, y1, y0) * y, -10.0, 10.0)

    with pytest.raises(CheckFailed, match="grad of"):  # log(0) clipped to 10 in value, NaN in gradient
        check_llrs(no_eps)

    def no_clip(y, pb0, pb1):
        y0 = -(torch.log(pb1 + EPS) - torch.log(1 - pb0 - EPS))
        y1 = torch.log(1 - pb1 - EPS) - torch.log(pb0 + EPS)
        return torch.where(y == 1, y1, y0) * y

    with pytest.raises(CheckFailed, match="output"):
        check_llrs(no_clip)

    def clipped_above_only(y, pb0, pb1):
        return torch.clamp(no_clip(y, pb0, pb1), max=10.0)

    with pytest.raises(CheckFailed, match=r"output: .*index \[8\].*yours -20.*expected -10"):
        check_llrs(clipped_above_only)
    # a detached magnitude loses the gradient w.r.t. y
    with pytest.raises(CheckFailed, match="grad of y"):
        check_llrs(lambda y, p0, p1: torch.clamp(
            torch.where(y == 1, torch.log(1 - p1 - EPS) - torch.log(p0 + EPS),
                        -(torch.log(p1 + EPS) - torch.log(1 - p0 - EPS))) * y.detach(), -10.0, 10.0))


def test_bec_with_the_wrong_erasure_value_fails() -> None:
    with pytest.raises(CheckFailed, match="bipolar=False: output"):
        check_bec(lambda x, pb, noise, bipolar: torch.where(
            gumbel_softmax_errors(pb, noise[0]) == 0, x, torch.zeros_like(x)))
    with pytest.raises(CheckFailed, match="grad of pb"):  # multiplying by e makes pb differentiable
        check_bec(lambda x, pb, noise, bipolar: bec(x, pb, noise, bipolar)
                  * (1 + 0 * gumbel_softmax_errors(pb, noise[0])))


def test_ci_without_sqrt_fails() -> None:
    with pytest.raises(CheckFailed, match="output"):
        check_flip_rate_ci(lambda f, z: torch.stack((f.mean(0), z * f.mean(0) * (1 - f.mean(0)) / f.shape[0])))


def test_ci_of_the_wrong_shape_fails() -> None:
    # the statement asks for shape [2, m]: rate and half-width stacked along a new first dimension
    def transposed(flips, z):
        rate = flips.mean(0)
        return torch.stack((rate, z * torch.sqrt(rate * (1 - rate) / flips.shape[0])), dim=1)

    with pytest.raises(CheckFailed, match=r"shape \(5, 2\) but expected \(2, 5\)"):
        check_flip_rate_ci(transposed)


def test_unlearned_pb_fails() -> None:
    with pytest.raises(CheckFailed, match=r"pb1 = 0\.020"):
        check_learned_pb(torch.tensor([0.05, 0.02]))
    with pytest.raises(CheckFailed, match="shape"):
        check_learned_pb(torch.tensor(0.05))
