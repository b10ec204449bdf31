import pytest

from course_utils import expect_error


def test_expect_error_prints_type_and_first_line(capsys: pytest.CaptureFixture[str]) -> None:
    with expect_error(ValueError, match="bad") as caught:
        raise ValueError("bad value\nsecond line")
    assert capsys.readouterr().out == "ValueError: bad value\n"
    assert isinstance(caught.value, ValueError) and caught.first_line == "bad value"


def test_expect_error_fails_when_nothing_is_raised() -> None:
    with pytest.raises(AssertionError, match="expected ValueError, but no error was raised"):
        with expect_error(ValueError):
            pass


def test_expect_error_lets_another_error_through() -> None:
    with pytest.raises(KeyError):
        with expect_error(ValueError):
            raise KeyError("k")


def test_expect_error_fails_on_a_message_that_does_not_match() -> None:
    with pytest.raises(AssertionError, match="matching 'shape'"):
        with expect_error(RuntimeError, match="shape"):
            raise RuntimeError("dtype mismatch")


def test_expect_error_tuple_cut_and_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    with expect_error((TypeError, ValueError), cut=": ["):
        raise TypeError("wrong type: [torch.FloatTensor]")
    with expect_error(TypeError, show=False):
        raise TypeError("silent")
    assert capsys.readouterr().out == "TypeError: wrong type\n"


def test_expect_error_rejects_a_kind_that_is_not_an_exception() -> None:
    with pytest.raises(TypeError, match="exception type"):
        with expect_error("ValueError"):  # type: ignore[arg-type]
            pass
