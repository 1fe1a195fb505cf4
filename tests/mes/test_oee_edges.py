"""Live OEE's edges computed for all stations at once (``_edge_elements``, numpy) are what the
per-station cut gives (``_cut`` and ``_add_segments``, the raw computation's): the same
production, planned and unqualified time, downtime by cause and run counts, on random
timelines made to stress it: state changes on the window's start and on one another, the same
state reported again, planned stops across the start and inside, silences beginning before
the start and inside, stations with no state known and with no message at all."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import numpy as np
import pytest

from gigaline.mes.ports import StationEdges, StationTimeline
from gigaline.mes.services.oee import _add_segments, _cut, _edge_elements, _Elements

X = datetime(2026, 3, 2, 10, 17, tzinfo=UTC).timestamp()
STATES = [("running", None), ("down", "jam"), ("down", "sensor"), ("starved", None),
          ("blocked", None), ("setup", "changeover")]  # fmt: skip


def _timeline(rng: random.Random, name: str, x: float, y: float) -> StationTimeline:
    """A station's timeline over [x, y) from a few times that often coincide."""
    grid = [x, x, y - 1e-6, x + 0.5 * (y - x), *(rng.uniform(x, y) for _ in range(6))]
    times = sorted(t for t in rng.sample(grid, rng.randint(0, 7)) if x <= t < y)
    states = [(datetime.fromtimestamp(t, UTC), *rng.choice(STATES)) for t in times]
    standing = None
    last: float | None = None
    if rng.random() < 0.85:
        t0 = x - rng.choice([1.0, 30.0, 599.0, 601.0, 5000.0])
        standing = (datetime.fromtimestamp(t0, UTC), *rng.choice(STATES))
        last = t0 + rng.choice([0.0, 0.0, 5.0, 400.0])
    elif rng.random() < 0.5:
        last = x - rng.choice([10.0, 900.0])  # records before, no state ever
    rec = np.array(sorted(rng.uniform(x, y) for _ in range(rng.choice([0, 0, 1, 3]))))
    ok = np.array([rng.random() < 0.9 for _ in rec], dtype=np.bool_)
    return StationTimeline(name, standing, states, rec, ok, last)  # type: ignore[arg-type]


def _stops(rng: random.Random, x: float, y: float) -> list[tuple[float, float]]:
    pick = rng.random()
    if pick < 0.3:
        return []
    if pick < 0.5:  # one across the start
        return [(x - 100.0, x + 0.2 * (y - x))]
    if pick < 0.7:  # one ending on the start: the first piece does not continue it
        return [(x - 100.0, x), (x + 0.6 * (y - x), y + 50.0)]
    a = rng.uniform(x, y)
    return [(a, min(y, a + rng.uniform(1.0, 200.0)))]


@pytest.mark.parametrize("seed", range(12))
def test_edges_at_once_equal_the_cut_of_each_station(seed: int) -> None:
    rng = random.Random(seed)
    silence_s = 600.0
    y = X + rng.choice([300.0, 598.0])  # shorter than the silence: a counted edge
    lines = {f"s{i}": _timeline(rng, f"s{i}", X, y) for i in range(60)}
    stops = {n: _stops(rng, X, y) if i % 3 else [] for i, n in enumerate(lines)}
    cols = StationEdges.of(lines)
    got = _edge_elements(cols, X, y, lambda n: stops[n], silence_s)
    assert set(got) == set(lines)
    begun = 0
    for n, tl in lines.items():
        first = [float(tl.record_s[0])] if len(tl.record_s) else []
        want = _Elements(pq=len(tl.record_s), gq=int(tl.record_ok.sum()))
        _add_segments(want, _cut(tl, X, y, stops[n], silence_s, first), X, y)
        g = got[n]
        assert (g.pq, g.gq) == (want.pq, want.gq), n
        for f in ("pdot_s", "apt_s", "unqualified_s"):
            assert getattr(g, f) == pytest.approx(getattr(want, f), abs=1e-6), (n, f)
        assert dict(g.begins) == dict(want.begins), n
        assert dict(g.down) == pytest.approx(dict(want.down), abs=1e-6), n
        begun += sum(want.begins.values())
    assert begun > 60  # runs were counted, not only whole pieces


def test_a_station_with_nothing_stored_is_unqualified_throughout() -> None:
    tl = StationTimeline("s", None, [], np.zeros(0), np.zeros(0, dtype=np.bool_), None)
    got = _edge_elements(StationEdges.of({"s": tl}), X, X + 60.0, lambda n: [], 600.0)["s"]
    assert (got.unqualified_s, got.apt_s, got.pdot_s) == (60.0, 0.0, 0.0)
    assert dict(got.begins) == {}  # it stood so before the window: no run begins in it
