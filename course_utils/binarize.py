"""Binarizing with straight-through estimators: sign forward, a surrogate gradient backward.

Taught in notebook 07 (straight-through estimators), used in notebook 08 (the
binary-linear assignment) and notebook 09 (a binarized network that learns).

Every binarizer has the same forward pass, the course's sign convention

.. math::

    \\operatorname{sign}(x) = \\begin{cases} -1 & x < 0 \\\\ +1 & x \\ge 0 \\end{cases}

so the output is exactly ``-1`` or ``+1`` (``sign(0) = sign(-0.0) = +1``; unlike
:func:`torch.sign`, which returns ``0`` at zero). A NaN input gives a NaN output,
so that an upstream error is not hidden. They differ only in the gradient their
backward pass returns, the derivative of a smooth function that ``sign`` stands
in for:

============================  ==================================================
binarizer                     backward: ``grad_output`` times
============================  ==================================================
:func:`sign_ste`              ``1`` (identity straight-through estimator)
:func:`sign_clipped_ste`      ``1`` where ``|x| <= clip``, else ``0`` (hardtanh)
:func:`sign_parabola`         ``2 + 2x`` on ``[-1, 0)``, ``2 - 2x`` on ``[0, 1)``,
                              ``0`` elsewhere (ApproxSign of Bi-Real Net)
:func:`sign_swish`            ``beta (2 - beta x tanh(beta x / 2)) / (1 + cosh(beta x))``
                              (SwishSign of BNN+)
============================  ==================================================

Because backward is deliberately *not* the derivative of forward (which is zero
almost everywhere), :func:`torch.autograd.gradcheck` fails for all of them; they
are tested against autograd of the smooth function instead.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["BinaryLinear", "sign_clipped_ste", "sign_parabola", "sign_ste", "sign_swish"]


def _check_tensor(x: object, name: str = "x") -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(
            f"{name} must be a floating-point tensor (its gradient is real-valued), got dtype {x.dtype}"
        )


def _check_positive(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a positive number, got {type(value).__name__}")
    if math.isnan(value) or value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    return float(value)


def _sign(x: torch.Tensor) -> torch.Tensor:
    # -0.0 < 0 is False, so -0.0 maps to +1 as well; NaN is kept.
    out = torch.ones_like(x).masked_fill_(x < 0, -1.0)
    return torch.where(torch.isnan(x), x, out)


class _SignSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        return _sign(x)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:
        return grad_output


class _SignClippedSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, clip: float) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.clip = clip
        return _sign(x)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> tuple[torch.Tensor, None]:
        (x,) = ctx.saved_tensors
        inside = x.abs() <= ctx.clip
        return grad_output * inside.to(grad_output.dtype), None


class _SignParabola(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return _sign(x)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        # 2 + 2x on [-1, 0) and 2 - 2x on [0, 1) are both 2 - 2|x|; zero outside.
        return grad_output * (2 - 2 * x.abs()).clamp_min(0)


class _SignSwish(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, beta: float) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.beta = beta
        return _sign(x)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> tuple[torch.Tensor, None]:
        (x,) = ctx.saved_tensors
        u = ctx.beta * x
        # beta / (1 + cosh u) = 2 beta sigmoid(u) sigmoid(-u), which never overflows.
        scale = 2 * ctx.beta * torch.sigmoid(u) * torch.sigmoid(-u)
        # Where scale underflows to 0 (|u| > ~100 in float32, ~745 in float64, inf included)
        # the derivative is 0 too; 0 * (2 - inf) would be NaN at x = +-inf.
        slope = torch.where(scale == 0, 0.0, scale * (2 - u * torch.tanh(u / 2)))
        return grad_output * slope, None


def sign_ste(x: torch.Tensor) -> torch.Tensor:
    """Sign with the identity straight-through estimator.

    Parameters
    ----------
    x : torch.Tensor
        Any floating-point tensor, on any device.

    Output
    ------
    torch.Tensor
        Same shape, dtype and device as ``x``: ``+1`` where ``x >= 0`` (including
        ``-0.0``), ``-1`` where ``x < 0``. Backward passes ``grad_output`` through
        unchanged.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([-2.0, 0.0, 0.5], requires_grad=True)
    >>> y = sign_ste(x)
    >>> y.sum().backward()
    >>> y.tolist(), x.grad.tolist()  # sign(0) = +1; the gradient passes unchanged
    ([-1.0, 1.0, 1.0], [1.0, 1.0, 1.0])
    """
    _check_tensor(x)
    return _SignSTE.apply(x)


def sign_clipped_ste(x: torch.Tensor, clip: float = 1.0) -> torch.Tensor:
    """Sign with the clipped (hardtanh) straight-through estimator of Hubara et al.

    Backward returns ``grad_output`` where ``|x| <= clip`` (boundaries included, as in
    Hubara et al. and Larq's ``ste_sign``) and ``0`` elsewhere: the derivative of
    ``clamp(x, -clip, clip)``. Note that autograd of :func:`torch.nn.functional.hardtanh`
    gives ``0`` exactly at ``x = +-clip``; the two agree everywhere else.

    Parameters
    ----------
    x : torch.Tensor
        Any floating-point tensor, on any device.
    clip : float
        Positive half-width of the window in which the gradient passes.

    Output
    ------
    torch.Tensor
        ``sign(x)`` as in :func:`sign_ste`, same shape, dtype and device as ``x``.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([-2.0, 0.0, 0.5], requires_grad=True)
    >>> y = sign_clipped_ste(x)
    >>> y.sum().backward()
    >>> y.tolist(), x.grad.tolist()  # no gradient where |x| > clip
    ([-1.0, 1.0, 1.0], [0.0, 1.0, 1.0])
    """
    _check_tensor(x)
    return _SignClippedSTE.apply(x, _check_positive(clip, "clip"))


def sign_parabola(x: torch.Tensor) -> torch.Tensor:
    """Sign whose backward is the derivative of the parabola approximation (ApproxSign).

    The smooth function is ``-1`` for ``x < -1``, ``x**2 + 2x`` on ``[-1, 0)``,
    ``-x**2 + 2x`` on ``[0, 1)`` and ``1`` for ``x >= 1`` (Liu et al., Bi-Real Net,
    2018); backward returns ``grad_output`` times ``2 + 2x`` on ``[-1, 0)``,
    ``2 - 2x`` on ``[0, 1)`` and ``0`` elsewhere.

    Parameters
    ----------
    x : torch.Tensor
        Any floating-point tensor, on any device.

    Output
    ------
    torch.Tensor
        ``sign(x)`` as in :func:`sign_ste`, same shape, dtype and device as ``x``.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([-2.0, 0.0, 0.5], requires_grad=True)
    >>> y = sign_parabola(x)
    >>> y.sum().backward()
    >>> y.tolist(), x.grad.tolist()  # 2 - 2|x| inside [-1, 1], 0 outside
    ([-1.0, 1.0, 1.0], [0.0, 2.0, 1.0])
    """
    _check_tensor(x)
    return _SignParabola.apply(x)


def sign_swish(x: torch.Tensor, beta: float = 5.0) -> torch.Tensor:
    """Sign whose backward is the derivative of SwishSign (Darabi et al., BNN+, 2018).

    SwishSign is ``2 sigmoid(beta x) (1 + beta x (1 - sigmoid(beta x))) - 1``; its
    derivative, returned (times ``grad_output``) by backward, is
    ``beta (2 - beta x tanh(beta x / 2)) / (1 + cosh(beta x))``. Unlike the other
    surrogates it is slightly negative for large ``|x|``.

    Parameters
    ----------
    x : torch.Tensor
        Any floating-point tensor, on any device.
    beta : float
        Positive sharpness: larger ``beta`` gives a taller, narrower gradient.

    Output
    ------
    torch.Tensor
        ``sign(x)`` as in :func:`sign_ste`, same shape, dtype and device as ``x``.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([-2.0, 0.0, 0.5], requires_grad=True)
    >>> y = sign_swish(x, beta=5.0)
    >>> y.sum().backward()
    >>> y.tolist(), [round(g, 4) for g in x.grad.tolist()]  # beta at 0
    ([-1.0, 1.0, 1.0], [-0.0036, 5.0, -0.0846])
    """
    _check_tensor(x)
    return _SignSwish.apply(x, _check_positive(beta, "beta"))


_BINARIZERS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "ste": sign_ste,
    "clipped_ste": sign_clipped_ste,
    "parabola": sign_parabola,
    "swish": sign_swish,
}


def _binarizer(spec: str | None, name: str) -> Callable[[torch.Tensor], torch.Tensor] | None:
    if spec is None:
        return None
    if spec not in _BINARIZERS:
        raise ValueError(f"{name} must be one of {sorted(_BINARIZERS)} or None, got {spec!r}")
    return _BINARIZERS[spec]


class BinaryLinear(nn.Module):
    """A fully connected layer with binarized weights and, optionally, binarized inputs.

    Computes ``F.linear(bin_x(x), bin_w(weight), bias)`` where ``bin_w`` and ``bin_x``
    are binarizers of this module (default: the weights through :func:`sign_ste`,
    the inputs unchanged). The real-valued ``weight`` is the *latent* weight the
    optimizer updates; call :meth:`clip_weights_` after each step to keep it in
    ``[-1, 1]``, where the surrogate gradients live. Notebook 08 uses it for the
    assignment (inputs ``"parabola"``, weights ``"ste"``), notebook 09 to train a
    binarized network.

    Parameters
    ----------
    in_features, out_features : int
        Sizes of each input and output sample (positive).
    bias : bool
        Add a learnable real-valued bias (default ``False``).
    weights : str
        Binarizer of the weights: ``"ste"``, ``"clipped_ste"``, ``"parabola"`` or ``"swish"``.
    inputs : str or None
        Binarizer of the inputs, same choices, or ``None`` to use them as they are.
    device, dtype : optional
        Where and in which floating-point dtype to create the parameters.

    Input
    -----
    x : [..., in_features], torch.Tensor
        Floating-point input.

    Output
    ------
    [..., out_features], torch.Tensor
        Output of the binarized layer.

    Examples
    --------
    >>> import torch
    >>> layer = BinaryLinear(4, 2, weights="ste", inputs="parabola")
    >>> y = layer(torch.randn(3, 4))
    >>> y.shape
    torch.Size([3, 2])
    >>> set(y.flatten().tolist()) <= {-4.0, -2.0, 0.0, 2.0, 4.0}  # sums of four products of +-1
    True
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = False,
        *,
        weights: str = "ste",
        inputs: str | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        for name, size in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(size, bool) or not isinstance(size, int):
                raise TypeError(f"{name} must be an int, got {type(size).__name__}")
            if size <= 0:
                raise ValueError(f"{name} must be positive, got {size}")
        if weights is None:
            raise ValueError("weights must name a binarizer: a BinaryLinear always binarizes its weights")
        self.in_features = in_features
        self.out_features = out_features
        self.weights = weights
        self.inputs = inputs
        self._bin_w = _binarizer(weights, "weights")
        self._bin_x = _binarizer(inputs, "inputs")
        # Initialized like nn.Linear, so a float twin starts from the same latent values.
        reference = nn.Linear(in_features, out_features, bias=bias, device=device, dtype=dtype)
        self.weight = nn.Parameter(reference.weight.detach())
        self.bias = nn.Parameter(reference.bias.detach()) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_tensor(x)
        if x.shape[-1:] != (self.in_features,):
            raise ValueError(
                f"x must have {self.in_features} features in its last dimension, got shape {tuple(x.shape)}"
            )
        if self._bin_x is not None:
            x = self._bin_x(x)
        return F.linear(x, self._bin_w(self.weight), self.bias)

    @torch.no_grad()
    def clip_weights_(self, bound: float = 1.0) -> None:
        """Clamp the latent weights into ``[-bound, bound]`` in place (after an optimizer step)."""
        self.weight.clamp_(-_check_positive(bound, "bound"), bound)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}, weights={self.weights!r}, inputs={self.inputs!r}"
        )
