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
