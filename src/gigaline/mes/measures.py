"""Numbers out of the stored JSON (process parameters, curve features).

Parameters are stored as JSON text per process record (``process_records.params``) and curve
features per curve (``curves.features``). The queries select the rows by bound parameters
(step, time, kind) and the values are read here with orjson. Measured on the 2-core
development machine (benchmarks/bench_spc.py and a 1.7 M-row PostgreSQL table): letting the
database extract one key (``json_extract`` on SQLite, ``->>`` on PostgreSQL) was no faster on
SQLite and 1.5-2x slower on PostgreSQL (``::json`` / ``::jsonb`` parse the whole text per row
on the server) than shipping the short JSON texts and parsing them in this process.
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
