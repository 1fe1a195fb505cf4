"""Live OEE against the twin on events made from the twin's own trace (gigaline.sim.trace).

A line of three stations with failures, a blocking buffer and a calendar of two 10-hour shifts
(a planned stop 20:00-24:00) is simulated for two days from 1 January, 00:00 UTC (day 0 of the
MES's calendar, so planned stops fall at the same times). Its trace becomes what the stations
would send: a ``state`` event whenever a station's state as a whole changes (working ->
running, starved, blocked, down, planned stop -> stopped) and one ``process`` record per cell
as it leaves the station (good cells when passed on, scrap when the job ends), as the twin
counts them. Ingested, the MES's OEE per step equals the twin's: counts exactly, factors to the
microsecond rounding of the events' timestamps (what the events carry). Every station has one
place (no dwell step), so the station's state is the twin's server state.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gigaline.mes.ingest import ingest
from gigaline.mes.memory import MemoryStore
from gigaline.mes.services import init_line
from gigaline.mes.services.oee import live_oee
from gigaline.model import parse_line
from gigaline.sim import compile_line
from gigaline.sim._layout import SI_M0, SI_NMACH, TR_DEPOSIT, TR_END
from gigaline.sim.results import _step_table
from gigaline.sim.trace import Trace, TraceTally

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LINE = """
name: traced line
site: {name: tracesite, area: assembly}
cell: {format: prismatic, chemistry: LFP, capacity_ah: 100, nominal_voltage_v: 3.2}
calendar: {days_per_year: 365, shifts_per_day: 2, hours_per_shift: 10}
steps:
  - {id: weld, kind: discrete, machines: 1, cycle_time: {dist: exponential, mean: 20 s},
     failures: {mtbf: 2 h, mttr: 15 min}, buffer_after: 10, yield: 0.98}
  - {id: fill, kind: discrete, machines: 2, cycle_time: 36 s,
     failures: {mtbf: 3 h, mttr: 20 min}, buffer_after: 5, yield: 0.97}
  - {id: seal, kind: discrete, machines: 1, cycle_time: 17 s, yield: 0.99}
"""
MES_STATE = ("running", "starved", "blocked", "down", "stopped")


class _Events(TraceTally):
    """The tally of the trace, writing the stations' events as it goes."""

    def __init__(self, *a: Any) -> None:
        super().__init__(*a)
        c = self.c
        self.station = [
            f"{c.step_ids[s]}-{m - int(c.SI[s, SI_M0]) + 1}"
            for s in range(c.n_steps)
            for m in range(int(c.SI[s, SI_M0]), int(c.SI[s, SI_M0] + c.SI[s, SI_NMACH]))
        ]
        self.events: list[dict[str, Any]] = []
        for name in self.station:
            self._state(name, 0.0, 1)  # every station starts starved

    def _state(self, station: str, t: float, state: int) -> None:
        self.events.append({"id": f"s{len(self.events)}", "type": "state", "station": station,
                            "ts": (T0 + timedelta(seconds=t)).isoformat(),
                            "state": MES_STATE[state]})  # fmt: skip

    def _record(self, step: int, station: str, t: float, n: int, ok: bool) -> None:
        for _ in range(n):
            self.events.append({"id": f"p{len(self.events)}", "type": "process",
                                "station": station, "step": self.c.step_ids[step],
                                "unit": f"u{len(self.events)}", "unit_type": "cell",
                                "ts": (T0 + timedelta(seconds=t)).isoformat(),
                                "result": "OK" if ok else "NG"})  # fmt: skip

    def _station_update(self, m: int, t: float) -> None:
        old = int(self._mstate[m])
        super()._station_update(m, t)
        if int(self._mstate[m]) != old:
            self._state(self.station[m], t, int(self._mstate[m]))

    def add(self, chunk: Any) -> None:
        super().add(chunk)
        for t, (kind, step, who, n, _i, x) in zip(chunk.t_s.tolist(), chunk.rec.tolist(),
                                                  strict=True):  # fmt: skip
            if kind == TR_DEPOSIT and n and self._in_window(t):
                self._record(step, self.station[int(self._vmach[who])], t, n, ok=True)
            elif kind == TR_END and x and self._in_window(t):
                self._record(step, self.station[int(self._vmach[who])], t, x, ok=False)


def test_mes_oee_of_the_traced_events_equals_the_twins() -> None:
    line = parse_line(LINE)
    c = compile_line(line)
    days = 2.0
    run = Trace(c, days=days, seed=11)
    tally = _Events(c, 0.0, days * 86400.0)
    for chunk in run:
        tally.add(chunk)
    tally.close()
    assert run.record is not None
    twin = _step_table(c, run.record)

    store = MemoryStore()
    init_line(store, line)
    res = ingest(store, tally.events)
    assert (res.accepted, res.rejected) == (len(tally.events), 0)
    rep = live_oee(store, since=T0, until=T0 + timedelta(days=days), now=T0 + timedelta(days=9),
                   silence_s=86400.0)  # fmt: skip
    mes = {r.name: r for r in rep.rows if r.scope == "step"}
    for i, step in enumerate(c.step_ids):
        row, expect = mes[step], twin.loc[step]
        out, scrap = int(run.record.counters[i, 1]), int(run.record.counters[i, 2])
        assert (row.produced, row.good) == (out + scrap, out)
        for name in ("availability", "performance", "quality", "oee"):
            assert getattr(row, name) == pytest.approx(float(expect[name]), rel=1e-7), (step, name)
        assert row.planned_downtime_s == pytest.approx(2 * 4 * 3600.0 * c.SI[i, SI_NMACH])
    assert mes["weld"].availability < 0.95  # failures and blocking: a test that can fail
    causes = {(p.state, p.reason) for p in rep.pareto}
    assert ("down", None) in causes and ("blocked", None) in causes
