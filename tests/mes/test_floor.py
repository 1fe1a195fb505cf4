"""The shop floor over a window (services.floor) and a hold's units (services.hold_contents).

The floor is checked against hand-made state changes whose times give the durations by
subtraction (the oracle), on the memory store and on SQLite alike; a hold's units against
where-used, which they must equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gigaline.errors import FieldError, NotFoundError
from gigaline.kpi import quality_rate
from gigaline.mes.ingest import ingest, submit
from gigaline.mes.memory import MemoryStore
from gigaline.mes.ports import Store
from gigaline.mes.services import (
    floor,
    hold_contents,
    init_line,
    place_hold,
    where_used,
)
from gigaline.mes.sql import open_store
from gigaline.model import Line

from .conftest import empty_database, mini_events


def _state(i: int, ts: str, station: str, state: str, reason: str | None = None) -> dict[str, Any]:
    e = {"id": f"s-{i}", "type": "state", "ts": ts, "station": station, "state": state}
    if reason is not None:
        e["reason"] = reason
    return e


def _record(i: int, ts: str, station: str, step: str, result: str) -> dict[str, Any]:
    e = {"id": f"p-{i}", "type": "process", "ts": ts, "station": station, "step": step,
         "unit": f"U-{i}", "unit_type": "cell", "result": result}  # fmt: skip
    if result == "NG":
        e["reason"] = "leak"
    return e


#: c_coat-1: running from 06:00 (before the window), down 08:30-09:00 (web break),
#: blocked 09:00-09:15, running from 09:15; c_mix-1 sends nothing; window 08:00-10:00.
EVENTS = [
    _state(1, "2026-03-02T06:00:00Z", "c_coat-1", "running"),
    _state(2, "2026-03-02T08:30:00Z", "c_coat-1", "down", "web break"),
    _state(3, "2026-03-02T09:00:00Z", "c_coat-1", "blocked"),
    _state(4, "2026-03-02T09:15:00Z", "c_coat-1", "running"),
    _state(5, "2026-03-02T11:00:00Z", "c_coat-1", "down", "after the window"),
    *[_record(i, f"2026-03-02T08:{10 + i:02d}:00Z", "c_coat-1", "c_coat", "OK") for i in range(6)],
    _record(7, "2026-03-02T09:40:00Z", "c_coat-1", "c_coat", "NG"),
    _record(8, "2026-03-02T07:40:00Z", "c_coat-1", "c_coat", "NG"),  # before the window
]
START = datetime(2026, 3, 2, 8, tzinfo=UTC)
END = datetime(2026, 3, 2, 10, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def floor_store(request: pytest.FixtureRequest, mini_line: Line, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        yield from _filled(MemoryStore(), mini_line)
        return
    for url in empty_database(request, tmp_path, request.param == "sqlite", "f.db"):
        yield from _filled(open_store(url), mini_line)


def _filled(store: Store, mini_line: Line) -> Iterator[Store]:
    init_line(store, mini_line)
    assert submit(store, EVENTS).accepted == len(EVENTS)
    try:
        yield store
    finally:
        store.close()


def test_floor_times_states_and_downtime_by_subtraction(floor_store: Store) -> None:
    f = floor(floor_store, hours=2, until=END)
    assert (f.start, f.end, f.window_s) == ("2026-03-02T08:00:00Z", "2026-03-02T10:00:00Z", 7200)
    coat = next(s for s in f.stations if s.station == "c_coat-1")
    # 08:00-08:30 and 09:15-10:00 running; 30 min down; 15 min blocked
    assert coat.state_s == {"running": 4500.0, "down": 1800.0, "blocked": 900.0}
    assert (coat.state, coat.since) == ("running", "2026-03-02T09:15:00Z")
    assert (coat.records, coat.ok, coat.ng) == (7, 6, 1)
    assert coat.quality_rate == pytest.approx(6 / 7)
    assert coat.last_record == "2026-03-02T09:40:00Z"
    mix = next(s for s in f.stations if s.station == "c_mix-1")
    assert (mix.state, mix.state_s, mix.records, mix.quality_rate) == (
        "unknown", {"unknown": 7200.0}, 0, None,
    )  # fmt: skip
    segs = [(s.state, s.start, s.end) for s in f.timeline if s.station == "c_coat-1"]
    assert segs == [
        ("running", "2026-03-02T08:00:00Z", "2026-03-02T08:30:00Z"),
        ("down", "2026-03-02T08:30:00Z", "2026-03-02T09:00:00Z"),
        ("blocked", "2026-03-02T09:00:00Z", "2026-03-02T09:15:00Z"),
        ("running", "2026-03-02T09:15:00Z", "2026-03-02T10:00:00Z"),
    ]
    # every station's times add up to the window
    assert all(sum(s.state_s.values()) == pytest.approx(7200) for s in f.stations)


def test_record_tallies_are_what_the_timelines_records_add_up_to(floor_store: Store) -> None:
    """The floor counts records with ``station_record_tallies`` (the database counts them)
    and reads its timelines without records: the same counts as the records read."""
    stations = ["c_coat-1", "c_mix-1"]
    for since, until in ((START, END), (START - timedelta(hours=1), END + timedelta(hours=2))):
        full = floor_store.station_timelines(stations, since, until)
        bare = floor_store.station_timelines(stations, since, until, records=False)
        tallies = floor_store.station_record_tallies(stations, since, until)
        assert set(tallies) == {n for n, t in full.items() if len(t.record_s)} == {"c_coat-1"}
        t, got = full["c_coat-1"], tallies["c_coat-1"]
        assert (got.records, got.ok) == (len(t.record_s), int(t.record_ok.sum()))
        assert got.last_s == pytest.approx(float(t.record_s.max()), abs=1e-6)
        for n in stations:  # the same states, no records
            assert (bare[n].standing, bare[n].states) == (full[n].standing, full[n].states)
            assert len(bare[n].record_s) == len(bare[n].record_ok) == 0
    assert tallies["c_coat-1"].records == 8  # the 07:40 record too: the window is wider
    assert floor_store.station_record_tallies([], START, END) == {}


def _without_times(f: Any, drawn: int) -> list[dict[str, Any]]:
    rows = [s.model_dump() for s in f.stations]
    for i, r in enumerate(rows):
        if i >= drawn:
            r["state_s"] = {}
    return rows


def test_floor_without_state_times_shows_the_same_but_the_undrawn_times(
    floor_store: Store,
) -> None:
    """Without ``state_times`` (the plant and line pages) only the drawn stations' changes are
    read: the same states, counts and timeline; the undrawn stations' ``state_s`` is empty."""
    for until in (END, datetime(2026, 3, 2, 9, 10, tzinfo=UTC), None):
        full = floor(floor_store, hours=2, until=until, timeline_stations=1)
        cut = floor(floor_store, hours=2, until=until, timeline_stations=1, state_times=False)
        assert len(full.stations) > 1 and full.stations[0].state_s
        assert cut.timeline == full.timeline and (cut.start, cut.end) == (full.start, full.end)
        assert [s.model_dump() for s in cut.stations] == _without_times(full, 1)
        assert [s.state_s for s in cut.stations[1:]] == [{}] * (len(cut.stations) - 1)


def test_floor_without_state_times_on_a_busy_half_day(stores: list[Store]) -> None:
    for store in stores:
        for drawn in (0, 3):
            full = floor(store, hours=4, timeline_stations=drawn)
            cut = floor(store, hours=4, timeline_stations=drawn, state_times=False)
            assert sum(s.records for s in full.stations) > 100
            assert {s.state for s in full.stations} - {"unknown"}
            assert cut.timeline == full.timeline
            assert [s.model_dump() for s in cut.stations] == _without_times(full, drawn)
            for s in full.stations:  # the rates made at once: each station's own GQ / PQ
                q = quality_rate(float(s.ok), float(s.records))
                assert s.quality_rate == (None if q != q else q)
            assert any(s.quality_rate is not None for s in full.stations)
            assert any(s.quality_rate is None for s in full.stations)


def test_floor_window_ends_at_the_newest_stored_data(floor_store: Store) -> None:
    f = floor(floor_store, hours=1, station="c_coat-1")
    assert f.end == "2026-03-02T11:00:00.000001Z"  # the last state change, included
    assert [s.station for s in f.stations] == ["c_coat-1"]
    assert f.stations[0].state == "down" and f.stations[0].reason == "after the window"


def test_floor_refuses_what_it_cannot_show(floor_store: Store) -> None:
    with pytest.raises(NotFoundError, match="nowhere"):
        floor(floor_store, line="nowhere")
    with pytest.raises(NotFoundError):
        floor(floor_store, station="nope-1")
    with pytest.raises(FieldError, match="hours"):
        floor(floor_store, hours=0)


@pytest.fixture(scope="module")
def day(mini_line: Line) -> list[dict[str, Any]]:
    return mini_events(mini_line, days=0.5, seed=7)


@pytest.fixture(scope="module")
def stores(
    mini_line: Line, day: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[Store]]:
    out: list[Store] = [MemoryStore(), open_store(f"sqlite:///{tmp_path_factory.mktemp('g')}/g.db")]
    for s in out:
        init_line(s, mini_line)
        assert ingest(s, day, batch_size=2000).rejected == 0
    try:
        yield out
    finally:
        for s in out:
            s.close()


def test_hold_contents_are_the_units_where_used_finds(
    stores: list[Store], day: list[dict[str, Any]]
) -> None:
    lot = next(e["lot"] for e in day if e["type"] == "lot" and e["material"] == "separator")
    for store in stores:
        hold = place_hold(store, lot, "supplier recall", "qa")
        got = hold_contents(store, hold.id)
        assert got.hold.units == hold.units == len(got.units) > 0
        assert got.units == sorted(where_used(store, lot).units)
        assert hold_contents(store, hold.id, limit=3).units == got.units[:3]
        with pytest.raises(NotFoundError):
            hold_contents(store, 10_000)
        with pytest.raises(FieldError):
            hold_contents(store, hold.id, limit=0)
