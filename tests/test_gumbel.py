import math

import pytest
import torch

from course_utils.channels.formulas import binarize_ste, gumbel_noise
from course_utils.gumbel import (
    gumbel_from_uniform,
    gumbel_softmax,
    logistic_from_uniform,
    one_hot_ste,
    relaxed_bernoulli,
    sample_gumbel,
    sample_logistic,
)

EULER_GAMMA = 0.5772156649015329


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def ks_to_cdf(samples: torch.Tensor, cdf) -> float:  # noqa: ANN001
    """One-sample Kolmogorov-Smirnov statistic sup |F_n - F|."""
    x, _ = samples.double().sort()
    n = x.numel()
    f = cdf(x)
    i = torch.arange(1, n + 1, dtype=torch.float64)
    return float(torch.maximum(i / n - f, f - (i - 1) / n).max())


# KS critical value at alpha = 0.001 is 1.95 / sqrt(n)
def ks_limit(n: int) -> float:
    return 1.95 / math.sqrt(n)


# ---------------------------------------------------------------- noise
def test_gumbel_from_uniform_formula_and_eps() -> None:
    u = torch.tensor([0.0, 0.1, 0.5, 0.9, 1.0], dtype=torch.float64)
    g = gumbel_from_uniform(u)
    assert g[0] == -math.inf and g[-1] == math.inf
    torch.testing.assert_close(g[1:4], -torch.log(-torch.log(u[1:4])))
    g_eps = gumbel_from_uniform(u[:-1], eps=1e-9)  # Sionna's uniforms lie in [0, 1)
    assert torch.isfinite(g_eps).all()
    torch.testing.assert_close(g_eps, -torch.log(-torch.log(u[:-1] + 1e-9) + 1e-9))
    assert torch.equal(gumbel_noise(u[:-1], 1e-9), g_eps)  # the channels' formula, unchecked


def test_gumbel_moments() -> None:
    g = sample_gumbel((400_000,), generator=gen(1), dtype=torch.float64)
    # mean = Euler's gamma, variance = pi^2/6; standard error of the mean 0.002
    assert abs(float(g.mean()) - EULER_GAMMA) < 0.01
    assert abs(float(g.var()) - math.pi**2 / 6) < 0.03
    assert ks_to_cdf(g, lambda x: torch.exp(-torch.exp(-x))) < ks_limit(g.numel())


def test_logistic_distribution_and_difference_of_gumbels() -> None:
    n = 200_000
    ell = sample_logistic((n,), generator=gen(2), dtype=torch.float64)
    assert ks_to_cdf(ell, torch.sigmoid) < ks_limit(n)
    g = sample_gumbel((2, n), generator=gen(3), dtype=torch.float64)
    assert ks_to_cdf(g[0] - g[1], torch.sigmoid) < ks_limit(n)


def test_logistic_from_uniform_is_logit() -> None:
    u = torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0], dtype=torch.float64)
    torch.testing.assert_close(logistic_from_uniform(u), torch.logit(u))


def test_generator_makes_noise_reproducible() -> None:
    a = sample_gumbel((5, 3), generator=gen(7))
    b = sample_gumbel((5, 3), generator=gen(7))
    c = sample_gumbel((5, 3), generator=gen(8))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.dtype == torch.float32 and a.shape == (5, 3)
    p = torch.full((4,), 0.3)
    assert torch.equal(relaxed_bernoulli(p, 0.5, generator=gen(1)), relaxed_bernoulli(p, 0.5, generator=gen(1)))


# ---------------------------------------------------------------- straight-through
def test_binarize_ste_forward_and_identity_backward() -> None:
    x = torch.tensor([0.0, 0.2, 0.4999, 0.5, 0.7, 1.0], dtype=torch.float64, requires_grad=True)
    y = binarize_ste(x)
    assert y.tolist() == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0] and y.dtype == torch.float64
    w = torch.arange(6, dtype=torch.float64)
    (w * y).sum().backward()
    assert torch.equal(x.grad, w)
    assert binarize_ste(torch.tensor([float("nan")])).item() == 1.0  # as Sionna's tf.where(x < .5, 0, 1)


def test_one_hot_ste_forward_and_identity_backward() -> None:
    y = torch.tensor([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]], requires_grad=True)
    h = one_hot_ste(y)
    assert h.tolist() == [[0, 1, 0], [1, 0, 0]]
    w = torch.randn(2, 3, generator=gen())
    (w * h).sum().backward()
    assert torch.equal(y.grad, w)
    h0 = one_hot_ste(y.detach(), dim=0)
    assert h0.tolist() == [[0, 1, 0], [1, 0, 1]]


# ---------------------------------------------------------------- gumbel-softmax
def test_gumbel_max_frequencies() -> None:
    probs = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=torch.float64)
    n = 100_000
    g = sample_gumbel((n, 4), generator=gen(4), dtype=torch.float64)
    counts = torch.bincount((probs.log() + g).argmax(-1), minlength=4)
    # standard error <= 0.0016; 0.008 is 5 standard errors
    assert torch.allclose(counts.double() / n, probs, atol=0.008)
    hard = gumbel_softmax(probs.log(), 0.5, hard=True, gumbels=g)
    assert torch.equal(hard.argmax(-1), (probs.log() + g).argmax(-1))


def test_gumbel_softmax_soft_limits_and_hard_gradient() -> None:
    logits = torch.tensor([[0.5, -1.0, 2.0], [0.0, 0.0, 0.1]], dtype=torch.float64, requires_grad=True)
    g = sample_gumbel((2, 3), generator=gen(5), dtype=torch.float64)
    soft = gumbel_softmax(logits, 1.0, gumbels=g)
    torch.testing.assert_close(soft.sum(-1), torch.ones(2, dtype=torch.float64))
    torch.testing.assert_close(soft, torch.softmax(logits + g, -1))
    cold = gumbel_softmax(logits, 1e-3, gumbels=g)
    onehot = torch.nn.functional.one_hot((logits + g).argmax(-1), 3).double()
    torch.testing.assert_close(cold, onehot, atol=1e-6, rtol=0)
    hot = gumbel_softmax(logits, 1e4, gumbels=g)
    torch.testing.assert_close(hot, torch.full_like(hot, 1 / 3), atol=1e-3, rtol=0)
    # hard: one-hot forward, gradient of the soft sample
    w = torch.randn(2, 3, generator=gen(6), dtype=torch.float64)
    (w * gumbel_softmax(logits, 0.7, hard=True, gumbels=g)).sum().backward()
    grad_hard = logits.grad.clone()
    logits.grad = None
    (w * gumbel_softmax(logits, 0.7, gumbels=g)).sum().backward()
    assert torch.equal(grad_hard, logits.grad)


def test_gumbel_softmax_gradcheck() -> None:
    logits = torch.randn(3, 4, generator=gen(8), dtype=torch.float64, requires_grad=True)
    g = sample_gumbel((3, 4), generator=gen(9), dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda z: gumbel_softmax(z, 0.5, gumbels=g), (logits,))


# ---------------------------------------------------------------- relaxed Bernoulli
def test_relaxed_bernoulli_is_two_class_gumbel_softmax() -> None:
    p = torch.tensor([0.01, 0.2, 0.5, 0.9, 0.999], dtype=torch.float64)
    g = sample_gumbel((100, 5, 2), generator=gen(10), dtype=torch.float64)
    for tau in (0.1, 1.0, 3.0):
        two_class = gumbel_softmax(torch.stack((p.log(), torch.log1p(-p)), -1), tau, gumbels=g)[..., 0]
        binary = relaxed_bernoulli(p, tau, noise=g[..., 0] - g[..., 1])
        torch.testing.assert_close(binary, two_class, rtol=1e-12, atol=1e-12)


def test_relaxed_bernoulli_matches_torch_distribution_with_same_uniforms() -> None:
    p = torch.tensor([0.05, 0.3, 0.5, 0.8], dtype=torch.float64)
    tau = 0.4
    torch.manual_seed(123)
    reference = torch.distributions.RelaxedBernoulli(torch.tensor(tau, dtype=torch.float64), probs=p).rsample((1000,))
    torch.manual_seed(123)
    u = torch.rand((1000, 4), dtype=torch.float64)
    tiny = torch.finfo(u.dtype).eps  # RelaxedBernoulli clamps its uniforms to [eps, 1 - eps]
    ours = relaxed_bernoulli(p, tau, noise=logistic_from_uniform(u.clamp(tiny, 1 - tiny)))
    torch.testing.assert_close(ours, reference, rtol=1e-10, atol=1e-12)


def test_relaxed_bernoulli_edges_and_hard_frequencies() -> None:
    assert relaxed_bernoulli(torch.tensor([0.0, 1.0]), 0.1, generator=gen()).tolist() == [0.0, 1.0]
    p = torch.tensor([0.02, 0.3, 0.75])
    n = 100_000
    hard = relaxed_bernoulli(p.expand(n, 3), 0.1, hard=True, generator=gen(11))
    assert set(hard.unique().tolist()) <= {0.0, 1.0}
    assert torch.allclose(hard.mean(0), p, atol=0.01)


def test_relaxed_bernoulli_hard_gradient_is_soft_gradient_and_gradcheck() -> None:
    p = torch.tensor([0.1, 0.4, 0.6, 0.95], dtype=torch.float64, requires_grad=True)
    noise = sample_logistic((4,), generator=gen(12), dtype=torch.float64)
    hard = relaxed_bernoulli(p, 0.3, hard=True, noise=noise)
    assert torch.equal(hard, (torch.log(p / (1 - p)) + noise >= 0).double())
    (g_hard,) = torch.autograd.grad(hard.sum(), p)
    (g_soft,) = torch.autograd.grad(relaxed_bernoulli(p, 0.3, noise=noise).sum(), p)
    assert torch.equal(g_hard, g_soft)
    assert torch.autograd.gradcheck(lambda q: relaxed_bernoulli(q, 0.3, noise=noise), (p,))
    # tau may be a tensor that requires grad, too
    tau = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: relaxed_bernoulli(p.detach(), t, noise=noise), (tau,))


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: relaxed_bernoulli(torch.tensor([0.5, 1.2]), 0.1), ValueError, "p must lie in [0, 1]"),
        (lambda: relaxed_bernoulli(torch.tensor([-0.1]), 0.1), ValueError, "p must lie in [0, 1]"),
        (lambda: relaxed_bernoulli(torch.tensor([math.nan]), 0.1), ValueError, "p contains NaN"),
        (lambda: relaxed_bernoulli(torch.tensor([1, 0]), 0.1), TypeError, "p must have a floating-point"),
        (lambda: relaxed_bernoulli([0.5], 0.1), TypeError, "p must be a torch.Tensor"),
        (lambda: relaxed_bernoulli(torch.tensor([0.5]), 0.0), ValueError, "tau must be"),
        (lambda: relaxed_bernoulli(torch.tensor([0.5]), -1.0), ValueError, "tau must be"),
        (lambda: relaxed_bernoulli(torch.tensor([0.5]), math.nan), ValueError, "tau must be"),
        (lambda: relaxed_bernoulli(torch.tensor([0.5]), torch.tensor([0.1, 0.0])), ValueError, "tau must be a finite"),
        (lambda: relaxed_bernoulli(torch.tensor([0.5]), "hot"), TypeError, "tau must be a float"),
        (lambda: relaxed_bernoulli(torch.tensor([0.5]), True), TypeError, "tau must be a float"),
        (lambda: relaxed_bernoulli(torch.full((3,), 0.5), 0.1, noise=torch.zeros(2)), ValueError, "noise of shape (2,)"),
        (lambda: gumbel_softmax(torch.zeros(3), 0.1, gumbels=torch.zeros(3, dtype=torch.int64)), TypeError, "gumbels must have"),
        (lambda: gumbel_softmax(torch.zeros(3, dtype=torch.int64), 0.1), TypeError, "logits must have"),
        (lambda: gumbel_from_uniform(torch.tensor([0.5, 1.5])), ValueError, "u must lie in [0, 1]"),
        (lambda: gumbel_from_uniform(torch.tensor([0.5]), eps=-1.0), ValueError, "eps must be >= 0"),
        (lambda: logistic_from_uniform(torch.tensor([1, 0])), TypeError, "u must have a floating-point"),
        (lambda: sample_gumbel((3,), dtype=torch.int32), TypeError, "dtype must be a floating-point"),
        (lambda: binarize_ste(torch.tensor([1, 0])), TypeError, "x must have a floating-point"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(call, error, words) -> None:  # noqa: ANN001
    with pytest.raises(error) as err:
        call()
    assert words in str(err.value)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_runs_on_cuda_with_a_cuda_generator() -> None:
    g = torch.Generator(device="cuda").manual_seed(0)
    p = torch.full((1000,), 0.3, device="cuda", requires_grad=True)
    y = relaxed_bernoulli(p, 0.1, hard=True, generator=g)
    assert y.device.type == "cuda"
    y.sum().backward()
    assert p.grad.device.type == "cuda"
    s = gumbel_softmax(torch.zeros(10, 3, device="cuda"), 0.5, hard=True,
                       generator=torch.Generator(device="cuda").manual_seed(1))
    assert s.device.type == "cuda" and torch.equal(s.sum(-1), torch.ones(10, device="cuda"))


def test_gumbel_with_eps_at_the_edges_of_the_unit_interval() -> None:
    """The values the docstring of gumbel_from_uniform states for u = 0 and u = 1 with eps = 1e-9."""
    for dtype in (torch.float32, torch.float64):
        zero = gumbel_from_uniform(torch.tensor([0.0], dtype=dtype), eps=1e-9)
        assert abs(zero.item() + 3.0313) < 1e-3
    assert abs(gumbel_from_uniform(torch.tensor([1.0]), eps=1e-9).item() - 20.7233) < 1e-3
    assert torch.isnan(gumbel_from_uniform(torch.tensor([1.0], dtype=torch.float64), eps=1e-9)).all()
    assert logistic_from_uniform(torch.tensor([0.0, 1.0])).tolist() == [-math.inf, math.inf]


def test_relaxed_bernoulli_at_p_zero_and_one() -> None:
    """Its docstring: p = 0 and 1 give exactly 0 and 1, with a NaN gradient there."""
    p = torch.tensor([0.0, 1.0], dtype=torch.float64, requires_grad=True)
    y = relaxed_bernoulli(p, 0.5, noise=torch.tensor([0.3, -0.2], dtype=torch.float64))
    assert y.tolist() == [0.0, 1.0]
    y.sum().backward()
    assert torch.isnan(p.grad).all()
