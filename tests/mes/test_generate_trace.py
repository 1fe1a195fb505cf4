"""The generated stream is the twin's trace: per-station counts and state times of the events
equal the twin's own totals; a station that is down completes nothing; same seed, same
stream; every input exists before it is used."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

import numpy as np
import pytest

from gigaline.events import check_event
from gigaline.mes.generate import DEFAULT_START, EventStream
from gigaline.model import Line, load_line
from gigaline.sim import run_replication
from gigaline.sim._layout import SI_K
from tests.sim.conftest import LINES as SIM_LINES

from .conftest import LINES


def _t(ts: str) -> float:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


def _state_seconds(events: list[dict[str, Any]], t_end: float) -> dict[str, Counter[str]]:
    """Seconds per station in each state, from its state events up to ``t_end``."""
    out: dict[str, Counter[str]] = defaultdict(Counter)
    last: dict[str, tuple[float, str]] = {}
    for e in events:
        if e["type"] == "state":
            t = _t(e["ts"])
            if e["station"] in last:
                t0, state = last[e["station"]]
                out[e["station"]][state] += t - t0
            last[e["station"]] = (t, e["state"])
    for station, (t0, state) in last.items():
        out[station][state] += t_end - t0
    return out


@pytest.mark.parametrize(
    ("path", "days"), [(LINES / "mini.yaml", 1.0), (SIM_LINES / "merge-line.yaml", 0.2)]
)
def test_events_equal_the_twins_totals(path: Any, days: float) -> None:
    line: Line = load_line(path)
    stream = EventStream(line, days, seed=4, lot_scale=0.001, coil_m=40.0)
    events = list(stream)
    truth = stream.truth
    rec = run_replication(stream.c, days, stream.warmup_days, seed=4)  # the twin, untraced
    assert stream.warmup_days > 0  # the stream starts from the line in steady state
    start = DEFAULT_START.timestamp()
    history = [e for e in events if e["type"] == "process" and _t(e["ts"]) < start]
    assert history  # units in process at the start come with their histories
    events = [e for e in events if e["type"] != "process" or _t(e["ts"]) >= start]
    # counts: NG cells per step are exactly the twin's scrap
    processed: Counter[str] = Counter()
    ng: Counter[str] = Counter()
    ng_step: Counter[str] = Counter()
    transitions: Counter[str] = Counter()
    for e in events:
        if e["type"] == "process":
            processed[e["station"]] += 1
            ng[e["station"]] += e["result"] == "NG"
            if e["unit_type"] == "cell":
                ng_step[e["step"]] += e["result"] == "NG"
        elif e["type"] == "state":
            transitions[e["station"]] += 1
    main = {s.id for s in line.main_steps}
    for i, sid in enumerate(stream.c.step_ids):
        if sid in main:
            assert ng_step[sid] == rec.counters[i, 2], sid
    assert sum(ng_step.values()) > 0
    for station, t in truth.items():
        assert processed[station] == t["processed"], station
        assert ng[station] == t["ng"], station
    # state times: the twin's, to the millisecond of each timestamp
    t_end = DEFAULT_START.timestamp() + days * 86400.0
    seconds = _state_seconds(events, t_end)
    for station, t in truth.items():
        for state, s in t["seconds"].items():
            assert seconds[station][state] == pytest.approx(s, abs=1e-3 * transitions[station])
    # for one-place stations the station is its server: the twin's own state times
    names = list(truth)
    k = np.repeat(stream.c.SI[:, SI_K], [st.machines for st in stream.steps])
    for m in np.flatnonzero(k == 1):
        got = [truth[names[m]]["seconds"][x] for x in
               ("running", "starved", "blocked", "down", "stopped")]  # fmt: skip
        np.testing.assert_allclose(got, rec.state_s[m], rtol=1e-9, atol=1e-6)
    assert any(t["seconds"]["down"] > 0 for t in truth.values())


def test_a_down_station_completes_nothing() -> None:
    line = load_line(SIM_LINES / "failure-clock.yaml")
    events = list(EventStream(line, 0.1, seed=2, curves=False))
    down: dict[str, list[tuple[float, float]]] = defaultdict(list)
    since: dict[str, float] = {}
    for e in events:
        if e["type"] == "state":
            if e["state"] == "down":
                since[e["station"]] = _t(e["ts"])
            elif e["station"] in since:
                down[e["station"]].append((since.pop(e["station"]), _t(e["ts"])))
    assert sum(len(v) for v in down.values()) > 20
    for e in events:
        if e["type"] == "process":
            t = _t(e["ts"])
            assert not any(a < t < b for a, b in down[e["station"]]), e


def test_same_seed_same_stream_and_inputs_before_use() -> None:
    line = load_line(LINES / "mini.yaml")
    a = list(EventStream(line, 0.5, seed=7, lot_scale=0.001, coil_m=40.0))
    assert a == list(EventStream(line, 0.5, seed=7, lot_scale=0.001, coil_m=40.0))
    assert a != list(EventStream(line, 0.5, seed=8, lot_scale=0.001, coil_m=40.0))
    made: set[str] = set()
    for e in a:
        check_event(e)
        if e["type"] == "lot":
            made.add(e["lot"])
        elif e["type"] == "process":
            assert all(c["unit"] in made for c in e.get("consumed", [])), e["id"]
            made.add(e["unit"])
