"""Helpers, reference implementations and exercise checkers for the autograd course.

Every helper is defined once here and its docstring names the notebook that
teaches it. Importing this package never imports TensorFlow.
"""
from .checking import CheckFailed, Comparison, call_answer, check_function, compare
from .env import device, import_tensorflow, seed_everything, setup, versions
from .expect import CaughtError, expect_error
from .plotting import figures_dir, savefig

__all__ = [
    "CaughtError",
    "CheckFailed",
    "Comparison",
    "call_answer",
    "check_function",
    "compare",
    "device",
    "expect_error",
    "figures_dir",
    "import_tensorflow",
    "savefig",
    "seed_everything",
    "setup",
    "versions",
]
