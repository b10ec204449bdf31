"""Checkers for the exercises of notebook 10 (Gumbel-max and Gumbel-softmax)."""
from __future__ import annotations

from collections.abc import Callable

import torch

from ..checking import CheckFailed, call_answer, check_function, compare
from ..env import device
from ..gumbel import logistic_from_uniform, relaxed_bernoulli


def _uniforms(shape: tuple[int, ...], seed: int) -> torch.Tensor:
    # Fixed uniforms, kept away from 0 and 1, drawn on the CPU so that every
    # device checks the same numbers.
    u = torch.rand(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return (0.001 + 0.998 * u).to(device())


def _rng_states() -> list[torch.Tensor]:
    return [torch.get_rng_state(), *(torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [])]


def _without_drawing(name: str, run: Callable[[], object]) -> object:
    """``run()``, failing if it drew from torch's global generators (the given uniforms must be the only randomness)."""
    before = _rng_states()
    result = run()
    if not all(torch.equal(a, b) for a, b in zip(before, _rng_states())):
        raise CheckFailed(f"{name} drew from torch's random generator: the uniforms u must be "
                          "the only randomness")
    return result


def check_gumbel_max(gumbel_max: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """Check exercise 10.1: Gumbel-max sampling from given uniforms.

    ``gumbel_max(logits, u)`` returns ``argmax(logits - log(-log u))`` over the last dim,
    with ``u`` as its only randomness (torch's generators are left untouched)."""
    logits = torch.log(torch.tensor([[0.1, 0.2, 0.3, 0.4],
                                     [0.7, 0.1, 0.1, 0.1],
                                     [0.25, 0.25, 0.25, 0.25]], dtype=torch.float64, device=device()))
    logits = logits.repeat(20, 1)  # 60 rows of 4 classes
    u = _uniforms((60, 4), seed=10)
    got = _without_drawing("gumbel_max", lambda: call_answer(gumbel_max, logits.clone(), u.clone()))
    if not isinstance(got, torch.Tensor):
        raise CheckFailed(f"expected a tensor of class indices, got {type(got).__name__}")
    if got.is_floating_point():
        raise CheckFailed(f"expected integer class indices (as argmax returns), got dtype {got.dtype}")
    expected = (logits - torch.log(-torch.log(u))).argmax(dim=-1)
    compare("sampled class", got, expected, check=True, verbose=False)
    print("correct: gumbel_max picks the same class as the reference for all 60 rows of uniforms")


def check_hard_relaxed_bernoulli(
    hard_relaxed_bernoulli: Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor],
) -> None:
    """Check exercise 10.2: a straight-through relaxed Bernoulli sample.

    ``hard_relaxed_bernoulli(p, u, tau)``: a 0/1 sample from one uniform per
    element (its only randomness), whose gradient w.r.t. ``p`` is that of the soft sample
    ``sigmoid((logit p + logit u) / tau)``."""
    p = torch.tensor([0.05, 0.2, 0.35, 0.5, 0.5, 0.65, 0.8, 0.95, 0.3, 0.7],
                     dtype=torch.float64, device=device())
    u = _uniforms((10,), seed=11)
    tau = 0.5

    def reference(q: torch.Tensor) -> torch.Tensor:
        return relaxed_bernoulli(q, tau, hard=True, noise=logistic_from_uniform(u))

    _without_drawing("hard_relaxed_bernoulli", lambda: check_function(
        lambda q: hard_relaxed_bernoulli(q, u.clone(), tau), reference, [p], names=["p"]))
    print("correct: 0/1 forward and the soft sample's gradient w.r.t. p at 10 points")
