"""The SQL store's SPC series read at once equals the series read row by row.

On PostgreSQL, :func:`gigaline.mes.sql.measures.measure_series` reads a page of records as one
aggregated row (units, times and ids as bytes, the parameters' texts joined); the reference is
the former read, the driver's rows one by one (``_aggregated`` turned off), on the same
records: ties in time (ordered by id), records without the parameter or with a bool, an int or
a string as its value, with and without ``since`` and ``last`` (pages past the records
without the parameter). Texts that do not split back into one JSON object each take the row
by row read. The times are :class:`gigaline.mes.ports.Times`, equal to the datetimes.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import orjson
import pytest
from sqlalchemy import select

from gigaline.mes.ports import MeasureSeries, Times, epoch_us
from gigaline.mes.services.models import rfc3339, rfc3339_all
from gigaline.mes.sql import SqlStore
from gigaline.mes.sql import measures as m
from gigaline.mes.sql import tables as t

T0 = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)


def _params(rnd: random.Random, i: int) -> str | None:
    """Mostly a float; sometimes the parameter missing, a bool, an int, a string or no text."""
    kind = rnd.random()
    if kind < 0.05:
        return '{"other":1.5}'
    if kind < 0.07:
        return '{"x_mm":true}'
    if kind < 0.09:
        return f'{{"x_mm":{i}}}'
    if kind < 0.1:
        return '{"x_mm":"7"}'
    if kind < 0.11:
        return None
    return f'{{"x_mm":{rnd.gauss(0, 1):.4f},"y":{i}}}'


def _write(store: SqlStore, params: list[str | None], seed: int = 1) -> None:
    """Process records at step ``fill`` straight into the table; about a third share the time
    of the one before (ties, ordered by id), some carry a fraction of a second."""
    rnd = random.Random(seed)
    with store.engine.begin() as conn:
        step_id = conn.execute(select(t.steps.c.id).where(t.steps.c.name == "fill")).scalar_one()
        station_id = (
            conn.execute(select(t.stations.c.id).where(t.stations.c.step_id == step_id))
            .scalars()
            .first()
        )
        ts, rows = T0, []
        for i, text in enumerate(params):
            if rnd.random() > 0.3:
                ts += timedelta(
                    seconds=rnd.choice([1, 7, 60]), microseconds=rnd.choice([0, 346_000, 17])
                )
            row = {"event_id": f"E{i}", "unit": f"U{i:05d}", "step_id": step_id, "ts": ts}
            rows.append({**row, "station_id": station_id, "result": "OK", "params": text})
        rnd.shuffle(rows)  # ids not in time order: the order is (ts, id)
        conn.execute(t.process_records.insert(), rows)


def _read(
    store: SqlStore, since: datetime | None, last: int | None, *, rows: bool
) -> MeasureSeries:
    """The series read at once (``rows`` False) or row by row, the former path."""
    aggregated = m._aggregated
    if rows:
        m._aggregated = lambda *a: None  # type: ignore[assignment]
    try:
        with store.engine.connect() as conn:
            return m.measure_series(conn, "fill", "x_mm", since, last)
    finally:
        m._aggregated = aggregated  # type: ignore[assignment]


def _same(a: MeasureSeries, b: MeasureSeries) -> None:
    assert a.units == b.units
    assert a.truncated is b.truncated
    np.testing.assert_array_equal(a.values, b.values)
    assert list(a.ts) == list(b.ts)
    assert [x.isoformat() for x in a.ts] == [x.isoformat() for x in b.ts]  # zone and all
    assert rfc3339_all(a.ts) == [rfc3339(x) for x in b.ts]


def _value(text: str | None) -> float | None:
    v = orjson.loads(text).get("x_mm") if text else None
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


@pytest.mark.parametrize(
    ("since", "last"),
    [(None, None), (None, 1), (None, 37), (None, 400), (None, 5000), (T0 + timedelta(hours=2), 50),
     (T0 + timedelta(hours=2), None)],
)  # fmt: skip
def test_the_series_read_at_once_is_the_series_read_row_by_row(
    store: SqlStore, since: datetime | None, last: int | None
) -> None:
    rnd = random.Random(3)
    _write(store, [_params(rnd, i) for i in range(1500)])
    new = _read(store, since, last, rows=False)
    _same(new, _read(store, since, last, rows=True))
    assert isinstance(new.ts, Times)
    pr = t.process_records
    with store.engine.connect() as conn:  # what the records hold, in (ts, id) order
        q = select(pr.c.unit, pr.c.ts, pr.c.params).order_by(pr.c.ts, pr.c.id)
        kept = [r for r in conn.execute(q) if _value(r[2]) is not None]
        if conn.dialect.name == "postgresql":  # read at once indeed
            assert m._aggregated(conn, q.where(pr.c.params.is_not(None)), "x_mm", False)
            assert m._aggregated(conn, q, "x_mm", False) is None  # a NULL text: not joined
    if since is not None:
        kept = [r for r in kept if (r[1] if r[1].tzinfo else r[1].replace(tzinfo=UTC)) >= since]
    assert new.truncated is (last is not None and len(kept) > last) and len(kept) > 400
    kept = kept[-last:] if last is not None else kept
    assert new.units == [r[0] for r in kept]
    assert new.values.tolist() == [_value(r[2]) for r in kept]


def test_texts_that_do_not_join_are_read_row_by_row(store: SqlStore) -> None:
    """Empty texts (no parameters) break the joined texts: the page is read row by row, as
    before; so are texts that are not one JSON object, and fail as before."""
    texts: list[str | None] = [f'{{"x_mm":{i}.5}}' for i in range(60)]
    texts[10] = texts[30] = ""
    _write(store, texts)
    pr = t.process_records
    with store.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            q = select(pr.c.unit, pr.c.ts, pr.c.params).order_by(pr.c.ts, pr.c.id)
            assert m._aggregated(conn, q, "x_mm", False) is None
            assert m._aggregated(conn, q.where(pr.c.params != ""), "x_mm", False) is not None
    for last in (None, 5, 45):
        new = _read(store, None, last, rows=False)
        _same(new, _read(store, None, last, rows=True))
        assert new.values.size == (58 if last is None else last)
    for text, error in (('{"x_mm":1.0},{"x_mm":2.0}', ValueError), ("[3.0]", AttributeError)):
        with store.engine.begin() as conn:
            conn.execute(pr.update().where(pr.c.event_id == "E20").values(params=text))
        for rows in (False, True):
            with pytest.raises(error):
                _read(store, None, None, rows=rows)


def test_times_are_the_datetimes_they_hold() -> None:
    rnd = random.Random(2)
    naive = [datetime(2026, 1, 5) + timedelta(microseconds=rnd.randrange(-(10**15), 10**15))
             for _ in range(300)]  # fmt: skip
    naive[5] = naive[5].replace(microsecond=0)
    for tz in (None, UTC, ZoneInfo("Etc/UTC"), ZoneInfo("Europe/Berlin")):
        values = naive if tz is None else [x.replace(tzinfo=UTC).astimezone(tz) for x in naive]
        times = Times(epoch_us(values), tz)
        assert times == values and list(times) == values and len(times) == 300
        assert [times[i] for i in range(-300, 300)] == values + values
        assert [x.isoformat() for x in times] == [x.isoformat() for x in values]
        assert times[3:250:7] == values[3:250:7] and isinstance(times[3:250:7], Times)
        assert times[::-1][0] == values[-1] and times[5:5] == []
        assert rfc3339_all(times) == [rfc3339(x) for x in values]
        assert rfc3339_all(times[4:9]) == [rfc3339(x) for x in values[4:9]]
        with pytest.raises(IndexError):
            times[300]
    assert (
        Times(np.empty(0, np.int64), UTC) == []
        and rfc3339_all(Times(np.empty(0, np.int64), UTC)) == []
    )


def test_a_unit_holding_the_separator_is_read_row_by_row(store: SqlStore) -> None:
    _write(store, [f'{{"x_mm":{i}.25}}' for i in range(40)])
    pr = t.process_records
    with store.engine.begin() as conn:
        conn.execute(pr.update().where(pr.c.event_id == "E7").values(unit="U\x1fseven"))
        if conn.dialect.name == "postgresql":
            q = select(pr.c.unit, pr.c.ts, pr.c.params).order_by(pr.c.ts, pr.c.id)
            assert m._aggregated(conn, q, "x_mm", False) is None
            assert m._aggregated(conn, q.where(pr.c.event_id != "E7"), "x_mm", False)
    for last in (None, 39):
        new = _read(store, None, last, rows=False)
        _same(new, _read(store, None, last, rows=True))
        assert "U\x1fseven" in new.units
