"""Checkers for the exercises of notebook 09 (a binarized network that learns)."""
from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ..binarize import BinaryLinear
from ..checking import CheckFailed, call_answer
from ..env import device


def check_binary_matmul(binary_matmul: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """Exercise 09.1: ``binary_matmul(a_bits, b_bits)`` equals ``a @ b.T`` for the +-1 matrices
    ``a = where(a_bits, 1, -1)`` and ``b = where(b_bits, 1, -1)``, computed by counting agreements."""
    rng = torch.Generator().manual_seed(9)
    for n, m, d in ((3, 4, 5), (6, 2, 64)):
        a_bits = (torch.rand(n, d, generator=rng) < 0.5).to(device())
        b_bits = (torch.rand(m, d, generator=rng) < 0.5).to(device())
        a = torch.where(a_bits, 1.0, -1.0).double()
        b = torch.where(b_bits, 1.0, -1.0).double()
        expected = (a @ b.T).round().long()
        got = call_answer(binary_matmul, a_bits.clone(), b_bits.clone())
        if not isinstance(got, torch.Tensor):
            raise CheckFailed(f"return a tensor, got {type(got).__name__}")
        if tuple(got.shape) != (n, m):
            raise CheckFailed(f"for a_bits of shape {(n, d)} and b_bits of shape {(m, d)} the result has "
                              f"shape {(n, m)}, yours has {tuple(got.shape)}")
        wrong = (got.to("cpu", torch.float64) != expected.cpu().double()).nonzero()
        if len(wrong):
            i, j = (int(v) for v in wrong[0])
            agree = int((a_bits[i] == b_bits[j]).sum())
            raise CheckFailed(
                f"with d = {d}: {len(wrong)} of {n * m} entries differ; entry [{i}, {j}]: yours "
                f"{float(got[i, j]):g}, expected {int(expected[i, j])} ({agree} of {d} positions agree)")
    print("correct: counting agreements gives the +-1 matrix product for d = 5 and d = 64")


def _reference_bytes(model: nn.Module) -> float:
    binary = {id(m.weight) for m in model.modules() if isinstance(m, BinaryLinear)}
    bits = sum(p.numel() * (1 if id(p) in binary else 32) for p in model.parameters())
    return bits / 8


def check_model_bytes(model_bytes: Callable[[nn.Module], float]) -> None:
    """Exercise 09.2: ``model_bytes(model)`` counts 1 bit per BinaryLinear weight, 32 per other parameter."""
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
            binary_bytes = _reference_bytes(model) - sum(
                p.numel() * 4 for m in model.modules() if not isinstance(m, BinaryLinear)
                for p in m.parameters(recurse=False))
            raise CheckFailed(f"for {name}: yours {got!r}, expected {expected:g} bytes "
                              f"(of which {binary_bytes:g} for the 1-bit weights)")
    print("correct: 1 bit per binarized weight, 4 bytes per other parameter, for 3 models")
