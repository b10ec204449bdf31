"""The channels of course_utils.channels under torch.compile(fullgraph=True), input checks on.

The matrix (four channels, both samplers, static and dynamic shapes) uses the fast
``aot_eager`` backend; one compiled function covers hard and LLR outputs, binary and
bipolar inputs, and (one graph each) float32 and float64. Outputs and gradients
w.r.t. ``pb`` must equal eager mode's with the same noise. One test runs Inductor.
"""
from __future__ import annotations

import logging

import pytest
import torch
from torch._dynamo.utils import counters

from course_utils.channels import BinaryMemorylessChannel, BinarySymmetricChannel

from helpers import CHANNELS, bits

DTYPES = (torch.float32, torch.float64)


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


def _variants(cls: type, sampler: str) -> dict[torch.dtype, list[torch.nn.Module]]:
    """Per dtype, the channels one graph runs: hard/LLR outputs and binary/bipolar inputs
    are spread over the dtypes and samplers, so the matrix covers each pairing once or twice."""
    llrs_f32 = sampler == "logistic"
    return {torch.float32: [cls(return_llrs=llrs_f32, dtype=torch.float32, sampler=sampler)],
            torch.float64: [cls(return_llrs=not llrs_f32, bipolar_input=True, dtype=torch.float64,
                                sampler=sampler)]}


def _run_all(variants: dict, x: torch.Tensor, pb: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    outs = []
    for ch in variants[x.dtype]:
        xin = 2 * x - 1 if ch.bipolar_input else x
        outs.append(ch(xin, pb, noise=noise))
    return torch.stack(outs)


def _outputs_and_grad(fn, variants, x, pb, noise):  # noqa: ANN001, ANN202
    y = fn(variants, x, pb, noise)
    if not y.requires_grad:  # the erasure channel: not differentiable w.r.t. pb, as in Sionna
        return y, None
    weights = torch.linspace(-1, 1, y.numel(), dtype=y.dtype).view(y.shape)
    (grad,) = torch.autograd.grad((y * weights).sum(), pb)
    return y, grad


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
@pytest.mark.parametrize("sampler", ["gumbel", "logistic"])
@pytest.mark.parametrize("cls", CHANNELS, ids=lambda c: c.__name__)
def test_compiled_equals_eager_with_the_same_noise(cls: type, sampler: str, dynamic: bool) -> None:
    variants = _variants(cls, sampler)
    compiled = torch.compile(_run_all, backend="aot_eager", fullgraph=True, dynamic=dynamic)
    calls = [(torch.float32, (6, 5)), (torch.float64, (6, 5))]
    if dynamic:  # a new shape: no new graph
        calls.append((torch.float32, (4, 7)))
    for k, (dtype, shape) in enumerate(calls):
        x = bits(shape, dtype=dtype, seed=k)
        pb = _pb(cls, dtype)
        noise = torch.rand(variants[dtype][0].noise_shape(x.shape), dtype=dtype,
                           generator=torch.Generator().manual_seed(k))
        y_c, g_c = _outputs_and_grad(compiled, variants, x, pb, noise)
        y_e, g_e = _outputs_and_grad(_run_all, variants, x, pb, noise)
        torch.testing.assert_close(y_c, y_e, rtol=0, atol=0)
        if cls is CHANNELS[-1]:
            assert g_c is None and g_e is None
        else:
            assert g_c is not None
            torch.testing.assert_close(g_c, g_e)
    assert counters["stats"]["unique_graphs"] == 2  # one graph per dtype


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


@pytest.mark.parametrize("sampler", ["gumbel", "logistic"])
def test_compiled_value_checks_run_in_the_graph(sampler: str) -> None:
    ch = torch.compile(BinaryMemorylessChannel(sampler=sampler), backend="aot_eager", fullgraph=True, dynamic=True)
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
