"""A station's stop reasons over time, to give a state change the reason standing at its time.

``StopReason`` is published by exception like every metric: a state change at time t takes
the last reason set at or before t, even when the two arrive in separate messages or a
historical replay brings an older state after a newer reason.
"""

from __future__ import annotations

import bisect

__all__ = ["ReasonHistory"]


class ReasonHistory:
    """The last ``keep`` (time [ms], reason) pairs of one station, in time order."""

    __slots__ = ("_reasons", "_times", "keep")

    def __init__(self, keep: int = 512) -> None:
        self.keep = keep
        self._times: list[int] = []
        self._reasons: list[str] = []

    def set(self, ts_ms: int, reason: str) -> None:
        i = bisect.bisect_right(self._times, ts_ms)
        if i and self._times[i - 1] == ts_ms:
            self._reasons[i - 1] = reason
            return
        self._times.insert(i, ts_ms)
        self._reasons.insert(i, reason)
        if len(self._times) > self.keep:
            del self._times[0], self._reasons[0]

    def has(self, ts_ms: int) -> bool:
        """Whether a reason was set at exactly ``ts_ms``."""
        i = bisect.bisect_left(self._times, ts_ms)
        return i < len(self._times) and self._times[i] == ts_ms

    def at(self, ts_ms: int) -> str | None:
        """The reason standing at ``ts_ms`` (None when unknown or empty)."""
        i = bisect.bisect_right(self._times, ts_ms)
        return self._reasons[i - 1] or None if i else None
