import pytest
import torch

from course_utils import CheckFailed
from course_utils.exercises.gumbel_softmax import check_gumbel_max, check_hard_relaxed_bernoulli

from helpers import checker_output


def gumbel_max(logits, u):
    return (logits - torch.log(-torch.log(u))).argmax(dim=-1)


class STE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, s):
        return (s >= 0.5).to(s.dtype)

    @staticmethod
    def backward(ctx, g):
        return g


def hard_relaxed_bernoulli(p, u, tau):
    soft = torch.sigmoid((torch.log(p) - torch.log1p(-p) + torch.log(u) - torch.log1p(-u)) / tau)
    return STE.apply(soft)


def test_solutions_pass(capsys) -> None:
    check_gumbel_max(gumbel_max)
    check_hard_relaxed_bernoulli(hard_relaxed_bernoulli)
    # the detach trick is a valid answer too
    def detach_trick(p, u, tau):
        soft = torch.sigmoid((torch.logit(p) + torch.logit(u)) / tau)
        return (soft >= 0.5).to(soft.dtype) + soft - soft.detach()
    check_hard_relaxed_bernoulli(detach_trick)
    assert checker_output(capsys).count("correct:") == 3


def test_gumbel_max_wrong_answers_are_explained() -> None:
    with pytest.raises(CheckFailed, match=r"sampled class: \d+ of 60 values differ"):
        check_gumbel_max(lambda logits, u: (logits + torch.log(-torch.log(u))).argmax(-1))  # sign slip
    with pytest.raises(CheckFailed, match=r"sampled class: \d+ of 60 values differ"):
        check_gumbel_max(lambda logits, u: (logits + u).argmax(-1))  # uniform instead of Gumbel noise
    with pytest.raises(CheckFailed, match="integer class indices"):
        check_gumbel_max(lambda logits, u: torch.softmax(logits - torch.log(-torch.log(u)), -1))
    with pytest.raises(CheckFailed, match=r"sampled class: shape \(60, 1\) but expected \(60,\)"):
        check_gumbel_max(lambda logits, u: (logits - torch.log(-torch.log(u))).argmax(-1, keepdim=True))


def test_hard_relaxed_bernoulli_wrong_answers_are_explained() -> None:
    def soft_only(p, u, tau):
        return torch.sigmoid((torch.logit(p) + torch.logit(u)) / tau)

    def no_ste(p, u, tau):
        return (soft_only(p, u, tau) >= 0.5).to(p.dtype)

    def forgot_tau_in_gradient(p, u, tau):
        z = torch.logit(p) + torch.logit(u)
        soft = torch.sigmoid(z)
        return (z >= 0).to(p.dtype) + soft - soft.detach()

    def flipped_noise(p, u, tau):
        return STE.apply(torch.sigmoid((torch.logit(p) - torch.logit(u)) / tau))

    with pytest.raises(CheckFailed, match=r"^output: \d+ of 10 values differ"):
        check_hard_relaxed_bernoulli(soft_only)
    with pytest.raises(CheckFailed, match="output does not require grad"):
        check_hard_relaxed_bernoulli(no_ste)
    with pytest.raises(CheckFailed, match=r"^grad of p: 10 of 10 values differ"):
        check_hard_relaxed_bernoulli(forgot_tau_in_gradient)
    with pytest.raises(CheckFailed, match=r"^output: \d+ of 10 values differ"):
        check_hard_relaxed_bernoulli(flipped_noise)


def test_gumbel_max_uses_only_the_given_uniforms() -> None:
    def also_draws(logits, u):  # right classes, but it draws from the global generator
        torch.rand(1)
        return gumbel_max(logits, u)

    with pytest.raises(CheckFailed, match=r"^gumbel_max drew from torch's random generator: the uniforms u "
                                          r"must be the only randomness$"):
        check_gumbel_max(also_draws)

    def draws_its_own(p, u, tau):  # right values and gradient, plus a draw from the global generator
        torch.rand(1)
        return hard_relaxed_bernoulli(p, u, tau)

    with pytest.raises(CheckFailed, match="hard_relaxed_bernoulli drew from torch's random generator"):
        check_hard_relaxed_bernoulli(draws_its_own)
