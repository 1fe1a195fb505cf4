"""Live OEE and the twin compute OEE with the same function (gigaline.kpi.oee_factors): the
same state times and counts give bit for bit the same availability, performance and quality.

A run of the two-machine teaching line is taken, its machines' state times made whole seconds
(so that a sum over stored state intervals is exact), and the twin's own step table computed
from those; the same state times and counts, stored as events, give the MES's figures.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gigaline.mes.ingest import submit
from gigaline.mes.memory import MemoryStore
from gigaline.mes.services import init_line
from gigaline.mes.services.oee import live_oee
from gigaline.mes.sql import open_store
from gigaline.model import load_line
from gigaline.sim import simulate
from gigaline.sim.results import STATE_NAMES, _step_table

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 1, 5, tzinfo=UTC)
MES_STATE = {"working": "running", "starved": "starved", "blocked": "blocked", "down": "down"}


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_mes_and_twin_give_bit_identical_factors(kind: str, tmp_path: Path) -> None:
    line = load_line(ROOT / "examples" / "two-machine.yaml")
    res = simulate(line, days=0.05, seed=7)
    c, r = res.compiled, res.records[0]
    T = float(round(r.window_s))
    whole = np.floor(r.state_s)
    whole[:, 0] += T - whole.sum(axis=1)  # the rounding remainder is working time
    assert (whole >= 0).all() and whole[:, 4].sum() == 0  # 8,760 h a year: no planned stops
    rec = dataclasses.replace(r, state_s=whole, warmup_s=0.0, horizon_s=T)
    twin = _step_table(c, rec)

    events: list[dict[str, Any]] = []
    for m, step_i in enumerate(r.machine_step):
        step = c.step_ids[step_i]
        station = f"{step}-1"
        t = 0.0
        for s, name in enumerate(STATE_NAMES[:4]):
            if whole[m, s] > 0:
                events.append({"id": f"s{m}-{s}", "type": "state", "station": station,
                               "ts": (T0 + timedelta(seconds=t)).isoformat(),
                               "state": MES_STATE[name]})  # fmt: skip
                t += whole[m, s]
        out, scrap = int(rec.counters[step_i, 1]), int(rec.counters[step_i, 2])
        for k in range(out + scrap):  # records every 0.5 s: never silent
            events.append({"id": f"p{m}-{k}", "type": "process", "station": station,
                           "step": step, "unit": f"c{m}-{k}", "unit_type": "cell",
                           "ts": (T0 + timedelta(seconds=(k % (2 * T - 1) + 1) / 2)).isoformat(),
                           "result": "OK" if k < out else "NG"})  # fmt: skip
    store: Any = MemoryStore() if kind == "memory" else open_store(str(tmp_path / "t.db"))
    try:
        init_line(store, line)
        assert submit(store, events).accepted == len(events)
        rep = live_oee(store, since=T0, until=T0 + timedelta(seconds=T), now=T0 + timedelta(days=1))
        mes = {row.name: row for row in rep.rows if row.scope == "step"}
        for step in c.step_ids:
            row, expect = mes[step], twin.loc[step]
            assert row.produced == int(rec.counters[c.step_ids.index(step), 1:3].sum())
            assert row.availability == float(expect["availability"])
            assert row.performance == float(expect["performance"])
            assert row.quality == float(expect["quality"])
            assert row.oee == float(expect["oee"])
        assert 0.5 < mes["m1"].availability < 1.0  # the failing machine: a test that can fail
    finally:
        store.close()
