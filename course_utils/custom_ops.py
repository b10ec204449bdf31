"""NumPy code as PyTorch custom operators with ``torch.library.custom_op`` (notebook 17).

Notebook 08's parabola-sign binarizer, done right: the NumPy work runs on a CPU copy
of the data (moved there and back explicitly, so any device works), and the op is
registered with everything PyTorch's subsystems need:

======================================  =============================================
registration                            what it is for
======================================  =============================================
``custom_op(..., mutates_args=())``     the op and its schema; an opaque call for
                                        ``torch.compile`` (no graph break)
``register_fake``                       output shapes and dtypes without real data
                                        (FakeTensor tracing in ``torch.compile``)
``register_autograd``                   ``backward`` and ``setup_context``, as in a
                                        Function; backward calls another custom op
``mutates_args=("x",)``                 :data:`sign_`, which writes into its input
======================================  =============================================

Every op passes :func:`torch.library.opcheck` (``tests/test_custom_ops.py``).

==============================  ===========================================================
op                              computes
==============================  ===========================================================
:data:`parabola_sign`           the course's sign (``+1`` at 0), gradient ``2 - 2|x|`` on
                                ``(-1, 1)`` and 0 elsewhere, like
                                :func:`course_utils.binarize.sign_parabola`
:data:`parabola_sign_backward`  ``grad * (2 - 2|x|)`` inside ``(-1, 1)``, 0 outside
:data:`sign_`                   the course's sign, in place (no autograd)
==============================  ===========================================================

Examples
--------
>>> x = torch.tensor([-0.5, 0.0, 2.0], requires_grad=True)
>>> y = parabola_sign(x)
>>> y.sum().backward()
>>> y.tolist(), x.grad.tolist()
([-1.0, 1.0, 1.0], [1.0, 2.0, 0.0])
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

__all__ = ["parabola_sign", "parabola_sign_backward", "sign_"]


def _to_numpy(x: Tensor) -> np.ndarray:
    return x.detach().cpu().numpy()


def _from_numpy(values: np.ndarray, like: Tensor) -> Tensor:
    return torch.from_numpy(values).to(device=like.device, dtype=like.dtype)


def _numpy_sign(values: np.ndarray) -> np.ndarray:
    # -1 below zero, +1 at and above (also at -0.0), NaN kept; in the input's dtype.
    return np.where(np.isnan(values), values, np.where(values < 0, -1.0, 1.0)).astype(values.dtype)


@torch.library.custom_op("course::parabola_sign", mutates_args=())
def parabola_sign(x: Tensor) -> Tensor:
    """The course's sign of ``x``, computed by NumPy; differentiable with the parabola slope."""
    return _from_numpy(_numpy_sign(_to_numpy(x)), x)


@parabola_sign.register_fake
def _(x: Tensor) -> Tensor:
    return torch.empty_like(x)


@torch.library.custom_op("course::parabola_sign_backward", mutates_args=())
def parabola_sign_backward(grad: Tensor, x: Tensor) -> Tensor:
    """``grad * (2 - 2|x|)`` where ``|x| < 1``, else 0, computed by NumPy."""
    a = np.abs(_to_numpy(x))
    g = _to_numpy(grad)
    return _from_numpy(np.where(a < 1, g * (2 - 2 * a), 0.0).astype(g.dtype), grad)


@parabola_sign_backward.register_fake
def _(grad: Tensor, x: Tensor) -> Tensor:
    return torch.empty_like(grad)


def _setup_context(ctx: Any, inputs: tuple[Tensor], output: Tensor) -> None:
    (x,) = inputs
    ctx.save_for_backward(x)


def _backward(ctx: Any, grad: Tensor) -> Tensor:
    (x,) = ctx.saved_tensors
    return parabola_sign_backward(grad, x)


parabola_sign.register_autograd(_backward, setup_context=_setup_context)


@torch.library.custom_op("course::sign_", mutates_args=("x",))
def sign_(x: Tensor) -> None:
    """Replace ``x`` by its course sign, in place, computed by NumPy."""
    x.copy_(_from_numpy(_numpy_sign(_to_numpy(x)), x))
