"""Numbers out of the stored JSON (process parameters, curve features).

Parameters are stored as JSON text per process record (``process_records.params``) and curve
features per curve (``curves.features``). The queries select the rows by bound parameters
(step, time, kind) and the values are read here with orjson. Letting the database extract the
key instead (``json_extract`` on SQLite, ``CAST(.. AS JSON) ->>`` on PostgreSQL) was measured
by ``benchmarks/bench_spc.py`` on the 2-core development machine: within 20 % either way from
run to run, on both databases (the scan of the process records costs more than either). Reading
here keeps one code path for both databases and takes any parameter name (a JSON path in SQLite
cannot hold every character).
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
