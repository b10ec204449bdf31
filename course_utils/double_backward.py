"""Custom Functions that can be differentiated twice, the two patterns (notebook 16).

* :class:`Sinh` computes ``exp(x)`` and ``exp(-x)`` once in forward and needs them in
  backward. Saved as intermediates they would be cut from the graph (the second
  derivative would be wrong); returned as extra *outputs*, they are part of the graph
  and double backward is right. Use it through :func:`sinh`, which drops them.
* :class:`Cube` has a backward that is itself a custom Function,
  :class:`CubeBackward`, with its own backward: the way to go when backward cannot be
  written with differentiable PyTorch ops.
"""
from __future__ import annotations

import torch

__all__ = ["Cube", "CubeBackward", "Sinh", "sinh"]


class Sinh(torch.autograd.Function):
    r"""``sinh(x)``, also returning the intermediates ``exp(x)`` and ``exp(-x)`` as outputs.

    Input
    -----
    x : torch.Tensor
        Any shape, floating point.

    Output
    ------
    sinh, exp_x, exp_neg_x : torch.Tensor
        Same shape as ``x``. Backward accumulates the gradients of all three outputs,
        ``g (e^x + e^-x)/2 + g_exp e^x - g_neg e^-x``: the last two terms are zero in a
        first backward but carry the second derivative.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        exp_x = torch.exp(x)
        exp_neg_x = torch.exp(-x)
        ctx.save_for_backward(exp_x, exp_neg_x)
        return (exp_x - exp_neg_x) / 2, exp_x, exp_neg_x

    @staticmethod
    def backward(ctx, grad_sinh: torch.Tensor, grad_exp_x: torch.Tensor,
                 grad_exp_neg_x: torch.Tensor) -> torch.Tensor:
        exp_x, exp_neg_x = ctx.saved_tensors
        return grad_sinh * (exp_x + exp_neg_x) / 2 + grad_exp_x * exp_x - grad_exp_neg_x * exp_neg_x


def sinh(x: torch.Tensor) -> torch.Tensor:
    """``sinh(x)`` through :class:`Sinh`, keeping only its first output (notebook 16).

    Parameters
    ----------
    x : torch.Tensor
        Any shape, floating point.

    Output
    ------
    torch.Tensor
        ``sinh(x)``, same shape, twice differentiable.

    Examples
    --------
    >>> x = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
    >>> (g,) = torch.autograd.grad(sinh(x).sum(), x, create_graph=True)
    >>> (gg,) = torch.autograd.grad(g.sum(), x)
    >>> g.item(), gg.item()  # cosh(0), sinh(0)
    (1.0, 0.0)
    """
    return Sinh.apply(x)[0]


class CubeBackward(torch.autograd.Function):
    r"""The backward of :class:`Cube` as a Function of ``(grad_output, x)``: ``3 x^2 g``.

    Input
    -----
    grad_output, x : torch.Tensor
        Same shape.

    Output
    ------
    torch.Tensor
        ``3 x**2 * grad_output``. Its own backward returns the derivatives with respect
        to both inputs: ``3 x^2 gg`` and ``6 x g gg`` for an incoming ``gg``.
    """

    @staticmethod
    def forward(ctx, grad_output: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(grad_output, x)
        return 3 * x**2 * grad_output

    @staticmethod
    def backward(ctx, grad_grad: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        grad_output, x = ctx.saved_tensors
        return 3 * x**2 * grad_grad, 6 * x * grad_output * grad_grad


class Cube(torch.autograd.Function):
    r"""``x**3`` whose backward is the custom Function :class:`CubeBackward` (notebook 16).

    Input
    -----
    x : torch.Tensor
        Any shape, floating point.

    Output
    ------
    torch.Tensor
        ``x**3``, same shape.

    Examples
    --------
    >>> x = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
    >>> (g,) = torch.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    >>> type(g.grad_fn).__name__, g.item()
    ('CubeBackwardBackward', 12.0)
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return CubeBackward.apply(grad_output, x)
