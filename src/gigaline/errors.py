"""The one exception family of gigaline.

Every error gigaline raises on purpose derives from :class:`GigalineError`: a user's mistake
(a line file, an event, a command-line value, an API request) or a state the data does not
allow (a unit not in the store, a schema too old). The CLI prints them without a traceback and
exits with :attr:`GigalineError.exit_code` (2); the API (coming) maps them to HTTP status
codes. Errors about one value carry it in structured form (:class:`FieldError`: the field, the
value given and what is allowed), so that each front end can name the field in its own words
(the CLI names its flag, the API its JSON field).

This module imports nothing heavy: the event contract (:mod:`gigaline.events`) builds on it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "FieldError",
    "GigalineError",
    "LineFileError",
    "NotFoundError",
    "Problem",
    "shorten",
]


def shorten(value: object, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters (ending in ``...``) for error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class GigalineError(Exception):
    """Base class of every error gigaline raises on purpose."""

    exit_code = 2


class FieldError(GigalineError, ValueError):
    """A value that is not allowed: names the ``field``, the ``value`` given and what is allowed.

    ``str(err)`` reads ``"<field> <value>: <allowed>"``; :meth:`message_for` gives the same
    message under another name of the field (a command-line flag, a JSON path). Also a
    ``ValueError``, for callers that catch that.
    """

    def __init__(self, field: str, value: object, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(self.message_for(field))

    def message_for(self, name: str) -> str:
        """The message with the field called ``name`` (the value left out where it is None)."""
        if self.value is None:
            return f"{name}: {self.allowed}"
        return f"{name} {shorten(self.value)}: {self.allowed}"


class NotFoundError(FieldError):
    """A name that should refer to something stored (a unit, a lot, a step, a hold) and does not.

    ``str(err)`` reads ``"no <what> <value> in the store"`` (plus what there is, if given).
    """

    def __init__(self, field: str, value: object, what: str, known: str = "") -> None:
        self.what = what
        self.known = known
        super().__init__(field, value, f"no such {what} in the store")

    def message_for(self, name: str) -> str:
        tail = f"; {self.known}" if self.known else ""
        return f"no {self.what} {shorten(self.value)} in the store{tail}"


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file: where, what was given, and what is allowed."""

    file: str
    line: int | None
    field: str
    value: object
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field = self.field or "(top level)"
        return f"{where}: {field}: {self.message} (got {shorten(self.value)})"


class LineFileError(GigalineError):
    """A line file that cannot be loaded; carries one :class:`Problem` per mistake found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        n = len(problems)
        head = f"{n} problem{'s' if n != 1 else ''} in line file"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in problems))
