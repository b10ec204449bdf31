"""The logistic sampler's whole-tensor engine: any device, any probability shape, one autograd Function (notebook 14).

Works on whole tensors and saves, besides the probabilities, two boolean masks
(sent bit, received bit) and the noise of the call: a generator's state for fresh
noise (backward draws the same uniforms again, as dropout implementations do), or
the given uniforms or logistic noise, all through ``ctx.save_for_backward``.
"""
from __future__ import annotations

import torch

from .config import ChannelConfig, NoiseKind
from .formulas import logistic_noise
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
    """Output, where ``pb0`` applies, the received-a-1 mask and the noise to save (a state if fresh)."""
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
    return out, pick, received_one, noise


def _in_range(w: torch.Tensor, llr_max: float) -> torch.Tensor:
    """1 where ``w`` is not clipped by ``[-llr_max, llr_max]``, else 0, in the dtype of ``w``."""
    return ((w >= -llr_max) & (w <= llr_max)).to(w.dtype)


class _WholeTensorFunction(torch.autograd.Function):
    """Errors, their application to ``x`` and the LLRs, forward and backward, on whole tensors.

    Inputs ``x, pb0, pb1, w0, w1, noise``: ``pb1`` is ``None`` when both probabilities
    are one tensor (the BSC: a Function traced by torch.compile may not receive the
    same tensor twice); ``w0, w1`` are Sionna's LLR values
    (:func:`~course_utils.channels.formulas.llr_values`), computed by the caller so that
    their own gradient w.r.t. ``pb`` is left to autograd.
    """

    @staticmethod
    def forward(ctx, x, pb0, pb1, w0, w1, noise, kind, generator, cfg):  # noqa: ANN001, ANN205, PLR0913
        out, pick, received_one, saved_noise = _forward(x, pb0, pb1, w0, w1, noise, kind, generator, cfg)
        ctx.kind, ctx.cfg, ctx.x_shape, ctx.x_dtype = kind, cfg, x.shape, x.dtype
        ctx.save_for_backward(pick, received_one, pb0, pb1, w0, w1, saved_noise)
        return out

    @staticmethod
    def backward(ctx, g):  # noqa: ANN001, ANN205
        pick, received_one, pb0, pb1, w0, w1, noise = ctx.saved_tensors
        cfg, xdtype = ctx.cfg, ctx.x_dtype
        need_x, need_p0, need_p1, need_w0, need_w1 = ctx.needs_input_grad[:5]
        grad_x = grad_p0 = grad_p1 = grad_w0 = grad_w1 = None

        # d out / d e per bit (straight-through): for LLRs the unclipped LLR value of the
        # received bit, times 2 (binary: 2y - 1 after the XOR) or -2x (bipolar: x (1 - 2e));
        # for hard outputs 1 (the XOR) or -2x
        if cfg.llrs:
            w1x, w0x = w1.to(xdtype), w0.to(xdtype)
            pass1, pass0 = _in_range(w1x, cfg.llr_max), _in_range(-w0x, cfg.llr_max)
            if need_w1:
                grad_w1 = sum_to(torch.where(received_one, g, 0) * pass1, w1)
            if need_w0:
                grad_w0 = sum_to(torch.where(received_one, 0, g) * pass0, w0).neg_()
            dout = torch.where(received_one, pass1 * w1x, pass0 * w0x)
            if cfg.bipolar:
                # y = x (1 - 2e): d/de = -2x, d/dx = 1 - 2e = y / x
                ge = g * dout * torch.where(pick, 2.0, -2.0)
                if need_x:
                    grad_x = g * dout * torch.where(received_one ^ ~pick, -1.0, 1.0)
            else:
                ge = g * dout * 2.0
                grad_x = ge if need_x else None
        elif cfg.bipolar:
            ge = g * torch.where(pick, 2.0, -2.0)
            if need_x:
                grad_x = g * torch.where(received_one ^ ~pick, -1.0, 1.0)
        else:
            ge = g
            grad_x = g if need_x else None
        if grad_x is not None:
            grad_x = grad_x.to(xdtype)

        if need_p0 or need_p1:
            if ctx.kind is NoiseKind.LOGISTIC:
                s = noise.clone()
            elif ctx.kind is NoiseKind.UNIFORM:
                s = logistic_noise(noise)
            else:
                s = logistic_noise(_uniforms(pick, pb0.dtype, torch.Generator(device=g.device), noise))
            ell1 = None if pb1 is None else log_odds(pb1, cfg.eps)
            h1 = None if pb1 is None else slope(pb1, cfg.eps, cfg.temperature)
            s.add_(_select(pick, log_odds(pb0, cfg.eps), ell1)).div_(cfg.temperature).sigmoid_()
            s.addcmul_(s, s, value=-1)  # s (1 - s)
            s.mul_(ge).mul_(_select(pick, slope(pb0, cfg.eps, cfg.temperature), h1))
            if pb1 is None:
                grad_p0 = sum_to(s, pb0)
            else:
                if need_p0:
                    grad_p0 = sum_to(torch.where(pick, s, 0), pb0)
                if need_p1:
                    grad_p1 = sum_to(torch.where(pick, 0, s), pb1)
        return grad_x, grad_p0, grad_p1, grad_w0, grad_w1, None, None, None, None


class WholeTensorEngine:
    """The logistic sampler's engine for any device and any probability shape: whole tensors, two saved masks.

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
