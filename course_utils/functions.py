"""Reference custom autograd Functions of Part I, each checked against PyTorch's own op.

Every class names the notebook that builds it step by step; later notebooks import
them from here instead of copying them.

========================  =============================================  ========
Name                      Computes                                       Notebook
========================  =============================================  ========
:class:`MultiplyAdd`      ``w * x + b``                                  01
:class:`Exp`              ``exp(x)``, saving the result                  01
:class:`ReLU`             ``max(x, 0)``                                  01
:class:`LegendreP3`       ``(5 x**3 - 3 x) / 2``                         02
:class:`LinearFunction`   ``x @ W.T + b`` (:class:`Linear` module)       03
:class:`CrossEntropy`     mean cross-entropy from logits                 04
:class:`SwishFunction`    ``x * sigmoid(x)``, saving only ``x``          05
========================  =============================================  ========
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.autograd.function import once_differentiable


class MultiplyAdd(torch.autograd.Function):
    r"""``w * x + b`` elementwise, with one gradient per input (taught in notebook 01).

    Input
    -----
    w, x, b : torch.Tensor
        Tensors of the same shape.

    Output
    ------
    torch.Tensor
        ``w * x + b``. Backward returns ``(g * x, g * w, g)`` for ``grad_output = g``,
        and ``None`` for inputs that do not need a gradient.

    Examples
    --------
    >>> import torch
    >>> w = torch.tensor([2.0, 3.0], requires_grad=True)
    >>> x = torch.tensor([4.0, 5.0], requires_grad=True)
    >>> b = torch.tensor([1.0, 1.0], requires_grad=True)
    >>> y = MultiplyAdd.apply(w, x, b)
    >>> y.tolist()
    [9.0, 16.0]
    >>> y.sum().backward()
    >>> w.grad.tolist(), x.grad.tolist(), b.grad.tolist()
    ([4.0, 5.0], [2.0, 3.0], [1.0, 1.0])
    """

    @staticmethod
    def forward(ctx, w: torch.Tensor, x: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if not (w.shape == x.shape == b.shape):
            raise ValueError(
                f"w, x and b must have the same shape, got {tuple(w.shape)}, "
                f"{tuple(x.shape)} and {tuple(b.shape)}")
        ctx.save_for_backward(w, x)
        return w * x + b

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        w, x = ctx.saved_tensors
        grad_w = grad_output * x if ctx.needs_input_grad[0] else None
        grad_x = grad_output * w if ctx.needs_input_grad[1] else None
        grad_b = grad_output if ctx.needs_input_grad[2] else None
        return grad_w, grad_x, grad_b


class Exp(torch.autograd.Function):
    r"""``exp(x)``; saves the *result*, since ``d exp(x)/dx = exp(x)`` (taught in notebook 01).

    Input
    -----
    x : torch.Tensor

    Output
    ------
    torch.Tensor
        ``exp(x)``; backward returns ``grad_output * exp(x)`` without recomputing it.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([0.0, 1.0], requires_grad=True)
    >>> y = Exp.apply(x)
    >>> y.sum().backward()
    >>> torch.equal(x.grad, y.detach())  # the gradient is the saved result
    True
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        result = torch.exp(x)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:
        (result,) = ctx.saved_tensors
        return grad_output * result


class ReLU(torch.autograd.Function):
    r"""``max(x, 0)`` with the convention ``ReLU'(0) = 0``, as PyTorch's (taught in notebook 01).

    Input
    -----
    x : torch.Tensor

    Output
    ------
    torch.Tensor
        ``x.clamp(min=0)``; backward passes ``grad_output`` where ``x > 0`` and 0 elsewhere.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    >>> y = ReLU.apply(x)
    >>> y.sum().backward()
    >>> y.tolist(), x.grad.tolist()
    ([0.0, 0.0, 2.0], [0.0, 0.0, 1.0])
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return grad_output * (x > 0).to(grad_output.dtype)


class LegendreP3(torch.autograd.Function):
    r"""The Legendre polynomial :math:`P_3(x) = \tfrac12 (5x^3 - 3x)` (taught in notebook 02).

    Input
    -----
    x : torch.Tensor

    Output
    ------
    torch.Tensor
        :math:`P_3(x)`; backward returns ``grad_output * 1.5 * (5 x**2 - 1)``.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([1.0, 2.0], requires_grad=True)
    >>> y = LegendreP3.apply(x)
    >>> y.sum().backward()
    >>> y.tolist(), x.grad.tolist()  # P3 and P3' = (15 x**2 - 3) / 2
    ([1.0, 17.0], [6.0, 28.5])
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return 0.5 * (5 * x**3 - 3 * x)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * x**2 - 1)


class LinearFunction(torch.autograd.Function):
    r"""``y = x W^T + b``, the op behind :class:`torch.nn.Linear` (taught in notebook 03).

    Input
    -----
    x : torch.Tensor
        ``[batch, in_features]``.
    weight : torch.Tensor
        ``[out_features, in_features]``.
    bias : torch.Tensor or None
        ``[out_features]``, or ``None`` for no bias.

    Output
    ------
    torch.Tensor
        ``[batch, out_features]``. Backward computes only the gradients that
        ``ctx.needs_input_grad`` asks for: ``g W``, ``g^T x`` and ``g.sum(0)``.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[1.0, 2.0]], dtype=torch.float64, requires_grad=True)
    >>> w = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64, requires_grad=True)
    >>> b = torch.tensor([0.5, 0.5, 0.5], dtype=torch.float64, requires_grad=True)
    >>> LinearFunction.apply(x, w, b).tolist()
    [[1.5, 2.5, 3.5]]
    >>> torch.autograd.gradcheck(LinearFunction.apply, (x, w, b))
    True
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor,
                bias: torch.Tensor | None = None) -> torch.Tensor:
        if x.dim() != 2 or weight.dim() != 2:
            raise ValueError(
                f"x must be [batch, in_features] and weight [out_features, in_features], got "
                f"shapes {tuple(x.shape)} and {tuple(weight.shape)}")
        if x.shape[1] != weight.shape[1]:
            raise ValueError(
                f"x has {x.shape[1]} features but weight expects {weight.shape[1]}")
        if bias is not None and tuple(bias.shape) != (weight.shape[0],):
            raise ValueError(
                f"bias must have shape ({weight.shape[0]},), got {tuple(bias.shape)}")
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        output = x @ weight.t()
        if bias is not None:
            output = output + bias  # broadcasts over the batch
        return output

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        x, weight = ctx.saved_tensors
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_x = grad_output @ weight
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t() @ x
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_x, grad_weight, grad_bias


class Linear(nn.Module):
    r"""A drop-in for :class:`torch.nn.Linear` built on :class:`LinearFunction` (notebook 03).

    Parameters
    ----------
    in_features, out_features : int
        Sizes of each input and output sample.
    bias : bool
        Learn an additive bias (default ``True``).
    device, dtype : optional
        Where and in which dtype the parameters are created.

    Input
    -----
    x : torch.Tensor
        ``[batch, in_features]``.

    Output
    ------
    torch.Tensor
        ``[batch, out_features]``. Initialised like ``nn.Linear``: uniform in
        :math:`\pm 1/\sqrt{\text{in\_features}}`.

    Examples
    --------
    >>> import torch
    >>> layer = Linear(4, 3)
    >>> layer
    Linear(in_features=4, out_features=3, bias=True)
    >>> x = torch.randn(2, 4)
    >>> torch.allclose(layer(x), torch.nn.functional.linear(x, layer.weight, layer.bias))
    True
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: torch.device | str | None = None, dtype: torch.dtype | None = None):
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(torch.empty(out_features, in_features, device=device, dtype=dtype))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw the weight and bias uniformly in ``[-1/sqrt(in_features), 1/sqrt(in_features)]``."""
        bound = 1 / math.sqrt(self.in_features)
        with torch.no_grad():
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return LinearFunction.apply(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class CrossEntropy(torch.autograd.Function):
    r"""Mean cross-entropy from logits, stable for huge logits (taught in notebook 04).

    Use it through :func:`cross_entropy`, which validates its arguments.

    Input
    -----
    logits : torch.Tensor
        ``[N, C]`` unnormalised scores, floating point.
    target : torch.Tensor
        ``[N]`` class indices in ``0..C-1`` (int64).

    Output
    ------
    torch.Tensor
        The scalar :math:`-\frac1N \sum_i \log \mathrm{softmax}(z_i)_{t_i}`, computed with
        ``log_softmax`` (max-subtracted, so logits of :math:`\pm 1000` stay finite).
        Backward returns ``(softmax(z) - onehot(t)) / N * grad_output`` and ``None`` for
        the integer targets.

    Examples
    --------
    >>> import torch
    >>> logits = torch.tensor([[1000.0, 0.0], [0.0, 0.0]], requires_grad=True)
    >>> loss = CrossEntropy.apply(logits, torch.tensor([0, 1]))
    >>> round(loss.item(), 4)  # (0 + log 2) / 2, finite at 1000
    0.3466
    >>> loss.backward()
    >>> logits.grad.tolist()  # (softmax - onehot) / N
    [[0.0, 0.0], [0.25, -0.25]]
    """

    @staticmethod
    def forward(ctx, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        log_probs = torch.log_softmax(logits, dim=1)
        ctx.save_for_backward(log_probs, target)
        return -log_probs.gather(1, target.unsqueeze(1)).mean()

    @staticmethod
    @once_differentiable  # log_probs is an intermediate: backward is not differentiable (notebooks 04, 06)
    def backward(ctx, grad_output: torch.Tensor):
        log_probs, target = ctx.saved_tensors
        grad_logits = None
        if ctx.needs_input_grad[0]:
            grad_logits = log_probs.exp()  # softmax, recovered from what was saved
            grad_logits.scatter_add_(1, target.unsqueeze(1),
                                     -torch.ones_like(grad_logits[:, :1]))
            grad_logits = grad_logits * (grad_output / log_probs.shape[0])
        return grad_logits, None


def cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    r"""Mean cross-entropy of ``logits`` against class indices ``target`` (notebook 04).

    Validates its arguments, then applies :class:`CrossEntropy`; equal to
    ``torch.nn.functional.cross_entropy(logits, target)`` in value and gradient.

    Parameters
    ----------
    logits : torch.Tensor
        ``[N, C]`` floating-point scores, N >= 1, C >= 1.
    target : torch.Tensor
        ``[N]`` int64 class indices in ``0..C-1``, on the same device as ``logits``.

    Output
    ------
    torch.Tensor
        A scalar, the mean loss over the batch.

    Raises
    ------
    TypeError
        ``logits`` is not a floating-point tensor or ``target`` is not int64.
    ValueError
        Wrong shapes, an empty batch, different devices, or a target out of range.

    Examples
    --------
    >>> import torch
    >>> logits, target = torch.tensor([[2.0, 0.0, -1.0]]), torch.tensor([0])
    >>> torch.allclose(cross_entropy(logits, target), torch.nn.functional.cross_entropy(logits, target))
    True
    """
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():
        raise TypeError(f"logits must be a floating-point tensor, got "
                        f"{logits.dtype if isinstance(logits, torch.Tensor) else type(logits).__name__}")
    if not isinstance(target, torch.Tensor) or target.dtype != torch.int64:
        raise TypeError(f"target must be an int64 tensor of class indices, got "
                        f"{target.dtype if isinstance(target, torch.Tensor) else type(target).__name__}")
    if logits.dim() != 2 or logits.shape[0] == 0 or logits.shape[1] == 0:
        raise ValueError(f"logits must have shape [N, C] with N, C >= 1, got {tuple(logits.shape)}")
    if tuple(target.shape) != (logits.shape[0],):
        raise ValueError(
            f"target must have shape ({logits.shape[0]},) to match logits {tuple(logits.shape)}, "
            f"got {tuple(target.shape)}")
    if target.device != logits.device:
        raise ValueError(f"target is on {target.device} but logits on {logits.device}")
    low, high = int(target.min()), int(target.max())
    if low < 0 or high >= logits.shape[1]:
        raise ValueError(
            f"target values must be in [0, {logits.shape[1] - 1}] (C = {logits.shape[1]} classes), "
            f"got values from {low} to {high}")
    return CrossEntropy.apply(logits, target)


class SwishFunction(torch.autograd.Function):
    r"""Swish / SiLU ``x * sigmoid(x)`` that saves only ``x`` for backward (notebook 05).

    Written as ``x * torch.sigmoid(x)``, autograd keeps both ``x`` and ``sigmoid(x)``;
    this Function keeps ``x`` alone and recomputes the sigmoid in backward, trading a
    little compute for half the saved memory.

    Input
    -----
    x : torch.Tensor

    Output
    ------
    torch.Tensor
        ``x * sigmoid(x)``; backward returns
        ``grad_output * s * (1 + x * (1 - s))`` with ``s = sigmoid(x)``.

    Examples
    --------
    >>> import torch
    >>> x = torch.linspace(-3, 3, 7, dtype=torch.float64, requires_grad=True)
    >>> torch.allclose(SwishFunction.apply(x), torch.nn.functional.silu(x))
    True
    >>> torch.autograd.gradcheck(SwishFunction.apply, (x,))
    True
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        return grad_output * s * (1 + x * (1 - s))


class MemoryEfficientSwish(nn.Module):
    """:class:`SwishFunction` as a module, a drop-in for :class:`torch.nn.SiLU` (notebook 05).

    Examples
    --------
    >>> import torch
    >>> x = torch.randn(5)
    >>> torch.allclose(MemoryEfficientSwish()(x), torch.nn.SiLU()(x))
    True
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return SwishFunction.apply(x)
