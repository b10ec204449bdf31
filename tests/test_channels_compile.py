"""The channels of course_utils.channels under torch.compile(fullgraph=True), input checks on.

The matrix (four channels, both samplers, static and dynamic shapes) uses the fast
``aot_eager`` backend, one graph per case, with float32 and float64, hard and LLR outputs,
binary and bipolar inputs spread over the cases. Outputs and gradients w.r.t. ``pb`` must
equal eager mode's with the same noise. One test runs Inductor.
"""
from __future__ import annotations

import logging

import pytest
import torch
from torch._dynamo.utils import counters

from course_utils.channels import BinaryMemorylessChannel, BinarySymmetricChannel

from helpers import CHANNELS, bits


@pytest.fixture(autouse=True)
def fresh_dynamo():
    # pytest's log capture would enable torch's structured compile trace, which costs
    # several times the compilation itself: keep that logger off
    trace_log = logging.getLogger("torch.__trace")
    level = trace_log.level
    trace_log.setLevel(logging.WARNING)
    torch._dynamo.reset()
    counters.clear()
    yield
    torch._dynamo.reset()
    trace_log.setLevel(level)


def _pb(cls: type, dtype: torch.dtype) -> torch.Tensor:
    value = [0.1, 0.3] if cls is BinaryMemorylessChannel else 0.2
    return torch.tensor(value, dtype=dtype, requires_grad=True)


def _channel(cls: type, sampler: str, dynamic: bool) -> torch.nn.Module:
    """The channel one test compiles (one graph per test keeps the matrix cheap): static shapes
    in float32, dynamic ones in float64, hard/LLR outputs and binary/bipolar inputs spread so
    that each channel and sampler meets both dtypes and each pairing of output and input."""
    llrs = dynamic != (sampler == "logistic")
    return cls(return_llrs=llrs, bipolar_input=dynamic, dtype=torch.float64 if dynamic else torch.float32,
               sampler=sampler)


def _outputs_and_grad(fn, ch, x, pb, noise):  # noqa: ANN001, ANN202
    y = fn(ch, x, pb, noise)
    if not y.requires_grad:  # the erasure channel: not differentiable w.r.t. pb, as in Sionna
        return y, None
    weights = torch.linspace(-1, 1, y.numel(), dtype=y.dtype).view(y.shape)
    (grad,) = torch.autograd.grad((y * weights).sum(), pb)
    return y, grad


def _call(ch: torch.nn.Module, x: torch.Tensor, pb: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    return ch(2 * x - 1 if ch.bipolar_input else x, pb, noise=noise)


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
@pytest.mark.parametrize("sampler", ["gumbel", "logistic"])
@pytest.mark.parametrize("cls", CHANNELS, ids=lambda c: c.__name__)
def test_compiled_equals_eager_with_the_same_noise(cls: type, sampler: str, dynamic: bool) -> None:
    ch = _channel(cls, sampler, dynamic)
    dtype = torch.float64 if dynamic else torch.float32
    compiled = torch.compile(_call, backend="aot_eager", fullgraph=True, dynamic=dynamic)
    shapes = [(6, 5), (4, 7)] if dynamic else [(6, 5)]  # a new shape: no new graph
    for k, shape in enumerate(shapes):
        x = bits(shape, dtype=dtype, seed=k)
        pb = _pb(cls, dtype)
        noise = torch.rand(ch.noise_shape(x.shape), dtype=dtype, generator=torch.Generator().manual_seed(k))
        y_c, g_c = _outputs_and_grad(compiled, ch, x, pb, noise)
        y_e, g_e = _outputs_and_grad(_call, ch, x, pb, noise)
        assert y_c.dtype == dtype
        torch.testing.assert_close(y_c, y_e, rtol=0, atol=0)
        if cls is CHANNELS[-1]:
            assert g_c is None and g_e is None
        else:
            assert g_c is not None
            torch.testing.assert_close(g_c, g_e)
    assert counters["stats"]["unique_graphs"] == 1


@pytest.mark.parametrize("sampler", ["gumbel", "logistic"])
def test_compiled_call_draws_fresh_noise_inside_the_graph(sampler: str) -> None:
    # without noise= the graph draws the uniforms (the global generator's stream under aot_eager)
    ch = torch.compile(BinarySymmetricChannel(sampler=sampler), backend="aot_eager", fullgraph=True, dynamic=True)
    x = bits((2000,))
    pb = torch.tensor(0.25, requires_grad=True)
    torch.manual_seed(0)
    y = ch(x, pb)
    flips = (y != x).double().mean().item()
    assert 0.2 < flips < 0.3
    assert torch.equal(ch(x, torch.tensor(0.0)), x) and torch.equal(ch(x, torch.tensor(1.0)), 1 - x)
    (grad,) = torch.autograd.grad(y.sum(), pb)
    assert torch.isfinite(grad) and grad != 0


def test_compiled_value_checks_run_in_the_graph() -> None:
    # the checks run in the channel before the sampler: one sampler (the fast one) covers them
    ch = torch.compile(BinaryMemorylessChannel(sampler="logistic"), backend="aot_eager", fullgraph=True,
                       dynamic=True)
    x, pb = bits((3, 4)), torch.tensor([0.1, 0.2])
    noise = torch.rand(ch.noise_shape(x.shape))
    ch(x, pb, noise=noise)  # compiles once; the failing calls below reuse the graph
    with pytest.raises(RuntimeError, match=r"x must be binary \(0 or 1\); found other values"):
        ch(x + 2, pb, noise=noise)
    with pytest.raises(RuntimeError, match="pb contains NaN"):
        ch(x, torch.tensor([0.1, float("nan")]), noise=noise)
    with pytest.raises(RuntimeError, match=r"noise must hold uniforms in \[0, 1\), as torch.rand draws them"):
        ch(x, pb, noise=torch.ones_like(noise))
    assert counters["stats"]["unique_graphs"] == 1


def test_compiled_metadata_checks_stop_the_trace_with_their_message() -> None:
    ch = torch.compile(BinarySymmetricChannel(), backend="aot_eager", fullgraph=True, dynamic=True)
    x = bits((8,))
    with pytest.raises(RuntimeError, match=r"x must be float32, float64 or an integer; got x of dtype torch\.float16"):
        ch(x.half(), 0.1)
    with pytest.raises(RuntimeError, match=r"pb of shape \(\w+,\) does not broadcast to the shape of x"):
        ch(x, torch.zeros(3))
    with pytest.raises(RuntimeError, match=r"noise must have shape"):
        ch(x, 0.1, noise=torch.rand(3))
    with pytest.raises(RuntimeError, match="pb contains NaN"):  # a Python number is a constant of the graph
        ch(x, float("nan"))


def test_compiled_call_refuses_a_generator() -> None:
    # a torch.Generator cannot enter a traced graph: documented, use noise= or torch.manual_seed
    ch = torch.compile(BinarySymmetricChannel(), backend="aot_eager", fullgraph=True)
    with pytest.raises(torch._dynamo.exc.Unsupported):
        ch(bits((8,)), 0.1, generator=torch.Generator().manual_seed(0))


def test_inductor_compiles_the_channel() -> None:
    ch = BinaryMemorylessChannel(return_llrs=True)
    compiled = torch.compile(ch, fullgraph=True)  # the default backend, Inductor
    x = bits((16, 8))
    pb = torch.tensor([0.1, 0.3], requires_grad=True)
    noise = torch.rand(ch.noise_shape(x.shape), generator=torch.Generator().manual_seed(0))
    y_c, y_e = compiled(x, pb, noise=noise), ch(x, pb, noise=noise)
    torch.testing.assert_close(y_c, y_e)
    torch.testing.assert_close(torch.autograd.grad(y_c.sum(), pb)[0], torch.autograd.grad(y_e.sum(), pb)[0])
    with pytest.raises(RuntimeError, match="x must be binary"):
        compiled(x + 2, pb, noise=noise)


def _saved_for_backward(ch: torch.nn.Module, x: torch.Tensor, pb: torch.Tensor) -> list[str]:
    """What Inductor's partitioner keeps from forward to backward of ``ch(x, pb)``, per tensor of x's size.

    Compiled with the partitioner Inductor uses (min-cut rematerialization) and a forward
    compiler that reads the forward graph's outputs (the channel's output first, then what
    backward reads): ``"x"`` for the input itself, ``"uniforms"`` for the ones drawn in the
    graph, else the dtype of the tensor kept (one computed from them in forward)."""
    from torch._dynamo.backends.common import aot_autograd
    from torch._functorch.partitioners import min_cut_rematerialization_partition

    kept: list[str] = []

    def forward_compiler(gm: torch.fx.GraphModule, example_inputs):  # noqa: ANN001, ANN202
        placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
        (out,) = (n for n in gm.graph.nodes if n.op == "output")
        for node in out.args[0][1:]:
            val = getattr(node, "meta", {}).get("val")
            if val is None or val.numel() != x.numel():
                continue
            if node is placeholders[0]:
                kept.append("x")
            elif node.target is torch.ops.aten.rand.default:
                kept.append("uniforms")
            else:
                kept.append(str(val.dtype))
        return gm

    backend = aot_autograd(fw_compiler=forward_compiler, bw_compiler=lambda gm, _: gm,
                           partition_fn=min_cut_rematerialization_partition)
    torch.compile(ch, backend=backend, fullgraph=True)(x, pb).sum().backward()
    assert pb.grad is not None
    return kept


@pytest.mark.parametrize("llrs", [False, True], ids=["hard", "llrs"])
@pytest.mark.parametrize("bipolar", [False, True], ids=["binary", "bipolar"])
@pytest.mark.parametrize("cls", CHANNELS[:-1], ids=lambda c: c.__name__)
def test_compiled_fast_sampler_keeps_x_and_the_uniforms_for_backward(cls: type, bipolar: bool, llrs: bool) -> None:
    # boolean masks kept instead (the partitioner's choice where backward reads x only through
    # comparisons) are written several times slower than floats by Inductor's CPU code
    ch = cls(return_llrs=llrs, bipolar_input=bipolar, sampler="logistic")
    x = bits((64, 32))
    kept = _saved_for_backward(ch, 2 * x - 1 if bipolar else x, _pb(cls, torch.float32))
    if llrs:
        assert sorted(kept) == ["uniforms", "x"], kept
        return
    # hard outputs: backward needs only the straight-through factor of each bit (a float the
    # partitioner computes in forward), and the sent bit: x for bipolar inputs, a mask for
    # binary inputs with two probabilities, nothing for the BSC
    sent = "x" if bipolar else ("torch.bool" if cls is not BinarySymmetricChannel else None)
    assert sorted(kept) == sorted(k for k in ("torch.float32", sent) if k), kept
