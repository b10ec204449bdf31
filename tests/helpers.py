"""Helpers shared by several test modules (import them as ``from helpers import ...``).

The ``device`` fixture and the ``gpu`` marker live in the root ``conftest.py``.
"""
from __future__ import annotations

import functools
import json
import os
import re
import sys
from pathlib import Path

import pytest
import torch
from torch.overrides import TorchFunctionMode

from course_utils.channels import (
    BinaryErasureChannel,
    BinaryMemorylessChannel,
    BinarySymmetricChannel,
    BinaryZChannel,
)
from course_utils.notebooks import course_notebooks

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


# -- what the exercise checkers print -------------------------------------------------

_CHECKER_CALL = re.compile(r"\bcheck_\w+\(")
_FAILED_COMPARISON = re.compile(r"^.+ \| exact: False \| allclose: False \| max abs diff: .+$")


@functools.cache
def _checker_cell_lines() -> frozenset[str]:
    """Every line printed on stdout by a code cell that calls a checker, in the committed notebooks."""
    lines: set[str] = set()
    for path in course_notebooks():
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code" and _CHECKER_CALL.search("".join(cell["source"])):
                for out in cell.get("outputs", []):
                    if out.get("output_type") == "stream" and out.get("name") == "stdout":
                        lines.update("".join(out["text"]).splitlines())
    return frozenset(lines)


def checker_output(capsys: pytest.CaptureFixture[str]) -> str:
    """What the checkers printed so far; fails on a line that no notebook's checker cell shows.

    A checker may print its success line (as the notebooks show it) and, before it fails,
    ``compare``'s report of the failed comparison; anything else (a changed success line,
    ``None`` printed instead, a report of passing comparisons) is a bug the notebooks' readers
    would see. A line not printed at all is the calling test's to catch (e.g. by counting).
    """
    out = capsys.readouterr().out
    unknown = [line for line in out.splitlines()
               if line not in _checker_cell_lines() and not _FAILED_COMPARISON.match(line)]
    assert not unknown, f"printed lines that no notebook's checker cell shows: {unknown}"
    return out


class FactoryDevices(TorchFunctionMode):
    """Records the ``device=`` asked of the functions in ``funcs`` (None: not given).

    A dropped ``device=`` changes nothing on a CPU-only machine; this shows what a GPU would get.
    """

    def __init__(self, *funcs: object) -> None:
        super().__init__()
        self.funcs = funcs
        self.devices: list[object] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        kwargs = kwargs or {}
        if func in self.funcs:
            self.devices.append(kwargs.get("device"))
        return func(*args, **kwargs)


def scaled_gradient(function: type[torch.autograd.Function], factor: float) -> type[torch.autograd.Function]:
    """A subclass of ``function`` whose backward returns its first gradient times ``factor``: a near miss.

    The rest of what backward returns (gradients of other inputs, ``None``\\ s) is kept.
    """

    class Scaled(function):
        @staticmethod
        def backward(ctx, *grads):
            out = function.backward(ctx, *grads)
            if isinstance(out, tuple):
                return (out[0] * factor, *out[1:])
            return out * factor

    Scaled.__name__ = f"{function.__name__}Times{factor:g}"
    return Scaled
