"""Measuring what autograd keeps alive for the backward pass (taught in notebook 05).

:func:`saved_tensor_bytes` runs a function under
:func:`torch.autograd.graph.saved_tensors_hooks` and adds up the bytes of every tensor
the graph saves, counting each storage once (``x * sigmoid(x)`` saves ``sigmoid(x)``
twice, through ``sigmoid`` and through ``mul``, but it is one buffer).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class SavedBytes:
    """The result of :func:`saved_tensor_bytes`.

    Attributes
    ----------
    total : int
        Bytes of all distinct storages saved for backward.
    inputs : int
        Of those, the bytes shared with the function's inputs (already alive anyway).
    count : int
        Number of distinct storages saved.
    """

    total: int
    inputs: int
    count: int

    @property
    def extra(self) -> int:
        """Bytes saved beyond the inputs: the memory the function adds to the graph."""
        return self.total - self.inputs


def _key(t: torch.Tensor) -> tuple[str, int]:
    storage = t.untyped_storage()
    return (str(t.device), storage.data_ptr())


def saved_tensor_bytes(fn: Callable[..., torch.Tensor], *inputs: torch.Tensor) -> SavedBytes:
    """Call ``fn(*inputs)`` and measure the tensors autograd saves for its backward.

    Parameters
    ----------
    fn : callable
        A function of tensors, e.g. ``SwishFunction.apply`` or ``lambda x: x * x.sigmoid()``.
    *inputs : torch.Tensor
        Its inputs; at least one should require grad, else nothing is saved.

    Output
    ------
    SavedBytes
        ``total`` bytes of distinct saved storages, the part ``inputs`` that belongs to the
        inputs, and ``count``. The graph is freed before returning.

    Raises
    ------
    TypeError
        An input is not a tensor.
    """
    for i, t in enumerate(inputs):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"inputs[{i}] must be a torch.Tensor, got {type(t).__name__}")
    storages: dict[tuple[str, int], int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storages[_key(t)] = t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = fn(*inputs)
    del out  # frees the graph and what it saved
    input_keys = {_key(t) for t in inputs}
    shared = sum(n for k, n in storages.items() if k in input_keys)
    return SavedBytes(total=sum(storages.values()), inputs=shared, count=len(storages))
