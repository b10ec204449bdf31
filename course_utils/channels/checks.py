"""Input checks of the channels: ``TypeError`` for a wrong type, ``ValueError`` for a wrong value.

Type, dtype and shape checks read only metadata, so ``torch.compile`` traces them
(a failure stops the compilation with a message that includes this module's).
Checks on tensor data go through :func:`require`: a ``ValueError`` in eager mode,
``torch._assert_async`` inside a compiled graph. :mod:`course_utils.gumbel` uses
:func:`require_float_tensor` too.
"""
from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

import torch

__all__ = [
    "FLOATS",
    "check_generator",
    "check_noise",
    "check_x_dtype",
    "check_x_values",
    "real_number",
    "require",
    "require_float_tensor",
    "to_probability",
]

#: The internal precisions of the channels (and the floating dtypes ``x`` may have).
FLOATS = (torch.float32, torch.float64)
_SIGNED = (torch.int8, torch.int16, torch.int32, torch.int64)
_UNSIGNED = (torch.uint8, torch.uint16, torch.uint32, torch.uint64)
#: Values per slice when a large ``x`` is checked eagerly.
_CHECK_CHUNK = 1 << 19


def require_float_tensor(name: str, value: object) -> torch.Tensor:
    """``value`` if it is a floating-point tensor; ``TypeError`` naming ``name`` otherwise.

    Examples
    --------
    >>> import torch
    >>> require_float_tensor("x", torch.zeros(2)).dtype
    torch.float32
    """
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if not value.is_floating_point():
        raise TypeError(f"{name} must have a floating-point dtype, got {value.dtype}")
    return value


def real_number(name: str, value: object) -> float:
    """``value`` as a float: a real number or a one-element real tensor; ``TypeError`` otherwise.

    Examples
    --------
    >>> import torch
    >>> real_number("llr_max", torch.tensor(5))
    5.0
    """
    if isinstance(value, torch.Tensor):
        if value.numel() != 1 or value.is_complex() or value.dtype == torch.bool:
            raise TypeError(f"{name} must be a real number, got a tensor of shape "
                            f"{tuple(value.shape)} and dtype {value.dtype}")
        return float(value.item())
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    return float(value)


def require(ok: torch.Tensor, message: Callable[[], str], traced_message: str | None = None) -> None:
    """A value check on tensor data: ``ValueError(message())`` in eager mode if ``ok`` is False.

    Inside a ``torch.compile`` graph the check cannot branch on data, so it becomes
    ``torch._assert_async(ok, ...)``, which runs in the graph on every call and raises a
    ``RuntimeError`` with the same message (``traced_message``, if given, replaces a
    message that would print data).

    Examples
    --------
    >>> import torch
    >>> require(torch.tensor(True), lambda: "never shown")
    >>> require(torch.tensor(False), lambda: "x must be binary")
    Traceback (most recent call last):
    ...
    ValueError: x must be binary
    """
    if torch.compiler.is_compiling():
        torch._assert_async(ok, traced_message if traced_message is not None else message())
    elif not bool(ok):
        raise ValueError(message())


def to_probability(name: str, value: object, x: torch.Tensor, dtype: torch.dtype,
                   check: bool) -> torch.Tensor:
    """A probability (number or tensor) as a tensor in ``dtype`` on x's device, clipped to [0, 1].

    Parameters
    ----------
    name : str
        The argument's name, for error messages.
    value : float or torch.Tensor
        The probability, broadcastable to ``x``; gradients reach a tensor.
    x : torch.Tensor
        The channel input (its device and shape).
    dtype : torch.dtype
        The channel's internal precision.
    check : bool
        Refuse NaN (:func:`require`).

    Output
    ------
    torch.Tensor
        The clipped probability (zero gradient outside [0, 1], as Sionna's clipping).

    Examples
    --------
    >>> import torch
    >>> to_probability("pb", 1.5, torch.zeros(3), torch.float64, True)
    tensor(1., dtype=torch.float64)
    """
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
        require(~torch.isnan(p).any(), lambda: f"{name} contains NaN")
    # Sionna clips "for numerical stability"; the gradient is zero outside [0, 1]
    return torch.clamp(p, 0.0, 1.0)


def check_x_dtype(x: object, *, llrs: bool, bipolar: bool, allow_uint: bool) -> None:
    """``TypeError`` unless ``x`` is a tensor of a dtype the channel supports (as Sionna 1.2.2).

    Examples
    --------
    >>> import torch
    >>> check_x_dtype(torch.zeros(2, dtype=torch.uint8), llrs=True, bipolar=False, allow_uint=True)
    Traceback (most recent call last):
    ...
    TypeError: LLR outputs need x of dtype float32 or float64; got x of dtype torch.uint8
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if llrs:
        allowed, what = FLOATS, "LLR outputs need x of dtype float32 or float64"
    elif bipolar:
        allowed, what = FLOATS + _SIGNED, "bipolar x must be float32, float64 or a signed integer"
    elif allow_uint:
        allowed, what = FLOATS + _SIGNED + _UNSIGNED, "x must be float32, float64 or an integer"
    else:
        allowed, what = FLOATS + _SIGNED, "x must be float32, float64 or a signed integer"
    if x.dtype not in allowed:
        raise TypeError(f"{what}; got x of dtype {x.dtype}")


def check_x_values(x: torch.Tensor, *, bipolar: bool) -> None:
    """``ValueError`` (:func:`require`) unless every value of ``x`` is binary (0, 1) or bipolar (-1, 1).

    Examples
    --------
    >>> import torch
    >>> check_x_values(torch.tensor([0.0, 2.0]), bipolar=False)
    Traceback (most recent call last):
    ...
    ValueError: x must be binary (0 or 1); found other values
    """
    low = -1 if bipolar else 0
    kind = "bipolar (-1 or 1)" if bipolar else "binary (0 or 1)"
    if torch.compiler.is_compiling() or x.numel() <= _CHECK_CHUNK:
        require(((x == low) | (x == 1)).all(), lambda: f"x must be {kind}; found other values")
        return
    # eagerly, a large x is checked in slices, whose temporaries stay in the caches; a float
    # slice with arithmetic, which costs the CPU less than comparisons that write booleans
    # (benchmarks/channel_profile.py): in IEEE arithmetic v - v * v is 0 exactly for v in {0, 1}
    # and v * v - 1 exactly for v in {-1, 1}, NaN for NaN (tests/test_channels.py tries the
    # floats next to them)
    flat = x.detach().reshape(-1)  # out= refuses a tensor that requires grad
    if x.is_floating_point():
        buf = torch.empty(min(flat.numel(), _CHECK_CHUNK), dtype=x.dtype, device=x.device)
        minus_one = torch.tensor(-1.0, dtype=x.dtype, device=x.device)
        for part in flat.split(_CHECK_CHUNK):
            out = buf[:part.numel()]
            if bipolar:
                torch.addcmul(minus_one, part, part, out=out)
            else:
                torch.addcmul(part, part, part, value=-1, out=out)
            lo, hi = torch.aminmax(out)
            if not (lo.item() == 0 and hi.item() == 0):
                raise ValueError(f"x must be {kind}; found other values")
        return
    for part in flat.split(_CHECK_CHUNK):
        if not bool(torch.eq(part, low).logical_or_(part == 1).all()):
            raise ValueError(f"x must be {kind}; found other values")


def check_generator(generator: object, x: torch.Tensor) -> None:
    """``TypeError``/``ValueError`` unless ``generator`` is a ``torch.Generator`` on the device type of ``x``.

    Examples
    --------
    >>> import torch
    >>> check_generator(torch.Generator(), torch.zeros(2))
    """
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
    if generator.device.type != x.device.type:
        raise ValueError(f"generator lives on {generator.device.type} but x on "
                         f"{x.device.type}: use a generator on the device of x")


def check_noise(noise: object, x: torch.Tensor, shapes: Sequence[tuple[int, ...]], check: bool) -> None:
    """``TypeError``/``ValueError`` unless ``noise`` is a float tensor of one of ``shapes``.

    With ``check``, its values must also be uniforms in [0, 1) (:func:`require`).

    Examples
    --------
    >>> import torch
    >>> check_noise(torch.ones(2), torch.zeros(2), [(2,)], check=True)
    Traceback (most recent call last):
    ...
    ValueError: noise must hold uniforms in [0, 1), as torch.rand draws them; got values in [1, 1]
    """
    if not isinstance(noise, torch.Tensor) or not noise.is_floating_point():
        raise TypeError("noise must be a floating-point torch.Tensor of uniforms")
    if tuple(noise.shape) not in shapes:
        # f-strings, not str.join: torch.compile traces them (a sampler accepts one or two shapes)
        expected = f"{shapes[0]}" if len(shapes) == 1 else f"{shapes[0]} or {shapes[1]}"
        raise ValueError(f"noise must have shape {expected} for x of shape "
                         f"{tuple(x.shape)}, got {tuple(noise.shape)}")
    if check:
        require(((noise >= 0) & (noise < 1)).all(),
                lambda: "noise must hold uniforms in [0, 1), as torch.rand draws them; got values "
                f"in [{float(noise.min()):.6g}, {float(noise.max()):.6g}]",
                "noise must hold uniforms in [0, 1), as torch.rand draws them")
