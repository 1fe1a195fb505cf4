"""Ingestion: validate events, drop duplicates, dead-letter the rejects, write in bulk.

:func:`ingest` is the one entry point for files, ``stdin``, the HTTP layer and the MQTT
connector. Per batch:

1. decode and check every payload against the contract (:func:`gigaline.mes.events.check_event`);
2. drop events whose ``id`` is already stored or seen earlier in the batch (idempotency:
   replaying a file or a redelivered message changes nothing; the first event with an id wins);
3. check references in stream order: the station exists and performs the named step; a unit
   keeps its type; every consumed lot or unit exists (in the store or earlier in the batch);
4. write accepted rows and dead letters (raw payload and reason) in ONE transaction, by the
   database's bulk path (:mod:`gigaline.mes.bulk`). A crash part-way leaves no partial batch.

A unit made from a unit or lot on hold is put on the same hold (hold propagation).
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import orjson

from gigaline.mes.bulk import Batch
from gigaline.mes.curves import curve_features, encode_curve
from gigaline.mes.events import (
    MAX_EVENT_BYTES,
    CurveEvent,
    Event,
    EventError,
    LotEvent,
    ProcessEvent,
    StateEvent,
    check_event,
    decode_event,
)
from gigaline.mes.store import Store

__all__ = ["DEFAULT_BATCH", "IngestResult", "Rejection", "ingest", "ingest_batch"]

DEFAULT_BATCH = 20_000
_KEEP_REJECTIONS = 1_000
Payload = str | bytes | Mapping[str, Any]


@dataclass(frozen=True)
class Rejection:
    """One rejected event: its position in the input (1-based), its id if any, and why."""

    position: int
    event_id: str | None
    reason: str


@dataclass
class IngestResult:
    """Counts of one ingestion, and the first rejections (all are in the dead-letter table)."""

    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)

    def add(self, other: IngestResult) -> None:
        self.accepted += other.accepted
        self.duplicate += other.duplicate
        self.rejected += other.rejected
        room = _KEEP_REJECTIONS - len(self.rejections)
        self.rejections.extend(other.rejections[: max(room, 0)])

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicate": self.duplicate,
            "rejected": self.rejected,
            "rejections": [
                {"position": r.position, "id": r.event_id, "reason": r.reason}
                for r in self.rejections
            ],
        }


def ingest(
    store: Store,
    payloads: Iterable[Payload],
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int], None] | None = None,
) -> IngestResult:
    """Ingest a stream of events (NDJSON lines, JSON texts or decoded objects), batch by batch.

    Blank lines are skipped. ``progress`` is called with the number of payloads of each batch
    once it is committed. Each batch is one transaction. While one batch is written (in a
    second thread: the database drivers release the GIL while the database works), the next
    is decoded, checked and resolved against the store plus the rows of the batch being
    written (which the store may not show yet). A batch is written only after the previous
    one committed: an error in a batch's write is raised before any later batch is written.
    """
    total = IngestResult()
    it = iter(payloads)
    offset = 0
    with (
        _gc_paused(),
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="gigaline-ingest") as writer,
    ):
        pending: tuple[Future[None], _Preparer, int] | None = None
        while chunk := list(islice(it, batch_size)):
            prep = _Preparer(store)
            for i, payload in enumerate(chunk, start=offset + 1):
                prep.decode(i, payload)
            offset += len(chunk)
            prep.resolve(None if pending is None else pending[1].batch)
            if pending is not None:
                _finish(pending, total, progress)
            pending = (writer.submit(store.write, prep.batch), prep, len(chunk))
        if pending is not None:
            _finish(pending, total, progress)
    return total


def _finish(
    pending: tuple[Future[None], _Preparer, int],
    total: IngestResult,
    progress: Callable[[int], None] | None,
) -> None:
    future, prep, n = pending
    future.result()  # re-raises a failed write: that batch rolled back, later ones not written
    prep.result.rejections.sort(key=lambda r: r.position)
    total.add(prep.result)
    if progress is not None:
        progress(n)


def ingest_batch(store: Store, payloads: list[Payload], offset: int = 0) -> IngestResult:
    """Ingest one batch in one transaction; ``offset`` numbers positions in a longer stream."""
    prep = _Preparer(store)
    with _gc_paused():
        for i, payload in enumerate(payloads, start=offset + 1):
            prep.decode(i, payload)
        prep.resolve()
        store.write(prep.batch)
    prep.result.rejections.sort(key=lambda r: r.position)
    return prep.result


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while batches are built and written.

    A batch is tens of thousands of small objects (events, rows, parameter dicts) that all live
    until its commit; with the collector on, the growing heap is scanned again and again (a
    third of the client's CPU time here). Ingestion makes no reference cycles of its own, so
    reference counting frees each batch; the collector is switched back on (if it was on) at
    the end, even on error. Process-wide: other threads just go without cycle collection for
    the duration.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Preparer:
    """Turns one batch of payloads into table rows, rejections and duplicate counts."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.ts = store.ts_value
        self.batch = Batch()
        self.result = IngestResult()
        self.valid: list[tuple[int, Payload, Event]] = []
        self.now = datetime.now(UTC)

    def decode(self, position: int, payload: Payload) -> None:
        if isinstance(payload, bytes | str):  # cheaper than isinstance(payload, Mapping)
            data = (
                payload if isinstance(payload, bytes) else payload.encode("utf-8", "surrogatepass")
            )
            if not data or data.isspace():
                return
            if len(data) > MAX_EVENT_BYTES:
                reason = f"oversized event: {len(data)} bytes; at most {MAX_EVENT_BYTES}"
                self.reject(position, payload, None, reason)
                return
            fast = decode_event(data)
            if fast is not None:
                self.valid.append((position, payload, fast))
                return
            try:
                obj: object = orjson.loads(data)
            except orjson.JSONDecodeError as exc:
                self.reject(position, payload, None, f"invalid JSON: {exc}")
                return
        else:
            obj = payload
        try:
            event = check_event(obj)
        except EventError as exc:
            event_id = obj.get("id") if isinstance(obj, dict) else None
            event_id = event_id if isinstance(event_id, str) else None
            self.reject(position, payload, event_id, str(exc))
            return
        self.valid.append((position, payload, event))

    def reject(self, position: int, payload: Payload, event_id: str | None, reason: str) -> None:
        self.result.rejected += 1
        if len(self.result.rejections) < _KEEP_REJECTIONS:
            self.result.rejections.append(Rejection(position, event_id, reason))
        if isinstance(payload, bytes):
            raw = payload.decode("utf-8", errors="backslashreplace")
        elif isinstance(payload, str):
            raw = payload
        else:
            raw = json.dumps(payload, separators=(",", ":"), default=str)
        digest = hashlib.sha256(raw.encode("utf-8", errors="surrogatepass")).hexdigest()
        self.batch.dead_letters.append(
            {"received": self.now, "event_id": event_id, "reason": reason, "raw": raw,
             "raw_sha256": digest}
        )  # fmt: skip

    def resolve(self, previous: Batch | None = None) -> None:
        """Check duplicates and references in stream order; build the rows.

        ``previous``: the rows of the batch written meanwhile, as if already stored (its
        event ids, units, lots and held units), since the store may not show them yet.
        """
        store = self.store
        stored = store.existing_events(e.id for _, _, e in self.valid)
        names: set[str] = set()
        for _, _, e in self.valid:
            if isinstance(e, ProcessEvent):
                names.add(e.unit)
                names.update(c.name for c in e.consumed)
            elif isinstance(e, LotEvent):
                names.add(e.lot)
            elif isinstance(e, CurveEvent):
                names.add(e.unit)
        self.unit_types = store.unit_types(names)
        self.lots = store.existing_lots(names)
        self.held = store.active_holds(names)
        if previous is not None:
            stored.update(row[0] for row in previous.events)
            self.unit_types.update((row[0], row[1]) for row in previous.units)
            self.lots.update(row[0] for row in previous.lots)
            for hold_id, unit in previous.held_units:
                self.held.setdefault(unit, set()).add(hold_id)
        self.stations = store.stations()
        self.site = store.site
        seen: set[str] = set()
        for position, raw, event in self.valid:
            if event.id in stored or event.id in seen:
                self.result.duplicate += 1
                continue
            try:
                self.add(event)
            except EventError as exc:
                self.reject(position, raw, event.id, str(exc))
                continue
            seen.add(event.id)
            self.result.accepted += 1

    def add(self, e: Event) -> None:
        ts = self.ts(e.ts)
        if isinstance(e, ProcessEvent):
            self.add_process(e, ts)
        elif isinstance(e, LotEvent):
            self.add_lot(e, ts)
        elif isinstance(e, StateEvent):
            station = self.station(e.station)
            self.batch.machine_states.append((e.id, station.station_id, ts, e.state, e.reason))
        else:
            self.add_curve(e, ts)
        self.batch.events.append((e.id, _TYPE[type(e)], e.site or self.site, ts))

    def station(self, name: str) -> Any:
        try:
            return self.stations[name]
        except KeyError:
            raise EventError(
                f"station: unknown station {name!r}; register the line's stations with "
                "`gigaline mes init LINE.yaml`"
            ) from None

    def add_process(self, e: ProcessEvent, ts: Any) -> None:
        station = self.station(e.station)
        if station.step != e.step:
            raise EventError(
                f"step: station {e.station!r} performs step {station.step!r}, not {e.step!r}"
            )
        known = self.unit_types.get(e.unit)
        if known is not None and known != e.unit_type:
            raise EventError(f"unit_type: unit {e.unit!r} is a {known}, not a {e.unit_type}")
        if known is None and e.unit in self.lots:
            raise EventError(f"unit: {e.unit!r} is a material lot, not a unit")
        parents = []
        for c in e.consumed:
            if c.name in self.unit_types:
                parents.append((c, "unit"))
            elif c.name in self.lots:
                parents.append((c, "lot"))
            else:
                raise EventError(
                    f"consumed: no lot or unit {c.name!r} (it must be registered "
                    "or produced before it is consumed)"
                )
        b = self.batch
        if known is None:
            self.unit_types[e.unit] = e.unit_type
            b.units.append((e.unit, e.unit_type, ts, e.id))
        params = orjson.dumps(e.params).decode() if e.params else None
        started = None if e.started is None else self.ts(e.started)
        b.process_records.append(
            (e.id, e.unit, station.step_id, station.station_id, started, ts, e.result, e.reason,
             params)
        )  # fmt: skip
        for c, kind in parents:
            b.genealogy.append((c.name, kind, e.unit, c.qty, ts, e.id))
            for hold_id in self.held.get(c.name, ()):
                mine = self.held.setdefault(e.unit, set())
                if hold_id not in mine:
                    mine.add(hold_id)
                    b.held_units.append((hold_id, e.unit))

    def add_lot(self, e: LotEvent, ts: Any) -> None:
        if e.lot in self.lots:
            raise EventError(f"lot: lot {e.lot!r} is already registered (by another event id)")
        if e.lot in self.unit_types:
            raise EventError(f"lot: {e.lot!r} is already a unit ({self.unit_types[e.lot]})")
        self.lots.add(e.lot)
        self.batch.lots.append((e.lot, e.material, e.qty, e.uom, ts, e.id))

    def add_curve(self, e: CurveEvent, ts: Any) -> None:
        station = self.station(e.station)
        if e.unit not in self.unit_types:
            raise EventError(f"unit: no unit {e.unit!r}; a curve belongs to an existing unit")
        names, data = encode_curve(e.channels)
        features = json.dumps(curve_features(e.channels, e.dt_s), separators=(",", ":"))
        n = len(next(iter(e.channels.values())))
        self.batch.curves.append(
            (e.id, e.unit, e.curve, station.station_id, ts, e.dt_s, n,
             json.dumps(names), data, features)
        )  # fmt: skip


_TYPE = {LotEvent: "lot", ProcessEvent: "process", StateEvent: "state", CurveEvent: "curve"}
