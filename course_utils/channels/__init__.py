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
fast sampler (:class:`LogisticSampler`: one uniform per bit, one fused autograd
Function per engine; notebook 14) instead: same channel, same checks, a fraction of
the time and memory.

The package, one job per module:

* :mod:`~course_utils.channels.formulas`: Sionna's formulas, each written once
  (``EPS``, ``TEMPERATURE``, Gumbel and logistic noise, the Gumbel-softmax error
  sample, the LLRs, the straight-through binarizer and XOR);
* :mod:`~course_utils.channels.checks`: the input checks (``TypeError`` for a wrong
  type, ``ValueError`` for a wrong value);
* :mod:`~course_utils.channels.config`: the settings a channel hands its sampler
  (:class:`ChannelConfig`) and the kinds of noise (:class:`NoiseKind`);
* :mod:`~course_utils.channels.modules`: the four channels;
* :mod:`~course_utils.channels.faithful`: the Gumbel-softmax sampler;
* :mod:`~course_utils.channels.fast`: the logistic sampler, which runs the first of
  its engines that applies: :mod:`~course_utils.channels.chunked` (CPU, one
  probability per channel) or :mod:`~course_utils.channels.whole_tensor` (any device,
  any probability shape, ``torch.compile``); their shared formulas are in
  :mod:`~course_utils.channels.logistic_math`;
* :mod:`~course_utils.channels.sionna`: :func:`feed_sionna_uniforms`, the harness that
  feeds Sionna given uniforms.

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
  be positive (Sionna accepts 0, which makes every logit infinite: the soft
  samples of two -inf logits, and, depending on TensorFlow's softmax kernel, of
  (-inf, +inf), are NaN, so those bits flip whatever ``pb`` is).

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
  whose text includes the package's ``TypeError``/``ValueError`` message;
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

Importing this package never imports TensorFlow; only :func:`feed_sionna_uniforms`
does, when called.
"""
from __future__ import annotations

from .chunked import CHUNK, ChunkedEngine
from .config import ChannelConfig, NoiseKind
from .faithful import GumbelSoftmaxSampler
from .fast import LogisticSampler
from .formulas import (
    EPS,
    TEMPERATURE,
    binarize_ste,
    gumbel_noise,
    gumbel_softmax_errors,
    llr_values,
    logistic_from_gumbel,
    logistic_noise,
    memoryless_llrs,
    ste_xor,
)
from .modules import BinaryErasureChannel, BinaryMemorylessChannel, BinarySymmetricChannel, BinaryZChannel
from .sionna import feed_sionna_uniforms
from .whole_tensor import WholeTensorEngine

__all__ = [
    "CHUNK",
    "EPS",
    "TEMPERATURE",
    "BinaryErasureChannel",
    "BinaryMemorylessChannel",
    "BinarySymmetricChannel",
    "BinaryZChannel",
    "ChannelConfig",
    "ChunkedEngine",
    "GumbelSoftmaxSampler",
    "LogisticSampler",
    "NoiseKind",
    "WholeTensorEngine",
    "binarize_ste",
    "feed_sionna_uniforms",
    "gumbel_noise",
    "gumbel_softmax_errors",
    "llr_values",
    "logistic_from_gumbel",
    "logistic_noise",
    "memoryless_llrs",
    "ste_xor",
]
