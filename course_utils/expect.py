"""Triggering an error on purpose: a cell that shows an error fails if the error does not occur.

Taught in notebook 00 and used by every cell that demonstrates a pitfall. A bare
``try: ... except SomeError: print(...)`` passes silently when the error stops
happening (a fixed bug in PyTorch, a changed message); :func:`expect_error` turns
that into a failure, like :func:`pytest.raises` does in a test.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .checking import first_line


@dataclass
class CaughtError:
    """What :func:`expect_error` caught: the exception (``None`` until the block ends)."""

    value: BaseException | None = None

    @property
    def first_line(self) -> str:
        """The first line of the exception's message."""
        return "" if self.value is None else first_line(self.value)


@contextmanager
def expect_error(
    kind: type[BaseException] | tuple[type[BaseException], ...],
    match: str | None = None,
    *,
    show: bool = True,
    cut: str | None = None,
) -> Iterator[CaughtError]:
    """Run a block that must raise ``kind``; fail with ``AssertionError`` if it does not.

    Parameters
    ----------
    kind : exception type or tuple of types
        The error the block must raise. Any other exception propagates unchanged.
    match : str, optional
        A regular expression that must be found (``re.search``) in the message.
    show : bool
        Print ``TypeName: first line of the message`` when the error occurs.
    cut : str, optional
        Print the first line only up to this text (for messages whose tail differs
        between machines, such as tensor type names).

    Output
    ------
    CaughtError
        Its ``value`` is the exception once the block has ended.

    Examples
    --------
    >>> with expect_error(ZeroDivisionError, match="division"):
    ...     1 / 0
    ZeroDivisionError: division by zero
    >>> with expect_error(ValueError):
    ...     pass
    Traceback (most recent call last):
        ...
    AssertionError: expected ValueError, but no error was raised
    """
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not kinds or not all(isinstance(k, type) and issubclass(k, BaseException) for k in kinds):
        raise TypeError(f"kind must be an exception type or a tuple of them, got {kind!r}")
    names = " or ".join(k.__name__ for k in kinds)
    caught = CaughtError()
    try:
        yield caught
    except kinds as err:
        caught.value = err
        if match is not None and not re.search(match, str(err)):
            raise AssertionError(
                f"expected {names} matching {match!r}, but the message was: {err}") from err
        if show:
            line = caught.first_line
            if cut is not None:
                line = line.split(cut)[0]
            print(f"{type(err).__name__}: {line}")
    else:
        raise AssertionError(f"expected {names}, but no error was raised")
