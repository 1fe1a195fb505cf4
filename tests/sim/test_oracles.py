"""The simulation against exact results: queueing closed forms, the exact Markov chain of a
two-machine line, a deterministic line's bottleneck rate, and Little's law."""

from __future__ import annotations

import math
from itertools import product

import numpy as np
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


def _two_machine_chain(
    mu1: float, mu2: float, p1: float, r1: float, p2: float, r2: float, C: int
) -> dict[str, float]:
    """Stationary solution of the two-machine line with exponential processing, failures
    and repairs, blocking after service and a buffer of C places between the machines
    (the exponential model of Gershwin and Berman 1981, "Analysis of transfer lines consisting
    of two unreliable machines with random processing times and finite storage buffers",
    AIIE Transactions 13(1), doi:10.1080/05695558108974530; failures only while working).

    State (b, s1, s2): b parts in the buffer; M1 working (W), blocked (B) or down (D); M2
    working (W), idle (I, starved) or down (D). The first machine is never starved, the second
    never blocked. Built and solved here with numpy: pi Q = 0, sum pi = 1.
    """
    states = [
        (b, s1, s2)
        for b, s1, s2 in product(range(C + 1), "WBD", "WID")
        if not (s1 == "B" and (b != C or s2 == "I")) and not (s2 == "I" and (b != 0 or s1 == "B"))
    ]
    index = {s: i for i, s in enumerate(states)}
    Q = np.zeros((len(states), len(states)))

    def add(frm: tuple[int, str, str], to: tuple[int, str, str], rate: float) -> None:
        Q[index[frm], index[to]] += rate

    for st in states:
        b, s1, s2 = st
        if s1 == "W":
            if s2 == "I":
                add(st, (0, "W", "W"), mu1)  # straight to the idle second machine
            elif b < C:
                add(st, (b + 1, "W", s2), mu1)
            else:
                add(st, (C, "B", s2), mu1)
            add(st, (b, "D", s2), p1)
        elif s1 == "D":
            add(st, (b, "W", s2), r1)
        if s2 == "W":
            if s1 == "B":
                add(st, (C, "W", "W"), mu2)  # takes a part; the blocked one drops in
            elif b > 0:
                add(st, (b - 1, s1, "W"), mu2)
            else:
                add(st, (0, s1, "I"), mu2)
            add(st, (b, s1, "D"), p2)
        elif s2 == "D":
            add(st, (b, s1, "W"), r2)
    np.fill_diagonal(Q, -Q.sum(axis=1))
    A = np.vstack([Q.T, np.ones(len(states))])
    rhs = np.zeros(len(states) + 1)
    rhs[-1] = 1.0
    pi = np.linalg.lstsq(A, rhs, rcond=None)[0]

    def p(pred: object) -> float:
        return float(sum(pi[i] for s, i in index.items() if pred(s)))  # type: ignore[operator]

    return {
        "throughput": mu2 * p(lambda s: s[2] == "W"),
        "m1_working": p(lambda s: s[1] == "W"),
        "m1_blocked": p(lambda s: s[1] == "B"),
        "m1_down": p(lambda s: s[1] == "D"),
        "m2_working": p(lambda s: s[2] == "W"),
        "m2_starved": p(lambda s: s[2] == "I"),
        "m2_down": p(lambda s: s[2] == "D"),
        "buffer_mean": float(sum(pi[i] * s[0] for s, i in index.items())),
    }


def test_markov_chain_sanity_limits() -> None:
    # Reliable machines, C = 0: the blocking line of two exponential stations has
    # TH = mu K / (K + 1) with K = C + 2 when mu1 = mu2 (birth-death chain): 2/3 for mu = 1.
    exact = _two_machine_chain(1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0)
    assert exact["throughput"] == pytest.approx(2.0 / 3.0, abs=1e-12)
    exact = _two_machine_chain(1.0, 1.2, 0.0, 1.0, 0.0, 1.0, 3)
    rho, K = 1 / 1.2, 5
    assert exact["throughput"] == pytest.approx((1 - rho**K) / (1 - rho ** (K + 1)), abs=1e-12)


def test_two_machine_line_against_exact_markov_chain() -> None:
    mu1, mu2, p1, r1, p2, r2, C = 1.0, 1 / 1.1, 1 / 40, 1 / 4, 1 / 60, 1 / 6, 4
    exact = _two_machine_chain(mu1, mu2, p1, r1, p2, r2, C)
    runs = _runs(
        f"""
        {{id: m1, kind: discrete, cycle_time: {{dist: exponential, mean: 1 s}}, buffer_after: {C},
         failures: {{mtbf: 40 s, mttr: 4 s, basis: operating}}}}
        {{id: m2, kind: discrete, cycle_time: {{dist: exponential, mean: 1.1 s}},
         failures: {{mtbf: 60 s, mttr: 6 s, basis: operating}}}}
        """,
        days=1.0,
        warmup_days=0.02,
    )
    T = [r.window_s for r in runs]
    _within([r.good / t for r, t in zip(runs, T, strict=True)], exact["throughput"])
    # machine state shares: rows m1, m2; columns working, starved, blocked, down
    for key, (m, col) in {
        "m1_working": (0, 0),
        "m1_blocked": (0, 2),
        "m1_down": (0, 3),
        "m2_working": (1, 0),
        "m2_starved": (1, 1),
        "m2_down": (1, 3),
    }.items():
        _within([r.state_s[m, col] / t for r, t in zip(runs, T, strict=True)], exact[key])


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
