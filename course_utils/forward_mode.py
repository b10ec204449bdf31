"""A custom Function that supports forward-mode AD as well as reverse mode (notebook 15).

:class:`LegendreP3Dual` is notebook 02's Legendre polynomial
:math:`P_3(x) = \\tfrac12 (5x^3 - 3x)` written in the ``setup_context`` style with
both derivative rules: ``backward`` (a vector-Jacobian product, for ``.backward()``,
``torch.func.grad``, ``jacrev``) and ``jvp`` (a Jacobian-vector product, for
``torch.func.jvp``, ``jacfwd`` and ``torch.autograd.forward_ad``). Both are written
with PyTorch ops, so ``generate_vmap_rule = True`` batches it and double backward works.
"""
from __future__ import annotations

import torch

__all__ = ["LegendreP3Dual", "p3_derivative"]


def p3_derivative(x: torch.Tensor) -> torch.Tensor:
    """The derivative :math:`P_3'(x) = \\tfrac32 (5x^2 - 1)`, elementwise.

    Input
    -----
    x : torch.Tensor
        Any shape.

    Output
    ------
    torch.Tensor
        Same shape as ``x``.
    """
    return 1.5 * (5 * x**2 - 1)


class LegendreP3Dual(torch.autograd.Function):
    r"""Legendre :math:`P_3` with both ``backward`` and ``jvp`` (taught in notebook 15).

    Input
    -----
    x : torch.Tensor
        Any shape, floating point.

    Output
    ------
    torch.Tensor
        :math:`P_3(x)`, same shape. ``backward`` returns ``grad_output * P3'(x)``,
        ``jvp`` returns ``tangent * P3'(x)``; ``x`` is saved once for each mode
        (``save_for_backward`` and ``save_for_forward``).

    Examples
    --------
    >>> x = torch.tensor([0.5], dtype=torch.float64)
    >>> out, tangent = torch.func.jvp(LegendreP3Dual.apply, (x,), (torch.ones_like(x),))
    >>> out.item(), tangent.item()
    (-0.4375, 0.375)
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(x: torch.Tensor) -> torch.Tensor:
        return 0.5 * (5 * x**3 - 3 * x)

    @staticmethod
    def setup_context(ctx, inputs: tuple[torch.Tensor], output: torch.Tensor) -> None:
        (x,) = inputs
        ctx.save_for_backward(x)
        ctx.save_for_forward(x)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return grad_output * p3_derivative(x)

    @staticmethod
    def jvp(ctx, x_tangent: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return x_tangent * p3_derivative(x)
