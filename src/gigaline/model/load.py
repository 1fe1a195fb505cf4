"""Load a line file (YAML) into a :class:`~gigaline.model.schema.Line`.

Every mistake becomes one :class:`~gigaline.errors.Problem` naming the file, the line in the
file, the field, the value given and what is allowed; all problems are reported together in one
:class:`~gigaline.errors.LineFileError`.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from gigaline.errors import LineFileError, Problem
from gigaline.model._yaml import MAX_BYTES, Path_, dotted, read_yaml, too_large
from gigaline.model.distributions import DISTRIBUTION_NAMES
from gigaline.model.schema import Line, line_problems
from gigaline.model.units import STRICT_UNITS

__all__ = ["load_line", "parse_line"]


def load_line(path: str | Path) -> Line:
    """Read and validate the line file at ``path`` (at most :data:`MAX_BYTES`)."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)  # never more: a huge file or /dev/zero stops here
            if len(raw) > MAX_BYTES:
                size = os.fstat(fh.fileno()).st_size
                raise too_large(str(p), max(size, len(raw)))
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise LineFileError([Problem(str(p), None, "", str(p), "no such file")]) from None
    except IsADirectoryError:
        raise LineFileError(
            [Problem(str(p), None, "", str(p), "is a folder; give the line file (YAML)")]
        ) from None
    except UnicodeDecodeError as exc:
        raise LineFileError(
            [Problem(str(p), None, "", str(p), f"not UTF-8 text: {exc.reason} at byte {exc.start}")]
        ) from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise LineFileError([Problem(str(p), None, "", str(p), f"cannot read: {reason}")]) from None
    return parse_line(text, source=str(p))


def parse_line(text: str, source: str = "<string>") -> Line:
    """Validate the YAML ``text`` of a line file; ``source`` names it in errors.

    Limits (:mod:`gigaline.model._yaml`): at most 16 MiB, 32 levels of nesting and 1,000,000
    values counting what aliases repeat; a key given twice in a mapping is an error.
    """
    with _no_gc():
        return _parse(text, source)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a line is built: its passes walk every node,
    value and model made so far, again and again (half the time of a 10,000-step line, and
    superlinear in its size). What a load builds holds no cycles; the pause ends with it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _parse(text: str, source: str) -> Line:
    data, lines = read_yaml(text, source)
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
                Problem(source, _line_of(loc, lines), dotted(loc), value, msg)
                for loc, value, msg in cross
            ]
        )
    return line  # the cross-checks the deferred validator would run have just passed


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


def _problem(err: ErrorDetails, data: Any, lines: Mapping[Path_, int], source: str) -> Problem:
    path = _clean_loc(tuple(err["loc"]), data)
    if err["type"] == "union_tag_invalid" and isinstance(_value_at(path, data), Mapping):
        path = (*path, "dist")
    value = _value_at(path, data) if err["type"] != "missing" else None
    return Problem(source, _line_of(path, lines), dotted(path), value, _message(err))


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
    if kind in {"int_parsing", "int_from_float"}:
        return "must be a whole number (write 1000000, not 1e6 or 1.5)"
    if kind == "float_parsing":
        return "must be a number"
    if kind == "string_pattern_mismatch":
        return "must start with a letter and use only letters, digits, '_' and '-'"
    msg = err["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    return msg
