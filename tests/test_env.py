import importlib.metadata
import json
import platform
import random
import subprocess

import numpy as np
import pytest
import torch

import course_utils
from course_utils import env

from helpers import python_command


def _draws() -> tuple[float, float, float]:
    # setup() seeds NumPy's legacy global generator, the one np.random.rand draws from
    return random.random(), np.random.rand(), torch.rand(1).item()  # noqa: NPY002


def test_setup_seeds_everything_and_returns_the_device(capsys: pytest.CaptureFixture[str]) -> None:
    dev = course_utils.setup(seed=123)
    first = _draws()
    assert course_utils.setup(seed=123, verbose=False) == dev
    assert _draws() == first
    course_utils.setup(seed=124, verbose=False)
    assert all(a != b for a, b in zip(_draws(), first)), "another seed must give other numbers"
    out = capsys.readouterr().out
    assert f"device: {env.describe_device(dev)} | seed: 123" in out
    assert f"torch {torch.__version__.split('+')[0]}" in out
    assert dev == course_utils.device() == env.pick_device(), "setup() uses pick_device() (COURSE_DEVICE included)"


def test_setup_seeds_with_0_by_default() -> None:
    course_utils.setup(verbose=False)
    default = _draws()
    course_utils.setup(seed=0, verbose=False)
    assert _draws() == default


def test_the_default_device_is_cuda_when_torch_sees_a_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    assert env.pick_device().type == ("cuda" if torch.cuda.is_available() else "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert env.pick_device() == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert env.pick_device() == torch.device("cuda")


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_bad_seed_is_refused(seed) -> None:
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        course_utils.seed_everything(seed)


def test_course_device_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # a GPU machine
    for value in ("cpu", " CPU "):
        monkeypatch.setenv("COURSE_DEVICE", value)
        assert env.pick_device() == torch.device("cpu")
        assert course_utils.setup(seed=0, verbose=False) == torch.device("cpu") == course_utils.device()
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    assert env.pick_device() == torch.device("cuda")
    monkeypatch.setenv("COURSE_DEVICE", "tpu")
    with pytest.raises(ValueError, match="COURSE_DEVICE must be 'cpu' or 'cuda', got 'tpu'"):
        env.pick_device()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # a machine without one
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match="COURSE_DEVICE=cuda but torch finds no usable GPU"):
        env.pick_device()


def test_versions_reads_metadata_without_importing() -> None:
    """Every reported version is the installed distribution's, read without importing it."""
    code = (
        "import importlib.metadata as md, json, sys\n"
        "from course_utils import env\n"
        "env.REPORTED_PACKAGES = (*env.REPORTED_PACKAGES, 'no-such-distribution')\n"
        "v = env.versions()\n"
        "assert 'tensorflow' not in sys.modules and 'sionna' not in sys.modules, 'versions() imported'\n"
        "print(json.dumps(v))\n"
    )
    out = subprocess.run([*python_command(), "-c", code], check=True, capture_output=True, text=True).stdout
    found = json.loads(out)
    assert list(found) == ["python", *env.REPORTED_PACKAGES, "no-such-distribution"]
    assert found["python"] == platform.python_version()
    for name in env.REPORTED_PACKAGES:
        assert found[name] == importlib.metadata.version(name), name
    assert found["torch"].split("+")[0] == torch.__version__.split("+")[0]
    assert found["no-such-distribution"] == "missing"


def test_importing_the_package_never_imports_tensorflow() -> None:
    code = (
        "import sys, pkgutil, importlib, course_utils\n"
        "for m in pkgutil.walk_packages(course_utils.__path__, 'course_utils.'):\n"
        "    if not m.name.endswith('.__main__'):  # a command, run by importing it\n"
        "        importlib.import_module(m.name)\n"
        "course_utils.setup(seed=0, verbose=False)\n"
        "assert 'tensorflow' not in sys.modules, 'course_utils imported tensorflow'\n"
    )
    subprocess.run([*python_command(), "-c", code], check=True)


def test_import_tensorflow_seeds_it_lazily() -> None:
    code = (
        "import course_utils\n"
        "course_utils.setup(seed=7, verbose=False)\n"
        "tf = course_utils.import_tensorflow()\n"
        "a = float(tf.random.uniform([]))\n"
        "course_utils.setup(seed=7, verbose=False)\n"
        "assert float(tf.random.uniform([])) == a\n"
    )
    subprocess.run([*python_command(), "-c", code], check=True)
