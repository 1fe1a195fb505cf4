"""Ingestion: check events against the contract and the store, drop duplicates, append.

Two stages, so that every connector (file, HTTP, MQTT, OPC UA) shares them:

1. **The pure step** (no I/O): :func:`decode` checks every payload against the contract
   (:func:`gigaline.events.decode_event`, else :func:`gigaline.events.check_event`);
   :func:`prepare` then takes the decoded batch and the :class:`References` looked up for it
   and gives the rows to append and the dead letters, in stream order: an event whose
   ``(site, id)`` is stored or seen earlier in the batch is a duplicate (idempotency:
   replaying a file or a redelivered message changes nothing; the first event with a key
   wins); the station must exist and perform the named step; a unit keeps its type; every
   consumed lot or unit must exist (in the store or earlier in the batch), and must not be made
   from the consuming unit (no cycle: genealogy stays a tree of the past). A unit made from a
   unit or lot on hold joins the same hold (hold propagation), decided by the store inside
   the append's transaction, not here (:mod:`gigaline.mes.propagation`).
2. **The append**: :func:`submit` looks the references up (:func:`look_up`), prepares, and
   appends the rows and dead letters in ONE transaction
   (:meth:`gigaline.mes.ports.EventLog.append`); it returns the :class:`IngestResult` only
   after the commit, so a connector that acknowledges on it acknowledges durable events only.
   If another writer stored a row of the batch meanwhile (:class:`~gigaline.mes.ports.
   AppendConflictError`), nothing was written: the references are looked up again and the batch
   prepared again (its events stored meanwhile now count as duplicates). If the database
   refuses a row for its value (:class:`~gigaline.mes.ports.RowsRefusedError`: the contract
   keeps every event storable, so this is a safety net, not a path), the batch is bisected
   until each refused event stands alone; each is dead-lettered with the database's reason, and
   the other events are stored (:func:`_isolate`). Nothing accepted is lost, and the stream
   goes on.

:func:`ingest` is the bulk path for files and streams: batch after batch, each one
transaction, with the next batch decoded and prepared while the previous one is written.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from gigaline.events import (
    MAX_EVENT_BYTES,
    Consumed,
    CurveEvent,
    Event,
    EventError,
    LotEvent,
    ProcessEvent,
    StateEvent,
    check_event,
    decode_event,
)
from gigaline.mes.curves import curve_features, encode_curve
from gigaline.mes.ports import AppendConflictError, EventLog, RowsRefusedError, StationRef
from gigaline.mes.rows import DeadLetter, Parked, Row, Rows

__all__ = [
    "DEFAULT_BATCH",
    "PENDING_TIMEOUT_S",
    "Decoded",
    "IngestResult",
    "Payload",
    "Prepared",
    "References",
    "Rejection",
    "decode",
    "ingest",
    "look_up",
    "prepare",
    "settle",
    "submit",
    "submit_prepared",
]

DEFAULT_BATCH = 20_000
#: Seconds an event may wait for its lot or unit before it becomes a dead letter (the default
#: of the setting ``GIGALINE_PENDING_TIMEOUT_S``, :class:`gigaline.settings.Settings`).
PENDING_TIMEOUT_S = 600.0
_KEEP_REJECTIONS = 1_000
#: Attempts of :func:`submit` when other writers keep storing rows of the same batch.
_ATTEMPTS = 5
Payload = str | bytes | Mapping[str, Any]


class Rejection(BaseModel):
    """One rejected event: its position in the input (1-based), its id if any, and why."""

    model_config = ConfigDict(frozen=True, serialize_by_alias=True)

    position: int
    event_id: str | None = Field(serialization_alias="id")
    reason: str


class IngestResult(BaseModel):
    """Counts of one ingestion, and the first rejections (all are in the dead letters).

    ``model_dump()`` is the JSON of ``gigaline ingest --json``.
    """

    model_config = ConfigDict(serialize_by_alias=True)

    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    #: Of the rejected: events the database refused (dead-lettered with its reason).
    refused: int = 0
    #: events of the input waiting for a lot or unit not stored yet (in the pending store)
    pending: int = 0
    #: waiting events (of this input or parked before) stored once their references came
    resolved: int = 0
    #: waiting events turned into dead letters after the time-out
    expired: int = 0
    rejections: list[Rejection] = Field(default_factory=list)

    def add(self, other: IngestResult) -> None:
        """Add ``other``'s counts (and as many of its rejections as are kept) to these."""
        self.accepted += other.accepted
        self.duplicate += other.duplicate
        self.rejected += other.rejected
        self.refused += other.refused
        self.pending += other.pending
        self.resolved += other.resolved
        self.expired += other.expired
        room = _KEEP_REJECTIONS - len(self.rejections)
        self.rejections.extend(other.rejections[: max(room, 0)])

    def as_dict(self) -> dict[str, Any]:
        """The same as ``model_dump()``."""
        return self.model_dump()


# -- the pure step ----------------------------------------------------------------------------


@dataclass
class Decoded:
    """A batch after the contract check: the valid events (position, payload, event) and the
    rejected payloads (position, payload, event id, reason), each in stream order."""

    valid: list[tuple[int, Payload, Event]] = field(default_factory=list)
    rejected: list[tuple[int, Payload, str | None, str]] = field(default_factory=list)
    size: int = 0
    _index: tuple[str, dict[str, list[str]], set[str]] | None = field(default=None, repr=False)

    def index(self, site: str) -> tuple[dict[str, list[str]], set[str]]:
        """The event ids of the valid events by site (``site`` where an event names none), and
        every lot and unit name they mention; computed once per site, in one pass."""
        if self._index is not None and self._index[0] == site:
            return self._index[1], self._index[2]
        ids: list[str] = []
        by_site = {site: ids}
        names: set[str] = set()
        name = names.add
        for _, _, e in self.valid:
            if e.site is None or e.site == site:
                ids.append(e.id)
            else:
                by_site.setdefault(e.site, []).append(e.id)
            kind = type(e)
            if kind is ProcessEvent:
                name(e.unit)  # type: ignore[union-attr]
                for c in e.consumed:  # type: ignore[union-attr]
                    name(c.name)
            elif kind is LotEvent:
                name(e.lot)  # type: ignore[union-attr]
            elif kind is CurveEvent:
                name(e.unit)  # type: ignore[union-attr]
        self._index = (site, by_site, names)
        return by_site, names


def decode(payloads: Iterable[Payload], offset: int = 0) -> Decoded:
    """Check each payload (NDJSON line, JSON text or decoded object) against the contract.

    Blank lines are skipped; positions count from ``offset + 1``.
    """
    out = Decoded()
    valid, rejected = out.valid.append, out.rejected.append
    position = offset
    for position, payload in enumerate(payloads, start=offset + 1):
        kind = type(payload)  # bytes (a file's lines) first: one test for nearly every payload
        if kind is bytes or kind is str or isinstance(payload, bytes | str):
            data = (
                payload if isinstance(payload, bytes) else payload.encode("utf-8", "surrogatepass")  # type: ignore[union-attr]
            )
            if not data or data.isspace():
                continue
            if len(data) > MAX_EVENT_BYTES:
                reason = f"oversized event: {len(data)} bytes; at most {MAX_EVENT_BYTES}"
                rejected((position, payload, None, reason))
                continue
            fast = decode_event(data)
            if fast is not None:
                valid((position, payload, fast))
                continue
            try:
                obj: object = orjson.loads(data)
            except orjson.JSONDecodeError as exc:
                rejected((position, payload, None, f"invalid JSON: {exc}"))
                continue
        else:
            obj = payload
        try:
            event = check_event(obj)
        except EventError as exc:
            event_id = obj.get("id") if isinstance(obj, dict) else None
            rejected((position, payload, event_id if isinstance(event_id, str) else None, str(exc)))
            continue
        valid((position, payload, event))
    out.size = position - offset
    return out


@dataclass
class References:
    """What the store holds that a batch refers to (looked up by :func:`look_up`).

    ``row_time`` turns an event time into what the store wants in its rows
    (:meth:`~gigaline.mes.ports.EventLog.row_time`).
    """

    site: str
    stations: Mapping[str, StationRef]
    events: dict[str, set[str]]  # site -> ids of the batch's events that are stored
    unit_types: dict[str, str]
    lots: set[str]
    row_time: Callable[[datetime], Any]
    #: The store's forward genealogy of a name (asked only when an existing unit consumes a
    #: unit: the one case where a cycle can close).
    descendants: Callable[[str], list[tuple[str, str]]] = lambda _: []
    #: Genealogy rows of a batch being written meanwhile (which the store may not show yet).
    pending_genealogy: list[Any] = field(default_factory=list)
    #: unit -> (ts, event id) of its row (its earliest event known): an earlier event of the
    #: unit replaces it (``Rows.earlier_units``)
    unit_firsts: dict[str, tuple[Any, str]] = field(default_factory=dict)

    def include(self, rows: Rows) -> None:
        """Count ``rows`` (a batch being written, which the store may not show yet) as stored."""
        here = self.events.setdefault(self.site, set())
        here.update(row[0] for row in rows.events if row[2] == self.site)
        for event_id, _, site, _ in rows.events:
            if site != self.site:
                self.events.setdefault(site, set()).add(event_id)
        self.unit_types.update((row[0], row[1]) for row in rows.units)
        self.unit_firsts.update((r[0], (r[2], r[3])) for r in (*rows.units, *rows.earlier_units))
        self.lots.update(row[0] for row in rows.lots)
        self.pending_genealogy = rows.genealogy


def look_up(store: EventLog, decoded: Decoded, previous: Rows | None = None) -> References:
    """The references of ``decoded`` in ``store``, plus the rows of ``previous`` (a batch being
    written meanwhile) as if stored."""
    site = store.site
    by_site, names = decoded.index(site)
    units = store.unit_firsts(names)
    refs = References(
        site=site,
        stations=store.stations(),
        events={s: store.known_events(s, ids) for s, ids in by_site.items()},
        unit_types={u: first[0] for u, first in units.items()},
        lots=store.existing_lots(names),
        row_time=store.row_time,
        descendants=store.descendants,
        unit_firsts={u: first[1:] for u, first in units.items()},
    )
    if previous is not None:
        refs.include(previous)
    return refs


@dataclass
class Prepared:
    """The outcome of :func:`prepare`: the rows to append and the counts and rejections."""

    rows: Rows
    result: IngestResult


def prepare(decoded: Decoded, refs: References, now: datetime | None = None) -> Prepared:
    """Rows and dead letters of a decoded batch against its references (pure; see the module).

    ``refs`` is updated with what the batch adds (its events, units and lots), so
    that a following batch can be prepared against it before this one is stored. ``now`` is the
    time the dead letters record as received.
    """
    p = _Preparer(refs, now or datetime.now(UTC))
    for position, payload, event_id, reason in decoded.rejected:
        p.reject(position, payload, event_id, reason)
    p.resolve(decoded.valid)
    p.rows.earlier_units = list(p.earlier.values())
    p.rejections.sort(key=lambda r: r.position)
    result = IngestResult(
        accepted=p.accepted, duplicate=p.duplicate, rejected=p.rejected, pending=p.parked,
        rejections=p.rejections,
    )  # fmt: skip
    return Prepared(p.rows, result)


class _Preparer:
    """Turns one decoded batch into table rows, dead letters and counts (the pure step)."""

    def __init__(self, refs: References, now: datetime) -> None:
        self.refs = refs
        self.ts = refs.row_time
        self.rows = Rows()
        self.now = now
        self.accepted = self.duplicate = self.rejected = self.parked = 0
        self.rejections: list[Rejection] = []
        self._children: dict[str, list[str]] = {}  # batch genealogy, indexed on first need
        self._indexed = -1  # rows of self.rows.genealogy in _children (-1: none yet)
        self.parked_keys: set[tuple[str, str]] = set()
        self.firsts = refs.unit_firsts
        self.new_units: dict[str, int] = {}  # unit -> its row in self.rows.units
        self.earlier: dict[str, Row] = {}  # unit -> its row in self.rows.earlier_units

    def reject(self, position: int, payload: Payload, event_id: str | None, reason: str) -> None:
        self.rejected += 1
        if len(self.rejections) < _KEEP_REJECTIONS:
            self.rejections.append(Rejection(position=position, event_id=event_id, reason=reason))
        raw = _raw(payload)
        digest = hashlib.sha256(raw.encode("utf-8", errors="surrogatepass")).hexdigest()
        letter = DeadLetter(
            self.now,
            None if event_id is None else _storable(event_id),
            _storable(reason),
            _storable(raw),
            digest,
        )
        self.rows.dead_letters.append(letter)

    def resolve(self, valid: Sequence[tuple[int, Payload, Event]]) -> None:
        """Check duplicates and references in stream order; build the rows.

        An event's key is (site, id): its ids are looked up in the set of its site, which the
        accepted events join (a later event with the same key is a duplicate; a rejected one
        leaves its key free).
        """
        refs = self.refs
        site = refs.site
        stored = refs.events
        here = stored.setdefault(site, set())  # the store's site: nearly every event
        self.stations = refs.stations
        self.unit_types, self.lots = refs.unit_types, refs.lots
        for position, raw, event in valid:
            s = event.site
            known = here if s is None or s == site else stored.setdefault(s, set())
            if event.id in known:
                self.duplicate += 1
                continue
            try:
                self.add(event, site if s is None else s)
            except _MissingReferenceError as exc:  # waits in the pending store for what it names
                key = (site if s is None else s, event.id)
                if key in self.parked_keys:
                    self.duplicate += 1
                    continue
                self.parked_keys.add(key)
                self.parked += 1
                self.rows.parked.append(
                    Parked(event.id, key[0], exc.name, self.now, str(exc), _raw(raw))
                )
                continue
            except EventError as exc:
                self.reject(position, raw, event.id, str(exc))
                continue
            known.add(event.id)
            self.accepted += 1

    def add(self, e: Event, site: str) -> None:
        ts = self.ts(e.ts)
        if isinstance(e, ProcessEvent):
            self.add_process(e, ts)
        elif isinstance(e, LotEvent):
            self.add_lot(e, ts)
        elif isinstance(e, StateEvent):
            station = self.station(e.station)
            self.rows.machine_states.append((e.id, station.station_id, ts, e.state, e.reason))
        else:
            self.add_curve(e, ts)
        self.rows.events.append((e.id, _TYPE[type(e)], site, ts))

    def station(self, name: str) -> StationRef:
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
                raise _MissingReferenceError(
                    c.name,
                    f"consumed: no lot or unit {c.name!r} (it must be registered "
                    "or produced before it is consumed)",
                )
        if known is not None and parents:
            self.refuse_cycle(e.unit, parents)
        b = self.rows
        if known is None:
            self.unit_types[e.unit] = e.unit_type
            self.firsts[e.unit] = (ts, e.id)
            self.new_units[e.unit] = len(b.units)
            b.units.append((e.unit, e.unit_type, ts, e.id))
        else:
            first = self.firsts.get(e.unit)
            if first is not None and (ts, e.id) < first:  # an earlier event of a known unit
                self.earlier_event(e.unit, e.unit_type, ts, e.id)
        params = orjson.dumps(e.params).decode() if e.params else None
        started = None if e.started is None else self.ts(e.started)
        b.process_records.append(
            (e.id, e.unit, station.step_id, station.station_id, started, ts, e.result, e.reason,
             params)
        )  # fmt: skip
        for c, kind in parents:
            b.genealogy.append((c.name, kind, e.unit, c.qty, ts, e.id))

    def earlier_event(self, unit: str, unit_type: str, ts: Any, event_id: str) -> None:
        """Make the event ``event_id`` (at ``ts``) the row of ``unit``: earlier than its row's."""
        self.firsts[unit] = (ts, event_id)
        row = (unit, unit_type, ts, event_id)
        index = self.new_units.get(unit)
        if index is not None:
            self.rows.units[index] = row  # new in this batch: its row, corrected
        else:
            self.earlier[unit] = row  # stored: upserted, keeping the earliest

    def refuse_cycle(self, unit: str, parents: list[tuple[Consumed, str]]) -> None:
        """Reject an existing ``unit`` consuming one of its own descendants: genealogy stays a
        tree of the past (a cycle would make a cell its own ancestor)."""
        consumed = {c.name for c, kind in parents if kind == "unit"}
        if not consumed:
            return  # lots have no parents: consuming one closes no cycle
        made_from = sorted(self.descendants(unit) & consumed)
        if made_from:
            raise EventError(
                f"consumed: unit {made_from[0]!r} is made from {unit!r}; a unit cannot consume "
                "its own descendant (a cycle in the genealogy)"
            )

    def descendants(self, unit: str) -> set[str]:
        """Every unit made from ``unit``: the store's genealogy, the batch written meanwhile and
        this batch so far (the batch's edges indexed once, then as they grow)."""
        children = self._children
        if self._indexed < 0:  # first need: the batch written meanwhile, once
            for parent, _, child, *_ in self.refs.pending_genealogy:
                children.setdefault(parent, []).append(child)
            self._indexed = 0
        for parent, _, child, *_ in self.rows.genealogy[self._indexed :]:
            children.setdefault(parent, []).append(child)
        self._indexed = len(self.rows.genealogy)
        seen: set[str] = set()
        expanded: set[str] = set()  # names whose stored descendants are in ``seen`` already
        todo = [unit]
        while todo:
            name = todo.pop()
            found = list(children.get(name, ()))
            if name not in expanded:
                stored = [u for u, _ in self.refs.descendants(name)]
                expanded.add(name)
                expanded.update(stored)
                found += stored
            for d in found:
                if d not in seen:
                    seen.add(d)
                    todo.append(d)
        return seen

    def add_lot(self, e: LotEvent, ts: Any) -> None:
        if e.lot in self.lots:
            raise EventError(f"lot: lot {e.lot!r} is already registered (by another event id)")
        if e.lot in self.unit_types:
            raise EventError(f"lot: {e.lot!r} is already a unit ({self.unit_types[e.lot]})")
        self.lots.add(e.lot)
        self.rows.lots.append((e.lot, e.material, e.qty, e.uom, ts, e.id))

    def add_curve(self, e: CurveEvent, ts: Any) -> None:
        station = self.station(e.station)
        if e.unit not in self.unit_types:
            raise _MissingReferenceError(
                e.unit, f"unit: no unit {e.unit!r}; a curve belongs to an existing unit"
            )
        names, data = encode_curve(e.channels)
        features = json.dumps(curve_features(e.channels, e.dt_s), separators=(",", ":"))
        n = len(next(iter(e.channels.values())))
        self.rows.curves.append(
            (e.id, e.unit, e.curve, station.station_id, ts, e.dt_s, n,
             json.dumps(names), data, features)
        )  # fmt: skip


def _storable(text: str) -> str:
    """``text`` as a database can store it: a NUL character or a lone surrogate (which a
    rejected payload may well carry) becomes its backslash escape (``\\x00``, ``\\ud800``);
    any other text is returned as it is."""
    if text.isascii() and "\x00" not in text:
        return text
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text.replace("\x00", "\\x00")


class _MissingReferenceError(EventError):
    """An event names a lot or unit that is not stored (yet): it waits for ``name``."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(reason)
        self.name = name


def _raw(payload: Payload) -> str:
    """The text a dead letter or a waiting event keeps of a payload."""
    if isinstance(payload, bytes):
        return payload.decode("utf-8", errors="backslashreplace")
    if isinstance(payload, str):
        return payload
    return json.dumps(payload, separators=(",", ":"), default=str)


_TYPE = {LotEvent: "lot", ProcessEvent: "process", StateEvent: "state", CurveEvent: "curve"}


# -- the append ---------------------------------------------------------------------------------


def submit(
    store: EventLog,
    batch: Sequence[Payload],
    offset: int = 0,
    pending_timeout_s: float = PENDING_TIMEOUT_S,
) -> IngestResult:
    """Ingest one batch in one transaction; the result once it is committed (durable).

    For connectors: acknowledge the messages of ``batch`` only after this returns (a failure
    raises, and nothing of the batch is stored). ``offset`` numbers positions in a longer
    stream. Safe beside other writers of the same store: see the module doc. An event whose
    lot or unit is not stored yet waits in the pending store (durable too); after the commit,
    the waiting events the batch may have unblocked are retried (:func:`settle`).
    """
    return submit_prepared(store, batch, offset, pending_timeout_s).result


def submit_prepared(
    store: EventLog,
    batch: Sequence[Payload],
    offset: int = 0,
    pending_timeout_s: float = PENDING_TIMEOUT_S,
) -> Prepared:
    """:func:`submit`, returning the rows written as well (for what runs after the commit on
    the new rows only: live SPC in :class:`gigaline.mes.connectors.sink.StoreSink`)."""
    decoded = decode(batch, offset)
    prepared = _store(store, decoded, look_up(store, decoded))
    result = prepared.result
    if result.accepted or result.pending:
        result.add(settle(store, pending_timeout_s))
    return prepared


def _store(store: EventLog, decoded: Decoded, refs: References) -> Prepared:
    """Prepare and append a batch; if the database refuses a row, isolate what it refuses.

    An isolated batch went in several pieces: its result counts them all, and its rows are
    left empty (what runs on a batch's new rows after the commit, live SPC, skips it)."""
    try:
        return _append(store, decoded, refs)
    except RowsRefusedError:
        return Prepared(Rows(), _isolate(store, decoded))


def _isolate(store: EventLog, decoded: Decoded) -> IngestResult:
    """Store a batch the database refused, but for the events it refuses, by bisection.

    Each half is prepared against the store (the half before it committed) and appended; a
    refused half is halved again, down to single events, each of which is then dead-lettered
    with the database's reason. ``log2(batch)`` rounds per refused event; the pieces commit
    one by one (the batch is no longer one transaction, but every event is stored or
    dead-lettered exactly once, in stream order).
    """
    total = IngestResult()
    todo = [decoded]
    while todo:
        part = todo.pop()
        try:
            total.add(_append(store, part, look_up(store, part)).result)
            continue
        except RowsRefusedError as exc:
            if len(part.valid) > 1:
                mid = len(part.valid) // 2
                first = Decoded(valid=part.valid[:mid], rejected=part.rejected)
                todo += [Decoded(valid=part.valid[mid:]), first]  # the first half first
                continue
            if not part.valid:
                raise  # the dead letters alone were refused: nothing to isolate
            ((position, payload, event),) = part.valid
            reason = f"the database refused it: {exc}"
            refused = (position, payload, event.id, reason)
            letter = Decoded(rejected=[*part.rejected, refused])
        result = _append(store, letter, look_up(store, letter)).result
        result.refused = 1
        total.add(result)
    total.rejections.sort(key=lambda r: r.position)
    return total


def _seen(refs: References) -> int:
    """How much of a batch's references a look-up found (it grows as other writers commit)."""
    return sum(map(len, refs.events.values())) + len(refs.unit_types) + len(refs.lots)


def _append(
    store: EventLog,
    decoded: Decoded,
    refs: References,
    waiting: Sequence[tuple[str, str]] = (),
) -> Prepared:
    """Prepare against ``refs`` and append; on a conflict, look up again and retry.

    A conflict means another writer committed a row of the batch meanwhile (an event key, a
    unit or a lot): the fresh look-up finds it, and the batch prepared again counts those
    events as duplicates. So the batch is retried as long as each look-up finds more than the
    one before (it must: at most once per row of the batch); a conflict that a fresh look-up
    does not explain is raised. ``waiting``: the keys of the waiting events that ``decoded``
    retries; those it does not park again are settled (removed from the pending store).
    """
    seen = _seen(refs)
    while True:
        prepared = prepare(decoded, refs)
        if waiting:
            again = {(p.site, p.event_id) for p in prepared.rows.parked}
            prepared.rows.settled = [k for k in waiting if k not in again]
        try:
            store.append(prepared.rows)
            return prepared
        except AppendConflictError:
            refs = look_up(store, decoded)
            now_seen = _seen(refs)
            if now_seen <= seen:
                raise
            seen = now_seen


#: Waiting events retried per pass of :func:`settle`.
_SETTLE_BATCH = DEFAULT_BATCH
#: Passes of :func:`settle` at most (each pass stores what the one before unblocked).
_SETTLE_PASSES = 1_000


def settle(
    store: EventLog,
    pending_timeout_s: float | None = PENDING_TIMEOUT_S,
    now: datetime | None = None,
) -> IngestResult:
    """Retry the waiting events whose lot or unit has been stored since (by any writer), pass
    after pass while a pass stores something; then turn those waiting longer than
    ``pending_timeout_s`` into dead letters (None: none expires now). The counts: ``resolved``
    (stored), ``expired``.

    Called after every commit of :func:`ingest` and :func:`submit`: whichever of two writers
    commits last, the event that waited for the other's rows is retried after both commits.
    """
    out = IngestResult()
    for _ in range(_SETTLE_PASSES):
        ready = store.ready_pending()[:_SETTLE_BATCH]
        if not ready:
            break
        decoded = decode([w.raw for w in ready])
        keys = [(w.site, w.event_id) for w in ready]
        result = _append(store, decoded, look_up(store, decoded), keys).result
        out.resolved += result.accepted
        out.rejected += result.rejected
        if len(result.rejections) and len(out.rejections) < _KEEP_REJECTIONS:
            out.rejections.extend(result.rejections[: _KEEP_REJECTIONS - len(out.rejections)])
        if not (result.accepted or result.duplicate or result.rejected):
            break  # every one waits again, for something else
    if pending_timeout_s is not None:
        when = (now or datetime.now(UTC)) - timedelta(seconds=pending_timeout_s)
        out.expired = store.expire_pending(
            when, f"pending: waited more than {pending_timeout_s:g} s for a lot or unit; "
        )
    return out


def ingest(
    store: EventLog,
    payloads: Iterable[Payload],
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int], None] | None = None,
    pause_gc: bool = False,
    pending_timeout_s: float = PENDING_TIMEOUT_S,
) -> IngestResult:
    """Ingest a stream of events (NDJSON lines, JSON texts or decoded objects), batch by batch.

    The bulk path of files and ``stdin``. Blank lines are skipped. ``progress`` is called with
    the number of payloads of each batch once it is committed. Each batch is one transaction.
    While one batch is written (in a second thread: the database drivers release the GIL while
    the database works), the next is decoded, checked and prepared against the store plus the
    rows of the batch being written (which the store may not show yet). A batch is written only
    after the previous one committed: an error in a batch's write is raised before any later
    batch is written.

    Events whose lot or unit is not stored yet wait in the pending store; after each commit the
    waiting events it may have unblocked are retried, and at the end those waiting longer than
    ``pending_timeout_s`` become dead letters (:func:`settle`). ``pending`` in the result: the
    events of this stream still waiting when it ends.

    ``pause_gc``: pause Python's cyclic garbage collector for the whole ingestion (see
    :func:`_gc_paused`): faster for a large file in a process of its own (``gigaline ingest``
    does it), wrong inside a long-running process that does other work at the same time.
    """
    total = IngestResult()
    parked: set[tuple[str, str]] = set()
    it = iter(payloads)
    offset = 0
    with (
        _gc_paused() if pause_gc else nullcontext(),
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="gigaline-ingest") as writer,
    ):
        pending: _Pending | None = None
        while chunk := list(islice(it, batch_size)):
            decoded = decode(chunk, offset)
            offset += len(chunk)
            if pending is not None and _failed(pending.future):
                break  # the write before failed: decode no further, raise it below
            refs = look_up(store, decoded, None if pending is None else pending.prepared.rows)
            prepared = prepare(decoded, refs)
            if pending is not None and _finish(store, pending, total, progress, parked):
                # the batch before was stored again after a conflict: prepare this one again
                prepared = prepare(decoded, look_up(store, decoded))
            pending = _Pending(writer.submit(store.append, prepared.rows), decoded, prepared)
        if pending is not None:
            _finish(store, pending, total, progress, parked)
    total.add(settle(store, pending_timeout_s))
    total.pending = len(store.pending_among(parked)) if parked else 0
    return total


def _failed(future: Future[int]) -> bool:
    """Whether a batch's write has already failed for good. A conflict is not a failure: the
    batch is prepared and written again by :func:`_finish` (breaking off there lost the rest of
    the stream whenever the conflict came back before the next batch was decoded)."""
    if not future.done():
        return False
    exc = future.exception()
    return exc is not None and not isinstance(exc, AppendConflictError | RowsRefusedError)


@dataclass
class _Pending:
    future: Future[int]
    decoded: Decoded
    prepared: Prepared


def _finish(
    store: EventLog,
    pending: _Pending,
    total: IngestResult,
    progress: Callable[[int], None] | None,
    parked: set[tuple[str, str]],
) -> bool:
    """Wait for a batch's write and count it, then retry the waiting events it may have
    unblocked (without the time-out: that is checked once, at the end); True when it had to
    be prepared again (after a conflict, or in pieces after a refusal) or it stored waiting
    events (the next batch's look-up may be stale either way)."""
    again = False
    try:
        pending.future.result()  # re-raises a failed write: that batch rolled back
        prepared = pending.prepared
    except AppendConflictError:
        prepared = _store(store, pending.decoded, look_up(store, pending.decoded))
        again = True
    except RowsRefusedError:
        prepared = Prepared(Rows(), _isolate(store, pending.decoded))
        again = True
    result = prepared.result
    parked.update((p.site, p.event_id) for p in prepared.rows.parked)
    result.pending = 0  # counted at the end: what of the stream still waits then
    total.add(result)
    if result.accepted or prepared.rows.parked:
        settled = settle(store, None)
        total.add(settled)
        again = again or bool(settled.resolved)
    if progress is not None:
        progress(pending.decoded.size)
    return again


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while batches are built and written.

    A batch is tens of thousands of small objects (events, rows, parameter dicts) that all live
    until its commit; with the collector on, the growing heap is scanned again and again (a
    third of the client's CPU time here). Ingestion makes no reference cycles of its own, so
    reference counting frees each batch; the collector is switched back on (if it was on) at
    the end, even on error. Process-wide: other threads go without cycle collection for the
    duration, which is why only the bulk file path asks for it.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
