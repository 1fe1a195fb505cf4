"""The simulation against exact results: queueing closed forms, a deterministic line's
bottleneck rate, and Little's law (failures: tests/sim/test_failure_clock.py)."""

from __future__ import annotations

import math

import pytest

from gigaline.kpi import mean_ci95
from gigaline.sim import compile_line, run_replication, simulate
from gigaline.sim._layout import SI_MAIN
from gigaline.sim.runner import RunRecord
from tests.sim.conftest import make_line

REPS = 6


def _runs(line_yaml: str, days: float, warmup_days: float, reps: int = REPS) -> list[RunRecord]:
    c = compile_line(make_line(line_yaml))
    return [run_replication(c, days, warmup_days, seed=11, replication=i) for i in range(reps)]


def _within(values: list[float], exact: float, floor: float = 0.0) -> None:
    """The exact value lies in the 99 % t-interval of the replication means (or ``floor``)."""
    ci = mean_ci95(values)
    # widen the 95 % half width to 99 %: t(0.995, 5) / t(0.975, 5) = 4.0321 / 2.5706
    hw = ci.half_width * 4.0321 / 2.5706
    assert abs(ci.mean - exact) <= max(hw, floor), (ci.mean, exact, hw)


# ---- M/M/1 and M/M/c ------------------------------------------------------------------------
# A source step with exponential cycle times is a Poisson arrival process (it is never starved,
# and a buffer of 10^6 never blocks it); the station behind it is the queue. The buffer after
# the source is the queue, and the source always holds the one customer it is "making", so
# Lq = mean WIP of the source step - 1. The lead time through the line is the interarrival time
# (while the source makes the customer) plus the sojourn time W.


def test_mm1_against_closed_form() -> None:
    # M/M/1, lambda = 0.75, mu = 1 (Kleinrock, Queueing Systems I, 1975, eq. 3.26 and 3.24):
    # Lq = rho^2 / (1 - rho) = 2.25, W = 1 / (mu - lambda) = 4.
    runs = _runs(
        """
        {id: source, kind: discrete, cycle_time: {dist: exponential, mean: 1.3333333333 s},
         buffer_after: 1000000}
        {id: server, kind: discrete, cycle_time: {dist: exponential, mean: 1 s}}
        """,
        days=1.0,
        warmup_days=0.05,
    )
    lq = [r.wip_area[0] / r.window_s - 1.0 for r in runs]
    lead = [float(r.lead_times_s.mean()) for r in runs]
    _within(lq, 2.25)
    _within(lead, 1.0 / 0.75 + 4.0)
    util = [r.state_s[1, 0] / r.window_s for r in runs]
    _within(util, 0.75)


def test_mmc_against_erlang_c() -> None:
    # M/M/3, lambda = 0.2, mu = 0.1 (the Ciw README example): a = 2, rho = 2/3,
    # Erlang C = 4/9, Wq = C / (c mu - lambda) = 4.444, Lq = lambda Wq = 0.8889, W = 14.444.
    a, c = 2.0, 3
    tail = a**c / math.factorial(c) / (1 - a / c)
    erlang_c = tail / (sum(a**k / math.factorial(k) for k in range(c)) + tail)
    wq = erlang_c / (c * 0.1 - 0.2)
    assert erlang_c == pytest.approx(4 / 9) and wq == pytest.approx(4.4444, abs=1e-4)
    runs = _runs(
        """
        {id: source, kind: discrete, cycle_time: {dist: exponential, mean: 5 s},
         buffer_after: 1000000}
        {id: server, kind: discrete, machines: 3, cycle_time: {dist: exponential, mean: 10 s}}
        """,
        days=4.0,
        warmup_days=0.1,
    )
    _within([r.wip_area[0] / r.window_s - 1.0 for r in runs], 0.2 * wq)
    _within([float(r.lead_times_s.mean()) for r in runs], 5.0 + wq + 10.0)


# ---- two unreliable machines with a finite buffer: the exact Markov chain ------------------
# In tests/sim/test_failure_clock.py (with tests/sim/markov.py): failures on operating and
# calendar time, from every 2 cycles to every 60.


# ---- deterministic line: throughput equals the bottleneck rate -----------------------------


def test_deterministic_serial_line_runs_at_its_bottleneck_rate() -> None:
    # Fixed times, finite buffers, no failures: after the line fills, the bottleneck (b, 1.5 s)
    # sets the pace exactly, and it is the sole bottleneck all the time (active period method).
    c = compile_line(
        make_line(
            """
            {id: a, kind: discrete, cycle_time: 1.0 s, buffer_after: 2}
            {id: b, kind: discrete, cycle_time: 1.5 s, buffer_after: 2}
            {id: c, kind: discrete, cycle_time: 1.2 s, buffer_after: 0}
            {id: d, kind: discrete, cycle_time: 0.8 s}
            """
        )
    )
    r = run_replication(c, days=0.5, warmup_days=0.01, seed=1)
    assert abs(r.good - r.window_s / 1.5) <= 1.0
    assert r.bottleneck_sole_s[1] / r.window_s == pytest.approx(1.0, abs=1e-6)
    assert r.state_s[1, 0] / r.window_s == pytest.approx(1.0, abs=1e-9)  # b always working


def test_deterministic_parallel_and_batch_line() -> None:
    # b: 3 machines x 4 s = 0.75 cells/s is the bottleneck; the batch step (16 cells per 18 s
    # = 0.889/s) and the dwell step (100 places x 60 s = 1.667/s) have spare capacity.
    c = compile_line(
        make_line(
            """
            {id: a, kind: discrete, cycle_time: 1.0 s, buffer_after: 20}
            {id: b, kind: discrete, machines: 3, cycle_time: 4 s, buffer_after: 20}
            {id: f, kind: batch, batch_size: 16, cycle_time: 18 s, buffer_after: 40}
            {id: h, kind: dwell, capacity: 100, cycle_time: 60 s, buffer_after: 5}
            {id: d, kind: discrete, cycle_time: 0.9 s}
            """
        )
    )
    r = run_replication(c, days=0.5, warmup_days=0.05, seed=1)
    assert abs(r.good - 0.75 * r.window_s) <= 16 + 3  # one batch and one round of b
    assert (r.bottleneck_sole_s + r.bottleneck_shifting_s).argmax() == 1


# ---- Little's law ----------------------------------------------------------------------------


# (2 days are less than the merge line's calendar cycle, which is warned of: Little's law holds)
@pytest.mark.filterwarnings("ignore::gigaline.sim.SimulationWarning")
@pytest.mark.parametrize("path", ["two-machine", "merge"])
def test_littles_law_on_every_run(path: str, merge_line: object) -> None:
    # L = lambda W (Little 1961, doi:10.1287/opre.9.3.383) on the main chain: the time-average
    # WIP (integrated from the state) equals exit rate x mean lead time (from the timed cells)
    # within sampling error: 2 % here; window edges and the timed-cell stride cause the rest.
    from gigaline.model import load_line

    line = load_line("examples/two-machine.yaml") if path == "two-machine" else merge_line
    res = simulate(line, days=2, warmup_days=0.5, replications=2, seed=5, workers=1)  # type: ignore[arg-type]
    main = res.compiled.SI[:, SI_MAIN] == 1
    for r in res.records:
        wip = r.wip_area[main].sum() / r.window_s
        lam = r.exited / r.window_s
        w = float(r.lead_times_s.mean())
        assert wip == pytest.approx(lam * w, rel=0.02), (wip, lam * w)


@pytest.mark.parametrize("basis", ["operating", "calendar"])
def test_failure_counts_follow_their_clock(basis: str) -> None:
    # Exponential failures are a Poisson process on their clock: operating time (working)
    # or calendar time less repairs. Expected count = clock / MTBF, sd = sqrt(count).
    c = compile_line(
        make_line(
            f"""
            {{id: a, kind: discrete, cycle_time: {{dist: exponential, mean: 1 s}}, buffer_after: 3,
             failures: {{mtbf: 100 s, mttr: 10 s, basis: {basis}}}}}
            {{id: b, kind: discrete, cycle_time: {{dist: exponential, mean: 1.2 s}}}}
            """
        )
    )
    r = run_replication(c, days=2, seed=4)
    working, down = r.state_s[0, 0], r.state_s[0, 3]
    clock = working if basis == "operating" else r.window_s - down
    expected = clock / 100.0
    assert abs(r.failures[0] - expected) <= 4 * math.sqrt(expected), (r.failures[0], expected)
    assert down / r.failures[0] == pytest.approx(10.0, rel=0.1)  # mean repair time
    assert r.hourly_good.sum() == r.good
