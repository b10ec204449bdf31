import pytest
import torch

from course_utils import CheckFailed
from course_utils.exercises import sionna_bmc
from course_utils.exercises.sionna_bmc import (
    LLR_CASES,
    check_possible_outputs,
    check_sample_errors,
    check_sionna_llrs,
    possible_output_cases,
)

from helpers import checker_output

# ----------------------------------------------------------------- exercise 11.1
EPS = 1e-9


def sionna_llrs(y, pb0, pb1, llr_max=100.0):
    llr0 = torch.log(pb1 + EPS) - torch.log(1 - pb0 - EPS)
    llr1 = torch.log(1 - pb1 - EPS) - torch.log(pb0 + EPS)
    return torch.where(y == 1, llr1, llr0).clamp(-llr_max, llr_max)


# Output of sionna.phy.channel.BinaryMemorylessChannel(return_llrs=True) 1.2.2 in float32 for
# y = 0 and y = 1 at LLR_CASES (errors switched off so that y is known), llr_max = 100 and 5.
SIONNA_LLRS = {
    100.0: ([-1.5040774, -2.0794415, -20.723265, -1.2039728, -20.36659, 0.0, -1.3852938, -2.3978953, -0.49062288],
            [2.0794415, 1.5040774, 20.723265, 20.36659, 1.2039728, 0.0, 6.6200724, 0.7472144, 2.995732]),
    5.0: ([-1.5040774, -2.0794415, -5.0, -1.2039728, -5.0, 0.0, -1.3852938, -2.3978953, -0.49062288],
          [2.0794415, 1.5040774, 5.0, 5.0, 1.2039728, 0.0, 5.0, 0.7472144, 2.995732]),
}


def test_llr_reference_reproduces_sionna_numbers() -> None:
    pb0 = torch.tensor([c[0] for c in LLR_CASES])
    pb1 = torch.tensor([c[1] for c in LLR_CASES])
    y = torch.stack((torch.zeros(9), torch.ones(9)))
    for llr_max, rows in SIONNA_LLRS.items():
        torch.testing.assert_close(sionna_bmc._reference_llrs(y, pb0, pb1, llr_max), torch.tensor(rows),
                                   rtol=1e-6, atol=1e-6)


def test_llr_solution_passes(capsys) -> None:
    check_sionna_llrs(sionna_llrs)
    assert "correct:" in checker_output(capsys)


def test_llr_wrong_answers_are_explained() -> None:
    def no_eps(y, pb0, pb1, llr_max=100.0):
        llr0 = torch.log(pb1 / (1 - pb0))
        llr1 = torch.log((1 - pb1) / pb0)
        return torch.where(y == 1, llr1, llr0).clamp(-llr_max, llr_max)

    def other_sign_convention(y, pb0, pb1, llr_max=100.0):
        return -sionna_llrs(y, pb0, pb1, llr_max)

    def no_clipping(y, pb0, pb1, llr_max=100.0):
        return sionna_llrs(y, pb0, pb1, 1e9)

    def float64(y, pb0, pb1, llr_max=100.0):
        return sionna_llrs(y.double(), pb0.double(), pb1.double(), llr_max)

    with pytest.raises(CheckFailed, match=r"y = 0, pb = \(0, 0\), llr_max = 100: yours -100, expected -20\.72"):
        check_sionna_llrs(no_eps)
    with pytest.raises(CheckFailed, match=r"y = 0, pb = \(0\.1, 0\.2\), llr_max = 100: yours 1\.504"):
        check_sionna_llrs(other_sign_convention)
    with pytest.raises(CheckFailed, match=r"llr_max = 5: yours -20\.72.*, expected -5"):
        check_sionna_llrs(no_clipping)
    with pytest.raises(CheckFailed, match=r"dtype torch\.float64; Sionna computes them in float32"):
        check_sionna_llrs(float64)
    with pytest.raises(CheckFailed, match=r"shape \(9,\) but y has shape \(2, 9\)"):
        check_sionna_llrs(lambda y, pb0, pb1, llr_max: sionna_llrs(y, pb0, pb1, llr_max)[0])


# ----------------------------------------------------------------- exercise 11.2
def possible_outputs(channel, bipolar, x, pb):
    if channel == "bec":
        other = 0 if bipolar else -1
    elif channel == "z" and x != 1:
        return {x}
    else:
        other = -x if bipolar else 1 - x
    return {x} if pb == 0 else {other} if pb == 1 else {x, other}


def test_possible_outputs_cases_and_solution(capsys) -> None:
    cases = possible_output_cases()
    assert len(cases) == 36 and len(set(cases)) == 36
    check_possible_outputs(possible_outputs)
    check_possible_outputs(lambda *case: sorted(possible_outputs(*case)))  # any iterable will do
    assert checker_output(capsys).count("correct: all 36 cases") == 2


def test_possible_outputs_wrong_answers_are_explained() -> None:
    def z_flips_both_ways(channel, bipolar, x, pb):
        return possible_outputs("bsc" if channel == "z" else channel, bipolar, x, pb)

    def bec_erases_to_minus_one(channel, bipolar, x, pb):
        if channel == "bec":
            return {x} if pb == 0 else {-1} if pb == 1 else {x, -1}
        return possible_outputs(channel, bipolar, x, pb)

    def pb_one_still_random(channel, bipolar, x, pb):
        return possible_outputs(channel, bipolar, x, 0.5 if pb == 1 else pb)

    with pytest.raises(CheckFailed, match=r"Z channel, binary input, x = 0, pb = 0.3: you answered \[0, 1\], but the channel can output \[0\]"):
        check_possible_outputs(z_flips_both_ways)
    with pytest.raises(CheckFailed, match=r"BEC, bipolar input, x = -1, pb = 0.3: you answered \[-1\], but the channel can output \[-1, 0\]"):
        check_possible_outputs(bec_erases_to_minus_one)
    with pytest.raises(CheckFailed, match=r"BSC, binary input, x = 0, pb = 1.0: you answered \[0, 1\], but the channel can output \[1\]"):
        check_possible_outputs(pb_one_still_random)
    with pytest.raises(CheckFailed, match="expected a set of output values, got int"):
        check_possible_outputs(lambda *case: 0)


# ----------------------------------------------------------------- exercise 11.3
class STE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.where(x < 0.5, 0.0, 1.0).to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        return g


def sample_errors(pb, u1, u2, tau=0.1, eps=1e-9):
    q = -torch.log(-torch.log(torch.stack((u1, u2), -1) + eps) + eps)
    a = (torch.log(torch.stack((pb, 1 - pb), -1) + eps) + q) / tau
    return STE.apply(torch.softmax(a, -1)[..., 0])


def test_sample_errors_points_have_no_near_ties() -> None:
    pb, u1, u2 = sionna_bmc._sample_errors_points()
    q = -torch.log(-torch.log(torch.stack((u1, u2), -1) + EPS) + EPS)
    soft = torch.softmax((torch.log(torch.stack((pb, 1 - pb), -1) + EPS) + q) / 0.1, -1)[..., 0]
    assert ((soft - 0.5).abs() > 0.01).all()
    hard = (soft >= 0.5)
    assert 2 <= int(hard.sum()) <= 10  # both outcomes occur


def test_sample_errors_solution_passes(capsys) -> None:
    check_sample_errors(sample_errors)
    assert "correct:" in checker_output(capsys)


def test_sample_errors_wrong_answers_are_explained() -> None:
    def swapped_classes(pb, u1, u2):
        return sample_errors(1 - pb, u1, u2)

    def no_temperature(pb, u1, u2):
        return sample_errors(pb, u1, u2, tau=1.0)

    def no_ste(pb, u1, u2):
        return sample_errors(pb, u1, u2).detach()

    with pytest.raises(CheckFailed, match=r"^output: \d+ of 12 values differ"):
        check_sample_errors(swapped_classes)
    with pytest.raises(CheckFailed, match=r"^grad of pb: \d+ of 12 values differ"):
        check_sample_errors(no_temperature)
    with pytest.raises(CheckFailed, match="output does not require grad"):
        check_sample_errors(no_ste)
