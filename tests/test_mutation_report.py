"""tools/mutation_report.py on a two-mutant run made by hand: counts, score, kinds, one line per survivor."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import mutation_report

MODULE = '''
def x_f__mutmut_orig(x):
    print("correct: fine")
    return x + 1

def x_f__mutmut_1(x):
    print("correct: fine")
    return x - 1

def x_f__mutmut_2(x):
    print("XXcorrect: fineXX")
    return x + 1

def x_f__mutmut_3(x):
    print("correct: fine")
    return x + 2

def x_f__mutmut_4(x):
    print("correct: fine")
    return -x
'''


@pytest.fixture
def run(tmp_path: Path) -> Path:
    pkg = tmp_path / "course_utils"
    pkg.mkdir()
    (pkg / "m.py").write_text(MODULE, encoding="utf-8")
    codes = {"course_utils.m.x_f__mutmut_1": 1, "course_utils.m.x_f__mutmut_2": 0,
             "course_utils.m.x_f__mutmut_3": 0, "course_utils.m.x_f__mutmut_4": 0,
             "course_utils.m.x_f__mutmut_5": None}
    (pkg / "m.py.meta").write_text(json.dumps({"exit_code_by_key": codes}), encoding="utf-8")
    return tmp_path


def test_counts_kinds_and_lines(run: Path) -> None:
    counts, survivors = mutation_report.collect(run)
    assert dict(counts["course_utils.m"]) == {"killed": 1, "survived": 3, "not run": 1}
    kinds = {key.rsplit("_", 1)[1]: (old, new, kind and kind.name) for key, old, new, kind in survivors}
    assert kinds == {
        "2": ('print("correct: fine")', 'print("XXcorrect: fineXX")', "message text"),
        "3": ("return x + 1", "return x + 2", "checker point"),
        "4": ("return x + 1", "return -x", None),
    }
    text = mutation_report.report(counts, survivors)
    assert "| course_utils.m | 1 | 0 | 3 | 0 | 0 | 1 | 25.0 % |" in text
    assert "- `course_utils.m.x_f__mutmut_4` (not classified): `return x + 1` -> `return -x`" in text


def test_equivalent_kinds_leave_the_score() -> None:
    kind = mutation_report.classify("m.x_f__mutmut_1", "compare(a, b, verbose=False)", "compare(a, b, verbose=None)")
    assert kind.equivalent and kind.name == "verbose None"
    assert mutation_report.score({"killed": 9, "timeout": 0, "survived": 1, "equivalent": 5}) == "90.0 %"


def test_no_run_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert mutation_report.main(["--mutants", str(tmp_path)]) == 1
    assert "no mutmut run" in capsys.readouterr().err


def test_reasons_file_judges_single_mutants(run: Path, tmp_path: Path) -> None:
    reasons_file = tmp_path / "reasons.tsv"
    reasons_file.write_text("# verdicts\n"
                            "course_utils.m.x_f__mutmut_4\tequivalent\tonly reached with x = -0.5\n"
                            "course_utils.m.x_f__mutmut_3\tno test\tthe +2 is a label\n"
                            "course_utils.m.x_f__mutmut_1\tno test\tonce survived\n", encoding="utf-8")
    reasons = mutation_report.read_reasons(reasons_file)
    counts, survivors = mutation_report.collect(run, reasons)
    assert dict(counts["course_utils.m"]) == {"killed": 1, "survived": 2, "equivalent": 1, "not run": 1}
    text = mutation_report.report(counts, survivors, reasons)
    assert "| course_utils.m | 1 | 0 | 2 | 1 | 0 | 1 | 33.3 % |" in text
    assert "- `course_utils.m.x_f__mutmut_4` (equivalent: only reached with x = -0.5): " in text
    assert "- `course_utils.m.x_f__mutmut_3` (no test: the +2 is a label): " in text
    assert "| no test | 1 | no |" in text and "| equivalent | 1 | yes |" in text
    assert text.endswith("(their mutants no longer survive)\n\n- `course_utils.m.x_f__mutmut_1`\n")


@pytest.mark.parametrize("line", ["m.x_f__mutmut_1\tequivalent", "m.x_f__mutmut_1\tmaybe\twhy",
                                  "m.x_f__mutmut_1\tno test\t "])
def test_a_malformed_reason_line_is_an_error(tmp_path: Path, line: str) -> None:
    path = tmp_path / "reasons.tsv"
    path.write_text(f"{line}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"reasons.tsv:1: expected"):
        mutation_report.read_reasons(path)


def test_a_mutant_judged_twice_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "reasons.tsv"
    path.write_text("m.a\tno test\tone\nm.a\tequivalent\ttwo\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"reasons.tsv:2: m.a has a line already"):
        mutation_report.read_reasons(path)


@pytest.mark.parametrize(("old", "new", "kind"), [
    # a checker's points in another dtype: test data, even when the line also names the device
    ("x = torch.linspace(-1, 1, 50, dtype=torch.float64, device=device())",
     "x = torch.linspace(-1, 1, 50, device=device())", "checker point"),
    # the device dropped from one of two tensors: a device mutant, not test data
    ("return u.to(device()), p.to(device())", "return u.to(None), p.to(device())", "device"),
    ("p = torch.tensor([0.5], device=device())", "p = torch.tensor([0.5], device=None)", "device"),
    # the logic of a check changed: no kind, a reason is needed
    ("inner = (u > 0) & (p > 0)", "inner = (u > 0) | (p > 0)", None),
])
def test_checker_data_and_device_kinds(old: str, new: str, kind: str | None) -> None:
    found = mutation_report.classify("course_utils.exercises.m.x_check__mutmut_1", old, new)
    assert (found and found.name) == kind
