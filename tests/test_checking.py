import math

import pytest
import torch

from course_utils import CheckFailed, check_function, compare


def test_compare_reports_exact_close_and_max_diff(capsys: pytest.CaptureFixture[str]) -> None:
    a = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    r = compare("same", a, a.clone())
    assert (r.exact, r.close, r.max_abs_diff, r.problem) == (True, True, 0.0, None)
    assert "same" in capsys.readouterr().out
    r = compare("close", a, a + 1e-9, verbose=False)
    assert (r.exact, r.close) == (False, True)
    assert math.isclose(r.max_abs_diff, 1e-9, rel_tol=1e-3)


def test_compare_check_names_the_worst_position_and_input() -> None:
    x = torch.tensor([[0.5, -1.0], [2.0, 3.0]])
    ours = torch.tensor([[1.0, 1.0], [1.0, 9.0]])
    ref = torch.ones(2, 2)
    with pytest.raises(CheckFailed) as err:
        compare("grad of x", ours, ref, check=True, verbose=False, inputs=x)
    msg = str(err.value)
    assert "grad of x" in msg and "index [1, 1]" in msg and "input 3" in msg
    assert "yours 9" in msg and "expected 1" in msg and "max abs difference 8" in msg


@pytest.mark.parametrize(
    ("ours", "ref", "fragment"),
    [
        (None, torch.ones(2), "got None"),
        (torch.ones(2), None, "expected None"),
        (torch.ones(3), torch.ones(2), "shape (3,) but expected (2,)"),
        (torch.tensor([float("nan")]), torch.tensor([1.0]), "yours nan"),
    ],
)
def test_compare_mismatch_kinds(ours, ref, fragment: str) -> None:
    with pytest.raises(CheckFailed, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        compare("g", ours, ref, check=True, verbose=False)


def test_compare_two_nones_is_a_match() -> None:
    assert compare("g", None, None, verbose=False).close


def test_compare_reports_an_infinite_difference_as_inf() -> None:
    """An infinity against a finite value differs by inf, not by the largest float; equal ones by 0."""
    inf = float("inf")
    r = compare("g", torch.tensor([inf, 1.0]), torch.tensor([1.0, 1.0]), verbose=False)
    assert (r.close, r.max_abs_diff) == (False, inf)
    r = compare("g", torch.tensor([-inf, 1.0]), torch.tensor([-inf, 1.5]), verbose=False)
    assert (r.exact, r.max_abs_diff) == (False, 0.5)


class Square(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 2 * x * grad_output


class WrongSquare(Square):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return x * grad_output  # forgot the factor 2


def test_check_function_accepts_a_correct_function() -> None:
    check_function(Square.apply, lambda x: x**2, [torch.linspace(-2, 2, 5, dtype=torch.float64)])


def test_check_function_names_the_wrong_gradient() -> None:
    x = torch.linspace(-2, 2, 5, dtype=torch.float64)
    with pytest.raises(CheckFailed, match=r"grad of x: .* at index \[0\] \(input -2\): yours -2, expected -4"):
        check_function(WrongSquare.apply, lambda x: x**2, [x], names=["x"])


def test_check_function_reports_a_wrong_output_and_a_crash() -> None:
    x = torch.linspace(-2, 2, 5, dtype=torch.float64)
    with pytest.raises(CheckFailed, match="output: "):
        check_function(lambda t: t**3, lambda t: t**2, [x])
    with pytest.raises(CheckFailed, match="raised ZeroDivisionError"):
        check_function(lambda t: 1 / 0, lambda t: t**2, [x])
    with pytest.raises(CheckFailed, match="detached"):
        check_function(lambda t: (t**2).detach(), lambda t: t**2, [x])


class SquareIgnoringUpstream(Square):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 2 * x


def test_check_function_catches_a_backward_that_ignores_grad_output() -> None:
    x = torch.linspace(-2, 2, 5, dtype=torch.float64)
    with pytest.raises(CheckFailed, match="does backward multiply by grad_output"):
        check_function(SquareIgnoringUpstream.apply, lambda x: x**2, [x])


def test_check_function_lets_not_implemented_through() -> None:
    def todo(x):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        check_function(todo, lambda t: t, [torch.ones(2, dtype=torch.float64)])


def test_check_function_passes_integer_inputs_through() -> None:
    logits = torch.randn(4, 3, dtype=torch.float64)
    target = torch.tensor([0, 2, 1, 1])
    ce = torch.nn.functional.cross_entropy
    check_function(ce, ce, [logits, target], names=["logits", "target"])


def test_call_answer_passes_not_implemented_and_wraps_other_errors() -> None:
    from course_utils import call_answer

    assert call_answer(lambda a, b: a + b, 1, 2) == 3

    def todo():
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        call_answer(todo)
    with pytest.raises(CheckFailed, match=r"^on row 3, calling your function raised KeyError: 'k'$"):
        call_answer(lambda: {}["k"], context="on row 3, ")


def test_check_saves_result_names_what_is_saved() -> None:
    from course_utils.checking import check_saves_result
    from course_utils.functions import Exp

    x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    check_saves_result(Exp.apply, x, what="Exp")

    class SavesNothing(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, g):
            return 2 * g

    class SavesSomethingElse(SavesNothing):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x.sum())
            return 2 * x

    with pytest.raises(CheckFailed, match=r"^Twice must save only its result y .*; it saves nothing$"):
        check_saves_result(SavesNothing.apply, x, what="Twice")
    with pytest.raises(CheckFailed, match=r"it saves a tensor of shape \[\] that is neither x nor y$"):
        check_saves_result(SavesSomethingElse.apply, x, what="Twice")
    with pytest.raises(CheckFailed, match="calling your function raised ZeroDivisionError"):
        check_saves_result(lambda t: 1 // 0, x, what="Broken")


@pytest.mark.parametrize("message,line", [("", ""), ("one", "one"), ("first\nsecond", "first"),
                                          ("\nafter a newline", "")])
def test_first_line_and_error_summary(message: str, line: str) -> None:
    """A checker reports an error it caught by its type and the first line of its message only."""
    from course_utils.checking import error_summary, first_line

    assert first_line(ValueError(message)) == line
    assert error_summary(ValueError(message)) == f"ValueError: {line}"
    assert error_summary(CheckFailed(message)) == f"CheckFailed: {line}"
