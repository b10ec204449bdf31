"""Tests of the logistic sampler (course_utils.channels.fast) and its two engines against the faithful Gumbel sampler."""
from __future__ import annotations

import math

import pytest
import torch

from course_utils.channels import (
    BinaryErasureChannel,
    BinaryMemorylessChannel,
    BinarySymmetricChannel,
    BinaryZChannel,
    LogisticSampler,
    WholeTensorEngine,
    chunked,
    logistic_from_gumbel,
)

from helpers import CHANNELS
from helpers import bits as _bits

SMALL_CHUNK = 1000  # the chunked engine's borders, tested on small inputs


def _logistic(use_chunked: bool) -> LogisticSampler:
    """The logistic sampler with its default engines (chunked first), or with the whole-tensor engine only."""
    return LogisticSampler() if use_chunked else LogisticSampler(engines=(WholeTensorEngine(),))


def _pb(cls, shape=(), dtype=torch.float32, device="cpu", seed=1, scale=0.6):
    g = torch.Generator().manual_seed(seed)
    if cls is BinaryMemorylessChannel:
        shape = (*shape, 2)
    return (torch.rand(shape, generator=g, dtype=dtype) * scale).to(device)


def _run(ch, x, pb, w, **kw):
    """Output, gradient w.r.t. pb and gradient w.r.t. x of sum(w * ch(x, pb))."""
    x = x.detach().clone().requires_grad_(x.is_floating_point())
    pb = pb.detach().clone().requires_grad_(True)
    y = ch(x, pb, **kw)
    if y.requires_grad:
        (y * w).sum().backward()
    return y.detach(), pb.grad, x.grad


def _close(a, b, rtol):
    if a is None or b is None:
        assert a is None and b is None, (a, b)
        return
    scale = max(1.0, float(b.abs().max()))
    torch.testing.assert_close(a, b, rtol=rtol, atol=rtol * scale, equal_nan=True)


def _case_ids(cls, bipolar, llrs):
    return f"{cls.__name__}-{'bipolar' if bipolar else 'binary'}-{'llr' if llrs else 'hard'}"


CASES = [(c, b, llrs) for c in CHANNELS for b in (False, True) for llrs in (False, True)]


# -- construction --------------------------------------------------------------------

@pytest.mark.parametrize("cls", CHANNELS)
def test_sampler_option(cls) -> None:
    assert cls().sampler == "gumbel"
    ch = cls(sampler="logistic")
    assert ch.sampler == "logistic" and "sampler='logistic'" in repr(ch)
    with pytest.raises(ValueError, match="sampler"):
        cls(sampler="uniform")
    x = torch.zeros(4, 3)
    assert ch.noise_shape(x.shape) == (4, 3)  # one uniform per bit
    with pytest.raises(ValueError, match=r"noise must have shape \(4, 3\) or"):
        ch(x, _pb(cls), noise=torch.rand(3, 4))
    with pytest.raises(ValueError, match="noise must hold uniforms"):
        ch(x, _pb(cls), noise=torch.full((4, 3), 1.5))
    for shape in ((4, 3), cls().noise_shape(x.shape)):  # its own uniforms, or the faithful ones
        with pytest.raises(ValueError, match=r"noise must hold uniforms in \[0, 1\)"):
            ch(x, _pb(cls), noise=torch.ones(shape))  # a 1 would keep a p = 1 bit unflipped
    with pytest.raises(ValueError, match="either noise or generator"):
        ch(x, _pb(cls), noise=torch.rand(4, 3), generator=torch.Generator())


# -- matched noise: identical outputs and gradients -------------------------------------

@pytest.mark.parametrize("cls,bipolar,llrs", CASES, ids=[_case_ids(*c) for c in CASES])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("pb_shape", [(), (24,)])
def test_matched_noise_gives_identical_outputs_and_gradients(cls, bipolar, llrs, dtype,
                                                             pb_shape) -> None:
    x = _bits((500, 24), bipolar, dtype, seed=2)
    pb = _pb(cls, pb_shape, dtype)
    gumbel = cls(return_llrs=llrs, bipolar_input=bipolar, dtype=dtype)
    logistic = cls(return_llrs=llrs, bipolar_input=bipolar, dtype=dtype, sampler="logistic")
    gen = torch.Generator().manual_seed(3)
    u = torch.rand(gumbel.noise_shape(x.shape), generator=gen, dtype=dtype)
    w = torch.randn(x.shape, generator=gen, dtype=dtype)
    y0, gp0, gx0 = _run(gumbel, x, pb, w, noise=u)
    y1, gp1, gx1 = _run(logistic, x, pb, w, noise=u)
    assert torch.equal(y0, y1)
    rtol = 1e-5 if dtype == torch.float32 else 1e-10
    _close(gp1, gp0, rtol)
    _close(gx1, gx0, rtol)
    if cls is not BinaryErasureChannel:
        assert gp0.abs().max() > 0


def test_matched_noise_on_many_bits_and_the_logistic_difference() -> None:
    # the logistic sampler decides on l(p) + (q0 - q1): equal to the Gumbel pair's decision
    ch0 = BinarySymmetricChannel()
    ch1 = BinarySymmetricChannel(sampler="logistic")
    x = _bits((400_000,), seed=4)
    u = torch.rand(ch0.noise_shape(x.shape), generator=torch.Generator().manual_seed(5))
    assert torch.equal(ch0(x, 0.3, noise=u), ch1(x, 0.3, noise=u))
    q = -torch.log(-torch.log(u + 1e-9) + 1e-9)
    torch.testing.assert_close(logistic_from_gumbel(u), q[..., 0] - q[..., 1])


def test_pb_one_gives_nan_llrs_and_gradients_like_the_faithful_port() -> None:
    x = _bits((200,), seed=6)
    pb = torch.tensor([0.2, 1.0])
    ch0 = BinaryMemorylessChannel(return_llrs=True)
    ch1 = BinaryMemorylessChannel(return_llrs=True, sampler="logistic")
    u = torch.rand(ch0.noise_shape(x.shape), generator=torch.Generator().manual_seed(7))
    w = torch.ones(200)
    y0, g0, _ = _run(ch0, x, pb, w, noise=u)
    y1, g1, _ = _run(ch1, x, pb, w, noise=u)
    assert torch.equal(y0.isnan(), y1.isnan()) and y0.isnan().any()
    assert torch.equal(y0.nan_to_num(), y1.nan_to_num())
    assert torch.equal(g0.isnan(), g1.isnan())
    # and with fresh noise (both code paths of the logistic sampler)
    y2, g2, _ = _run(ch1, x, pb, w, generator=torch.Generator().manual_seed(8))
    assert y2.isnan().any() and g2.isnan().any()


# -- the chunked CPU path equals the full-tensor path ----------------------------------

@pytest.mark.parametrize("cls,bipolar,llrs", CASES, ids=[_case_ids(*c) for c in CASES])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_chunked_path_equals_full_tensor_path(cls, bipolar, llrs, dtype, monkeypatch) -> None:
    monkeypatch.setattr(chunked, "CHUNK", SMALL_CHUNK)
    x = _bits((3, SMALL_CHUNK // 2 + 7), bipolar, dtype, seed=9)  # crosses chunk borders
    pb = _pb(cls, (), dtype)
    w = torch.randn(x.shape, generator=torch.Generator().manual_seed(10), dtype=dtype)
    results = []
    for use_chunked in (True, False):
        ch = cls(return_llrs=llrs, bipolar_input=bipolar, dtype=dtype, sampler=_logistic(use_chunked))
        results.append(_run(ch, x, pb, w, generator=torch.Generator().manual_seed(11)))
        u = torch.rand(x.shape, generator=torch.Generator().manual_seed(11), dtype=dtype)
        results.append(_run(ch, x, pb, w, noise=u))
    rtol = 1e-5 if dtype == torch.float32 else 1e-10
    for y, gp, gx in results[1:]:
        assert torch.equal(y, results[0][0])
        _close(gp, results[0][1], rtol)
        _close(gx, results[0][2], rtol)


@pytest.mark.parametrize("dtype", [torch.int8, torch.int64, torch.uint8])
def test_integer_inputs_keep_their_dtype(dtype, monkeypatch) -> None:
    monkeypatch.setattr(chunked, "CHUNK", SMALL_CHUNK)
    x = _bits((SMALL_CHUNK + 3,), dtype=dtype, seed=12)
    outs = []
    for use_chunked in (True, False):
        ch = BinaryMemorylessChannel(sampler=_logistic(use_chunked))
        outs.append(ch(x, (0.1, 0.4), generator=torch.Generator().manual_seed(13)))
    assert outs[0].dtype == dtype and torch.equal(outs[0], outs[1])
    if dtype == torch.uint8:  # no erasure symbol in unsigned integers, as in Sionna
        with pytest.raises(TypeError, match="x"):
            BinaryErasureChannel(sampler="logistic")(x, 0.1)


# -- same checks as the faithful port ----------------------------------------------------

@pytest.mark.parametrize("cls", CHANNELS)
def test_same_validation_as_the_faithful_port(cls) -> None:
    bad_calls = [
        (torch.tensor([0.0, 2.0]), 0.1),
        (torch.tensor([0.0, 1.0], dtype=torch.float16), 0.1),
        (torch.tensor([0.0, 1.0]), float("nan")),
        ([0.0, 1.0], 0.1),
        (torch.tensor([0.0, 1.0]), torch.zeros(3)),
    ]
    for x, p in bad_calls:
        pb = (p, p) if cls is BinaryMemorylessChannel and not isinstance(p, torch.Tensor) else p
        errors = []
        for sampler in ("gumbel", "logistic"):
            with pytest.raises((TypeError, ValueError)) as info:
                cls(sampler=sampler)(x, pb)
            errors.append((type(info.value), str(info.value)))
        assert errors[0] == errors[1]


@pytest.mark.parametrize("cls", CHANNELS)
def test_output_dtype_device_and_clipping(cls, device) -> None:
    for dtype in (torch.float32, torch.float64, torch.int32):
        x = _bits((64,), dtype=dtype, device=device, seed=14)
        y = cls(sampler="logistic")(x, _pb(cls, (), device=device))
        assert y.dtype == dtype and y.device.type == device and y.shape == x.shape
    x = _bits((1000,), device=device, seed=15)
    lo, hi = ((-0.5, -0.5), (1.5, 1.5)) if cls is BinaryMemorylessChannel else (-0.5, 1.5)
    ch = cls(sampler="logistic")
    assert torch.equal(ch(x, lo), x)  # clipped to 0: never flips
    if cls is BinaryErasureChannel:
        assert bool((ch(x, hi) == -1).all())
    elif cls is BinaryZChannel:
        assert bool((ch(x, hi) == 0).all())
    else:
        assert torch.equal(ch(x, hi), 1 - x)  # clipped to 1: always flips


# -- reproducibility and the regenerated noise -----------------------------------------

@pytest.mark.parametrize("cls", CHANNELS)
def test_generator_reproducibility(cls, device) -> None:
    x = _bits((5, 1000), device=device, seed=16)
    ch = cls(return_llrs=True, sampler="logistic")
    pb = _pb(cls, (), device=device)

    def gen(seed):
        return torch.Generator(device).manual_seed(seed)

    a, b, c = ch(x, pb, generator=gen(7)), ch(x, pb, generator=gen(7)), ch(x, pb, generator=gen(8))
    assert torch.equal(a, b) and not torch.equal(a, c)
    # the generator draws exactly the uniforms the caller could pass in
    assert torch.equal(ch(x, pb, noise=torch.rand(x.shape, device=device, generator=gen(7))), a)
    # the global generator is used, and advanced, like torch.rand
    torch.manual_seed(9)
    d = ch(x, pb)
    after = torch.rand(3, device=device)
    torch.manual_seed(9)
    u = torch.rand(x.shape, device=device)
    assert torch.equal(ch(x, pb, noise=u), d)
    assert torch.equal(torch.rand(3, device=device), after)


@pytest.mark.parametrize("use_chunked", [True, False])
def test_backward_draws_the_same_uniforms_again(device, use_chunked, monkeypatch) -> None:
    monkeypatch.setattr(chunked, "CHUNK", SMALL_CHUNK)
    x = _bits((3000,), device=device, seed=17)
    w = torch.randn(3000, generator=torch.Generator().manual_seed(18)).to(device)
    ch = BinaryMemorylessChannel(return_llrs=True, sampler=_logistic(use_chunked))
    pb = torch.tensor([0.1, 0.3], device=device, requires_grad=True)
    torch.manual_seed(19)
    y = ch(x, pb)
    torch.rand(5000, device=device)  # other draws between forward and backward
    (y * w).sum().backward()
    grad, pb.grad = pb.grad, None
    torch.manual_seed(19)
    u = torch.rand(x.shape, device=device)
    (ch(x, pb, noise=u) * w).sum().backward()
    torch.testing.assert_close(grad, pb.grad)


def test_gradient_matches_the_hand_derivation() -> None:
    # d sigmoid((l(p) + L) / tau) / dp with L = log(1 - u) - log(u), for a BSC (binary, hard)
    x = _bits((2000,), dtype=torch.float64, seed=20)
    u = torch.rand(2000, dtype=torch.float64, generator=torch.Generator().manual_seed(21))
    w = torch.randn(2000, dtype=torch.float64, generator=torch.Generator().manual_seed(22))
    p, eps, tau = 0.3, 1e-9, 0.1
    ch = BinarySymmetricChannel(dtype=torch.float64, sampler="logistic")
    y, grad, _ = _run(ch, x, torch.tensor(p, dtype=torch.float64), w, noise=u)
    assert torch.equal(y, torch.where(u < p, 1 - x, x))
    s = torch.sigmoid((math.log(p + eps) - math.log(1 - p + eps) + torch.log(1 - u) - torch.log(u)) / tau)
    want = (w * s * (1 - s)).sum() * (1 / (p + eps) + 1 / (1 - p + eps)) / tau
    torch.testing.assert_close(grad, want)


# -- fresh noise: the same channel, statistically ----------------------------------------

def test_per_position_flip_rates_agree_with_the_faithful_port() -> None:
    n, positions = 100_000, 6
    pb0 = torch.tensor([0.0, 0.05, 0.1, 0.3, 0.5, 0.9])
    pb1 = torch.tensor([0.2, 1.0, 0.45, 0.1, 0.5, 0.7])
    x = _bits((n, positions), seed=23)
    is_one = x == 1
    rates = {}
    for sampler in ("gumbel", "logistic"):
        y = BinaryMemorylessChannel(sampler=sampler)(x, torch.stack((pb0, pb1), -1),
                                                     generator=torch.Generator().manual_seed(24))
        flips = (y != x).double()
        rates[sampler] = ((flips * ~is_one).sum(0) / (~is_one).sum(0),
                          (flips * is_one).sum(0) / is_one.sum(0))
    for k, want in enumerate((pb0, pb1)):
        a, b = rates["gumbel"][k], rates["logistic"][k]
        count = (~is_one if k == 0 else is_one).sum(0).double()
        # two independent estimates of the same rate: 5 standard errors of their difference
        sd = torch.sqrt(2 * want.double() * (1 - want.double()) / count)
        assert bool(((a - b).abs() <= 5 * sd + 1e-12).all()), (k, a, b)
        assert torch.allclose(b, want.double(), atol=0.01), (k, b, want)


def test_mean_gradient_agrees_with_the_faithful_port() -> None:
    # the straight-through gradient is random; its mean over fresh noise is the same:
    # 40 independent gradients per sampler, means compared within 5 standard errors
    x = _bits((5000,), bipolar=True, seed=25)
    grads = {}
    for sampler in ("gumbel", "logistic"):
        ch = BinaryMemorylessChannel(bipolar_input=True, sampler=sampler)
        gen, samples = torch.Generator().manual_seed(27), []
        for _ in range(40):
            pb = torch.tensor([0.1, 0.25], requires_grad=True)
            (ch(x, pb, generator=gen) * x).mean().backward()  # 1 - 2 * error rate
            samples.append(pb.grad)
        grads[sampler] = torch.stack(samples)
    a, b = grads["gumbel"], grads["logistic"]
    se = torch.sqrt((a.var(0) + b.var(0)) / 40)
    assert bool(((a.mean(0) - b.mean(0)).abs() < 5 * se).all()), (a.mean(0), b.mean(0), se)
    assert bool((a.mean(0).abs() > 5 * se).all())  # a mean that is not zero is being compared


def test_sgd_trajectories_agree() -> None:
    # learn a bipolar BSC's flip probability to an error rate of 0.2 with both samplers
    trajectories = {}
    for sampler in ("gumbel", "logistic"):
        gen = torch.Generator().manual_seed(27)
        ch = BinarySymmetricChannel(bipolar_input=True, sampler=sampler)
        pb = torch.tensor(0.02, requires_grad=True)
        opt = torch.optim.SGD([pb], lr=0.5)
        path = []
        for _ in range(150):
            x = 2 * torch.randint(0, 2, (2048,), generator=gen).float() - 1
            y = ch(x, pb, generator=gen)
            loss = (((1 - x * y) / 2).mean() - 0.2) ** 2
            opt.zero_grad()
            loss.backward()
            opt.step()
            path.append(pb.item())
        trajectories[sampler] = torch.tensor(path)
    a, b = trajectories["gumbel"], trajectories["logistic"]
    assert abs(a[-50:].mean() - 0.2) < 0.02 and abs(b[-50:].mean() - 0.2) < 0.02
    # same approach: the early steps agree on average, the late ones fluctuate alike
    assert abs(float(a[:30].mean() - b[:30].mean())) < 0.02, (a[:30], b[:30])
    assert 0.5 < float(a[-50:].std() / b[-50:].std()) < 2


# -- against Sionna: the logistic sampler fed Sionna's uniforms ---------------------------

def test_logistic_sampler_equals_sionna_on_the_same_uniforms() -> None:
    pytest.importorskip("sionna.phy.channel")
    from course_utils import import_tensorflow
    from course_utils.channels import feed_sionna_uniforms

    tf = import_tensorflow()
    from sionna.phy.channel import BinaryMemorylessChannel as SionnaBMC

    x = _bits((64, 24), seed=28)
    pb = _pb(BinaryMemorylessChannel, (24,), seed=29)
    ours = BinaryMemorylessChannel(return_llrs=True, sampler="logistic")
    u = torch.rand((2, *x.shape, 2), generator=torch.Generator().manual_seed(30))
    w = torch.randn(x.shape, generator=torch.Generator().manual_seed(31))
    y, grad, _ = _run(ours, x, pb, w, noise=u)
    ptf = tf.Variable(pb.numpy())
    with feed_sionna_uniforms(u), tf.GradientTape() as tape:
        ytf = SionnaBMC(return_llrs=True)(tf.constant(x.numpy()), ptf)
        loss = tf.reduce_sum(ytf * w.numpy())
    gtf = tape.gradient(loss, ptf).numpy()
    torch.testing.assert_close(y, torch.from_numpy(ytf.numpy()), rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(grad, torch.from_numpy(gtf), rtol=1e-5,
                               atol=1e-5 * max(1.0, float(abs(gtf).max())))



@pytest.mark.parametrize("xdtype,dtype", [(torch.float64, torch.float32), (torch.float32, torch.float64)])
@pytest.mark.parametrize("bipolar,llrs", [(False, False), (False, True), (True, False), (True, True)])
def test_input_dtype_other_than_the_internal_precision(xdtype, dtype, bipolar, llrs,
                                                      monkeypatch) -> None:
    monkeypatch.setattr(chunked, "CHUNK", SMALL_CHUNK)
    x = _bits((2500,), bipolar, xdtype, seed=32)
    w = torch.randn(2500, generator=torch.Generator().manual_seed(33), dtype=xdtype)
    pb = torch.tensor([0.1, 0.3], dtype=dtype)
    u = torch.rand((2, 2500, 2), generator=torch.Generator().manual_seed(34), dtype=dtype)
    runs = []
    for sampler in ("gumbel", _logistic(True), _logistic(False)):
        ch = BinaryMemorylessChannel(return_llrs=llrs, bipolar_input=bipolar, dtype=dtype,
                                     sampler=sampler)
        runs.append(_run(ch, x, pb, w, noise=u))
        if sampler != "gumbel":  # fresh noise: chunked and whole-tensor paths agree too
            runs.append(_run(ch, x, pb, w, generator=torch.Generator().manual_seed(35)))
    for y, gp, gx in runs:
        assert y.dtype == xdtype and gx.dtype == xdtype and gp.dtype == dtype
    # runs: gumbel, logistic chunked (matched, fresh), logistic whole-tensor (matched, fresh)
    assert torch.equal(runs[1][0], runs[0][0]) and torch.equal(runs[3][0], runs[0][0])
    assert torch.equal(runs[4][0], runs[2][0])
    for a, b in ((runs[1], runs[0]), (runs[3], runs[0]), (runs[4], runs[2])):
        _close(a[1], b[1], 1e-5)
        _close(a[2], b[2], 1e-5)


@pytest.mark.parametrize("p", [0.2, 0.8])  # 0.8: the LLRs change sign, and meet the other ends
@pytest.mark.parametrize("bipolar", [False, True])
def test_llr_clipping_passes_the_gradient_at_the_bound_and_none_beyond(bipolar, p) -> None:
    """Like ``torch.clamp``, an LLR of exactly ``llr_max`` keeps its gradient; a clipped one has none.

    With ``pb`` the same for both bits, every received LLR is ``+-llr_max`` at once, on both sides
    of the interval: an engine that counts the bound as outside, or scales a clipped LLR's
    gradient wrongly, differs here. The whole-tensor engine is held against the faithful port
    (the faithful port's uniforms), the chunked engine against the whole-tensor one (one uniform
    per bit, the noise the chunked engine takes).
    """
    x = _bits((400,), bipolar, seed=36)
    gen = torch.Generator().manual_seed(37)
    faithful = BinarySymmetricChannel(return_llrs=True, bipolar_input=bipolar)
    u_pairs = torch.rand(faithful.noise_shape(x.shape), generator=gen)
    u_bits = torch.rand(x.shape, generator=gen)
    w = torch.randn(x.shape, generator=gen)
    pb = torch.tensor(p)
    y, gp, gx = _run(faithful, x, pb, w, noise=u_pairs)  # llr_max = 100: nothing clipped
    bound = float(y.abs().max())
    assert bound < 100 and torch.equal(y.abs(), torch.full_like(y, bound)) and (y > 0).any() and (y < 0).any()
    for llr_max in (bound, bound / 2):
        faithful.llr_max = llr_max
        whole, chunked_ = (BinarySymmetricChannel(return_llrs=True, bipolar_input=bipolar, llr_max=llr_max,
                                                  sampler=_logistic(c)) for c in (False, True))
        want = _run(faithful, x, pb, w, noise=u_pairs)
        for got, ref in ((_run(whole, x, pb, w, noise=u_pairs), want),
                         (_run(chunked_, x, pb, w, noise=u_bits), _run(whole, x, pb, w, noise=u_bits))):
            assert torch.equal(got[0], ref[0])
            _close(got[1], ref[1], 1e-5)
            _close(got[2], ref[2], 1e-5)
            if llr_max == bound:  # the bound counts as inside: the gradients of unclipped LLRs
                assert ref[1] != 0 and ref[2].any()
            else:  # a clipped LLR is a constant
                assert not ref[1].any() and not ref[2].any()
        if llr_max == bound:  # the faithful port's own gradients: those of the unclipped LLRs
            _close(want[1], gp, 1e-6)
            _close(want[2], gx, 1e-6)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_logistic_edges_are_exact_in_any_precision(dtype) -> None:
    """u < p: for uniforms in [0, 1), p = 0 never flips and p = 1 always does (module docstring)."""
    below_one = torch.nextafter(torch.tensor(1.0, dtype=dtype), torch.tensor(0.0, dtype=dtype))
    u = torch.tensor([0.0, float(below_one)], dtype=dtype)
    ch = BinarySymmetricChannel(dtype=dtype, sampler="logistic")
    x = torch.zeros(2, dtype=dtype)
    assert ch(x, 0.0, noise=u).tolist() == [0.0, 0.0]
    assert ch(x, 1.0, noise=u).tolist() == [1.0, 1.0]
    # a uniform of exactly 1 (refused when checked) would keep a p = 1 bit
    unchecked = BinarySymmetricChannel(dtype=dtype, sampler="logistic", check_input=False)
    assert unchecked(torch.zeros(1, dtype=dtype), 1.0, noise=torch.ones(1, dtype=dtype)).item() == 0.0


# -- the engines are separate pieces -------------------------------------------------------

def test_the_sampler_runs_the_first_engine_that_applies() -> None:
    from course_utils.channels import ChunkedEngine

    x = _bits((50,), seed=40)
    only_chunked = BinaryMemorylessChannel(sampler=LogisticSampler(engines=(ChunkedEngine(),)))
    assert only_chunked(x, (0.1, 0.3)).shape == x.shape  # scalar probabilities on the CPU: it applies
    with pytest.raises(ValueError, match=r"no engine of this sampler .chunked. applies"):
        only_chunked(x, torch.full((50, 2), 0.1))  # per-position probabilities: it does not
    with pytest.raises(TypeError, match="engines must be a non-empty sequence"):
        LogisticSampler(engines=())
    with pytest.raises(TypeError, match="sampler must be"):
        BinarySymmetricChannel(sampler=3)
    with pytest.raises(ValueError, match="sampler must be"):
        BinarySymmetricChannel(sampler="fast")
