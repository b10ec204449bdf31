"""Sionna's formulas for the discrete channels, each written once: constants, noise, errors, LLRs, straight-through ops.

Everything else imports them from here: the channel modules, both samplers,
:mod:`course_utils.gumbel` (notebook 10) and the exercise checkers of notebooks
11 to 14. Plain torch, any device; importing this module never imports TensorFlow.
"""
from __future__ import annotations

import torch

from .checks import require_float_tensor

__all__ = [
    "EPS",
    "TEMPERATURE",
    "binarize_ste",
    "gumbel_noise",
    "gumbel_softmax_errors",
    "llr_values",
    "logistic_from_gumbel",
    "logistic_noise",
    "memoryless_llrs",
    "ste_xor",
]

#: The small term Sionna adds inside its logarithms.
EPS = 1e-9
#: Sionna's Gumbel-softmax temperature.
TEMPERATURE = 0.1


# ----------------------------------------------------------------------------
# Noise
# ----------------------------------------------------------------------------

def gumbel_noise(u: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """Sionna's Gumbel noise ``-log(-log(u + eps) + eps)`` of uniforms ``u`` (not checked here).

    :func:`course_utils.gumbel.gumbel_from_uniform` is this formula with its input checks;
    the channels call it unchecked on every bit (they check given noise once).

    Parameters
    ----------
    u : torch.Tensor
        Uniforms in [0, 1), any float dtype and device.
    eps : float
        Term added inside both logarithms (Sionna: 1e-9).

    Output
    ------
    torch.Tensor
        Same shape, dtype and device as ``u``.

    Examples
    --------
    >>> import torch
    >>> [round(v, 4) for v in gumbel_noise(torch.tensor([0.1, 0.5, 0.9]), 0.0).tolist()]
    [-0.834, 0.3665, 2.2504]
    """
    return -torch.log(-torch.log(u + eps) + eps)


def logistic_from_gumbel(u: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """Logistic noise ``L = q0 - q1`` from the faithful sampler's Gumbel pairs of uniforms.

    Parameters
    ----------
    u : torch.Tensor
        Uniforms in [0, 1), shape ``[..., 2]`` (the last axis is the pair).
    eps : float
        Term inside the logarithms, as in the faithful sampler (Sionna: 1e-9).

    Output
    ------
    torch.Tensor
        ``u.shape[:-1]``: ``q0 - q1`` with ``q = -log(-log(u + eps) + eps)``.

    Examples
    --------
    >>> import torch
    >>> u = torch.rand(5, 2, generator=torch.Generator().manual_seed(0))
    >>> q = gumbel_noise(u)
    >>> torch.equal(logistic_from_gumbel(u), q[:, 0] - q[:, 1])
    True
    """
    q = gumbel_noise(u, eps)
    return q[..., 0] - q[..., 1]


def logistic_noise(u: torch.Tensor) -> torch.Tensor:
    """The fast sampler's logistic noise ``L = log(1 - u) - log(u)``: ``u < p`` exactly when ``l(p) + L > 0``.

    The negative of :func:`course_utils.gumbel.logistic_from_uniform`, unchecked and with
    one temporary less: it runs on every bit of every call. Returns a new tensor.

    Examples
    --------
    >>> import torch
    >>> [round(v, 4) for v in logistic_noise(torch.tensor([0.25, 0.5])).tolist()]
    [1.0986, 0.0]
    """
    return torch.log(1 - u).sub_(torch.log(u))


# ----------------------------------------------------------------------------
# Straight-through operations
# ----------------------------------------------------------------------------

class _BinarizeSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        # Sionna writes tf.where(x < .5, 0., 1.): NaN, which is not < .5, gives 1
        return (~(x < 0.5)).to(x.dtype)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        return grad_output


def binarize_ste(x: torch.Tensor) -> torch.Tensor:
    """Hard 0/1 decision ``x >= 0.5`` in the forward pass, identity in the backward pass.

    The straight-through binarizer of Sionna's channels (``x < 0.5 -> 0``, else 1, so a
    NaN gives 1 exactly as in Sionna); :func:`gumbel_softmax_errors` and
    :func:`course_utils.gumbel.relaxed_bernoulli` use it.

    Parameters
    ----------
    x : torch.Tensor
        Float tensor, typically a soft sample in [0, 1].

    Output
    ------
    torch.Tensor
        0. or 1. in the dtype of ``x``; its gradient is passed to ``x`` unchanged.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([0.2, 0.5, 0.7], requires_grad=True)
    >>> y = binarize_ste(x)
    >>> y.sum().backward()
    >>> y.tolist(), x.grad.tolist()
    ([0.0, 1.0, 1.0], [1.0, 1.0, 1.0])
    """
    require_float_tensor("x", x)
    return _BinarizeSTE.apply(x)


class _STEXor(torch.autograd.Function):
    """XOR of two binary tensors forward, identity to both inputs backward."""

    @staticmethod
    def forward(ctx, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        if a.is_floating_point():
            return torch.abs(a - b)
        # Sionna computes (a + b) mod 2; on {0, 1} that is the bitwise XOR, which
        # torch also provides for uint16/32/64 (where it has no addition).
        return torch.bitwise_xor(a, b)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):  # noqa: ANN001, ANN205
        return grad_output, grad_output


def ste_xor(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Straight-through XOR of two binary tensors of the same dtype.

    Parameters
    ----------
    a, b : torch.Tensor
        Values in {0, 1}, same dtype (float or integer), broadcastable.

    Output
    ------
    torch.Tensor
        ``|a - b|`` for floats, ``a ^ b`` for integers; backward passes the upstream
        gradient unchanged to both ``a`` and ``b`` (as Sionna's ``_custom_xor``).

    Examples
    --------
    >>> import torch
    >>> ste_xor(torch.tensor([0.0, 0.0, 1.0, 1.0]), torch.tensor([0.0, 1.0, 0.0, 1.0])).tolist()
    [0.0, 1.0, 1.0, 0.0]
    """
    return _STEXor.apply(a, b)


# ----------------------------------------------------------------------------
# Errors and LLRs
# ----------------------------------------------------------------------------

def gumbel_softmax_errors(p: torch.Tensor, u: torch.Tensor, temperature: float = TEMPERATURE,
                          eps: float = EPS) -> torch.Tensor:
    """Sionna's differentiable Bernoulli(``p``) error sample, from one Gumbel pair per bit.

    ``q = -log(-log(u + eps) + eps)`` turns the uniforms into Gumbel noise, class 0
    ("error") has probability ``p`` and class 1 ``1 - p``, the softmax of
    ``(log(prob + eps) + q) / temperature`` is hard-decided by :func:`binarize_ste`.

    Parameters
    ----------
    p : torch.Tensor
        Error probabilities in [0, 1], broadcastable to ``u.shape[:-1]``.
    u : torch.Tensor
        Uniforms in [0, 1), shape ``[..., 2]`` (the last axis is the Gumbel pair);
        not checked here (the channels check given noise).
    temperature : float
        Softmax temperature (Sionna: 0.1).
    eps : float
        Term added inside the logarithms (Sionna: 1e-9).

    Output
    ------
    torch.Tensor
        Shape ``u.shape[:-1]``, values in {0, 1} (1 = error), dtype of ``u``;
        differentiable w.r.t. ``p`` through the softmax (straight-through).

    Examples
    --------
    >>> import torch
    >>> p = torch.tensor(0.3, requires_grad=True)
    >>> u = torch.rand(10_000, 2, generator=torch.Generator().manual_seed(0))
    >>> errors = gumbel_softmax_errors(p, u)
    >>> sorted(set(errors.tolist())), round(errors.mean().item(), 1)
    ([0.0, 1.0], 0.3)
    >>> errors.sum().backward()
    >>> p.grad is not None  # straight-through gradient to p
    True
    """
    q = gumbel_noise(u, eps)
    probs = torch.stack((p, 1 - p), dim=-1)
    a = (torch.log(probs + eps) + q) / temperature
    e_cat = torch.softmax(a, dim=-1)
    return binarize_ste(e_cat[..., 0])


def llr_values(pb0: torch.Tensor, pb1: torch.Tensor, eps: float = EPS) -> tuple[torch.Tensor, torch.Tensor]:
    """Sionna's LLR magnitudes ``(w0, w1)`` of a received 0 and a received 1, before the sign.

    ``w0 = -(log(pb1 + eps) - log(1 - pb0 - eps))`` and
    ``w1 = log(1 - pb1 - eps) - log(pb0 + eps)``: the LLR of a bipolar output ``y`` is
    ``y * (w1 if y == 1 else w0)`` (:func:`memoryless_llrs`).

    Examples
    --------
    >>> import torch
    >>> w0, w1 = llr_values(torch.tensor(0.1), torch.tensor(0.1))
    >>> round(w0.item(), 4), round(w1.item(), 4)
    (2.1972, 2.1972)
    """
    w0 = -(torch.log(pb1 + eps) - torch.log(1 - pb0 - eps))
    w1 = torch.log(1 - pb1 - eps) - torch.log(pb0 + eps)
    return w0, w1


def memoryless_llrs(y: torch.Tensor, pb0: torch.Tensor, pb1: torch.Tensor, llr_max: float,
                    eps: float = EPS) -> torch.Tensor:
    """Sionna's LLRs of a binary memoryless channel's bipolar output, clipped to ``llr_max``.

    Parameters
    ----------
    y : torch.Tensor
        Received bipolar values (-1 for a received 0, 1 for a received 1), float.
    pb0, pb1 : torch.Tensor
        Error probabilities of a sent 0 and a sent 1, broadcastable to ``y``.
    llr_max : float
        Clipping value.
    eps : float
        Term added inside the logarithms (Sionna: 1e-9).

    Output
    ------
    torch.Tensor
        ``y * where(y == 1, w1, w0)`` with ``(w0, w1) =`` :func:`llr_values`, in the dtype
        of ``y``, clipped to ``[-llr_max, llr_max]``; differentiable w.r.t. ``y`` and the
        probabilities.

    Examples
    --------
    >>> import torch
    >>> y = torch.tensor([-1.0, 1.0])  # bipolar outputs
    >>> pb = torch.tensor(0.1)
    >>> [round(v, 4) for v in memoryless_llrs(y, pb, pb, llr_max=100.0).tolist()]
    [-2.1972, 2.1972]
    """
    w0, w1 = llr_values(pb0, pb1, eps)
    # multiplying by y keeps the gradient that reaches pb through the errors
    llr = torch.where(y == 1, w1, w0).to(y.dtype) * y
    return torch.clamp(llr, -llr_max, llr_max)
