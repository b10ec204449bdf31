"""The logistic sampler's per-probability formulas, shared by its two engines (notebook 14).

With ``l(p) = log(p + eps) - log(1 - p + eps)`` and the logistic noise ``L`` of
:func:`~course_utils.channels.formulas.logistic_noise`, the soft error sample is
``s = sigmoid((l(p) + L) / tau)`` and its derivative w.r.t. ``p`` is
``s (1 - s) h(p)`` with ``h(p) = (1 / (p + eps) + 1 / (1 - p + eps)) / tau``.
"""
from __future__ import annotations

import torch

__all__ = ["default_generator", "log_odds", "slope", "sum_to"]


def log_odds(p: torch.Tensor, eps: float) -> torch.Tensor:
    """``l(p) = log(p + eps) - log(1 - p + eps)``: the error's log-odds, as the faithful sampler's softmax sees them.

    Examples
    --------
    >>> import torch
    >>> log_odds(torch.tensor(0.5), 1e-9).item()
    0.0
    """
    return torch.log(p + eps) - torch.log(1 - p + eps)


def slope(p: torch.Tensor, eps: float, temperature: float) -> torch.Tensor:
    """``h(p) = (1 / (p + eps) + 1 / (1 - p + eps)) / tau``: ``d ((l(p) + L) / tau) / dp``.

    Examples
    --------
    >>> import torch
    >>> round(slope(torch.tensor(0.5), 0.0, 0.1).item(), 4)
    40.0
    """
    return (1 / (p + eps) + 1 / (1 - p + eps)) / temperature


def sum_to(t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """A per-bit gradient reduced to the shape (and dtype) of the broadcast input ``like``.

    Examples
    --------
    >>> import torch
    >>> sum_to(torch.ones(2, 3), torch.zeros(3)).tolist()
    [2.0, 2.0, 2.0]
    """
    if t.shape == like.shape:
        return t.to(like.dtype)
    return t.sum_to_size(like.shape).to(like.dtype)


def default_generator(device: torch.device) -> torch.Generator:
    """torch's global generator of ``device`` (``ValueError`` for a device other than cpu or cuda).

    Examples
    --------
    >>> import torch
    >>> default_generator(torch.device("cpu")) is torch.default_generator
    True
    """
    if device.type == "cpu":
        return torch.default_generator
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return torch.cuda.default_generators[index]
    raise ValueError(f"the logistic sampler draws its own noise only on cpu or cuda, "
                     f"not on {device.type}: pass noise=")
