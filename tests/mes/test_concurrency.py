"""Writers side by side, in processes of their own: holds stay complete (issue 14, item 1).

A hold placed while an ingest runs must cover, once it has committed, every unit that contains
its target: those stored before it and those any writer stores after it. Holds are placed at
random moments while ingest processes write the stream in small batches; at the end every
hold's units equal where-used of its target, exactly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gigaline.mes.ingest import ingest, submit
from gigaline.mes.memory import MemoryStore
from gigaline.mes.services import init_line, place_hold, trace, where_used
from gigaline.mes.sql import SqlStore, open_store
from gigaline.model import Line, load_line

from . import _concurrent as cc
from .conftest import LINES, empty_database, mini_events
from .test_ingest import LOT, PROCESS, proc


def _stream(line: Line, tmp_path: Path, days: float) -> tuple[Path, list[str]]:
    events = mini_events(line, days=days, seed=5)
    path = tmp_path / "stream.ndjson"
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    lots = [e["lot"] for e in events if e["type"] == "lot"]
    units = sorted({e["unit"] for e in events if e["type"] == "process"})
    return path, lots * 4 + units[:: max(len(units) // 50, 1)]


def test_holds_placed_during_an_ingest_cover_every_unit(
    db_url: str, mini_line: Line, tmp_path: Path
) -> None:
    path, targets = _stream(mini_line, tmp_path, days=1.0)
    with open_store(db_url) as store:
        init_line(store, mini_line)
        results = cc.queue()
        writer = cc.start_ingest(db_url, path, 40, results)
        try:
            hold_ids = cc.hold_at_random_moments(store, targets, [writer], seed=1)
        finally:
            writer.join(120)
        assert writer.exitcode == 0
        assert results.get(timeout=5)["rejected"] == 0
    missed, held = cc.missed_units(db_url, hold_ids)
    print(f"{len(hold_ids)} holds, {held} held units, {missed} missed")
    assert len(hold_ids) >= 5 and held > 0
    assert missed == 0


def _edges_after_the_hold(store: Any) -> dict[str, list[str]]:
    """A lot held before it is consumed by units that exist already (a slurry batch that gets
    its binder late, with a coil made from it stored; another whose coil comes in the same
    batch, before the edge): every unit containing the lot joins the hold."""
    lot2 = dict(LOT, id="e-10", lot="BIND-1", material="cathode_binder")
    sb2 = dict(PROCESS, id="e-11", unit="SB-0002")
    assert submit(store, [LOT, lot2, PROCESS, sb2, proc("e-12")]).accepted == 5
    placed = place_hold(store, "BIND-1", "binder recall")
    assert placed.units == 0
    late = [
        dict(PROCESS, id="e-13", consumed=[{"unit": "BIND-1", "qty": 1.0}]),
        proc("e-14", consumed=[{"unit": "SB-0002", "qty": 1.0}]),
        dict(PROCESS, id="e-15", unit="SB-0002", consumed=[{"unit": "BIND-1", "qty": 1.0}]),
    ]
    assert submit(store, late).accepted == 3
    return {u: [h.target for h in trace(store, u).holds] for u in where_used(store, "BIND-1").units}


def test_units_stored_before_they_consume_a_held_lot_join_it(store: SqlStore) -> None:
    held = _edges_after_the_hold(store)
    assert held == {u: ["BIND-1"] for u in ("CC-e-12", "CC-e-14", "SB-0001", "SB-0002")}
    memory = MemoryStore()
    init_line(memory, load_line(LINES / "mini.yaml"))
    assert _edges_after_the_hold(memory) == held


@pytest.fixture
def reference_url(db_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A second empty database of the same kind as ``db_url``: the single writer's."""
    yield from empty_database(request, tmp_path, db_url.startswith("sqlite"), "reference.db")


def _write(path: Path, events: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return path


@pytest.mark.parametrize("overlap", ["same file", "overlapping files"])
def test_two_writers_store_what_one_writer_stores(
    db_url: str, reference_url: str, mini_line: Line, tmp_path: Path, overlap: str
) -> None:
    """Two ingest processes at the same time, on one file or on two files that overlap by a
    third: no error, no event lost or dead-lettered for want of the other's references, and
    the end state is the single writer's (issue 14, item 4)."""
    events = mini_events(mini_line, days=0.5, seed=7)
    n = len(events)
    parts = [events, events] if overlap == "same file" else [events[: 2 * n // 3], events[n // 3 :]]
    files = [_write(tmp_path / f"part-{i}.ndjson", p) for i, p in enumerate(parts)]
    for url in (db_url, reference_url):
        with open_store(url) as store:
            init_line(store, mini_line)
    with open_store(reference_url) as store:
        alone = ingest(store, [json.dumps(e) for e in events])
    assert (alone.accepted, alone.rejected, alone.pending) == (n, 0, 0)
    results = cc.queue()
    writers = [cc.start_ingest(db_url, f, 40, results) for f in files]
    for w in writers:
        w.join(120)
    assert [w.exitcode for w in writers] == [0, 0]
    got = [results.get(timeout=5) for _ in writers]
    # each event stored once, by one writer or the other (as it came, or once it had waited
    # for the other's rows); a writer's own pending count may be of events the other stored
    # after it ended: the store's pending table is compared below (empty, as one writer's)
    assert sum(r["rejected"] for r in got) == 0
    assert sum(r["accepted"] + r["resolved"] for r in got) == n
    assert cc.stored_contents(db_url) == cc.stored_contents(reference_url)


def _units(url: str) -> list[tuple[Any, ...]]:
    return cc.stored_contents(url)["units"]


@pytest.mark.parametrize("order", ["later part first", "earlier part first", "reversed"])
def test_a_units_row_is_its_earliest_event_whatever_the_order_of_writers(
    db_url: str, reference_url: str, mini_line: Line, order: str
) -> None:
    """Two writers' interleavings made deterministic: the later of two overlapping parts
    written first (as the faster of two processes may), or the stream backwards. Every
    unit's row is the earliest of its events (``ts``, ties by event id), as one writer in
    time order stores it: ``units.event_id`` and ``ts`` included (issue 14, item 4)."""
    events = mini_events(mini_line, days=0.5, seed=7)
    n = len(events)
    early, late = events[: 2 * n // 3], events[n // 3 :]
    parts = {
        "later part first": [late, early],
        "earlier part first": [early, late],
        "reversed": [events[::-1]],
    }[order]
    for url in (db_url, reference_url):
        with open_store(url) as store:
            init_line(store, mini_line)
    with open_store(reference_url) as store:
        ingest(store, [json.dumps(e) for e in events])
    with open_store(db_url) as store:
        for part in parts:
            ingest(store, [json.dumps(e) for e in part], batch_size=40)
    got, want = _units(db_url), _units(reference_url)
    differing = len(set(got) ^ set(want)) // 2
    print(f"{order}: {len(want)} units, {differing} rows differ")
    assert differing == 0
    assert cc.stored_contents(db_url) == cc.stored_contents(reference_url)


def test_the_memory_store_keeps_a_units_earliest_event(mini_line: Line) -> None:
    """The same definition in the store without a database: the later part first."""
    events = mini_events(mini_line, days=0.5, seed=7)
    n = len(events)
    alone, both = MemoryStore(), MemoryStore()
    for store in (alone, both):
        init_line(store, mini_line)
    ingest(alone, [json.dumps(e) for e in events])
    for part in (events[n // 3 :], events[: 2 * n // 3]):
        ingest(both, [json.dumps(e) for e in part], batch_size=40)
    units = {e["unit"] for e in events if e["type"] == "process"}
    want, got = alone.unit_firsts(units), both.unit_firsts(units)
    assert len(want) == len(units) > 100
    assert sum(got[u] != want[u] for u in units) == 0
