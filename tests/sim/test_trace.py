"""The kernel's trace: per station and step, it adds up to the run's own totals; the same seed
gives the same trace; cells are conserved; unit ids pass first in, first out; a trace does not
change the run it records."""

from __future__ import annotations

import numpy as np
import pytest

from gigaline.model import load_line
from gigaline.sim import compile_line, run_replication
from gigaline.sim._layout import (
    DOWN,
    SI_CONS,
    SI_MAIN,
    TR_DEPOSIT,
    TR_ID,
    TR_KIND,
    TR_MACHINE,
    TR_N,
    TR_STEP,
    TR_TAKE,
    TR_X,
)
from gigaline.sim.compile import CompiledLine
from gigaline.sim.runner import TraceChunk
from gigaline.sim.state import trace_rows
from gigaline.sim.trace import Trace, TraceTally
from tests.sim.conftest import LINES


def _traced(
    c: CompiledLine, days: float, warmup_days: float, seed: int
) -> tuple[Trace, TraceTally, list[TraceChunk]]:
    run = Trace(c, days, warmup_days, seed)
    tally = TraceTally(c, warmup_days * 86400.0, (warmup_days + days) * 86400.0)
    chunks = []
    for chunk in run:
        tally.add(chunk)
        chunks.append(chunk)
    tally.close()
    return run, tally, chunks


@pytest.mark.parametrize(
    ("path", "days", "warmup"), [("merge-line.yaml", 1.0, 0.5), ("failure-clock.yaml", 0.3, 0.0)]
)
def test_trace_adds_up_to_the_twin(path: str, days: float, warmup: float) -> None:
    c = compile_line(load_line(LINES / path))
    run, tally, _ = _traced(c, days, warmup, seed=5)
    r = run.record
    assert r is not None
    # counts: exactly the run's own per-step counters and failures
    np.testing.assert_array_equal(tally.counters, r.counters)
    np.testing.assert_array_equal(tally.failures, r.failures)
    assert tally.failures.sum() > 0 and r.counters[:, 2].sum() > 0  # failures and scrap occur
    # state times per machine: the twin's, to the rounding of its running sums
    np.testing.assert_allclose(tally.state_s, r.state_s, rtol=1e-9, atol=1e-6)
    assert (tally.state_s[:, DOWN] > 0).any()
    # the station as a whole is in one state at a time: its states fill the window
    np.testing.assert_allclose(tally.station_s.sum(axis=1), r.window_s, rtol=1e-12)
    # conservation over the whole run: per step, WIP = started - scrap - taken downstream;
    # for the main chain, cells in = out + WIP + scrap
    np.testing.assert_array_equal(tally.wip_end, r.wip_end)
    main = c.SI[:, SI_MAIN] == 1
    rc = tally.run_counters
    first = int(np.flatnonzero(main)[0])
    last = c.n_steps - 1
    assert rc[first, 0] == rc[last, 3] + rc[main, 2].sum() + tally.wip_end[main].sum()
    # the same run as without a trace
    plain = run_replication(c, days, warmup, seed=5)
    np.testing.assert_array_equal(plain.counters, r.counters)
    np.testing.assert_array_equal(plain.state_s, r.state_s)
    assert plain.events == r.events


def test_trace_is_deterministic_and_bounded() -> None:
    c = compile_line(load_line(LINES / "merge-line.yaml"))
    _, _, a = _traced(c, 0.5, 0.0, seed=8)
    _, _, b = _traced(c, 0.5, 0.0, seed=8)
    _, _, other = _traced(c, 0.5, 0.0, seed=9)
    assert len(a) > 2  # drained in several chunks, each at most the buffer
    assert max(len(x) for x in a) <= trace_rows(c)
    ta, tb = np.concatenate([x.t_s for x in a]), np.concatenate([x.t_s for x in b])
    np.testing.assert_array_equal(ta, tb)
    np.testing.assert_array_equal(
        np.concatenate([x.rec for x in a]), np.concatenate([x.rec for x in b])
    )
    assert not np.array_equal(ta[:1000], np.concatenate([x.t_s for x in other])[:1000])
    assert np.all(np.diff(ta) >= 0.0)  # time order


def test_unit_ids_are_first_in_first_out() -> None:
    """Every step's output cells are numbered without gaps as passed on, and its consumer
    takes them in that order; machine records carry their causes."""
    c = compile_line(load_line(LINES / "merge-line.yaml"))
    _, _, chunks = _traced(c, 1.1, 0.0, seed=2)
    rec = np.concatenate([x.rec for x in chunks])
    for s in range(c.n_steps):
        for kind in (TR_DEPOSIT, TR_TAKE):
            rows = rec[(rec[:, TR_KIND] == kind) & (rec[:, TR_STEP] == s)]
            if c.SI[s, SI_CONS] < 0 and kind == TR_TAKE:
                assert rows.size == 0
                continue
            assert rows.shape[0] > 0
            ids, n = rows[:, TR_ID], rows[:, TR_N]
            assert ids[0] == 0
            np.testing.assert_array_equal(ids[1:], (ids + n)[:-1])
    causes = set(rec[rec[:, TR_KIND] == TR_MACHINE, TR_X].tolist())
    assert causes == {0, 1, 2, 3}  # failure, repair, planned stop start and end


def _close_one_by_one(tally: TraceTally) -> None:
    """The close of a tally as it was written before it was vectorised: server by server,
    then station by station, each interval through ``_server_until`` and ``_clip``."""
    for v in range(tally._vstate.size):
        tally._server_until(v, tally.end_s)
    for m in range(tally._mstate.size):
        tally.station_s[m, int(tally._mstate[m])] += tally._clip(
            float(tally._mlast[m]), tally.end_s
        )
        tally._mlast[m] = tally.end_s


@pytest.mark.parametrize(
    ("path", "days", "warmup", "early_s"),
    [("merge-line.yaml", 0.7, 0.3, 0.0), ("failure-clock.yaml", 0.3, 0.0, 900.0)],
)
def test_vectorised_close_equals_the_loop_bit_for_bit(
    path: str, days: float, warmup: float, early_s: float
) -> None:
    """Closing adds every server's and station's standing interval: the vectorised close
    gives the same state times as the loop over servers, to the last bit, also for a window
    that ends before the run does (intervals clipped at both ends)."""
    c = compile_line(load_line(LINES / path))
    run = Trace(c, days, warmup, 4)
    start, end = warmup * 86400.0 + 600.0, (warmup + days) * 86400.0 - early_s
    a, b = TraceTally(c, start, end), TraceTally(c, start, end)
    for chunk in run:
        a.add(chunk)
        b.add(chunk)
    open_s = a.state_s.copy()
    a.close()
    _close_one_by_one(b)
    if not early_s:  # the window ends with the run: closing adds the standing intervals
        assert not np.array_equal(open_s, a.state_s)
    assert a.state_s.tobytes() == b.state_s.tobytes()
    assert a.station_s.tobytes() == b.station_s.tobytes()
    np.testing.assert_array_equal(a._vlast, b._vlast)
    np.testing.assert_array_equal(a._mlast, b._mlast)
