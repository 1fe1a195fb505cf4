"""A contract-valid event never fails in the database; a failing event takes no other with it.

Issue 14, item 2. On PostgreSQL a 129-256 character NG reason, an id over 128 characters (in
the dead letters), a ``hold --by`` over 128 characters and a NUL character raised out of the
ingest: that batch and every later one were lost, and a replay crashed the same way. Each case
here is a stream of one batch per event, the bad one in the middle: every other event must be
stored, the bad one accepted (what the contract allows) or dead-lettered with a reason, and a
replay must change nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select, text

from gigaline.errors import FieldError
from gigaline.mes.ingest import ingest
from gigaline.mes.services import counts, place_hold, release_hold, trace, where_used
from gigaline.mes.sql import SqlStore
from gigaline.mes.sql import tables as t

from .conftest import _postgres
from .test_ingest import LOT, PROCESS, proc


def _stream(bad: Any) -> list[Any]:
    return [json.dumps(LOT), json.dumps(PROCESS), bad, json.dumps(proc("after-1")),
            json.dumps(proc("after-2"))]  # fmt: skip


def _letters(store: SqlStore) -> list[Any]:
    with store.engine.connect() as conn:
        return list(conn.execute(select(t.dead_letters)))


def _ingest_twice(store: SqlStore, stream: list[Any]) -> tuple[Any, Any]:
    first = ingest(store, stream, batch_size=1)
    replay = ingest(store, stream, batch_size=1)
    return first, replay


def test_an_ng_reason_the_contract_allows_is_stored_whole(store: SqlStore) -> None:
    for n in (129, 200, 256):
        event = proc(f"ng-{n}", result="NG", reason="r" * (n - 1) + "!")
        first, replay = _ingest_twice(store, _stream(json.dumps(event)))
        assert first.rejected == 0, first.rejections
        assert replay.accepted == 0 and replay.rejected == 0
        (record,) = trace(store, f"CC-ng-{n}").model_dump()["records"]
        assert record["reason"] == "r" * (n - 1) + "!"
    assert counts(store)["events"] == 2 + 2 + 3
    too_long = proc("ng-257", result="NG", reason="r" * 257)
    result = ingest(store, [json.dumps(too_long)])
    assert result.rejected == 1 and "1 to 256 characters" in result.rejections[0].reason


def test_an_over_long_id_is_dead_lettered_with_the_id_it_had(store: SqlStore) -> None:
    for k, n in enumerate((129, 1_000, 100_000)):
        long_id = "x" * n
        event = proc(long_id, unit=f"CC-long-{n}")
        first, replay = _ingest_twice(store, _stream(json.dumps(event)))
        assert (first.accepted, first.rejected) == (0 if k else 4, 1)  # the others: once
        assert first.rejections[0].position == 3
        assert "1 to 128 characters" in first.rejections[0].reason
        assert (replay.accepted, replay.duplicate, replay.rejected) == (0, 4, 1)
    letters = _letters(store)
    assert sorted(len(x.event_id) for x in letters) == [129, 1_000, 100_000]
    assert all("1 to 128 characters" in x.reason for x in letters)
    assert counts(store)["events"] == 4


_NUL = "\x00"
_LONE = "\ud800"  # a lone surrogate: no UTF-8 form, no database can store it

_NUL_EVENTS = [
    proc(f"nul{_NUL}id"),
    proc("nul-unit", unit=f"CC{_NUL}1"),
    proc("nul-reason", result="NG", reason=f"bad{_NUL}seal"),
    proc("nul-station", station=f"c_coat-1{_NUL}"),
    proc("nul-consumed", consumed=[{"unit": f"SB-0001{_NUL}", "qty": 1.0}]),
    proc("nul-param", params={f"t{_NUL}": 1.0}),
    {**LOT, "id": "nul-lot", "lot": f"L{_NUL}2"},
    {"id": "nul-state", "type": "state", "ts": "2026-11-28T08:11:00Z", "station": "c_coat-1",
     "state": "down", "reason": f"a{_NUL}b"},
]  # fmt: skip
_LONE_EVENTS = [
    proc(f"lone{_LONE}id"),
    proc("lone-unit", unit=f"CC{_LONE}"),
    proc("lone-reason", result="NG", reason=f"x{_LONE}"),
    proc("lone-param", params={_LONE: 1.0}),
]


def _forms(event: dict[str, Any]) -> list[Any]:
    """The event as a connector may hand it: bytes of a file, a str, a decoded object."""
    raw = json.dumps(event)  # NUL as the escape \u0000, a surrogate as \ud800
    return [raw.encode(), json.dumps(event, ensure_ascii=False), event]


def test_text_no_database_can_store_is_rejected_with_a_reason(store: SqlStore) -> None:
    """NUL characters and lone surrogates in any string, in every form of payload, one batch
    each between good events: each is dead-lettered, the good ones all land, a replay too."""
    bad = [(p, "NUL") for e in _NUL_EVENTS for p in _forms(e)]
    bad += [(p, "surrogate") for e in _LONE_EVENTS for p in _forms(e)]
    stream: list[Any] = [json.dumps(LOT), json.dumps(PROCESS)]
    for i, (payload, _) in enumerate(bad):
        stream += [payload, json.dumps(proc(f"good-{i}"))]
    first, replay = _ingest_twice(store, stream)
    assert (first.accepted, first.rejected) == (2 + len(bad), len(bad)), first.rejections
    for rejection, (_, word) in zip(first.rejections, bad, strict=True):
        # a str payload with a surrogate is not even UTF-8: "invalid JSON" says so
        assert word in rejection.reason or "invalid JSON" in rejection.reason, rejection
        assert "\x00" not in rejection.reason
    assert (replay.accepted, replay.duplicate, replay.rejected) == (0, 2 + len(bad), len(bad))
    letters = _letters(store)
    # one letter per distinct raw text: the str of a NUL event is the text of its bytes
    assert len(letters) == len(bad) - len(_NUL_EVENTS)
    assert not any("\x00" in (x.event_id or "") + x.raw + x.reason for x in letters)
    assert counts(store)["events"] == 2 + len(bad)


def test_raw_bytes_a_database_cannot_store_are_dead_lettered_readably(store: SqlStore) -> None:
    raw = b'{"id": "raw-nul", "type": "lot"\x00}'  # a NUL byte: not JSON, not storable as is
    first, replay = _ingest_twice(store, _stream(raw))
    assert (first.accepted, first.rejected) == (4, 1)
    (letter,) = _letters(store)
    assert "\x00" not in letter.raw and "\\x00" in letter.raw  # kept, escaped
    assert replay.rejected == 1 and len(_letters(store)) == 1


def test_hold_by_must_fit_the_record(store: SqlStore) -> None:
    ingest(store, [json.dumps(LOT), json.dumps(PROCESS)])
    bad = ["b" * 129, f"qa{_NUL}", f"qa{_LONE}", "", " "]
    for by in bad:
        with pytest.raises(FieldError, match="by"):
            place_hold(store, "CAM-0001", "suspect lot", by=by)
    assert counts(store)["holds"] == 0
    hold = place_hold(store, "CAM-0001", "suspect lot", by="b" * 128)
    for by in bad:
        with pytest.raises(FieldError, match="by"):
            release_hold(store, hold.id, "cleared", by=by)
    assert release_hold(store, hold.id, "cleared", by="é" * 128).released_by == "é" * 128


def test_hold_reason_and_target_a_database_cannot_store_are_errors(store: SqlStore) -> None:
    from gigaline.errors import NotFoundError

    ingest(store, [json.dumps(LOT), json.dumps(PROCESS)])
    for bad in (f"suspect{_NUL}", f"suspect{_LONE}"):
        with pytest.raises(FieldError, match="reason"):
            place_hold(store, "CAM-0001", bad)
        with pytest.raises(FieldError, match="target"):
            place_hold(store, bad, "suspect lot")
        with pytest.raises(NotFoundError):
            trace(store, bad)
        with pytest.raises(NotFoundError):
            where_used(store, bad)
    assert counts(store)["holds"] == 0


def _refuse(store: SqlStore, reason: str) -> None:
    """Make the database itself refuse a process record with ``reason`` (a CHECK-like rule)."""
    with store.engine.begin() as conn:
        if _postgres(store):
            conn.execute(
                text(f"ALTER TABLE process_records ADD CONSTRAINT no_poison "
                     f"CHECK (reason IS DISTINCT FROM '{reason}')")
            )  # fmt: skip
        else:
            conn.execute(
                text(f"CREATE TRIGGER no_poison BEFORE INSERT ON process_records "
                     f"WHEN NEW.reason = '{reason}' BEGIN SELECT RAISE(ABORT, 'poison'); END")
            )  # fmt: skip


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_an_event_the_database_refuses_is_isolated_and_the_rest_stored(
    store: SqlStore, batch_size: int
) -> None:
    _refuse(store, "poison")
    good = [proc(f"g{i}") for i in range(40)]
    poisoned = {5, 17, 18, 33}
    for i in poisoned:
        good[i] = proc(f"g{i}", result="NG", reason="poison")
    stream = [json.dumps(LOT), json.dumps(PROCESS), *map(json.dumps, good)]
    result = ingest(store, stream, batch_size=batch_size)
    assert (result.accepted, result.rejected) == (42 - len(poisoned), len(poisoned))
    assert sorted(r.position for r in result.rejections) == sorted(i + 3 for i in poisoned)
    assert all("database refused" in r.reason for r in result.rejections)
    letters = _letters(store)
    assert {x.event_id for x in letters} == {f"g{i}" for i in poisoned}
    with store.engine.connect() as conn:
        stored = set(conn.execute(select(t.events.c.id)).scalars())
    assert stored == {"e-1", "e-2"} | {f"g{i}" for i in range(40) if i not in poisoned}
    replay = ingest(store, stream, batch_size=batch_size)
    assert (replay.accepted, replay.duplicate, replay.rejected) == (0, 38, 4)
    assert len(_letters(store)) == 4
