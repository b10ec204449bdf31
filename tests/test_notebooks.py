"""Hygiene of the committed notebooks (their execution is tested by nbval)."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
from course_utils.notebooks import course_notebooks  # noqa: E402  (the one list of the course's notebooks)

NOTEBOOKS = course_notebooks()
MAX_BYTES = 1_000_000
LEAK = re.compile(r"/work/|/tmp/|/root/|/home/[a-z]|/Users/|[A-Z]:\\\\|0x[0-9a-fA-F]{8,}")
# Headings allowed after "## Summary": the end matter of every notebook.
END_MATTER = re.compile(r"^#+\s*(Summary|Exercises?\b.*|Hints?\b.*|What's next.*|Next\b.*)$", re.I)


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def test_notebooks_exist_and_are_named_in_order() -> None:
    assert NOTEBOOKS, "no notebooks found in notebooks/"
    for path in NOTEBOOKS:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), (
            f"{path.name}: notebooks are named NN_slug.ipynb (two digits, lowercase slug)"
        )
    numbers = [p.name[:2] for p in NOTEBOOKS]
    assert len(set(numbers)) == len(numbers), f"two notebooks share a number: {numbers}"


def test_readme_lists_every_notebook_in_order() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = []
    for name in re.findall(r"notebooks/(\d\d_[a-z0-9_]+\.ipynb)", readme):
        if name not in listed:
            listed.append(name)
    assert listed == [p.name for p in NOTEBOOKS], (
        "README's notebook list must name every notebook, in order:\n"
        f"  README: {listed}\n  on disk: {[p.name for p in NOTEBOOKS]}"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
class TestNotebook:
    def test_valid_small_python3(self, path: Path) -> None:
        assert path.stat().st_size < MAX_BYTES, f"{path.name} is over 1 MB: shrink its figures or outputs"
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert nb.metadata.get("kernelspec", {}).get("name") == "python3", "kernelspec must be python3"

    def test_executed_top_to_bottom_without_errors(self, path: Path) -> None:
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
        counts = [c.execution_count for c in code]
        assert counts == list(range(1, len(code) + 1)), (
            f"{path.name}: execution counts {counts} are not 1..{len(code)}: "
            "run it with ./course run (a fresh kernel, top to bottom)"
        )
        assert any(c.outputs for c in code), f"{path.name}: no stored outputs"
        for i, cell in enumerate(nb.cells):
            for out in cell.get("outputs", []):
                assert out.output_type != "error", f"{path.name} cell {i}: stored error output"
                text = json.dumps(out.get("text", "")) + json.dumps(
                    {k: v for k, v in out.get("data", {}).items() if k.startswith("text/")})
                leak = LEAK.search(text)
                assert not leak, f"{path.name} cell {i}: output shows {leak.group(0)!r} (a path or address)"

    def test_structure(self, path: Path) -> None:
        nb = nbformat.read(path, as_version=4)
        first = nb.cells[0]
        assert first.cell_type == "markdown" and first.source.startswith("# "), (
            f"{path.name}: the first cell is a markdown title ('# ...')")
        for part in ("Estimated time", "Objectives", "Prerequisites"):
            assert part in first.source, f"{path.name}: the first cell must state '{part}'"
        headings = [
            line.strip()
            for cell in nb.cells if cell.cell_type == "markdown"
            for line in cell.source.splitlines() if line.startswith("#")
        ]
        summary = [i for i, h in enumerate(headings) if re.match(r"^##\s*Summary\s*$", h)]
        assert summary, f"{path.name}: no '## Summary' section"
        after = [h for h in headings[summary[-1]:] if not END_MATTER.match(h)]
        assert not after, (
            f"{path.name}: only the summary, exercises, hints and what's next come after "
            f"'## Summary'; found {after}")


# -- no wall-clock assertion in a notebook --------------------------------------------------
# A time depends on the machine and its load: timing lives in benchmarks/, never in an assert.
_TIMER_MODULES = {"time", "timeit"}
_TIMER_FUNCTIONS = {
    "perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns", "process_time",
    "process_time_ns", "thread_time", "default_timer", "elapsed_time", "blocked_autorange",
    "adaptive_autorange",
}


def _is_timer_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr in _TIMER_FUNCTIONS or (
            isinstance(func.value, ast.Name) and func.value.id in _TIMER_MODULES)
    return isinstance(func, ast.Name) and func.id in _TIMER_FUNCTIONS


def _uses_time(node: ast.AST, tainted: set[str]) -> bool:
    return any(_is_timer_call(n) or (isinstance(n, ast.Name) and n.id in tainted)
               for n in ast.walk(node))


def _targets(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def timed_assertions(sources: list[str]) -> list[str]:
    """The asserts (and ``if ...: raise``) of a notebook's code cells that test a time.

    A name is timed when it is bound from a timer call (``time.perf_counter()``, ...) or
    from an expression using a timed name, and a function is timed when its body uses one;
    names carry over from cell to cell, in order.
    """
    tainted: set[str] = set()
    found = []
    for i, source in enumerate(sources):
        code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        changed = True
        while changed:  # propagate until nothing new is timed
            changed = False
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    new = {node.name} if _uses_time(node, tainted - {node.name}) else set()
                elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.value is not None:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    new = set().union(*map(_targets, targets)) if _uses_time(node.value, tainted) else set()
                elif isinstance(node, (ast.For, ast.comprehension)):
                    new = _targets(node.target) if _uses_time(node.iter, tainted) else set()
                elif isinstance(node, ast.NamedExpr):
                    new = {node.target.id} if _uses_time(node.value, tainted) else set()
                else:
                    continue
                if new - tainted:
                    tainted |= new
                    changed = True
        for node in ast.walk(tree):
            test = None
            if isinstance(node, ast.Assert):
                test = node.test
            elif isinstance(node, ast.If) and any(isinstance(n, ast.Raise) for n in node.body):
                test = node.test
            if test is not None and _uses_time(test, tainted):
                found.append(f"cell {i}, line {node.lineno}: {ast.unparse(test)}")
    return found


def test_timed_assertions_are_detected() -> None:
    timed = [
        "import time\ndef best(fn):\n    t0 = time.perf_counter()\n    fn()\n    return time.perf_counter() - t0",
        "times = {k: best(f) for k, f in fns.items()}\nassert times['a'] > times['b']",
        "start = time.perf_counter()\nrun()\nseconds = time.perf_counter() - start\nassert seconds < 60, seconds",
        "if seconds > 60:\n    raise RuntimeError('too slow')",
        "from timeit import default_timer\nt = default_timer()\nassert t",
    ]
    assert len(timed_assertions(timed)) == 4  # cells 1 to 4; cell 4 defines its own timer
    assert timed_assertions(["x = 2\nassert x.repeat(3) is not None", "assert len(times) == 3"]) == []


def _code_sources(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_no_assertion_on_a_time_measurement(path: Path) -> None:
    found = timed_assertions(_code_sources(path))
    assert not found, (
        f"{path.name} asserts on a wall-clock time, which fails on a loaded machine; timing "
        f"lives in benchmarks/ (code-cell indices): {found}")


# -- every constraint an exercise states is enforced by its checker ---------------------------
# For each exercise of notebooks 00-06 whose statement names a constraint beyond "compute this":
# the phrase that names it, and the test in which a solution violating only that constraint
# fails its checker (inside pytest.raises(CheckFailed, match=...)).
CONSTRAINTS = {
    ("00", 2): [("saves the **result**", "test_exercises_start.py", "test_reciprocal_must_save_the_result")],
    ("01", 1): [("saves the **output**", "test_exercises_part1.py", "test_tanh_must_save_the_result")],
    ("01", 3): [("Python float `alpha`", "test_exercises_part1.py", "test_scaled_add")],
    ("02", 2): [("without autograd", "test_exercises_part1.py", "test_fit_gradients")],
    ("04", 1): [("gradients for **both** inputs", "test_exercises_part1.py", "test_huber")],
    ("04", 2): [("stays finite and exact", "test_exercises_part1.py", "test_softplus")],
    ("05", 1): [("saves **only `x`**", "test_exercises_part1.py", "test_mish")],
    ("05", 2): [("saves only `x`", "test_exercises_part1.py", "test_gelu_tanh")],
    ("06", 1): [("bounds included", "test_exercises_part1.py",
                 "test_vmappable_clamp_passes_the_gradient_at_both_bounds"),
                ("in the `setup_context` style", "test_exercises_part1.py", "test_vmappable_clamp")],
    ("06", 2): [("second derivative is right", "test_exercises_part1.py", "test_twice_differentiable_sin")],
}
# Words that announce a constraint: a statement using one must be listed above.
CONSTRAINT_WORDS = re.compile(
    r"\b(only|saves?|saved|without|both|must|strictly|bounds?|style|finite|exact|twice|in place|never)\b",
    re.I)
PART_ONE = [p for p in NOTEBOOKS if p.name[:2] <= "06"]


def _statements(path: Path) -> dict[int, str]:
    """Exercise number -> its statement (from its heading to the end of the markdown cell)."""
    nb = nbformat.read(path, as_version=4)
    found = {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for m in re.finditer(r"^### Exercise (\d+):", cell.source, re.M):
                found[int(m.group(1))] = " ".join(cell.source[m.start():].split())
    return found


@pytest.mark.parametrize("path", PART_ONE, ids=_ids(PART_ONE))
def test_stated_constraints_are_enforced(path: Path) -> None:
    number = path.name[:2]
    for exercise, statement in _statements(path).items():
        listed = CONSTRAINTS.get((number, exercise), [])
        words = CONSTRAINT_WORDS.findall(statement)
        assert listed or not words, (
            f"{path.name} exercise {exercise} states a constraint ({words}): list it in CONSTRAINTS "
            "with a test in which a solution violating only that constraint fails its checker")
        for phrase, test_file, test_name in listed:
            assert " ".join(phrase.split()) in statement, (
                f"{path.name} exercise {exercise}: the statement no longer says {phrase!r}")
            tree = ast.parse((ROOT / "tests" / test_file).read_text(encoding="utf-8"))
            tests = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
            assert test_name in tests, f"{test_file} has no {test_name}"
            body = ast.unparse(tests[test_name])
            assert "pytest.raises(CheckFailed, match=" in body, (
                f"{test_file}::{test_name} must show a violating solution failing with "
                "pytest.raises(CheckFailed, match=...)")
    for (nb_number, exercise) in CONSTRAINTS:
        if nb_number == number:
            assert exercise in _statements(path), f"{path.name} has no exercise {exercise}"
