"""Hourly OEE summaries (gigaline.mes.services.oee.summarise) are only an optimisation: live
OEE read with them equals live OEE read raw, to 1e-9 relative in seconds and exactly in
counts, over random windows (on and off the hour, 0 to 30 whole hours, by shift, station,
step and line), with summaries present, partly present, invalidated by a late write, and
absent, on SQLite and PostgreSQL.

The data: two days of the three-step traced line of test_oee_trace (failures, blocking, a
planned stop every night), its events as the stations would send them. A silence threshold of
60 s makes the exponential cycles of ``weld`` fall silent now and then, so that the silence
and the runs that begin (Pareto occurrences) are tested across hour boundaries.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import delete, func, select

from gigaline.mes.ingest import ingest, submit
from gigaline.mes.ports import StationEdges
from gigaline.mes.services import init_line
from gigaline.mes.services.floor import window_tallies
from gigaline.mes.services.oee import live_oee, summarise
from gigaline.mes.sql import open_store
from gigaline.mes.sql import tables as t
from gigaline.model import parse_line
from gigaline.sim import compile_line
from gigaline.sim.trace import Trace
from tests.mes.conftest import _pg_schema_url
from tests.mes.test_oee_trace import LINE, T0, _Events

DAYS = 2.0
NOW = T0 + timedelta(days=9)
SILENCES = (60.0, 86400.0)


@pytest.fixture(scope="module")
def events() -> list[dict[str, Any]]:
    c = compile_line(parse_line(LINE))
    tally = _Events(c, 0.0, DAYS * 86400.0)
    for chunk in Trace(c, days=DAYS, seed=11):
        tally.add(chunk)
    tally.close()
    return tally.events


@pytest.fixture(params=["sqlite", "postgres"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, events: list[dict[str, Any]]
) -> Iterator[Any]:
    drop = None
    if request.param == "sqlite":
        url = str(tmp_path / "x.db")
    else:
        url, drop = _pg_schema_url(request.getfixturevalue("postgres_url"))
    s = open_store(url)
    init_line(s, parse_line(LINE))
    res = ingest(s, events)
    assert (res.accepted, res.rejected) == (len(events), 0)
    yield s
    s.close()
    if drop is not None:
        drop()


def _windows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    out = []
    for _ in range(n):
        a = T0 + timedelta(hours=rng.randrange(0, 46))
        if rng.random() < 0.5:
            a += timedelta(seconds=rng.uniform(0, 3600))
        length = timedelta(hours=rng.randrange(0, 31))
        if rng.random() < 0.5 or length == timedelta(0):
            length += timedelta(seconds=rng.uniform(1, 3600))
        scope = rng.choice([{"station": "weld-1"}, {"station": "fill-2"}, {"step": "fill"}, {}])
        by = "shift" if rng.random() < 0.3 else None
        out.append({**scope, "since": a, "until": a + length, "by": by})
    return out


def _same(got: Any, want: Any) -> None:
    assert len(got.rows) == len(want.rows)
    for g, w in zip(got.rows, want.rows, strict=True):
        for name, wv in w.model_dump().items():
            gv = getattr(g, name)
            if isinstance(wv, float) and not isinstance(wv, bool):
                assert gv == pytest.approx(wv, rel=1e-9, abs=1e-6), (w.name, w.shift, name)
            else:
                assert gv == wv, (w.name, w.shift, name)
    assert [(p.state, p.reason, p.occurrences) for p in got.pareto] == [
        (p.state, p.reason, p.occurrences) for p in want.pareto
    ]
    for g, w in zip(got.pareto, want.pareto, strict=True):
        assert g.seconds == pytest.approx(w.seconds, rel=1e-9, abs=1e-6)


def _check(store: Any, windows: list[dict[str, Any]], silence_s: float) -> None:
    for w in windows:
        kw = {**w, "silence_s": silence_s, "now": NOW}
        _same(live_oee(store, **kw), live_oee(store, summaries=False, **kw))


def _late_jam(store: Any, key: str, late: Any) -> tuple[int, int]:
    """A late state change of fill-1 submitted; the start of its last stored hour and of its
    last stored quarter after it."""
    res = submit(
        store,
        [
            {
                "id": key,
                "type": "state",
                "station": "fill-1",
                "ts": late.isoformat(),
                "state": "down",
                "reason": "late jam",
            }
        ],
    )
    assert res.accepted == 1
    with store.engine.connect() as conn:
        sid = conn.execute(
            select(t.stations.c.id).where(t.stations.c.name == "fill-1")
        ).scalar_one()
        return tuple(  # type: ignore[return-value]
            conn.execute(select(func.max(col)).where(table.c.station_id == sid)).scalar_one()
            for table, col in ((t.oee_hours, t.oee_hours.c.hour_s),
                               (t.oee_quarters, t.oee_quarters.c.quarter_s))
        )  # fmt: skip


def _hours(store: Any) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.oee_hours)).scalar_one())


@pytest.mark.parametrize("silence_s", SILENCES)
def test_summaries_change_nothing(store: Any, silence_s: float) -> None:
    rng = random.Random(int(silence_s))
    windows = _windows(rng, 14)
    _check(store, windows, silence_s)  # absent
    stored = summarise(store, until=NOW, silence_s=silence_s)
    # every whole hour of the 4 stations up to each one's last message: the stop at 44 h
    assert stored == _hours(store) == 4 * 44
    assert summarise(store, until=NOW, silence_s=silence_s) == 0  # nothing missing
    got = store.oee_hour_sums(["weld-1"], int(T0.timestamp()), int(T0.timestamp()) + 86400,
                              silence_s, [])  # fmt: skip
    assert got.covered["weld-1"] == [(T0.timestamp(), T0.timestamp() + 86400.0)]
    _check(store, windows, silence_s)  # present
    # partly present: a hole in one station's hours, the tail of another gone
    h = int(T0.timestamp()) + 20 * 3600
    with store.engine.begin() as conn:
        for table in (t.oee_hours, t.oee_hour_downtime):
            conn.execute(delete(table).where(table.c.hour_s.in_([h, h + 7200])))
            conn.execute(delete(table).where(table.c.station_id == 1, table.c.hour_s >= h))
    _check(store, windows, silence_s)  # the step hours still there (summed before)
    with store.engine.begin() as conn:  # and gone as a write would have taken them
        for step_table in (t.oee_step_hours, t.oee_step_hour_downtime):
            conn.execute(delete(step_table).where(step_table.c.hour_s.in_([h, h + 7200])))
            conn.execute(delete(step_table).where(step_table.c.step_id == 1,
                                                  step_table.c.hour_s >= h))  # fmt: skip
    _check(store, windows, silence_s)
    # invalidated: a late state change of fill-1 deletes its hours from its hour on
    before = _hours(store)
    late = T0 + timedelta(hours=30, minutes=12)
    left = _late_jam(store, "late-1", late)[0]
    assert left < math.floor(late.timestamp() / 3600) * 3600 and _hours(store) < before
    windows.append({"station": "fill-1", "since": late - timedelta(hours=5),
                    "until": late + timedelta(hours=5), "by": None})  # fmt: skip
    _check(store, windows, silence_s)
    assert summarise(store, until=NOW, silence_s=silence_s) > 0  # filled again
    _check(store, windows, silence_s)


def test_a_quiet_station_is_summarised_up_to_the_lines_last_message(store: Any) -> None:
    """A station silent since 30 h has its hours stored up to the hour of the line's last
    message (not its own: every window read them raw); a late message in one of them deletes
    them from its hour on, and every window still equals the raw computation."""
    with store.engine.begin() as conn:
        sid = conn.execute(
            select(t.stations.c.id).where(t.stations.c.name == "weld-1")
        ).scalar_one()
        quiet = T0 + timedelta(hours=30)
        for table in (t.process_records, t.machine_states):
            conn.execute(delete(table).where(table.c.station_id == sid, table.c.ts >= quiet))
    status = store.oee_status(["weld-1", "seal-1"])
    assert status["weld-1"].last_s is not None and status["seal-1"].last_s is not None
    assert status["weld-1"].last_s < quiet.timestamp() < status["seal-1"].last_s - 10 * 3600
    summarise(store, until=NOW, silence_s=60.0)
    t0 = int(T0.timestamp())
    hours = store.oee_hour_sums(["weld-1", "seal-1"], t0, t0 + 9 * 86400, 60.0, []).covered
    assert hours["weld-1"] == hours["seal-1"] == [(float(t0), t0 + 44 * 3600.0)]
    rng = random.Random(7)
    windows = [{**w, "station": "weld-1"} for w in _windows(rng, 6)] + _windows(rng, 4)
    windows.append({"since": quiet - timedelta(minutes=20), "until": quiet + timedelta(hours=9),
                    "by": None})  # fmt: skip
    _check(store, windows, 60.0)
    late = quiet + timedelta(hours=6, minutes=30)
    jam = {"id": "late-3", "type": "state", "station": "weld-1", "ts": late.isoformat(),
           "state": "down", "reason": "late jam"}  # fmt: skip
    res = submit(store, [jam])
    assert res.accepted == 1
    hours = store.oee_hour_sums(["weld-1"], t0, t0 + 9 * 86400, 60.0, []).covered
    assert hours["weld-1"] == [(float(t0), t0 + 36 * 3600.0)]
    _check(store, windows, 60.0)
    assert summarise(store, until=NOW, silence_s=60.0) == 8  # 36 h .. 44 h again
    _check(store, windows, 60.0)


def test_a_window_beginning_early_in_a_stored_hour(store: Any) -> None:
    """A window beginning in the first half of a stored hour takes that hour less its part
    before the window (read raw), or, where that part is the longer, the hour's stored
    quarters after the window's start: the same as raw, also beginning exactly at, just before and
    just after a state change (a run that begins there counts or not) and a millisecond after
    the hour; a Pareto cause wholly before the window is not listed."""
    summarise(store, until=NOW, silence_s=60.0)
    with store.engine.connect() as conn:
        changes = conn.execute(
            select(t.machine_states.c.ts)
            .join(t.stations, t.stations.c.id == t.machine_states.c.station_id)
            .where(t.stations.c.name == "weld-1").order_by(t.machine_states.c.ts)
        ).scalars().all()  # fmt: skip
    changes = [ts if ts.tzinfo else ts.replace(tzinfo=UTC) for ts in changes]
    early = [ts for ts in changes if T0 < ts < T0 + timedelta(hours=40) and ts.minute < 29][:6]
    assert len(early) == 6
    starts = [T0 + timedelta(hours=h, seconds=x) for h, x in ((3, 0.001), (7, 1.0), (20, 1799.0))]
    for ts in early:
        starts += [ts, ts - timedelta(microseconds=1), ts + timedelta(microseconds=1)]
    windows = []
    for i, a in enumerate(starts):
        scope = [{"station": "weld-1"}, {"step": "weld"}, {}][i % 3]
        for hours, by in ((1, None), (5, None), (26, "shift")):
            windows.append({**scope, "since": a, "until": a + timedelta(hours=hours), "by": by})
    _check(store, windows, 60.0)


def test_a_write_counted_meanwhile_keeps_the_summariser_out(store: Any) -> None:
    """The summariser stores nothing of a station written after it read the counter."""
    status = store.oee_status(["seal-1"])["seal-1"]
    from gigaline.mes.ports import OeeHour

    hour = OeeHour("seal-1", int(T0.timestamp()), 60.0, 0.0, 3600.0, 0.0, 1, 1, {})
    submit(store, [{"id": "late-2", "type": "state", "station": "seal-1",
                    "ts": (T0 + timedelta(hours=40)).isoformat(), "state": "idle"}])  # fmt: skip
    assert store.put_oee_hours([hour], {"seal-1": status.version}) == 0
    now = store.oee_status(["seal-1"])["seal-1"].version
    assert now == status.version + 1
    assert store.put_oee_hours([hour], {"seal-1": now}) == 1


def test_ingest_and_the_command_summarise(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`gigaline ingest` stores no summaries; `gigaline mes summarise` fills what is missing
    (nothing the second time); `gigaline mes init` again keeps them with the same line file
    and drops them when the line's calendar changed (its planned stops are in them)."""
    import json

    from gigaline.cli import main

    examples = Path(__file__).resolve().parents[2] / "examples"
    db = str(tmp_path / "x.db")
    assert main(["mes", "init", str(examples / "oee-example.yaml"), "--db", db]) == 0
    assert main(["ingest", str(examples / "oee-example.ndjson"), "--db", db]) == 0
    assert "OEE summaries: " not in capsys.readouterr().err
    s = open_store(db)
    assert _hours(s) == 0
    s.close()
    assert main(["mes", "summarise", "--db", db]) == 0
    assert "17 station-hours" in capsys.readouterr().out
    s = open_store(db)
    # assemble-1: 05:00 .. its last message 16:00 (11 h); assemble-2: 10:00 .. the line's
    # last message 16:00 (6 h: quiet after 15:00, its hours summarised too), and their
    # quarters
    assert (_hours(s), _quarters(s)) == (17, 17 * 4)
    s.close()
    assert main(["mes", "summarise", "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"stored": 0}
    assert main(["mes", "init", str(examples / "oee-example.yaml"), "--db", db]) == 0
    s = open_store(db)
    assert _hours(s) == 17
    s.close()
    changed = tmp_path / "oee-example.yaml"
    text = (examples / "oee-example.yaml").read_text()
    assert "hours_per_shift: 8}" in text
    changed.write_text(text.replace("hours_per_shift: 8}", "hours_per_shift: 7}"))
    assert main(["mes", "init", str(changed), "--db", db]) == 0
    s = open_store(db)
    assert (_hours(s), _quarters(s)) == (0, 0)
    s.close()
    assert main(["mes", "summarise", "--db", db]) == 0
    assert "17 station-hours" in capsys.readouterr().out


class _Spy:
    """The store, noting the windows whose records cross to Python (station_timelines)."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.read: list[tuple[float, float]] = []
        self.counted: list[tuple[float, float]] = []  # station_edges

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def station_timelines(self, stations: Any, since: Any, until: Any, **kw: Any) -> Any:
        self.read.append((since.timestamp(), until.timestamp()))
        return self._store.station_timelines(stations, since, until, **kw)

    def station_edges(self, stations: Any, since: Any, until: Any) -> Any:
        self.counted.append((since.timestamp(), until.timestamp()))
        return self._store.station_edges(stations, since, until)


def _edge_windows(rng: random.Random) -> list[dict[str, Any]]:
    """Windows whose edges fall mid-hour (in the first and in the second half), mid-shift,
    at exact hours, a microsecond off the hour, in the nightly planned stop (hours with no
    records) and inside one hour, by shift and not, for a station, a step and the line."""
    h = 3600.0
    starts = [5 * h + 17 * 60, 6 * h + 41 * 60 + 0.5, 3 * h, 7 * h + 1e-6, 8 * h - 1e-6,
              20 * h + 1234.5, 21 * h, 22 * h + 59 * 60, 13 * h + 5 * 60]  # fmt: skip
    ends = [11 * h + 43 * 60, 9 * h + 3 * 60, 15 * h, 21 * h + 1800.0, 23 * h, 24 * h + 600.0,
            30 * h + 1e-6, 34 * h - 1e-6, 13 * h + 55 * 60, 40 * h + 2 * 60 + 0.25]  # fmt: skip
    out = []
    for lo in starts:
        for hi in rng.sample(ends, 3):
            if hi <= lo:
                continue
            scope = rng.choice([{"station": "weld-1"}, {"step": "fill"}, {}, {}])
            for by in (None, "shift"):
                out.append({**scope, "since": T0 + timedelta(seconds=lo),
                            "until": T0 + timedelta(seconds=hi), "by": by})  # fmt: skip
    return out


@pytest.mark.parametrize("silence_s", [60.0, 7200.0])
def test_edges_counted_by_the_store_change_nothing(store: Any, silence_s: float) -> None:
    """A window's edges shorter than the silence threshold (the parts its stored hours do not
    cover) are read counted: of their records only the first one's time and the counts leave
    the store, and the result equals the raw computation (on SQLite and PostgreSQL). With
    every hour stored and a threshold of 2 h no record of any edge is read; with 60 s only
    those of edges under 59 s are not (until 2026-12 every edge's records were read)."""
    summarise(store, until=NOW, silence_s=silence_s)
    windows = _edge_windows(random.Random(5))
    assert len(windows) > 40
    spy = _Spy(store)
    for w in windows:
        kw = {**w, "silence_s": silence_s, "now": NOW}
        spy.read.clear()
        got = live_oee(spy, **kw)
        _same(got, live_oee(store, summaries=False, **kw))
        long = [(x, y) for x, y in spy.read if y - x >= silence_s - 1.0]
        assert spy.read == long, (w, spy.read)
        if silence_s == 7200.0:
            assert spy.read == [], w


def _quarters(store: Any) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.oee_quarters)).scalar_one())


def test_a_windows_edges_are_read_from_the_stored_quarters(store: Any) -> None:
    """The parts of a window before its first and after its last whole hour are read from
    the stored quarters of an hour (migration 0014), and only what is left raw: each piece
    read raw is under 15 minutes, but where a shift's start or end inside a quarter keeps its
    edge raw. The same as raw with the quarters all there, with holes in them, and after a
    late write deleted those of its station from its quarter on; a database summarised before
    them (hours, no quarters) is summarised again without storing an hour twice."""
    assert summarise(store, until=NOW, silence_s=7200.0) == 4 * 44
    # each quarter of the 4 stations up to the line's last message (the stop at 44 h)
    assert _quarters(store) == 4 * 44 * 4
    windows = _edge_windows(random.Random(9))
    spy = _Spy(store)
    for w in windows:
        kw = {**w, "silence_s": 7200.0, "now": NOW}
        spy.read.clear()
        spy.counted.clear()
        _same(live_oee(spy, **kw), live_oee(store, summaries=False, **kw))
        a, b = w["since"].timestamp(), w["until"].timestamp()
        whole = math.floor(b / 3600) > math.ceil(a / 3600)  # a whole hour: summaries read
        if whole and w["by"] is None:
            assert spy.read == [], w
            assert all(y - x < 900.0 for x, y in spy.counted), (w, spy.counted)
    # holes: a quarter of every station gone, and the last quarters of weld-1
    q = int(T0.timestamp()) + 9 * 3600 + 2 * 900
    with store.engine.begin() as conn:
        for table in (t.oee_quarters, t.oee_quarter_downtime):
            conn.execute(delete(table).where(table.c.quarter_s == q))
            conn.execute(delete(table).where(table.c.station_id == 1, table.c.quarter_s >= q))
    _check(store, windows, 7200.0)
    # a late state change deletes its station's quarters from its quarter on (and its hours
    # from its hour on)
    late = T0 + timedelta(hours=30, minutes=40)
    left_h, left_q = _late_jam(store, "late-q", late)
    assert left_q == math.floor(late.timestamp() / 900) * 900 - 900
    assert left_h == math.floor(late.timestamp() / 3600) * 3600 - 3600
    _check(store, windows, 7200.0)
    # summarised again: the hours missing (fill-1 from 30 h) and the quarters (the holes)
    assert summarise(store, until=NOW, silence_s=7200.0) == 44 - 30
    assert _quarters(store) == 4 * 44 * 4
    # quarters missing alone (as after migration 0014): stored, no hour counted again
    with store.engine.begin() as conn:
        conn.execute(delete(t.oee_quarter_downtime))
        conn.execute(delete(t.oee_quarters))
    assert summarise(store, until=NOW, silence_s=7200.0) == 0
    assert (_hours(store), _quarters(store)) == (4 * 44, 4 * 44 * 4)
    _check(store, windows, 7200.0)
    # one quarter of one station missing, the first of its hour (a quarter of a station-hour
    # to read, which a total rounded to whole station-hours made none): stored too
    first = int(T0.timestamp()) + 9 * 3600
    with store.engine.begin() as conn:
        for table in (t.oee_quarters, t.oee_quarter_downtime):
            conn.execute(delete(table).where(table.c.station_id == 2,
                                             table.c.quarter_s == first))  # fmt: skip
    assert _quarters(store) == 4 * 44 * 4 - 1
    assert summarise(store, until=NOW, silence_s=7200.0) == 0
    assert _quarters(store) == 4 * 44 * 4


def test_station_edges_are_the_timelines_counted(store: Any) -> None:
    """``station_edges`` is ``station_timelines`` as columns, less the records, of which it
    gives the first one's time, their count and their OK count: for windows on and off the
    hour, in a planned stop and before any data."""
    names = ["weld-1", "fill-1", "fill-2", "seal-1"]
    h = timedelta(hours=1)
    counted = []
    for lo, hi in [(T0 - h, T0 + h / 3), (T0 + 5.29 * h, T0 + 5.71 * h), (T0 + 3 * h, T0 + 4 * h),
                   (T0 + 20.2 * h, T0 + 21 * h), (T0 + 30 * h, T0 + 31.99 * h)]:  # fmt: skip
        e = store.station_edges(names, lo, hi)
        lines = store.station_timelines(names, lo, hi)
        assert set(e.stations) == set(lines) == set(names)
        want = StationEdges.of({n: lines[n] for n in e.stations})
        assert len(e.change_s) == sum(len(tl.states) for tl in lines.values())
        for i, n in enumerate(e.stations):
            tl = lines[n]
            got_kinds = [e.kinds[k] for k in e.change_kind[e.change_station == i]]
            assert got_kinds == [(st, reason) for _, st, reason in tl.states], n
            assert e.change_s[e.change_station == i].tolist() == [
                ts.timestamp() for ts, _, _ in tl.states
            ]
            held = None if e.standing[i] < 0 else e.kinds[e.standing[i]]
            assert held == (None if tl.standing is None else tl.standing[1:]), n
            assert (int(e.records[i]), int(e.ok[i])) == (len(tl.record_s), int(tl.record_ok.sum()))
        for col in ("last_message_s", "first_record_s", "records", "ok"):
            np.testing.assert_array_equal(getattr(e, col), getattr(want, col), err_msg=col)
        counted.append(int(e.records.sum()))
    assert counted[0] > 0 and counted[1] > 0 and counted[3] == 0  # the stop: no records


def test_hour_sums_by_step_add_up_the_stations(store: Any) -> None:
    """Read ``by_step`` (a line's rows), the stored hours are summed per (line, step, bucket)
    by the database: the same as the stations' sums added up, counts exactly, and the same
    stored runs; hours in no bucket (the planned stop between the shifts) count in none."""
    summarise(store, until=NOW, silence_s=60.0)
    names = ["weld-1", "fill-1", "fill-2", "seal-1"]
    t0 = int(T0.timestamp())
    h = 3600
    buckets = [(t0 + 1800.0, t0 + 10.0 * h), (t0 + 10.0 * h, t0 + 20.0 * h),
               (t0 + 24.0 * h, t0 + 34.0 * h)]  # fmt: skip
    per = store.oee_hour_sums(names, t0, t0 + 40 * h, 60.0, buckets)
    got = store.oee_hour_sums(names, t0, t0 + 40 * h, 60.0, buckets, by_step=True)
    assert got.sums == {} and per.step_sums == {}
    assert got.covered == per.covered and got.down == per.down
    step_of = {"weld-1": "weld", "fill-1": "fill", "fill-2": "fill", "seal-1": "seal"}
    want: dict[tuple[str, str, int], list[float]] = {}
    for (n, k), sums in per.sums.items():
        acc = want.setdefault(("traced line", step_of[n], k), [0.0] * 5)
        for i, v in enumerate(sums):
            acc[i] += v
    assert (
        set(got.step_sums)
        == set(want)
        == {("traced line", s, k) for s in ("weld", "fill", "seal") for k in range(3)}
    )
    for key, sums in got.step_sums.items():
        assert sums[3:] == tuple(int(v) for v in want[key][3:])  # pq, gq
        assert sums[:3] == pytest.approx(want[key][:3], rel=1e-12, abs=1e-9)


def test_live_oee_runs_with_the_collector_paused(store: Any) -> None:
    """The cyclic garbage collector is paused while live OEE computes (its full collections
    were the p95 of the line's request) and runs again afterwards, also after an error."""
    import gc

    seen = []

    class Probe(_Spy):
        def oee_layout(self) -> Any:
            seen.append(gc.isenabled())
            return self._store.oee_layout()

    assert gc.isenabled()
    live_oee(Probe(store), since=T0, until=T0 + timedelta(hours=3), silence_s=60.0, now=NOW)
    assert seen == [False] and gc.isenabled()
    with pytest.raises(Exception, match="station"):
        live_oee(Probe(store), station="nowhere", since=T0, until=T0 + timedelta(hours=1),
                 silence_s=60.0, now=NOW)  # fmt: skip
    assert seen == [False, False] and gc.isenabled()


def _step_hours(store: Any) -> dict[tuple[str, int], tuple[int, float, float, int]]:
    """(step, hour) -> (stations, production s, downtime-by-cause s, produced) stored."""
    osh, osd, st = t.oee_step_hours, t.oee_step_hour_downtime, t.steps
    with store.engine.connect() as conn:
        down: dict[tuple[int, int], float] = {}
        for sid, hour, sec in conn.execute(select(osd.c.step_id, osd.c.hour_s, osd.c.seconds)):
            down[(sid, hour)] = down.get((sid, hour), 0.0) + sec
        q = select(st.c.name, osh.c.step_id, osh.c.hour_s, osh.c.stations, osh.c.apt_s,
                   osh.c.pq).join(st, st.c.id == osh.c.step_id)  # fmt: skip
        t0 = int(T0.timestamp())
        return {(r[0], int(r[2]) - t0): (r[3], r[4], down.get((r[1], r[2]), 0.0), r[5])
                for r in conn.execute(q)}  # fmt: skip


def test_step_hours_are_the_stations_summed_and_kept_valid(store: Any) -> None:
    """Each hour that every station of a step has stored is stored once more for the step,
    summed (migration 0013: a line's window reads one row per step and hour); a late write
    deletes its step's hours from its hour on, as it deletes the station's, and the next pass
    stores them again; a line's OEE reads them (a step hour changed by hand shows), except a
    step hour summed over another number of stations than the step has now."""
    summarise(store, until=NOW, silence_s=60.0)
    got = _step_hours(store)
    assert store.roll_up_oee_steps(60.0, 0) == 0  # all stored already
    assert {k[0] for k in got} == {"weld", "fill", "seal"}
    assert len(got) == 3 * 44 and {k[1] for k in got} == {3600 * i for i in range(44)}
    oh, sn, st = t.oee_hours, t.stations, t.steps
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(st.c.name, oh.c.hour_s, oh.c.apt_s, oh.c.pq)
            .join(sn, sn.c.id == oh.c.station_id)
            .join(st, st.c.id == sn.c.step_id)
        ).all()
    want: dict[tuple[str, int], list[float]] = {}
    for name, hour, apt, pq in rows:
        acc = want.setdefault((name, int(hour) - int(T0.timestamp())), [0, 0.0, 0])
        acc[0] += 1
        acc[1] += apt
        acc[2] += pq
    assert set(want) == set(got)
    for key, (n, apt, _, pq) in got.items():
        assert (n, pq) == (want[key][0], want[key][2]) and n == (2 if key[0] == "fill" else 1)
        assert apt == pytest.approx(want[key][1], rel=1e-12, abs=1e-9)
    # a late state change of fill-2 at 30 h 12 min: fill's hours from 30 h gone, not the others
    late = T0 + timedelta(hours=30, minutes=12)
    jam = {"id": "late-2", "type": "state", "station": "fill-2", "ts": late.isoformat(),
           "state": "down", "reason": "late jam"}  # fmt: skip
    assert submit(store, [jam]).accepted == 1
    after = _step_hours(store)
    assert {k for k in got if k not in after} == {("fill", 3600 * i) for i in range(30, 44)}
    assert store.roll_up_oee_steps(60.0, 0) == 0  # fill-2's hours from 30 h not stored yet
    window = {"since": T0 + timedelta(hours=2, minutes=7), "until": T0 + timedelta(hours=41),
              "silence_s": 60.0, "now": NOW}  # fmt: skip
    _same(live_oee(store, **window), live_oee(store, summaries=False, **window))
    assert summarise(store, until=NOW, silence_s=60.0) == 14  # and fill's 14 rolled up
    again = _step_hours(store)
    assert set(again) == set(got) and again[("fill", 3600 * 30)] != got[("fill", 3600 * 30)]
    _same(live_oee(store, **window), live_oee(store, summaries=False, **window))
    # read: a step hour of fill changed by hand shows in the line's rows; summed over another
    # number of stations than fill has, it is not used
    base = live_oee(store, **window)
    osh = t.oee_step_hours
    hour = int(T0.timestamp()) + 10 * 3600
    fill = select(st.c.id).where(st.c.name == "fill").scalar_subquery()
    mark = (osh.c.step_id == fill) & (osh.c.hour_s == hour)
    for stations, shown in ((2, 1000), (1, 0)):
        with store.engine.begin() as conn:
            conn.execute(osh.update().where(mark).values(pq=osh.c.pq + 1000, stations=stations))
        rows = {r.name: r.produced for r in live_oee(store, **window).rows}
        assert rows["fill"] - {r.name: r.produced for r in base.rows}["fill"] == shown
        with store.engine.begin() as conn:
            conn.execute(osh.update().where(mark).values(pq=osh.c.pq - 1000, stations=2))


def test_window_tallies_are_the_records_counted(store: Any) -> None:
    """The floor's counts of a window from the stored hours (``window_tallies``: whole hours
    stored, the shorter part of the first and last hours added or taken away) are the records
    counted one by one, with the newest one's time: on and off the hour, with a station's
    hours missing, and with no hour stored."""
    names = ["weld-1", "fill-1", "fill-2", "seal-1"]
    rng = random.Random(11)
    spans = [(T0 + timedelta(hours=rng.randrange(0, 40), seconds=rng.uniform(0, 3600)),
              timedelta(hours=rng.randrange(2, 20), seconds=rng.uniform(0, 3600)))
             for _ in range(12)]  # fmt: skip
    spans += [(T0 + timedelta(hours=3, minutes=10), timedelta(hours=5, minutes=40)),  # long ends
              (T0 + timedelta(hours=3, minutes=50), timedelta(hours=5, minutes=20)),  # short
              (T0 + timedelta(hours=3), timedelta(hours=6))]  # on the hour  # fmt: skip

    def check() -> int:
        counted = 0
        for lo, length in spans:
            got = window_tallies(store, names, lo, lo + length, silence_s=60.0)
            want = store.station_record_tallies(names, lo, lo + length)
            assert got == want, (lo, length)
            counted += sum(t.records for t in want.values())
        return counted

    assert check() > 0  # nothing stored: all counted
    summarise(store, until=NOW, silence_s=60.0)
    assert _hours(store) > 0
    check()
    with store.engine.begin() as conn:  # a station's hours missing in the middle
        sid = conn.execute(select(t.stations.c.id).where(t.stations.c.name == "fill-1")).scalar()
        h = int((T0 + timedelta(hours=6)).timestamp())
        conn.execute(delete(t.oee_hours).where(t.oee_hours.c.station_id == sid,
                                               t.oee_hours.c.hour_s >= h,
                                               t.oee_hours.c.hour_s < h + 4 * 3600))  # fmt: skip
    check()


def test_a_bounded_pass_stops_and_the_next_goes_on(store: Any) -> None:
    """``max_hours`` (what `gigaline connect` gives each pass): a pass stops once it has read
    that many station-hours (after the batch that passed it: here a day of the 4 stations),
    and passes after it go on until nothing is missing, the hours and quarters then all
    there."""
    first = summarise(store, until=NOW, silence_s=60.0, max_hours=30)
    assert 0 < first < 4 * 44
    passes, stored = 1, first
    while (got := summarise(store, until=NOW, silence_s=60.0, max_hours=30)) > 0:
        passes, stored = passes + 1, stored + got
    assert stored == _hours(store) == 4 * 44 and _quarters(store) == 4 * 44 * 4
    assert passes == 2  # the two days
