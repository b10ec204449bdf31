"""The logistic sampler's chunked CPU engine: one probability per channel, bits in cache-sized chunks (notebook 14).

On the CPU, with scalar probabilities (the usual case), the engine turns them into
Python numbers once per call (:class:`ScalarPlan`) and works through the bits in
chunks of :data:`CHUNK`: its temporaries stay in the caches and are recycled by the
allocator instead of being fresh memory pages, whose first touch dominates the cost
of element-wise work on a CPU. It saves nothing of the size of ``x`` but ``x``
itself: backward draws the uniforms again (fresh noise, from the saved generator
state) or reads the given ones, all through ``ctx.save_for_backward``.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import astuple, dataclass

import torch

from .config import ChannelConfig, NoiseKind
from .logistic_math import log_odds, slope

__all__ = ["CHUNK", "ChunkedEngine", "ScalarPlan"]

#: Bits per chunk (2 MiB of float32).
CHUNK = 1 << 19


@dataclass(frozen=True)
class ScalarPlan:
    """The per-call constants of the chunked engine, as Python numbers (index 0: a sent 0, or -1; 1: a sent 1).

    Built by :meth:`build`, which returns ``None`` unless every constant is finite.

    Examples
    --------
    >>> import torch
    >>> cfg = ChannelConfig(bipolar=False, llrs=False, llr_max=100.0, temperature=0.1, eps=1e-9)
    >>> p = torch.tensor(0.5)
    >>> plan = ScalarPlan.build(p, p, None, None, torch.float32, cfg)
    >>> plan.same, plan.log_odds0, round(plan.grad_scale0, 4)
    (True, 0.0, 40.0)
    """

    #: One probability for every bit (the BSC): ``p0`` is ``p1``.
    same: bool
    #: Error probabilities of a sent 0 and a sent 1: a bit flips where its uniform is below.
    p0: float
    p1: float
    #: ``l(p)`` of :func:`~course_utils.channels.logistic_math.log_odds`.
    log_odds0: float
    log_odds1: float
    #: ``D h(p)``: the slope times ``d out / d e`` of the sent bit (``D`` = 2 for binary LLRs,
    #: ``-2x`` for bipolar outputs, 1 for binary hard outputs).
    grad_scale0: float
    grad_scale1: float
    #: LLRs: the clipped output of a received 0 and of a received 1.
    llr0: float = 0.0
    llr1: float = 0.0
    #: LLRs: 1 where the LLR value is not clipped, else 0 (its gradient passes).
    pass0: float = 0.0
    pass1: float = 0.0
    #: LLRs: ``d out / d y_b`` of a received 0 and a received 1 (``pass * w``).
    slope0: float = 0.0
    slope1: float = 0.0

    @staticmethod
    def build(pb0: torch.Tensor, pb1: torch.Tensor, w0: torch.Tensor | None, w1: torch.Tensor | None,
              x_dtype: torch.dtype, cfg: ChannelConfig) -> ScalarPlan | None:
        """The plan of one call (``pb1`` is ``pb0`` for the BSC), or ``None`` if a constant is not finite."""
        with torch.no_grad():
            d0, d1 = (2.0, -2.0) if cfg.bipolar else (2.0, 2.0)
            if not cfg.llrs and not cfg.bipolar:
                d0, d1 = 1.0, 1.0
            h0, h1 = (slope(p, cfg.eps, cfg.temperature) for p in (pb0, pb1))
            llr = {}
            if cfg.llrs:
                w1x, w0x = w1.to(x_dtype), w0.to(x_dtype)
                pass1 = float(-cfg.llr_max <= w1x.item() <= cfg.llr_max)
                pass0 = float(-cfg.llr_max <= -w0x.item() <= cfg.llr_max)
                llr = {"llr1": torch.clamp(w1x, -cfg.llr_max, cfg.llr_max).item(),
                       "llr0": torch.clamp(-w0x, -cfg.llr_max, cfg.llr_max).item(),
                       "pass0": pass0, "pass1": pass1,
                       "slope0": pass0 * w0x.item(), "slope1": pass1 * w1x.item()}
            plan = ScalarPlan(same=pb0 is pb1, p0=pb0.item(), p1=pb1.item(),
                              log_odds0=log_odds(pb0, cfg.eps).item(),
                              log_odds1=log_odds(pb1, cfg.eps).item(),
                              grad_scale0=(d0 * h0).item(), grad_scale1=(d1 * h1).item(), **llr)
        ok = all(math.isfinite(v) for v in astuple(plan)[1:])
        return plan if ok else None

    def bits(self, xs: torch.Tensor, u: torch.Tensor, scratch: _Scratch,
             bipolar: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Sent-a-1, error and received-a-1 masks of one chunk, as 0/1 floats.

        They are views of ``scratch.f[0:3]``; the sent-a-1 mask is ``xs`` itself for binary
        floats of the scratch's dtype."""
        k = xs.numel()
        one, e, received = (scratch.f[i][:k] for i in range(3))
        if bipolar:
            torch.add(xs, 1, out=one).mul_(0.5)
        elif xs.dtype == one.dtype:
            one = xs
        else:
            one.copy_(xs)
        if self.same:
            torch.lt(u, self.p0, out=e)
        else:  # u < p1 where a 1 was sent, else u < p0, from the threshold one p1 + (1 - one) p0
            torch.lt(u, _select(one, self.p1, self.p0, e), out=e)
        received = torch.sub(one, e, out=received).abs_()
        return one, e, received


class _Scratch:
    """The chunk buffers of one call, reused by every chunk: no chunk allocates memory.

    Only in-place and ``out=`` operations touch them, and masks are 0/1 floats that select
    exactly by arithmetic (``a m + b (1 - m)``): on the CPU, comparisons and ``torch.where``
    that write booleans cost about twice as much per element
    (``benchmarks/channel_profile.py`` measures both)."""

    def __init__(self, size: int, dtype: torch.dtype, floats: int) -> None:
        self.f = [torch.empty(size, dtype=dtype) for _ in range(floats)]

    def view(self, i: int, like: torch.Tensor) -> torch.Tensor:
        """The first ``like.numel()`` values of buffer ``i``."""
        return self.f[i][:like.numel()]


def _select(m: torch.Tensor, a: float, b: float, out: torch.Tensor) -> torch.Tensor:
    """``a`` where the 0/1 mask ``m`` is 1, else ``b``, exactly: ``b (1 - m) + a m``, into ``out``."""
    return torch.sub(m, 1, out=out).mul_(-b).add_(m, alpha=a)


def _complement(m: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """``1 - m`` of a 0/1 mask, into ``out``."""
    return torch.neg(m, out=out).add_(1)


def _chunks(n: int, noise: torch.Tensor | None, kind: NoiseKind, dtype: torch.dtype,
            generator: torch.Generator | None) -> Iterator[tuple[int, torch.Tensor]]:
    """``(start, uniforms)`` per chunk: slices of given uniforms, or of one draw from ``generator``.

    Drawn chunk by chunk, the uniforms are those of ``torch.rand(n, generator=generator)``."""
    if kind is NoiseKind.FRESH:
        buf = torch.empty(min(n, CHUNK), dtype=dtype)
        for i in range(0, n, CHUNK):
            yield i, buf[:min(CHUNK, n - i)].uniform_(generator=generator)
    else:
        uf = noise.reshape(-1)
        for i in range(0, n, CHUNK):
            yield i, uf[i:i + CHUNK]


def _forward(x: torch.Tensor, plan: ScalarPlan, noise: torch.Tensor | None, kind: NoiseKind,
             dtype: torch.dtype, generator: torch.Generator | None, cfg: ChannelConfig) -> torch.Tensor:
    """The channel output, chunk by chunk (``dtype``: the internal precision, of fresh uniforms)."""
    xf = x.reshape(-1)
    n = xf.numel()
    out = torch.empty(n, dtype=x.dtype)
    scratch = _Scratch(min(n, CHUNK), dtype, floats=3)  # thresholds compared with u in its precision
    for i, u in _chunks(n, noise, kind, dtype, generator):
        xs, o = xf[i:i + CHUNK], out[i:i + CHUNK]
        _, _, received = plan.bits(xs, u, scratch, cfg.bipolar)
        if cfg.llrs:  # x is float, and the LLR values are in its dtype
            _select(received, plan.llr1, plan.llr0, o)
        elif cfg.bipolar:
            o.copy_(received.mul_(2).sub_(1))
        else:
            o.copy_(received)
    return out.view(x.shape)


@dataclass(frozen=True)
class _Needs:
    """Which gradients backward computes."""

    x: bool
    p: bool
    w0: bool
    w1: bool


def _backward(g: torch.Tensor, x: torch.Tensor, plan: ScalarPlan, noise: torch.Tensor | None,
              kind: NoiseKind, dtype: torch.dtype, generator: torch.Generator | None,
              cfg: ChannelConfig, needs: _Needs) -> dict[str, torch.Tensor]:
    """Gradients w.r.t. ``x`` (``"x"``), the probabilities (``"p0"``, ``"p1"``) and the LLR values (``"w0"``, ``"w1"``).

    For the BSC (``plan.same``) the probability's whole gradient is ``"p0"``."""
    xf, gf = x.reshape(-1), g.reshape(-1)
    n = xf.numel()
    grad_x = torch.empty_like(xf) if needs.x else None
    scratch = _Scratch(min(n, CHUNK), dtype, floats=6)
    # sums over the bits of a sent 0 and of a sent 1 apart, unless one factor serves both (the BSC)
    split = not plan.same or plan.grad_scale0 != plan.grad_scale1
    sums: dict[str, list[torch.Tensor]] = {"p": [], "p0": [], "p1": [], "w0": [], "w1": []}
    for i, u in _chunks(n, noise, kind, dtype, generator):
        # contiguous: the gradient of a sum is one number expanded (stride 0), slow to read in dot
        xs, gs = xf[i:i + CHUNK], gf[i:i + CHUNK].to(dtype).contiguous()
        one, e, received = plan.bits(xs, u, scratch, cfg.bipolar)  # f0 (or xs), f1, f2
        if cfg.llrs:
            if needs.w1:
                sums["w1"].append(torch.dot(received, gs))
            if needs.w0:
                sums["w0"].append(torch.dot(_complement(received, scratch.view(3, u)), gs))
            # d out / d y_b times g
            ge = _select(received, plan.slope1, plan.slope0, scratch.view(3, u)).mul_(gs)
        else:
            ge = gs
        if needs.x:
            gx = grad_x[i:i + CHUNK]
            if cfg.bipolar:  # d x (1 - 2e) / dx = 1 - 2e
                gx.copy_(torch.mul(e, -2, out=scratch.view(4, u)).add_(1).mul_(ge))
            else:  # straight-through XOR: identity to x (times 2 for LLRs)
                gx.copy_(torch.mul(ge, 2.0, out=scratch.view(4, u)) if cfg.llrs else ge)
        if needs.p:
            # s (1 - s) with s = sigmoid((l(p) + L) / tau), L = log((1 - u) / u) = -logit(u), equals
            # t (1 - t) with t = sigmoid((logit(u) - l(p)) / tau) = 1 - s
            s = torch.logit(u, out=scratch.view(4, u))
            if plan.same:
                s.sub_(plan.log_odds0)
            else:
                s.sub_(_select(one, plan.log_odds1, plan.log_odds0, scratch.view(5, u)))
            s.div_(cfg.temperature).sigmoid_()
            s.addcmul_(s, s, value=-1).mul_(ge)
            if split:
                sums["p1"].append(torch.dot(s, one))
                sums["p0"].append(torch.dot(s, _complement(one, scratch.view(5, u))))
            else:
                sums["p"].append(s.sum())

    def total(key: str) -> torch.Tensor:
        return torch.stack(sums[key]).sum()

    grads: dict[str, torch.Tensor] = {}
    if needs.x:
        grads["x"] = grad_x.view(x.shape)
    if needs.p:
        # the factors grad_scale = D h(p) are constant per sent bit
        if not split:
            grads["p0"] = total("p") * plan.grad_scale0
        elif plan.same:
            grads["p0"] = total("p0") * plan.grad_scale0 + total("p1") * plan.grad_scale1
        else:
            grads["p0"] = total("p0") * plan.grad_scale0
            grads["p1"] = total("p1") * plan.grad_scale1
    if cfg.llrs and needs.w1:
        grads["w1"] = total("w1") * plan.pass1
    if cfg.llrs and needs.w0:
        grads["w0"] = total("w0") * -plan.pass0
    return grads


def _generator_copy(state: torch.Tensor) -> torch.Generator:
    gen = torch.Generator()
    gen.set_state(state)
    return gen


class _ChunkedFunction(torch.autograd.Function):
    """The chunked engine's forward and backward: inputs ``x, pb0, pb1, w0, w1, noise`` as for the whole-tensor one."""

    @staticmethod
    def forward(ctx, x, pb0, pb1, w0, w1, noise, kind, generator, cfg, plan):  # noqa: ANN001, ANN205, PLR0913
        state = None
        if kind is NoiseKind.FRESH:
            generator = generator if generator is not None else torch.default_generator
            state = generator.get_state()  # saved: backward draws the same uniforms again
        out = _forward(x, plan, noise, kind, pb0.dtype, generator, cfg)
        ctx.kind, ctx.cfg, ctx.plan = kind, cfg, plan
        ctx.save_for_backward(x, pb0, pb1, w0, w1, state if kind is NoiseKind.FRESH else noise)
        return out

    @staticmethod
    def backward(ctx, g):  # noqa: ANN001, ANN205
        x, pb0, pb1, w0, w1, noise = ctx.saved_tensors
        need_x, need_p0, need_p1, need_w0, need_w1 = ctx.needs_input_grad[:5]
        needs = _Needs(x=need_x, p=need_p0 or need_p1, w0=need_w0, w1=need_w1)
        fresh = ctx.kind is NoiseKind.FRESH
        grads = _backward(g, x, ctx.plan, None if fresh else noise, ctx.kind, pb0.dtype,
                          _generator_copy(noise) if fresh else None, ctx.cfg, needs)

        def shaped(key: str, like: torch.Tensor | None) -> torch.Tensor | None:
            t = grads.get(key)
            return None if t is None else t.reshape(like.shape).to(like.dtype)

        return (shaped("x", x), shaped("p0", pb0), shaped("p1", pb1), shaped("w0", w0), shaped("w1", w1),
                None, None, None, None, None)


class ChunkedEngine:
    """The logistic sampler's CPU engine for one probability per channel: bits in chunks of :data:`CHUNK`.

    Applies on the CPU, outside ``torch.compile``, to scalar probabilities and noise
    drawn fresh or given as one uniform per bit, when every constant of the call's
    :class:`ScalarPlan` is finite; :meth:`memoryless` returns ``None`` elsewhere.

    Examples
    --------
    >>> import torch
    >>> from course_utils.channels import BinarySymmetricChannel, LogisticSampler
    >>> only = BinarySymmetricChannel(sampler=LogisticSampler(engines=(ChunkedEngine(),)))
    >>> only(torch.zeros(4), 1.0).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """

    name = "chunked"

    def memoryless(self, x: torch.Tensor, pb0: torch.Tensor, pb1: torch.Tensor | None,
                   w0: torch.Tensor | None, w1: torch.Tensor | None, noise: torch.Tensor | None,
                   kind: NoiseKind, generator: torch.Generator | None,
                   cfg: ChannelConfig) -> torch.Tensor | None:
        """Output of a binary memoryless channel, or ``None`` where this engine does not apply.

        ``pb1 = None``: ``pb0`` for every bit (the BSC)."""
        p1 = pb0 if pb1 is None else pb1
        if (torch.compiler.is_compiling() or x.device.type != "cpu" or kind is NoiseKind.LOGISTIC
                or pb0.numel() != 1 or p1.numel() != 1):
            return None
        plan = ScalarPlan.build(pb0, p1, w0, w1, x.dtype, cfg)
        if plan is None:
            return None
        if x.is_floating_point() and torch.is_grad_enabled():
            return _ChunkedFunction.apply(x, pb0, pb1, w0, w1, noise, kind, generator, cfg, plan)
        if kind is NoiseKind.FRESH and generator is None:
            generator = torch.default_generator
        return _forward(x, plan, noise, kind, pb0.dtype, generator, cfg)
