"""An in-place custom Function: ``ctx.mark_dirty`` and the version counter (notebook 15).

:class:`ReLUInplace` clamps its input at zero *in place*, like :func:`torch.relu_`.
``ctx.mark_dirty(x)`` tells autograd that ``x`` was modified: the returned tensor is
``x`` itself, its history now ends in this Function (a view's base gets it too),
and modifying a leaf that requires grad is refused.
"""
from __future__ import annotations

import torch

__all__ = ["ReLUInplace", "relu_"]


class ReLUInplace(torch.autograd.Function):
    r"""``x.clamp_(min=0)`` in place, with ``ReLU'(0) = 0`` like :func:`torch.relu_` (notebook 15).

    Input
    -----
    x : torch.Tensor
        Floating point, not a leaf that requires grad (autograd refuses that).

    Output
    ------
    torch.Tensor
        ``x`` itself, modified. Backward saves the *output* (the input's old values are
        gone) and returns ``grad_output * (output > 0)``.

    Examples
    --------
    >>> a = torch.tensor([-1.0, 2.0], requires_grad=True)
    >>> h = a * 1
    >>> relu_(h) is h, h.tolist()
    (True, [0.0, 2.0])
    """

    @staticmethod
    def forward(x: torch.Tensor) -> torch.Tensor:
        return x.clamp_(min=0)

    @staticmethod
    def setup_context(ctx, inputs: tuple[torch.Tensor], output: torch.Tensor) -> None:
        (x,) = inputs
        ctx.mark_dirty(x)
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:
        (output,) = ctx.saved_tensors
        return grad_output * (output > 0).to(grad_output.dtype)


def relu_(x: torch.Tensor) -> torch.Tensor:
    """Apply :class:`ReLUInplace` to ``x``, after checking it is a floating-point tensor.

    Parameters
    ----------
    x : torch.Tensor
        Any shape, floating point.

    Output
    ------
    torch.Tensor
        ``x``, clamped at zero in place.

    Raises
    ------
    TypeError
        ``x`` is not a floating-point tensor.
    """
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor, got "
                        f"{x.dtype if isinstance(x, torch.Tensor) else type(x).__name__}")
    return ReLUInplace.apply(x)
