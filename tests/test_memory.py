"""saved_tensor_bytes counts what autograd saves, each storage once."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from course_utils.functions import SwishFunction
from course_utils.memory import saved_tensor_bytes


def test_naive_swish_saves_twice_what_the_function_saves() -> None:
    x = torch.randn(64, 128, requires_grad=True)  # 32 KiB in float32
    n = x.numel() * 4
    naive = saved_tensor_bytes(lambda t: t * torch.sigmoid(t), x)
    ours = saved_tensor_bytes(SwishFunction.apply, x)
    silu = saved_tensor_bytes(F.silu, x)
    assert (naive.total, naive.inputs, naive.count, naive.extra) == (2 * n, n, 2, n)
    assert (ours.total, ours.inputs, ours.count, ours.extra) == (n, n, 1, 0)
    assert silu.total == n


def test_nothing_is_saved_without_grad() -> None:
    x = torch.randn(10)
    assert saved_tensor_bytes(torch.exp, x).total == 0


def test_exp_saves_its_output_not_the_input() -> None:
    x = torch.randn(10, dtype=torch.float64, requires_grad=True)
    r = saved_tensor_bytes(torch.exp, x)
    assert (r.total, r.inputs, r.extra) == (80, 0, 80)


def test_rejects_non_tensor_input() -> None:
    with pytest.raises(TypeError, match=r"inputs\[0\] must be a torch.Tensor, got list"):
        saved_tensor_bytes(torch.exp, [1.0])
