"""The twin against a clock: twin seconds to wall-clock seconds, real time or accelerated.

A :class:`Clock` maps a twin time ``t`` [s] to the wall time it is due at:
``anchor + (t - t0) / speed``, with ``anchor`` read once from :func:`time.monotonic` when the
clock starts. Every wait is computed from that one anchor, never by adding up sleeps, so the
error does not grow with the run: each event is late by the operating system's wake-up
latency at most (about 0.1-1 ms on Linux), whatever the hour. ``speed=None`` runs as fast as
the host can (tests, back-filling).

When the host cannot keep up (the events of a twin second take longer than ``1 / speed``
wall seconds to publish), the clock does not skip or reorder anything: each event goes out as
soon as the previous one has, the clock falls behind, and :attr:`Clock.lag_s` (how late the
last event went out) and :attr:`Clock.max_lag_s` say by how much. The virtual line reports
both; it catches up by itself when the load drops, because the anchor does not move.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

__all__ = ["Clock", "ClockError"]

#: The longest single sleep [s]: a stop request is seen at least this often.
_SLICE_S = 0.25


class ClockError(ValueError):
    """A speed the clock cannot run at."""


@dataclass
class Clock:
    """Wall-clock pacing of twin time (see the module docstring).

    ``speed``: twin seconds per wall second (1 = real time; None = as fast as possible).
    ``t0``: the twin time [s] the clock starts at. ``stop``: an event that ends every wait at
    once (a signal handler sets it).
    """

    speed: float | None = 1.0
    t0: float = 0.0
    stop: threading.Event = field(default_factory=threading.Event)
    lag_s: float = 0.0
    max_lag_s: float = 0.0
    behind: int = 0  # waits that found the event already due by more than one millisecond
    _anchor: float | None = None

    def __post_init__(self) -> None:
        if self.speed is not None and not (0.0 < self.speed <= 1e6):
            raise ClockError(f"speed {self.speed!r}: a positive number up to 1,000,000 (or none)")

    def start(self, now: float | None = None) -> None:
        """Fix the anchor: twin time ``t0`` is due now (or at monotonic time ``now``)."""
        self._anchor = time.monotonic() if now is None else now

    def due(self, t: float) -> float:
        """The monotonic wall time at which twin time ``t`` is due."""
        if self._anchor is None:
            self.start()
        assert self._anchor is not None
        if self.speed is None:
            return self._anchor
        return self._anchor + (t - self.t0) / self.speed

    def wait_until(self, t: float) -> bool:
        """Sleep until twin time ``t`` is due; False when :attr:`stop` was set meanwhile.

        Returns at once (recording the lag) when ``t`` is already due.
        """
        due = self.due(t)
        while True:
            left = due - time.monotonic()
            if left <= 0:
                break
            if self.stop.wait(min(left, _SLICE_S)):
                return False
        if self.stop.is_set():
            return False
        if self.speed is not None and t >= self.t0:  # history before the start is not late
            self.lag_s = time.monotonic() - due
            if self.lag_s > 1e-3:
                self.behind += 1
            self.max_lag_s = max(self.max_lag_s, self.lag_s)
        return True

    def now(self) -> float:
        """The twin time due now (``t0`` while not started; at ``speed=None``, ``t0``)."""
        if self._anchor is None or self.speed is None:
            return self.t0
        return self.t0 + (time.monotonic() - self._anchor) * self.speed
