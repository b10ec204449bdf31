"""Device choice, seeding and version report: the one place the course picks a device.

Taught in notebook 00 (start here) and called at the top of every notebook::

    from course_utils import setup
    device = setup(seed=0)
"""
from __future__ import annotations

import importlib.metadata
import os
import platform
import random
import sys

import numpy as np
import torch

#: Distributions reported by :func:`versions`, in display order.
REPORTED_PACKAGES = ("torch", "numpy", "tensorflow", "sionna-no-rt", "matplotlib")

_device: torch.device | None = None
_seed: int | None = None  # the last seed given to seed_everything


def pick_device() -> torch.device:
    """Return ``cuda`` when a GPU is usable, else ``cpu``.

    The environment variable ``COURSE_DEVICE`` (``cpu`` or ``cuda``) overrides the
    choice, e.g. to run the course on the CPU of a GPU machine.

    Examples
    --------
    >>> from unittest import mock
    >>> with mock.patch.dict("os.environ", {"COURSE_DEVICE": "cpu"}):
    ...     pick_device()
    device(type='cpu')
    """
    forced = os.environ.get("COURSE_DEVICE", "").strip().lower()
    if forced:
        if forced not in ("cpu", "cuda"):
            raise ValueError(f"COURSE_DEVICE must be 'cpu' or 'cuda', got {forced!r}")
        if forced == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("COURSE_DEVICE=cuda but torch finds no usable GPU")
        return torch.device(forced)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def device() -> torch.device:
    """The device chosen by :func:`setup` (chosen now if ``setup`` was not called).

    Examples
    --------
    >>> device().type in ("cpu", "cuda")
    True
    """
    global _device
    if _device is None:
        _device = pick_device()
    return _device


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all GPUs); TensorFlow too, but only if already imported.

    TensorFlow is never imported here: torch-only users do not pay for it.

    Examples
    --------
    >>> import torch
    >>> seed_everything(0)
    >>> first = torch.rand(2)
    >>> seed_everything(0)
    >>> torch.equal(torch.rand(2), first)
    True
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    global _seed
    _seed = seed
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - the legacy global generator is the one to seed
    torch.manual_seed(seed)  # also seeds every CUDA device
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        tf.random.set_seed(seed)


def versions() -> dict[str, str]:
    """Installed versions of the course's main packages (``"missing"`` when absent).

    Read from package metadata, so nothing (TensorFlow in particular) is imported.

    Examples
    --------
    >>> list(versions())
    ['python', 'torch', 'numpy', 'tensorflow', 'sionna-no-rt', 'matplotlib']
    """
    found = {"python": platform.python_version()}
    for name in REPORTED_PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "missing"
    return found


def describe_device(dev: torch.device) -> str:
    """A one-line description of ``dev``: ``cpu (2 threads)`` or ``cuda:0 (NVIDIA H100 ...)``.

    Examples
    --------
    >>> import torch
    >>> describe_device(torch.device("cpu"))
    'cpu (... threads)'
    """
    if dev.type == "cuda":
        index = dev.index if dev.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return f"cpu ({torch.get_num_threads()} threads)"


def setup(seed: int = 0, *, verbose: bool = True) -> torch.device:
    """Seed every random generator and pick the device, in one call.

    Parameters
    ----------
    seed : int
        Seed for Python, NumPy, torch and (if imported) TensorFlow.
    verbose : bool
        Print the device and the main package versions.

    Output
    ------
    torch.device
        ``cuda`` when available (see :func:`pick_device`), else ``cpu``. Every
        notebook puts its tensors on this device and nowhere else.

    Examples
    --------
    >>> device = setup(seed=0)
    device: ... | seed: 0
    python ... | torch ... | numpy ... | tensorflow ... | sionna-no-rt ... | matplotlib ...
    >>> setup(seed=0, verbose=False) == device
    True
    """
    global _device
    seed_everything(seed)
    _device = pick_device()
    if verbose:
        v = versions()
        print(f"device: {describe_device(_device)} | seed: {seed}")
        print(" | ".join(f"{k} {val}" for k, val in v.items()))
    return _device


def import_tensorflow():
    """Import TensorFlow on demand, quietly, seeded like torch; return the module.

    Every TensorFlow-dependent helper goes through this function, so that
    ``import course_utils`` never pays TensorFlow's start-up cost. Unless
    ``TF_CPP_MIN_LOG_LEVEL`` is set, TensorFlow's C++ logs are silenced, including
    the lines its native libraries write straight to file descriptor 2 while
    loading (e.g. "Could not find cuda drivers"); Python errors still surface.

    Examples
    --------
    >>> tf = import_tensorflow()  # doctest: +SKIP
    >>> float(tf.reduce_sum(tf.ones(3)))  # doctest: +SKIP
    3.0
    """
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    quiet = "TF_CPP_MIN_LOG_LEVEL" not in os.environ
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    saved_fd = None
    if quiet:
        sys.stderr.flush()
        saved_fd = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    try:
        import tensorflow as tf

        tf.config.list_physical_devices("GPU")  # probes CUDA now, while quiet
    finally:
        if saved_fd is not None:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
    if _seed is not None:
        tf.random.set_seed(_seed)
    return tf
