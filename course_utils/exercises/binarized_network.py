"""Checkers for the exercises of notebook 09 (a binarized network that learns)."""
from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from ..binarize import BinaryLinear
from ..checking import CheckFailed, call_answer
from ..env import device


class _FloatWatch(TorchFunctionMode):
    """Records the torch functions that produce a floating-point tensor while it is active."""

    def __init__(self) -> None:
        super().__init__()
        self.float_ops: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        out = func(*args, **(kwargs or {}))
        for t in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(t, torch.Tensor) and t.is_floating_point():
                self.float_ops.append(getattr(func, "__name__", str(func)))
        return out


def check_binary_matmul(binary_matmul: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """Check exercise 09.1: a +-1 matrix product computed by counting agreements.

    ``binary_matmul(a_bits, b_bits)`` equals ``a @ b.T`` for the +-1 matrices
    ``a = where(a_bits, 1, -1)`` and ``b = where(b_bits, 1, -1)``, computed by counting agreements:
    an integer result, and no floating-point tensor created on the way."""
    rng = torch.Generator().manual_seed(9)
    for n, m, d in ((3, 4, 5), (6, 2, 64)):
        a_bits = (torch.rand(n, d, generator=rng) < 0.5).to(device())
        b_bits = (torch.rand(m, d, generator=rng) < 0.5).to(device())
        a = torch.where(a_bits, 1.0, -1.0).double()
        b = torch.where(b_bits, 1.0, -1.0).double()
        expected = (a @ b.T).round().long()
        watch = _FloatWatch()
        with watch:
            got = call_answer(binary_matmul, a_bits.clone(), b_bits.clone())
        if not isinstance(got, torch.Tensor):
            raise CheckFailed(f"return a tensor, got {type(got).__name__}")
        if got.is_floating_point() or got.dtype == torch.bool or got.is_complex():
            raise CheckFailed(f"return an integer tensor (a count of agreements), got dtype {got.dtype}")
        if watch.float_ops:
            raise CheckFailed(f"compute without converting to +-1 floats: your function created a "
                              f"floating-point tensor with {watch.float_ops[0]}")
        if tuple(got.shape) != (n, m):
            raise CheckFailed(f"for a_bits of shape {(n, d)} and b_bits of shape {(m, d)} the result has "
                              f"shape {(n, m)}, yours has {tuple(got.shape)}")
        wrong = (got.cpu() != expected.cpu()).nonzero()
        if len(wrong):
            i, j = (int(v) for v in wrong[0])
            agree = int((a_bits[i] == b_bits[j]).sum())
            raise CheckFailed(
                f"with d = {d}: {len(wrong)} of {n * m} entries differ; entry [{i}, {j}]: yours "
                f"{int(got[i, j])}, expected {int(expected[i, j])} ({agree} of {d} positions agree)")
    print("correct: counting agreements gives the +-1 matrix product for d = 5 and d = 64")


def _reference_bytes(model: nn.Module) -> float:
    binary = {id(m.weight) for m in model.modules() if isinstance(m, BinaryLinear)}
    bits = sum(p.numel() * (1 if id(p) in binary else 32) for p in model.parameters())
    return bits / 8


def check_model_bytes(model_bytes: Callable[[nn.Module], float]) -> None:
    """Check exercise 09.2: the storage size of a binarized model.

    ``model_bytes(model)`` counts 1 bit per BinaryLinear weight, 32 per other parameter
    (BinaryLinear's bias included), and no buffers."""
    models = {
        "BinaryLinear(64, 256) + BatchNorm1d(256) + BinaryLinear(256, 10)": nn.Sequential(
            BinaryLinear(64, 256), nn.BatchNorm1d(256), BinaryLinear(256, 10)),
        "its float twin with nn.Linear": nn.Sequential(
            nn.Linear(64, 256), nn.BatchNorm1d(256), nn.Linear(256, 10)),
        "BinaryLinear(3, 2, bias=True)": BinaryLinear(3, 2, bias=True),
    }
    for name, model in models.items():
        expected = _reference_bytes(model)
        got = model_bytes(model)
        if not isinstance(got, (int, float)) or abs(got - expected) > 1e-9:
            # only BinaryLinear's weight is 1-bit; its bias is a float parameter like any other
            binary_bytes = sum(m.weight.numel() for m in model.modules() if isinstance(m, BinaryLinear)) / 8
            raise CheckFailed(f"for {name}: yours {got!r}, expected {expected:g} bytes "
                              f"(of which {binary_bytes:g} for the 1-bit weights; biases and "
                              "buffers are not 1-bit weights, and buffers do not count)")
    print("correct: 1 bit per binarized weight, 4 bytes per other parameter, for 3 models")
