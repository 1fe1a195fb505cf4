"""The twin against a clock: deliver timed items (trace records, events) in real time or faster.

:class:`Clock` maps twin time to wall time, ``wall = wall_0 + (t - t_0) / speed``, and waits
for each item's due time on that **absolute** schedule: the wait for one item never adds to the
next, so the error does not accumulate with the run's length. Sleeping costs no CPU; what is
left is the host's sleep latency, a few hundred microseconds per item on an idle machine, the
same at the first item and after an hour (tests/virtual/test_clock.py asserts it per item and
that it does not grow).

When the host cannot keep up (a speed the consumer cannot match, a loaded machine), items are
late: the clock **never skips** an item and never reorders them; it hands each one over as soon
as it can, in order, and reports how late (``lag_s`` of the last item, ``max_lag_s`` of the
run, ``late`` the items more than ``late_after_s`` behind). It keeps the original schedule, so
a run that fell behind catches up when the load drops, instead of shifting everything after
the stall. ``speed`` is any factor from 0.001 up (1 = real time; 1000 runs a day in 86 s).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from gigaline.errors import GigalineError

__all__ = ["Clock", "ClockError", "paced"]

T = TypeVar("T")

#: The longest single sleep when a ``stop`` event is given [s].
_SLICE_S = 0.25


class ClockError(GigalineError):
    """A clock that cannot run (a speed that is not a positive finite number)."""


class Clock:
    """Twin seconds to wall seconds at ``speed``, from twin time ``start_s`` at the first
    :meth:`wait_until` (or :meth:`start`). With ``stop`` (a :class:`threading.Event`), setting
    it ends any wait at once: :meth:`wait_until` then returns 0 without waiting further."""

    def __init__(
        self,
        speed: float = 1.0,
        start_s: float = 0.0,
        late_after_s: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        stop: threading.Event | None = None,
    ) -> None:
        if not (isinstance(speed, int | float) and 1e-3 <= speed < float("inf")):
            raise ClockError(f"speed: {speed!r}; expected a number from 0.001 up (1 = real time)")
        self.speed = float(speed)
        self.start_s = start_s
        self.late_after_s = late_after_s
        self._monotonic, self._sleep = monotonic, sleep
        self.stop = stop
        if stop is not None:  # a stop request ends a wait at once (a signal handler sets it)

            def _wait(seconds: float) -> None:
                stop.wait(min(seconds, _SLICE_S))

            self._sleep = _wait
        self._wall0: float | None = None
        self.lag_s = 0.0
        self.max_lag_s = 0.0
        self.late = 0
        self.items = 0

    def start(self) -> None:
        """Pin twin time ``start_s`` to now (done by the first wait otherwise)."""
        self._wall0 = self._monotonic()

    def due(self, t_s: float) -> float:
        """The wall time (of ``monotonic``) at which twin time ``t_s`` is due."""
        if self._wall0 is None:
            self.start()
        assert self._wall0 is not None
        return self._wall0 + (t_s - self.start_s) / self.speed

    def now_s(self) -> float:
        """The twin time the clock shows now."""
        if self._wall0 is None:
            self.start()
        assert self._wall0 is not None
        return self.start_s + (self._monotonic() - self._wall0) * self.speed

    def wait_until(self, t_s: float) -> float:
        """Sleep until twin time ``t_s`` is due; return how late it is then [wall s, >= 0]."""
        due = self.due(t_s)
        left = due - self._monotonic()
        while left > 0.0:
            if self.stop is not None and self.stop.is_set():
                return 0.0
            self._sleep(left)
            left = due - self._monotonic()
        lag = -left
        self.items += 1
        self.lag_s = lag
        if lag > self.max_lag_s:
            self.max_lag_s = lag
        if lag > self.late_after_s:
            self.late += 1
        return lag


def paced(items: Iterable[T], time_of: Callable[[T], float], clock: Clock) -> Iterator[T]:
    """Yield ``items`` (in twin-time order) each when the clock reaches ``time_of(item)``;
    none is skipped, however late (see :class:`Clock`)."""
    for item in items:
        clock.wait_until(time_of(item))
        yield item
