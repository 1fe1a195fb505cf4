"""Ingestion on SQLite and PostgreSQL: round trip, bad events, idempotency, atomic batches."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gigaline.mes.ingest import ingest
from gigaline.mes.services import (
    counts,
    trace,
    where_used,
)
from gigaline.mes.sql import SqlStore
from gigaline.mes.sql import tables as t

from .conftest import _postgres

# The three example events of the issue, with this line's station and step names.
LOT = {"id": "e-1", "type": "lot", "ts": "2026-11-28T08:00:00Z", "lot": "CAM-0001",
       "material": "cathode_active_material", "qty": 500, "uom": "kg"}  # fmt: skip
PROCESS = {"id": "e-2", "type": "process", "ts": "2026-11-28T08:10:00Z", "station": "c_mix-1",
           "step": "c_mix", "unit": "SB-0001", "unit_type": "slurry_batch", "result": "OK",
           "params": {"viscosity_mpa_s": 6021.5},
           "consumed": [{"unit": "CAM-0001", "qty": 120.5}]}  # fmt: skip
STATE = {"id": "e-3", "type": "state", "ts": "2026-11-28T08:11:00Z", "station": "c_coat-1",
         "state": "down", "reason": "web break"}  # fmt: skip


def proc(event_id: str, **changes: Any) -> dict[str, Any]:
    """A valid process event (a coil coated from slurry batch SB-0001), changed as asked."""
    e: dict[str, Any] = {"id": event_id, "type": "process", "ts": "2026-11-28T09:00:00Z",
                         "station": "c_coat-1", "step": "c_coat", "unit": f"CC-{event_id}",
                         "unit_type": "electrode_coil", "result": "OK",
                         "consumed": [{"unit": "SB-0001", "qty": 10.0}]}  # fmt: skip
    e.update(changes)
    return {k: v for k, v in e.items() if v is not None}


def test_round_trip(store: SqlStore) -> None:
    result = ingest(store, [json.dumps(e) for e in (LOT, PROCESS, STATE)])
    assert (result.accepted, result.duplicate, result.rejected) == (3, 0, 0)
    n = counts(store)
    assert n["events"] == 3 and n["lots"] == 1 and n["units"] == 1
    assert n["process_records"] == 1 and n["genealogy"] == 1
    assert n["machine_states"] == 1
    tr = trace(store, "SB-0001").model_dump()
    assert tr["unit"] == "SB-0001" and tr["unit_type"] == "slurry_batch"
    assert tr["lots"] == ["CAM-0001"] and tr["ancestors"] == []
    (rec,) = tr["records"]
    assert rec["step"] == "c_mix" and rec["station"] == "c_mix-1"
    assert rec["ts"] == "2026-11-28T08:10:00Z" and rec["result"] == "OK"
    assert rec["params"] == {"viscosity_mpa_s": 6021.5}
    assert where_used(store, "CAM-0001").model_dump() == {
        "source": "CAM-0001",
        "units": ["SB-0001"],
        "cells": [],
    }
    with store.engine.connect() as conn:
        qty = conn.execute(select(t.genealogy.c.qty)).scalar_one()
        lot = conn.execute(select(t.lots.c.qty, t.lots.c.uom)).one()
    assert qty == 120.5 and tuple(lot) == (500.0, "kg")


def _bad_events() -> list[tuple[str, str, str]]:
    """(kind, raw payload, words the dead letter's reason must contain)."""
    d = json.dumps
    big = d(proc("big", reason="x" * 100, params={f"p{i}": float(i) for i in range(200)}))
    big = big[:-1] + ', "pad": "' + " " * 300_000 + '"}'
    return [
        ("invalid JSON", '{"id": "j1", "type": "lot"', "invalid JSON"),
        ("not an object", "[1, 2, 3]", "must be a JSON object"),
        ("missing id", d({k: v for k, v in LOT.items() if k != "id"}), "missing field 'id'"),
        ("empty id", d({**LOT, "id": "", "lot": "L-x"}), "id: must have 1 to 128"),
        ("missing type", d({"id": "m2", "ts": "2026-11-28T08:00:00Z"}), "missing field 'type'"),
        ("unknown type", d({**LOT, "id": "m3", "type": "teleport"}), "unknown event type"),
        ("missing ts", d({k: v for k, v in proc("m4").items() if k != "ts"}), "missing field 'ts'"),
        ("missing station", d({k: v for k, v in proc("m5").items() if k != "station"}),
         "missing field 'station'"),
        ("wrong type of qty", d({**LOT, "id": "w1", "lot": "L-w1", "qty": "five"}),
         "qty: must be a number"),
        ("boolean qty", d({**LOT, "id": "w2", "lot": "L-w2", "qty": True}),
         "qty: must be a number"),
        ("unknown unit_type", d(proc("u1", unit_type="widget")), "unknown unit type 'widget'"),
        ("impossible timestamp", d(proc("t1", ts="2026-13-45T25:00:00Z")), "impossible date"),
        ("timestamp without zone", d(proc("t2", ts="2026-11-28T08:00:00")),
         "not an RFC 3339 timestamp"),
        ("started after ts", d(proc("t3", started="2026-11-28T10:00:00Z")), "is after ts"),
        ("bad result", d(proc("r1", result="MAYBE")), "result: must be 'OK' or 'NG'"),
        ("non-numeric parameter", d(proc("p1", params={"thickness_um": "thick"})),
         "params.thickness_um: must be a number"),
        ("NaN parameter (not JSON, RFC 8259)",
         d(proc("p2", params={"x": 1.0})).replace("1.0", "NaN"), "invalid JSON"),
        ("infinite parameter", d(proc("p3", params={"x": 1.0})).replace("1.0", "1e999"),
         "invalid JSON: number is infinity"),
        ("consumed unit that does not exist yet",
         d(proc("c1", consumed=[{"unit": "SB-9", "qty": 1}])),
         "no lot or unit 'SB-9'"),
        ("negative consumed qty", d(proc("c2", consumed=[{"unit": "SB-0001", "qty": -1}])),
         "must be >= 0"),
        ("unit consumes itself", d(proc("c3", unit="SB-0001", unit_type="slurry_batch")),
         "cannot consume itself"),
        ("oversized payload", big, "oversized event"),
        ("unknown station", d(proc("s1", station="coater-99")), "unknown station 'coater-99'"),
        ("station of another step", d(proc("s2", station="c_mix-1")), "performs step 'c_mix'"),
        ("unit changes type", d(proc("s3", unit="SB-0001", unit_type="cell", consumed=None)),
         "is a slurry_batch, not a cell"),
        ("unknown field", d({**proc("f1"), "colour": "blue"}), "unknown field(s) colour"),
        ("unknown machine state", d({**STATE, "id": "st1", "state": "dancing"}),
         "unknown machine state"),
        ("curve of an unknown unit", d({"id": "cv1", "type": "curve", "ts": "2026-11-28T09:00:00Z",
         "station": "form-1", "unit": "C-none", "curve": "formation", "dt_s": 60,
         "channels": {"voltage_v": [3.0, 3.1]}}), "no unit 'C-none'"),
        ("lot registered twice", d({**LOT, "id": "lot-again"}), "already registered"),
    ]  # fmt: skip


def test_bad_events_go_to_dead_letters_and_good_ones_land(store: SqlStore) -> None:
    ingest(store, [json.dumps(LOT), json.dumps(PROCESS)])
    bad = _bad_events()
    assert len(bad) >= 15
    good = [json.dumps(proc("g1")), json.dumps(proc("g2"))]
    batch = [good[0], *(raw for _, raw, _ in bad), good[1]]
    # no time to wait: the two events whose lot or unit is missing are dead letters at the end
    result = ingest(store, batch, pending_timeout_s=0)
    assert result.accepted == 2 and result.duplicate == 0
    assert (result.rejected, result.expired, result.pending) == (len(bad) - 2, 2, 0)
    with store.engine.connect() as conn:
        letters = {r.raw: r.reason for r in conn.execute(select(t.dead_letters))}
    assert len(letters) == len(bad)
    for kind, raw, words in bad:
        assert raw in letters, kind
        assert words in letters[raw], f"{kind}: {letters[raw]!r}"
    assert {u["unit"] for u in map(lambda u: trace(store, u).model_dump(), ["CC-g1", "CC-g2"])} == {
        "CC-g1",
        "CC-g2",
    }


def test_bytes_that_are_not_utf8_are_dead_lettered(store: SqlStore) -> None:
    result = ingest(store, [b'{"id": "\xff\xfe"}'])
    assert result.rejected == 1
    assert "invalid JSON" in result.rejections[0].reason or "id" in result.rejections[0].reason


def test_same_file_twice_changes_nothing(store: SqlStore, mini_day_file: Path) -> None:
    lines = mini_day_file.read_bytes().splitlines()
    first = ingest(store, lines, batch_size=500)
    n = counts(store)
    second = ingest(store, lines, batch_size=700)
    assert first.rejected == 0 and first.accepted == len(lines)
    assert second.accepted == 0 and second.duplicate == len(lines) and second.rejected == 0
    assert counts(store) == n


def test_duplicate_ids_inside_one_batch_count_once(store: SqlStore) -> None:
    again = {**LOT, "qty": 999}  # same id, other payload: the first one wins
    result = ingest(store, [json.dumps(LOT), json.dumps(again)])
    assert (result.accepted, result.duplicate) == (1, 1)
    with store.engine.connect() as conn:
        assert conn.execute(select(t.lots.c.qty)).scalar_one() == 500.0


def test_a_crash_mid_batch_leaves_no_partial_batch(
    store: SqlStore, mini_day: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from gigaline.mes.sql import bulk

    before = counts(store)
    real = bulk.insert_rows if not _postgres(store) else bulk.copy_rows
    name = "copy_rows" if _postgres(store) else "insert_rows"

    def crash_on_genealogy(conn: Any, table: str, columns: Any, rows: Any) -> None:
        if table == "genealogy":
            raise RuntimeError("simulated crash while writing genealogy")
        real(conn, table, columns, rows)

    monkeypatch.setattr(bulk, name, crash_on_genealogy)
    with pytest.raises(RuntimeError, match="simulated crash"):
        ingest(store, mini_day[:300])
    assert counts(store) == before  # events, units, records written before it: rolled back
    monkeypatch.setattr(bulk, name, real)
    assert ingest(store, mini_day[:300]).accepted == 300


def test_a_failed_write_stops_the_stream_at_a_batch_boundary(
    store: SqlStore, mini_day: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """While batch k is written, batch k+1 is resolved as if k were stored; if k's write fails,
    nothing after it is written, and a replay completes the stream."""
    from gigaline.mes.sql import bulk

    name = "copy_rows" if _postgres(store) else "insert_rows"
    real = getattr(bulk, name)
    genealogy_writes = []

    def crash_on_second_genealogy(conn: Any, table: str, columns: Any, rows: Any) -> None:
        if table == "genealogy":
            genealogy_writes.append(len(rows))
            if len(genealogy_writes) == 2:
                raise RuntimeError("simulated crash in the second batch with genealogy")
        real(conn, table, columns, rows)

    events = mini_day[:600]
    monkeypatch.setattr(bulk, name, crash_on_second_genealogy)
    with pytest.raises(RuntimeError, match="simulated crash"):
        ingest(store, events, batch_size=100)
    with store.engine.connect() as conn:
        ids = set(conn.execute(select(t.events.c.id)).scalars())
    stored = len(ids)
    assert 100 <= stored < 600 and stored % 100 == 0  # whole batches...
    assert ids == {e["id"] for e in events[:stored]}  # ...before the failed one, none after it
    monkeypatch.setattr(bulk, name, real)
    replay = ingest(store, events, batch_size=100)
    assert (replay.accepted, replay.duplicate, replay.rejected) == (600 - stored, stored, 0)
    assert counts(store)["events"] == 600


def test_an_event_waits_for_its_references_and_is_stored_when_they_come(store: SqlStore) -> None:
    """Out of order, or written by another writer not committed yet: the event waits in the
    pending store (not a dead letter), is stored once its unit comes, and expires after the
    time-out into a dead letter with the reason."""
    early = [json.dumps(proc("w1")), json.dumps(proc("w2", consumed=[{"unit": "CC-w1", "qty": 1}]))]
    first = ingest(store, early, pending_timeout_s=600)
    assert (first.accepted, first.rejected, first.pending) == (0, 0, 2)
    assert counts(store)["pending_events"] == 2 and counts(store)["dead_letters"] == 0
    later = ingest(store, [json.dumps(LOT), json.dumps(PROCESS)], pending_timeout_s=600)
    assert (later.accepted, later.resolved, later.pending) == (2, 2, 0)  # a chain: w1, then w2
    assert trace(store, "CC-w2").lots == ["CAM-0001"]
    assert counts(store)["pending_events"] == 0
    # one that never gets its lot: a dead letter once it waited longer than the time-out
    lost = ingest(store, [json.dumps(proc("w3", consumed=[{"unit": "SB-404", "qty": 1}]))])
    assert lost.pending == 1
    again = ingest(store, [], pending_timeout_s=0)
    assert again.expired == 1 and counts(store)["pending_events"] == 0
    with store.engine.connect() as conn:
        reason = conn.execute(select(t.dead_letters.c.reason)).scalar_one()
    assert reason.startswith("pending: waited more than 0 s") and "'SB-404'" in reason
