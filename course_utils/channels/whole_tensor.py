"""The logistic sampler's whole-tensor engine: any device, any probability shape, one autograd Function (notebook 14).

Works on whole tensors and saves, besides the probabilities, ``x`` and the noise of
the call: a generator's state for fresh noise (backward draws the same uniforms
again, as dropout implementations do), or the given uniforms or logistic noise, all
through ``ctx.save_for_backward``; backward works the errors out again.
"""
from __future__ import annotations

import torch

from .config import ChannelConfig, NoiseKind
from .logistic_math import default_generator, log_odds, slope, sum_to

__all__ = ["WholeTensorEngine", "error_mask"]


def _select(pick: torch.Tensor, a: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    """``a`` where ``pick``, ``b`` elsewhere (``a`` everywhere when ``b`` is ``None``: one probability)."""
    return a if b is None else torch.where(pick, a, b)


def error_mask(pick: torch.Tensor, pb0: torch.Tensor, pb1: torch.Tensor | None, noise: torch.Tensor,
               kind: NoiseKind, cfg: ChannelConfig) -> torch.Tensor:
    """Boolean errors: ``pb0`` applies where ``pick``, ``pb1`` elsewhere (``None``: ``pb0`` everywhere).

    ``noise`` holds uniforms (decision ``u < p``) or, for :attr:`NoiseKind.LOGISTIC`,
    logistic noise (decision ``sigmoid((l(p) + L) / tau) >= 0.5``, written as the
    faithful binarizer writes it).

    Examples
    --------
    >>> import torch
    >>> cfg = ChannelConfig(bipolar=False, llrs=False, llr_max=100.0, temperature=0.1, eps=1e-9)
    >>> u = torch.tensor([0.05, 0.5])
    >>> error_mask(u == u, torch.tensor(0.1), None, u, NoiseKind.UNIFORM, cfg).tolist()
    [True, False]
    """
    if kind is NoiseKind.LOGISTIC:
        ell1 = None if pb1 is None else log_odds(pb1, cfg.eps)
        z = noise + _select(pick, log_odds(pb0, cfg.eps), ell1)
        return ~(torch.sigmoid_(z.div_(cfg.temperature)) < 0.5)
    return torch.lt(noise, _select(pick, pb0, pb1))


def _uniforms(x: torch.Tensor, dtype: torch.dtype, generator: torch.Generator,
              state: torch.Tensor | None = None) -> torch.Tensor:
    """Uniforms of ``x.shape`` from ``generator`` (from a copy set to ``state``, if given)."""
    if state is not None:
        generator = torch.Generator(device=x.device)
        generator.set_state(state)
    return torch.rand(x.shape, dtype=dtype, device=x.device, generator=generator)


def _forward(x: torch.Tensor, pb0: torch.Tensor, pb1: torch.Tensor | None, w0: torch.Tensor | None,
             w1: torch.Tensor | None, noise: torch.Tensor | None, kind: NoiseKind,
             generator: torch.Generator | None, cfg: ChannelConfig) -> tuple[torch.Tensor, ...]:
    """Output and the noise to save for backward (a generator state if fresh)."""
    pick = x == (-1 if cfg.bipolar else 0)  # where pb0 applies
    if kind is NoiseKind.FRESH:
        gen = generator if generator is not None else default_generator(x.device)
        noise = gen.get_state()  # saved: backward draws the same uniforms again
        e = error_mask(pick, pb0, pb1, _uniforms(x, pb0.dtype, gen), kind, cfg)
    else:
        e = error_mask(pick, pb0, pb1, noise, kind, cfg)
    received_one = e.logical_xor_(~pick)
    if cfg.llrs:
        c1 = torch.clamp(w1.to(x.dtype), -cfg.llr_max, cfg.llr_max)
        c0 = torch.clamp(-w0.to(x.dtype), -cfg.llr_max, cfg.llr_max)
        out = torch.where(received_one, c1, c0)
    elif cfg.bipolar:
        out = torch.where(received_one, 1, -1).to(x.dtype)
    else:
        out = received_one.to(x.dtype)
    return out, noise


def _in_range(w: torch.Tensor, llr_max: float) -> torch.Tensor:
    """1 where ``w`` is not clipped by ``[-llr_max, llr_max]``, else 0, in the dtype of ``w``."""
    return ((w >= -llr_max) & (w <= llr_max)).to(w.dtype)


def _pick(one: torch.Tensor, a: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    """``a`` where a 0 was sent (``one == 0``), ``b`` where a 1 was (``a`` everywhere when ``b`` is ``None``).

    A ``torch.where``, not arithmetic: an infinite or NaN value (a slope overflowing at a tiny
    temperature, a NaN probability with checks off) stays with its bits."""
    return a if b is None else torch.where(one > 0.5, b, a)


class _WholeTensorFunction(torch.autograd.Function):
    """Errors, their application to ``x`` and the LLRs, forward and backward, on whole tensors.

    Inputs ``x, pb0, pb1, w0, w1, noise``: ``pb1`` is ``None`` when both probabilities
    are one tensor (the BSC: a Function traced by torch.compile may not receive the
    same tensor twice); ``w0, w1`` are Sionna's LLR values
    (:func:`~course_utils.channels.formulas.llr_values`), computed by the caller so that
    their own gradient w.r.t. ``pb`` is left to autograd.

    It saves ``x``, the probabilities, the LLR values and the noise (a generator state for
    fresh noise), nothing else of the size of ``x``, and backward works out the sent
    bit, the error and the received bit again, as 0/1 floats. Under ``torch.compile``,
    with uniforms drawn in the graph, the partitioner then keeps ``x`` and the uniforms for
    backward of LLR outputs, not boolean masks, which Inductor's CPU code writes several
    times slower than floats (``benchmarks/channel_profile.py`` measures both); for hard
    outputs it keeps each bit's straight-through factor (a float) and the sent bit, which is
    ``x`` for bipolar inputs and a boolean mask for binary inputs with two probabilities
    (``tests/test_channels_compile.py`` checks what it keeps).
    """

    @staticmethod
    def forward(ctx, x, pb0, pb1, w0, w1, noise, kind, generator, cfg):  # noqa: ANN001, ANN205, PLR0913
        out, saved_noise = _forward(x, pb0, pb1, w0, w1, noise, kind, generator, cfg)
        ctx.kind, ctx.cfg = kind, cfg
        ctx.save_for_backward(x, pb0, pb1, w0, w1, saved_noise)
        return out

    @staticmethod
    def backward(ctx, g):  # noqa: ANN001, ANN205
        x, pb0, pb1, w0, w1, noise = ctx.saved_tensors
        cfg, kind = ctx.cfg, ctx.kind
        need_x, need_p0, need_p1, need_w0, need_w1 = ctx.needs_input_grad[:5]
        grad_x = grad_p0 = grad_p1 = grad_w0 = grad_w1 = None

        dtype = pb0.dtype
        one = ((x + 1) * 0.5 if cfg.bipolar else x).to(dtype)  # 1 where a 1 was sent, else 0
        if kind is NoiseKind.FRESH:
            noise = _uniforms(x, dtype, torch.Generator(device=g.device), noise)
            kind = NoiseKind.UNIFORM
        if kind is NoiseKind.LOGISTIC:
            e = error_mask(one < 0.5, pb0, pb1, noise, kind, cfg).to(dtype)
        else:
            # p > u: forward's u < p the other way round, which the compiler's common-subexpression
            # pass does not merge with it (merged, forward's boolean errors would be kept instead)
            e = torch.gt(_pick(one, pb0, pb1), noise).to(dtype)
        received = (one - e).abs_()  # 1 where a 1 was received, else 0

        # d out / d e per bit (straight-through): for LLRs the unclipped LLR value of the
        # received bit, times 2 (binary: 2y - 1 after the XOR) or -2x (bipolar: x (1 - 2e));
        # for hard outputs 1 (the XOR) or -2x
        g = g.to(torch.promote_types(g.dtype, dtype))  # the wider of the output's and the channel's
        if cfg.llrs:
            w1x, w0x = w1.to(x.dtype), w0.to(x.dtype)
            pass1, pass0 = _in_range(w1x, cfg.llr_max), _in_range(-w0x, cfg.llr_max)
            if need_w1:
                grad_w1 = sum_to(g * received * pass1, w1)
            if need_w0:
                grad_w0 = sum_to(g * (1 - received) * pass0, w0).neg_()
            # a where, not arithmetic: a NaN LLR value (pb0 = 1 in float32) stays with its bits
            g = g * torch.where(received > 0.5, pass1 * w1x, pass0 * w0x)
        if cfg.bipolar:
            ge = g * (2 - 4 * one)  # d x (1 - 2e) / de = -2x
            grad_x = g * (1 - 2 * e) if need_x else None
        else:
            ge = g * 2.0 if cfg.llrs else g
            grad_x = ge if need_x else None
        if grad_x is not None:
            grad_x = grad_x.to(x.dtype)

        if need_p0 or need_p1:
            # s (1 - s) with s = sigmoid((l(p) + L) / tau) equals t (1 - t) with
            # t = sigmoid((-L - l(p)) / tau) = 1 - s, and -L = logit(u) for uniforms
            s = noise.neg() if kind is NoiseKind.LOGISTIC else torch.logit(noise)
            s.sub_(_pick(one, log_odds(pb0, cfg.eps), None if pb1 is None else log_odds(pb1, cfg.eps)))
            s.div_(cfg.temperature).sigmoid_()
            s.addcmul_(s, s, value=-1)  # t (1 - t)
            s.mul_(ge).mul_(_pick(one, slope(pb0, cfg.eps, cfg.temperature),
                                  None if pb1 is None else slope(pb1, cfg.eps, cfg.temperature)))
            if pb1 is None:
                grad_p0 = sum_to(s, pb0)
            else:  # where, not arithmetic: a NaN of one sent bit's gradient stays with its probability
                sent_one = one > 0.5
                if need_p0:
                    grad_p0 = sum_to(torch.where(sent_one, 0, s), pb0)
                if need_p1:
                    grad_p1 = sum_to(torch.where(sent_one, s, 0), pb1)
        return grad_x, grad_p0, grad_p1, grad_w0, grad_w1, None, None, None, None


class WholeTensorEngine:
    """The logistic sampler's engine for any device and any probability shape: whole tensors, x and the noise saved.

    Always applies; under ``torch.compile`` it is the one that runs.

    Examples
    --------
    >>> import torch
    >>> from course_utils.channels import BinarySymmetricChannel, LogisticSampler
    >>> ch = BinarySymmetricChannel(sampler=LogisticSampler(engines=(WholeTensorEngine(),)))
    >>> ch(torch.zeros(4), 1.0).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """

    name = "whole-tensor"

    def memoryless(self, x: torch.Tensor, pb0: torch.Tensor, pb1: torch.Tensor | None,
                   w0: torch.Tensor | None, w1: torch.Tensor | None, noise: torch.Tensor | None,
                   kind: NoiseKind, generator: torch.Generator | None,
                   cfg: ChannelConfig) -> torch.Tensor:
        """Output of a binary memoryless channel (``pb1 = None``: ``pb0`` for every bit); never ``None``."""
        if x.is_floating_point() and torch.is_grad_enabled():
            return _WholeTensorFunction.apply(x, pb0, pb1, w0, w1, noise, kind, generator, cfg)
        return _forward(x, pb0, pb1, w0, w1, noise, kind, generator, cfg)[0]
