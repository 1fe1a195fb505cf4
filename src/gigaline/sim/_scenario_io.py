"""Reading scenario files: YAML with the line of every key, and the errors that name them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gigaline.errors import LineFileError, Problem
from gigaline.model import parse_line
from gigaline.model._yaml import dotted as _dotted
from gigaline.model._yaml import read_yaml as _read_bounded

__all__ = [
    "Lines",
    "ScenarioFileError",
    "dotted",
    "line_at",
    "read_line_file",
    "read_yaml",
    "spec_problem",
]

Lines = dict[tuple[str | int, ...], int]


class ScenarioFileError(LineFileError):
    """A scenario file that cannot be used; one :class:`~gigaline.errors.Problem` per mistake."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        n = len(problems)
        head = f"{n} problem{'s' if n != 1 else ''} in scenario file"
        self.args = (head + ":\n" + "\n".join(f"  {p}" for p in problems),)


def read_yaml(text: str, source: str) -> tuple[Any, Mapping[tuple[str | int, ...], int]]:
    """YAML data and the line of every key and item, read with the line-file loader's bounds
    (size, nesting, aliases, duplicate keys: :mod:`gigaline.model._yaml`)."""
    try:
        data, lines = _read_bounded(text, source)
    except LineFileError as exc:
        raise ScenarioFileError(exc.problems) from None
    if not isinstance(data, Mapping):
        got = None if data is None else type(data).__name__
        raise ScenarioFileError(
            [Problem(source, 1, "", got, "a scenario file must be a mapping of keys")]
        )
    return data, lines


def line_at(lines: Mapping[tuple[str | int, ...], int], path: tuple[str | int, ...]) -> int | None:
    for n in range(len(path), -1, -1):
        if path[:n] in lines:
            return lines[path[:n]]
    return None


def dotted(path: Sequence[str | int]) -> str:
    """``("factors", "b", "values", 1)`` -> ``factors.b.values[1]``."""
    return _dotted(tuple(path))


def spec_problem(
    err: Any, data: Any, lines: Mapping[tuple[str | int, ...], int], source: str
) -> Problem:
    loc: list[str | int] = []
    cur = data
    for part in err["loc"]:
        inside = isinstance(cur, Mapping) and part in cur
        if inside or (isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur)):
            loc.append(part)
            cur = cur[part]
        elif isinstance(cur, Mapping) and isinstance(part, str) and part.isidentifier():
            loc.append(part)
            cur = None
    kind = err["type"]
    msg = {
        "extra_forbidden": "unknown key (check the spelling against docs/experiments.md)",
        "missing": "required key is missing",
    }.get(kind, str(err["msg"]).removeprefix("Value error, "))
    value = None if kind == "missing" else cur
    return Problem(source, line_at(lines, tuple(loc)), dotted(loc), value, msg)


def read_line_file(
    path: Path, source: str, lines: Mapping[tuple[str | int, ...], int]
) -> tuple[str, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = "no such file" if isinstance(exc, FileNotFoundError) else f"cannot read: {exc}"
        raise ScenarioFileError(
            [Problem(source, line_at(lines, ("line",)), "line", str(path), f"line file: {why}")]
        ) from None
    try:
        data, _ = _read_bounded(text, str(path))
    except LineFileError:
        data = None
    if not isinstance(data, dict):
        parse_line(text, source=str(path))  # raises the line file's own errors
        raise ScenarioFileError(
            [Problem(source, line_at(lines, ("line",)), "line", str(path), "not a line file")]
        )
    return text, data
