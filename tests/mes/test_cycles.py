"""Genealogy stays a tree of the past (issue 14, item 3).

Before: an event whose unit consumed one of its own descendants was accepted; ``trace`` then
listed the unit among its own ancestors and ``hold`` raised (the unit twice in ``held_units``).
Now ingestion rejects it with a reason (a cycle closed directly, through several generations,
within one batch or across batches), and the recall queries of every store end and stay right
on a cycle already stored (written straight into the tables here).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from gigaline.mes.ingest import ingest
from gigaline.mes.services import counts, place_hold, trace, where_used

from .conftest import write_genealogy
from .test_ingest import LOT, PROCESS, proc


def _sheets(event_id: str, made_from: str) -> dict[str, Any]:
    consumed = [{"unit": made_from, "qty": 1.0}]
    return proc(event_id, station="c_notch-1", step="c_notch", unit=f"ES-{event_id}",
                unit_type="electrode_sheet_stack", consumed=consumed)  # fmt: skip


def _again(event_id: str, unit: str, unit_type: str, station: str, step: str, made_from: str):  # type: ignore[no-untyped-def]
    """A later record of the existing ``unit`` that consumes ``made_from``."""
    return proc(event_id, station=station, step=step, unit=unit, unit_type=unit_type,
                ts="2026-11-28T10:00:00Z", consumed=[{"unit": made_from, "qty": 1.0}])  # fmt: skip


@pytest.mark.parametrize("batch_size", [1, 2, 1000])
def test_a_unit_consuming_its_own_descendant_is_rejected(any_store: Any, batch_size: int) -> None:
    # SB-0001 (slurry) -> CC-c1 (coil) -> ES-s1 (sheets); then SB-0001 "consumes" each of them
    stream = [LOT, PROCESS, proc("c1"), _sheets("s1", "CC-c1"),
              _again("x1", "SB-0001", "slurry_batch", "c_mix-1", "c_mix", "CC-c1"),
              _again("x2", "SB-0001", "slurry_batch", "c_mix-1", "c_mix", "ES-s1"),
              _again("x3", "CC-c1", "electrode_coil", "c_coat-1", "c_coat", "ES-s1"),
              proc("c2"),  # a coil of its own: no cycle
              _again("ok1", "CC-c1", "electrode_coil", "c_coat-1", "c_coat", "CC-c2"),
              _again("x4", "CC-c2", "electrode_coil", "c_coat-1", "c_coat", "ES-s1")]  # fmt: skip
    result = ingest(any_store, [json.dumps(e) for e in stream], batch_size=batch_size)
    assert result.accepted == 6 and result.rejected == 4, result.rejections
    rejected = {r.event_id: r.reason for r in result.rejections}
    assert set(rejected) == {"x1", "x2", "x3", "x4"}
    assert "unit 'CC-c1' is made from 'SB-0001'" in rejected["x1"]
    assert "unit 'ES-s1' is made from 'SB-0001'" in rejected["x2"]  # two generations down
    assert "unit 'ES-s1' is made from 'CC-c2'" in rejected["x4"]  # through the accepted ok1
    assert all("cycle" in reason for reason in rejected.values())
    assert "SB-0001" not in trace(any_store, "SB-0001").ancestors
    assert trace(any_store, "ES-s1").ancestors == ["CC-c1", "CC-c2", "SB-0001"]
    hold = place_hold(any_store, "CAM-0001", "suspect lot")
    assert hold.units == 4  # SB-0001, CC-c1, CC-c2, ES-s1


def _cycle_rows(any_store: Any) -> None:
    """Units A -> B -> C -> A (and lot L -> A), written straight into the store."""
    ts = datetime(2026, 11, 28, 8, tzinfo=UTC)
    units = [(u, "cell", ts, f"e-{u}") for u in ("A", "B", "C")]
    edges = [("L", "lot", "A", 1.0, ts, "e-A"), ("A", "unit", "B", 1.0, ts, "e-B"),
             ("B", "unit", "C", 1.0, ts, "e-C"), ("C", "unit", "A", 1.0, ts, "e-A")]  # fmt: skip
    lots = [("L", "cathode_active_material", 5.0, "kg", ts, "e-L")]
    write_genealogy(any_store, lots, units, edges)


def test_queries_end_and_stay_right_on_a_stored_cycle(any_store: Any) -> None:
    _cycle_rows(any_store)
    for unit in ("A", "B", "C"):
        tr = trace(any_store, unit)
        assert tr.ancestors == sorted({"A", "B", "C"} - {unit}) and tr.lots == ["L"], unit
        assert where_used(any_store, unit).units == sorted({"A", "B", "C"} - {unit})
    assert where_used(any_store, "L").units == ["A", "B", "C"]
    hold = place_hold(any_store, "A", "cycle found in an audit")
    assert hold.units == 3
    assert [h.target for h in trace(any_store, "C").holds] == ["A"]
    assert place_hold(any_store, "L", "suspect lot").units == 3
    assert counts(any_store)["held_units"] == 6
    # and an event that would add to the cycle's units is judged against it
    result = ingest(any_store, [json.dumps(_again("x", "A", "cell", "stack-1", "stack", "C"))])
    assert result.rejected == 1 and "cycle" in result.rejections[0].reason
