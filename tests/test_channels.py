"""Tests of course_utils.channels (torch only; the comparison with Sionna is in test_channels_sionna.py)."""
from __future__ import annotations

import math
import subprocess

import pytest
import torch

from course_utils.channels import (
    EPS,
    BinaryErasureChannel,
    BinaryMemorylessChannel,
    BinarySymmetricChannel,
    BinaryZChannel,
    binarize_ste,
    gumbel_softmax_errors,
    ste_xor,
)

from helpers import CHANNELS, python_command
from helpers import bits as _bits


def _pb(cls, value=0.2, **kw):
    """A valid probability argument for ``cls``."""
    if cls is BinaryMemorylessChannel:
        return torch.tensor([value, value], **kw)
    return torch.tensor(value, **kw)


# -- import and construction ---------------------------------------------------------

def test_import_does_not_import_tensorflow() -> None:
    code = ("import sys, torch, course_utils.channels as c; "
            "c.BinarySymmetricChannel()(torch.zeros(3), 0.1); "
            "assert 'tensorflow' not in sys.modules, 'tensorflow imported'")
    subprocess.run([*python_command(), "-c", code], check=True)


@pytest.mark.parametrize("cls", CHANNELS)
def test_constructor_validation(cls) -> None:
    for arg in ("return_llrs", "bipolar_input", "check_input"):
        with pytest.raises(TypeError, match=arg):
            cls(**{arg: 1})
    for dtype in (torch.float16, torch.bfloat16, torch.int32, "float32"):
        with pytest.raises(TypeError, match="dtype"):
            cls(dtype=dtype)
    with pytest.raises(ValueError, match="llr_max"):
        cls(llr_max=-1.0)
    with pytest.raises(ValueError, match="temperature"):
        cls(temperature=0.0)
    ch = cls()
    assert isinstance(ch, torch.nn.Module)
    assert (ch.return_llrs, ch.bipolar_input, ch.dtype) == (False, False, torch.float32)
    assert ch.llr_max == 100.0 and ch.temperature == pytest.approx(0.1)
    assert "temperature=0.1" in repr(ch) and "sampler='gumbel'" in repr(ch)


def test_llr_max_and_temperature_properties() -> None:
    ch = BinaryMemorylessChannel()
    ch.llr_max = 5
    assert ch.llr_max == 5.0
    ch.llr_max = torch.tensor(7.0)
    assert ch.llr_max == 7.0
    ch.llr_max = 0.1  # rounded to the internal precision, as Sionna casts it
    assert ch.llr_max == float(torch.tensor(0.1, dtype=torch.float32)) != 0.1
    assert BinaryMemorylessChannel(dtype=torch.float64, llr_max=0.1).llr_max == 0.1
    for bad in (-0.5, float("nan")):
        with pytest.raises(ValueError, match="llr_max"):
            ch.llr_max = bad
    for bad in ("10", True, torch.ones(2)):
        with pytest.raises(TypeError, match="llr_max"):
            ch.llr_max = bad
    ch.temperature = 0.5
    assert ch.temperature == 0.5
    for bad in (0, -1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="temperature"):
            ch.temperature = bad
    with pytest.raises(TypeError, match="temperature"):
        ch.temperature = None


# -- dtype rules -------------------------------------------------------------------------

FLOATS = [torch.float32, torch.float64]
SIGNED = [torch.int8, torch.int16, torch.int32, torch.int64]
UNSIGNED = [torch.uint8, torch.uint16, torch.uint32, torch.uint64]
NEVER = [torch.float16, torch.bfloat16, torch.bool, torch.complex64]


def _allowed(cls, bipolar, llrs):
    if llrs:
        return FLOATS
    if bipolar or cls is BinaryErasureChannel:
        return FLOATS + SIGNED
    return FLOATS + SIGNED + UNSIGNED


@pytest.mark.parametrize("cls", CHANNELS)
@pytest.mark.parametrize("bipolar", [False, True])
@pytest.mark.parametrize("llrs", [False, True])
def test_dtype_rules_and_output_dtype(cls, bipolar, llrs) -> None:
    ch = cls(return_llrs=llrs, bipolar_input=bipolar)
    allowed = _allowed(cls, bipolar, llrs)
    for dtype in FLOATS + SIGNED + UNSIGNED + NEVER:
        if bipolar and dtype in UNSIGNED:
            continue  # -1 does not exist in an unsigned dtype
        x = _bits((6, 5), bipolar, torch.int64).to(dtype)
        if dtype in allowed:
            y = ch(x, _pb(cls, 0.3))
            assert y.dtype == dtype and y.shape == x.shape
        else:
            with pytest.raises(TypeError, match="x"):
                ch(x, _pb(cls, 0.3))
    with pytest.raises(TypeError, match=r"x must be a torch\.Tensor"):
        ch([0.0, 1.0], _pb(cls))


def test_internal_precision_float64() -> None:
    ch = BinarySymmetricChannel(return_llrs=True, dtype=torch.float64)
    pb = torch.tensor(0.1, dtype=torch.float64, requires_grad=True)
    x = _bits((1000,))
    y = ch(x, pb)  # float32 x: LLRs computed in float64, returned in float32
    assert y.dtype == torch.float32
    assert float(y.detach().abs().max()) == pytest.approx(math.log(0.9 / 0.1), rel=1e-6)
    y.sum().backward()
    assert pb.grad.dtype == torch.float64 and torch.isfinite(pb.grad)


# -- input validation --------------------------------------------------------------------

@pytest.mark.parametrize("cls", CHANNELS)
def test_non_binary_x_is_refused(cls) -> None:
    with pytest.raises(ValueError, match="x must be binary"):
        cls()(torch.tensor([0.0, 1.0, 0.5]), _pb(cls))
    with pytest.raises(ValueError, match="x must be binary"):
        cls()(torch.tensor([0, 1, -1]), _pb(cls))
    with pytest.raises(ValueError, match="x must be bipolar"):
        cls(bipolar_input=True)(torch.tensor([0.0, 1.0, -1.0]), _pb(cls))
    # check_input=False skips the value checks (faster), as after Sionna's first call
    cls(check_input=False)(torch.tensor([0.0, 1.0, 0.5]), _pb(cls))


def test_bmc_pb_shape_is_checked() -> None:
    ch = BinaryMemorylessChannel()
    x = torch.zeros(4, 3)
    for bad in (torch.zeros(4, 3), torch.zeros(3), torch.tensor(0.1), 0.1, (0.1, 0.2, 0.3), [0.1]):
        with pytest.raises(ValueError, match="pb"):
            ch(x, bad)
    with pytest.raises(ValueError, match="does not broadcast"):
        ch(x, torch.zeros(5, 2))
    with pytest.raises(ValueError, match="does not broadcast"):  # larger than x: refused, as in Sionna
        ch(x, torch.zeros(2, 4, 3, 2))
    for good in ((0.1, 0.2), [0.1, 0.2], torch.zeros(2), torch.zeros(3, 2), torch.zeros(4, 1, 2),
                 (torch.zeros(3), torch.tensor(0.5))):
        assert ch(x, good).shape == x.shape


@pytest.mark.parametrize("cls", CHANNELS[1:])
def test_single_probability_channels_pb_checks(cls) -> None:
    x = torch.zeros(4, 3)
    ch = cls()
    for good in (0.1, torch.tensor(0.1), torch.full((3,), 0.1), torch.full((4, 1), 0.1), [0.1, 0.2, 0.3]):
        assert ch(x, good).shape == x.shape
    with pytest.raises(ValueError, match="pb of shape"):
        ch(x, torch.zeros(2))
    with pytest.raises(TypeError, match="pb"):
        ch(x, torch.zeros(3, dtype=torch.complex64))
    with pytest.raises(TypeError, match="pb"):
        ch(x, "0.1")


@pytest.mark.parametrize("cls", CHANNELS)
def test_nan_probability_is_refused(cls) -> None:
    pb = _pb(cls, float("nan"))
    with pytest.raises(ValueError, match="pb contains NaN"):
        cls()(torch.zeros(3), pb)


@pytest.mark.parametrize("cls", CHANNELS)
def test_noise_and_generator_arguments(cls) -> None:
    ch = cls()
    x = torch.zeros(4, 3)
    k = 1 if cls is BinaryErasureChannel else 2
    assert ch.noise_shape(x.shape) == (k, 4, 3, 2)
    with pytest.raises(ValueError, match="noise must have shape"):
        ch(x, _pb(cls), noise=torch.rand(4, 3, 2))
    with pytest.raises(ValueError, match="noise must hold uniforms"):
        ch(x, _pb(cls), noise=torch.full(ch.noise_shape(x.shape), 1.5))
    for bad in (1.0, -1e-7, float("nan")):  # torch.rand never returns 1: [0, 1) only
        with pytest.raises(ValueError, match=r"noise must hold uniforms in \[0, 1\)"):
            ch(x, _pb(cls), noise=torch.full(ch.noise_shape(x.shape), bad))
    edge = torch.full(ch.noise_shape(x.shape), 1 - 2**-24)  # the largest float32 below 1 is accepted
    ch(x, _pb(cls), noise=edge)
    cls(check_input=False)(x, _pb(cls), noise=torch.ones(ch.noise_shape(x.shape)))  # no value checks
    with pytest.raises(TypeError, match="noise"):
        ch(x, _pb(cls), noise=torch.zeros(ch.noise_shape(x.shape), dtype=torch.int64))
    with pytest.raises(ValueError, match="either noise or generator"):
        ch(x, _pb(cls), noise=torch.rand(ch.noise_shape(x.shape)), generator=torch.Generator())
    with pytest.raises(TypeError, match="generator"):
        ch(x, _pb(cls), generator=0)


# -- semantics -----------------------------------------------------------------------------

@pytest.mark.parametrize("bipolar", [False, True])
def test_extreme_probabilities_and_clipping(device, bipolar) -> None:
    x = _bits((2000,), bipolar, device=device)
    one, zero = (1, -1) if bipolar else (1, 0)
    flipped = torch.where(x == one, zero, one).to(x.dtype)
    bsc = BinarySymmetricChannel(bipolar_input=bipolar)
    assert torch.equal(bsc(x, 0.0), x)
    assert torch.equal(bsc(x, 1.0), flipped)
    # clipped to [0, 1], as in Sionna
    assert torch.equal(bsc(x, -0.5), x)
    assert torch.equal(bsc(x, 1.5), flipped)
    bmc = BinaryMemorylessChannel(bipolar_input=bipolar)
    assert torch.equal(bmc(x, (1.0, 0.0)), torch.where(x == one, x, flipped))
    assert torch.equal(bmc(x, (0.0, 1.0)), torch.where(x == one, flipped, x))
    z = BinaryZChannel(bipolar_input=bipolar)
    assert torch.equal(z(x, 1.0), torch.full_like(x, zero))  # every 1 flips, no 0 ever does
    bec = BinaryErasureChannel(bipolar_input=bipolar)
    erased = 0 if bipolar else -1
    assert torch.equal(bec(x, 1.0), torch.full_like(x, erased))
    assert torch.equal(bec(x, 0.0), x)
    llr = BinaryErasureChannel(bipolar_input=bipolar, return_llrs=True, llr_max=20.0)
    signs = (x if bipolar else 2 * x - 1)
    assert torch.equal(llr(x, 0.0), 20.0 * signs)
    assert torch.equal(llr(x, 1.0), torch.zeros_like(x))
    ys = BinaryErasureChannel(bipolar_input=bipolar)(x, 0.5)
    assert set(ys.unique().tolist()) == {-1.0, 0.0, 1.0}  # ternary in both modes
    assert (ys == erased).any() and (ys == x).any()


@pytest.mark.parametrize("bipolar", [False, True])
def test_llr_values_follow_sionnas_formula(bipolar) -> None:
    pb0, pb1 = 0.1, 0.3
    ch = BinaryMemorylessChannel(return_llrs=True, bipolar_input=bipolar)
    hard = BinaryMemorylessChannel(bipolar_input=bipolar)
    x = _bits((5000,), bipolar)
    u = torch.rand(ch.noise_shape(x.shape), generator=torch.Generator().manual_seed(1))
    llr, y = ch(x, (pb0, pb1), noise=u), hard(x, (pb0, pb1), noise=u)
    received_one = y == 1
    f = lambda v: torch.tensor(v, dtype=torch.float32)  # noqa: E731
    l1 = torch.log(1 - f(pb1) - EPS) - torch.log(f(pb0) + EPS)
    l0 = -(torch.log(f(pb1) + EPS) - torch.log(1 - f(pb0) - EPS))
    # Sionna multiplies the selected magnitude by the bipolar output (+1 or -1)
    assert torch.equal(llr, torch.where(received_one, l1, -l0))
    assert math.isclose(float(l1), math.log(0.7 / 0.1), rel_tol=1e-6)
    ch.llr_max = 1.0
    assert torch.equal(ch(x, (pb0, pb1), noise=u), torch.where(received_one, 1.0, -1.0))


def test_z_channel_llrs() -> None:
    ch = BinaryZChannel(return_llrs=True, llr_max=50.0)
    x = _bits((4000,))
    llr = ch(x, 0.25)
    values = sorted(llr.unique().tolist())
    # a received 0: log(pb); a received 1: log((1 - pb) / eps), Sionna's finite stand-in for infinity
    assert values == [pytest.approx(math.log(0.25), rel=1e-6), pytest.approx(math.log(0.75 / EPS), rel=1e-6)]
    ch.llr_max = 10.0
    assert ch(x, 0.25).max() == 10.0
    assert bool((llr[x == 0] < 0).all())  # a sent 0 is always received as 0


def test_integer_inputs_use_pb_unchanged() -> None:
    # Sionna casts pb to the dtype of x in the BSC and Z channel (0.3 -> 0 for ints); the port does not.
    x = torch.ones(1000, dtype=torch.int32)
    assert torch.equal(BinarySymmetricChannel()(x, 1.0), torch.zeros_like(x))
    assert torch.equal(BinaryZChannel()(x, 1.0), torch.zeros_like(x))
    assert 0 < int(BinarySymmetricChannel()(x, 0.3).sum()) < 1000


@pytest.mark.parametrize("cls", CHANNELS)
def test_broadcasting_and_device(cls, device) -> None:
    x = _bits((3, 4, 5), device=device)
    if cls is BinaryMemorylessChannel:
        pb = torch.rand(4, 1, 2, device=device)
    else:
        pb = torch.rand(5, device=device)
    y = cls(return_llrs=True)(x, pb)
    assert y.shape == x.shape and y.device.type == device
    # a noise tensor on another device is moved to x's device
    cls()(x, pb, noise=torch.rand(cls().noise_shape(x.shape)))


@pytest.mark.parametrize("cls", CHANNELS)
def test_generator_reproducibility(cls, device) -> None:
    x = _bits((64, 32), device=device)
    ch = cls(return_llrs=True)
    a = ch(x, _pb(cls, 0.3, device=device), generator=torch.Generator(device).manual_seed(7))
    b = ch(x, _pb(cls, 0.3, device=device), generator=torch.Generator(device).manual_seed(7))
    c = ch(x, _pb(cls, 0.3, device=device), generator=torch.Generator(device).manual_seed(8))
    assert torch.equal(a, b) and not torch.equal(a, c)
    # the generator draws exactly the noise the caller could pass in
    u = torch.rand(ch.noise_shape(x.shape), device=device,
                   generator=torch.Generator(device).manual_seed(7))
    assert torch.equal(ch(x, _pb(cls, 0.3, device=device), noise=u), a)


def test_noise_order_first_pair_drives_zeros() -> None:
    ch = BinaryMemorylessChannel()
    x = torch.zeros(1000)
    u = torch.rand(ch.noise_shape(x.shape), generator=torch.Generator().manual_seed(0))
    v = u.clone()
    v[1] = torch.rand(v[1].shape)  # the pair for pb1 does not matter when every x is 0
    assert torch.equal(ch(x, (0.4, 0.4), noise=u), ch(x, (0.4, 0.4), noise=v))
    w = u.clone()
    w[0] = torch.rand(w[0].shape)
    assert not torch.equal(ch(x, (0.4, 0.4), noise=u), ch(x, (0.4, 0.4), noise=w))


# -- gradients -------------------------------------------------------------------------------

def test_straight_through_pieces() -> None:
    s = torch.tensor([0.2, 0.5, 0.7, float("nan")], requires_grad=True)
    out = binarize_ste(s)
    assert out.tolist()[:3] == [0.0, 1.0, 1.0] and out.tolist()[3] == 1.0  # as tf.where(x < .5, 0, 1)
    out.backward(torch.tensor([1.0, 2.0, 3.0, 4.0]))
    assert s.grad.tolist() == [1.0, 2.0, 3.0, 4.0]
    a = torch.tensor([0.0, 1.0, 0.0, 1.0], requires_grad=True)
    b = torch.tensor([0.0, 0.0, 1.0, 1.0], requires_grad=True)
    z = ste_xor(a, b)
    assert z.tolist() == [0.0, 1.0, 1.0, 0.0]
    z.backward(torch.tensor([1.0, 2.0, 3.0, 4.0]))
    assert a.grad.tolist() == b.grad.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert ste_xor(torch.tensor([0, 1, 1]), torch.tensor([1, 1, 0])).tolist() == [1, 0, 1]


def _softmax_grad(p, u, tau=0.1):
    """d softmax_0 / dp for the Gumbel pair u, written out by hand (float64)."""
    q = -torch.log(-torch.log(u + EPS) + EPS)
    a0 = (torch.log(p + EPS) + q[..., 0]) / tau
    a1 = (torch.log(1 - p + EPS) + q[..., 1]) / tau
    s = torch.sigmoid(a0 - a1)
    return s * (1 - s) * (1 / (p + EPS) + 1 / (1 - p + EPS)) / tau


@pytest.mark.parametrize("bipolar", [False, True])
def test_bsc_gradient_matches_the_hand_derivation(bipolar) -> None:
    ch = BinarySymmetricChannel(bipolar_input=bipolar, dtype=torch.float64)
    x = _bits((2000,), bipolar, dtype=torch.float64)
    p = torch.full((2000,), 0.3, dtype=torch.float64, requires_grad=True)
    u = torch.rand(ch.noise_shape(x.shape), dtype=torch.float64,
                   generator=torch.Generator().manual_seed(3))
    w = torch.randn(2000, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    (ch(x, p, noise=u) * w).sum().backward()
    neutral = -1 if bipolar else 0
    ds = torch.where(x == neutral, _softmax_grad(p.detach(), u[0]), _softmax_grad(p.detach(), u[1]))
    dy_de = -2 * x if bipolar else torch.ones_like(x)  # straight-through XOR passes +1
    torch.testing.assert_close(p.grad, w * dy_de * ds, rtol=1e-10, atol=1e-12)


def test_gumbel_softmax_errors_gradient_is_the_softmax_gradient() -> None:
    p = torch.full((500,), 0.2, dtype=torch.float64, requires_grad=True)
    u = torch.rand(500, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    gumbel_softmax_errors(p, u).sum().backward()
    torch.testing.assert_close(p.grad, _softmax_grad(p.detach(), u), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", CHANNELS[:3])
@pytest.mark.parametrize("llrs", [False, True])
def test_gradients_reach_pb_and_clipping_stops_them(cls, llrs) -> None:
    x = _bits((3000,), bipolar=True)
    ch = cls(return_llrs=llrs, bipolar_input=True)
    pb = _pb(cls, 0.3).requires_grad_(True)
    ch(x, pb).sum().backward()
    assert pb.grad is not None and bool(torch.isfinite(pb.grad).all()) and bool((pb.grad != 0).any())
    out = _pb(cls, 1.5).requires_grad_(True)
    ch(x, out).sum().backward()
    assert bool((out.grad == 0).all())


@pytest.mark.parametrize("llrs", [False, True])
def test_bec_output_does_not_depend_differentiably_on_pb(llrs) -> None:
    pb = torch.tensor(0.3, requires_grad=True)
    y = BinaryErasureChannel(return_llrs=llrs)(_bits((100,)), pb)
    assert not y.requires_grad
    x = _bits((100,)).requires_grad_(True)  # but gradients still reach a float x
    BinaryErasureChannel(return_llrs=llrs)(x, pb).sum().backward()
    assert x.grad is not None and pb.grad is None


# -- statistics --------------------------------------------------------------------------------

N = 100_000


@pytest.mark.parametrize("bipolar", [False, True])
def test_per_position_flip_rates(bipolar) -> None:
    gen = torch.Generator().manual_seed(11)
    positions = 6
    pb0 = torch.tensor([0.0, 0.05, 0.1, 0.3, 0.5, 0.9])
    pb1 = torch.tensor([0.2, 0.0, 0.45, 0.1, 0.5, 0.7])
    x = _bits((N, positions), bipolar, seed=12)
    one = 1
    is_one = x == one
    cases = [
        (BinaryMemorylessChannel, torch.stack((pb0, pb1), -1), pb0, pb1),
        (BinarySymmetricChannel, pb0, pb0, pb0),
        (BinaryZChannel, pb1, torch.zeros(positions), pb1),
    ]
    for cls, pb, want0, want1 in cases:
        y = cls(bipolar_input=bipolar)(x, pb, generator=gen)
        flips = (y != x).double()
        rate1 = (flips * is_one).sum(0) / is_one.sum(0)
        rate0 = (flips * ~is_one).sum(0) / (~is_one).sum(0)
        assert torch.allclose(rate0, want0.double(), atol=0.01), (cls.__name__, rate0, want0)
        assert torch.allclose(rate1, want1.double(), atol=0.01), (cls.__name__, rate1, want1)
    y = BinaryErasureChannel(bipolar_input=bipolar)(x, pb1, generator=gen)
    erased = (y == (0 if bipolar else -1)).double().mean(0)
    assert torch.allclose(erased, pb1.double(), atol=0.01), erased
    assert torch.equal(y[y != (0 if bipolar else -1)], x[y != (0 if bipolar else -1)])


def test_sgd_on_pb_reaches_a_target_error_rate() -> None:
    # Learn the flip probability of a bipolar BSC so that the measured error rate is 0.2.
    gen = torch.Generator().manual_seed(21)
    ch = BinarySymmetricChannel(bipolar_input=True)
    pb = torch.tensor(0.02, requires_grad=True)
    opt = torch.optim.SGD([pb], lr=0.5)
    target, trajectory = 0.2, []
    for _ in range(200):
        x = 2 * torch.randint(0, 2, (1024,), generator=gen).float() - 1
        y = ch(x, pb, generator=gen)
        error_rate = ((1 - x * y) / 2).mean()  # differentiable through the straight-through estimators
        loss = (error_rate - target) ** 2
        opt.zero_grad()
        loss.backward()
        opt.step()
        trajectory.append(pb.item())
    final = sum(trajectory[-50:]) / 50
    assert abs(final - target) < 0.02, final
    assert trajectory[20] > 0.05  # it moved towards the target early


def test_a_uniform_of_one_would_flip_a_p0_bit_and_float64_edges() -> None:
    """Why noise must be < 1, and the faithful sampler's edge in float64 (module docstring)."""
    x = torch.zeros(1)
    # float32: the largest uniform below 1 cannot flip p = 0; a uniform of exactly 1 would
    below = torch.tensor([[[1 - 2**-24, 0.0]], [[0.5, 0.5]]])
    assert BinarySymmetricChannel()(x, 0.0, noise=below).item() == 0.0
    at_one = torch.tensor([[[1.0, 0.0]], [[0.5, 0.5]]])
    assert BinarySymmetricChannel(check_input=False)(x, 0.0, noise=at_one).item() == 1.0
    # float64: a uniform within 2e-8 of 1 (still < 1) flips a p = 0 bit in the faithful sampler
    x64 = x.double()
    near = torch.tensor([[[1 - 2**-53, 0.0]], [[0.5, 0.5]]], dtype=torch.float64)
    assert BinarySymmetricChannel(dtype=torch.float64)(x64, 0.0, noise=near).item() == 1.0
    far = torch.tensor([[[1 - 1e-7, 0.0]], [[0.5, 0.5]]], dtype=torch.float64)
    assert BinarySymmetricChannel(dtype=torch.float64)(x64, 0.0, noise=far).item() == 0.0


@pytest.mark.parametrize("bipolar", [False, True])
def test_a_large_input_is_checked_in_slices(bipolar) -> None:
    from course_utils.channels import checks

    x = _bits((checks._CHECK_CHUNK + 5,), bipolar, seed=3)
    ch = BinarySymmetricChannel(bipolar_input=bipolar)
    assert ch(x, 0.0).shape == x.shape  # every slice passes
    x[-1] = 0.5  # in the last, short slice
    with pytest.raises(ValueError, match=r"x must be (bipolar|binary)"):
        ch(x, 0.1)


@pytest.mark.parametrize("bipolar", [False, True])
def test_the_sliced_check_takes_x_that_requires_grad_and_works_on_its_device(bipolar) -> None:
    """The sliced check's buffers made without x's device (a GPU's x against CPU buffers), or
    written with out= from an x that requires grad (which out= refuses)."""
    from course_utils.channels import checks

    from helpers import FactoryDevices

    x = _bits((checks._CHECK_CHUNK + 5,), bipolar, seed=4).requires_grad_(True)
    with FactoryDevices(torch.empty, torch.tensor) as seen:
        checks.check_x_values(x, bipolar=bipolar)
    assert seen.devices == [x.device, x.device]
    pb = torch.tensor(0.1, requires_grad=True)
    y = BinarySymmetricChannel(bipolar_input=bipolar, sampler="logistic")(x, pb)
    y.sum().backward()
    assert x.grad is not None and pb.grad is not None


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("bipolar", [False, True])
def test_the_sliced_check_refuses_the_neighbours_of_the_allowed_values(bipolar, dtype) -> None:
    """The arithmetic of the sliced check (v - v * v, v * v - 1) exact at the floats next to 0, 1
    and -1, tiny and subnormal values, infinities and NaN; integers still compared."""
    from course_utils.channels import checks

    good = (-1.0, 1.0) if bipolar else (0.0, -0.0, 1.0)
    x = torch.tensor(good, dtype=dtype).repeat(checks._CHECK_CHUNK // len(good) + 3)
    checks.check_x_values(x, bipolar=bipolar)
    checks.check_x_values(x.long(), bipolar=bipolar)
    tiny = torch.finfo(dtype).tiny
    near = [torch.nextafter(torch.tensor(g, dtype=dtype), torch.tensor(d, dtype=dtype)).item()
            for g in good for d in (-2.0, 2.0)]
    for bad in [*near, 0.5, 2.0, -2.0, 3.0, tiny, tiny / 1024, float("inf"), -float("inf"), float("nan")]:
        if bad in good:
            continue
        y = x.clone()
        y[-3] = bad
        with pytest.raises(ValueError, match="found other values"):
            checks.check_x_values(y, bipolar=bipolar)
    y = x.long()
    y[-3] = 2 if bipolar else -1
    with pytest.raises(ValueError, match="found other values"):
        checks.check_x_values(y, bipolar=bipolar)
