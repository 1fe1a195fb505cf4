"""Where connectors hand what they received: a :class:`Sink` that returns after the commit.

A connector turns messages into contract events and hands them in batches to
``sink.submit(events)``, which returns an :class:`SubmitResult` only once they are durable;
what it cannot turn into an event (an undecodable payload, an unknown station, a metric of the
wrong type) goes to ``sink.dead_letter(letters)`` with its raw bytes and the reason.

:class:`StoreSink` is the sink over any store of :mod:`gigaline.mes.ports`
(:func:`gigaline.mes.ingest.submit`, which returns after the commit, and the store's dead
letters). After each commit it hands the batch's new process records to live SPC
(:class:`gigaline.mes.services.spc.LiveSpc`: the line's ``quality.specs`` judged as values
arrive, alarms and holds), at a cost bounded by the batch; a failure there is logged and
counted, never undoes or repeats the commit. Raw bytes go into the text column ``raw`` as JSON,
``{"mqtt_topic": ..., "payload_base64": ...}`` (``opcua_node`` instead of ``mqtt_topic`` for
OPC UA), so the exact bytes and where they came from can be recovered.

:class:`Batcher` is the writer thread the Sparkplug host and the OPC UA client share: it
gathers events and dead letters, flushes them every ``linger_s`` or ``batch_size`` events,
and retries a failed flush (a database restart) until it succeeds, never dropping a batch.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

__all__ = ["Batcher", "DeadLetter", "Sink", "StoreSink", "SubmitResult"]

log = logging.getLogger(__name__)

EventPayload = bytes | str | Mapping[str, Any]


class SubmitResult(Protocol):
    """What a commit reports (``gigaline.mes.ingest.IngestResult`` has these)."""

    accepted: int
    duplicate: int
    rejected: int


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message a connector could not turn into events: its bytes, source and why."""

    raw: bytes
    reason: str
    source: str  # the MQTT topic or the OPC UA node id
    source_kind: str = "mqtt_topic"  # or "opcua_node"
    event_id: str | None = None

    def raw_text(self) -> str:
        """The text stored in ``dead_letters.raw`` (JSON with the bytes in base64)."""
        return json.dumps(
            {
                self.source_kind: self.source,
                "payload_base64": base64.b64encode(self.raw).decode("ascii"),
            },
            separators=(",", ":"),
        )


class Sink(Protocol):
    """Durable destination of a connector's events and dead letters."""

    def submit(self, events: Sequence[EventPayload]) -> SubmitResult:
        """Check and store ``events``; return only after the commit."""
        ...

    def dead_letter(self, letters: Sequence[DeadLetter]) -> None:
        """Store ``letters``; return only after the commit."""
        ...


class StoreSink:
    """A :class:`Sink` over a store's :class:`~gigaline.mes.ports.EventLog` (SQL or memory).

    Submits are serialised (one writer per store in this process: concurrent batches could
    race on the same event id). ``spc``: run live SPC after each commit (the baseline is
    :attr:`gigaline.settings.Settings.spc_baseline_points`).
    """

    def __init__(self, store: Any, spc: bool = True) -> None:
        self.store = store
        self._lock = threading.Lock()
        self.spc: Any = None
        self.spc_failures = 0
        self._steps: dict[int, str] = {}
        if spc:
            from gigaline.mes.services.spc import LiveSpc
            from gigaline.settings import Settings

            self.spc = LiveSpc(store, baseline=Settings.load().spc_baseline_points)

    def submit(self, events: Sequence[EventPayload]) -> SubmitResult:
        from gigaline.mes.ingest import submit_prepared

        with self._lock:
            prepared = submit_prepared(self.store, list(events))
            if self.spc is not None and prepared.rows.process_records:
                self._judge(prepared.rows.process_records)
        result: SubmitResult = prepared.result
        return result

    def _judge(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Live SPC on the committed records (event_id, unit, step_id, station_id, started,
        ts, result, reason, params); a failure is logged, the batch stays committed."""
        try:
            if any(r[2] not in self._steps for r in rows):
                self._steps = {ref.step_id: ref.step for ref in self.store.stations().values()}
            steps = self._steps
            self.spc.judge([(steps.get(r[2], ""), r[1], r[5], r[8]) for r in rows])
        except Exception:
            self.spc_failures += 1
            log.exception("live SPC failed on a committed batch of %d records", len(rows))

    def dead_letter(self, letters: Sequence[DeadLetter]) -> None:
        from gigaline.mes.rows import DeadLetter as Letter
        from gigaline.mes.rows import Rows

        rows = Rows()
        now = datetime.now(UTC)
        for letter in letters:
            raw = letter.raw_text()
            digest = hashlib.sha256(raw.encode()).hexdigest()
            reason = f"{letter.source}: {letter.reason}"
            rows.dead_letters.append(Letter(now, letter.event_id, reason, raw, digest))
        with self._lock:
            self.store.append(rows)

    def stations(self) -> set[str]:
        """The registered stations, read again (a station registered since is seen)."""
        self.store.forget()
        return set(self.store.stations())


class Batcher:
    """A writer thread: events and dead letters in, batches to a :class:`Sink` out."""

    def __init__(
        self,
        sink: Sink,
        *,
        batch_size: int = 5_000,
        linger_s: float = 0.05,
        retry_s: float = 1.0,
        tick: Any = None,
        name: str = "gigaline-connector",
    ) -> None:
        self.sink = sink
        self.batch_size = batch_size
        self.linger_s = linger_s
        self.retry_s = retry_s
        self._tick = tick  # called every linger_s in the writer thread (timers of the owner)
        self._events: list[EventPayload] = []
        self._letters: list[DeadLetter] = []
        self._cond = threading.Condition()
        self._stop = False
        self._busy = False
        self.accepted = 0
        self.duplicate = 0
        self.rejected = 0
        self.dead_letters = 0
        self.failures = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def add(self, events: Sequence[EventPayload] = (), letters: Sequence[DeadLetter] = ()) -> None:
        with self._cond:
            self._events.extend(events)
            self._letters.extend(letters)
            if len(self._events) >= self.batch_size:
                self._cond.notify()

    def pending(self) -> int:
        with self._cond:
            return len(self._events) + len(self._letters) + (1 if self._busy else 0)

    def drain(self, timeout_s: float = 30.0) -> bool:
        """Wait until everything handed in so far is committed."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.pending() == 0:
                return True
            with self._cond:
                self._cond.notify()
            time.sleep(0.01)
        return False

    def stop(self, timeout_s: float = 30.0) -> None:
        """Flush what is pending, then end the thread."""
        with self._cond:
            self._stop = True
            self._cond.notify()
        self._thread.join(timeout_s)

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._stop and len(self._events) < self.batch_size:
                    self._cond.wait(self.linger_s)
                events = self._events[: self.batch_size]
                del self._events[: self.batch_size]
                letters, self._letters = self._letters, []
                self._busy = bool(events or letters)
                stop = self._stop and not self._events
            if self._tick is not None:
                try:
                    self._tick()
                except Exception:  # a timer's bug must not stop the writer
                    log.exception("connector timer failed")
            if letters:
                self._flush(self.sink.dead_letter, letters, "dead letters")
                self.dead_letters += len(letters)
            if events:
                self._flush(self._submit, events, "events")
            with self._cond:
                self._busy = False
            if stop:
                return

    def _submit(self, events: Sequence[EventPayload]) -> None:
        result = self.sink.submit(events)
        self.accepted += result.accepted
        self.duplicate += result.duplicate
        self.rejected += result.rejected

    def _flush(self, write: Callable[[Any], None], items: Sequence[Any], what: str) -> None:
        """Run ``write(items)`` until it succeeds: nothing handed in is ever dropped."""
        delay = self.retry_s
        while True:
            try:
                write(items)
                return
            except Exception as exc:  # the database is down or restarting: wait and retry
                self.failures += 1
                log.warning(
                    "writing %d %s failed (%s); retrying in %.1f s", len(items), what, exc, delay
                )
                time.sleep(delay)
                delay = min(delay * 2, 30.0)
