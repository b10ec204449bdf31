"""The faithful error sampler: Sionna's Gumbel-softmax, one Gumbel pair per bit and probability (notebook 12)."""
from __future__ import annotations

from collections.abc import Sequence

import torch

from .formulas import gumbel_softmax_errors

__all__ = ["GumbelSoftmaxSampler"]


class GumbelSoftmaxSampler:
    """The faithful error sampler: Sionna's Gumbel-softmax, one Gumbel pair per bit and probability.

    A channel holds one sampler and uses only its members below, so another sampler
    with the same members can replace it. A sampler with ``fused = True``
    (:class:`~course_utils.channels.LogisticSampler`) instead computes the whole
    output itself, through its ``memoryless`` and ``erasure`` methods.

    Examples
    --------
    >>> from course_utils.channels import BinarySymmetricChannel
    >>> sampler = GumbelSoftmaxSampler()
    >>> sampler.noise_shape(2, (3, 4))  # a pair of uniforms per bit and probability
    (2, 3, 4, 2)
    >>> BinarySymmetricChannel().sampler  # the channels' default
    'gumbel'
    """

    name = "gumbel"
    fused = False  # the channel applies the errors itself (see LogisticSampler for a fused one)

    @staticmethod
    def noise_shape(num_probs: int, shape: Sequence[int]) -> tuple[int, ...]:
        """Shape of the uniforms for ``num_probs`` probabilities and inputs of ``shape``.

        ``(num_probs, *shape, 2)``; ``noise[k, ..., j]`` is uniform ``j`` of the pair for ``pb_k``."""
        return (num_probs, *shape, 2)

    def noise_shapes(self, num_probs: int, shape: Sequence[int]) -> tuple[tuple[int, ...], ...]:
        """Accepted shapes of given noise: only :meth:`noise_shape`."""
        return (self.noise_shape(num_probs, shape),)

    def draw(self, num_probs: int, shape: Sequence[int], *, dtype: torch.dtype,
             device: torch.device, generator: torch.Generator | None) -> torch.Tensor:
        """Fresh uniforms in [0, 1) of shape :meth:`noise_shape`."""
        # no generator= when None: torch.compile cannot trace generator=None under dynamic shapes
        extra = {} if generator is None else {"generator": generator}
        return torch.rand(self.noise_shape(num_probs, shape), dtype=dtype, device=device, **extra)

    def __call__(self, probs: Sequence[torch.Tensor], pick_first: torch.Tensor | None,
                 noise: torch.Tensor, temperature: float, eps: float) -> torch.Tensor:
        """Error pattern (1 = error) with the straight-through gradient w.r.t. the probabilities.

        With two probabilities, both error patterns are drawn for every bit (as in
        Sionna) and ``pick_first`` selects the first where True, the second elsewhere.
        """
        errors = [gumbel_softmax_errors(p, noise[k], temperature, eps) for k, p in enumerate(probs)]
        if pick_first is None:
            return errors[0]
        return torch.where(pick_first, errors[0], errors[1])
