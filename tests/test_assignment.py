"""The binary-linear assignment's command (by subprocess and in-process), parser and formatter."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch

from course_utils.assignment import (
    SAMPLE_INPUT,
    SAMPLE_OUTPUT,
    InputError,
    assignment_gradients,
    format_rows,
    main,
    parse_input,
)

from helpers import python_command

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "binary_linear"
CASES = ["sample", "boundaries", "single"]

GOOD_HEAD = "2\n3\n0.5 -0.5 1\n-1 0 2\n"
# Every kind of malformed input: (id, stdin, line named in the message, words in the message).
MALFORMED = [
    ("empty", "", 1, "expected the number of rows of X, but the input ended"),
    ("blank only", "\n\n", 1, "expected the number of rows of X, but the input ended"),
    ("rows zero", "0\n3\n", 1, "the number of rows of X must be positive, got 0"),
    ("cols negative", "2\n-3\n", 2, "the number of columns of X must be positive, got -3"),
    ("rows not integer", "2.5\n3\n", 1, "the number of rows of X must be an integer, got '2.5'"),
    ("two sizes on a line", "2 3\n", 1, "expected one integer (the number of rows of X), got 2 values"),
    ("X row missing", "2\n3\n0.5 -0.5 1\n", 4, "expected row 2 of X, but the input ended"),
    ("X row too short", "2\n3\n0.5 -0.5\n", 3, "row 1 of X has 2 values, expected 3"),
    ("X row too long", "2\n3\n0.5 -0.5 1\n-1 0 2 7\n", 4, "row 2 of X has 4 values, expected 3"),
    ("not a number", "2\n3\n0.5 abc 1\n", 3, "row 1 of X, value 2: 'abc' is not a number"),
    ("nan", "2\n3\n0.5 nan 1\n", 3, "row 1 of X, value 2: 'nan' is not a finite number"),
    ("empty line inside", "2\n3\n\n0.5 -0.5 1\n", 3, "expected row 1 of X, got an empty line"),
    ("W sizes missing", GOOD_HEAD, 5, "expected the number of out-features of W, but the input ended"),
    ("out-features zero", GOOD_HEAD + "0\n3\n", 5, "the number of out-features of W must be positive, got 0"),
    ("in-features negative", GOOD_HEAD + "1\n-3\n", 6, "the number of in-features of W must be positive, got -3"),
    ("in-features mismatch", GOOD_HEAD + "1\n4\n", 6, "in-features is 4 but X has 3 columns"),
    ("W row missing", GOOD_HEAD + "2\n3\n1 1 1\n", 8, "expected row 2 of W, but the input ended"),
    ("W row too short", GOOD_HEAD + "1\n3\n1 1\n", 7, "row 1 of W has 2 values, expected 3"),
    ("W not a number", GOOD_HEAD + "1\n3\n1 1 x1\n", 7, "row 1 of W, value 3: 'x1' is not a number"),
    ("W infinite", GOOD_HEAD + "1\n3\n1 inf 1\n", 7, "row 1 of W, value 2: 'inf' is not a finite number"),
    ("extra line", GOOD_HEAD + "1\n3\n1 1 1\n9\n", 8, "unexpected extra input after the last row of W: '9'"),
]
# Each run of the command pays torch's import (seconds on a busy machine): one malformed
# case of each kind the command must refuse goes through a real subprocess, and every
# case goes through main() in-process.
BY_SUBPROCESS = ["X row missing", "X row too long", "extra line", "not a number", "X row too short",
                 "in-features mismatch", "rows zero", "cols negative", "in-features negative"]


def run_cli(stdin: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(
        [*python_command(), "-m", "course_utils.assignment"],
        input=stdin, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
    )


@pytest.fixture(scope="module")
def cli_runs() -> dict[str, subprocess.CompletedProcess]:
    """Every CLI run of this module, started two at a time (each pays torch's import)."""
    jobs = {f"good:{name}": (DATA / f"{name}_input.txt").read_text() for name in ["sample"]}
    jobs.update({f"bad:{case[0]}": case[1] for case in MALFORMED if case[0] in BY_SUBPROCESS})
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(jobs, pool.map(run_cli, jobs.values())))
    return results


def run_main(stdin: str, monkeypatch, capsys) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    status = main([])
    out, err = capsys.readouterr()
    return status, out, err


def numbers(text: str) -> list[list[float]]:
    return [[float(v) for v in line.split()] for line in text.splitlines()]


def check_output(stdout: str, expected: str) -> None:
    got, want = numbers(stdout), numbers(expected)
    assert [len(r) for r in got] == [len(r) for r in want]
    # The sample's weight rows are given as "-4.0 0.0 -2.0": compare numerically ...
    flat = [v for r in got for v in r]
    assert flat == pytest.approx([v for r in want for v in r], abs=5e-5)
    # ... and check the format: four decimals, single spaces, never -0.0000.
    for line in stdout.splitlines():
        assert all(len(v.split(".")[1]) == 4 for v in line.split(" ")), line
    assert "-0.0000" not in stdout


# ---------------------------------------------------------------- command line


def test_cli_prints_the_sample_answer(cli_runs) -> None:
    run = cli_runs["good:sample"]
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    check_output(run.stdout, (DATA / "sample_expected.txt").read_text())
    # Exactly the expected lines, where the task writes them with four decimals.
    assert run.stdout.splitlines()[:4] == SAMPLE_OUTPUT.splitlines()[:4]


@pytest.mark.parametrize("name", CASES)
def test_main_prints_the_expected_gradients(name: str, monkeypatch, capsys) -> None:
    status, out, err = run_main((DATA / f"{name}_input.txt").read_text(), monkeypatch, capsys)
    assert (status, err) == (0, "")
    check_output(out, (DATA / f"{name}_expected.txt").read_text())


def test_sample_fixture_is_the_one_shipped_with_the_module() -> None:
    assert (DATA / "sample_input.txt").read_text() == SAMPLE_INPUT
    assert (DATA / "sample_expected.txt").read_text() == SAMPLE_OUTPUT


@pytest.mark.parametrize("case", BY_SUBPROCESS)
def test_cli_rejects_malformed_input(cli_runs, case: str) -> None:
    (_, _, line, problem), = [c for c in MALFORMED if c[0] == case]
    run = cli_runs[f"bad:{case}"]
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr == f"error: input line {line}: {problem}\n"


@pytest.mark.parametrize(("case", "stdin", "line", "problem"), MALFORMED, ids=[c[0] for c in MALFORMED])
def test_main_rejects_malformed_input(case: str, stdin: str, line: int, problem: str, monkeypatch, capsys) -> None:
    status, out, err = run_main(stdin, monkeypatch, capsys)
    assert (status, out) == (2, "")
    assert err == f"error: input line {line}: {problem}\n"


# ---------------------------------------------------------------- in-process pieces


def test_parse_input_tolerates_crlf_and_trailing_blank_lines() -> None:
    x, w = parse_input(SAMPLE_INPUT.replace("\n", "\r\n") + "\r\n\r\n")
    assert x.shape == (4, 3) and w.shape == (5, 3) and x.dtype == torch.float64
    assert x[1, 2].item() == -2.1671 and w[4, 0].item() == 2.4192


def test_input_error_carries_line_and_problem() -> None:
    with pytest.raises(InputError) as err:
        parse_input("2\n3\n1 2 3\n4 5\n")
    assert (err.value.line, err.value.problem) == (4, "row 2 of X has 2 values, expected 3")
    assert isinstance(err.value, ValueError)


def test_reference_gradients_by_hand() -> None:
    # x = 0.5: sign +1, parabola slope 2 - 2 * 0.5 = 1; w = -3: sign -1, STE slope 1.
    gx, gw = assignment_gradients(torch.tensor([[0.5]]), torch.tensor([[-3.0]]))
    assert gx.tolist() == [[-1.0]] and gw.tolist() == [[1.0]]


def test_format_rows_never_prints_negative_zero() -> None:
    t = torch.tensor([[-0.0, -0.00004, 0.00006], [-4.0, 1.23456, 7.0]], dtype=torch.float64)
    assert format_rows(t) == "0.0000 0.0000 0.0001\n-4.0000 1.2346 7.0000\n"
