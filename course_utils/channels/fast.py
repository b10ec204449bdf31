"""The fast error sampler: one uniform per bit, errors and LLRs in one fused autograd Function (notebook 14).

Selected with ``sampler="logistic"`` in the channels' constructors; the default
``"gumbel"`` (:class:`~course_utils.channels.GumbelSoftmaxSampler`) is the faithful
port of Sionna.

Why it is the same channel. For two classes the Gumbel-softmax's first output is
``softmax((log(p + eps) + q0, log(1 - p + eps) + q1) / tau)[0]
= sigmoid((l(p) + L) / tau)`` with ``l(p) = log(p + eps) - log(1 - p + eps)`` and
``L = q0 - q1``; the difference of two independent Gumbel(0, 1) variables is
Logistic(0, 1), and so is ``L = log(1 - u) - log(u)`` for one uniform ``u``. So one
uniform per bit, taken for the probability the input bit selects, replaces
Sionna's four, and the straight-through gradient is
``d sigmoid((l(p) + L) / tau) / dp = s (1 - s) (1 / (p + eps) + 1 / (1 - p + eps)) / tau``.

The hard decision needs no logarithm: with such a uniform, ``l(p) + L > 0`` is
``u < p``. The exact rule with ``eps`` would be ``u < (p + eps) / (1 + 2 eps)``;
the two thresholds differ by at most ``eps = 1e-9`` in probability, less than the
spacing of float32 uniforms (``2**-24``). The rule without ``eps`` is exact at
the edges in any precision: for uniforms in [0, 1), ``p = 0`` never and ``p = 1``
always flips. The faithful sampler guarantees that only in float32 (where its
Gumbel noise is bounded, notebook 11); in float64 a uniform within about ``2e-8``
of 1 can flip a ``p = 0`` bit there (notebook 14 shows one).

Two engines compute a call, each its own autograd Function; the sampler runs the
first of its ``engines`` that applies:

* :class:`~course_utils.channels.chunked.ChunkedEngine` (first by default): on the
  CPU, with one probability per channel, it works through the bits in chunks;
* :class:`~course_utils.channels.whole_tensor.WholeTensorEngine`: any device, any
  probability shape, and under ``torch.compile``.

Neither saves anything of the size of ``x`` but ``x`` and given noise (logistic noise
made from the faithful sampler's is new): backward works the errors out again from
``x`` and the noise, fresh noise drawn again from the generator's saved state (as
dropout implementations do). Both engines give the same outputs.

Noise given through ``noise=`` may be

* uniforms of shape ``x.shape``: exactly what a generator would have drawn
  (``ch(x, pb, generator=g)`` equals ``ch(x, pb, noise=torch.rand(x.shape, generator=g'))``
  for a copy ``g'`` of ``g``);
* the faithful sampler's uniforms, of shape ``(k, *x.shape, 2)``: the sampler
  turns each Gumbel pair into ``L = q0 - q1``
  (:func:`~course_utils.channels.formulas.logistic_from_gumbel`), picks the pair
  selected by the input bit and decides ``sigmoid((l(p) + L) / tau) >= 0.5``.
  Fed the same uniforms, the two samplers then give the same outputs and, to float
  rounding, the same gradients (a decision could differ only where ``l(p) + L``
  is within rounding of 0; none does among the 400 000 bits of
  ``tests/test_channels_fast.py``).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch

from .chunked import ChunkedEngine
from .config import ChannelConfig, NoiseKind
from .formulas import llr_values, logistic_from_gumbel
from .whole_tensor import WholeTensorEngine, error_mask

__all__ = ["LogisticSampler"]


def _traced_uniforms(x: torch.Tensor, dtype: torch.dtype, generator: torch.Generator | None) -> torch.Tensor:
    """Fresh uniforms of ``x.shape`` drawn inside a ``torch.compile`` graph.

    A traced graph cannot read a generator's state, so there the sampler draws the
    uniforms like given noise (and keeps them for backward) instead of drawing them again."""
    extra = {} if generator is None else {"generator": generator}
    return torch.rand(x.shape, dtype=dtype, device=x.device, **extra)


def _noise(x: torch.Tensor, noise: torch.Tensor | None, neutral: float | None,
           eps: float) -> tuple[torch.Tensor | None, NoiseKind]:
    """The noise of one call and its kind: fresh (``None``), uniforms of ``x.shape``, or logistic noise.

    Logistic noise comes from the pair of the probability that applies: the first where
    ``x == neutral`` (the first everywhere for ``neutral=None``: one probability)."""
    if noise is None:
        return None, NoiseKind.FRESH
    if noise.shape == x.shape:
        return noise, NoiseKind.UNIFORM
    pairs = logistic_from_gumbel(noise, eps)  # (k, *x.shape)
    if neutral is None:
        return pairs[0], NoiseKind.LOGISTIC
    return torch.where(x == neutral, pairs[0], pairs[-1]), NoiseKind.LOGISTIC


class LogisticSampler:
    """The fast error sampler: one uniform per bit, errors and LLRs in one fused autograd Function.

    Used by the channels built with ``sampler="logistic"`` (or given an instance); it
    replaces the whole error-and-output computation of a call (``fused = True``), so
    the channel hands it the checked inputs.

    Parameters
    ----------
    engines : sequence of engines
        Tried in order; the first that applies computes the call (default: the
        chunked CPU engine, then the whole-tensor engine, which always applies).

    Examples
    --------
    >>> import torch
    >>> from course_utils.channels import BinarySymmetricChannel
    >>> ch = BinarySymmetricChannel(sampler="logistic")
    >>> ch.sampler, ch.noise_shape((3, 4))  # one uniform per bit
    ('logistic', (3, 4))
    >>> pb = torch.tensor(0.1, requires_grad=True)
    >>> y = ch(torch.zeros(100_000), pb, generator=torch.Generator().manual_seed(0))
    >>> round(y.mean().item(), 2)
    0.1
    """

    name = "logistic"
    fused = True

    def __init__(self, engines: Sequence[ChunkedEngine | WholeTensorEngine] = (ChunkedEngine(),
                                                                              WholeTensorEngine())) -> None:
        engines = tuple(engines)
        if not engines or not all(callable(getattr(e, "memoryless", None)) for e in engines):
            raise TypeError("engines must be a non-empty sequence of engines (objects with a memoryless method)")
        self.engines = engines

    @staticmethod
    def noise_shape(num_probs: int, shape: Sequence[int]) -> tuple[int, ...]:
        """Shape of the uniforms this sampler draws: one per bit, ``shape``."""
        return tuple(shape)

    @staticmethod
    def noise_shapes(num_probs: int, shape: Sequence[int]) -> tuple[tuple[int, ...], ...]:
        """Accepted shapes of given noise: its own uniforms, or the faithful sampler's."""
        return (tuple(shape), (num_probs, *shape, 2))

    def memoryless(self, x: torch.Tensor, pb0: torch.Tensor, pb1: torch.Tensor,
                   noise: torch.Tensor | None, generator: torch.Generator | None,
                   cfg: ChannelConfig) -> torch.Tensor:
        """Output of a binary memoryless channel (hard values or LLRs) for checked inputs.

        ``pb0`` and ``pb1`` are clipped probabilities in the internal dtype (the same
        tensor object for the BSC); ``noise`` is ``None`` (draw from ``generator``) or a
        checked tensor of one of :meth:`noise_shapes`.
        """
        if torch.compiler.is_compiling() and noise is None:
            noise = _traced_uniforms(x, pb0.dtype, generator)
        noise, kind = _noise(x, noise, -1 if cfg.bipolar else 0, cfg.eps)
        w0, w1 = llr_values(pb0, pb1, cfg.eps) if cfg.llrs else (None, None)
        # pb1 = None for one probability: a Function traced by torch.compile may not
        # receive the same tensor twice
        p1 = None if pb0 is pb1 else pb1
        for engine in self.engines:
            out = engine.memoryless(x, pb0, p1, w0, w1, noise, kind, generator, cfg)
            if out is not None:
                return out
        raise ValueError(f"no engine of this sampler ({', '.join(e.name for e in self.engines)}) "
                         "applies to this call: add WholeTensorEngine(), which always applies")

    def erasure(self, x: torch.Tensor, p: torch.Tensor, noise: torch.Tensor | None,
                generator: torch.Generator | None, cfg: ChannelConfig) -> torch.Tensor:
        """Output of the binary erasure channel (not differentiable w.r.t. ``p``, as in Sionna)."""
        if noise is None:
            noise = _traced_uniforms(x, p.dtype, generator)
        noise, kind = _noise(x, noise, None, cfg.eps)
        with torch.no_grad():
            e = error_mask(x == x, p, None, noise, kind, cfg)
        if cfg.llrs:
            scale = torch.tensor(cfg.llr_max, dtype=x.dtype, device=x.device)
            values = (2 * x - 1) * scale if not cfg.bipolar else x * scale
            return values.masked_fill_(e, 0)  # an erasure has LLR 0
        return x.masked_fill(e, 0 if cfg.bipolar else -1)
