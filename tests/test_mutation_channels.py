"""Gaps left by mutation testing in course_utils.channels: messages, precisions, devices, engines.

Each test names the bug it catches. The chunked engine's tests use inputs of several chunks, with
the chunk made small (``SMALL_CHUNK`` bits, as in test_channels_fast.py) to keep them fast.
"""
from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterator

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from course_utils.channels import (
    BinaryErasureChannel,
    BinaryMemorylessChannel,
    BinarySymmetricChannel,
    ChannelConfig,
    ChunkedEngine,
    GumbelSoftmaxSampler,
    LogisticSampler,
    WholeTensorEngine,
    chunked,
    gumbel_noise,
    gumbel_softmax_errors,
    llr_values,
    logistic_from_gumbel,
    memoryless_llrs,
)
from course_utils.channels.checks import (
    check_noise,
    check_x_values,
    require_float_tensor,
    to_probability,
)
from course_utils.channels.logistic_math import sum_to

from helpers import FactoryDevices, bits

SMALL_CHUNK = 4096
META = torch.device("meta")  # a device other than the CPU, without data: a tensor left on the CPU shows
CPU = torch.device("cpu")


def _only(engine: ChunkedEngine | WholeTensorEngine) -> LogisticSampler:
    return LogisticSampler(engines=(engine,))


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# -- messages a learner reads ----------------------------------------------------------------

def test_type_errors_name_the_type_that_was_given() -> None:
    """A message naming the wrong object's type (e.g. ``type(None)``: "got NoneType")."""
    x = torch.zeros(2)
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: require_float_tensor("x", [1.0]), "x must be a torch.Tensor, got list"),
        (lambda: BinarySymmetricChannel()([0.0, 1.0], 0.1), "x must be a torch.Tensor, got list"),
        (lambda: BinarySymmetricChannel()(x, 0.1, generator=0), "generator must be a torch.Generator, got int"),
        (lambda: BinarySymmetricChannel(sampler=3),
         'sampler must be "gumbel", "logistic" or a sampler (GumbelSoftmaxSampler, LogisticSampler), got int'),
        (lambda: BinarySymmetricChannel(return_llrs=1), "return_llrs must be bool, got int"),
        (lambda: BinarySymmetricChannel(bipolar_input=None), "bipolar_input must be bool, got NoneType"),
        (lambda: BinarySymmetricChannel(check_input="yes"), "check_input must be bool, got str"),
        (lambda: BinarySymmetricChannel()(x, 0.1, noise=[0.5]),
         "noise must be a floating-point torch.Tensor of uniforms"),
        (lambda: LogisticSampler(engines=(object(),)),
         "engines must be a non-empty sequence of engines (objects with a memoryless method)"),
        (lambda: BinarySymmetricChannel(llr_max="20"), "llr_max must be a real number, got str"),
        (lambda: BinarySymmetricChannel()(x, "0.1"), "pb must be a probability (number or tensor), got str"),
    ]
    for call, message in cases:
        with pytest.raises(TypeError) as info:
            call()
        assert str(info.value) == message


def test_each_dtype_refusal_says_what_the_channel_accepts() -> None:
    """A changed text, or the bipolar flag not reaching the dtype check (a uint8 x accepted as bipolar)."""
    u8, f16 = torch.ones(2, dtype=torch.uint8), torch.ones(2, dtype=torch.float16)
    cases = [
        (BinarySymmetricChannel(return_llrs=True), u8,
         "LLR outputs need x of dtype float32 or float64; got x of dtype torch.uint8"),
        (BinarySymmetricChannel(bipolar_input=True), u8,
         "bipolar x must be float32, float64 or a signed integer; got x of dtype torch.uint8"),
        (BinarySymmetricChannel(), f16, "x must be float32, float64 or an integer; got x of dtype torch.float16"),
        (BinaryErasureChannel(), u8, "x must be float32, float64 or a signed integer; got x of dtype torch.uint8"),
    ]
    for ch, x, message in cases:
        with pytest.raises(TypeError) as info:
            ch(x, 0.1)
        assert str(info.value) == message


def test_real_number_settings_refuse_boolean_and_complex_tensors() -> None:
    """``or`` read as ``and``: a one-element boolean tensor taken as llr_max = 1."""
    for value in (torch.tensor(True), torch.tensor(1 + 0j)):
        with pytest.raises(TypeError) as info:
            BinarySymmetricChannel(llr_max=value)
        assert str(info.value) == ("llr_max must be a real number, got a tensor of shape () "
                                   f"and dtype {value.dtype}")


def test_value_errors_say_what_is_wrong() -> None:
    """Texts of the ValueErrors of the channels' inputs (changed, or None instead of the message)."""
    x = torch.zeros(4)
    noise = torch.full((2, 4, 2), 0.25)
    noise[1, 2, 0] = 1.0
    meta = torch.zeros(4, device=META)
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: BinarySymmetricChannel()(x, 0.1, noise=noise),
         "noise must hold uniforms in [0, 1), as torch.rand draws them; got values in [0.25, 1]"),
        (lambda: BinarySymmetricChannel()(x, 0.1, noise=noise, generator=_gen()),
         "give either noise or generator, not both"),
        (lambda: BinaryMemorylessChannel()(x, 0.3),
         "pb must be a pair (pb0, pb1) or a tensor whose last dimension is 2, got float"),
        (lambda: BinarySymmetricChannel(check_input=False)(meta, 0.1, generator=_gen()),
         "generator lives on cpu but x on meta: use a generator on the device of x"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError) as info:
            call()
        assert str(info.value) == message


def test_a_sampler_without_an_applicable_engine_lists_its_engines() -> None:
    """The engines' names joined wrongly, or the advice's class name changed."""

    class Never:
        name = "never"

        def memoryless(self, *args: object) -> None:
            return None

    ch = BinarySymmetricChannel(sampler=LogisticSampler(engines=(ChunkedEngine(), Never())))
    with pytest.raises(ValueError) as info:
        ch(torch.zeros(3), torch.full((3,), 0.1))  # per-bit probabilities: the chunked engine steps aside
    assert str(info.value) == ("no engine of this sampler (chunked, never) applies to this call: "
                               "add WholeTensorEngine(), which always applies")


@pytest.fixture
def _quiet_dynamo() -> Iterator[None]:
    # pytest's log capture would turn on torch's structured compile trace (slow): keep it off
    trace_log = logging.getLogger("torch.__trace")
    level = trace_log.level
    trace_log.setLevel(logging.WARNING)
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()
    trace_log.setLevel(level)


@pytest.mark.usefixtures("_quiet_dynamo")
def test_compiled_value_checks_raise_their_messages_without_reading_data() -> None:
    """In a compiled graph: an assert without its message or on the wrong value, or a message that
    reads the data while tracing (a graph break: fullgraph refuses it)."""

    def checks(x: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        check_x_values(x, bipolar=False)
        check_noise(noise, x, [(4,)], check=True)
        return x + noise

    compiled = torch.compile(checks, backend="eager", fullgraph=True)
    x, noise = torch.tensor([0.0, 1.0, 1.0, 0.0]), torch.full((4,), 0.5)
    assert torch.equal(compiled(x, noise), x + noise)
    with pytest.raises(RuntimeError) as info:
        compiled(x + 2, noise)
    assert str(info.value) == "x must be binary (0 or 1); found other values"
    with pytest.raises(RuntimeError) as info:
        compiled(x, noise * 2)
    assert str(info.value) == "noise must hold uniforms in [0, 1), as torch.rand draws them"


# -- the channel's precision (dtype) ---------------------------------------------------------

def test_probabilities_are_used_in_the_channels_precision() -> None:
    """A probability kept in its own dtype (``.to(dtype=None)``): float32 LLRs from a float64 channel."""
    x = torch.tensor([0.0, 1.0], dtype=torch.float64)
    assert to_probability("pb", torch.tensor(0.3), x, torch.float64, True).dtype == torch.float64
    p64 = torch.tensor(0.0, dtype=torch.float64)
    w0, w1 = llr_values(p64, p64)
    expected = torch.stack((-w0, w1))  # pb = 0: nothing flips; 1 - 1e-9 is not 1 in float64
    for sampler in ("gumbel", "logistic"):
        ch = BinarySymmetricChannel(return_llrs=True, dtype=torch.float64, sampler=sampler)
        assert torch.equal(ch(x, torch.tensor(0.0)), expected), sampler


def test_fresh_noise_is_drawn_in_the_channels_precision() -> None:
    """Fresh uniforms drawn in the default float32 for a float64 channel: not what the documented
    ``noise=torch.rand(ch.noise_shape(x.shape), dtype=ch.dtype, generator=copy)`` gives."""
    x = bits((400,), seed=3, dtype=torch.float64)
    assert GumbelSoftmaxSampler().draw(2, (3,), dtype=torch.float64, device=CPU,
                                       generator=None).dtype == torch.float64
    for sampler in ("gumbel", "logistic"):
        ch = BinarySymmetricChannel(return_llrs=True, dtype=torch.float64, sampler=sampler)
        for grad in (False, True):  # the logistic sampler's chunked engine: without and with autograd
            with torch.set_grad_enabled(grad):
                drawn = ch(x, 0.3, generator=_gen(5))
                given = ch(x, 0.3, noise=torch.rand(ch.noise_shape(x.shape), dtype=torch.float64,
                                                    generator=_gen(5)))
            assert torch.equal(drawn, given), (sampler, grad)


def test_given_noise_is_used_in_the_channels_precision() -> None:
    """Given float64 uniforms used as they are in a float32 channel: a uniform just below the float32
    probability, which is the probability in float32, would flip the bit."""
    p = torch.tensor(0.3)  # float32: 0.30000001192...
    u = torch.tensor([float(p) - 1e-12, 0.1, 0.9], dtype=torch.float64)
    ch = BinarySymmetricChannel(sampler="logistic")
    x = torch.zeros(3)
    assert torch.equal(ch(x, p, noise=u), ch(x, p, noise=u.float()))
    assert ch(x, p, noise=u).tolist() == [0.0, 1.0, 0.0]


def test_erasure_llrs_are_llr_max_in_the_channels_precision() -> None:
    """llr_max made a float32 tensor (``dtype=None``): 0.1 rounded to float32 in a float64 channel."""
    x = torch.tensor([0.0, 1.0, 0.0, 1.0], dtype=torch.float64)
    for sampler in ("gumbel", "logistic"):
        ch = BinaryErasureChannel(return_llrs=True, llr_max=0.1, dtype=torch.float64, sampler=sampler)
        assert ch(x, 0.0).tolist() == [-0.1, 0.1, -0.1, 0.1], sampler


def test_the_engines_agree_on_gradients_when_x_is_less_precise_than_the_channel() -> None:
    """The LLR values not rounded to the dtype of x (in which the output holds them) in one engine's
    backward: its gradient w.r.t. pb then differs from the other's by float32 rounding."""
    x = bits((3000,), seed=7)  # float32, through a float64 channel
    grads = []
    for engine in (ChunkedEngine(), WholeTensorEngine()):
        ch = BinaryMemorylessChannel(return_llrs=True, dtype=torch.float64, sampler=_only(engine))
        pb = torch.tensor([0.1, 0.23], dtype=torch.float64, requires_grad=True)
        xg = x.clone().requires_grad_(True)
        y = ch(xg, pb, generator=_gen(8))
        y.sum().backward()  # ones: sums of them are exact in float32 too
        grads.append((y.detach(), pb.grad, xg.grad))
    (y1, p1, x1), (y2, p2, x2) = grads
    assert torch.equal(y1, y2) and torch.equal(x1, x2)
    torch.testing.assert_close(p1, p2, rtol=1e-12, atol=0)


def test_the_gradient_of_a_float32_x_is_worked_in_the_precision_of_the_channel() -> None:
    """The upstream gradient of a float32 output kept in float32 (not cast to the channel's float64)
    in one engine's backward: its products with the LLR values then round to float32."""
    x = bits((3000,), seed=7)
    weights = torch.rand(3000, generator=_gen(9))  # float32, with all their mantissa bits
    grads = []
    for engine in (ChunkedEngine(), WholeTensorEngine()):
        ch = BinaryMemorylessChannel(return_llrs=True, dtype=torch.float64, sampler=_only(engine))
        pb = torch.tensor([0.1, 0.23], dtype=torch.float64, requires_grad=True)
        (ch(x, pb, generator=_gen(8)) * weights).sum().backward()
        grads.append(pb.grad)
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-12, atol=0)


def test_the_whole_tensor_gradient_of_a_float64_x_is_not_rounded_to_the_channel() -> None:
    """The upstream gradient cast down to a float32 channel's dtype in the whole-tensor backward:
    the gradient w.r.t. a float64 x (the identity, for hard outputs) then loses its digits."""
    x = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64, requires_grad=True)
    upstream = torch.tensor([1 + 1e-12, 1e300, 1e-300], dtype=torch.float64)
    ch = BinarySymmetricChannel(sampler=_only(WholeTensorEngine()))  # float32 inside
    y = ch(x, torch.tensor(0.2, requires_grad=True), generator=_gen(3))
    y.backward(upstream)
    assert torch.equal(x.grad, upstream)


@pytest.mark.parametrize("grad", [False, True], ids=["no-grad", "grad"])
def test_the_error_threshold_keeps_the_precision_of_the_channel(grad: bool) -> None:
    """A per-bit threshold held in the dtype of x (float32) through a float64 channel: a uniform
    between 0.1 and float32(0.1) then makes an error that ``u < pb1`` does not."""
    x = torch.ones(4)  # float32
    u = torch.full((4,), 0.1000000005, dtype=torch.float64)  # 0.1 < u < float32(0.1)
    grads = []
    for engine in (ChunkedEngine(), WholeTensorEngine()):
        ch = BinaryMemorylessChannel(dtype=torch.float64, sampler=_only(engine))
        pb = torch.tensor([0.3, 0.1], dtype=torch.float64, requires_grad=grad)
        assert ch(x, pb, noise=u).tolist() == [1.0] * 4, engine.name
        if grad:  # backward decides again, and the LLR of the received bit carries its gradient
            llrs = BinaryMemorylessChannel(return_llrs=True, dtype=torch.float64, sampler=_only(engine))
            y = llrs(x, pb, noise=u)
            w1 = llr_values(pb[0].detach(), pb[1].detach())[1].to(torch.float32)
            assert torch.equal(y, w1.expand(4)), engine.name  # every 1 received
            y.sum().backward()
            grads.append(pb.grad)
    if grad:
        torch.testing.assert_close(grads[0], grads[1], rtol=1e-12, atol=0)


def test_sum_to_reduces_to_the_shape_and_dtype_of_the_input() -> None:
    """A gradient returned unreduced or in the wrong dtype (``like``'s dtype dropped)."""
    like = torch.zeros(3)
    reduced = sum_to(torch.ones(2, 3, dtype=torch.float64), like)
    assert reduced.dtype == torch.float32 and reduced.tolist() == [2.0, 2.0, 2.0]
    same = sum_to(torch.ones(3, dtype=torch.float64), like)
    assert same.dtype == torch.float32 and same.tolist() == [1.0, 1.0, 1.0]


# -- devices: the meta device stands for a GPU (shapes without data) ----------------------------

def test_probabilities_go_to_the_device_of_x() -> None:
    """``device=`` dropped from the conversion of a tensor or a number: the probability stays on the CPU."""
    x = torch.zeros(3, device=META)
    for value in (torch.tensor(0.3), 0.3):
        p = to_probability("pb", value, x, torch.float32, check=False)
        assert p.device == META and p.dtype == torch.float32


def test_a_channel_on_another_device_draws_and_moves_its_noise_there() -> None:
    """The faithful sampler's noise drawn on the default device, given noise not moved to x's device,
    or the chunked (CPU-only) engine not stepping aside for another device."""
    x = torch.zeros(4, 3, device=META)
    faithful = BinarySymmetricChannel(check_input=False)
    assert GumbelSoftmaxSampler().draw(2, (3,), dtype=torch.float32, device=META, generator=None).device == META
    cpu_noise = torch.rand(faithful.noise_shape(x.shape))
    for y in (faithful(x, 0.1), faithful(x, 0.1, noise=cpu_noise)):
        assert y.device == META and y.shape == x.shape
    fast = BinarySymmetricChannel(check_input=False, sampler="logistic")
    assert fast(x, 0.1, noise=torch.rand(x.shape, device=META)).device == META


def _factory_devices() -> FactoryDevices:
    """The factories these tests watch."""
    return FactoryDevices(torch.rand, torch.tensor, torch.as_tensor, torch.zeros, torch.full)


def test_the_erasure_channel_makes_its_constants_on_the_device_of_x() -> None:
    """The BEC's zero, erasure symbol or llr_max made on the default device (a GPU x would then fail)."""
    x = torch.tensor([0.0, 1.0, 1.0, 0.0])
    for sampler in ("gumbel", "logistic"):
        for llrs, bipolar in ((True, False), (False, False), (False, True)):
            ch = BinaryErasureChannel(return_llrs=llrs, bipolar_input=bipolar, sampler=sampler)
            with _factory_devices() as seen:
                ch(2 * x - 1 if bipolar else x, 0.5)
            assert seen.devices and all(d == CPU for d in seen.devices), (sampler, llrs, bipolar, seen.devices)


def test_backward_redraws_the_uniforms_with_a_generator_on_the_device_of_x(monkeypatch) -> None:
    """The whole-tensor engine's backward sets the saved state on a generator of the default device
    (on a GPU: a CPU generator, which cannot take a CUDA state)."""
    asked: list[object] = []

    class Recording(torch.Generator):
        def __init__(self, device: object = None) -> None:  # torch.Generator.__new__ makes it on `device`
            self.asked = device

        def set_state(self, state: torch.Tensor) -> Recording:
            asked.append(self.asked)
            return super().set_state(state)

    ch = BinarySymmetricChannel(sampler=_only(WholeTensorEngine()))
    pb = torch.tensor(0.2, requires_grad=True)
    y = ch(torch.zeros(50), pb, generator=_gen(1))
    monkeypatch.setattr(torch, "Generator", Recording)
    y.sum().backward()
    assert asked == [CPU]
    assert pb.grad is not None and pb.grad != 0


# -- the chunked engine: buffers, chunk borders, gradients --------------------------------------

class _Allocations(TorchDispatchMode):
    """Bytes of the new storages the ops make (an ``out=`` or in-place op makes none)."""

    def __init__(self) -> None:
        super().__init__()
        self.bytes = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        kwargs = kwargs or {}
        given = {t.untyped_storage().data_ptr() for t in tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor)}
        out = func(*args, **kwargs)
        for t in tree_leaves(out):
            if isinstance(t, torch.Tensor) and t.untyped_storage().data_ptr() not in given:
                self.bytes += t.untyped_storage().nbytes()
        return out


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(chunked, "CHUNK", SMALL_CHUNK)
    return SMALL_CHUNK


def _growth_per_bit(call: Callable[[int], int]) -> float:
    """How much more ``call(n)`` allocates, beyond the bytes it returns, per bit more: from 2 to 6 chunks."""
    sizes, extra = (2 * chunked.CHUNK + 3, 6 * chunked.CHUNK + 3), []
    for n in sizes:
        with _Allocations() as seen:
            result_bytes = call(n)
        extra.append(seen.bytes - result_bytes)
    return (extra[1] - extra[0]) / (sizes[1] - sizes[0])


# Beyond its output, a call allocates one byte per bit: the sampler's boolean mask of the bits
# pb0 applies to. A chunk op that makes a new tensor adds at least one more.

@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize("llrs", [False, True])
def test_the_chunked_forward_reuses_its_buffers_for_every_chunk(llrs: bool) -> None:
    """A chunk op that makes a new tensor instead of writing into the call's buffers (``out=`` dropped):
    the memory of a call then grows with the number of chunks."""
    ch = BinaryMemorylessChannel(return_llrs=llrs, check_input=False, sampler=_only(ChunkedEngine()))

    def call(n: int) -> int:
        x = torch.zeros(n)
        x[::3] = 1
        with torch.no_grad():
            return ch(x, (0.1, 0.2), generator=_gen(2)).nbytes + x.nbytes

    assert _growth_per_bit(call) <= 1


@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize("llrs", [False, True])
def test_the_chunked_backward_reuses_its_buffers_and_makes_no_unasked_gradient(llrs: bool) -> None:
    """Backward making new tensors per chunk (``out=`` dropped), or a gradient w.r.t. x that was not
    asked for (a tensor of the size of x)."""
    ch = BinaryMemorylessChannel(return_llrs=llrs, check_input=False, sampler=_only(ChunkedEngine()))

    def call(n: int) -> int:
        x = torch.zeros(n)
        x[::3] = 1
        pb = torch.tensor([0.1, 0.2], requires_grad=True)
        y = ch(x, pb, generator=_gen(2))
        torch.autograd.grad(y, pb, torch.ones_like(y))
        return y.nbytes + 2 * x.nbytes

    assert _growth_per_bit(call) <= 1.01  # and a few numbers per chunk (dot products)


@pytest.mark.usefixtures("small_chunks")
def test_a_call_over_several_chunks_is_right_and_warns_nothing() -> None:
    """A chunk written through a wrong slice (``k = None``, ``i - CHUNK``): PyTorch resizes the ``out=``
    tensor and warns on every call (a deprecated behaviour); outputs and gradients must equal the
    whole-tensor engine's across the chunk borders."""
    n = 2 * chunked.CHUNK + 3
    x = bits((n,), seed=4)
    results = []
    for engine in (ChunkedEngine(), WholeTensorEngine()):
        ch = BinaryMemorylessChannel(sampler=_only(engine))
        xg = x.clone().requires_grad_(True)
        pb = torch.tensor([0.1, 0.3], requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y = ch(xg, pb, generator=_gen(3))
            y.backward(torch.ones_like(y))
        results.append((y, xg.grad, pb.grad))
    (y1, x1, p1), (y2, x2, p2) = results
    assert torch.equal(y1, y2) and torch.equal(x1, x2)
    torch.testing.assert_close(p1, p2, rtol=1e-4, atol=0)


@pytest.mark.parametrize("engine", [ChunkedEngine(), WholeTensorEngine()], ids=lambda e: e.name)
def test_fresh_noise_is_not_saved_for_backward(engine: ChunkedEngine | WholeTensorEngine) -> None:
    """Fresh uniforms drawn as if given (then saved for backward, a float per bit) instead of drawn
    again in backward from the generator's saved state, or masks saved: neither engine saves
    anything of the size of x but x."""
    x = bits((1000,), seed=14)
    pb = torch.tensor(0.2, requires_grad=True)
    saved: list[torch.Tensor] = []

    def pack(t: torch.Tensor) -> torch.Tensor:
        saved.append(t)
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = BinarySymmetricChannel(sampler=_only(engine))(x, pb, generator=_gen(15))
    per_bit = [t for t in saved if t.numel() == x.numel()]
    assert [t.data_ptr() for t in per_bit] == [x.data_ptr()]
    y.sum().backward()
    assert pb.grad != 0


def test_two_equal_probabilities_of_the_bmc_each_get_their_gradient() -> None:
    """The BMC's gradient not split by sent bit when pb0 == pb1: all of it to pb0, none to pb1."""
    x = bits((2000,), seed=5)
    grads = []
    for engine in (ChunkedEngine(), WholeTensorEngine()):
        pb = torch.tensor([0.2, 0.2], requires_grad=True)
        BinaryMemorylessChannel(sampler=_only(engine))(x, pb, generator=_gen(6)).sum().backward()
        grads.append(pb.grad)
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-4, atol=0)
    assert (grads[0].abs() > 1).all(), grads[0]


def test_the_llr_gradient_wrt_x_with_a_constant_probability() -> None:
    """Backward summing the LLR values' gradient that nobody asked for (pb a number): a crash."""
    x = bits((500,), seed=9).requires_grad_(True)
    ch = BinarySymmetricChannel(return_llrs=True, sampler=_only(ChunkedEngine()))
    y = ch(x, 0.1, generator=_gen(10))
    y.sum().backward()
    w = llr_values(torch.tensor(0.1), torch.tensor(0.1))[1]
    assert torch.equal(x.grad, torch.full_like(x, 2 * w.item()))  # 2 d|llr|/dy_b: the LLR value, twice


def test_a_nan_llr_of_a_received_zero_stays_there() -> None:
    """The chunked engine running with a NaN constant (its plan not refused): 0 * NaN spreads the NaN
    LLR of a received 0 (pb0 = 1 in float32, as in Sionna) onto every received 1."""
    x = torch.ones(6)  # pb1 = 0: every 1 is received
    for sampler in ("gumbel", "logistic"):
        y = BinaryMemorylessChannel(return_llrs=True, sampler=sampler)(x, (1.0, 0.0))
        assert torch.equal(y, torch.zeros(6)), (sampler, y)


def test_one_scalar_and_one_per_bit_probability_go_to_the_whole_tensor_engine() -> None:
    """The chunked engine taking a call where only one of the two probabilities is a scalar."""
    ch = BinaryMemorylessChannel(sampler="logistic")
    x = torch.tensor([0.0, 1.0, 0.0, 1.0])
    assert ch(x, (0.0, torch.tensor([1.0, 1.0, 0.0, 0.0]))).tolist() == [0.0, 0.0, 0.0, 1.0]
    assert ch(x, (torch.tensor([1.0, 1.0, 0.0, 0.0]), 0.0)).tolist() == [1.0, 1.0, 0.0, 1.0]


def test_the_logistic_sampler_uses_given_noise_without_autograd() -> None:
    """The no-autograd path of an engine dropping the given noise or the LLR values."""
    u = torch.tensor([0.05, 0.5, 0.15, 0.95])
    x = torch.tensor([0.0, 0.0, 1.0, 1.0])
    w0, w1 = llr_values(torch.tensor(0.1), torch.tensor(0.2))
    for engine in (ChunkedEngine(), WholeTensorEngine()):
        hard = BinaryMemorylessChannel(sampler=_only(engine))
        soft = BinaryMemorylessChannel(return_llrs=True, sampler=_only(engine))
        with torch.no_grad():
            assert hard(x, (0.1, 0.2), noise=u).tolist() == [1.0, 0.0, 0.0, 1.0], engine.name
            got = soft(x, (0.1, 0.2), noise=u)
        assert torch.equal(got, torch.stack((w1, -w0, -w0, w1))), engine.name


def test_the_whole_tensor_engine_clips_both_llr_values() -> None:
    """A clipping bound dropped (``clamp(w, -llr_max, None)``): LLRs beyond llr_max."""
    x = torch.tensor([0.0, 1.0, 0.0, 1.0])
    ch = BinaryMemorylessChannel(return_llrs=True, llr_max=1.5, sampler=_only(WholeTensorEngine()))
    u = torch.full((4,), 0.5)  # no flip
    assert ch(x, (0.01, 0.02), noise=u).tolist() == [-1.5, 1.5, -1.5, 1.5]
    assert ch(x, (0.99, 0.98), noise=torch.zeros(4)).tolist() == [-1.5, 1.5, -1.5, 1.5]  # all flip


def test_a_tie_of_the_gumbel_pair_is_an_error_as_in_the_faithful_sampler() -> None:
    """The logistic decision on the faithful sampler's noise at a tie (soft sample exactly 0.5)
    written ``<= 0.5``: no error, where the faithful binarizer (``x >= 0.5``) makes one."""
    x = torch.zeros(3)
    noise = torch.full((2, 3, 2), 0.4)  # equal uniforms in each pair: L = 0
    for sampler in ("gumbel", "logistic"):
        ch = BinaryMemorylessChannel(sampler=sampler)
        assert ch(x, torch.tensor([0.5, 0.5]), noise=noise).tolist() == [1.0, 1.0, 1.0], sampler


# -- eps reaches every formula that takes it --------------------------------------------------

def test_the_formulas_use_the_eps_they_are_given() -> None:
    """``eps`` dropped (Sionna's 1e-9 used instead) in the Gumbel noise of the pairs, the error sample
    or the LLRs."""
    u = torch.rand(2000, 2, generator=_gen(11))
    eps = 0.3
    q = gumbel_noise(u, eps)
    assert torch.equal(logistic_from_gumbel(u, eps), q[:, 0] - q[:, 1])
    p = torch.tensor(0.0)
    logits = torch.stack((torch.log(p + eps) + q[:, 0], torch.log(1 - p + eps) + q[:, 1]), dim=-1) / 0.1
    expected = (torch.softmax(logits, dim=-1)[:, 0] >= 0.5).float()
    assert expected.sum() > 100  # with eps = 1e-9, p = 0 would (almost) never give an error
    assert torch.equal(gumbel_softmax_errors(p, u, 0.1, eps), expected)
    assert torch.equal(GumbelSoftmaxSampler()((p,), None, u.unsqueeze(0), 0.1, eps), expected)
    y = torch.tensor([-1.0, 1.0])
    pb0, pb1 = torch.tensor(0.1), torch.tensor(0.2)
    w0, w1 = llr_values(pb0, pb1, eps)
    assert torch.equal(memoryless_llrs(y, pb0, pb1, 100.0, eps), torch.stack((-w0, w1)))


def test_the_logistic_sampler_uses_the_eps_of_its_config() -> None:
    """The sampler's own formulas using Sionna's eps instead of the one in the config it is handed:
    its LLRs and its decisions on the faithful sampler's noise."""
    eps = 0.3
    cfg = ChannelConfig(bipolar=False, llrs=False, llr_max=100.0, temperature=0.1, eps=eps)
    x = bits((1000,), seed=12)
    p = torch.tensor(0.0)
    noise = torch.rand(2, 1000, 2, generator=_gen(13))
    errors = GumbelSoftmaxSampler()((p, p), x == 0, noise, 0.1, eps)
    y = LogisticSampler().memoryless(x, p, p, noise, None, cfg)
    assert errors.sum() > 100 and torch.equal(y, (x - errors).abs())
    llr_cfg = ChannelConfig(bipolar=False, llrs=True, llr_max=100.0, temperature=0.1, eps=eps)
    pb = torch.tensor(0.1)
    w0, w1 = llr_values(pb, pb, eps)
    y = LogisticSampler().memoryless(torch.tensor([0.0, 1.0]), pb, pb, torch.full((2,), 0.5), None, llr_cfg)
    assert torch.equal(y, torch.stack((-w0, w1)))
