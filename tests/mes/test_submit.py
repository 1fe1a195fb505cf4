"""Ingestion for connectors: submit() after the commit, writers side by side, sites, versions."""

from __future__ import annotations

import gc
import json
import threading
import time
from typing import Any

import pytest
from sqlalchemy import select

from gigaline.events import EventError, check_event, decode_event
from gigaline.mes.ingest import decode, ingest, look_up, prepare, submit
from gigaline.mes.memory import MemoryStore
from gigaline.mes.ports import AppendConflictError
from gigaline.mes.rows import Rows
from gigaline.mes.services import counts, init_line, trace
from gigaline.mes.sql import SqlStore
from gigaline.mes.sql import tables as t
from gigaline.mes.sql.db import make_engine
from gigaline.model import Line

from .test_ingest import LOT, PROCESS, STATE


class _Recorder:
    """Wraps a store and records when its append returned (to check submit waits for it)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.log: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def append(self, rows: Rows) -> Any:
        out = self.store.append(rows)
        self.log.append("committed")
        return out


def test_submit_returns_after_the_commit(store: SqlStore) -> None:
    rec = _Recorder(store)
    result = submit(rec, [json.dumps(e) for e in (LOT, PROCESS, STATE)])
    rec.log.append("returned")
    assert rec.log == ["committed", "returned"]
    assert (result.accepted, result.duplicate, result.rejected) == (3, 0, 0)
    # durable: another connection (a fresh store on the same database) sees every row
    from gigaline.mes.sql.store import SqlStore as Fresh

    other = Fresh(make_engine(store.url if "***" not in store.url else str(store.engine.url)))
    try:
        assert counts(other)["events"] == 3 and trace(other, "SB-0001").lots == ["CAM-0001"]
    finally:
        other.close()


def test_a_write_raced_by_another_writer_is_prepared_again(store: SqlStore) -> None:
    """A second writer stores the same events between the look-up and the append: the append
    conflicts (nothing written), and submit looks up again: the events are duplicates."""
    events = [json.dumps(e) for e in (LOT, PROCESS, STATE)]
    assert submit(store, events).accepted == 3
    real = store.known_events
    calls = []

    def stale(site: str, ids: Any) -> set[str]:  # the first look-up misses the other writer
        calls.append(site)
        return set() if len(calls) == 1 else real(site, ids)

    store.known_events = stale  # type: ignore[method-assign]
    rows = prepare(decode(events), look_up(store, decode(events))).rows
    assert len(rows.events) == 2  # what the stale look-up would write (the lot it rejects) ...
    with pytest.raises(AppendConflictError):
        store.append(rows)  # ... conflicts as a whole
    calls.clear()
    result = submit(store, events)
    assert (result.accepted, result.duplicate, result.rejected) == (0, 3, 0)
    assert len(calls) == 2  # looked up, conflicted, looked up again
    assert counts(store)["events"] == 3 and counts(store)["process_records"] == 1


def test_the_bulk_path_recovers_from_a_raced_batch(store: SqlStore, mini_day: list[Any]) -> None:
    """In the bulk path, a batch whose look-up missed another writer's rows conflicts; it is
    prepared and written again, and so is the batch prepared on top of it."""
    events = mini_day[:900]
    assert ingest(store, events[:600]).accepted == 600  # "another writer" stored these
    real = store.known_events
    calls: list[str] = []

    def stale_for_the_second_batch(site: str, ids: Any) -> set[str]:
        calls.append(site)
        return set() if len(calls) == 2 else real(site, ids)

    store.known_events = stale_for_the_second_batch  # type: ignore[method-assign]
    result = ingest(store, events, batch_size=300)
    assert (result.accepted, result.duplicate, result.rejected) == (300, 600, 0)
    assert len(calls) > 3  # the raced batch and the one after it were looked up again
    assert counts(store)["events"] == 900 and counts(store)["dead_letters"] == 0


def test_the_gc_is_paused_only_when_asked(store: SqlStore, mini_day: list[Any]) -> None:
    seen: list[bool] = []
    assert gc.isenabled()
    ingest(store, mini_day[:200], batch_size=100, progress=lambda n: seen.append(gc.isenabled()))
    assert seen == [True, True]
    seen.clear()
    ingest(store, mini_day[200:400], batch_size=100, pause_gc=True,
           progress=lambda n: seen.append(gc.isenabled()))  # fmt: skip
    assert seen == [False, False] and gc.isenabled()


def test_events_are_keyed_by_site_and_id(store: SqlStore) -> None:
    site = store.site
    assert site == "testsite"
    lot_a = {**LOT, "site": "plant-b", "lot": "L-b"}  # same id, other plant: another event
    lot_same = {**LOT, "site": site, "lot": "L-same"}  # same id, the store's site: a duplicate
    result = submit(store, [json.dumps(LOT), json.dumps(lot_a), json.dumps(lot_same)])
    assert (result.accepted, result.duplicate) == (2, 1)
    with store.engine.connect() as conn:
        keys = set(conn.execute(select(t.events.c.site, t.events.c.id)))
    assert keys == {(site, "e-1"), ("plant-b", "e-1")}  # no site: the store's site
    again = submit(store, [json.dumps(lot_a)])
    assert (again.accepted, again.duplicate) == (0, 1)


def test_memory_store_keys_events_by_site_too(mini_line: Line) -> None:
    store = MemoryStore()
    init_line(store, mini_line)
    result = submit(store, [LOT, {**LOT, "site": "plant-b", "lot": "L-b"}, {**LOT, "v": 1}])
    assert (result.accepted, result.duplicate) == (2, 1)
    assert store.known_events("testsite", ["e-1", "e-9"]) == {"e-1"}


def test_contract_version() -> None:
    assert check_event({**LOT, "v": 1}) == check_event(LOT)
    assert check_event(LOT).v == 1
    fast = decode_event(json.dumps({**PROCESS, "v": 1}).encode())
    assert fast is not None and fast == check_event(PROCESS)
    for bad in (2, 0, "1", True, None, 1.5):
        assert decode_event(json.dumps({**PROCESS, "v": bad}).encode()) is None
        with pytest.raises(EventError, match="v: unsupported contract version"):
            check_event({**PROCESS, "v": bad})


def test_a_conflict_that_returns_before_the_next_batch_loses_nothing(
    store: SqlStore, mini_day: list[Any]
) -> None:
    """The same race, with the raced batch's write back (as a conflict) before the next batch
    is decoded, as happens on a loaded machine: the stream goes on, nothing is left out."""
    events = mini_day[:900]
    assert ingest(store, events[:600]).accepted == 600
    real_known, real_append = store.known_events, store.append
    calls: list[str] = []
    conflicted = threading.Event()

    def stale_for_the_second_batch(site: str, ids: Any) -> set[str]:
        calls.append(site)
        return set() if len(calls) == 2 else real_known(site, ids)

    def append(rows: Any) -> int:
        try:
            return real_append(rows)
        except AppendConflictError:
            conflicted.set()
            raise

    def stream() -> Any:
        for i, e in enumerate(events):
            if i == 600:  # the third batch is read only once the second has conflicted
                assert conflicted.wait(30)
                time.sleep(0.05)  # and its future is done
            yield e

    store.known_events = stale_for_the_second_batch  # type: ignore[method-assign]
    store.append = append  # type: ignore[method-assign]
    result = ingest(store, stream(), batch_size=300)
    assert (result.accepted, result.duplicate, result.rejected) == (300, 600, 0)
    assert counts(store)["events"] == 900 and counts(store)["dead_letters"] == 0
