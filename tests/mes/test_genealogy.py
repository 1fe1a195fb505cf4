"""Genealogy and holds on a generated day of the mini line, on SQLite and PostgreSQL.

The oracle is the event stream itself: walking its ``consumed`` lists in Python gives, for
every lot, the set of cells built from it; the store's recursive queries must agree exactly.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest

from gigaline.mes.ingest import ingest
from gigaline.mes.services import (
    counts,
    list_holds,
    place_hold,
    release_hold,
    step_yields,
    trace,
    where_used,
)
from gigaline.mes.sql import SqlStore


def _oracle(
    events: list[dict[str, Any]],
) -> tuple[dict[str, str], dict[str, set[str]], dict[str, str]]:
    """(lot -> material, parent -> children, unit -> unit_type) from the stream."""
    materials: dict[str, str] = {}
    children: dict[str, set[str]] = defaultdict(set)
    types: dict[str, str] = {}
    for e in events:
        if e["type"] == "lot":
            materials[e["lot"]] = e["material"]
        elif e["type"] == "process":
            types[e["unit"]] = e["unit_type"]
            for c in e.get("consumed", []):
                children[c["unit"]].add(e["unit"])
    return materials, children, types


def _closure(children: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def test_every_cell_traces_to_its_lots_and_where_used_is_exact(
    store: SqlStore, mini_day: list[dict[str, Any]]
) -> None:
    result = ingest(store, [json.dumps(e) for e in mini_day], batch_size=400)
    assert result.rejected == 0 and result.accepted == len(mini_day)
    materials, children, types = _oracle(mini_day)
    cells = sorted(u for u, kind in types.items() if kind == "cell")
    assert len(cells) > 300
    # several lots per material, so where-used must tell cells apart
    cam = sorted(lot for lot, m in materials.items() if m == "cathode_active_material")
    assert len(cam) >= 2
    for lot in materials:
        expected = _closure(children, lot)
        got = where_used(store, lot).model_dump()
        assert set(got["units"]) == expected, lot
        assert got["cells"] == sorted(u for u in expected if types[u] == "cell"), lot
    for cell in cells[::7]:
        tr = trace(store, cell).model_dump()
        kinds = {materials[lot] for lot in tr["lots"]}
        assert {"cathode_active_material", "anode_active_material", "separator"} <= kinds
        assert {types[u] for u in tr["ancestors"]} >= {
            "slurry_batch", "electrode_coil", "electrode_sheet_stack",
        }  # fmt: skip
        ts = [r["ts"] for r in tr["records"]]
        assert ts == sorted(ts) and tr["records"][0]["step"] == "stack"
        assert cell in where_used(store, tr["lots"][0]).model_dump()["cells"]


def test_hold_propagates_to_every_cell_and_to_units_made_later(
    store: SqlStore, mini_day: list[dict[str, Any]]
) -> None:
    half = len(mini_day) // 2
    ingest(store, [json.dumps(e) for e in mini_day[:half]])
    materials, children, _ = _oracle(mini_day[:half])
    lot = max(lot for lot, m in materials.items() if m == "separator")  # still in use
    held = place_hold(store, lot, reason="supplier recall of separator lot", by="qa").model_dump()
    expected_now = _closure(children, lot)
    assert held["units"] == len(expected_now) > 0
    # the rest of the day: units made from held units join the hold
    ingest(store, [json.dumps(e) for e in mini_day[half:]])
    _, all_children, all_types = _oracle(mini_day)
    expected = _closure(all_children, lot)
    assert len(expected) > len(expected_now)
    for unit in sorted(expected)[::5]:
        holds = trace(store, unit).model_dump()["holds"]
        assert [h["id"] for h in holds] == [held["id"]], unit
    assert list_holds(store).model_dump()["holds"][0]["units"] == len(expected)
    other = next(u for u, k in all_types.items() if k == "cell" and u not in expected)
    assert trace(store, other).model_dump()["holds"] == []
    released = release_hold(store, held["id"], reason="lot passed re-test", by="qa").model_dump()
    assert released["release_reason"] == "lot passed re-test"
    assert list_holds(store).model_dump()["holds"] == []
    (record,) = list_holds(store, include_released=True).model_dump()["holds"]
    assert record["released"] is not None and record["released_by"] == "qa"
    assert trace(store, sorted(expected)[0]).model_dump()["holds"] == []


def test_hold_on_a_unit_holds_the_unit_itself(
    store: SqlStore, mini_day: list[dict[str, Any]]
) -> None:
    ingest(store, [json.dumps(e) for e in mini_day[:400]])
    _, children, types = _oracle(mini_day[:400])
    stack = next(u for u, k in types.items() if k == "electrode_sheet_stack")
    held = place_hold(store, stack, reason="burr found on magazine").model_dump()
    assert held["units"] == 1 + len(_closure(children, stack))
    assert trace(store, stack).model_dump()["holds"][0]["target"] == stack


def test_step_yields_count_ok_and_ng_records(
    store: SqlStore, mini_day: list[dict[str, Any]]
) -> None:
    ingest(store, [json.dumps(e) for e in mini_day])
    n: dict[str, int] = defaultdict(int)
    ng: dict[str, int] = defaultdict(int)
    for e in mini_day:
        if e["type"] == "process":
            n[e["step"]] += 1
            ng[e["step"]] += e["result"] == "NG"
    got = {r["step"]: r for r in [s.model_dump() for s in step_yields(store)]}
    assert set(got) == set(n)
    for step, count in n.items():
        assert (got[step]["records"], got[step]["ng"]) == (count, ng[step])
        assert got[step]["yield"] == (count - ng[step]) / count
    assert [r["step"] for r in [s.model_dump() for s in step_yields(store)]][:2] == [
        "c_mix",
        "c_coat",
    ]  # route order


def test_formation_curves_are_stored_with_features(
    store: SqlStore, mini_day: list[dict[str, Any]]
) -> None:
    ingest(store, [json.dumps(e) for e in mini_day])
    formed = next(e["unit"] for e in mini_day if e["type"] == "curve" and e["curve"] == "formation")
    (curve,) = [c for c in trace(store, formed).model_dump()["curves"] if c["curve"] == "formation"]
    # 0.2 C of 20 Ah = 4 A to 80 % SOC: 4 h at 600 s -> 25 samples; rectangle rule
    # 4 A x 25 x 600 s / 3600 = 16.67 Ah (synth.formation_curve, curves.curve_features)
    assert curve["features"]["charge_ah"] == pytest.approx(4.0 * 25 * 600 / 3600)
    assert curve["features"]["duration_s"] == pytest.approx(4 * 3600)
    assert counts(store)["curves"] == sum(1 for e in mini_day if e["type"] == "curve")
