"""The twin against a clock: on schedule (no drift that grows with the run), never an item
skipped or reordered when the host cannot keep up, and the lag reported."""

from __future__ import annotations

import time

import numpy as np
import pytest

from gigaline.model import load_line
from gigaline.sim import compile_line
from gigaline.sim.trace import Trace
from gigaline.virtual.clock import Clock, ClockError, paced
from tests.sim.conftest import LINES


def test_trace_records_come_on_schedule_without_drift() -> None:
    # 4 simulated minutes of a line's trace at speed 1000: about 0.24 s of wall time.
    c = compile_line(load_line(LINES / "failure-clock.yaml"))
    times = np.concatenate([ch.t_s for ch in Trace(c, 240.0 / 86400.0, seed=1)])
    times = np.unique(times)[::2]  # distinct instants, a few hundred of them
    assert times.size > 100
    clock = Clock(speed=1000.0, start_s=float(times[0]))
    clock.start()
    lags = []
    for t in paced(times.tolist(), float, clock):
        due = clock.due(t)
        lags.append(time.monotonic() - due)
    lags_a = np.array(lags)
    assert clock.items == times.size
    assert lags_a.min() >= 0.0  # never early
    # per item: within the host's sleep latency (generous for a loaded 2-core machine)
    assert np.median(lags_a) < 0.02
    # no drift: the late half is no later than the early half beyond that latency
    half = lags_a.size // 2
    assert np.median(lags_a[half:]) - np.median(lags_a[:half]) < 0.01


def test_a_host_that_cannot_keep_up_falls_behind_and_skips_nothing() -> None:
    now = [0.0]
    clock = Clock(speed=10.0, late_after_s=0.5, monotonic=lambda: now[0],
                  sleep=lambda s: now.__setitem__(0, now[0] + s))  # fmt: skip
    got = []
    for t in paced([0.0, 10.0, 20.0, 30.0, 40.0], float, clock):
        got.append((t, clock.lag_s))
        if t == 10.0:
            now[0] += 3.0  # the consumer stalls for 3 s (30 s of twin time)
    assert [t for t, _ in got] == [0.0, 10.0, 20.0, 30.0, 40.0]  # all, in order
    # 20 and 30 were due at 2 s and 3 s: handed over at 4 s, late; 40 is on time again
    assert [lag for _, lag in got] == pytest.approx([0.0, 0.0, 2.0, 1.0, 0.0])
    assert clock.max_lag_s == pytest.approx(2.0) and clock.late == 2


def test_bad_speed_is_refused() -> None:
    for bad in (0.0, -1.0, float("inf"), float("nan")):
        with pytest.raises(ClockError, match="speed"):
            Clock(speed=bad)


def test_the_documented_snippet_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    from tests.conftest import ROOT

    text = (ROOT / "docs" / "live.md").read_text(encoding="utf-8")
    (snippet,) = [b for b in re.findall(r"```python\n(.*?)```", text, flags=re.S) if "Clock" in b]
    monkeypatch.chdir(ROOT)
    exec(compile(snippet, "live.md", "exec"), {})
