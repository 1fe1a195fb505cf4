"""``warmup_days="auto"``: choose the warm-up from a pilot run by MSER-5, then simulate.

The procedure (documented for users in docs/simulation.md):

1. Pilot: the replications run from an empty line for ``PILOT_FACTOR`` times the time the line
   needs to deliver its first cell (:func:`gigaline.sim.steady.first_output`), at least
   ``PILOT_MIN_DAYS``, with the seeds of the real runs.
2. MSER-5 on the replications' mean hourly good output, the hours with a planned stop left out
   (:func:`gigaline.sim.steady.settling_hour`). If the truncation point falls in the second
   half of the pilot, the output has not settled yet: the pilot doubles, up to
   ``PILOT_DOUBLINGS`` times; after that the warm-up is half the pilot, and a warning says so.
3. The warm-up is the hour MSER-5 cut at; the replications run again for that warm-up and the
   requested days. Their seeds are those of the pilot, so their warm-up replays its first hours
   exactly: the measured window follows the very start-up MSER-5 judged.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from concurrent.futures import Executor

import numpy as np

from gigaline.model import Line
from gigaline.sim.calendar import planned_stops
from gigaline.sim.checks import SimulationWarning, emit
from gigaline.sim.compile import compile_line
from gigaline.sim.results import SimResult
from gigaline.sim.steady import WarmupChoice, first_output, settling_hour

__all__ = [
    "PILOT_DOUBLINGS",
    "PILOT_FACTOR",
    "PILOT_MIN_DAYS",
    "choose_warmup",
    "simulate_with_auto_warmup",
]

#: Pilot length in multiples of the first-output time: MSER-5 needs the settled output to be the
#: longer part of the series (its truncation point must lie in the first half).
PILOT_FACTOR = 2.5
#: ... and at least this long: 24 batches of 5 h, enough for MSER-5 to tell a trend from noise.
PILOT_MIN_DAYS = 5.0
PILOT_DOUBLINGS = 3


def choose_warmup(
    run: Callable[..., SimResult],
    line: Line,
    replications: int,
    seed: int,
    *,
    workers: int | None,
    coil_length_m: float,
    executor: Executor | None = None,
    progress: Callable[[float], None] | None = None,
) -> WarmupChoice:
    """Run the pilot and return the warm-up MSER-5 chooses (step 1 and 2 above).

    ``run`` simulates with a given warm-up (:func:`gigaline.sim.simulate`; passed in so that
    this module and :mod:`gigaline.sim.experiments` do not import each other).
    """
    c = compile_line(line, coil_length_m=coil_length_m)
    pilot = float(math.ceil(max(PILOT_FACTOR * first_output(c).days, PILOT_MIN_DAYS)))
    for attempt in range(PILOT_DOUBLINGS + 1):
        r = run(
            line,
            days=pilot,
            warmup_days=0.0,
            replications=replications,
            seed=seed,
            workers=workers,
            executor=executor,
            coil_length_m=coil_length_m,
            progress=progress,
        )
        good = np.mean([rec.run_hourly_good for rec in r.records], axis=0)
        hour, cut = settling_hour(good, planned_stops(line.calendar, pilot * 86400.0))
        if cut.found or attempt == PILOT_DOUBLINGS:
            break
        pilot *= 2.0
    days = hour / 24.0 if cut.found else math.ceil(pilot * 12.0) / 24.0
    return WarmupChoice(
        method="MSER-5",
        days=days,
        pilot_days=pilot,
        pilot_replications=replications,
        found=cut.found,
    )


def simulate_with_auto_warmup(
    run: Callable[..., SimResult],
    line: Line,
    days: float,
    replications: int,
    seed: int,
    *,
    workers: int | None,
    coil_length_m: float,
    executor: Executor | None = None,
    progress: Callable[[float], None] | None = None,
) -> SimResult:
    """``run`` (:func:`gigaline.sim.simulate`) with the warm-up chosen by
    :func:`choose_warmup`."""

    def part(lo: float, hi: float) -> Callable[[float], None] | None:
        if progress is None:
            return None
        return lambda f: progress(lo + (hi - lo) * f)

    with warnings.catch_warnings():  # the pilot starts empty on purpose; the run's own
        warnings.simplefilter("ignore", SimulationWarning)  # warnings follow, with the choice
        choice = choose_warmup(
            run, line, replications, seed, workers=workers, coil_length_m=coil_length_m,
            executor=executor, progress=part(0.0, 0.5),
        )  # fmt: skip
        result = run(
            line,
            days=days,
            warmup_days=choice.days,
            replications=replications,
            seed=seed,
            workers=workers,
            executor=executor,
            coil_length_m=coil_length_m,
            progress=part(0.5, 1.0),
        )
    result.warmup = choice
    emit(result.warnings, stacklevel=4)
    return result
