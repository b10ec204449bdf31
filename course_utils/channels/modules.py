"""The four discrete channels as :class:`torch.nn.Module` s: the BMC, and the BSC, Z channel and BEC built on it.

Built in notebook 12.

Each subclass only turns its ``pb`` into the BMC's pair of probabilities (the BSC:
``(pb, pb)``, the Z channel: ``(0, pb)``) and calls the base's computation, as in
Sionna; the BEC, whose output is ternary, shares the base's input checks and noise.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from .checks import (
    FLOATS,
    check_generator,
    check_noise,
    check_x_dtype,
    check_x_values,
    real_number,
    to_probability,
)
from .config import ChannelConfig
from .faithful import GumbelSoftmaxSampler
from .fast import LogisticSampler
from .formulas import EPS, TEMPERATURE, memoryless_llrs, ste_xor

__all__ = ["BinaryErasureChannel", "BinaryMemorylessChannel", "BinarySymmetricChannel", "BinaryZChannel"]

_SAMPLERS = {"gumbel": GumbelSoftmaxSampler, "logistic": LogisticSampler}


def _sampler(sampler: object) -> GumbelSoftmaxSampler | LogisticSampler:
    """The sampler object for a name or a sampler."""
    if isinstance(sampler, (GumbelSoftmaxSampler, LogisticSampler)):
        return sampler
    if not isinstance(sampler, str):
        raise TypeError('sampler must be "gumbel", "logistic" or a sampler (GumbelSoftmaxSampler, '
                        f"LogisticSampler), got {type(sampler).__name__}")
    if sampler not in _SAMPLERS:
        raise ValueError(f'sampler must be "gumbel" or "logistic", got {sampler!r}')
    return _SAMPLERS[sampler]()


class BinaryMemorylessChannel(nn.Module):
    r"""Discrete binary memoryless channel with (possibly) asymmetric bit-flipping probabilities.

    A port of ``sionna.phy.channel.BinaryMemorylessChannel`` (Sionna 1.2.2): an
    input 0 is flipped with probability :math:`p_\text{b,0}`, an input 1 with
    probability :math:`p_\text{b,1}`. Inputs are binary (:math:`\{0, 1\}`) or
    bipolar (:math:`\{-1, 1\}`, with -1 in the role of 0). If ``return_llrs``,
    the channel returns log-likelihood ratios (Sionna's logit convention
    :math:`\log p(x=1)/p(x=0)`)

    .. math::
        \ell = \begin{cases}
            \log \frac{p_{b,1}}{1-p_{b,0}}, & y=0 \\
            \log \frac{1-p_{b,1}}{p_{b,0}}, & y=1
        \end{cases}

    computed, with ``eps = 1e-9`` and the bipolar output ``y_b = 2 y - 1``, as
    ``y_b * where(y_b == 1, log(1 - pb1 - eps) - log(pb0 + eps),
    -(log(pb1 + eps) - log(1 - pb0 - eps)))`` and clipped to ``[-llr_max, llr_max]``. (In float32,
    ``1 - 1e-9 == 1``: ``pb0 = 1`` gives ``log`` of a negative number, NaN, exactly as in Sionna.)

    Errors are sampled with the Gumbel-softmax trick (temperature 0.1) and
    applied through straight-through estimators, so the output is differentiable
    w.r.t. ``pb``. Probabilities outside [0, 1] are clipped to [0, 1].

    Parameters
    ----------
    return_llrs : bool
        Return LLRs instead of hard values (default ``False``).
    bipolar_input : bool
        Inputs are :math:`\{-1, 1\}` instead of :math:`\{0, 1\}` (default ``False``).
    llr_max : float
        Clipping value of the LLRs, non-negative (default 100). Stored rounded to ``dtype``.
    dtype : torch.float32 | torch.float64
        Precision of the internal computation (probabilities, noise, LLRs), like
        Sionna's ``precision`` "single" / "double" (default ``torch.float32``).
    temperature : float
        Gumbel-softmax temperature, positive (default 0.1, Sionna's value).
    check_input : bool
        Validate the values of ``x``, ``pb`` and ``noise`` on every call (one
        extra pass over ``x``; default ``True``). Dtypes and shapes are always checked.
    sampler : "gumbel" | "logistic" | GumbelSoftmaxSampler | LogisticSampler
        The error sampler: ``"gumbel"`` (default) follows Sionna, four uniforms per
        bit; ``"logistic"`` draws one uniform per bit in a fused autograd Function
        (:mod:`course_utils.channels.fast`), with the same output distribution and
        gradients; or a sampler object (e.g. a ``LogisticSampler`` with chosen engines).
        The logistic sampler also accepts ``noise`` of shape ``x.shape`` (its own uniforms);
        given the Gumbel uniforms below, both samplers return the same values.

    Input
    -----
    x : [...], torch.Tensor
        Binary or bipolar values. Supported dtypes (as Sionna 1.2.2):
        float32, float64 and signed integers; unsigned integers too for binary
        hard outputs; LLRs need float32 or float64. Anything else: ``TypeError``.
    pb : [..., 2] torch.Tensor, or a pair ``(pb0, pb1)`` of numbers or tensors
        Error probabilities, broadcastable to ``x`` (a tensor's last dimension
        holds ``pb0, pb1``). Gradients flow to tensors that require grad.
    noise : torch.Tensor, optional (keyword)
        Uniforms in [0, 1) to use instead of fresh ones (a 1 is refused), of shape
        ``noise_shape(x.shape)`` = ``(2, *x.shape, 2)``: ``noise[k, ..., j]`` is
        uniform ``j`` of the Gumbel pair for ``pb_k`` (Sionna draws them in the
        order ``[0, ..., 0], [0, ..., 1], [1, ..., 0], [1, ..., 1]``).
    generator : torch.Generator, optional (keyword)
        Source of the fresh uniforms (on the device of ``x``), for reproducible
        runs; the global generator when omitted.

    Output
    ------
    [...], torch.Tensor
        Same shape and dtype as ``x``: the channel output, or LLRs if ``return_llrs``.

    Examples
    --------
    >>> import torch
    >>> ch = BinaryMemorylessChannel()
    >>> x = torch.tensor([0.0, 1.0, 0.0, 1.0])
    >>> ch(x, torch.tensor([0.0, 0.0])).tolist()  # pb0 = pb1 = 0: nothing flips
    [0.0, 1.0, 0.0, 1.0]
    >>> ch(x, torch.tensor([1.0, 0.0])).tolist()  # pb0 = 1: every 0 becomes 1
    [1.0, 1.0, 1.0, 1.0]
    >>> g = torch.Generator().manual_seed(0)
    >>> pb = torch.tensor([0.1, 0.2], requires_grad=True)
    >>> y = ch(torch.zeros(1000), pb, generator=g)
    >>> y.sum().backward()
    >>> pb.grad.tolist()[1]  # no 1 was sent, so pb1 changes nothing
    0.0
    """

    _num_probs = 2

    def __init__(self, return_llrs: bool = False, bipolar_input: bool = False,
                 llr_max: float = 100.0, dtype: torch.dtype = torch.float32, *,
                 temperature: float = TEMPERATURE, check_input: bool = True,
                 sampler: str | GumbelSoftmaxSampler | LogisticSampler = "gumbel") -> None:
        super().__init__()
        for name, flag in (("return_llrs", return_llrs), ("bipolar_input", bipolar_input),
                           ("check_input", check_input)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be bool, got {type(flag).__name__}")
        if dtype not in FLOATS:
            raise TypeError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
        self._return_llrs = return_llrs
        self._bipolar_input = bipolar_input
        self._dtype = dtype
        self.check_input = check_input
        self._llr_max = self._temperature = None
        self.llr_max = llr_max
        self.temperature = temperature
        self._sampler = _sampler(sampler)

    @property
    def return_llrs(self) -> bool:
        """Whether the channel returns LLRs instead of hard values."""
        return self._return_llrs

    @property
    def bipolar_input(self) -> bool:
        """Whether inputs are bipolar, {-1, 1}."""
        return self._bipolar_input

    @property
    def sampler(self) -> str:
        """Name of the error sampler, ``"gumbel"`` or ``"logistic"``."""
        return self._sampler.name

    @property
    def dtype(self) -> torch.dtype:
        """Precision of the internal computation."""
        return self._dtype

    @property
    def llr_max(self) -> float:
        """Clipping value of the LLRs (get/set; non-negative, rounded to ``dtype``)."""
        return self._llr_max

    @llr_max.setter
    def llr_max(self, value: float) -> None:
        v = real_number("llr_max", value)
        if math.isnan(v) or v < 0:
            raise ValueError(f"llr_max must be non-negative, got {v}")
        self._llr_max = float(torch.tensor(v, dtype=self._dtype))
        self._configure()

    @property
    def temperature(self) -> float:
        """Gumbel-softmax temperature (get/set; positive and finite, rounded to ``dtype``)."""
        return self._temperature

    @temperature.setter
    def temperature(self, value: float) -> None:
        v = real_number("temperature", value)
        if not (math.isfinite(v) and v > 0):
            raise ValueError(f"temperature must be positive and finite, got {v}")
        self._temperature = float(torch.tensor(v, dtype=self._dtype))
        self._configure()

    def noise_shape(self, shape: Sequence[int]) -> tuple[int, ...]:
        """Shape of the ``noise`` a call on inputs of ``shape`` consumes."""
        return self._sampler.noise_shape(self._num_probs, tuple(shape))

    @property
    def config(self) -> ChannelConfig:
        """What the channel computes, as handed to its sampler (rebuilt when ``llr_max`` or ``temperature`` is set)."""
        return self._config

    def _configure(self) -> None:
        if self._llr_max is not None and self._temperature is not None:
            self._config = ChannelConfig(bipolar=self._bipolar_input, llrs=self._return_llrs,
                                         llr_max=self._llr_max, temperature=self._temperature, eps=EPS)

    def extra_repr(self) -> str:
        return (f"return_llrs={self._return_llrs}, bipolar_input={self._bipolar_input}, "
                f"llr_max={self._llr_max:g}, dtype={self._dtype}, "
                f"temperature={self._temperature:g}, sampler={self._sampler.name!r}")

    # -- checks ---------------------------------------------------------------------
    # -- the channel ----------------------------------------------------------------

    _allow_uint = True  # unsigned integer inputs (no erasure symbol in them: the BEC refuses them)

    def _inputs(self, x: object, pb: object, noise: torch.Tensor | None,
                generator: torch.Generator | None) -> tuple[tuple[torch.Tensor, ...], torch.Tensor | None]:
        """Checked probabilities (:meth:`_probabilities`) and noise (``None``: a fused sampler draws it)."""
        check_x_dtype(x, llrs=self._return_llrs, bipolar=self._bipolar_input, allow_uint=self._allow_uint)
        probs = self._probabilities(x, pb)
        if self.check_input:
            check_x_values(x, bipolar=self._bipolar_input)
        if noise is None:
            if generator is not None:
                check_generator(generator, x)
            if self._sampler.fused:
                return probs, None
            return probs, self._sampler.draw(self._num_probs, x.shape, dtype=self._dtype,
                                             device=x.device, generator=generator)
        if generator is not None:
            raise ValueError("give either noise or generator, not both")
        check_noise(noise, x, self._sampler.noise_shapes(self._num_probs, tuple(x.shape)), self.check_input)
        return probs, noise.detach().to(device=x.device, dtype=self._dtype)

    def _probability(self, x: torch.Tensor, pb: object) -> torch.Tensor:
        return to_probability("pb", pb, x, self._dtype, self.check_input)

    def _probabilities(self, x: torch.Tensor, pb: object) -> tuple[torch.Tensor, ...]:
        """``(pb0, pb1)``: clipped tensors in ``dtype`` on the device of ``x``."""
        if isinstance(pb, (tuple, list)):
            if len(pb) != 2:
                raise ValueError(f"pb must be a pair (pb0, pb1), got {len(pb)} values")
            pb0, pb1 = pb
        elif isinstance(pb, torch.Tensor):
            if pb.dim() == 0 or pb.shape[-1] != 2:
                raise ValueError(f"the last dimension of pb must have length 2 (pb0, pb1), "
                                 f"got pb of shape {tuple(pb.shape)}")
            pb0, pb1 = pb[..., 0], pb[..., 1]
        else:
            raise ValueError("pb must be a pair (pb0, pb1) or a tensor whose last dimension "
                             f"is 2, got {type(pb).__name__}")
        return self._probability(x, pb0), self._probability(x, pb1)

    def forward(self, x: torch.Tensor, pb: object, *, noise: torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
        (pb0, pb1), u = self._inputs(x, pb, noise, generator)
        cfg = self._config
        if self._sampler.fused:
            return self._sampler.memoryless(x, pb0, pb1, u, generator, cfg)

        neutral = -1 if cfg.bipolar else 0
        # e0 applies where x is 0 (or -1), e1 where x is 1
        e = self._sampler((pb0, pb1), x == neutral, u, cfg.temperature, cfg.eps).to(x.dtype)
        y = x * (-2 * e + 1) if cfg.bipolar else ste_xor(x, e)  # bipolar: flip the sign where e == 1
        if not cfg.llrs:
            return y
        if not cfg.bipolar:
            y = 2 * y - 1  # to bipolar
        return memoryless_llrs(y, pb0, pb1, cfg.llr_max, cfg.eps)


class BinarySymmetricChannel(BinaryMemorylessChannel):
    r"""Binary symmetric channel: flips every bit with probability :math:`p_\text{b}`.

    A port of ``sionna.phy.channel.BinarySymmetricChannel`` (Sionna 1.2.2): the
    :class:`BinaryMemorylessChannel` with ``pb0 = pb1 = pb``. LLRs are
    :math:`\log\frac{p_b}{1-p_b}` for :math:`y=0` and :math:`\log\frac{1-p_b}{p_b}`
    for :math:`y=1`, clipped to ``[-llr_max, llr_max]``.

    Parameters
    ----------
    return_llrs, bipolar_input, llr_max, dtype, temperature, check_input, sampler
        As for :class:`BinaryMemorylessChannel`.

    Input
    -----
    x : [...], torch.Tensor
        Binary or bipolar values (dtypes as for :class:`BinaryMemorylessChannel`).
    pb : float or torch.Tensor
        Bit-flipping probability, a number or a tensor broadcastable to ``x``;
        clipped to [0, 1]. Gradients flow to tensors that require grad.
    noise : torch.Tensor, optional (keyword)
        Uniforms of shape ``(2, *x.shape, 2)``, as for :class:`BinaryMemorylessChannel`.
    generator : torch.Generator, optional (keyword)
        Source of fresh uniforms.

    Output
    ------
    [...], torch.Tensor
        Same shape and dtype as ``x``: the channel output, or LLRs if ``return_llrs``.

    Examples
    --------
    >>> import torch
    >>> ch = BinarySymmetricChannel(return_llrs=True)
    >>> [round(v, 4) for v in ch(torch.tensor([0.0, 1.0]), 0.0).tolist()]  # pb = 0: +-log((1 - eps) / eps)
    [-20.7233, 20.7233]
    """

    def _probabilities(self, x: torch.Tensor, pb: object) -> tuple[torch.Tensor, torch.Tensor]:
        p = self._probability(x, pb)
        return p, p  # one tensor: the logistic sampler's engines recognise the BSC by it


class BinaryZChannel(BinaryMemorylessChannel):
    r"""Binary Z-channel: a 1 becomes 0 with probability :math:`p_\text{b}`; a 0 is always received.

    A port of ``sionna.phy.channel.BinaryZChannel`` (Sionna 1.2.2): the
    :class:`BinaryMemorylessChannel` with ``pb0 = 0`` and ``pb1 = pb``. LLRs are
    :math:`\log p_b` for :math:`y=0` and, for :math:`y=1`, Sionna's documented
    :math:`\infty` is in fact ``log((1 - pb - eps) / eps)`` (about 20.7 for small
    ``pb``), clipped to ``llr_max``.

    Parameters
    ----------
    return_llrs, bipolar_input, llr_max, dtype, temperature, check_input, sampler
        As for :class:`BinaryMemorylessChannel`.

    Input
    -----
    x : [...], torch.Tensor
        Binary or bipolar values (dtypes as for :class:`BinaryMemorylessChannel`).
    pb : float or torch.Tensor
        Error probability of a 1, a number or a tensor broadcastable to ``x``;
        clipped to [0, 1]. Gradients flow to tensors that require grad.
    noise : torch.Tensor, optional (keyword)
        Uniforms of shape ``(2, *x.shape, 2)``, as for :class:`BinaryMemorylessChannel`
        (the first pair drives the never-flipping ``pb0 = 0``, as in Sionna).
    generator : torch.Generator, optional (keyword)
        Source of fresh uniforms.

    Output
    ------
    [...], torch.Tensor
        Same shape and dtype as ``x``: the channel output, or LLRs if ``return_llrs``.

    Examples
    --------
    >>> import torch
    >>> ch = BinaryZChannel()
    >>> ch(torch.zeros(5), 1.0).tolist()  # a 0 is always received
    [0.0, 0.0, 0.0, 0.0, 0.0]
    >>> ch(torch.ones(5), 1.0).tolist()  # with pb = 1, every 1 becomes 0
    [0.0, 0.0, 0.0, 0.0, 0.0]
    """

    def _probabilities(self, x: torch.Tensor, pb: object) -> tuple[torch.Tensor, torch.Tensor]:
        p = self._probability(x, pb)
        return torch.zeros_like(p), p


class BinaryErasureChannel(BinaryMemorylessChannel):
    r"""Binary erasure channel: each bit is erased with probability :math:`p_\text{b}`.

    A port of ``sionna.phy.channel.BinaryErasureChannel`` (Sionna 1.2.2). Hard
    outputs are ternary: an erasure is ``-1`` for binary inputs and ``0`` for
    bipolar inputs (so unsigned integer inputs are refused). LLRs are
    ``-llr_max`` for a received 0, ``+llr_max`` for a received 1 and ``0`` for an
    erasure. One Gumbel pair per bit draws the erasure pattern. As in Sionna, the
    output is not differentiable w.r.t. ``pb`` (the pattern only selects values).

    Parameters
    ----------
    return_llrs, bipolar_input, llr_max, dtype, temperature, check_input, sampler
        As for :class:`BinaryMemorylessChannel`.

    Input
    -----
    x : [...], torch.Tensor
        Binary or bipolar values: float32, float64 or a signed integer (LLRs:
        float32 or float64).
    pb : float or torch.Tensor
        Erasure probability, a number or a tensor broadcastable to ``x``; clipped to [0, 1].
    noise : torch.Tensor, optional (keyword)
        Uniforms of shape ``noise_shape(x.shape)`` = ``(1, *x.shape, 2)``.
    generator : torch.Generator, optional (keyword)
        Source of fresh uniforms.

    Output
    ------
    [...], torch.Tensor
        Same shape and dtype as ``x``: ternary hard values, or LLRs if ``return_llrs``.

    Examples
    --------
    >>> import torch
    >>> BinaryErasureChannel()(torch.tensor([0.0, 1.0]), 1.0).tolist()  # erased: -1
    [-1.0, -1.0]
    >>> BinaryErasureChannel(bipolar_input=True)(torch.tensor([-1.0, 1.0]), 1.0).tolist()  # erased: 0
    [0.0, 0.0]
    >>> BinaryErasureChannel(return_llrs=True)(torch.tensor([0.0, 1.0]), 0.0).tolist()
    [-100.0, 100.0]
    """

    _num_probs = 1
    _allow_uint = False

    def _probabilities(self, x: torch.Tensor, pb: object) -> tuple[torch.Tensor]:
        return (self._probability(x, pb),)

    def forward(self, x: torch.Tensor, pb: object, *, noise: torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
        (p,), u = self._inputs(x, pb, noise, generator)
        cfg = self._config
        if self._sampler.fused:
            return self._sampler.erasure(x, p, u, generator, cfg)
        e = self._sampler((p,), None, u, cfg.temperature, cfg.eps)

        zero = torch.zeros((), dtype=x.dtype, device=x.device)
        if cfg.llrs:
            if not cfg.bipolar:
                x = 2 * x - 1
            x = x * torch.tensor(cfg.llr_max, dtype=x.dtype, device=x.device)
            return torch.where(e == 1, zero, x)  # an erasure has LLR 0
        erased = zero if cfg.bipolar else torch.full((), -1, dtype=x.dtype, device=x.device)
        return torch.where(e == 0, x, erased)
