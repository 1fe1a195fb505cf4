"""Fault injection for tests and demos: drop, duplicate, reorder, corrupt messages, add
garbage, skew the edge's clock.

A :class:`Faults` wraps the function a piece of virtual equipment publishes with
(``publish(topic, payload, qos, retain)``): pass it as ``faults=`` to
:class:`~gigaline.virtual.sparkplug.EdgeNode` or
:class:`~gigaline.virtual.outbox.EventPublisher`. Restarts are the equipment's own:
``EdgeNode.crash()`` and ``EventPublisher.crash()`` drop the connection without a goodbye (the
broker then sends the Will), and the equipment reconnects as after a network failure.

Seeded: the same seed and the same message stream give the same faults.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Faults", "PublishFn"]

#: How equipment hands a message to the broker: (topic, payload, qos, retain).
PublishFn = Callable[[str, bytes, int, bool], None]


@dataclass
class Faults:
    """Probabilities of each fault per message, for the topics that contain one of ``only``.

    ``reorder`` holds a message back and sends it after the next one; ``corrupt`` replaces
    the payload by random bytes (of the same length); ``garbage`` sends, after the message, an
    extra one on the same topic that no decoder reads (a NUL byte, which neither a protobuf
    tag nor JSON may start with, then 8 to 64 random bytes without a newline: one line of an
    events message): the message itself is not lost.
    ``clock_skew_s`` sets the edge's wall clock that far ahead (behind, if negative) of the
    host's: the ``timestamp`` of the payloads an edge node sends (not the metrics' own
    timestamps, which are the twin's times of the changes). ``counts`` tells what was done.
    """

    drop: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    corrupt: float = 0.0
    garbage: float = 0.0
    clock_skew_s: float = 0.0
    seed: int = 0
    only: tuple[str, ...] | None = ("/DDATA/", "/NDATA/", "/events")
    counts: dict[str, int] = field(
        default_factory=lambda: {
            "dropped": 0, "duplicated": 0, "reordered": 0, "corrupted": 0, "garbage": 0
        }
    )  # fmt: skip

    def __post_init__(self) -> None:
        for name in ("drop", "duplicate", "reorder", "corrupt", "garbage"):
            p = getattr(self, name)
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"Faults.{name}: {p!r} is not a probability (0 to 1)")
        self._rng = random.Random(self.seed)
        self._held: tuple[str, bytes, int, bool] | None = None
        self._lock = threading.Lock()

    def applies(self, topic: str) -> bool:
        return self.only is None or any(part in topic for part in self.only)

    def wrap(self, publish: PublishFn) -> PublishFn:
        """``publish`` with the faults in front of it."""

        def faulty(topic: str, payload: bytes, qos: int, retain: bool) -> None:
            if not self.applies(topic):
                publish(topic, payload, qos, retain)
                return
            with self._lock:
                out = self._decide(topic, payload, qos, retain)
            for message in out:
                publish(*message)

        return faulty

    def _decide(
        self, topic: str, payload: bytes, qos: int, retain: bool
    ) -> list[tuple[str, bytes, int, bool]]:
        rng = self._rng
        if rng.random() < self.drop:
            self.counts["dropped"] += 1
            return self._release([])
        if rng.random() < self.corrupt:
            self.counts["corrupted"] += 1
            payload = rng.randbytes(max(len(payload), 1))
        message = (topic, payload, qos, retain)
        out = [message]
        if rng.random() < self.duplicate:
            self.counts["duplicated"] += 1
            out.append(message)
        if rng.random() < self.garbage:
            self.counts["garbage"] += 1
            junk = rng.randbytes(rng.randint(8, 64)).replace(b"\n", b"?")  # one line
            out.append((topic, b"\x00" + junk, qos, retain))
        if self._held is None and rng.random() < self.reorder:
            self.counts["reordered"] += 1
            self._held = message
            return out[1:]
        return self._release(out)

    def _release(
        self, out: list[tuple[str, bytes, int, bool]]
    ) -> list[tuple[str, bytes, int, bool]]:
        if self._held is not None:
            out.append(self._held)
            self._held = None
        return out

    def flush(self, publish: PublishFn) -> None:
        """Send a message still held back for reordering."""
        with self._lock:
            held, self._held = self._held, None
        if held is not None:
            publish(*held)
