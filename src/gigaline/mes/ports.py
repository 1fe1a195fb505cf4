"""The doors of an MES store: what ingestion and the services need from it, as Protocols.

A store is anything that has these methods; services take the narrowest port they need and
never ask which database stands behind it. Two stores implement them today:
:class:`gigaline.mes.sql.SqlStore` (SQLite or PostgreSQL, the product) and
:class:`gigaline.mes.memory.MemoryStore` (plain Python, for unit tests of the services and as
the reference of what each door means). A store for a network of plants (process records in
ClickHouse, genealogy in PostgreSQL; ARCHITECTURE.md, "Beyond one machine") implements the
same doors.

The doors, by concern:

- :class:`EventLog`: look up what a batch of events refers to, append a checked batch
  atomically, and keep the events that wait for their references (ingestion,
  :mod:`gigaline.mes.ingest`);
- :class:`LineRegistry`: the line's site, steps, stations and quality settings;
- :class:`GenealogyReader`: a unit's history and the genealogy walks (trace, where-used);
- :class:`MeasureReader`: the stored measures SPC and grading read;
- :class:`HoldBook`, :class:`AlarmBook`, :class:`GradeBook`: holds, SPC alarms, cell grades;
- :class:`Tallies`: counts of stored rows and of OK / NG records per step, and the time of
  the newest stored data;
- :class:`OeeReader`: what live OEE reads: the line's calendar and PRI, and each station's
  states and records in a window (:mod:`gigaline.mes.services.oee`).

:class:`Store` is all of them, plus :meth:`Store.require` and :meth:`Store.close`.
:class:`AccessBook` (the HTTP API's tokens and the audit trail) stands beside them: only a
store that serves the API needs it (the SQL store). A store that keeps an audit trail records
every hold put and released in it, in the same transaction as the hold.

Times handed to a store are aware UTC datetimes; times it returns are UTC (aware, or naive
meaning UTC: :func:`gigaline.mes.services.models.rfc3339` reads both).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Literal, NamedTuple, Protocol, overload

import numpy as np
from numpy.typing import NDArray

from gigaline.mes.errors import StoreError
from gigaline.mes.rows import Rows
from gigaline.model.quality import QualitySpec

__all__ = [
    "AccessBook",
    "ActiveHold",
    "Alarm",
    "AlarmBook",
    "AppendConflictError",
    "AuditEntry",
    "CellGrade",
    "EventLog",
    "Feature",
    "GenealogyReader",
    "GradeBook",
    "HoldBook",
    "HoldRow",
    "LineLayout",
    "LineRegistry",
    "Link",
    "MeasureReader",
    "MeasureSeries",
    "NewHold",
    "OeeHour",
    "OeeHourSums",
    "OeeLayout",
    "OeeReader",
    "OeeStationStatus",
    "OeeStep",
    "OeeSummaryBook",
    "PlacedHold",
    "RecordTally",
    "RowsRefusedError",
    "StationEdges",
    "StationRef",
    "StationTimeline",
    "StepInfo",
    "StepLayout",
    "StepResult",
    "Store",
    "StoredCurve",
    "StoredRecord",
    "Tallies",
    "Times",
    "TokenRow",
    "UnitHistory",
    "Waiting",
    "epoch_us",
    "merge_runs",
]

#: What a store may be asked to serve; a store that cannot (an SQL database made by an older
#: gigaline) says so in :meth:`Store.require`.
Feature = Literal["ingest", "spc", "grading", "access"]


class AppendConflictError(StoreError):
    """An append met rows stored meanwhile by another writer (an event key, a unit, a lot).

    Nothing of the batch was written. Ingestion looks the references up again and retries.
    """


class RowsRefusedError(StoreError):
    """The database refused a row of an append for what it holds, not for a conflict (a value
    too long for its column, a character it cannot store, a check it enforces).

    Nothing of the batch was written. The message is the database's own reason. Ingestion
    isolates the refused event(s) by bisecting the batch, dead-letters each with this reason
    and stores the rest (:mod:`gigaline.mes.ingest`).
    """


# -- what the doors carry ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StationRef:
    """A station as ingestion needs it: its id, and the id and name of the step it performs."""

    station_id: int
    step_id: int
    step: str


@dataclass(frozen=True, slots=True)
class StepInfo:
    """A registered step: name, the line it belongs to, its process and its route position."""

    name: str
    line: str
    process: str | None
    position: int


@dataclass(frozen=True, slots=True)
class StepLayout:
    """One step of a line to register, with its stations (one per machine)."""

    name: str
    position: int
    kind: str
    process: str | None
    branch: str | None
    unit: str
    stations: tuple[str, ...]
    equipment_kind: str
    #: planned run time per item of one station [s] (ISO 22400-2 PRI); None: not per cell
    pri_s: float | None = None


@dataclass(frozen=True, slots=True)
class LineLayout:
    """A line to register: site, area, line name, quality settings (JSON) and steps."""

    site: str
    area: str
    line: str
    quality_json: str | None
    steps: tuple[StepLayout, ...]
    #: the line file's calendar section as JSON (planned stops for live OEE)
    calendar_json: str | None = None


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """One process record of a unit."""

    step: str
    station: str
    started: datetime | None
    ts: datetime
    result: str
    reason: str | None
    params: dict[str, float]
    event_id: str


@dataclass(frozen=True, slots=True)
class StoredCurve:
    """One stored curve of a unit: its kind, time and summary features."""

    kind: str
    ts: datetime
    features: dict[str, float]


@dataclass(frozen=True, slots=True)
class ActiveHold:
    """An unreleased hold that covers a unit."""

    id: int
    target: str
    reason: str
    created: datetime


@dataclass(frozen=True, slots=True)
class UnitHistory:
    """Everything stored about one unit, as trace shows it (one read)."""

    unit: str
    unit_type: str
    records: list[StoredRecord]
    ancestors: list[tuple[str, str]]  # (name, "lot" | "unit"), every input, transitively
    curves: list[StoredCurve]
    holds: list[ActiveHold]


@dataclass(frozen=True, slots=True)
class HoldRow:
    """A stored hold with the number of units it covers."""

    id: int
    target: str
    reason: str
    created: datetime
    created_by: str
    released: datetime | None
    release_reason: str | None
    released_by: str | None
    units: int


@dataclass(frozen=True, slots=True)
class NewHold:
    """A hold to put: its target (a lot, a unit, or a cause such as ``spc:step/param``), the
    units it puts on hold directly (the target if it is a unit; the units of SPC points), why,
    by whom and when. The store adds every unit that contains the target or any of ``units``
    (see :meth:`HoldBook.add_hold`)."""

    target: str
    units: list[str]
    reason: str
    by: str
    created: datetime


class Waiting(NamedTuple):
    """A waiting event of the pending store: its key, raw payload and when it first came."""

    site: str
    event_id: str
    raw: str
    received: datetime


class PlacedHold(NamedTuple):
    """A hold just stored: its id and the number of units it covered when it committed."""

    id: int
    units: int


@dataclass(frozen=True, slots=True)
class Alarm:
    """One SPC alarm: one rule violated at one point of one chart (``key`` identifies it)."""

    key: str
    source: str
    raised: datetime
    ts: datetime
    step: str
    param: str
    chart: str
    rules: str
    rule: int
    value: float
    center: float
    lcl: float
    ucl: float
    units: list[str]
    message: str


class CellGrade(NamedTuple):
    """The grade of one cell and the measures it was graded on (None: not measured).

    A named tuple, not a dataclass: grading stores one per cell (87,000 a day on the 20 GWh
    line), and a tuple is made in a fifth of the time and is a row of the bulk path as it is.
    """

    unit: str
    grade: str
    reason: str | None
    capacity_ah: float | None
    dcir_mohm: float | None
    ocv_v: float | None
    k_mv_per_day: float | None


@dataclass(frozen=True)
class MeasureSeries:
    """The stored values of one parameter at one step, in time order (one per record);
    ``truncated``: only the newest were asked for, and older ones are stored."""

    step: str
    param: str
    units: list[str]
    ts: Sequence[datetime]  # a list, or the SQL store's Times
    values: NDArray[np.float64] = field(repr=False)
    truncated: bool = False


_EPOCH = datetime(1970, 1, 1)
_US = timedelta(microseconds=1)


def epoch_us(values: Sequence[datetime]) -> NDArray[np.int64]:
    """Microseconds since the Unix epoch (UTC) of naive UTC times, or of aware times (any zone,
    never both): one subtraction each. A TypeError for a None or naive and aware together."""
    if isinstance(values, Times):
        return values.us
    epoch = _EPOCH if not values or values[0].tzinfo is None else _EPOCH.replace(tzinfo=UTC)
    return np.fromiter(((v - epoch) // _US for v in values), np.int64, len(values))


class Times(Sequence[datetime]):
    """Times held as microseconds since the Unix epoch (``us``, UTC), each made a datetime when
    asked: naive UTC with ``tz`` None, else aware in ``tz``; a slice is Times again.

    The SQL store reads an SPC series' times so (:mod:`gigaline.mes.sql.measures`): an X-bar
    chart's 50,000 records need 10,000 point times, and those as text
    (:func:`gigaline.mes.services.models.rfc3339_all` formats ``us`` at once).
    """

    __slots__ = ("tz", "us")

    def __init__(self, us: NDArray[np.int64], tz: tzinfo | None) -> None:
        self.us, self.tz = us, tz

    def __len__(self) -> int:
        return int(self.us.size)

    @overload
    def __getitem__(self, i: int) -> datetime: ...
    @overload
    def __getitem__(self, i: slice) -> Times: ...
    def __getitem__(self, i: int | slice) -> datetime | Times:
        if isinstance(i, slice):
            return Times(self.us[i], self.tz)
        t = _EPOCH + int(self.us[i]) * _US  # an IndexError out of range
        return t if self.tz is None else t.replace(tzinfo=UTC).astimezone(self.tz)

    def datetimes(self) -> list[datetime]:
        """Every time as a datetime (numpy makes the naive ones at once)."""
        naive: list[datetime] = self.us.astype("datetime64[us]").tolist()
        if self.tz is None:
            return naive
        return [t.replace(tzinfo=UTC).astimezone(self.tz) for t in naive]

    def __iter__(self) -> Iterator[datetime]:
        return iter(self.datetimes())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and self.datetimes() == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Times({len(self)} times, tz={self.tz!r})"


@dataclass(frozen=True, slots=True)
class StepResult:
    """Counts of the records of one step: all of them, and the OK ones."""

    step: str
    position: int
    records: int
    ok: int


class Link(NamedTuple):
    """One genealogy edge: ``parent`` (a lot or unit, ``parent_kind``) went into ``child``."""

    parent: str
    parent_kind: str
    child: str
    qty: float


@dataclass(frozen=True, slots=True)
class TokenRow:
    """A stored API token (never its secret, only its SHA-256): id, name, role, made and
    revoked by whom, when."""

    id: int
    name: str
    role: str
    sha256: str
    created: datetime
    created_by: str
    revoked: datetime | None
    revoked_by: str | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit trail: who did what to which target, when, with what detail."""

    id: int
    ts: datetime
    user: str
    action: str
    target: str
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class OeeStep:
    """A registered step as live OEE needs it: its line, kind, PRI and stations."""

    name: str
    line: str
    kind: str
    position: int
    pri_s: float | None
    stations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OeeLayout:
    """The registered lines' calendars (JSON of the line file's section, None: none stored)
    and steps, in route order."""

    calendars: dict[str, str | None]
    steps: list[OeeStep]


@dataclass(frozen=True)
class StationTimeline:
    """What one station reported about a window: its state standing at the window's start
    (None: none stored before it), its state changes inside the window in time order, and the
    end times of its process records inside the window (UNIX seconds) with their results."""

    station: str
    standing: tuple[datetime, str, str | None] | None
    states: list[tuple[datetime, str, str | None]]
    record_s: NDArray[np.float64] = field(repr=False)
    record_ok: NDArray[np.bool_] = field(repr=False)
    #: UNIX seconds of the station's last message (state change or process record) before the
    #: window's start (None: none, or not read): where a silence standing at the start began.
    last_message_s: float | None = None


@dataclass(frozen=True, slots=True)
class StationEdges:
    """What stations reported about a short window (live OEE's edges: the parts of a window
    their stored hours do not cover), as columns, their records counted by the store (no
    record, no state change as an object, leaves it). Station ``i`` is ``stations[i]``; a
    state code ``k`` is the (state, reason) ``kinds[k]``, -1 none.

    Per station: the code of the state standing at the window's start (``standing``), the UNIX
    seconds of its last message (state change or record) before the start
    (``last_message_s``, NaN: none), of its first record in the window (``first_record_s``,
    NaN: none), and the window's records and OK records. Per state change in the window, in
    station order, then time order: its station, UNIX seconds and code."""

    stations: tuple[str, ...]
    kinds: tuple[tuple[str, str | None], ...]
    standing: NDArray[np.int64] = field(repr=False)
    last_message_s: NDArray[np.float64] = field(repr=False)
    first_record_s: NDArray[np.float64] = field(repr=False)
    records: NDArray[np.int64] = field(repr=False)
    ok: NDArray[np.int64] = field(repr=False)
    change_station: NDArray[np.int64] = field(repr=False)
    change_s: NDArray[np.float64] = field(repr=False)
    change_kind: NDArray[np.int64] = field(repr=False)

    @classmethod
    def of(cls, timelines: Mapping[str, StationTimeline]) -> StationEdges:
        """The columns of whole timelines (their records counted here)."""
        kinds: dict[tuple[str, str | None], int] = {}

        def code(state: str, reason: str | None) -> int:
            return kinds.setdefault((state, reason), len(kinds))

        names = tuple(timelines)
        standing, last, first, n, ok = [], [], [], [], []
        c_station, c_s, c_kind = [], [], []
        for i, name in enumerate(names):
            tl = timelines[name]
            standing.append(-1 if tl.standing is None else code(tl.standing[1], tl.standing[2]))
            before = [] if tl.last_message_s is None else [tl.last_message_s]
            if tl.standing is not None:
                before.append(tl.standing[0].timestamp())
            last.append(max(before) if before else math.nan)
            first.append(float(tl.record_s[0]) if len(tl.record_s) else math.nan)
            n.append(len(tl.record_s))
            ok.append(int(np.count_nonzero(tl.record_ok)))
            for ts, state, reason in tl.states:
                c_station.append(i)
                c_s.append(ts.timestamp())
                c_kind.append(code(state, reason))
        i64, f64 = np.int64, np.float64
        return cls(
            names, tuple(kinds), np.array(standing, dtype=i64), np.array(last, dtype=f64),
            np.array(first, dtype=f64), np.array(n, dtype=i64), np.array(ok, dtype=i64),
            np.array(c_station, dtype=i64), np.array(c_s, dtype=f64),
            np.array(c_kind, dtype=i64),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class RecordTally:
    """The process records of one station over a window: how many, how many OK, and the end
    time of the newest (UNIX seconds)."""

    records: int
    ok: int
    last_s: float


@dataclass(frozen=True, slots=True)
class OeeHour:
    """The additive elements of live OEE of one station over one whole hour [hour_s,
    hour_s + 3600) (or, ``span_s`` 900, one quarter of an hour [hour_s, hour_s + 900))
    computed with one silence threshold (:mod:`gigaline.mes.services.oee`): planned
    downtime, production time, unqualified downtime, produced and good quantities, and per
    (state, reason) the downtime seconds and the runs that began in it."""

    station: str
    hour_s: int
    silence_s: float
    pdot_s: float
    apt_s: float
    unqualified_s: float
    pq: int
    gq: int
    down: dict[tuple[str, str | None], tuple[float, int]]
    span_s: int = 3600


@dataclass(frozen=True, slots=True)
class OeeHourSums:
    """Stored hourly summaries read for a window (:meth:`OeeReader.oee_hour_sums`).

    ``covered``: per station, the stored whole hours (and the quarters of an hour read for a
    window's edges) as sorted disjoint [start, end) runs (UNIX seconds); ``sums``: per
    (station, bucket index) the sums (pdot_s, apt_s, unqualified_s, pq, gq) of its stored
    hours and quarters that lie wholly inside that bucket; ``down``: per (state, reason) the
    seconds and begun runs summed over every stored hour and quarter of the stations asked;
    ``step_sums`` (read ``by_step`` instead of ``sums``): per (line, step, bucket index) the
    sums of the stations asked of that step."""

    covered: dict[str, list[tuple[float, float]]]
    sums: dict[tuple[str, int], tuple[float, float, float, int, int]]
    down: dict[tuple[str, str | None], tuple[float, int]]
    step_sums: dict[tuple[str, str, int], tuple[float, float, float, int, int]] = field(
        default_factory=dict
    )


def merge_runs(runs: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sorted disjoint [start, end) runs (of :attr:`OeeHourSums.covered`) from any runs
    (touching runs joined)."""
    out: list[list[float]] = []
    for lo, hi in sorted(runs):
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return [(lo, hi) for lo, hi in out]


@dataclass(frozen=True, slots=True)
class OeeStationStatus:
    """What the summariser needs of a station: its write counter (bumped by every write of
    its states or records), its first and last message times (UNIX seconds, None: none)."""

    version: int
    first_s: float | None
    last_s: float | None


# -- the doors ------------------------------------------------------------------------------


class EventLog(Protocol):
    """Ingestion's door: reference look-ups for a batch, and the atomic append."""

    @property
    def site(self) -> str:
        """The site an event without ``site`` belongs to (the store's one site)."""
        ...

    def stations(self) -> Mapping[str, StationRef]:
        """Station name -> :class:`StationRef`, for every registered station (a store may keep
        them: :meth:`forget` makes it read them again)."""
        ...

    def forget(self) -> None:
        """Drop what the store keeps of its references (stations, site), for a long-running
        caller that must see stations registered since (a connector)."""
        ...

    def known_events(self, site: str, ids: Collection[str]) -> set[str]:
        """Those of the event ``ids`` of ``site`` that are stored (events are keyed by
        (site, id): the same id at another site is another event)."""
        ...

    def unit_types(self, names: Collection[str]) -> dict[str, str]:
        """Unit name -> unit type, for those of ``names`` that are stored units."""
        ...

    def unit_firsts(self, names: Collection[str]) -> dict[str, tuple[str, Any, str]]:
        """Unit name -> (unit type, ``ts``, event id) of its row, for those of ``names`` that
        are stored units (``ts`` as :meth:`row_time` makes it: the rows' times compare)."""
        ...

    def existing_lots(self, names: Collection[str]) -> set[str]:
        """Those of ``names`` that are stored lots."""
        ...

    def descendants(self, name: str) -> list[tuple[str, str]]:
        """Every unit made from the lot or unit ``name`` (as :class:`GenealogyReader`'s):
        ingestion asks it when an existing unit consumes a unit, to refuse a cycle."""
        ...

    def row_time(self, ts: datetime) -> Any:
        """An aware UTC datetime as this store wants it in the rows of :meth:`append`."""
        ...

    def ready_pending(self) -> list[Waiting]:
        """The waiting events that may be stored now: those whose ``waits_for`` has been
        stored as a lot or unit since they were parked, and those stored meanwhile (by another
        writer), oldest first."""
        ...

    def pending_among(self, keys: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        """Those of the (site, id) ``keys`` that are waiting events."""
        ...

    def expire_pending(self, before: datetime, reason: str) -> int:
        """Turn the waiting events parked before ``before`` into dead letters (their reason:
        ``reason`` followed by the event's own), in one transaction; how many."""
        ...

    def append(self, rows: Rows) -> int:
        """Write ``rows`` in one transaction, all or nothing; the number of events written.

        Returns once the batch is durable (committed); every event of ``rows`` was then new
        (``rows.event_keys()`` says which). Raises :class:`AppendConflictError`, nothing
        written, when an event key, unit or lot of ``rows`` was stored meanwhile (by another
        writer): then none of them was written, and the caller looks the batch up again.
        ``rows.earlier_units`` replace a stored unit's ``ts`` and event id only where they are
        earlier (``ts``, then event id): the unit's row ends as its earliest event, in any
        order of batches and writers.
        Raises :class:`RowsRefusedError`, nothing written, when the database refuses a row for
        its value.

        Holds: the write is serialised against :meth:`HoldBook.add_hold` (and the holds of
        :meth:`AlarmBook.record_alarms`), and inside it the store reads the active holds and
        sets ``rows.held_units`` to the units the batch puts on hold
        (:func:`gigaline.mes.propagation.held_units`): every unit of the batch made from a
        lot or unit on a hold committed before it joins that hold. Whatever ``rows.held_units``
        held before is replaced.

        Waiting events: ``rows.parked`` are stored in the pending store (an event waiting
        already keeps its first time and takes the new reason), ``rows.settled`` removed from
        it, in the same transaction.
        """
        ...


class LineRegistry(Protocol):
    """The equipment hierarchy and the line's quality settings."""

    def register_line(self, layout: LineLayout) -> int:
        """Add what is missing of ``layout`` and replace the line's quality settings; the
        number of stations added."""
        ...

    def steps(self) -> list[StepInfo]:
        """Every registered step, in route order."""
        ...

    def qualities(self) -> dict[str, QualitySpec | None]:
        """Line name -> the quality section stored with it."""
        ...


class GenealogyReader(Protocol):
    """Trace and where-used."""

    def kind_of(self, name: str) -> Literal["unit", "lot"] | None:
        """Whether ``name`` is a stored unit or lot (None: neither)."""
        ...

    def history(self, unit: str) -> UnitHistory | None:
        """The unit's records, curves, active holds and every input (None: no such unit)."""
        ...

    def ancestors(self, unit: str) -> list[tuple[str, str]]:
        """Every lot and unit that went into ``unit``, as (name, "lot" | "unit")."""
        ...

    def links(self, names: Collection[str], direction: Literal["in", "out"]) -> list[Link]:
        """The genealogy edges into (``"in"``: the inputs of) or out of (``"out"``: what was
        made from) the lots or units ``names``."""
        ...

    def descendants(self, name: str) -> list[tuple[str, str]]:
        """Every unit that contains the lot or unit ``name``, as (unit, unit_type), sorted."""
        ...


class MeasureReader(Protocol):
    """The stored measures SPC and grading read."""

    def measure_series(
        self, step: str, param: str, since: datetime | None, last: int | None = None
    ) -> MeasureSeries:
        """Values of ``param`` recorded at ``step`` (from ``since`` on), ordered by time;
        with ``last``, only the newest ``last`` of them (``truncated``: older ones exist)."""
        ...

    def latest_cell_params(
        self, process: str, names: Sequence[str]
    ) -> dict[str, tuple[float | None, ...]]:
        """Cell -> values of ``names`` in its latest record at the steps of ``process``."""
        ...

    def latest_curve_features(
        self, kind: str, names: Sequence[str]
    ) -> dict[str, tuple[float | None, ...]]:
        """Unit -> values of the features ``names`` of its latest curve of ``kind``."""
        ...


class HoldBook(Protocol):
    """Holds: put, list, release."""

    def add_hold(self, hold: NewHold) -> PlacedHold:
        """Store a new hold over ``hold.units`` and every unit containing its target or any of
        them, gathered inside the transaction that stores the hold and serialised against
        :meth:`EventLog.append`: once the hold has committed, every unit containing the target,
        stored before or after it by any writer, is on it."""
        ...

    def holds(self, include_released: bool = False) -> list[HoldRow]:
        """Holds, newest first: active ones only unless ``include_released``."""
        ...

    def get_hold(self, hold_id: int) -> HoldRow | None:
        """The hold ``hold_id`` (None: no such hold)."""
        ...

    def release_hold(self, hold_id: int, reason: str, by: str, when: datetime) -> bool:
        """Release an active hold; False when it was not active (already released, or none)."""
        ...

    def hold_units(self, hold_id: int, limit: int) -> list[str]:
        """The first ``limit`` units (by name) that the hold ``hold_id`` covers."""
        ...


class AlarmBook(Protocol):
    """SPC alarms."""

    def recent_alarms(
        self, limit: int, step: str | None = None, param: str | None = None
    ) -> list[tuple[Alarm, int | None]]:
        """The latest ``limit`` alarms (of ``step`` and ``param``, where given) with the id of
        the hold each started, newest first."""
        ...

    def known_alarms(self, keys: Collection[str]) -> set[str]:
        """Those of ``keys`` that are stored alarms."""
        ...

    def record_alarms(
        self, alarms: Sequence[Alarm], hold: NewHold | None
    ) -> tuple[int, PlacedHold | None]:
        """Store the alarms not stored yet and, when any is new and ``hold`` is given, the
        hold (as :meth:`HoldBook.add_hold`; its id on the new alarms), in one transaction:
        (alarms stored, the hold)."""
        ...


class GradeBook(Protocol):
    """Cell grades."""

    def replace_grades(self, grades: Sequence[CellGrade], graded: datetime) -> None:
        """Replace every stored grade by ``grades`` (one transaction)."""
        ...


class Tallies(Protocol):
    """Counts for reports and KPIs."""

    def table_counts(self) -> dict[str, int]:
        """Rows per stored table (events, lots, units, process_records, genealogy, ...)."""
        ...

    def step_results(self) -> list[StepResult]:
        """Records and OK records per step that has records, in route order."""
        ...

    def latest_time(self) -> datetime | None:
        """The time of the newest stored process record or state change (None: neither)."""
        ...

    def first_state_time(self) -> datetime | None:
        """The time of the oldest stored state change (None: none): where the stations'
        states, and so OEE, begin to be known."""
        ...


class OeeReader(Protocol):
    """What live OEE reads."""

    def oee_layout(self) -> OeeLayout:
        """Every registered line's calendar and every step with its PRI and stations."""
        ...

    def station_timelines(
        self, stations: Collection[str], since: datetime, until: datetime, *,
        records: bool = True,
    ) -> dict[str, StationTimeline]:  # fmt: skip
        """Per station of ``stations``: its :class:`StationTimeline` over [since, until)
        (state changes at ``since`` <= ts < ``until``, records with ``since`` <= ts < ``until``;
        without ``records``, no records: their arrays are empty)."""
        ...

    def station_edges(
        self, stations: Collection[str], since: datetime, until: datetime
    ) -> StationEdges:
        """The :class:`StationEdges` of ``stations`` (those the store knows) over [since,
        until): what :meth:`station_timelines` gives, as columns, its records counted."""
        ...

    def station_record_tallies(
        self, stations: Collection[str], since: datetime, until: datetime
    ) -> dict[str, RecordTally]:
        """Per station of ``stations`` with records in [since, until): how many, how many OK
        and the newest one's time (what a timeline's records add up to, without reading
        them)."""
        ...

    def station_last_records(
        self, stations: Collection[str], since: datetime, until: datetime
    ) -> dict[str, float]:
        """Per station of ``stations`` with records in [since, until): the newest one's time
        (UNIX seconds), found without counting them."""
        ...

    def oee_hour_sums(
        self, stations: Collection[str], since_s: int, until_s: int, silence_s: float,
        buckets: Sequence[tuple[float, float]], *, by_step: bool = False,
        quarters: Sequence[tuple[int, int]] = (), downtime: bool = True,
    ) -> OeeHourSums:  # fmt: skip
        """The stored hourly summaries (:class:`OeeHour`) of ``stations`` for ``silence_s``
        with ``since_s`` <= hour < ``until_s``, and the stored quarters of an hour starting in
        each range [lo, hi) of ``quarters`` (outside the hours), summed per station and bucket
        (an hour or a quarter counts in a bucket [lo, hi) if it lies wholly inside it;
        ``by_step``: per step and bucket), and without ``downtime`` no downtime by cause
        (``down`` empty: what only counts needs), read in one snapshot. A store that keeps
        none answers with nothing covered."""
        ...


class OeeSummaryBook(Protocol):
    """Where the hourly OEE summaries are kept (an optimisation of :class:`OeeReader`: a
    window reads stored whole hours and computes the rest from the raw rows)."""

    def oee_status(self, stations: Collection[str]) -> dict[str, OeeStationStatus]:
        """Per station: its write counter and first and last message times."""
        ...

    def oee_covered(
        self,
        stations: Collection[str],
        since_s: int,
        until_s: int,
        silence_s: float,
        span_s: int = 3600,
    ) -> dict[str, list[tuple[float, float]]]:
        """Per station, its stored hours (``span_s`` 900: its stored quarters of an hour) in
        [since_s, until_s) as disjoint runs."""
        ...

    def put_oee_hours(self, hours: Sequence[OeeHour], versions: Mapping[str, int]) -> int:
        """Store ``hours`` (and quarters) of the stations whose write counter still equals
        ``versions`` (the counter read before the rows they were computed from), in one
        transaction ordered against the writes; those already stored are kept. The number of
        hours stored."""
        ...

    def roll_up_oee_steps(self, silence_s: float, since_s: int) -> int:
        """Store the hours from ``since_s`` on of each step whose every station has that hour
        stored, summed over its stations (what a line's window reads); the number stored."""
        ...


class Store(
    EventLog,
    LineRegistry,
    GenealogyReader,
    MeasureReader,
    HoldBook,
    AlarmBook,
    GradeBook,
    Tallies,
    OeeReader,
    Protocol,
):
    """Every door of an MES store."""

    def require(self, feature: Feature) -> None:
        """Raise :class:`StoreError` naming the fix if this store cannot serve ``feature``."""
        ...

    def close(self) -> None:
        """Release what the store holds (connections)."""
        ...


class AccessBook(Protocol):
    """The HTTP API's tokens (by the SHA-256 of their secret) and the audit trail."""

    def add_token(self, name: str, role: str, sha256: str, by: str, when: datetime) -> int:
        """Store a token (its hash) and its audit line in one transaction; its id."""
        ...

    def token_by_hash(self, sha256: str) -> TokenRow | None:
        """The token whose secret has this SHA-256 (hex), revoked or not; None if none."""
        ...

    def tokens(self, include_revoked: bool = False) -> list[TokenRow]:
        """Tokens, oldest first: active only unless ``include_revoked``."""
        ...

    def revoke_token(self, token_id: int, by: str, when: datetime) -> bool:
        """Revoke an active token (and audit it); False when none active had that id."""
        ...

    def audit_trail(self, limit: int = 100, before: int | None = None) -> list[AuditEntry]:
        """The latest ``limit`` audit lines (with id below ``before``, if given), newest first."""
        ...
