"""The torch port in course_utils.channels against Sionna 1.2.2 (TensorFlow), given the same uniforms."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils import import_tensorflow
from course_utils.channels import (
    BinaryErasureChannel,
    BinaryMemorylessChannel,
    BinarySymmetricChannel,
    BinaryZChannel,
    feed_sionna_uniforms,
)

tf = import_tensorflow()
sionna_channel = pytest.importorskip("sionna.phy.channel")

PAIRS = {
    "BMC": (BinaryMemorylessChannel, sionna_channel.BinaryMemorylessChannel),
    "BSC": (BinarySymmetricChannel, sionna_channel.BinarySymmetricChannel),
    "Z": (BinaryZChannel, sionna_channel.BinaryZChannel),
    "BEC": (BinaryErasureChannel, sionna_channel.BinaryErasureChannel),
}


def _run_both(name, x, pb, *, bipolar, llrs, seed=0, as_tuple=False, sampler="gumbel"):
    """Outputs and gradients w.r.t. pb (weighted sum) of the port and of Sionna, on the same uniforms."""
    ours_cls, theirs_cls = PAIRS[name]
    ours = ours_cls(return_llrs=llrs, bipolar_input=bipolar, sampler=sampler)
    theirs = theirs_cls(return_llrs=llrs, bipolar_input=bipolar)
    gen = torch.Generator().manual_seed(seed)
    u = torch.rand(ours_cls().noise_shape(x.shape), generator=gen)  # Sionna's uniforms, for either sampler
    w = torch.randn(x.shape, generator=gen)

    pt = pb.clone().requires_grad_(True)
    y = ours(x, (pt[..., 0], pt[..., 1]) if as_tuple else pt, noise=u)
    if y.requires_grad:
        (y * w).sum().backward()

    ptf = tf.Variable(pb.numpy())
    with feed_sionna_uniforms(u), tf.GradientTape() as tape:
        ytf = theirs(tf.constant(x.numpy()), (ptf[..., 0], ptf[..., 1]) if as_tuple else ptf)
        loss = tf.reduce_sum(ytf * w.numpy())
    g = tape.gradient(loss, ptf)
    return y.detach(), pt.grad, ytf.numpy(), None if g is None else g.numpy()


def _assert_same(y, grad, ytf, gtf, llrs):
    if llrs:  # logarithms may differ in the last bit between the two libraries
        np.testing.assert_allclose(y.numpy(), ytf, rtol=1e-6, atol=1e-6)
    else:
        np.testing.assert_array_equal(y.numpy(), ytf)
    if gtf is None:
        assert grad is None
        return
    scale = max(1.0, float(np.abs(gtf).max()))
    # gradients are sums over broadcast positions, added up in different orders
    np.testing.assert_allclose(grad.numpy(), gtf, rtol=1e-5, atol=1e-5 * scale)


@pytest.mark.parametrize("name", list(PAIRS))
@pytest.mark.parametrize("bipolar", [False, True])
@pytest.mark.parametrize("llrs", [False, True])
def test_exact_parity_per_position_probabilities(name, bipolar, llrs) -> None:
    gen = torch.Generator().manual_seed(1)
    x = torch.randint(0, 2, (64, 24), generator=gen).float()
    if bipolar:
        x = 2 * x - 1
    shape = (24, 2) if name == "BMC" else (24,)
    pb = torch.rand(shape, generator=gen) * 0.6
    y, grad, ytf, gtf = _run_both(name, x, pb, bipolar=bipolar, llrs=llrs)
    _assert_same(y, grad, ytf, gtf, llrs)
    if name == "BEC":
        assert gtf is None  # Sionna's BEC is not differentiable w.r.t. pb either
    else:
        assert np.abs(gtf).max() > 0


@pytest.mark.parametrize("name", list(PAIRS))
def test_logistic_sampler_against_sionna_on_the_same_uniforms(name) -> None:
    # the fast sampler fed Sionna's own uniforms (noise of shape (k, *x.shape, 2)) agrees with Sionna
    gen = torch.Generator().manual_seed(2)
    for bipolar in (False, True):
        for llrs in (False, True):
            x = torch.randint(0, 2, (64, 8), generator=gen).float()
            x = 2 * x - 1 if bipolar else x
            pb = torch.rand((8, 2) if name == "BMC" else (8,), generator=gen) * 0.6
            y, grad, ytf, gtf = _run_both(name, x, pb, bipolar=bipolar, llrs=llrs, seed=3, sampler="logistic")
            _assert_same(y, grad, ytf, gtf, llrs)


@pytest.mark.parametrize("bipolar", [False, True])
@pytest.mark.parametrize("llrs", [False, True])
def test_exact_parity_bmc_with_a_tuple_and_edge_probabilities(bipolar, llrs) -> None:
    x = torch.tensor([[0.0, 1.0] * 6] * 50)
    if bipolar:
        x = 2 * x - 1
    # 0 and values outside [0, 1] (clipped); pb = 1 is left out: its LLR is NaN in both
    pb = torch.tensor([[0.0, 0.0], [0.0, 0.3], [0.3, 0.0], [-0.2, 0.5], [0.5, 1.4], [0.999, 0.2]] * 2)
    y, grad, ytf, gtf = _run_both("BMC", x, pb, bipolar=bipolar, llrs=llrs, as_tuple=True, seed=3)
    _assert_same(y, grad, ytf, gtf, llrs)


def test_parity_pb_equal_one_gives_nan_llrs_in_both() -> None:
    x = torch.ones(40)
    # pb0 = 1: log(1 - 1 - 1e-9) is NaN in float32, in both, wherever a 0 is received
    pb = torch.tensor([1.0, 0.5])
    y, _, ytf, _ = _run_both("BMC", x, pb, bipolar=False, llrs=True)
    assert np.array_equal(np.isnan(y.numpy()), np.isnan(ytf)) and np.isnan(ytf).any()


def test_parity_of_a_scalar_pb_and_integer_hard_outputs() -> None:
    gen = torch.Generator().manual_seed(5)
    x = torch.randint(0, 2, (300,), generator=gen, dtype=torch.int32)
    ours = BinaryMemorylessChannel()
    u = torch.rand(ours.noise_shape(x.shape), generator=gen)
    with feed_sionna_uniforms(u):
        ytf = sionna_channel.BinaryMemorylessChannel()(tf.constant(x.numpy()), (0.3, 0.1))
    y = ours(x, (0.3, 0.1), noise=u)
    assert y.dtype == torch.int32 and ytf.dtype == tf.int32
    np.testing.assert_array_equal(y.numpy(), ytf.numpy())


def test_documented_differences_from_sionna() -> None:
    # 1. Sionna casts a float64 x to its precision; the port keeps x's dtype, with the same values.
    x = torch.tensor([0.0, 1.0] * 50, dtype=torch.float64)
    ours = BinarySymmetricChannel(return_llrs=True)
    u = torch.rand(ours.noise_shape(x.shape), generator=torch.Generator().manual_seed(0))
    with feed_sionna_uniforms(u):
        ytf = sionna_channel.BinarySymmetricChannel(return_llrs=True)(tf.constant(x.numpy()), 0.2)
    y = ours(x, 0.2, noise=u)
    assert ytf.dtype == tf.float32 and y.dtype == torch.float64
    np.testing.assert_array_equal(y.numpy(), ytf.numpy().astype(np.float64))
    # 2. Sionna's BSC casts pb to an integer x's dtype, so it never flips; the port flips.
    xi = np.ones(1000, np.int32)
    assert (sionna_channel.BinarySymmetricChannel()(tf.constant(xi), 0.6).numpy() == 1).all()
    assert 400 < int((BinarySymmetricChannel()(torch.from_numpy(xi), 0.6) == 0).sum()) < 800
    # 3. Sionna's double-precision gradient fails (its binarizer returns float32); the port's works.
    pb = tf.Variable(0.1, dtype=tf.float64)
    with pytest.raises(tf.errors.InvalidArgumentError):
        with tf.GradientTape() as tape:
            out = sionna_channel.BinarySymmetricChannel(precision="double")(tf.constant([0.0, 1.0], tf.float64), pb)
            loss = tf.reduce_sum(out)
        tape.gradient(loss, pb)
    p = torch.tensor(0.1, dtype=torch.float64, requires_grad=True)
    BinarySymmetricChannel(dtype=torch.float64)(torch.tensor([0.0, 1.0], dtype=torch.float64), p).sum().backward()
    assert p.grad is not None


def test_documented_differences_bec_sampling_precision() -> None:
    # 4. Sionna's BEC draws its erasures in float32 even in double precision; the port in dtype.
    # With pb = 0.5 an erasure is q0 >= q1, i.e. u0 >= u1: two uniforms 1e-12 apart are
    # ordered in float64 and equal (hence "erased") once rounded to float32.
    u = torch.tensor([[[0.5, 0.5 + 1e-12]]], dtype=torch.float64)
    x = torch.zeros(1, dtype=torch.float64)
    with feed_sionna_uniforms(u):
        ytf = sionna_channel.BinaryErasureChannel(precision="double")(tf.constant(x.numpy()), 0.5)
    assert ytf.numpy().tolist() == [-1.0]  # erased: Sionna decided on float32 uniforms
    assert BinaryErasureChannel(dtype=torch.float64)(x, 0.5, noise=u).tolist() == [0.0]  # float64: kept
    assert BinaryErasureChannel()(x.float(), 0.5, noise=u).tolist() == [-1.0]  # float32: as Sionna


def test_documented_differences_temperature_zero_nan_pb_and_half_precision() -> None:
    # 5. Temperature 0: Sionna accepts it and every logit becomes infinite. A soft sample is NaN
    # where both logits are -inf (with pb = 0: where the no-error class's Gumbel noise is
    # negative) and, depending on TensorFlow's softmax kernel, where they are (-inf, +inf);
    # its binarizer maps NaN to 1, so those bits flip whatever pb is. The port refuses it.
    ch = sionna_channel.BinaryMemorylessChannel()
    ch.temperature = 0.0
    u = torch.rand(BinaryMemorylessChannel().noise_shape((200,)), generator=torch.Generator().manual_seed(5))
    for sent, pair in ((0.0, 0), (1.0, 1)):
        with feed_sionna_uniforms(u):
            flipped = ch(tf.fill([200], sent), (0.0, 0.0)).numpy() != sent
        q = -tf.math.log(-tf.math.log(tf.constant(u[pair].numpy()) + 1e-9) + 1e-9)
        logits = ((tf.math.log(tf.constant([0.0, 1.0]) + 1e-9) + q) / 0.0).numpy()
        soft = tf.nn.softmax(logits).numpy()[:, 0]
        both_minus_inf = (logits == -np.inf).all(axis=1)
        assert np.isinf(logits).all() and (flipped == np.isnan(soft)).all()
        assert flipped[both_minus_inf].all() and both_minus_inf.mean() > 0.25
    with pytest.raises(ValueError, match="temperature"):
        BinaryMemorylessChannel(temperature=0.0)
    # 6. A NaN pb: Sionna flips every bit, the port refuses it.
    assert (sionna_channel.BinarySymmetricChannel()(tf.zeros([50]), float("nan")).numpy() == 1).all()
    with pytest.raises(ValueError, match="pb contains NaN"):
        BinarySymmetricChannel()(torch.zeros(50), float("nan"))
    # 7. float16 / bfloat16 x: Sionna casts to its precision, the port raises TypeError.
    for tf_dtype, torch_dtype in ((tf.float16, torch.float16), (tf.bfloat16, torch.bfloat16)):
        y = sionna_channel.BinarySymmetricChannel()(tf.constant([0.0, 1.0], tf_dtype), 0.0)
        assert y.dtype == tf.float32 and y.numpy().tolist() == [0.0, 1.0]
        with pytest.raises(TypeError, match="dtype"):
            BinarySymmetricChannel()(torch.tensor([0.0, 1.0], dtype=torch_dtype), 0.0)


def test_feeder_checks_what_it_serves() -> None:
    u = torch.rand(2, 5, 2)
    with pytest.raises(RuntimeError, match="shape"):
        with feed_sionna_uniforms(u):
            sionna_channel.BinarySymmetricChannel()(tf.zeros(6), 0.1)
    with pytest.raises(RuntimeError, match="not used"):
        with feed_sionna_uniforms(u, u):
            sionna_channel.BinarySymmetricChannel()(tf.zeros(5), 0.1)
