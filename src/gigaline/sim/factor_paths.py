"""Factor paths into line-file data, and quantities in factor ranges."""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from typing import Any

from gigaline.errors import GigalineError
from gigaline.model.units import DIMENSIONS

__all__ = ["PathError", "Value", "apply_factors", "as_number", "convert", "get_value", "resolve"]

Value = int | float | str


class PathError(GigalineError, ValueError):
    """A factor path that does not name a place in the line file."""


def resolve(data: dict[str, Any], path: str) -> tuple[Any, str | int]:
    """The container holding the last part of ``path`` and the key into it.

    Parts are mapping keys, except inside ``steps`` (and other lists of mappings with ``id``),
    where a part is a step id. Missing mappings on the way are created (setting
    ``steps.m2.failures.mtbf`` on a step without failures gives it some).
    """
    parts = path.split(".")
    cur: Any = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        where = ".".join(parts[:i]) or "the line file"
        if isinstance(cur, list):
            ids = [item.get("id") for item in cur if isinstance(item, Mapping)]
            if part not in ids:
                raise PathError(
                    f"no {part!r} in {where} (ids: {', '.join(map(str, ids)) or 'none'})"
                )
            idx = ids.index(part)
            if last:
                raise PathError(f"{path!r} names a whole item of {where}; add a key after it")
            cur = cur[idx]
            continue
        if not isinstance(cur, dict):
            raise PathError(
                f"{where} is a value ({cur!r}), not a mapping: {part!r} cannot be set in it"
            )
        if last:
            return cur, part
        if part not in cur or cur[part] is None:
            if part == "steps":
                raise PathError("the line file has no steps")
            cur[part] = {}
        cur = cur[part]
    raise PathError(f"empty path {path!r}")  # pragma: no cover - min_length=1


def get_value(data: dict[str, Any], path: str) -> Any:
    """The value at ``path`` in line-file data (None where the key is absent)."""
    container, key = resolve(copy.deepcopy(data), path)
    return container.get(key) if isinstance(container, dict) else None


def apply_factors(
    data: Mapping[str, Any], levels: Mapping[str, Value], paths: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    """A deep copy of line-file ``data`` with each factor's value set at its paths."""
    out = copy.deepcopy(dict(data))
    for name, value in levels.items():
        for path in paths[name]:
            container, key = resolve(out, path)
            container[key] = value
    return out


def as_number(value: Value) -> tuple[float, str]:
    """(number, unit) of a level: ``12`` -> (12.0, ""), ``"18 h"`` -> (18.0, "h")."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number or a quantity, got {value!r}")
    if isinstance(value, int | float):
        return float(value), ""
    parts = value.strip().split(None, 1)
    try:
        number = float(parts[0])
    except (ValueError, IndexError):
        raise ValueError(f"expected a number and a unit such as '18 h', got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"expected a finite number, got {value!r}")
    return number, parts[1].strip() if len(parts) > 1 else ""


def convert(q: tuple[float, str], unit: str) -> float:
    """The quantity ``q`` in ``unit`` (same dimension; raises ValueError otherwise)."""
    number, u = q
    if u == unit:
        return number
    for units in DIMENSIONS.values():
        if u in units and unit in units:
            return number * units[u] / units[unit]
    raise ValueError(f"{u or 'a plain number'!r} and {unit or 'a plain number'!r} do not mix")
