"""Live SPC: the line's quality.specs judged on incoming records after each commit
(gigaline.mes.services.spc.LiveSpc, wired in gigaline.mes.connectors.sink.StoreSink).

A run of fill masses at station fill-1: 20 in control (the baseline), then an outlier (Nelson
rule 1, and a hold: the spec says hold_on_violation), then nine in a row above the centre split
over two batches (rule 2 is seen across the batches). ``gigaline spc --chart imr --baseline 20``
afterwards finds every alarm stored already: the live and the on-demand SPC agree point for
point. The store's measure series is read once (at calibration), not per batch.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from gigaline.mes.connectors.sink import StoreSink
from gigaline.mes.memory import MemoryStore
from gigaline.mes.services import init_line, run_spc
from gigaline.mes.services.spc import LiveSpc
from gigaline.model import Line
from gigaline.model.quality import QualitySpec

T0 = datetime(2026, 1, 5, 8, tzinfo=UTC)
SPEC = {"step": "fill", "param": "fill_mass_g", "lsl": 25.0, "usl": 35.0,
        "hold_on_violation": True}  # fmt: skip


def _events(values: list[float], first: int) -> list[dict[str, Any]]:
    return [
        {"id": f"e{first + i}", "type": "process", "station": "fill-1", "step": "fill",
         "unit": f"C{first + i:04d}", "unit_type": "cell", "result": "OK",
         "ts": (T0 + timedelta(seconds=10 * (first + i))).isoformat(),
         "params": {"fill_mass_g": v}}
        for i, v in enumerate(values)
    ]  # fmt: skip


def test_live_spc_alarms_holds_and_agrees_with_gigaline_spc(mini_line: Line) -> None:
    store = MemoryStore()
    init_line(store, mini_line.model_copy(update={"quality": QualitySpec(specs=[SPEC])}))
    reads = []
    series = store.measure_series
    store.measure_series = lambda *a: reads.append(a) or series(*a)  # type: ignore[method-assign]
    sink = StoreSink(store)
    sink.spc = LiveSpc(store, baseline=20)
    rng = np.random.default_rng(1)  # a baseline with no violation of its own
    calm = (30.0 + 0.2 * rng.standard_normal(20)).tolist()
    batches = [
        calm,  # the baseline: phase I
        [30.1, 29.9, 30.0, 30.05, 29.95],  # in control
        [33.0],  # beyond the upper limit: rule 1
        [30.3, 30.25, 30.35, 30.3, 30.2],  # above the centre ...
        [30.3, 30.28, 30.25, 30.3],  # ... the ninth in a row: rule 2 across batches
    ]
    n = 0
    for values in batches:
        assert sink.submit(_events(values, n)).accepted == len(values)
        n += len(values)
    assert sink.spc_failures == 0
    alarms = {(a.rule, a.units[0]) for a, _ in store.alarms()}
    assert (1, "C0025") in alarms
    assert (2, "C0034") in alarms
    assert all(int(u[1:]) >= 20 for _, u in alarms)  # phase II only
    holds = store.holds()
    assert len(holds) >= 1 and holds[-1].target == "spc:fill/fill_mass_g"
    assert "C0025" in store.held_units(holds[-1].id)
    assert len(reads) == 1  # the store's series read once, for the baseline
    stored = len(store.alarms())
    again = run_spc(store, "fill", "fill_mass_g", chart="imr", baseline=20)
    assert not any(i < 20 for idx in again.violations.values() for i in idx)
    assert again.new_alarms == 0 and len(store.alarms()) == stored  # the same keys


def test_no_specs_no_cost_and_a_failure_never_undoes_the_commit(mini_line: Line) -> None:
    store = MemoryStore()
    init_line(store, mini_line)
    sink = StoreSink(store)
    assert sink.submit(_events([30.0] * 5, 0)).accepted == 5
    assert store.alarms() == [] and sink.spc_failures == 0

    class Broken:
        def judge(self, records: Any) -> int:
            raise RuntimeError("boom")

    sink.spc = Broken()
    assert sink.submit(_events([30.0] * 3, 5)).accepted == 3
    assert sink.spc_failures == 1
    assert store.table_counts()["process_records"] == 8
