"""The fast error sampler of the discrete channels: one uniform per bit, one fused autograd Function.

Taught in notebook 14 (a fast channel sampler). Selected with ``sampler="logistic"``
in the constructors of :mod:`course_utils.channels`; the default ``"gumbel"`` is the
faithful port of Sionna.

Why it is the same channel. For two classes the Gumbel-softmax's first output is
``softmax((log(p + eps) + q0, log(1 - p + eps) + q1) / tau)[0]
= sigmoid((l(p) + L) / tau)`` with ``l(p) = log(p + eps) - log(1 - p + eps)`` and
``L = q0 - q1``; the difference of two independent Gumbel(0, 1) variables is
Logistic(0, 1), and so is ``L = log(1 - u) - log(u)`` for one uniform ``u``. So one
uniform per bit, taken for the probability the input bit selects, replaces
Sionna's four, and the straight-through gradient is
``d sigmoid((l(p) + L) / tau) / dp = s (1 - s) (1 / (p + eps) + 1 / (1 - p + eps)) / tau``.

The hard decision needs no logarithm: with such a uniform, ``l(p) + L > 0`` is
``u < p``. The exact rule with ``eps`` would be ``u < (p + eps) / (1 + 2 eps)``;
the two thresholds differ by at most ``eps = 1e-9`` in probability, less than the
spacing of float32 uniforms (``2**-24``). The rule without ``eps`` is exact at
the edges in any precision: for uniforms in [0, 1), ``p = 0`` never and ``p = 1``
always flips. The faithful sampler guarantees that only in float32 (where its
Gumbel noise is bounded, notebook 11); in float64 a uniform within about ``2e-8``
of 1 can flip a ``p = 0`` bit there (notebook 14 shows one).

The Function saves no noise: it saves the random generator's state and draws
the same uniforms again in backward (as dropout implementations do), and computes
the LLRs and their gradient inside the same Function. On the CPU, with one
probability per channel (the usual case), it works through the bits in chunks
(:data:`CHUNK`) and saves nothing of the size of ``x``; otherwise (a GPU, with its
caching allocator, or per-position probabilities) it works on whole tensors and
keeps two boolean masks (sent bit, received bit). Both paths give the same outputs.

Noise given through ``noise=`` may be

* uniforms of shape ``x.shape``: exactly what a generator would have drawn
  (``ch(x, pb, generator=g)`` equals ``ch(x, pb, noise=torch.rand(x.shape, generator=g'))``
  for a copy ``g'`` of ``g``);
* the faithful sampler's uniforms, of shape ``(k, *x.shape, 2)``: the sampler
  turns each Gumbel pair into ``L = q0 - q1`` (:func:`logistic_from_gumbel`), picks
  the pair selected by the input bit and decides ``sigmoid((l(p) + L) / tau) >= 0.5``.
  Fed the same uniforms, the two samplers then give the same outputs and, to float
  rounding, the same gradients (a decision could differ only where ``l(p) + L``
  is within rounding of 0; none does among the 400 000 bits of
  ``tests/test_channels_fast.py``).

Importing this module never imports TensorFlow.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from .gumbel import gumbel_of_checked_uniform

__all__ = ["LogisticSampler", "logistic_from_gumbel"]


def logistic_from_gumbel(u: torch.Tensor, eps: float = 1e-9) -> torch.Tensor:
    """Logistic noise ``L = q0 - q1`` from the faithful sampler's Gumbel pairs of uniforms.

    Parameters
    ----------
    u : torch.Tensor
        Uniforms in [0, 1), shape ``[..., 2]`` (the last axis is the pair).
    eps : float
        Term inside the logarithms, as in the faithful sampler (Sionna: 1e-9).

    Output
    ------
    torch.Tensor
        ``u.shape[:-1]``: ``q0 - q1`` with ``q = -log(-log(u + eps) + eps)``.

    Examples
    --------
    >>> import torch
    >>> from course_utils.gumbel import gumbel_from_uniform
    >>> u = torch.rand(5, 2, generator=torch.Generator().manual_seed(0))
    >>> q = gumbel_from_uniform(u, eps=1e-9)
    >>> torch.equal(logistic_from_gumbel(u), q[:, 0] - q[:, 1])
    True
    """
    q = gumbel_of_checked_uniform(u, eps)
    return q[..., 0] - q[..., 1]


def _logistic_of_uniform(u: torch.Tensor) -> torch.Tensor:
    """``L = log(1 - u) - log(u)``: an error ``u < p`` is ``l(p) + L > 0`` (a new tensor).

    The negative of :func:`course_utils.gumbel.logistic_from_uniform`, without its input
    checks and with one temporary less: it runs on every bit of every call."""
    return torch.log(1 - u).sub_(torch.log(u))


def _default_generator(device: torch.device) -> torch.Generator:
    if device.type == "cpu":
        return torch.default_generator
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return torch.cuda.default_generators[index]
    raise ValueError(f"the logistic sampler draws its own noise only on cpu or cuda, "
                     f"not on {device.type}: pass noise=")


def _sum_to(t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Reduce a per-bit gradient to the shape of the (broadcast) input ``like``."""
    if t.shape == like.shape:
        return t.to(like.dtype)
    return t.sum_to_size(like.shape).to(like.dtype)


def _select(pick: torch.Tensor, a: torch.Tensor, b: torch.Tensor, same: bool) -> torch.Tensor:
    return a if same else torch.where(pick, a, b)


def _traced_uniforms(x: torch.Tensor, dtype: torch.dtype, generator: torch.Generator | None) -> torch.Tensor:
    """Fresh uniforms of ``x.shape`` drawn inside a ``torch.compile`` graph.

    A traced graph cannot read a generator's state, so there the sampler draws the
    uniforms like given noise (and keeps them for backward) instead of drawing them again."""
    extra = {} if generator is None else {"generator": generator}
    return torch.rand(x.shape, dtype=dtype, device=x.device, **extra)


class _Noise:
    """The noise of one call: fresh (a generator state), uniforms, or logistic noise."""

    def __init__(self, kind: str, tensor: torch.Tensor | None = None,
                 state: torch.Tensor | None = None) -> None:
        self.kind, self.tensor, self.state = kind, tensor, state

    def logistic(self, shape: torch.Size, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
        """Logistic noise L (a fresh tensor the caller may overwrite)."""
        if self.kind == "logistic":
            return self.tensor.clone()
        if self.kind == "uniform":
            u = self.tensor
        else:
            gen = torch.Generator(device=device)
            gen.set_state(self.state)
            u = torch.rand(shape, dtype=dtype, device=device, generator=gen)
        return _logistic_of_uniform(u)


def _errors(pick: torch.Tensor, ps: Sequence[torch.Tensor], noise: _Noise, shape: torch.Size,
            dtype: torch.dtype, device: torch.device, generator: torch.Generator | None,
            temperature: float, eps: float) -> torch.Tensor:
    """Boolean error pattern for probabilities ``ps`` (selected by ``pick``).

    With fresh noise, the generator's state is stored in ``noise`` for backward."""
    same = len(ps) == 1 or ps[0] is ps[1]
    if noise.kind == "logistic":
        ells = [torch.log(p + eps) - torch.log(1 - p + eps) for p in ps]
        z = noise.tensor + _select(pick, ells[0], ells[-1], same)
        # sigmoid(z / tau) >= 0.5, written as the faithful binarizer writes it
        return ~(torch.sigmoid_(z.div_(temperature)) < 0.5)
    if noise.kind == "fresh":
        gen = generator if generator is not None else _default_generator(device)
        noise.state = gen.get_state()
        u = torch.rand(shape, dtype=dtype, device=device, generator=gen)
    else:
        u = noise.tensor
    return torch.lt(u, _select(pick, ps[0], ps[-1], same))


# ----------------------------------------------------------------------------
# The CPU fast path: scalar probabilities, processed in cache-sized chunks
# ----------------------------------------------------------------------------

#: Bits per chunk of the CPU fast path (2 MiB of float32): its temporaries stay in
#: the caches and are recycled by the allocator instead of being fresh memory pages,
#: whose first touch dominates the cost of element-wise work on a CPU.
CHUNK = 1 << 19


class _Plan:
    """Per-call constants of the CPU fast path, as Python numbers (all finite)."""

    def __init__(self, x: torch.Tensor, pb0: torch.Tensor, pb1: torch.Tensor,
                 w0: torch.Tensor | None, w1: torch.Tensor | None, cfg: tuple) -> None:
        bipolar, llrs, llr_max, temperature, eps = cfg
        self.cfg, self.dtype, self.same = cfg, pb0.dtype, pb0 is pb1
        self.p0, self.p1 = pb0.item(), pb1.item()
        ell = [torch.log(p + eps) - torch.log(1 - p + eps) for p in (pb0, pb1)]
        h = [(1 / (p + eps) + 1 / (1 - p + eps)) / temperature for p in (pb0, pb1)]
        # d out / d e = A(received bit) * D(sent bit): D = 2 for binary outputs
        # (2y - 1 after a straight-through XOR), -2x for bipolar ones
        d0, d1 = (2.0, -2.0) if bipolar else (2.0, 2.0)
        if not llrs:
            d0, d1 = (d0, d1) if bipolar else (1.0, 1.0)
        self.ell = (ell[0].item(), ell[1].item())
        self.kh = ((d0 * h[0]).item(), (d1 * h[1]).item())
        values = [*self.ell, *self.kh]
        if llrs:
            w1x, w0x = w1.to(x.dtype), w0.to(x.dtype)
            self.c1 = torch.clamp(w1x, -llr_max, llr_max).item()
            self.c0 = torch.clamp(-w0x, -llr_max, llr_max).item()
            self.m1 = float(-llr_max <= w1x.item() <= llr_max)
            self.m0 = float(-llr_max <= -w0x.item() <= llr_max)
            self.a1, self.a0 = self.m1 * w1x.item(), self.m0 * w0x.item()
            values += [self.c0, self.c1, self.a0, self.a1]
        self.ok = all(math.isfinite(v) for v in values)

    def bits(self, xs: torch.Tensor, u: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Sent-a-1 mask, error mask and received-a-1 mask of one chunk."""
        one = xs == 1
        if self.same:
            e = torch.lt(u, self.p0)
        else:
            lt0, lt1 = torch.lt(u, self.p0), torch.lt(u, self.p1)
            e = lt0.logical_xor_(lt1.logical_xor_(lt0).logical_and_(one))  # lt1 where one
        return one, e, torch.logical_xor(e, one)


def _masks(m: torch.Tensor, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """``m`` and ``not m`` as 0/1 floats: ``a * mf + b * nf`` selects exactly (one term is 0)."""
    mf = m.to(dtype)
    return mf, torch.rsub(mf, 1)


def _chunked_forward(x: torch.Tensor, plan: _Plan, noise: _Noise,
                     generator: torch.Generator | None) -> torch.Tensor:
    bipolar, llrs = plan.cfg[:2]
    xf = x.reshape(-1)
    n = xf.numel()
    out = torch.empty(n, dtype=x.dtype)
    if noise.kind == "fresh":
        gen = generator if generator is not None else torch.default_generator
        noise.state = gen.get_state()
        buf = torch.empty(min(n, CHUNK), dtype=plan.dtype)
    else:
        uf = noise.tensor.reshape(-1)
    for i in range(0, n, CHUNK):
        xs, o = xf[i:i + CHUNK], out[i:i + CHUNK]
        # slices of one draw: the same uniforms as torch.rand(x.shape, generator=gen)
        u = buf[:xs.numel()].uniform_(generator=gen) if noise.kind == "fresh" else uf[i:i + CHUNK]
        _, _, y = plan.bits(xs, u)
        if llrs:
            yf, nf = _masks(y, x.dtype)
            torch.mul(yf, plan.c1, out=o).add_(nf, alpha=plan.c0)
        elif bipolar:
            torch.mul(y, 2, out=o).sub_(1)
        else:
            o.copy_(y)
    return out.view(x.shape)


def _chunked_backward(g: torch.Tensor, x: torch.Tensor, plan: _Plan, noise: _Noise,
                      need: tuple[bool, ...]) -> tuple[torch.Tensor | None, ...]:
    bipolar, llrs, _, temperature, _ = plan.cfg
    need_x, need_p0, need_p1, need_w0, need_w1 = need
    need_p = need_p0 or need_p1
    dtype = plan.dtype
    xf, gf = x.reshape(-1), g.reshape(-1)
    n = xf.numel()
    if noise.kind == "fresh":
        gen = torch.Generator()
        gen.set_state(noise.state)
        buf = torch.empty(min(n, CHUNK), dtype=dtype)
    else:
        uf = noise.tensor.reshape(-1)
    gx = torch.empty_like(xf) if need_x else None
    # sums over the bits of pb0 and of pb1 apart, unless one sum serves both (the BSC)
    split = not plan.same or plan.kh[0] != plan.kh[1]
    sums: dict[str, list[torch.Tensor]] = {"p0": [], "p1": [], "w0": [], "w1": []}
    for i in range(0, n, CHUNK):
        xs, gs = xf[i:i + CHUNK], gf[i:i + CHUNK].to(dtype)
        u = buf[:xs.numel()].uniform_(generator=gen) if noise.kind == "fresh" else uf[i:i + CHUNK]
        one, e, y = plan.bits(xs, u)
        if llrs:
            yf, ny = _masks(y, dtype)
            if need_w1:
                sums["w1"].append(torch.dot(yf, gs))
            if need_w0:
                sums["w0"].append(torch.dot(ny, gs))
            ge = yf.mul_(plan.a1).add_(ny, alpha=plan.a0).mul_(gs)  # d out / d y_b times g
        else:
            ge = gs
        if need_x:
            if bipolar:  # d x (1 - 2e) / dx = 1 - 2e
                torch.mul(e, -2, out=gx[i:i + CHUNK]).add_(1).mul_(ge)
            else:  # straight-through XOR: identity to x (times 2 for LLRs)
                torch.mul(ge, 2.0 if llrs else 1.0, out=gx[i:i + CHUNK])
        if need_p:
            # s (1 - s) with s = sigmoid((l(p) + L) / tau), L = log(1 - u) - log(u)
            s = torch.rsub(u, 1).log_().sub_(torch.log(u))
            if split:
                of, nf = _masks(one, dtype)
            if plan.same:
                s.add_(plan.ell[0])
            else:
                s.add_(of, alpha=plan.ell[1]).add_(nf, alpha=plan.ell[0])
            s.div_(temperature).sigmoid_()
            s.addcmul_(s, s, value=-1).mul_(ge)
            if not split:
                sums["p0"].append(s.sum())
            else:
                sums["p1"].append(torch.dot(s, of))
                sums["p0"].append(torch.dot(s, nf))

    def total(key: str) -> torch.Tensor:
        return torch.stack(sums[key]).sum()

    grads: list[torch.Tensor | None] = [None] * 5
    if need_x:
        grads[0] = gx.view(x.shape)
    if need_p:
        # the factors kh = D (1/(p + eps) + 1/(1 - p + eps)) / tau are constant per group
        grads[1] = total("p0") * plan.kh[0]
        if split:
            grads[2 - plan.same] = total("p1") * plan.kh[1] + (grads[1] if plan.same else 0)
    if llrs and need_w1:
        grads[4] = total("w1") * plan.m1
    if llrs and need_w0:
        grads[3] = total("w0") * -plan.m0
    return tuple(grads)


def _memoryless_forward(x, pb0, pb1, w0, w1, noise, generator, cfg):  # noqa: ANN001, ANN202, PLR0913
    """Output of the memoryless channel, and the masks backward needs (``x == 0``, received 1)."""
    bipolar, llrs, llr_max, temperature, eps = cfg
    pick = x == (-1 if bipolar else 0)  # where pb0 applies
    ps = (pb0,) if pb0 is pb1 else (pb0, pb1)
    e = _errors(pick, ps, noise, x.shape, pb0.dtype, x.device, generator, temperature, eps)
    received_one = e.logical_xor_(~pick)
    if llrs:
        c1 = torch.clamp(w1.to(x.dtype), -llr_max, llr_max)
        c0 = torch.clamp(-w0.to(x.dtype), -llr_max, llr_max)
        out = torch.where(received_one, c1, c0)
    elif bipolar:
        out = torch.where(received_one, 1, -1).to(x.dtype)
    else:
        out = received_one.to(x.dtype)
    return out, pick, received_one


class _LogisticMemoryless(torch.autograd.Function):
    """Errors, their application to ``x`` and the LLRs, forward and backward in one Function.

    Inputs ``x, pb0, pb1, w0, w1``: ``w0, w1`` are Sionna's LLR values of a received 0
    (before the sign) and of a received 1, computed by the caller (small tensors) so
    that their own gradient w.r.t. ``pb`` is left to autograd.
    """

    @staticmethod
    def forward(ctx, x, pb0, pb1, w0, w1, noise, generator, cfg, plan):  # noqa: ANN001, ANN205, PLR0913
        # pb1 is None when both probabilities are one tensor (the BSC): a Function traced
        # by torch.compile may not receive the same tensor twice
        ctx.cfg, ctx.noise, ctx.same, ctx.plan = cfg, noise, pb1 is None, plan
        pb1 = pb0 if pb1 is None else pb1
        ctx.x_meta = (x.shape, x.dtype)
        if plan is not None:
            # nothing of the size of x is saved: backward draws the uniforms again
            ctx.save_for_backward(x, pb0, None if ctx.same else pb1, w0, w1)
            return _chunked_forward(x, plan, noise, generator)
        out, pick, received_one = _memoryless_forward(x, pb0, pb1, w0, w1, noise, generator, cfg)
        ctx.save_for_backward(pick, received_one, pb0, None if ctx.same else pb1, w0, w1)
        return out

    @staticmethod
    def backward(ctx, g):  # noqa: ANN001, ANN205
        bipolar, llrs, llr_max, temperature, eps = ctx.cfg
        grads = [None] * 9
        if ctx.plan is not None:
            x, pb0, pb1, w0, w1 = ctx.saved_tensors
            pb1 = pb0 if ctx.same else pb1
            fast = _chunked_backward(g, x, ctx.plan, ctx.noise,
                                     ctx.needs_input_grad[:5])
            for k, (t, like) in enumerate(zip(fast, (x, pb0, pb1, w0, w1))):
                if t is not None:
                    grads[k] = t.reshape(like.shape).to(like.dtype)
            return tuple(grads)
        pick, received_one, pb0, pb1, w0, w1 = ctx.saved_tensors
        pb1 = pb0 if ctx.same else pb1
        shape, xdtype = ctx.x_meta
        need_x, need_p0, need_p1, need_w0, need_w1 = ctx.needs_input_grad[:5]

        # d out / d e per bit (straight-through): A = 2 * (clip mask * w) for binary LLRs,
        # -2x * (...) for bipolar ones; 1 (STE XOR) or -2x for hard outputs
        if llrs:
            w1x, w0x = w1.to(xdtype), w0.to(xdtype)
            a1 = ((w1x >= -llr_max) & (w1x <= llr_max)).to(xdtype) * w1x
            a0 = ((-w0x >= -llr_max) & (-w0x <= llr_max)).to(xdtype) * w0x
            if need_w1:
                grads[4] = _sum_to(torch.where(received_one, g, 0) *
                                   ((w1x >= -llr_max) & (w1x <= llr_max)), w1)
            if need_w0:
                grads[3] = _sum_to(torch.where(received_one, 0, g) *
                                   ((-w0x >= -llr_max) & (-w0x <= llr_max)), w0).neg_()
            dout = torch.where(received_one, a1, a0)
            gx = g * dout
            if bipolar:
                # y = x (1 - 2e): d/de = -2x, d/dx = 1 - 2e = y / x
                ge = gx.mul_(torch.where(pick, 2.0, -2.0))
                gx_in = None if not need_x else g * dout * torch.where(
                    received_one ^ ~pick, -1.0, 1.0)
            else:
                ge = gx.mul_(2.0)
                gx_in = ge if need_x else None
        else:
            if bipolar:
                ge = g * torch.where(pick, 2.0, -2.0)
                gx_in = None if not need_x else g * torch.where(received_one ^ ~pick, -1.0, 1.0)
            else:
                ge = g
                gx_in = g if need_x else None
        if need_x:
            grads[0] = gx_in.to(xdtype)

        if need_p0 or need_p1:
            dtype = pb0.dtype
            ps = (pb0,) if ctx.same else (pb0, pb1)
            ells = [torch.log(p + eps) - torch.log(1 - p + eps) for p in ps]
            hs = [(1 / (p + eps) + 1 / (1 - p + eps)) / temperature for p in ps]
            s = ctx.noise.logistic(shape, dtype, g.device)
            s.add_(_select(pick, ells[0], ells[-1], ctx.same)).div_(temperature).sigmoid_()
            s.addcmul_(s, s, value=-1)  # s (1 - s)
            s.mul_(ge).mul_(_select(pick, hs[0], hs[-1], ctx.same))
            if ctx.same:
                grads[1] = _sum_to(s, pb0)
            else:
                if need_p0:
                    grads[1] = _sum_to(torch.where(pick, s, 0), pb0)
                if need_p1:
                    grads[2] = _sum_to(torch.where(pick, 0, s), pb1)
        return tuple(grads)


class LogisticSampler:
    """The fast error sampler: one uniform per bit, errors and LLRs in one fused autograd Function.

    Used by the channels of :mod:`course_utils.channels` built with
    ``sampler="logistic"``; it replaces the whole error-and-output computation of a
    call (``fused = True``), so the channel hands it the checked inputs.

    Examples
    --------
    >>> import torch
    >>> from course_utils.channels import BinarySymmetricChannel
    >>> ch = BinarySymmetricChannel(sampler="logistic")
    >>> ch.sampler, ch.noise_shape((3, 4))  # one uniform per bit
    ('logistic', (3, 4))
    >>> pb = torch.tensor(0.1, requires_grad=True)
    >>> y = ch(torch.zeros(100_000), pb, generator=torch.Generator().manual_seed(0))
    >>> round(y.mean().item(), 2)
    0.1
    """

    name = "logistic"
    fused = True
    #: Use the chunked CPU path where it applies (scalar probabilities, noise drawn
    #: or given as one uniform per bit); ``False`` forces the full-tensor path.
    chunked = True

    @staticmethod
    def noise_shape(num_probs: int, shape: Sequence[int]) -> tuple[int, ...]:
        """Shape of the uniforms this sampler draws: one per bit, ``shape``."""
        return tuple(shape)

    @staticmethod
    def noise_shapes(num_probs: int, shape: Sequence[int]) -> tuple[tuple[int, ...], ...]:
        """Accepted shapes of given noise: its own uniforms, or the faithful sampler's."""
        return (tuple(shape), (num_probs, *shape, 2))

    @staticmethod
    def _noise(x: torch.Tensor, noise: torch.Tensor | None, pick: torch.Tensor,
               eps: float) -> _Noise:
        if noise is None:
            return _Noise("fresh")
        if noise.shape == x.shape:
            return _Noise("uniform", noise)
        pairs = logistic_from_gumbel(noise, eps)  # (k, *x.shape)
        return _Noise("logistic", torch.where(pick, pairs[0], pairs[-1]))

    def memoryless(self, x: torch.Tensor, pb0: torch.Tensor, pb1: torch.Tensor,
                   noise: torch.Tensor | None, generator: torch.Generator | None, *,
                   bipolar: bool, llrs: bool, llr_max: float, temperature: float,
                   eps: float) -> torch.Tensor:
        """Output of a binary memoryless channel (hard values or LLRs) for checked inputs.

        ``pb0`` and ``pb1`` are clipped probabilities in the internal dtype (the same
        tensor object for the BSC); ``noise`` is ``None`` (draw from ``generator``) or a
        checked tensor of one of :meth:`noise_shapes`.
        """
        compiling = torch.compiler.is_compiling()
        if compiling and noise is None:
            noise = _traced_uniforms(x, pb0.dtype, generator)
        n = self._noise(x, noise, x == (-1 if bipolar else 0), eps)
        w0 = w1 = None
        if llrs:  # Sionna's LLRs of a received 0 (before its sign) and of a received 1
            w0 = -(torch.log(pb1 + eps) - torch.log(1 - pb0 - eps))
            w1 = torch.log(1 - pb1 - eps) - torch.log(pb0 + eps)
        cfg = (bipolar, llrs, llr_max, temperature, eps)
        plan = None
        if (self.chunked and not compiling and x.device.type == "cpu" and n.kind != "logistic"
                and pb0.numel() == 1 and pb1.numel() == 1):
            with torch.no_grad():
                plan = _Plan(x, pb0, pb1, w0, w1, cfg)
            plan = plan if plan.ok else None
        if x.is_floating_point() and torch.is_grad_enabled():
            return _LogisticMemoryless.apply(x, pb0, None if pb0 is pb1 else pb1, w0, w1, n,
                                             generator, cfg, plan)
        if plan is not None:
            return _chunked_forward(x, plan, n, generator)
        return _memoryless_forward(x, pb0, pb1, w0, w1, n, generator, cfg)[0]

    def erasure(self, x: torch.Tensor, p: torch.Tensor, noise: torch.Tensor | None,
                generator: torch.Generator | None, *, bipolar: bool, llrs: bool,
                llr_max: float, temperature: float, eps: float) -> torch.Tensor:
        """Output of the binary erasure channel (not differentiable w.r.t. ``p``, as in Sionna)."""
        if torch.compiler.is_compiling() and noise is None:
            noise = _traced_uniforms(x, p.dtype, generator)
        n = self._noise(x, noise, x == x, eps)
        with torch.no_grad():
            e = _errors(x, (p,), n, x.shape, p.dtype, x.device, generator, temperature, eps)
        if llrs:
            scale = torch.tensor(llr_max, dtype=x.dtype, device=x.device)
            values = (2 * x - 1) * scale if not bipolar else x * scale
            return values.masked_fill_(e, 0)  # an erasure has LLR 0
        return x.masked_fill(e, 0 if bipolar else -1)
