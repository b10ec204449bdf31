import random
import subprocess
import sys

import numpy as np
import pytest
import torch

import course_utils
from course_utils import env


def test_setup_seeds_everything_and_returns_the_device(capsys: pytest.CaptureFixture[str]) -> None:
    dev = course_utils.setup(seed=123)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    assert course_utils.setup(seed=123, verbose=False) == dev
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first
    out = capsys.readouterr().out
    assert f"device: {dev.type}" in out and "torch 2." in out and "seed: 123" in out
    assert dev == course_utils.device()
    assert dev.type == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_bad_seed_is_refused(seed) -> None:
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        course_utils.seed_everything(seed)


def test_course_device_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert env.pick_device() == torch.device("cpu")
    monkeypatch.setenv("COURSE_DEVICE", "tpu")
    with pytest.raises(ValueError, match="COURSE_DEVICE"):
        env.pick_device()
    if not torch.cuda.is_available():
        monkeypatch.setenv("COURSE_DEVICE", "cuda")
        with pytest.raises(RuntimeError, match="no usable GPU"):
            env.pick_device()


def test_versions_reads_metadata_without_importing() -> None:
    v = course_utils.versions()
    assert v["torch"].startswith("2.") and "tensorflow" in v and "python" in v


def test_importing_the_package_never_imports_tensorflow() -> None:
    code = (
        "import sys, pkgutil, importlib, course_utils\n"
        "for m in pkgutil.walk_packages(course_utils.__path__, 'course_utils.'):\n"
        "    importlib.import_module(m.name)\n"
        "course_utils.setup(seed=0, verbose=False)\n"
        "assert 'tensorflow' not in sys.modules, 'course_utils imported tensorflow'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_import_tensorflow_seeds_it_lazily() -> None:
    code = (
        "import course_utils\n"
        "course_utils.setup(seed=7, verbose=False)\n"
        "tf = course_utils.import_tensorflow()\n"
        "a = float(tf.random.uniform([]))\n"
        "course_utils.setup(seed=7, verbose=False)\n"
        "assert float(tf.random.uniform([])) == a\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
