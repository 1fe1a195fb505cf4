"""Counts for reports and KPIs: rows per table, and OK / NG records and yield per step."""

from __future__ import annotations

from gigaline.mes.ports import Tallies
from gigaline.mes.services.models import StepYield

__all__ = ["counts", "step_yields"]


def counts(store: Tallies) -> dict[str, int]:
    """Rows per stored table (events, lots, units, process_records, genealogy, ...)."""
    return store.table_counts()


def step_yields(store: Tallies) -> list[StepYield]:
    """Per step with records, in route order: records, OK, NG, first-pass yield OK / all."""
    return [
        StepYield(
            step=s.step, records=s.records, ok=s.ok, ng=s.records - s.ok, yield_=s.ok / s.records
        )
        for s in store.step_results()
    ]
