"""The Examples blocks of the classroom package, the notebook list and the assignment command run as written."""
from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["course_utils.notebooks", "course_utils.assignment", "course_utils.classroom",
           *(f"course_utils.classroom.{m}" for m in
             ("find", "student", "runner", "grading", "judge", "pristine", "report", "nbgrader", "cli"))]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no Examples block"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {name} failed"
