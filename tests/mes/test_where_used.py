"""Where-used and hold propagation on a deep, wide genealogy equal a brute-force walk.

The stores walk the forward genealogy level by level (the SQL store one lookup statement per
level, in chunks of 10,000 names on SQLite). The graph here has five levels below the lots,
diamonds (a unit made from two units that share a parent), edges that skip levels (a lot
consumed at several levels) and one level wider than a chunk, so a walk that loses a chunk, a
level or a diamond's second path gives a different answer than the oracle: a plain depth-first
walk of the edges in Python.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from gigaline.mes.services import counts, place_hold, where_used

from .conftest import write_genealogy
from .test_genealogy import _closure

#: Units per level below the lots (the fourth wider than a SQLite lookup chunk of 10,000).
_LEVELS = (("slurry_batch", 6), ("electrode_coil", 20), ("electrode_sheet_stack", 60),
           ("cell", 12_500), ("module", 40))  # fmt: skip


def _graph(seed: int = 7) -> tuple[list[Any], list[Any], list[Any]]:
    """(lots, units, edges) of a random layered genealogy (rows of the store's tables)."""
    rnd = random.Random(seed)
    ts = datetime(2026, 11, 28, 8, tzinfo=UTC)
    lots = [(f"L{i}", "electrolyte", 100.0, "kg", ts, f"e-L{i}") for i in range(4)]
    units: list[Any] = []
    edges: list[Any] = []
    above: list[str] = []
    for depth, (unit_type, n) in enumerate(_LEVELS):
        level = [f"{unit_type[:2].upper()}{depth}-{i:05d}" for i in range(n)]
        for name in level:
            units.append((name, unit_type, ts, f"e-{name}"))
            parents = set(rnd.sample(above, min(len(above), rnd.randint(1, 3)))) if above else set()
            for p in sorted(parents):
                edges.append((p, "unit", name, 1.0, ts, f"e-{name}"))
            if not above or rnd.random() < 0.05:  # the lots, and now and then a lot again
                edges.append((rnd.choice(lots)[0], "lot", name, 0.5, ts, f"e-{name}"))
        above = level if depth != 2 else level + above  # cells may take a coil directly
    return lots, units, edges


def test_where_used_and_holds_equal_a_brute_force_walk(any_store: Any) -> None:
    lots, units, edges = _graph()
    write_genealogy(any_store, lots, units, edges)
    children: dict[str, set[str]] = defaultdict(set)
    for parent, _, child, *_ in edges:
        children[parent].add(child)
    types = {u[0]: u[1] for u in units}
    depth_of = {u[0]: int(u[0].split("-")[0][2:]) for u in units}
    # every lot, and units of every level (a leaf module has none)
    by_depth: dict[int, list[str]] = defaultdict(list)
    for u in units:
        by_depth[depth_of[u[0]]].append(u[0])
    starts = [lot[0] for lot in lots] + [n for d in sorted(by_depth) for n in by_depth[d][::5]]
    sizes = []
    for name in starts:
        expected = _closure(children, name)
        got = where_used(any_store, name)
        assert got.units == sorted(expected), name
        assert got.cells == sorted(u for u in expected if types[u] == "cell"), name
        sizes.append(len(expected))
    assert max(sizes) > 10_000 and 0 in sizes  # a level wider than a chunk, and a leaf
    # a hold on a lot and a coil: the same closure, each unit once
    held = place_hold(any_store, "L0", "supplier recall", by="qa")
    coil = next(u[0] for u in units if u[1] == "electrode_coil")
    held_coil = place_hold(any_store, coil, "coating defect", by="qa")
    assert held.units == len(_closure(children, "L0"))
    assert held_coil.units == 1 + len(_closure(children, coil))
    assert counts(any_store)["held_units"] == held.units + held_coil.units
