"""Docstrings a newcomer can skim: a one-line summary everywhere, runnable ``Examples``.

- Every public module, class, function and method of ``course_utils`` has a docstring
  whose first line is a summary on its own (a blank line, or nothing, follows).
- The public functions and classes of the modules in ``WITH_EXAMPLES`` end with an
  ``Examples`` section, and the doctests of every module run and pass (``SKIPPED``
  names the examples that need TensorFlow or Sionna, which their own tests cover).
"""
from __future__ import annotations

import ast
import doctest
import importlib
import inspect
import pkgutil
from pathlib import Path
from types import ModuleType

import pytest

import course_utils

# A ``__main__`` module runs its command when imported: test_main_modules reads its docstring instead.
MODULES = ["course_utils", *(m.name for m in pkgutil.walk_packages(course_utils.__path__, "course_utils.")
                             if not m.name.endswith(".__main__"))]
WITH_EXAMPLES = [f"course_utils.{name}" for name in (
    "functions", "binarize", "gumbel", "env", "plotting", "benchmarks",
    *(f"channels.{m}" for m in ("formulas", "checks", "config", "modules", "faithful", "fast",
                                "chunked", "whole_tensor", "logistic_math", "sionna")))]
# Examples marked "# doctest: +SKIP", with the reason: each is run by the test named.
SKIPPED = {
    "course_utils.channels.sionna.feed_sionna_uniforms": "imports Sionna (tests/test_channels_sionna.py)",
    "course_utils.env.import_tensorflow": "imports TensorFlow (tests/test_env.py)",
}


def _public(module: ModuleType) -> list[tuple[str, object]]:
    """The public functions and classes defined in ``module``, and the public methods of those classes."""
    found = []
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(obj) or inspect.isclass(obj):
            found.append((f"{module.__name__}.{name}", obj))
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                function = getattr(member, "__func__", member)
                if not attr.startswith("_") and inspect.isfunction(function):
                    found.append((f"{module.__name__}.{name}.{attr}", function))
    return found


def _summary_problem(doc: str | None) -> str | None:
    """What is wrong with the start of ``doc`` (``None`` when it starts with a one-line summary)."""
    if not doc or not doc.strip():
        return "no docstring"
    lines = inspect.cleandoc(doc).splitlines()
    if not lines[0].strip():
        return "the first line is empty"
    if len(lines) > 1 and lines[1].strip():
        return f"the summary runs over two lines: {lines[0].strip()!r} / {lines[1].strip()!r}"
    return None


def test_the_summary_check_can_fail() -> None:
    assert _summary_problem("One line.\n\n    More.\n    ") is None
    assert _summary_problem(None) == "no docstring"
    assert _summary_problem("\n\n    Text") is None  # cleandoc drops leading blank lines
    assert "two lines" in _summary_problem("A summary that\n    goes on.")


@pytest.mark.parametrize("name", MODULES)
def test_every_public_object_starts_with_a_one_line_summary(name: str) -> None:
    module = importlib.import_module(name)
    problems = {name: _summary_problem(module.__doc__)}
    for qualname, obj in _public(module):
        # a method without a docstring of its own inherits its base's (e.g. forward)
        problems[qualname] = _summary_problem(inspect.getdoc(obj))
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_public_functions_and_classes_have_examples(name: str) -> None:
    module = importlib.import_module(name)
    missing = [qualname for qualname, obj in _public(module)
               if qualname.count(".") == name.count(".") + 1  # functions and classes, not methods
               and "\nExamples\n--------\n" not in inspect.getdoc(obj)]
    assert not missing, f"no 'Examples' section at the end of: {missing}"


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    tests = [t for t in doctest.DocTestFinder().find(module) if t.examples]
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    for test in tests:
        skips = [e for e in test.examples if e.options.get(doctest.SKIP)]
        if skips:
            assert test.name in SKIPPED, f"{test.name}: examples skipped without a reason in SKIPPED"
        runner.run(test, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(report)
    if name in WITH_EXAMPLES:
        assert result.attempted > 0, f"{name}: no example ran"


def test_main_modules_start_with_a_one_line_summary() -> None:
    mains = sorted(Path(course_utils.__file__).parent.rglob("__main__.py"))
    assert mains, "no __main__ module found: the filter in MODULES is stale"
    for path in mains:
        assert _summary_problem(ast.get_docstring(ast.parse(path.read_text()))) is None, path
