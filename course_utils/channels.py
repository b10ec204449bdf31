"""Sionna's discrete binary channels, ported faithfully from TensorFlow to PyTorch.

Built step by step in notebook 12 (porting the binary memoryless channel to torch)
and proven equal to Sionna 1.2.2 in notebook 13 (TF vs torch parity). The four
channels of ``sionna.phy.channel`` are here as :class:`torch.nn.Module` s:

* :class:`BinaryMemorylessChannel` (BMC): flips a 0 with probability ``pb0`` and a
  1 with probability ``pb1``;
* :class:`BinarySymmetricChannel` (BSC): flips every bit with probability ``pb``;
* :class:`BinaryZChannel`: flips only 1 -> 0, with probability ``pb``;
* :class:`BinaryErasureChannel` (BEC): erases bits with probability ``pb``.

The computation follows Sionna line by line: errors are drawn with the
Gumbel-softmax trick at temperature 0.1 (two Gumbel pairs, i.e. four uniforms
per bit for the BMC, BSC and Z channel; one pair per bit for the BEC),
hard-decided by a straight-through binarizer and applied by a straight-through
XOR, so gradients reach the error probabilities. ``eps = 1e-9`` guards the
logarithms, exactly where Sionna puts it.

The error sampler is one replaceable piece (:class:`GumbelSoftmaxSampler`): a
channel asks it for the shape of the noise it needs, lets it draw that noise (or
takes noise given by the caller through ``noise=``), and asks it for the error
pattern. Feeding the same uniforms to Sionna (:func:`feed_sionna_uniforms`) and to
the port gives identical outputs and gradients. ``sampler="logistic"`` selects the
fast sampler of :mod:`course_utils.fast_channel` instead (one uniform per bit, one
fused autograd Function; notebook 14): same channel, same checks, a fraction of the
time and memory.

Where this port deliberately differs from Sionna 1.2.2 (each difference is
shown, against Sionna itself, in a cell of notebook 13, section "Where the port
differs", and tested in ``tests/test_channels_sionna.py``):

* the output keeps the dtype of ``x``; Sionna first casts a floating ``x`` to its
  precision, so a float64 ``x`` through a single-precision block comes back
  float32. Values are the same: hard outputs are exact, LLRs are computed in
  ``dtype`` and then cast;
* a float16 or bfloat16 ``x`` raises ``TypeError``; Sionna casts it to its
  precision and returns float32;
* the BSC and Z channel do not cast ``pb`` to the dtype of ``x`` (Sionna does, so
  an integer ``x`` turns ``pb = 0.3`` into ``0`` and the channel never flips);
* the BEC samples its erasures in ``dtype``; Sionna always draws them in float32,
  even with ``precision="double"`` (its other channels draw in their precision);
* gradients also work in float64 (Sionna's binarizer returns float32, so its
  double-precision gradient fails with an ``InvalidArgumentError``);
* inputs are validated on every call (Sionna checks ``x`` and the shape of ``pb``
  only on the first call) and bad input raises ``TypeError``/``ValueError``
  naming the argument; NaN probabilities are refused (Sionna's binarizer maps a
  NaN soft sample to 1, so a NaN ``pb`` flips every bit) and ``temperature`` must
  be positive (Sionna accepts 0, which makes every soft sample NaN, so again
  every bit flips).

Given ``noise=``, the uniforms must lie in [0, 1), as ``torch.rand`` draws them:
a uniform of exactly 1 gives a wrong draw (in the faithful sampler it flips a
``p = 0`` bit; in the logistic sampler it keeps a ``p = 1`` bit), so it is refused
with a ``ValueError`` (when ``check_input``). Even inside [0, 1) the samplers
differ at the edges: the logistic sampler's decision ``u < p`` makes ``p = 0``
never and ``p = 1`` always flip in any precision, while the faithful sampler's
Gumbel noise (like Sionna's) is bounded only in float32: in float64 a uniform
within about ``2e-8`` of 1 can make a ``p = 0`` bit flip (notebook 14).

As in Sionna, probabilities outside [0, 1] are clipped to [0, 1] (with zero
gradient outside), and the BEC's output does not depend differentiably on ``pb``
(the erasure pattern only selects values): its gradient w.r.t. ``pb`` is ``None``.

Every channel, with either sampler, compiles with ``torch.compile(fullgraph=True)``
(static or dynamic shapes, forward and backward, ``check_input`` on or off). What is
checked where under ``torch.compile``:

* types, dtypes and shapes (of ``x``, ``pb`` and ``noise``) are checked while tracing:
  a failure stops the compilation with torch._dynamo's error (a ``RuntimeError``)
  whose text includes this module's ``TypeError``/``ValueError`` message;
* the checks on data (``x`` binary or bipolar, ``pb`` not NaN, ``noise`` in [0, 1))
  run inside the graph on every call, as ``torch._assert_async``, and raise a
  ``RuntimeError`` with the same message (a Python-number ``pb`` is a constant of the
  graph, checked while tracing). On a GPU that assertion is a device-side assert:
  it ends the process's CUDA context, so check doubtful data in eager mode there;
* ``generator=`` cannot enter a compiled graph (torch._dynamo refuses a
  ``torch.Generator`` argument): pass ``noise=`` or seed the global generator. Fresh
  noise is drawn by the graph (Inductor has its own random stream), and the logistic
  sampler keeps its uniforms for backward there instead of drawing them again.

Given the same ``noise=``, compiled and eager outputs and gradients are equal
(``tests/test_channels_compile.py``, notebook 12).

Importing this module never imports TensorFlow; only :func:`feed_sionna_uniforms`
does, when called.
"""
from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Callable, Iterator, Sequence

import torch
from torch import nn

from .gumbel import binarize_ste, gumbel_of_checked_uniform

__all__ = [
    "BinaryErasureChannel",
    "BinaryMemorylessChannel",
    "BinarySymmetricChannel",
    "BinaryZChannel",
    "GumbelSoftmaxSampler",
    "feed_sionna_uniforms",
    "gumbel_softmax_errors",
    "memoryless_llrs",
    "ste_xor",
]

#: The small term Sionna adds inside its logarithms.
EPS = 1e-9
#: Sionna's Gumbel-softmax temperature.
TEMPERATURE = 0.1

_FLOATS = (torch.float32, torch.float64)
_SIGNED = (torch.int8, torch.int16, torch.int32, torch.int64)
_UNSIGNED = (torch.uint8, torch.uint16, torch.uint32, torch.uint64)


# ----------------------------------------------------------------------------
# Straight-through XOR (the binarizer is course_utils.gumbel.binarize_ste, notebook 10)
# ----------------------------------------------------------------------------

class _STEXor(torch.autograd.Function):
    """XOR of two binary tensors forward, identity to both inputs backward."""

    @staticmethod
    def forward(ctx, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        if a.is_floating_point():
            return torch.abs(a - b)
        # Sionna computes (a + b) mod 2; on {0, 1} that is the bitwise XOR, which
        # torch also provides for uint16/32/64 (where it has no addition).
        return torch.bitwise_xor(a, b)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):  # noqa: ANN001, ANN205
        return grad_output, grad_output


def ste_xor(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Straight-through XOR of two binary tensors of the same dtype.

    Parameters
    ----------
    a, b : torch.Tensor
        Values in {0, 1}, same dtype (float or integer), broadcastable.

    Output
    ------
    torch.Tensor
        ``|a - b|`` for floats, ``a ^ b`` for integers; backward passes the upstream
        gradient unchanged to both ``a`` and ``b`` (as Sionna's ``_custom_xor``).

    Examples
    --------
    >>> import torch
    >>> ste_xor(torch.tensor([0.0, 0.0, 1.0, 1.0]), torch.tensor([0.0, 1.0, 0.0, 1.0])).tolist()
    [0.0, 1.0, 1.0, 0.0]
    """
    return _STEXor.apply(a, b)


def gumbel_softmax_errors(p: torch.Tensor, u: torch.Tensor, temperature: float = TEMPERATURE,
                          eps: float = EPS) -> torch.Tensor:
    """Sionna's differentiable Bernoulli(``p``) error sample, from one Gumbel pair per bit.

    ``q = -log(-log(u + eps) + eps)`` turns the uniforms into Gumbel noise, class 0
    ("error") has probability ``p`` and class 1 ``1 - p``, the softmax of
    ``(log(prob + eps) + q) / temperature`` is hard-decided by :func:`~course_utils.gumbel.binarize_ste`.

    Parameters
    ----------
    p : torch.Tensor
        Error probabilities in [0, 1], broadcastable to ``u.shape[:-1]``.
    u : torch.Tensor
        Uniforms in [0, 1), shape ``[..., 2]`` (the last axis is the Gumbel pair);
        not checked here (the channels check given noise).
    temperature : float
        Softmax temperature (Sionna: 0.1).
    eps : float
        Term added inside the logarithms (Sionna: 1e-9).

    Output
    ------
    torch.Tensor
        Shape ``u.shape[:-1]``, values in {0, 1} (1 = error), dtype of ``u``;
        differentiable w.r.t. ``p`` through the softmax (straight-through).

    Examples
    --------
    >>> import torch
    >>> p = torch.tensor(0.3, requires_grad=True)
    >>> u = torch.rand(10_000, 2, generator=torch.Generator().manual_seed(0))
    >>> errors = gumbel_softmax_errors(p, u)
    >>> sorted(set(errors.tolist())), round(errors.mean().item(), 1)
    ([0.0, 1.0], 0.3)
    >>> errors.sum().backward()
    >>> p.grad is not None  # straight-through gradient to p
    True
    """
    q = gumbel_of_checked_uniform(u, eps)
    probs = torch.stack((p, 1 - p), dim=-1)
    a = (torch.log(probs + eps) + q) / temperature
    e_cat = torch.softmax(a, dim=-1)
    return binarize_ste(e_cat[..., 0])


def memoryless_llrs(y: torch.Tensor, pb0: torch.Tensor, pb1: torch.Tensor, llr_max: float,
                    eps: float = EPS) -> torch.Tensor:
    """Sionna's LLRs of a binary memoryless channel's bipolar output, clipped to ``llr_max``.

    Parameters
    ----------
    y : torch.Tensor
        Received bipolar values (-1 for a received 0, 1 for a received 1), float.
    pb0, pb1 : torch.Tensor
        Error probabilities of a sent 0 and a sent 1, broadcastable to ``y``.
    llr_max : float
        Clipping value.
    eps : float
        Term added inside the logarithms (Sionna: 1e-9).

    Output
    ------
    torch.Tensor
        ``y * where(y == 1, log(1 - pb1 - eps) - log(pb0 + eps),
        -(log(pb1 + eps) - log(1 - pb0 - eps)))`` in the dtype of ``y``, clipped to
        ``[-llr_max, llr_max]``; differentiable w.r.t. ``y`` and the probabilities.

    Examples
    --------
    >>> import torch
    >>> y = torch.tensor([-1.0, 1.0])  # bipolar outputs
    >>> pb = torch.tensor(0.1)
    >>> [round(v, 4) for v in memoryless_llrs(y, pb, pb, llr_max=100.0).tolist()]
    [-2.1972, 2.1972]
    """
    y0 = -(torch.log(pb1 + eps) - torch.log(1 - pb0 - eps))
    y1 = torch.log(1 - pb1 - eps) - torch.log(pb0 + eps)
    # multiplying by y keeps the gradient that reaches pb through the errors
    llr = torch.where(y == 1, y1, y0).to(y.dtype) * y
    return torch.clamp(llr, -llr_max, llr_max)


class GumbelSoftmaxSampler:
    """The faithful error sampler: Sionna's Gumbel-softmax, one Gumbel pair per bit and probability.

    A channel holds one sampler and uses only its members below, so another sampler
    with the same members can replace it. A sampler with ``fused = True``
    (:class:`course_utils.fast_channel.LogisticSampler`) instead computes the whole
    output itself, through its ``memoryless`` and ``erasure`` methods.

    Examples
    --------
    >>> sampler = GumbelSoftmaxSampler()
    >>> sampler.noise_shape(2, (3, 4))  # a pair of uniforms per bit and probability
    (2, 3, 4, 2)
    >>> BinarySymmetricChannel().sampler  # the channels' default
    'gumbel'
    """

    name = "gumbel"

    @staticmethod
    def noise_shape(num_probs: int, shape: Sequence[int]) -> tuple[int, ...]:
        """Shape of the uniforms for ``num_probs`` probabilities and inputs of ``shape``.

        ``(num_probs, *shape, 2)``; ``noise[k, ..., j]`` is uniform ``j`` of the pair for ``pb_k``."""
        return (num_probs, *shape, 2)

    def draw(self, num_probs: int, shape: Sequence[int], *, dtype: torch.dtype,
             device: torch.device, generator: torch.Generator | None) -> torch.Tensor:
        """Fresh uniforms in [0, 1) of shape :meth:`noise_shape`."""
        # no generator= when None: torch.compile cannot trace generator=None under dynamic shapes
        extra = {} if generator is None else {"generator": generator}
        return torch.rand(self.noise_shape(num_probs, shape), dtype=dtype, device=device, **extra)

    fused = False  # the channel applies the errors itself (see LogisticSampler for a fused one)

    def noise_shapes(self, num_probs: int, shape: Sequence[int]) -> tuple[tuple[int, ...], ...]:
        """Accepted shapes of given noise: only :meth:`noise_shape`."""
        return (self.noise_shape(num_probs, shape),)

    def __call__(self, probs: Sequence[torch.Tensor], pick_first: torch.Tensor | None,
                 noise: torch.Tensor, temperature: float, eps: float) -> torch.Tensor:
        """Error pattern (1 = error) with the straight-through gradient w.r.t. the probabilities.

        With two probabilities, both error patterns are drawn for every bit (as in
        Sionna) and ``pick_first`` selects the first where True, the second elsewhere.
        """
        errors = [gumbel_softmax_errors(p, noise[k], temperature, eps) for k, p in enumerate(probs)]
        if pick_first is None:
            return errors[0]
        return torch.where(pick_first, errors[0], errors[1])


# ----------------------------------------------------------------------------
# Validation helpers
# ----------------------------------------------------------------------------

def _real_number(name: str, value: object) -> float:
    if isinstance(value, torch.Tensor):
        if value.numel() != 1 or value.is_complex() or value.dtype == torch.bool:
            raise TypeError(f"{name} must be a real number, got a tensor of shape "
                            f"{tuple(value.shape)} and dtype {value.dtype}")
        return float(value.item())
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    return float(value)


def _require(ok: torch.Tensor, message: Callable[[], str], traced_message: str | None = None) -> None:
    """A value check on tensor data: ``ValueError(message())`` in eager mode if ``ok`` is False.

    Inside a ``torch.compile`` graph the check cannot branch on data, so it becomes
    ``torch._assert_async(ok, ...)``, which runs in the graph on every call and raises a
    ``RuntimeError`` with the same message (``traced_message``, if given, replaces a
    message that would print data)."""
    if torch.compiler.is_compiling():
        torch._assert_async(ok, traced_message if traced_message is not None else message())
    elif not bool(ok):
        raise ValueError(message())


def _to_probability(name: str, value: object, x: torch.Tensor, dtype: torch.dtype,
                    check: bool) -> torch.Tensor:
    """A probability (number or tensor) as a clipped tensor in ``dtype`` on x's device."""
    if isinstance(value, torch.Tensor):
        if value.is_complex() or value.dtype == torch.bool:
            raise TypeError(f"{name} must hold real probabilities, got dtype {value.dtype}")
        p = value.to(device=x.device, dtype=dtype)  # differentiable: gradients reach value
    else:
        try:
            p = torch.as_tensor(value, dtype=dtype, device=x.device)
        except (TypeError, ValueError, RuntimeError) as exc:
            raise TypeError(f"{name} must be a probability (number or tensor), "
                            f"got {type(value).__name__}") from exc
    # on metadata only, so that torch.compile traces it (torch.broadcast_shapes would fail there)
    fits = p.dim() <= x.dim() and all(a == 1 or a == b for a, b in zip(reversed(p.shape), reversed(x.shape)))
    if not fits:
        raise ValueError(f"{name} of shape {tuple(p.shape)} does not broadcast to the shape "
                         f"of x {tuple(x.shape)}")
    if check:
        _require(~torch.isnan(p).any(), lambda: f"{name} contains NaN")
    # Sionna clips "for numerical stability"; the gradient is zero outside [0, 1]
    return torch.clamp(p, 0.0, 1.0)


# ----------------------------------------------------------------------------
# The channels
# ----------------------------------------------------------------------------

class BinaryMemorylessChannel(nn.Module):
    r"""Discrete binary memoryless channel with (possibly) asymmetric bit-flipping probabilities.

    A port of ``sionna.phy.channel.BinaryMemorylessChannel`` (Sionna 1.2.2): an
    input 0 is flipped with probability :math:`p_\text{b,0}`, an input 1 with
    probability :math:`p_\text{b,1}`. Inputs are binary (:math:`\{0, 1\}`) or
    bipolar (:math:`\{-1, 1\}`, with -1 in the role of 0). If ``return_llrs``,
    the channel returns log-likelihood ratios (Sionna's logit convention
    :math:`\log p(x=1)/p(x=0)`)

    .. math::
        \ell = \begin{cases}
            \log \frac{p_{b,1}}{1-p_{b,0}}, & y=0 \\
            \log \frac{1-p_{b,1}}{p_{b,0}}, & y=1
        \end{cases}

    computed, with ``eps = 1e-9`` and the bipolar output ``y_b = 2 y - 1``, as
    ``y_b * where(y_b == 1, log(1 - pb1 - eps) - log(pb0 + eps),
    -(log(pb1 + eps) - log(1 - pb0 - eps)))`` and clipped to ``[-llr_max, llr_max]``. (In float32,
    ``1 - 1e-9 == 1``: ``pb0 = 1`` gives ``log`` of a negative number, NaN, exactly as in Sionna.)

    Errors are sampled with the Gumbel-softmax trick (temperature 0.1) and
    applied through straight-through estimators, so the output is differentiable
    w.r.t. ``pb``. Probabilities outside [0, 1] are clipped to [0, 1].

    Parameters
    ----------
    return_llrs : bool
        Return LLRs instead of hard values (default ``False``).
    bipolar_input : bool
        Inputs are :math:`\{-1, 1\}` instead of :math:`\{0, 1\}` (default ``False``).
    llr_max : float
        Clipping value of the LLRs, non-negative (default 100). Stored rounded to ``dtype``.
    dtype : torch.float32 | torch.float64
        Precision of the internal computation (probabilities, noise, LLRs), like
        Sionna's ``precision`` "single" / "double" (default ``torch.float32``).
    temperature : float
        Gumbel-softmax temperature, positive (default 0.1, Sionna's value).
    check_input : bool
        Validate the values of ``x``, ``pb`` and ``noise`` on every call (one
        extra pass over ``x``; default ``True``). Dtypes and shapes are always checked.
    sampler : "gumbel" | "logistic"
        The error sampler: ``"gumbel"`` (default) follows Sionna, four uniforms per
        bit; ``"logistic"`` draws one uniform per bit in a fused autograd Function
        (:mod:`course_utils.fast_channel`), with the same output distribution and
        gradients. It also accepts ``noise`` of shape ``x.shape`` (its own uniforms);
        given the Gumbel uniforms below, both samplers return the same values.

    Input
    -----
    x : [...], torch.Tensor
        Binary or bipolar values. Supported dtypes (as Sionna 1.2.2):
        float32, float64 and signed integers; unsigned integers too for binary
        hard outputs; LLRs need float32 or float64. Anything else: ``TypeError``.
    pb : [..., 2] torch.Tensor, or a pair ``(pb0, pb1)`` of numbers or tensors
        Error probabilities, broadcastable to ``x`` (a tensor's last dimension
        holds ``pb0, pb1``). Gradients flow to tensors that require grad.
    noise : torch.Tensor, optional (keyword)
        Uniforms in [0, 1) to use instead of fresh ones (a 1 is refused), of shape
        ``noise_shape(x.shape)`` = ``(2, *x.shape, 2)``: ``noise[k, ..., j]`` is
        uniform ``j`` of the Gumbel pair for ``pb_k`` (Sionna draws them in the
        order ``[0, ..., 0], [0, ..., 1], [1, ..., 0], [1, ..., 1]``).
    generator : torch.Generator, optional (keyword)
        Source of the fresh uniforms (on the device of ``x``), for reproducible
        runs; the global generator when omitted.

    Output
    ------
    [...], torch.Tensor
        Same shape and dtype as ``x``: the channel output, or LLRs if ``return_llrs``.

    Examples
    --------
    >>> import torch
    >>> ch = BinaryMemorylessChannel()
    >>> x = torch.tensor([0.0, 1.0, 0.0, 1.0])
    >>> ch(x, torch.tensor([0.0, 0.0])).tolist()  # pb0 = pb1 = 0: nothing flips
    [0.0, 1.0, 0.0, 1.0]
    >>> ch(x, torch.tensor([1.0, 0.0])).tolist()  # pb0 = 1: every 0 becomes 1
    [1.0, 1.0, 1.0, 1.0]
    >>> g = torch.Generator().manual_seed(0)
    >>> pb = torch.tensor([0.1, 0.2], requires_grad=True)
    >>> y = ch(torch.zeros(1000), pb, generator=g)
    >>> y.sum().backward()
    >>> pb.grad.tolist()[1]  # no 1 was sent, so pb1 changes nothing
    0.0
    """

    _num_probs = 2

    def __init__(self, return_llrs: bool = False, bipolar_input: bool = False,
                 llr_max: float = 100.0, dtype: torch.dtype = torch.float32, *,
                 temperature: float = TEMPERATURE, check_input: bool = True,
                 sampler: str = "gumbel") -> None:
        super().__init__()
        for name, flag in (("return_llrs", return_llrs), ("bipolar_input", bipolar_input),
                           ("check_input", check_input)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be bool, got {type(flag).__name__}")
        if dtype not in _FLOATS:
            raise TypeError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
        self._return_llrs = return_llrs
        self._bipolar_input = bipolar_input
        self._dtype = dtype
        self.check_input = check_input
        self.llr_max = llr_max
        self.temperature = temperature
        self._eps = EPS
        if sampler == "gumbel":
            self._sampler = GumbelSoftmaxSampler()
        elif sampler == "logistic":
            from .fast_channel import LogisticSampler  # it imports this module

            self._sampler = LogisticSampler()
        else:
            raise ValueError(f'sampler must be "gumbel" or "logistic", got {sampler!r}')

    # -- properties ------------------------------------------------------------

    @property
    def return_llrs(self) -> bool:
        """Whether the channel returns LLRs instead of hard values."""
        return self._return_llrs

    @property
    def bipolar_input(self) -> bool:
        """Whether inputs are bipolar, {-1, 1}."""
        return self._bipolar_input

    @property
    def sampler(self) -> str:
        """Name of the error sampler, ``"gumbel"`` or ``"logistic"``."""
        return self._sampler.name

    @property
    def dtype(self) -> torch.dtype:
        """Precision of the internal computation."""
        return self._dtype

    @property
    def llr_max(self) -> float:
        """Clipping value of the LLRs (get/set; non-negative, rounded to ``dtype``)."""
        return self._llr_max

    @llr_max.setter
    def llr_max(self, value: float) -> None:
        v = _real_number("llr_max", value)
        if math.isnan(v) or v < 0:
            raise ValueError(f"llr_max must be non-negative, got {v}")
        self._llr_max = float(torch.tensor(v, dtype=self._dtype))

    @property
    def temperature(self) -> float:
        """Gumbel-softmax temperature (get/set; positive and finite, rounded to ``dtype``)."""
        return self._temperature

    @temperature.setter
    def temperature(self, value: float) -> None:
        v = _real_number("temperature", value)
        if not (math.isfinite(v) and v > 0):
            raise ValueError(f"temperature must be positive and finite, got {v}")
        self._temperature = float(torch.tensor(v, dtype=self._dtype))

    def noise_shape(self, shape: Sequence[int]) -> tuple[int, ...]:
        """Shape of the ``noise`` a call on inputs of ``shape`` consumes."""
        return self._sampler.noise_shape(self._num_probs, tuple(shape))

    def extra_repr(self) -> str:
        return (f"return_llrs={self._return_llrs}, bipolar_input={self._bipolar_input}, "
                f"llr_max={self._llr_max:g}, dtype={self._dtype}, "
                f"temperature={self._temperature:g}, sampler={self._sampler.name!r}")

    # -- checks ---------------------------------------------------------------------

    def _check_dtype(self, x: object, allow_uint: bool = True) -> None:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
        if self._return_llrs:
            allowed, what = _FLOATS, "LLR outputs need x of dtype float32 or float64"
        elif self._bipolar_input:
            allowed, what = _FLOATS + _SIGNED, "bipolar x must be float32, float64 or a signed integer"
        elif allow_uint:
            allowed, what = _FLOATS + _SIGNED + _UNSIGNED, "x must be float32, float64 or an integer"
        else:
            allowed, what = _FLOATS + _SIGNED, "x must be float32, float64 or a signed integer"
        if x.dtype not in allowed:
            raise TypeError(f"{what}; got x of dtype {x.dtype}")

    def _check_values(self, x: torch.Tensor) -> None:
        if not self.check_input:
            return
        low = -1 if self._bipolar_input else 0
        kind = "bipolar (-1 or 1)" if self._bipolar_input else "binary (0 or 1)"
        _require(((x == low) | (x == 1)).all(), lambda: f"x must be {kind}; found other values")

    def _noise(self, x: torch.Tensor, noise: torch.Tensor | None,
               generator: torch.Generator | None) -> torch.Tensor | None:
        """Checked given noise, or fresh noise (``None`` for a fused sampler, which draws it)."""
        if noise is None:
            if generator is not None:
                if not isinstance(generator, torch.Generator):
                    raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
                if generator.device.type != x.device.type:
                    raise ValueError(f"generator lives on {generator.device.type} but x on "
                                     f"{x.device.type}: use a generator on the device of x")
            if self._sampler.fused:
                return None
            return self._sampler.draw(self._num_probs, x.shape, dtype=self._dtype,
                                      device=x.device, generator=generator)
        if generator is not None:
            raise ValueError("give either noise or generator, not both")
        if not isinstance(noise, torch.Tensor) or not noise.is_floating_point():
            raise TypeError("noise must be a floating-point torch.Tensor of uniforms")
        shapes = self._sampler.noise_shapes(self._num_probs, tuple(x.shape))
        if tuple(noise.shape) not in shapes:
            # f-strings, not str.join: torch.compile traces them (a sampler accepts one or two shapes)
            expected = f"{shapes[0]}" if len(shapes) == 1 else f"{shapes[0]} or {shapes[1]}"
            raise ValueError(f"noise must have shape {expected} for x of shape "
                             f"{tuple(x.shape)}, got {tuple(noise.shape)}")
        if self.check_input:
            _require(((noise >= 0) & (noise < 1)).all(),
                     lambda: "noise must hold uniforms in [0, 1), as torch.rand draws them; got values "
                     f"in [{float(noise.min()):.6g}, {float(noise.max()):.6g}]",
                     "noise must hold uniforms in [0, 1), as torch.rand draws them")
        return noise.detach().to(device=x.device, dtype=self._dtype)

    # -- the channel ----------------------------------------------------------------

    def _probabilities(self, x: torch.Tensor, pb: object) -> tuple[torch.Tensor, torch.Tensor]:
        """``(pb0, pb1)``: clipped tensors in ``dtype`` on the device of ``x``."""
        if isinstance(pb, (tuple, list)):
            if len(pb) != 2:
                raise ValueError(f"pb must be a pair (pb0, pb1), got {len(pb)} values")
            pb0, pb1 = pb
        elif isinstance(pb, torch.Tensor):
            if pb.dim() == 0 or pb.shape[-1] != 2:
                raise ValueError(f"the last dimension of pb must have length 2 (pb0, pb1), "
                                 f"got pb of shape {tuple(pb.shape)}")
            pb0, pb1 = pb[..., 0], pb[..., 1]
        else:
            raise ValueError("pb must be a pair (pb0, pb1) or a tensor whose last dimension "
                             f"is 2, got {type(pb).__name__}")
        c = self.check_input
        return (_to_probability("pb", pb0, x, self._dtype, c),
                _to_probability("pb", pb1, x, self._dtype, c))

    def forward(self, x: torch.Tensor, pb: object, *, noise: torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
        self._check_dtype(x)
        pb0, pb1 = self._probabilities(x, pb)
        self._check_values(x)
        u = self._noise(x, noise, generator)
        if self._sampler.fused:
            return self._sampler.memoryless(
                x, pb0, pb1, u, generator, bipolar=self._bipolar_input, llrs=self._return_llrs,
                llr_max=self._llr_max, temperature=self._temperature, eps=self._eps)

        neutral = -1 if self._bipolar_input else 0
        # e0 applies where x is 0 (or -1), e1 where x is 1
        e = self._sampler((pb0, pb1), x == neutral, u, self._temperature, self._eps)
        e = e.to(x.dtype)

        if self._bipolar_input:
            y = x * (-2 * e + 1)  # flip the sign where e == 1
        else:
            y = ste_xor(x, e)

        if not self._return_llrs:
            return y
        if not self._bipolar_input:
            y = 2 * y - 1  # to bipolar
        return memoryless_llrs(y, pb0, pb1, self._llr_max, self._eps)


class BinarySymmetricChannel(BinaryMemorylessChannel):
    r"""Binary symmetric channel: flips every bit with probability :math:`p_\text{b}`.

    A port of ``sionna.phy.channel.BinarySymmetricChannel`` (Sionna 1.2.2): the
    :class:`BinaryMemorylessChannel` with ``pb0 = pb1 = pb``. LLRs are
    :math:`\log\frac{p_b}{1-p_b}` for :math:`y=0` and :math:`\log\frac{1-p_b}{p_b}`
    for :math:`y=1`, clipped to ``[-llr_max, llr_max]``.

    Parameters
    ----------
    return_llrs, bipolar_input, llr_max, dtype, temperature, check_input, sampler
        As for :class:`BinaryMemorylessChannel`.

    Input
    -----
    x : [...], torch.Tensor
        Binary or bipolar values (dtypes as for :class:`BinaryMemorylessChannel`).
    pb : float or torch.Tensor
        Bit-flipping probability, a number or a tensor broadcastable to ``x``;
        clipped to [0, 1]. Gradients flow to tensors that require grad.
    noise : torch.Tensor, optional (keyword)
        Uniforms of shape ``(2, *x.shape, 2)``, as for :class:`BinaryMemorylessChannel`.
    generator : torch.Generator, optional (keyword)
        Source of fresh uniforms.

    Output
    ------
    [...], torch.Tensor
        Same shape and dtype as ``x``: the channel output, or LLRs if ``return_llrs``.

    Examples
    --------
    >>> import torch
    >>> ch = BinarySymmetricChannel(return_llrs=True)
    >>> [round(v, 4) for v in ch(torch.tensor([0.0, 1.0]), 0.0).tolist()]  # pb = 0: +-log((1 - eps) / eps)
    [-20.7233, 20.7233]
    """

    def _probabilities(self, x: torch.Tensor, pb: object) -> tuple[torch.Tensor, torch.Tensor]:
        p = _to_probability("pb", pb, x, self._dtype, self.check_input)
        return p, p


class BinaryZChannel(BinaryMemorylessChannel):
    r"""Binary Z-channel: a 1 becomes 0 with probability :math:`p_\text{b}`; a 0 is always received.

    A port of ``sionna.phy.channel.BinaryZChannel`` (Sionna 1.2.2): the
    :class:`BinaryMemorylessChannel` with ``pb0 = 0`` and ``pb1 = pb``. LLRs are
    :math:`\log p_b` for :math:`y=0` and, for :math:`y=1`, Sionna's documented
    :math:`\infty` is in fact ``log((1 - pb - eps) / eps)`` (about 20.7 for small
    ``pb``), clipped to ``llr_max``.

    Parameters
    ----------
    return_llrs, bipolar_input, llr_max, dtype, temperature, check_input, sampler
        As for :class:`BinaryMemorylessChannel`.

    Input
    -----
    x : [...], torch.Tensor
        Binary or bipolar values (dtypes as for :class:`BinaryMemorylessChannel`).
    pb : float or torch.Tensor
        Error probability of a 1, a number or a tensor broadcastable to ``x``;
        clipped to [0, 1]. Gradients flow to tensors that require grad.
    noise : torch.Tensor, optional (keyword)
        Uniforms of shape ``(2, *x.shape, 2)``, as for :class:`BinaryMemorylessChannel`
        (the first pair drives the never-flipping ``pb0 = 0``, as in Sionna).
    generator : torch.Generator, optional (keyword)
        Source of fresh uniforms.

    Output
    ------
    [...], torch.Tensor
        Same shape and dtype as ``x``: the channel output, or LLRs if ``return_llrs``.

    Examples
    --------
    >>> import torch
    >>> ch = BinaryZChannel()
    >>> ch(torch.zeros(5), 1.0).tolist()  # a 0 is always received
    [0.0, 0.0, 0.0, 0.0, 0.0]
    >>> ch(torch.ones(5), 1.0).tolist()  # with pb = 1, every 1 becomes 0
    [0.0, 0.0, 0.0, 0.0, 0.0]
    """

    def _probabilities(self, x: torch.Tensor, pb: object) -> tuple[torch.Tensor, torch.Tensor]:
        p = _to_probability("pb", pb, x, self._dtype, self.check_input)
        return torch.zeros_like(p), p


class BinaryErasureChannel(BinaryMemorylessChannel):
    r"""Binary erasure channel: each bit is erased with probability :math:`p_\text{b}`.

    A port of ``sionna.phy.channel.BinaryErasureChannel`` (Sionna 1.2.2). Hard
    outputs are ternary: an erasure is ``-1`` for binary inputs and ``0`` for
    bipolar inputs (so unsigned integer inputs are refused). LLRs are
    ``-llr_max`` for a received 0, ``+llr_max`` for a received 1 and ``0`` for an
    erasure. One Gumbel pair per bit draws the erasure pattern. As in Sionna, the
    output is not differentiable w.r.t. ``pb`` (the pattern only selects values).

    Parameters
    ----------
    return_llrs, bipolar_input, llr_max, dtype, temperature, check_input, sampler
        As for :class:`BinaryMemorylessChannel`.

    Input
    -----
    x : [...], torch.Tensor
        Binary or bipolar values: float32, float64 or a signed integer (LLRs:
        float32 or float64).
    pb : float or torch.Tensor
        Erasure probability, a number or a tensor broadcastable to ``x``; clipped to [0, 1].
    noise : torch.Tensor, optional (keyword)
        Uniforms of shape ``noise_shape(x.shape)`` = ``(1, *x.shape, 2)``.
    generator : torch.Generator, optional (keyword)
        Source of fresh uniforms.

    Output
    ------
    [...], torch.Tensor
        Same shape and dtype as ``x``: ternary hard values, or LLRs if ``return_llrs``.

    Examples
    --------
    >>> import torch
    >>> BinaryErasureChannel()(torch.tensor([0.0, 1.0]), 1.0).tolist()  # erased: -1
    [-1.0, -1.0]
    >>> BinaryErasureChannel(bipolar_input=True)(torch.tensor([-1.0, 1.0]), 1.0).tolist()  # erased: 0
    [0.0, 0.0]
    >>> BinaryErasureChannel(return_llrs=True)(torch.tensor([0.0, 1.0]), 0.0).tolist()
    [-100.0, 100.0]
    """

    _num_probs = 1

    def forward(self, x: torch.Tensor, pb: object, *, noise: torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
        self._check_dtype(x, allow_uint=False)
        p = _to_probability("pb", pb, x, self._dtype, self.check_input)
        self._check_values(x)
        u = self._noise(x, noise, generator)
        if self._sampler.fused:
            return self._sampler.erasure(
                x, p, u, generator, bipolar=self._bipolar_input, llrs=self._return_llrs,
                llr_max=self._llr_max, temperature=self._temperature, eps=self._eps)
        e = self._sampler((p,), None, u, self._temperature, self._eps)

        zero = torch.zeros((), dtype=x.dtype, device=x.device)
        if self._return_llrs:
            if not self._bipolar_input:
                x = 2 * x - 1
            x = x * torch.tensor(self._llr_max, dtype=x.dtype, device=x.device)
            return torch.where(e == 1, zero, x)  # an erasure has LLR 0
        erased = zero if self._bipolar_input else torch.full((), -1, dtype=x.dtype, device=x.device)
        return torch.where(e == 0, x, erased)


@contextlib.contextmanager
def feed_sionna_uniforms(*noises: torch.Tensor) -> Iterator[None]:
    """Make Sionna's random generator return given uniforms, to compare Sionna with this port.

    Inside the ``with`` block, ``sionna.phy.config.tf_rng.uniform`` returns the
    slices of the given noise tensors, in the order Sionna's channels ask for them:
    for a noise tensor of shape ``(k, *shape, 2)`` (see ``noise_shape``), first
    ``noise[0, ..., 0]``, then ``noise[0, ..., 1]``, then ``noise[1, ..., 0]``, ...
    Several tensors are served one after the other (one per channel call). On exit
    the original generator is restored and it is checked that every slice was used.
    Imports TensorFlow and Sionna (via :func:`course_utils.import_tensorflow`).

    Parameters
    ----------
    *noises : torch.Tensor
        Noise tensors as given to the port's ``noise=`` argument.

    Examples
    --------
    >>> import torch
    >>> from course_utils import import_tensorflow
    >>> tf = import_tensorflow()  # doctest: +SKIP
    >>> from sionna.phy.channel import BinarySymmetricChannel as SionnaBSC  # doctest: +SKIP
    >>> x = torch.tensor([0.0, 1.0] * 4)
    >>> noise = torch.rand(BinarySymmetricChannel().noise_shape(x.shape), generator=torch.Generator().manual_seed(0))
    >>> with feed_sionna_uniforms(noise):  # doctest: +SKIP
    ...     y_tf = SionnaBSC()(tf.constant(x.numpy()), 0.3)
    >>> y_tf.numpy().tolist() == BinarySymmetricChannel()(x, 0.3, noise=noise).tolist()  # doctest: +SKIP
    True
    """
    from .env import import_tensorflow

    tf = import_tensorflow()
    from sionna.phy import config

    queue = []
    for noise in noises:
        n = noise.detach().cpu()
        for k in range(n.shape[0]):
            queue.extend([n[k, ..., 0].numpy(), n[k, ..., 1].numpy()])

    class _Feeder:
        def uniform(self, shape, minval=0.0, maxval=1.0, dtype=tf.float32, **kwargs):  # noqa: ANN001, ANN202
            if not queue:
                raise RuntimeError("Sionna asked for more uniforms than were given")
            if float(minval) != 0.0 or float(maxval) != 1.0 or kwargs:
                raise RuntimeError("only plain uniforms in [0, 1) can be fed")
            u = queue.pop(0)
            if tuple(int(s) for s in shape) != tuple(u.shape):
                raise RuntimeError(f"Sionna asked for shape {tuple(int(s) for s in shape)}, "
                                   f"the next given uniforms have shape {tuple(u.shape)}")
            return tf.constant(u, dtype=dtype)

    saved = config._tf_rng  # noqa: SLF001 -- the attribute behind the tf_rng property
    config._tf_rng = _Feeder()  # noqa: SLF001
    try:
        yield
    finally:
        config._tf_rng = saved  # noqa: SLF001
    if queue:
        raise RuntimeError(f"{len(queue)} given uniform tensors were not used by Sionna")
