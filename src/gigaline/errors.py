"""The one exception family of gigaline.

Every error a user can cause derives from :class:`GigalineError`. The CLI prints them without a
traceback and exits with status 2; the API maps them to HTTP status codes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GigalineError", "LineFileError", "Problem"]


class GigalineError(Exception):
    """Base class of every error gigaline raises on purpose."""

    exit_code = 2


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
        value = _short(self.value)
        field = self.field or "(top level)"
        return f"{where}: {field}: {self.message} (got {value})"


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class LineFileError(GigalineError):
    """A line file that cannot be loaded; carries one :class:`Problem` per mistake found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        n = len(problems)
        head = f"{n} problem{'s' if n != 1 else ''} in line file"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in problems))
