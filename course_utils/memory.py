"""Measuring what autograd keeps alive for the backward pass (taught in notebook 05).

:func:`saved_tensor_bytes` runs a function under
:func:`torch.autograd.graph.saved_tensors_hooks` and adds up the bytes of every tensor
the graph saves, counting each storage once (``x * sigmoid(x)`` saves ``sigmoid(x)``
twice, through ``sigmoid`` and through ``mul``, but it is one buffer).

Saved-tensor hooks see only what is saved through the saved-tensor machinery: the
tensors built-in ops save and those a custom Function passes to
``ctx.save_for_backward``. A tensor a custom Function keeps as a plain ``ctx``
attribute (``ctx.t = t``) is invisible to them, yet just as alive. So
:func:`saved_tensors` also walks the graph from the output and collects the tensors
held as attributes of every custom Function node (the node *is* the ``ctx`` object),
inside lists, tuples, sets and dicts too; :func:`saved_tensor_bytes` counts them.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.autograd.function import BackwardCFunction


@dataclass(frozen=True)
class SavedBytes:
    """The result of :func:`saved_tensor_bytes`.

    Attributes
    ----------
    total : int
        Bytes of all distinct storages kept for backward (saved or held on ``ctx``).
    inputs : int
        Of those, the bytes shared with the function's inputs (already alive anyway).
    count : int
        Number of distinct storages kept.
    attributes : tuple of str
        The ``ctx`` attributes of custom Functions that hold tensors, e.g. ``("ctx.t",)``;
        empty when every tensor went through the saved-tensor machinery.
    """

    total: int
    inputs: int
    count: int
    attributes: tuple[str, ...] = ()

    @property
    def extra(self) -> int:
        """Bytes kept beyond the inputs: the memory the function adds to the graph."""
        return self.total - self.inputs


@dataclass(frozen=True)
class SavedTensors:
    """The result of :func:`saved_tensors`: the output and what its graph keeps for backward.

    Attributes
    ----------
    output : torch.Tensor
        What the function returned (its graph stays alive as long as this object).
    packed : tuple of torch.Tensor
        Every tensor the saved-tensor hooks saw, in order, repeats included.
    attributes : dict of str to torch.Tensor
        Tensors held as attributes of custom Function nodes, by name (``"ctx.t"``,
        ``"ctx.cache[0]"``).
    """

    output: torch.Tensor
    packed: tuple[torch.Tensor, ...]
    attributes: dict[str, torch.Tensor] = field(default_factory=dict)


def _key(t: torch.Tensor) -> tuple[str, int]:
    storage = t.untyped_storage()
    return (str(t.device), storage.data_ptr())


def _tensors_in(value: Any, name: str, depth: int = 0) -> Iterator[tuple[str, torch.Tensor]]:
    if isinstance(value, torch.Tensor):
        yield name, value
    elif depth < 4 and isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _tensors_in(item, f"{name}[{i}]", depth + 1)
    elif depth < 4 and isinstance(value, (set, frozenset)):
        for item in value:
            yield from _tensors_in(item, f"{name}{{...}}", depth + 1)
    elif depth < 4 and isinstance(value, dict):
        for k, item in value.items():
            yield from _tensors_in(item, f"{name}[{k!r}]", depth + 1)


def _node_attributes(output: Any) -> dict[str, torch.Tensor]:
    """Tensors held as Python attributes by the custom Function nodes of ``output``'s graph."""
    outputs = output if isinstance(output, (tuple, list)) else (output,)
    todo = [t.grad_fn for t in outputs if isinstance(t, torch.Tensor) and t.grad_fn is not None]
    seen: set[int] = set()
    found: dict[str, torch.Tensor] = {}
    while todo:
        node = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, BackwardCFunction):
            for attr, value in vars(node).items():
                for name, t in _tensors_in(value, f"ctx.{attr}"):
                    found.setdefault(name, t)
        todo.extend(next_node for next_node, _ in node.next_functions)
    return found


def _check_inputs(inputs: tuple[Any, ...]) -> None:
    for i, t in enumerate(inputs):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"inputs[{i}] must be a torch.Tensor, got {type(t).__name__}")


def saved_tensors(fn: Callable[..., torch.Tensor], *inputs: torch.Tensor) -> SavedTensors:
    """Call ``fn(*inputs)`` and collect every tensor its graph keeps for backward.

    Parameters
    ----------
    fn : callable
        A function of tensors, e.g. ``SwishFunction.apply``.
    *inputs : torch.Tensor
        Its inputs; at least one should require grad, else nothing is kept.

    Output
    ------
    SavedTensors
        The output, the tensors the saved-tensor hooks saw (``packed``) and the tensors
        held as ``ctx`` attributes of custom Function nodes (``attributes``).

    Raises
    ------
    TypeError
        An input is not a tensor.

    Examples
    --------
    >>> class Stash(torch.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         ctx.t = torch.tanh(x)  # not seen by saved-tensor hooks
    ...         return x * ctx.t
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (x,) = ctx.saved_tensors
    ...         return g * (ctx.t + x * (1 - ctx.t**2))
    >>> s = saved_tensors(Stash.apply, torch.ones(3, requires_grad=True))
    >>> len(s.packed), list(s.attributes)
    (1, ['ctx.t'])
    """
    _check_inputs(inputs)
    packed: list[torch.Tensor] = []

    def pack(t: torch.Tensor) -> torch.Tensor:
        packed.append(t)
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = fn(*inputs)
    return SavedTensors(output=out, packed=tuple(packed), attributes=_node_attributes(out))


def saved_tensor_bytes(fn: Callable[..., torch.Tensor], *inputs: torch.Tensor) -> SavedBytes:
    """Call ``fn(*inputs)`` and measure the tensors autograd keeps for its backward.

    Parameters
    ----------
    fn : callable
        A function of tensors, e.g. ``SwishFunction.apply`` or ``lambda x: x * x.sigmoid()``.
    *inputs : torch.Tensor
        Its inputs; at least one should require grad, else nothing is saved.

    Output
    ------
    SavedBytes
        ``total`` bytes of distinct storages, saved or held as ``ctx`` attributes, the
        part ``inputs`` that belongs to the inputs, ``count``, and the names of the
        ``ctx`` attributes holding tensors. The graph is freed before returning.

    Raises
    ------
    TypeError
        An input is not a tensor.

    Examples
    --------
    >>> x = torch.ones(10, requires_grad=True)  # 40 bytes in float32
    >>> saved_tensor_bytes(lambda t: t * torch.sigmoid(t), x)
    SavedBytes(total=80, inputs=40, count=2, attributes=())
    >>> saved_tensor_bytes(torch.nn.functional.silu, x).extra
    0
    """
    kept = saved_tensors(fn, *inputs)
    storages: dict[tuple[str, int], int] = {}
    for t in (*kept.packed, *kept.attributes.values()):
        storages[_key(t)] = t.untyped_storage().nbytes()
    names = tuple(kept.attributes)
    del kept  # frees the graph and what it saved
    input_keys = {_key(t) for t in inputs}
    shared = sum(n for k, n in storages.items() if k in input_keys)
    return SavedBytes(total=sum(storages.values()), inputs=shared, count=len(storages),
                      attributes=names)
