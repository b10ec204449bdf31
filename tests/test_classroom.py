"""Classroom mode: student versions, exercise conventions, the grading run.

What runs where (README, "For instructors"):
- every notebook: student version has no solution code, nothing but the solution
  blocks and outputs changed; every exercise has a hint and a checker cell;
- every notebook (only those listed, with COURSE_STUDENT_NOTEBOOKS="00 15", for a quick run):
  its student version, run top to bottom, fails only with NotImplementedError at exercises;
- small synthetic notebooks: the student-version edge cases and the grading run.
"""
from __future__ import annotations

import ast
import copy
import csv
import importlib
import inspect
import os
import pkgutil
import re
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import course_utils.exercises
from course_utils import classroom
from course_utils.classroom import (
    CODE_STUB,
    execute,
    find_exercises,
    has_solution,
    solution_blocks,
    student_notebook,
    write_student_versions,
)
from course_utils.notebooks import course_notebooks

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = course_notebooks()
WITH_EXERCISES = [p for p in NOTEBOOKS if any(has_solution(c) for c in nbformat.read(p, as_version=4).cells)]
# COURSE_STUDENT_NOTEBOOKS="00 15" runs only those notebooks' student versions (a quick run).
_ONLY = os.environ.get("COURSE_STUDENT_NOTEBOOKS", "").replace(",", " ").split()
EXECUTED = [p for p in NOTEBOOKS if p.name[:2] in _ONLY] if _ONLY else NOTEBOOKS


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _checkers() -> dict[str, str]:
    """Every ``check_*`` function of ``course_utils.exercises``: name -> module."""
    found = {}
    for info in pkgutil.iter_modules(course_utils.exercises.__path__):
        module = importlib.import_module(f"course_utils.exercises.{info.name}")
        for name, obj in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("check_") and obj.__module__ == module.__name__:
                found[name] = module.__name__
    return found


def _defined_names(source: str) -> set[str]:
    """Names a cell binds at top level (classes, functions, assignments, imports)."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


# --------------------------------------------------------------------------- student versions


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The student versions of every notebook, written once by the command instructors use."""
    out = tmp_path_factory.mktemp("course") / "student"
    assert classroom.main(["student", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.glob("*.ipynb")) == [p.name for p in NOTEBOOKS]
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_student_version_hides_solutions_and_changes_nothing_else(path: Path, student_dir: Path) -> None:
    source, student = _read(path), _read(student_dir / path.name)
    assert len(student.cells) == len(source.cells), "the student version must keep every cell"
    student_text = "\n".join(c.source for c in student.cells)
    for index, (src, out) in enumerate(zip(source.cells, student.cells)):
        assert out.cell_type == src.cell_type
        if src.cell_type != "code":
            assert out.source == src.source, f"cell {index}: only code cells change"
            continue
        assert out.outputs == [] and out.execution_count is None, f"cell {index}: outputs not cleared"
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert marker not in out.source, f"cell {index}: {marker} left in the student version"
        blocks = solution_blocks(src.source, f"{path.name} cell {index}")
        if not blocks:
            assert out.source == src.source, f"cell {index} has no solution and must not change"
            continue
        assert out.source.count(CODE_STUB[1]) == len(blocks)
        kept = {line.strip() for line in out.source.splitlines()} - set(CODE_STUB)
        for block in blocks:
            body = [line.strip() for line in block if line.strip() and not line.strip().startswith("#")]
            assert body, f"cell {index}: an empty solution block"
            outside = {line.strip() for line in src.source.splitlines()} - set(body)
            leaked = [line for line in body if line in kept and line not in outside]
            assert not leaked, f"cell {index}: solution lines left in the student version: {leaked}"
            assert textwrap.dedent("\n".join(block)).strip() not in student_text


def _synthetic_source() -> nbformat.NotebookNode:
    nb = new_notebook(cells=[
        new_markdown_cell("# 01 · Synthetic\n\n## Summary\n\n## Exercises\n\n### Exercise 1: `twice`"),
        new_code_cell(
            "def twice(x):\n"
            "    if x is None:\n"
            "        ### BEGIN SOLUTION\n"
            "        return 0\n"
            "        ### END SOLUTION\n"
            "    ### BEGIN SOLUTION\n"
            "    return 2 * x\n"
            "    ### END SOLUTION"),
        new_code_cell(
            "assert twice(1) == 2\n"
            "### BEGIN HIDDEN TESTS\n"
            "assert twice(None) == 0\n"
            "### END HIDDEN TESTS\n"
            "print('checked')", execution_count=2,
            outputs=[nbformat.v4.new_output("stream", name="stdout", text="checked\n")]),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def test_student_version_keeps_indentation_and_drops_hidden_tests() -> None:
    source = _synthetic_source()
    before = nbformat.writes(source)
    student = student_notebook(source, "synthetic")
    assert nbformat.writes(source) == before, "the source notebook must not be modified"
    assert student.cells[1].source == (
        "def twice(x):\n"
        "    if x is None:\n"
        "        # YOUR CODE HERE\n"
        "        raise NotImplementedError()\n"
        "    # YOUR CODE HERE\n"
        "    raise NotImplementedError()")
    assert student.cells[2].source == "assert twice(1) == 2\nprint('checked')"
    assert student.cells[2].outputs == [] and student.cells[2].execution_count is None


@pytest.mark.parametrize(("cell", "message"), [
    (new_code_cell("### BEGIN SOLUTION\nx = 1"), "without"),
    (new_code_cell("x = 1\n### END SOLUTION"), "without"),
    (new_code_cell("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION"), "nested"),
    (new_code_cell("x = 1  ### BEGIN SOLUTION\n### END SOLUTION"), "alone on its line"),
    (new_markdown_cell("Write the code after `### BEGIN SOLUTION`."), "markdown cell"),
    (new_markdown_cell("Solutions sit between BEGIN SOLUTION and the end marker."), "reword"),
])
def test_bad_markers_are_refused_with_the_cell_named(cell: nbformat.NotebookNode, message: str) -> None:
    with pytest.raises(ValueError, match=rf"^bad\.ipynb cell 0: .*{message}"):
        student_notebook(new_notebook(cells=[cell]), "bad.ipynb")


# --------------------------------------------------------------------------- exercise conventions


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=_ids(WITH_EXERCISES))
def test_every_exercise_has_a_hint_and_a_checker_cell(path: Path) -> None:
    nb = _read(path)
    exercises = find_exercises(nb)
    checkers = _checkers()
    solution_cells = [i for i, c in enumerate(nb.cells) if has_solution(c)]
    assigned = [i for ex in exercises for i in ex.solution_cells]
    assert assigned == solution_cells, (
        f"{path.name}: exercise cells {sorted(set(solution_cells) - set(assigned))} sit under no "
        "'### Exercise N: ...' heading")
    for ex in exercises:
        assert ex.solution_cells, f"{path.name} {ex.title}: no cell with a solution block"
        assert ex.hint_cells, (
            f"{path.name} {ex.title}: no hint; add a markdown cell "
            "'<details><summary>Hint</summary>...</details>' after the exercise statement")
        for i in ex.solution_cells:
            after = nb.cells[i + 1] if i + 1 < len(nb.cells) else None
            called = set() if after is None or after.cell_type != "code" else {
                n.func.id for n in ast.walk(ast.parse(after.source))
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id.startswith("check_")}
            assert called, f"{path.name} cell {i}: the cell after an exercise cell must call a check_* function"
            unknown = called - set(checkers)
            assert not unknown, f"{path.name} cell {i + 1}: {unknown} not defined in course_utils.exercises"


def test_every_checker_has_a_test_that_a_wrong_answer_fails() -> None:
    """Each check_* is called inside ``pytest.raises(CheckFailed, match=...)`` in some test file."""
    covered: set[str] = set()
    for test_file in sorted((ROOT / "tests").glob("test_*.py")):
        for node in ast.walk(ast.parse(test_file.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.With):
                continue
            for item in node.items:
                call = item.context_expr
                if (isinstance(call, ast.Call) and getattr(call.func, "attr", None) == "raises"
                        and call.args and getattr(call.args[0], "id", None) == "CheckFailed"
                        and any(k.arg == "match" for k in call.keywords)):
                    # check_x(...) or module.check_x(...)
                    covered |= {n.func.id if isinstance(n.func, ast.Name) else n.func.attr
                                for stmt in node.body for n in ast.walk(stmt)
                                if isinstance(n, ast.Call)
                                and isinstance(n.func, (ast.Name, ast.Attribute))}
    checkers = _checkers()
    assert checkers, "no check_* functions found in course_utils.exercises"
    missing = {name: module for name, module in checkers.items() if name not in covered}
    assert not missing, (
        "checkers without a test that a plausible wrong answer fails "
        f"(`with pytest.raises(CheckFailed, match=...): check_x(wrong)`): {missing}")


# --------------------------------------------------------------------------- running student versions


def _figures() -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (ROOT / "figures").glob("*")}


@pytest.mark.parametrize("path", EXECUTED, ids=_ids(EXECUTED))
def test_student_notebook_fails_only_at_exercises(path: Path, tmp_path: Path) -> None:
    """Errors only in exercise cells (NotImplementedError) and in the checker cell right after
    each (NotImplementedError, or NameError for a name the unfinished exercise cell defines).

    An exercise cell that only defines a function raises nothing itself (the stub is in the
    function's body); then its checker cell must raise the NotImplementedError."""
    figures_before = _figures()
    student_dir = tmp_path / "student"
    write_student_versions(path.parent, student_dir)
    source = _read(path)
    run = execute(_read(student_dir / path.name), student_dir, timeout=240, figures=tmp_path / "figures")
    assert run.stopped_at is None, run.reason
    exercise_cells = {i for i, c in enumerate(source.cells) if has_solution(c)}
    errors = {i: classroom.cell_error(c) for i, c in enumerate(run.nb.cells) if classroom.cell_error(c)}
    for i in exercise_cells:
        raised = {errors.get(i, ("no error",))[0], errors.get(i + 1, ("no error",))[0]}
        assert "NotImplementedError" in raised, (
            f"{path.name} cell {i}: neither the unfinished exercise cell nor its checker cell "
            f"raised NotImplementedError (got {sorted(raised)})")
        if i in errors:
            assert errors[i][0] == "NotImplementedError", (
                f"{path.name} cell {i}: the unfinished exercise cell raised {errors[i][0]}")
    for i, (name, message) in errors.items():
        if i in exercise_cells:
            continue
        assert i - 1 in exercise_cells, f"{path.name} cell {i} (not an exercise) failed: {name}: {message}"
        allowed = name == "NotImplementedError" or (
            name == "NameError" and message.split("'")[1] in _defined_names(source.cells[i - 1].source))
        assert allowed, f"{path.name} cell {i}, after an exercise: unexpected {name}: {message}"
    for ex in find_exercises(run.nb):
        assert classroom.grade_exercise(ex, run)[0] == "unsolved", ex.title
    assert _figures() == figures_before, "a student run wrote into the repository's figures/"


# --------------------------------------------------------------------------- the grading run


def _graded_course(tmp_path: Path) -> Path:
    """A source folder with one two-exercise notebook using the real checkers of notebook 00."""
    cells = [
        new_markdown_cell("# 01 · Two exercises\n\n## Summary\nNothing.\n\n## Exercises\n\n### Exercise 1: `Cube`"),
        new_markdown_cell("<details><summary>Hint</summary>3 x squared.</details>"),
        new_code_cell(
            "import torch\n\n"
            "class Cube(torch.autograd.Function):\n"
            "    ### BEGIN SOLUTION\n"
            "    @staticmethod\n"
            "    def forward(ctx, x):\n"
            "        ctx.save_for_backward(x)\n"
            "        return x**3\n\n"
            "    @staticmethod\n"
            "    def backward(ctx, g):\n"
            "        (x,) = ctx.saved_tensors\n"
            "        return 3 * x**2 * g\n"
            "    ### END SOLUTION"),
        new_code_cell("from course_utils.exercises.start import check_cube, check_reciprocal\n\n"
                      "check_cube(Cube.apply)\n"
                      "### BEGIN HIDDEN TESTS\n"
                      "assert Cube.apply(torch.ones(2)).dtype == torch.float32, 'Cube changed the dtype'\n"
                      "### END HIDDEN TESTS"),
        new_markdown_cell("### Exercise 2: `reciprocal`"),
        new_markdown_cell("<details><summary>Hint</summary>-1/x^2.</details>"),
        new_code_cell(RECIPROCAL_CLASS + "\n\n\ndef reciprocal(x):\n"
                      "    ### BEGIN SOLUTION\n    return Reciprocal.apply(x)\n    ### END SOLUTION"),
        new_code_cell("check_reciprocal(reciprocal)\n"
                      "### BEGIN HIDDEN TESTS\n"
                      "assert reciprocal(torch.tensor(4.0)).item() == 0.25, 'reciprocal(4) is not 0.25'\n"
                      "### END HIDDEN TESTS"),
        new_markdown_cell("## What's next\nNotebook 02."),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    source = tmp_path / "notebooks"
    source.mkdir()
    nbformat.write(nb, source / "01_two_exercises.ipynb")
    return source


def _complete(student: nbformat.NotebookNode, answers: dict[int, str], edits: dict[int, str] | None = None):
    """A copy of ``student`` with the stubs of cells ``answers`` replaced (at 4 spaces) and ``edits`` applied."""
    nb = copy.deepcopy(student)
    stub = "\n".join("    " + line for line in CODE_STUB)
    for index, body in answers.items():
        assert stub in nb.cells[index].source
        nb.cells[index].source = nb.cells[index].source.replace(
            stub, textwrap.indent(textwrap.dedent(body).strip("\n"), "    "))
    for index, text in (edits or {}).items():
        nb.cells[index].source = text
    return nb


CUBE_RIGHT = """
@staticmethod
def forward(ctx, x):
    ctx.save_for_backward(x)
    return x * x * x

@staticmethod
def backward(ctx, g):
    (x,) = ctx.saved_tensors
    return g * 3 * x * x
"""
RECIPROCAL_CLASS = """class Reciprocal(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = 1 / x
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return -g * y * y"""
# Right at the checker's points (4 is not among them) and saving its result: only the hidden test fails.
RECIPROCAL_WRONG_AT_4 = RECIPROCAL_CLASS.replace("y = 1 / x", "y = torch.where(x == 4, 0.0, 1 / x)") + """

return Reciprocal.apply(x)"""
CUBE_WRONG = CUBE_RIGHT.replace("g * 3 * x * x", "g * x * x")  # forgot the factor 3
CUBE_LOOPS = "import time\n\nwhile True:  # never ends\n    time.sleep(0.1)"


def test_grading_run_reports_every_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _graded_course(tmp_path)
    classroom.main(["student", "--source", str(source), "--out", str(tmp_path / "student")])
    student = _read(tmp_path / "student" / "01_two_exercises.ipynb")
    assert "BEGIN HIDDEN" not in student.cells[7].source
    submissions = {
        # Cube right; reciprocal passes the visible check but not the instructor's hidden test
        "alice": _complete(student, {2: CUBE_RIGHT, 6: RECIPROCAL_WRONG_AT_4}),
        # Cube wrong; reciprocal not done, and its checker cell edited to print a fake success
        "bob": _complete(student, {2: CUBE_WRONG}, edits={7: "print('correct: trust me')"}),
    }
    for who, nb in submissions.items():
        (tmp_path / "submissions" / who).mkdir(parents=True)
        nbformat.write(nb, tmp_path / "submissions" / who / "01_two_exercises.ipynb")
    capsys.readouterr()

    table = tmp_path / "out" / "grades.csv"
    assert classroom.main(["grade", str(tmp_path / "submissions"), "--source", str(source),
                           "--csv", str(table), "--timeout", "200"]) == 0
    printed = capsys.readouterr().out
    with table.open(encoding="utf-8") as f:
        rows = [(r["student_file"], r["notebook"], r["exercise"], r["status"], r["message"])
                for r in csv.DictReader(f)]
    one, two = "Exercise 1: `Cube`", "Exercise 2: `reciprocal`"
    expected = [
        ("alice", one, "pass", "correct: Cube matches x**3 in value and gradient at 7 points"),
        ("alice", two, "fail", "AssertionError: reciprocal(4) is not 0.25"),
        ("bob", one, "fail", "CheckFailed: grad of x: 6 of 7 values differ"),
        ("bob", two, "unsolved", "NotImplementedError"),
    ]
    assert len(rows) == len(expected)
    for row, (who, exercise, status, message) in zip(rows, expected):
        assert row[:4] == (f"{who}/01_two_exercises.ipynb", "01_two_exercises.ipynb", exercise, status), row
        assert row[4].startswith(message), row
    assert re.search(r"\nalice/01_two_exercises.ipynb +Exercise 1: `Cube` +pass +correct: Cube", printed)
    assert "total: 1 pass, 2 fail, 1 unsolved" in printed

    # A notebook that never ends is stopped at its per-notebook timeout: its cell 2 (the loop)
    # is the first code cell, so the verdict does not depend on the machine's speed. Graded
    # two at a time, next to a notebook that kills its kernel and a file that is no notebook.
    more = tmp_path / "more"
    for who in ("carol", "frank", "gina"):
        (more / who).mkdir(parents=True)
    nbformat.write(_complete(student, {2: CUBE_LOOPS, 6: "return 1 / x"}), more / "carol" / "01_two_exercises.ipynb")
    (more / "frank" / "01_two_exercises.ipynb").write_text("{not json")
    nbformat.write(_complete(student, {}, edits={2: "import os\n\nos._exit(1)"}), more / "gina" / "01_two_exercises.ipynb")
    graded = classroom.grade_folder(more, source, timeout=8, jobs=2)
    assert [(g.student_file.split("/")[0], g.exercise, g.status, g.message) for g in graded] == [
        ("carol", one, "timeout", "timeout: notebook ran past 8 s (cell 2)"),
        ("carol", two, "not run", "not reached: timeout: notebook ran past 8 s (cell 2)"),
        ("frank", one, "error", graded[2].message),
        ("frank", two, "error", graded[2].message),
        ("gina", one, "error", "crash: the kernel died in cell 2"),
        ("gina", two, "not run", "not reached: crash: the kernel died in cell 2"),
    ]
    assert graded[2].message.startswith("unreadable notebook: ")


def _ran(cells: list[tuple[str, list]]) -> nbformat.NotebookNode:
    """A notebook as if executed: (source, outputs) per cell; "md:" sources are markdown."""
    nb = new_notebook()
    for source, outputs in cells:
        if source.startswith("md:"):
            nb.cells.append(new_markdown_cell(source[3:]))
        else:
            nb.cells.append(new_code_cell(source, outputs=outputs))
    return nb


def _out(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def _err(name: str, value: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("error", ename=name, evalue=value, traceback=[])


@pytest.mark.parametrize(("answer", "check", "stopped", "expected"), [
    ([], [_out("correct: fine\n")], None, ("pass", "correct: fine")),
    ([], [_out("checked\n")], None, ("fail", "no 'correct: ...' line printed by checker cell 3")),
    ([], [_err("CheckFailed", "output: 1 of 3 values differ")], None,
     ("fail", "CheckFailed: output: 1 of 3 values differ")),
    ([], [_err("AssertionError", "hidden")], None, ("fail", "AssertionError: hidden")),
    ([_err("AssertionError", "own")], [], None, ("error", "AssertionError: own (cell 2)")),
    ([_err("NotImplementedError", "")], [_err("NameError", "name 'f' is not defined")], None,
     ("unsolved", "NotImplementedError")),
    ([_err("SyntaxError", "invalid syntax")], [], None, ("error", "SyntaxError: invalid syntax (cell 2)")),
    ([], [], (2, "timeout: notebook ran past 9 s (cell 2)"), ("timeout", "timeout: notebook ran past 9 s")),
    ([], [], (3, "crash: the kernel died in cell 3"), ("error", "crash: the kernel died in cell 3")),
    ([], [], (0, "timeout: notebook ran past 9 s (cell 0)"), ("not run", "not reached: timeout")),
])
def test_grade_exercise_verdicts(answer, check, stopped, expected) -> None:  # noqa: ANN001
    nb = _ran([("import math", []), ("md:### Exercise 1: f", []), ("def f():\n    return 1", answer),
               ("check_f(f)", check), ("md:## What's next", [])])
    (ex,) = find_exercises(nb)
    assert (ex.heading_cell, ex.end_cell, ex.check_cells) == (1, 4, [3])
    run = classroom.Execution(nb, *(stopped or (None, "")))
    status, message = classroom.grade_exercise(ex, run)
    assert status == expected[0] and expected[1] in message, (status, message)


def test_an_exercise_without_checker_cell_fails() -> None:
    (ex,) = find_exercises(_ran([("md:### Exercise 1: f", []), ("f = 1", [])]))
    assert classroom.grade_exercise(ex, classroom.Execution(new_notebook())) == (
        "fail", "no cell calls a check_* function for this exercise")


# --------------------------------------------------------------------------- full nbgrader


def test_nbgrader_export_marks_answer_and_test_cells(tmp_path: Path) -> None:
    source = _graded_course(tmp_path)
    assert classroom.main(["nbgrader", str(tmp_path / "course"), "--source", str(source)]) == 0
    written = tmp_path / "course" / "source" / "01_two_exercises" / "01_two_exercises.ipynb"
    nb, original = _read(written), _read(source / "01_two_exercises.ipynb")
    assert [c.source for c in nb.cells] == [c.source for c in original.cells], "sources must not change"
    marked = {i: c.metadata["nbgrader"] for i, c in enumerate(nb.cells) if "nbgrader" in c.metadata}
    assert sorted(marked) == [2, 3, 6, 7]
    for i in (2, 6):
        assert marked[i]["solution"] is True and marked[i]["grade"] is False and not marked[i]["locked"]
    for i in (3, 7):
        assert marked[i]["grade"] is True and marked[i]["points"] == 1 and marked[i]["locked"] is True
    ids = [m["grade_id"] for m in marked.values()]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"[A-Za-z0-9_\-]+", g) for g in ids)
    assert {m["schema_version"] for m in marked.values()} == {3}
