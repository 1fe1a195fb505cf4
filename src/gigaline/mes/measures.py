"""Numbers out of stored JSON (process parameters, curve features), for every store.

Parameters travel as JSON text per process record and curve features per curve (the rows of
:mod:`gigaline.mes.rows`); these helpers read the values of some keys with orjson. Why the SQL
store reads them in Python rather than in the database: :mod:`gigaline.mes.sql.measures`.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import repeat

import orjson

__all__ = ["collector_paused", "joined_numbers", "latest_numbers", "numbers", "series_numbers"]


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


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused: parsing 50,000 small JSON objects (containers the
    collector tracks) otherwise triggers collections that cost 3x the parse (103 against 24 ms
    of CPU for 50,000 records of an X-bar chart, 2 Dec 2026). Nothing made here is cyclic;
    reference counting frees it as usual, and the collector runs again afterwards. Also a
    decorator (:func:`gigaline.mes.services.oee.live_oee`)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def series_numbers(texts: Sequence[str | None], key: str) -> list[float | None]:
    """The value of ``key`` in each of the stored JSON objects ``texts``: ``numbers(text,
    (key,))[0]`` of each, parsed by orjson in one call.

    One parse of the texts joined into one JSON array, not one per text: the per-call cost
    was most of reading an SPC series of 10,000 records. When the joined text does not split
    back into one object per text (a text that is not one JSON object), each is read on its
    own, with :func:`numbers`'s result or error.
    """
    if None in texts or "" in texts:
        texts = [t or "{}" for t in texts]
    got = joined_numbers(",".join(texts), len(texts), key)  # type: ignore[arg-type]  # no None
    return [numbers(t, (key,))[0] for t in texts] if got is None else got


def joined_numbers(joined: str, count: int, key: str) -> list[float | None] | None:
    """:func:`series_numbers` of ``count`` texts given joined by commas (as the SQL store reads
    them, :mod:`gigaline.mes.sql.measures`), or None when the joined text is not ``count`` JSON
    objects (then read each text with :func:`series_numbers`)."""
    try:
        with collector_paused():
            objs = orjson.loads("[" + joined + "]")
            if len(objs) != count:
                raise ValueError("not one JSON value a text")
            # dict.get mapped (a TypeError if an element is not an object): no bytecode a text
            got = list(map(dict.get, objs, repeat(key)))
            del objs
    except (ValueError, AttributeError, TypeError):
        return None
    if set(map(type, got)) <= {float}:  # the usual series: every value a float, as it is
        return got
    # orjson makes exact ints and floats; a bool is neither
    return [v if type(v) is float else float(v) if type(v) is int else None for v in got]


def latest_numbers(
    rows: Iterable[tuple[str, str | None]], keys: Sequence[str]
) -> dict[str, tuple[float | None, ...]]:
    """Name -> values of ``keys`` from its last row, for rows (name, JSON text) in time order."""
    return {name: numbers(text, keys) for name, text in rows}
