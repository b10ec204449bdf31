"""Custom Functions with several outputs (notebook 15).

:class:`Sort` returns sorted values and their integer indices, the indices marked
with ``ctx.mark_non_differentiable``. :class:`SinCos` returns ``(sin x, cos x)`` and
calls ``ctx.set_materialize_grads(False)``: when only one output is used, its
backward receives ``None`` for the other instead of a tensor of zeros, and skips it.
"""
from __future__ import annotations

import torch

__all__ = ["SinCos", "Sort"]


class Sort(torch.autograd.Function):
    r"""``torch.sort(x, dim=-1)`` as a Function: differentiable values, non-differentiable indices.

    Input
    -----
    x : torch.Tensor
        ``[..., n]``, floating point; sorted along the last dimension, ascending.

    Output
    ------
    values : torch.Tensor
        ``[..., n]``, ``x`` sorted; backward scatters ``grad_values`` back to the
        positions the values came from.
    indices : torch.Tensor
        ``[..., n]`` int64, marked non-differentiable.

    Examples
    --------
    >>> values, indices = Sort.apply(torch.tensor([3.0, 1.0, 2.0], requires_grad=True))
    >>> values.tolist(), indices.tolist(), indices.requires_grad
    ([1.0, 2.0, 3.0], [1, 2, 0], False)
    """

    @staticmethod
    def forward(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        values, indices = torch.sort(x, dim=-1)
        return values, indices

    @staticmethod
    def setup_context(ctx, inputs: tuple[torch.Tensor], output: tuple[torch.Tensor, torch.Tensor]) -> None:
        _, indices = output
        ctx.mark_non_differentiable(indices)
        ctx.save_for_backward(indices)

    @staticmethod
    def backward(ctx, grad_values: torch.Tensor, grad_indices: torch.Tensor) -> torch.Tensor:
        (indices,) = ctx.saved_tensors
        return torch.zeros_like(grad_values).scatter(-1, indices, grad_values)


class SinCos(torch.autograd.Function):
    r"""``(sin x, cos x)`` in one Function whose backward handles ``None`` gradients.

    Input
    -----
    x : torch.Tensor
        Any shape, floating point.

    Output
    ------
    sin, cos : torch.Tensor
        Same shape as ``x``. Backward returns ``g_sin * cos x - g_cos * sin x``,
        leaving out the term of an output whose gradient is ``None`` (unused) and
        returning ``None`` when both are.

    Examples
    --------
    >>> x = torch.tensor([0.0], requires_grad=True)
    >>> s, c = SinCos.apply(x)
    >>> s.sum().backward()  # cos is unused: its gradient arrives as None
    >>> x.grad.tolist()
    [1.0]
    """

    @staticmethod
    def forward(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.sin(x), torch.cos(x)

    @staticmethod
    def setup_context(ctx, inputs: tuple[torch.Tensor], output: tuple[torch.Tensor, torch.Tensor]) -> None:
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_sin: torch.Tensor | None, grad_cos: torch.Tensor | None) -> torch.Tensor | None:
        (x,) = ctx.saved_tensors
        grad = None
        if grad_sin is not None:
            grad = grad_sin * torch.cos(x)
        if grad_cos is not None:
            term = -grad_cos * torch.sin(x)
            grad = term if grad is None else grad + term
        return grad
