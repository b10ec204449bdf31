"""Checkers for the exercises of notebook 14 (a fast channel sampler)."""
from __future__ import annotations

from collections.abc import Callable

import torch

from ..channels import BinarySymmetricChannel
from ..channels.formulas import EPS, TEMPERATURE
from ..checking import CheckFailed, compare
from ..env import device


def _uniforms_and_probs() -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(14)
    u = torch.rand(257, generator=gen, dtype=torch.float64)
    u[:3] = torch.tensor([0.0, 0.5, 1 - 2**-53], dtype=torch.float64)  # the edges of [0, 1)
    p = torch.rand(257, generator=gen, dtype=torch.float64)
    p[:4] = torch.tensor([0.0, 0.5, 1.0, 0.25], dtype=torch.float64)
    return u.to(device()), p.to(device())


def check_logistic_noise(logistic_noise: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """Exercise 14.1: ``logistic_noise(u)`` is the L with ``u < p`` if and only if ``l(p) + L > 0``."""
    u, p = _uniforms_and_probs()
    inner = (u > 0) & (p > 0) & (p < 1)
    ours = logistic_noise(u)
    if not isinstance(ours, torch.Tensor) or ours.shape != u.shape:
        raise CheckFailed(f"logistic_noise(u) must return a tensor of the shape of u {tuple(u.shape)}")
    ell = torch.log(p) - torch.log1p(-p)
    decided = (ell + ours > 0)[inner]
    wrong = decided != (u < p)[inner]
    if bool(wrong.any()):
        k = int(wrong.nonzero()[0])
        raise CheckFailed(f"the decision l(p) + L > 0 disagrees with u < p at u = "
                          f"{float(u[inner][k]):.4f}, p = {float(p[inner][k]):.4f}: "
                          "check the sign of L (which of u and 1 - u is the error side?)")
    compare("L", ours[u > 0], (torch.log1p(-u) - torch.log(u))[u > 0], check=True, inputs=u[u > 0])
    print("correct: your L is Logistic noise with u < p exactly when l(p) + L > 0")


def _reference_errors(p: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    return BinarySymmetricChannel(dtype=torch.float64, sampler="logistic")(
        torch.zeros_like(u), p, noise=u)


def check_logistic_errors(errors: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """Check exercise 14.2: the logistic sampler's errors as a custom Function.

    ``errors(p, u)`` (a custom Function's ``apply``) gives the logistic sampler's errors,
    in p's dtype, and their gradient w.r.t. ``p``; the gradient for ``u`` is ``None``."""
    u, p = _uniforms_and_probs()
    w = torch.randn(u.shape, generator=torch.Generator().manual_seed(15), dtype=torch.float64)
    w = w.to(device())
    grads = []
    outs = []
    for fn in (errors, _reference_errors):
        pl = p.clone().requires_grad_(True)
        ul = u.clone().requires_grad_(fn is errors)  # so that a gradient returned for u shows
        out = fn(pl, ul)
        if not isinstance(out, torch.Tensor) or out.shape != u.shape:
            raise CheckFailed(f"errors(p, u) must return a tensor of shape {tuple(u.shape)}")
        if out.dtype != p.dtype:
            raise CheckFailed(f"return the errors as floats of p's dtype ({p.dtype}), got {out.dtype}")
        if not out.requires_grad:
            raise CheckFailed("errors(p, u) is not differentiable w.r.t. p: the output does not "
                              "require grad (did you detach, or forget the straight-through backward?)")
        if fn is errors and not isinstance(out.grad_fn, torch.autograd.function.BackwardCFunction):
            raise CheckFailed("errors must be a custom torch.autograd.Function's apply: the output's "
                              f"grad_fn is {type(out.grad_fn).__name__}")
        (out * w).sum().backward()
        if fn is errors and ul.grad is not None:
            raise CheckFailed("backward must return None as the gradient for u (the noise is not learned)")
        outs.append(out.detach())
        grads.append(pl.grad)
    compare("errors", outs[0], outs[1], check=True, inputs=p)
    compare("d errors / d p", grads[0], grads[1], rtol=1e-6, check=True, inputs=p)
    print(f"correct: your errors and their straight-through gradient match the logistic sampler "
          f"(tau = {TEMPERATURE}, eps = {EPS:g})")
