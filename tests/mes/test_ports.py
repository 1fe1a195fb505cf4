"""The services stand on the ports alone: on the in-memory store they give what they give on SQL.

The same generated stream (1.5 days of the mini line, with curves and the quality section of
``test_quality``) is ingested into a :class:`MemoryStore` and into the SQL store; every service
must then return equal results (their ``model_dump()``, the JSON a user sees). The SQL results
themselves are checked against oracles in ``test_genealogy`` and ``test_quality``; here the
memory store proves that nothing in ingestion or the services reaches past the ports.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gigaline.mes.ingest import decode, ingest, look_up, prepare, submit
from gigaline.mes.memory import MemoryStore
from gigaline.mes.ports import AppendConflictError, Store
from gigaline.mes.services import (
    counts,
    grade_stored_cells,
    init_line,
    list_holds,
    place_hold,
    release_hold,
    run_spc,
    step_yields,
    trace,
    where_used,
)
from gigaline.mes.sql import SqlStore, open_store
from gigaline.model import Line
from gigaline.model.quality import QualitySpec

from .conftest import mini_events
from .test_quality import QUALITY


@pytest.fixture(scope="module")
def day(mini_line: Line) -> list[dict[str, Any]]:
    return mini_events(mini_line, days=1.5, seed=5)


@pytest.fixture(scope="module")
def pair(
    mini_line: Line, day: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[MemoryStore, SqlStore]]:
    line = mini_line.model_copy(update={"quality": QUALITY})
    memory = MemoryStore()
    sql = open_store(f"sqlite:///{tmp_path_factory.mktemp('ports') / 'p.db'}")
    for store in (memory, sql):
        assert init_line(store, line).model_dump()["stations"] == 18
        assert ingest(store, day, batch_size=700).model_dump()["rejected"] == 0
    try:
        yield memory, sql
    finally:
        sql.close()


def test_both_stores_implement_every_port(pair: tuple[MemoryStore, SqlStore]) -> None:
    stores: list[Store] = list(pair)  # mypy checks both against the Store protocol here
    doors = {n for n in dir(Store) if not n.startswith("_")}
    assert len(doors) >= 25
    for store in stores:
        assert all(callable(getattr(store, n)) or n == "site" for n in doors)


def test_ingestion_stores_the_same_rows(pair: tuple[MemoryStore, SqlStore]) -> None:
    memory, sql = pair
    assert counts(memory) == counts(sql)
    assert counts(memory)["process_records"] > 1000
    assert [s.model_dump() for s in step_yields(memory)] == [
        s.model_dump() for s in step_yields(sql)
    ]


def test_trace_and_where_used_agree(
    pair: tuple[MemoryStore, SqlStore], day: list[dict[str, Any]]
) -> None:
    memory, sql = pair
    units = sorted({e["unit"] for e in day if e["type"] == "process"})
    lots = sorted({e["lot"] for e in day if e["type"] == "lot"})
    for unit in units[::9]:
        assert trace(memory, unit).model_dump() == trace(sql, unit).model_dump(), unit
    for lot in lots:
        assert where_used(memory, lot).model_dump() == where_used(sql, lot).model_dump(), lot
    formed = next(e["unit"] for e in day if e["type"] == "curve")
    assert trace(memory, formed).model_dump()["curves"]  # curves and their features too


@pytest.mark.parametrize("chart", ["imr", "xbar_s", "cusum"])
def test_spc_agrees(pair: tuple[MemoryStore, SqlStore], chart: str) -> None:
    memory, sql = pair
    for step, param in (("fill", "fill_mass_g"), ("form", "charge_capacity_ah")):
        a = run_spc(memory, step, param, chart=chart, raise_alarms=False, baseline=30)
        b = run_spc(sql, step, param, chart=chart, raise_alarms=False, baseline=30)
        assert a.model_dump() == b.model_dump()
        assert a.points > 30


def test_alarms_and_their_hold_agree(pair: tuple[MemoryStore, SqlStore]) -> None:
    memory, sql = pair
    spec = {"step": "fill", "param": "fill_mass_g", "lsl": 25.9, "usl": 26.1,
            "hold_on_violation": True}  # fmt: skip
    quality = QualitySpec.model_validate({"specs": [spec]})
    # limits frozen on 10 points: later points that stray raise alarms and a hold
    a = run_spc(
        memory, "fill", "fill_mass_g", chart="ewma", baseline=10, quality=quality, raise_alarms=True
    )
    b = run_spc(
        sql, "fill", "fill_mass_g", chart="ewma", baseline=10, quality=quality, raise_alarms=True
    )
    assert a.new_alarms == b.new_alarms > 0
    assert a.hold is not None and b.hold is not None
    assert a.hold.units == b.hold.units > 0
    assert a.hold.reason == b.hold.reason
    assert memory.held_units(a.hold.id) >= set(a.flagged_units)
    again = run_spc(
        memory, "fill", "fill_mass_g", chart="ewma", baseline=10, quality=quality, raise_alarms=True
    )
    assert again.new_alarms == 0 and again.hold is None
    for store, res in ((memory, a), (sql, b)):
        assert res.hold is not None
        release_hold(store, res.hold.id, "re-weighed", "qa")


def test_grading_agrees(pair: tuple[MemoryStore, SqlStore]) -> None:
    memory, sql = pair
    a, b = grade_stored_cells(memory), grade_stored_cells(sql)
    assert a.model_dump() == b.model_dump()
    assert a.cells > 400 and a.units == b.units
    assert memory.grades() == dict(zip(a.units, a.graded.grade.tolist(), strict=True))


def test_holds_agree(pair: tuple[MemoryStore, SqlStore], day: list[dict[str, Any]]) -> None:
    memory = pair[0]
    lot = next(e["lot"] for e in day if e["type"] == "lot" and e["material"] == "separator")
    placed = [place_hold(s, lot, "supplier recall", "qa").model_dump() for s in pair]
    for p in placed:
        p.pop("created")
    assert placed[0] == placed[1] and placed[0]["units"] > 0
    cell = where_used(memory, lot).cells[0]
    for store in pair:
        assert [h["target"] for h in trace(store, cell).model_dump()["holds"]] == [lot]
    # units made later from a held unit join the hold, in both stores
    later = {"id": "late-1", "type": "process", "ts": "2026-01-07T08:00:00Z",
             "station": "grade-1", "step": "grade", "unit": "M-late", "unit_type": "module",
             "result": "OK", "consumed": [{"unit": cell, "qty": 1.0}]}  # fmt: skip
    for store in pair:
        assert submit(store, [later]).accepted == 1
        assert trace(store, "M-late").holds[0].target == lot
    listed = [
        [
            {k: v for k, v in h.items() if k != "created"}
            for h in list_holds(s).model_dump()["holds"]
        ]
        for s in pair
    ]
    assert listed[0] == listed[1]


def test_memory_store_append_is_all_or_nothing(mini_line: Line) -> None:
    store = MemoryStore()
    init_line(store, mini_line)
    lot = {"id": "e-1", "type": "lot", "ts": "2026-11-28T08:00:00Z", "lot": "L-1",
           "material": "separator", "qty": 5.0, "uom": "m2"}  # fmt: skip
    assert submit(store, [lot]).accepted == 1
    before = counts(store)
    # rows that name a stored lot again (as a second writer's batch would): nothing written
    other = {**lot, "id": "e-2"}
    rows = prepare(decode([other]), look_up(MemoryStore(), decode([other]))).rows
    assert rows.lots and rows.events
    with pytest.raises(AppendConflictError):
        store.append(rows)
    assert counts(store) == before
    # through ingestion the same event is a rejection with a reason, stored as a dead letter
    result = submit(store, [other])
    assert (result.accepted, result.rejected) == (0, 1)
    assert "already registered" in result.rejections[0].reason
    assert counts(store) == {**before, "dead_letters": 1}


def test_results_publish_the_schema_of_their_json(
    pair: tuple[MemoryStore, SqlStore], day: list[dict[str, Any]]
) -> None:
    """What an HTTP API will document: each result's serialization schema has exactly the keys
    of its ``model_dump()`` (the --json object)."""
    memory, _ = pair
    unit = next(e["unit"] for e in day if e["type"] == "process")
    results = [
        run_spc(memory, "fill", "fill_mass_g", raise_alarms=False),
        grade_stored_cells(memory, save=False),
        trace(memory, unit),
        list_holds(memory, include_released=True),
        step_yields(memory)[0],
    ]
    for res in results:
        schema = type(res).model_json_schema(mode="serialization")
        assert list(schema["properties"]) == list(res.model_dump()), type(res).__name__
