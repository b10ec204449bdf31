"""tools/gpu_check.py's dry run: its steps, what it leaves out, its handling of the wheels folder."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import gpu_check  # noqa: E402


def _fake_wheels(folder: Path, reqs: list[str]) -> None:
    for req in reqs:
        name, _, version = req.partition("==")
        (folder / f"{name.replace('-', '_')}-{version}-py3-none-any.whl").write_bytes(b"")


def test_dry_run_refuses_a_folder_without_the_wheels(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    reqs = gpu_check.requirements()
    _fake_wheels(tmp_path, reqs[1:])  # all but the first
    assert gpu_check.main(["--dry-run", "--wheels", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"lacks wheels of {reqs[0]}:" in out
    assert gpu_check.main(["--dry-run", "--wheels", str(tmp_path / "absent")]) == 1
    assert ", ".join(reqs) in capsys.readouterr().out


def test_dry_run_prints_the_steps(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    reqs = gpu_check.requirements()
    assert {"nbval", "nbclient", "nbformat", "ipykernel", "pytest", "pytest-xdist"} <= {r.split("==")[0] for r in reqs}
    _fake_wheels(tmp_path, reqs)
    assert gpu_check.main(["--dry-run", "--wheels", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    steps = {line.split(",")[0].lstrip("["): line for line in out.splitlines() if line.startswith("[")}
    assert list(steps) == ["install", "tests", "notebooks", "benchmark"]
    assert sum(gpu_check.TIMEOUTS.values()) <= 8 * 60
    assert f"--no-index --find-links {tmp_path} -r tools/gpu_requirements.txt" in steps["install"]
    tests = steps["tests"].split()
    assert "tests/test_channels_compile.py" in tests and "tests/test_gpu_check.py" in tests
    assert "tests/test_channels_sionna.py" not in tests and "tests/test_jupyterlab.py" not in tests
    assert "tests/test_env.py::test_import_tensorflow_seeds_it_lazily" in tests  # after --deselect
    notebooks = steps["notebooks"].split()
    assert "notebooks/12_porting_bmc_to_torch.ipynb" in notebooks and "notebooks/00_start_here.ipynb" in notebooks
    for nb in ("11_sionna_bmc_tensorflow", "13_tf_vs_torch_parity"):
        assert f"notebooks/{nb}.ipynb" not in notebooks
        assert f"skip notebooks/{nb}.ipynb: imports TensorFlow" in out
    assert "benchmarks/channel_throughput.py --devices cuda --impls faithful fast" in steps["benchmark"]
