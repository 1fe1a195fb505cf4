"""Recall queries: a unit's trace (history and backward genealogy), where-used (forward), and
either as a graph of nodes and edges (:func:`genealogy_graph`)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Final, Literal, Protocol

from gigaline.errors import FieldError, NotFoundError
from gigaline.mes.ports import GenealogyReader
from gigaline.mes.services.models import (
    Genealogy,
    GenealogyEdge,
    GenealogyNode,
    Trace,
    WhereUsed,
    rfc3339,
)

__all__ = ["MAX_GRAPH_NODES", "GraphStore", "genealogy_graph", "trace", "where_used"]

#: Most nodes a genealogy graph may ask for (a lot of cathode powder goes into ~100,000 cells
#: a day on the 20 GWh line: its forward graph is for a list, not for a drawing).
MAX_GRAPH_NODES: Final = 10_000


def trace(store: GenealogyReader, unit: str) -> Trace:
    """The unit's full history and its backward genealogy down to the material lots."""
    h = store.history(unit)
    if h is None:
        raise NotFoundError("unit", unit, "unit")
    # Plain data validated at once: pydantic-core builds the nested models in one call, about
    # half the time of a model_construct per record (a trace's latency is a target).
    return Trace.model_validate(
        {
            "unit": unit,
            "unit_type": h.unit_type,
            "records": [
                {
                    "step": r.step,
                    "station": r.station,
                    "ts": rfc3339(r.ts),
                    "started": rfc3339(r.started),
                    "result": r.result,
                    "reason": r.reason,
                    "params": r.params,
                    "event_id": r.event_id,
                }
                for r in h.records
            ],
            "lots": sorted(n for n, k in h.ancestors if k == "lot"),
            "ancestors": sorted(n for n, k in h.ancestors if k == "unit"),
            "curves": [
                {"curve": c.kind, "ts": rfc3339(c.ts), "features": c.features} for c in h.curves
            ],
            "holds": [
                {"id": x.id, "target": x.target, "reason": x.reason, "created": rfc3339(x.created)}
                for x in h.holds
            ],
        }
    )


def where_used(store: GenealogyReader, name: str) -> WhereUsed:
    """Every unit that contains the lot or unit ``name`` (forward genealogy)."""
    if store.kind_of(name) is None:
        raise NotFoundError("source", name, "lot or unit")
    found = store.descendants(name)
    return WhereUsed.model_construct(
        source=name,
        units=[u for u, _ in found],
        cells=[u for u, kind in found if kind == "cell"],
    )


class GraphStore(GenealogyReader, Protocol):
    """The doors of a genealogy graph: the genealogy, and the units' types."""

    def unit_types(self, names: Collection[str]) -> dict[str, str]: ...


def genealogy_graph(
    store: GraphStore,
    root: str,
    direction: Literal["backward", "forward"] = "backward",
    max_nodes: int = 2_000,
) -> Genealogy:
    """The genealogy around the lot or unit ``root`` as nodes and edges, breadth first.

    ``backward``: what ``root`` is made of, down to the material lots (the trace's
    ancestors); ``forward``: every unit made from it (where-used). At most ``max_nodes``
    nodes (1 to :data:`MAX_GRAPH_NODES`); ``truncated`` says when there were more. Edges join
    only nodes in the graph.
    """
    if direction not in ("backward", "forward"):
        raise FieldError("direction", direction, "backward or forward")
    if not 1 <= max_nodes <= MAX_GRAPH_NODES:
        raise FieldError("max_nodes", max_nodes, f"an integer from 1 to {MAX_GRAPH_NODES:,}")
    kind = store.kind_of(root)
    if kind is None:
        raise NotFoundError("name", root, "lot or unit")
    nodes: dict[str, tuple[str, str]] = {root: (kind, "lot" if kind == "lot" else "unit")}
    edges: list[GenealogyEdge] = []
    frontier, truncated = [root], False
    way: Literal["in", "out"] = "in" if direction == "backward" else "out"
    while frontier and not truncated:
        found = store.links(frontier, way)
        frontier = []
        for link in found:
            new = link.parent if way == "in" else link.child
            if new not in nodes:
                if len(nodes) >= max_nodes:
                    truncated = True
                    continue
                node_kind = link.parent_kind if way == "in" else "unit"
                nodes[new] = (node_kind, "lot" if node_kind == "lot" else "unit")
                if node_kind == "unit":
                    frontier.append(new)
            edges.append(GenealogyEdge(source=link.parent, target=link.child, qty=link.qty))
    units = [n for n, (k, _) in nodes.items() if k == "unit"]
    for name, unit_type in store.unit_types(units).items():
        nodes[name] = ("unit", unit_type)
    return Genealogy(
        root=root, direction=direction,
        nodes=[GenealogyNode(id=n, kind=k, type=t) for n, (k, t) in nodes.items()],
        edges=[e for e in edges if e.source in nodes and e.target in nodes],
        truncated=truncated,
    )  # fmt: skip
