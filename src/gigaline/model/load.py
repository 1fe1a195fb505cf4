"""Load a line file (YAML) into a :class:`~gigaline.model.schema.Line`.

Every mistake becomes one :class:`~gigaline.errors.Problem` naming the file, the line in the
file, the field, the value given and what is allowed; all problems are reported together in one
:class:`~gigaline.errors.LineFileError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from gigaline.errors import LineFileError, Problem
from gigaline.model.distributions import DISTRIBUTION_NAMES
from gigaline.model.schema import Line, line_problems
from gigaline.model.units import STRICT_UNITS

__all__ = ["load_line", "parse_line"]

Path_ = tuple[str | int, ...]


def load_line(path: str | Path) -> Line:
    """Read and validate the line file at ``path``."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LineFileError([Problem(str(p), None, "", str(p), "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LineFileError([Problem(str(p), None, "", str(p), f"cannot read: {exc}")]) from None
    return parse_line(text, source=str(p))


def parse_line(text: str, source: str = "<string>") -> Line:
    """Validate the YAML ``text`` of a line file; ``source`` names it in errors."""
    data, lines = _read_yaml(text, source)
    if not isinstance(data, Mapping):
        raise LineFileError(
            [Problem(source, 1, "", type(data).__name__, "a line file must be a mapping of keys")]
        )
    try:
        line = Line.model_validate(data, context={"defer_cross_checks": True, STRICT_UNITS: True})
    except ValidationError as exc:
        problems = [_problem(err, data, lines, source) for err in exc.errors()]
        raise LineFileError(problems) from None
    cross = line_problems(line)
    if cross:
        raise LineFileError(
            [
                Problem(source, _line_of(loc, lines), _dotted(loc), value, msg)
                for loc, value, msg in cross
            ]
        )
    return Line.model_validate(data, context={STRICT_UNITS: True})


def _read_yaml(text: str, source: str) -> tuple[Any, dict[Path_, int]]:
    """Parse YAML, keeping the 1-based line of every mapping key and list item."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise LineFileError(
            [Problem(source, line, "", None, f"not valid YAML: {exc.problem}")]
        ) from None
    except yaml.YAMLError as exc:
        raise LineFileError([Problem(source, None, "", None, f"not valid YAML: {exc}")]) from None
    if node is None:
        raise LineFileError([Problem(source, None, "", None, "the file is empty")])
    lines: dict[Path_, int] = {}
    _index(node, (), lines)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:  # pragma: no cover - compose succeeded
        raise LineFileError([Problem(source, None, "", None, f"not valid YAML: {exc}")]) from None
    return data, lines


def _index(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k = key.value
            lines[(*path, k)] = key.start_mark.line + 1
            _index(value, (*path, k), lines)
            lines[(*path, k)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, (*path, i), lines)


def _clean_loc(loc: tuple[str | int, ...], data: Any) -> Path_:
    """Drop pydantic's union-tag and validator entries, keeping the path into the data."""
    out: list[str | int] = []
    cur = data
    aliases = {"yield_": "yield"}
    for part in loc:
        key = aliases.get(str(part), part) if isinstance(part, str) else part
        if _has(cur, key):
            out.append(key)
            cur = cur[key]
        elif isinstance(cur, Mapping) and isinstance(key, str) and not _is_tag(key):
            out.append(key)  # a missing or extra field: name it, stop descending
            cur = None
    return tuple(out)


def _has(container: Any, key: str | int) -> bool:
    """Whether ``container`` (a mapping or a list) has ``key``."""
    if isinstance(container, Mapping):
        return key in container
    return isinstance(container, list) and isinstance(key, int) and 0 <= key < len(container)


def _is_tag(part: str) -> bool:
    return part in DISTRIBUTION_NAMES or "[" in part or part.startswith("function-")


def _value_at(path: Path_, data: Any) -> Any:
    cur = data
    for part in path:
        if _has(cur, part):
            cur = cur[part]
        else:
            return None
    return cur


def _line_of(path: Path_, lines: Mapping[Path_, int]) -> int | None:
    for n in range(len(path), -1, -1):
        if path[:n] in lines:
            return lines[path[:n]]
    return None


def _dotted(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _problem(err: ErrorDetails, data: Any, lines: Mapping[Path_, int], source: str) -> Problem:
    path = _clean_loc(tuple(err["loc"]), data)
    if err["type"] == "union_tag_invalid" and isinstance(_value_at(path, data), Mapping):
        path = (*path, "dist")
    value = _value_at(path, data) if err["type"] != "missing" else None
    return Problem(source, _line_of(path, lines), _dotted(path), value, _message(err))


def _message(err: ErrorDetails) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown key (check the spelling against docs/line-file.md)"
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_invalid":
        return f"unknown distribution; allowed: {', '.join(DISTRIBUTION_NAMES)}"
    if kind == "union_tag_not_found":
        return f"a distribution needs 'dist' (one of {', '.join(DISTRIBUTION_NAMES)})"
    if kind == "literal_error":
        return f"not allowed; expected {ctx.get('expected', '')}"
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        op = {
            "greater_than": ">",
            "greater_than_equal": ">=",
            "less_than": "<",
            "less_than_equal": "<=",
        }[kind]
        bound = next(iter(ctx.values()), "")
        return f"must be {op} {bound}"
    if kind == "string_pattern_mismatch":
        return "must start with a letter and use only letters, digits, '_' and '-'"
    msg = err["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    return msg
