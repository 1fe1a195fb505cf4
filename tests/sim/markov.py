"""The exact Markov chain of a two-machine line, built and solved with numpy (test oracle).

The model is the exponential two-machine line of Gershwin and Berman (1981), "Analysis of
transfer lines consisting of two unreliable machines with random processing times and finite
storage buffers", AIIE Transactions 13(1), doi:10.1080/05695558108974530; also Gershwin,
*Manufacturing Systems Engineering* (Prentice Hall, 1994), ch. 3 (two-machine lines), and
Buzacott and Shanthikumar, *Stochastic Models of Manufacturing Systems* (Prentice Hall, 1993),
ch. 6 (flow lines with unreliable machines). Machine i works at rate mu_i (exponential
processing times), fails at rate p_i and is repaired at rate r_i (exponential); a buffer of C
places lies between the machines; the first machine is never starved, the second never
blocked; blocking after service.

Failures are *operation-dependent* (``basis="operating"``, as in Gershwin and Berman: a machine
fails only while it works) or *time-dependent* (``basis="calendar"``: it also fails while
blocked or starved), the two kinds Buzacott and Shanthikumar distinguish. A time-dependent failure
of a blocked first machine keeps its finished part (state ``Db``), and of a starved second
machine leaves it empty (``Di``); an operation-dependent one always interrupts a part in
progress (``D``), which resumes after the repair (exponential work: the rest is as long as a
new part).

State (b, s1, s2): b parts in the buffer (not counting the machines); M1 working ``W``, blocked
``B``, down while working ``D`` or down holding a finished part ``Db``; M2 working ``W``, idle
(starved) ``I``, down while working ``D`` or down while idle ``Di``. The chain is solved as
pi Q = 0, sum(pi) = 1.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import product

import numpy as np

State = tuple[int, str, str]


def _valid(b: int, s1: str, s2: str, C: int) -> bool:
    if s1 == "B" and (b != C or s2 == "I"):  # blocked only on a full buffer, never beside
        return False  # an idle second machine (it would take the part at once)
    return not (s2 == "I" and b != 0)  # idle only with an empty buffer


def _after_m1_delivers(b: int, s2: str, C: int) -> State:
    """M1 puts a finished part down (completion, or repair while holding one); it restarts."""
    if s2 == "I":
        return (0, "W", "W")  # straight to the idle second machine
    if b < C:
        return (b + 1, "W", s2)
    return (C, "B", s2)


def _after_m2_takes(b: int, s1: str, C: int) -> State:
    """M2 looks for its next part (after a completion, or a repair while idle)."""
    if s1 == "B":
        return (C, "W", "W")  # takes a part; the blocked one drops in, M1 restarts
    if b > 0:
        return (b - 1, s1, "W")
    return (0, s1, "I")


def two_machine_chain(
    mu1: float,
    mu2: float,
    p1: float,
    r1: float,
    p2: float,
    r2: float,
    C: int,
    basis: str = "operating",
) -> dict[str, float]:
    """Stationary throughput, machine state probabilities and mean buffer level."""
    down1 = ("D", "Db") if basis == "calendar" else ("D",)
    down2 = ("D", "Di") if basis == "calendar" else ("D",)
    states = [
        (b, s1, s2)
        for b, s1, s2 in product(range(C + 1), ("W", "B", *down1), ("W", "I", *down2))
        if _valid(b, s1, s2, C)
    ]
    index = {s: i for i, s in enumerate(states)}
    Q = np.zeros((len(states), len(states)))

    def add(frm: State, to: State, rate: float) -> None:
        Q[index[frm], index[to]] += rate

    for st in states:
        b, s1, s2 = st
        if s1 == "W":
            add(st, _after_m1_delivers(b, s2, C), mu1)
            add(st, (b, "D", s2), p1)
        elif s1 == "B" and basis == "calendar":
            add(st, (b, "Db", s2), p1)
        elif s1 == "D":
            add(st, (b, "W", s2), r1)
        elif s1 == "Db":
            add(st, _after_m1_delivers(b, s2, C), r1)
        if s2 == "W":
            add(st, _after_m2_takes(b, s1, C), mu2)
            add(st, (b, s1, "D"), p2)
        elif s2 == "I" and basis == "calendar":
            add(st, (b, s1, "Di"), p2)
        elif s2 == "D":
            add(st, (b, s1, "W"), r2)
        elif s2 == "Di":
            add(st, _after_m2_takes(b, s1, C), r2)
    np.fill_diagonal(Q, -Q.sum(axis=1))
    A = Q.T.copy()  # pi Q = 0 with one equation (redundant: rows of Q sum to 0) replaced by
    A[-1] = 1.0  # sum(pi) = 1; the chain is irreducible, so the system is regular
    rhs = np.zeros(len(states))
    rhs[-1] = 1.0
    pi = np.linalg.solve(A, rhs)

    def p(pred: Callable[[State], bool]) -> float:
        return float(sum(pi[i] for s, i in index.items() if pred(s)))

    return {
        "throughput": mu2 * p(lambda s: s[2] == "W"),
        "m1_throughput": mu1 * p(lambda s: s[1] == "W"),
        "m1_working": p(lambda s: s[1] == "W"),
        "m1_blocked": p(lambda s: s[1] == "B"),
        "m1_down": p(lambda s: s[1] in ("D", "Db")),
        "m2_working": p(lambda s: s[2] == "W"),
        "m2_starved": p(lambda s: s[2] == "I"),
        "m2_down": p(lambda s: s[2] in ("D", "Di")),
        "buffer_mean": float(sum(pi[i] * s[0] for s, i in index.items())),
        "residual": float(np.abs(pi @ Q).max()),
    }
