"""What a channel hands its sampler: its settings (:class:`ChannelConfig`) and the noise kind (:class:`NoiseKind`)."""
from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["ChannelConfig", "NoiseKind"]


@dataclass(frozen=True)
class ChannelConfig:
    """What a channel computes, fixed at construction: output kind, input kind and Sionna's constants.

    Frozen, so ``torch.compile`` treats it as a constant of the graph.

    Examples
    --------
    >>> cfg = ChannelConfig(bipolar=False, llrs=True, llr_max=100.0, temperature=0.1, eps=1e-9)
    >>> cfg.llrs, cfg.llr_max
    (True, 100.0)
    """

    #: Inputs (and hard outputs) are {-1, 1} instead of {0, 1}.
    bipolar: bool
    #: The channel returns LLRs instead of hard values.
    llrs: bool
    #: Clipping value of the LLRs.
    llr_max: float
    #: Gumbel-softmax temperature.
    temperature: float
    #: Term inside the logarithms.
    eps: float


class NoiseKind(enum.Enum):
    """Where the logistic sampler's noise of one call comes from.

    Examples
    --------
    >>> NoiseKind("uniform") is NoiseKind.UNIFORM
    True
    """

    #: Drawn from a generator; backward draws the same uniforms again from its saved state.
    FRESH = "fresh"
    #: Uniforms of ``x.shape``, given (or drawn inside a compiled graph) and saved for backward.
    UNIFORM = "uniform"
    #: Logistic noise from the faithful sampler's Gumbel pairs, saved for backward.
    LOGISTIC = "logistic"
