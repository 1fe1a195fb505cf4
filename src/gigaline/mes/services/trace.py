"""Recall queries: a unit's trace (history and backward genealogy) and where-used (forward)."""

from __future__ import annotations

from gigaline.errors import NotFoundError
from gigaline.events import unstorable
from gigaline.mes.ports import GenealogyReader
from gigaline.mes.services.models import Trace, WhereUsed, rfc3339

__all__ = ["trace", "where_used"]


def trace(store: GenealogyReader, unit: str) -> Trace:
    """The unit's full history and its backward genealogy down to the material lots."""
    h = None if unstorable(unit) else store.history(unit)  # no store holds a NUL
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
    if unstorable(name) or store.kind_of(name) is None:
        raise NotFoundError("source", name, "lot or unit")
    found = store.descendants(name)
    return WhereUsed.model_construct(
        source=name,
        units=[u for u, _ in found],
        cells=[u for u, kind in found if kind == "cell"],
    )
