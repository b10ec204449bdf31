"""A custom Function with a hand-written ``vmap`` staticmethod (notebook 16).

``generate_vmap_rule = True`` batches a Function by running its ``forward`` on
batched tensors, which works only when forward is made of PyTorch ops.
:class:`NumpyCube` computes in NumPy (the data moved to the CPU and back explicitly),
so it brings its own batching rule: for an elementwise op, the batched call is the
same op on the whole batch, with the batch dimension left where it was.
"""
from __future__ import annotations

from typing import Any

import torch

__all__ = ["NumpyCube"]


class NumpyCube(torch.autograd.Function):
    r"""``x**3`` computed by NumPy, with ``backward`` in PyTorch and a hand-written ``vmap``.

    Input
    -----
    x : torch.Tensor
        Any shape, floating point, on any device (the NumPy work happens on a CPU copy).

    Output
    ------
    torch.Tensor
        ``x**3``, same shape, dtype and device as ``x``. Backward returns
        ``3 x**2 grad_output``; ``vmap(info, in_dims, x)`` returns ``(x**3, in_dims[0])``.

    Examples
    --------
    >>> batch = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> torch.vmap(NumpyCube.apply, in_dims=1)(batch).tolist()  # batch along dim 1
    [[1.0, 27.0], [8.0, 64.0]]
    """

    @staticmethod
    def forward(x: torch.Tensor) -> torch.Tensor:
        result = x.detach().cpu().numpy() ** 3
        return torch.from_numpy(result).to(device=x.device, dtype=x.dtype)

    @staticmethod
    def setup_context(ctx, inputs: tuple[torch.Tensor], output: torch.Tensor) -> None:
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return 3 * x**2 * grad_output

    @staticmethod
    def vmap(info: Any, in_dims: tuple[int | None], x: torch.Tensor) -> tuple[torch.Tensor, int | None]:
        # Elementwise: the whole batch goes through in one call, batch dimension unchanged.
        return NumpyCube.apply(x), in_dims[0]
