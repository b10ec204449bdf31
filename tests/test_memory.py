"""saved_tensor_bytes counts what autograd keeps for backward, each storage once, ctx attributes included."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from course_utils.functions import SwishFunction
from course_utils.memory import saved_tensor_bytes, saved_tensors


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


class _StashesOnCtx(torch.autograd.Function):
    """Saves x properly and keeps tanh(x) as ctx attributes, one plain, one in a list."""

    @staticmethod
    def forward(ctx, x):
        t = torch.tanh(x)
        ctx.save_for_backward(x)
        ctx.t = t
        ctx.cache = [t, {"again": t}]
        ctx.factor = 2.0  # not a tensor: ignored
        return x * t

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (ctx.t + x * (1 - ctx.t**2))


def test_tensors_held_as_ctx_attributes_are_found_and_counted() -> None:
    x = torch.randn(8, 16, requires_grad=True)
    n = x.numel() * 4
    kept = saved_tensors(_StashesOnCtx.apply, x)
    assert len(kept.packed) == 1 and kept.packed[0] is x  # the hooks see only save_for_backward
    assert list(kept.attributes) == ["ctx.t", "ctx.cache[0]", "ctx.cache[1]['again']"]
    r = saved_tensor_bytes(_StashesOnCtx.apply, x)
    assert (r.total, r.inputs, r.count, r.extra) == (2 * n, n, 2, n)  # tanh(x) counted once
    assert r.attributes == ("ctx.t", "ctx.cache[0]", "ctx.cache[1]['again']")


def test_ctx_attributes_are_found_deep_in_the_graph_and_in_setup_context_style() -> None:
    class Double(torch.autograd.Function):
        @staticmethod
        def forward(x):
            return 2 * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.x = inputs[0]

        @staticmethod
        def backward(ctx, g):
            return 2 * g

    x = torch.randn(5, requires_grad=True)
    r = saved_tensor_bytes(lambda t: Double.apply(_StashesOnCtx.apply(t)).exp(), x)
    assert r.attributes == ("ctx.x", "ctx.t", "ctx.cache[0]", "ctx.cache[1]['again']")
