"""Numbers out of stored JSON (process parameters, curve features), for every store.

Parameters travel as JSON text per process record and curve features per curve (the rows of
:mod:`gigaline.mes.rows`); these helpers read the values of some keys with orjson. Why the SQL
store reads them in Python rather than in the database: :mod:`gigaline.mes.sql.measures`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import orjson

__all__ = ["latest_numbers", "numbers"]


def numbers(text: str | bytes | None, keys: Sequence[str]) -> tuple[float | None, ...]:
    """The values of ``keys`` in one stored JSON object (None where absent or not numeric)."""
    if not text:
        return (None,) * len(keys)
    obj = orjson.loads(text)
    out = []
    for key in keys:
        v = obj.get(key)
        out.append(float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None)
    return tuple(out)


def latest_numbers(
    rows: Iterable[tuple[str, str | None]], keys: Sequence[str]
) -> dict[str, tuple[float | None, ...]]:
    """Name -> values of ``keys`` from its last row, for rows (name, JSON text) in time order."""
    return {name: numbers(text, keys) for name, text in rows}
