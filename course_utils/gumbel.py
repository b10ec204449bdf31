"""Gumbel and logistic noise, Gumbel-softmax and the relaxed Bernoulli, with straight-through options.

Taught in notebook 10 (Gumbel-max and Gumbel-softmax). The discrete channels of
Part III sample their bit errors with a binary Gumbel-softmax: the formulas both
use (Sionna's Gumbel noise, the straight-through binarizer) are written once, in
:mod:`course_utils.channels.formulas`, and imported here. Everything here is plain
torch: it runs on any device, takes an optional ``torch.Generator`` for reproducible
noise, or the noise itself (``u``, ``gumbels``, ``noise``) so that two
implementations can be fed identical draws.

Two facts the notebook proves and the functions rely on:

- If ``u ~ Uniform(0, 1)`` then ``-log(-log u) ~ Gumbel(0, 1)`` and
  ``log u - log(1 - u) ~ Logistic(0, 1)``.
- The difference of two independent Gumbel(0, 1) variables is Logistic(0, 1), so
  the two-class Gumbel-softmax ``softmax([log p + g0, log(1-p) + g1] / tau)[0]``
  equals ``sigmoid((logit p + (g0 - g1)) / tau)``: a relaxed Bernoulli sample.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from .channels.checks import require_float_tensor as _require_float_tensor
from .channels.formulas import binarize_ste, gumbel_noise

__all__ = [
    "gumbel_from_uniform",
    "gumbel_softmax",
    "logistic_from_uniform",
    "one_hot_ste",
    "relaxed_bernoulli",
    "sample_gumbel",
    "sample_logistic",
]


# ----------------------------------------------------------------------------
# validation
# ----------------------------------------------------------------------------
def _require_in_unit_interval(name: str, value: torch.Tensor) -> None:
    if bool(torch.isnan(value).any()):
        raise ValueError(f"{name} contains NaN")
    if value.numel() and (bool((value < 0).any()) or bool((value > 1).any())):
        lo, hi = float(value.min()), float(value.max())
        raise ValueError(f"{name} must lie in [0, 1], got values in [{lo:.6g}, {hi:.6g}]")


def _check_tau(tau: float | torch.Tensor) -> None:
    if isinstance(tau, torch.Tensor):
        if not tau.is_floating_point():
            raise TypeError(f"tau must be a float or a floating-point tensor, got {tau.dtype}")
        if not bool((torch.isfinite(tau) & (tau > 0)).all()):
            raise ValueError("tau must be a finite number > 0 in every entry")
    elif isinstance(tau, (int, float)) and not isinstance(tau, bool):
        if not (tau > 0) or math.isinf(tau):
            raise ValueError(f"tau must be a finite number > 0, got {tau!r}")
    else:
        raise TypeError(f"tau must be a float or a tensor, got {type(tau).__name__}")


def _check_noise(name: str, noise: torch.Tensor, like: torch.Tensor) -> None:
    _require_float_tensor(name, noise)
    try:
        torch.broadcast_shapes(noise.shape, like.shape)
    except RuntimeError:
        raise ValueError(
            f"{name} of shape {tuple(noise.shape)} does not broadcast with shape {tuple(like.shape)}"
        ) from None


# ----------------------------------------------------------------------------
# noise
# ----------------------------------------------------------------------------
def gumbel_from_uniform(u: torch.Tensor, eps: float = 0.0) -> torch.Tensor:
    """Turn uniform draws into Gumbel(0, 1) draws: ``-log(-log(u + eps) + eps)``.

    Parameters
    ----------
    u : torch.Tensor
        Uniform draws in [0, 1], any float dtype and device.
    eps : float
        Added inside both logarithms, as Sionna does (``1e-9``) to keep ``u = 0``
        finite (``-log(-log(eps) + eps)``, about -3.03). Its uniforms lie in [0, 1);
        ``u = 1`` would give about 20.72 in float32 (``1 + eps`` rounds to 1) and NaN
        in float64. With the default 0, ``u = 0`` gives ``-inf`` and ``u = 1`` gives ``+inf``.

    Output
    ------
    torch.Tensor
        Same shape, dtype and device as ``u``.

    Examples
    --------
    >>> import torch
    >>> [round(v, 4) for v in gumbel_from_uniform(torch.tensor([0.1, 0.5, 0.9])).tolist()]
    [-0.834, 0.3665, 2.2504]
    """
    _require_float_tensor("u", u)
    _require_in_unit_interval("u", u)
    if not (eps >= 0):
        raise ValueError(f"eps must be >= 0, got {eps!r}")
    return gumbel_noise(u, eps)


def logistic_from_uniform(u: torch.Tensor) -> torch.Tensor:
    """Turn uniform draws into Logistic(0, 1) draws: ``log u - log(1 - u)`` (the logit of ``u``).

    Parameters
    ----------
    u : torch.Tensor
        Uniform draws in [0, 1]; ``u = 0`` gives ``-inf``, ``u = 1`` gives ``+inf``.

    Output
    ------
    torch.Tensor
        Same shape, dtype and device as ``u``.

    Examples
    --------
    >>> import torch
    >>> [round(v, 4) for v in logistic_from_uniform(torch.tensor([0.25, 0.5, 0.75])).tolist()]
    [-1.0986, 0.0, 1.0986]
    """
    _require_float_tensor("u", u)
    _require_in_unit_interval("u", u)
    return torch.log(u) - torch.log1p(-u)


def _uniform(
    shape: Sequence[int],
    generator: torch.Generator | None,
    device: torch.device | str | None,
    dtype: torch.dtype,
) -> torch.Tensor:
    if not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point dtype, got {dtype}")
    if device is None and generator is not None:
        device = generator.device
    return torch.rand(tuple(shape), generator=generator, device=device, dtype=dtype)


def sample_gumbel(
    shape: Sequence[int],
    *,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
    eps: float = 0.0,
) -> torch.Tensor:
    """Draw Gumbel(0, 1) noise of the given shape (uniforms through :func:`gumbel_from_uniform`).

    Parameters
    ----------
    shape : sequence of int
        Shape of the sample.
    generator : torch.Generator, optional
        Source of randomness (default: torch's global generator). Its device is
        used when ``device`` is not given.
    device, dtype
        Where and in which float precision to sample.
    eps : float
        See :func:`gumbel_from_uniform`.

    Output
    ------
    torch.Tensor
        Gumbel(0, 1) draws of shape ``shape``.

    Examples
    --------
    >>> import torch
    >>> g = sample_gumbel((2, 3), generator=torch.Generator().manual_seed(0))
    >>> u = torch.rand((2, 3), generator=torch.Generator().manual_seed(0))
    >>> g.shape, torch.equal(g, gumbel_from_uniform(u))
    (torch.Size([2, 3]), True)
    """
    return gumbel_from_uniform(_uniform(shape, generator, device, dtype), eps)


def sample_logistic(
    shape: Sequence[int],
    *,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Draw Logistic(0, 1) noise of the given shape (uniforms through :func:`logistic_from_uniform`).

    Parameters and output as in :func:`sample_gumbel` (without ``eps``).

    Examples
    --------
    >>> import torch
    >>> noise = sample_logistic((2, 3), generator=torch.Generator().manual_seed(0))
    >>> u = torch.rand((2, 3), generator=torch.Generator().manual_seed(0))
    >>> noise.shape, torch.equal(noise, logistic_from_uniform(u))
    (torch.Size([2, 3]), True)
    """
    return logistic_from_uniform(_uniform(shape, generator, device, dtype))


# ----------------------------------------------------------------------------
# straight-through estimators
# ----------------------------------------------------------------------------
class _OneHotSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, y: torch.Tensor, dim: int) -> torch.Tensor:  # noqa: ANN001
        index = y.argmax(dim=dim, keepdim=True)
        return torch.zeros_like(y).scatter_(dim, index, 1.0)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> tuple[torch.Tensor, None]:  # noqa: ANN001
        return grad_output, None


def one_hot_ste(y: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """One-hot of ``argmax(y)`` along ``dim`` forward, identity backward (straight-through).

    Parameters
    ----------
    y : torch.Tensor
        Float tensor, typically a soft (Gumbel-softmax) sample.
    dim : int
        The class dimension.

    Output
    ------
    torch.Tensor
        A one-hot tensor of the shape and dtype of ``y``; gradients flow to ``y`` as if it were ``y``.

    Examples
    --------
    >>> import torch
    >>> y = torch.tensor([[0.1, 0.7, 0.2]], requires_grad=True)
    >>> hard = one_hot_ste(y)
    >>> (hard * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    >>> hard.tolist(), y.grad.tolist()  # the gradient reaches every entry
    ([[0.0, 1.0, 0.0]], [[1.0, 2.0, 3.0]])
    """
    _require_float_tensor("y", y)
    return _OneHotSTE.apply(y, dim)


# ----------------------------------------------------------------------------
# relaxations
# ----------------------------------------------------------------------------
def gumbel_softmax(
    logits: torch.Tensor,
    tau: float | torch.Tensor,
    *,
    hard: bool = False,
    gumbels: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
    dim: int = -1,
) -> torch.Tensor:
    """Gumbel-softmax sample ``softmax((logits + g) / tau)`` of a categorical distribution.

    Parameters
    ----------
    logits : torch.Tensor
        Unnormalised log-probabilities (``log p`` up to a constant), classes along ``dim``.
    tau : float or torch.Tensor
        Temperature, > 0. Small ``tau``: nearly one-hot samples; large ``tau``: nearly uniform.
    hard : bool
        Return the one-hot of the sample's argmax, with the soft sample's gradient
        (straight-through, :func:`one_hot_ste`).
    gumbels : torch.Tensor, optional
        Gumbel(0, 1) noise broadcastable to ``logits``; drawn with ``generator`` when omitted.
    generator : torch.Generator, optional
        Source of the noise when ``gumbels`` is not given.
    dim : int
        The class dimension.

    Output
    ------
    torch.Tensor
        Shape of ``logits`` broadcast with ``gumbels``; sums to 1 along ``dim``.

    Examples
    --------
    >>> import torch
    >>> logits = torch.tensor([0.2, 0.8]).log()
    >>> [round(v, 4) for v in gumbel_softmax(logits, 1.0, gumbels=torch.zeros(2)).tolist()]  # no noise
    [0.2, 0.8]
    >>> gumbel_softmax(logits, 0.5, hard=True, generator=torch.Generator().manual_seed(0)).sum().item()
    1.0
    """
    _require_float_tensor("logits", logits)
    _check_tau(tau)
    if gumbels is None:
        gumbels = sample_gumbel(logits.shape, generator=generator, device=logits.device,
                                dtype=logits.dtype)
    else:
        _check_noise("gumbels", gumbels, logits)
    soft = torch.softmax((logits + gumbels) / tau, dim=dim)
    return one_hot_ste(soft, dim) if hard else soft


def relaxed_bernoulli(
    p: torch.Tensor,
    tau: float | torch.Tensor,
    *,
    hard: bool = False,
    noise: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Binary Gumbel-softmax (relaxed Bernoulli) sample ``sigmoid((logit p + noise) / tau)``.

    Equal to the first component of a two-class Gumbel-softmax with probabilities
    ``(p, 1 - p)`` when ``noise`` is the difference of the two classes' Gumbel
    noises; the same distribution as ``torch.distributions.RelaxedBernoulli(tau, probs=p)``.

    Parameters
    ----------
    p : torch.Tensor
        Probabilities of a 1, in [0, 1]. ``p = 0`` and ``p = 1`` give exactly 0 and 1
        (their logit is infinite), with a NaN gradient there: keep ``p`` inside (0, 1)
        when differentiating.
    tau : float or torch.Tensor
        Temperature, > 0.
    hard : bool
        Return the 0/1 decision ``soft >= 0.5`` (a Bernoulli(p) sample) with the
        soft sample's gradient (straight-through, :func:`~course_utils.channels.binarize_ste`).
    noise : torch.Tensor, optional
        Logistic(0, 1) noise broadcastable to ``p``; drawn with ``generator`` when omitted.
    generator : torch.Generator, optional
        Source of the noise when ``noise`` is not given.

    Output
    ------
    torch.Tensor
        Values in [0, 1] (exactly 0/1 when ``hard``), shape of ``p`` broadcast with ``noise``.

    Examples
    --------
    >>> import torch
    >>> p = torch.tensor([0.2, 0.9])
    >>> [round(v, 4) for v in relaxed_bernoulli(p, 1.0, noise=torch.zeros(2)).tolist()]  # no noise
    [0.2, 0.9]
    >>> relaxed_bernoulli(p, 0.1, hard=True, noise=torch.zeros(2)).tolist()
    [0.0, 1.0]
    """
    _require_float_tensor("p", p)
    _require_in_unit_interval("p", p)
    _check_tau(tau)
    if noise is None:
        noise = sample_logistic(p.shape, generator=generator, device=p.device, dtype=p.dtype)
    else:
        _check_noise("noise", noise, p)
    soft = torch.sigmoid((torch.log(p) - torch.log1p(-p) + noise) / tau)
    return binarize_ste(soft) if hard else soft
