"""Helpers shared by several test modules (import them as ``from helpers import ...``).

The ``device`` fixture and the ``gpu`` marker live in the root ``conftest.py``.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import torch

from course_utils.channels import (
    BinaryErasureChannel,
    BinaryMemorylessChannel,
    BinarySymmetricChannel,
    BinaryZChannel,
)

#: The four channels of course_utils.channels, the general one first.
CHANNELS = [BinaryMemorylessChannel, BinarySymmetricChannel, BinaryZChannel, BinaryErasureChannel]


def bits(shape: tuple[int, ...], bipolar: bool = False, dtype: torch.dtype = torch.float32,
         device: str | torch.device = "cpu", seed: int = 0) -> torch.Tensor:
    """Random bits of ``shape``, reproducible from ``seed``: 0/1, or -1/+1 when ``bipolar``.

    Drawn on the CPU (the same bits on every device), then moved to ``device`` as ``dtype``.
    """
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 2, shape, generator=g)
    if bipolar:
        x = 2 * x - 1
    return x.to(device=device, dtype=dtype)


def python_command() -> list[str]:
    """``[python]`` for a subprocess, as a fork of the run's warm process where it has one (``tests/warm_kernel.py``)."""
    warm = os.environ.get("COURSE_WARM_KERNELS")
    if not warm:
        return [sys.executable]
    return [sys.executable, "-I", str(Path(__file__).with_name("warm_kernel.py")), "python",
            str(Path(warm) / "zygote.sock")]
