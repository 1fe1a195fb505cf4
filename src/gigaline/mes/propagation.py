"""Hold propagation: the units an ingest batch puts on hold (pure: the store's look-ups are
handed in).

A unit made from a lot or unit on hold joins the same hold, and so does every unit containing
it. A store computes this inside the transaction that writes the batch, after it has
serialised the write against the placing of holds (:meth:`gigaline.mes.ports.EventLog.append`):
the holds it reads are then every hold committed before the batch, and a hold committed after
the batch sees the batch's units when it gathers its target's descendants. Computed any earlier
(when the batch is prepared), a hold committed in between would miss the batch's units.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection

from gigaline.mes.rows import Row, Rows

__all__ = ["ChildrenOf", "HeldOf", "held_units"]

#: Lot or unit name -> ids of the active holds on it, for those of the names that have any.
HeldOf = Callable[[Collection[str]], dict[str, set[int]]]
#: Stored lot or unit name -> the units made from it (direct children in the genealogy).
ChildrenOf = Callable[[Collection[str]], dict[str, list[str]]]


def held_units(rows: Rows, held_of: HeldOf, children_of: ChildrenOf) -> list[Row]:
    """The (hold id, unit) rows that ``rows`` adds to the active holds.

    Every edge of the batch's genealogy carries the holds of its parent to its child, and on
    through the batch's edges and, where the child was stored before the batch (a cell that
    receives its electrolyte after it was made), through the stored genealogy below it, so that
    every unit containing a held lot or unit is held, whatever the order of the edges. A unit
    already on a hold is not added again (held units below a held unit are held already).
    """
    if not rows.genealogy:
        return []
    below: dict[str, list[str]] = defaultdict(list)  # the batch's edges, parent -> children
    for parent, _, child, *_ in rows.genealogy:
        below[parent].append(child)
    names = set(below).union(*below.values())
    held = held_of(names)
    if not held:
        return []  # nearly always: nothing the batch touches is on hold
    new_units = {row[0] for row in rows.units}
    looked = set(names)
    out: list[Row] = []

    def give(unit: str, hold_id: int, reached: list[tuple[str, int]]) -> None:
        ids = held.setdefault(unit, set())
        if hold_id not in ids:
            ids.add(hold_id)
            out.append((hold_id, unit))
            reached.append((unit, hold_id))

    # first the names on hold before the batch (their stored descendants are held already),
    # then, level by level, the units that have just joined a hold
    frontier = [(name, hold_id) for name, ids in held.items() for hold_id in ids]
    stored: dict[str, list[str]] = {}
    while frontier:
        reached: list[tuple[str, int]] = []
        for name, hold_id in frontier:
            for child in below.get(name, ()):
                give(child, hold_id, reached)
            for child in stored.get(name, ()):
                give(child, hold_id, reached)
        frontier = reached
        # units stored before the batch that have just joined a hold: their stored children
        # join it too (the batch's own units have no stored children)
        old = {name for name, _ in reached if name not in new_units}
        stored = children_of(old) if old else {}
        unseen = {kid for kids in stored.values() for kid in kids} - looked
        if unseen:
            looked |= unseen
            for name, ids in held_of(unseen).items():
                held.setdefault(name, set()).update(ids)
    return out
