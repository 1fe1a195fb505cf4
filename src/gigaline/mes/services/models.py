"""The typed results of the MES services (pydantic models).

Each result's ``model_dump()`` is exactly the JSON object the matching ``gigaline ... --json``
command prints (field names, order and values), so that the CLI, the HTTP API and tests all
see one shape. Times are RFC 3339 text in UTC (``2026-11-28T08:10:00Z``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from gigaline.mes.ports import epoch_us

__all__ = [
    "AlarmInfo",
    "AlarmList",
    "AuditLine",
    "AuditTrail",
    "CurveSummary",
    "DowntimeCause",
    "Floor",
    "Genealogy",
    "GenealogyEdge",
    "GenealogyNode",
    "Hold",
    "HoldContents",
    "HoldList",
    "HoldOnUnit",
    "HoldStatus",
    "LineSetup",
    "LineSummary",
    "NewToken",
    "OeeReport",
    "OeeRow",
    "Plant",
    "Principal",
    "Record",
    "Release",
    "StateSegment",
    "StationFloor",
    "StepSummary",
    "StepYield",
    "TokenInfo",
    "TokenList",
    "Trace",
    "WhereUsed",
    "rfc3339",
    "rfc3339_all",
    "rfc3339_us",
]


def rfc3339(value: datetime | None) -> str | None:
    """A stored timestamp (naive meaning UTC, or aware) as RFC 3339 text in UTC.

    ``2026-11-28T08:10:00Z``, with microseconds where there are any. A trace formats two per
    record and an SPC chart one per point: the naive case and every zone at UTC (``UTC``, and
    the ``ZoneInfo("Etc/UTC")`` psycopg returns for a server at UTC) take one ``isoformat``
    each, without converting (``astimezone`` and ``replace`` tripled the cost of 10,000 points).
    """
    if value is None:
        return None
    text = value.isoformat()
    if value.tzinfo is None:
        return text + "Z"
    if text.endswith("+00:00"):
        return text[:-6] + "Z"
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def rfc3339_us(us: NDArray[np.int64]) -> list[str]:
    """:func:`rfc3339` of times given as microseconds since the epoch (UTC), by numpy at
    once: whole seconds without a fraction, as ``isoformat`` writes them."""
    text: list[str] = np.datetime_as_string(us.astype("datetime64[us]"), unit="us").tolist()
    whole = np.flatnonzero(us % 1_000_000 == 0).tolist()
    for i in whole:
        text[i] = text[i][:-7]
    return [x + "Z" for x in text]


def rfc3339_all(values: Sequence[datetime | None]) -> list[str | None]:
    """:func:`rfc3339` of each of ``values`` (the same text), formatted by numpy at once.

    10,000 SPC points format in 40 % of the CPU time of a call per value (14.6 against 35.9
    ms of the former :func:`rfc3339`, 2 Dec 2026, 2-core machine under load): each
    time becomes its exact count of microseconds since the epoch (one subtraction, whatever
    its zone), numpy writes the UTC text of them all (:func:`rfc3339_us`), and whole seconds
    drop their fraction (as ``isoformat`` does). :class:`~gigaline.mes.ports.Times` (the SQL
    store's series) hold those counts already. A None, or naive times mixed with aware ones,
    take :func:`rfc3339` one by one.
    """
    if not values or values[0] is None:
        return [rfc3339(v) for v in values]
    try:
        us = epoch_us(values)  # type: ignore[arg-type]  # a None: the TypeError
    except TypeError:  # a None, or naive and aware together
        return [rfc3339(v) for v in values]
    out: list[str | None] = list(rfc3339_us(us))
    return out


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class Record(_Result):
    """One process record of a unit."""

    step: str
    station: str
    ts: str | None
    started: str | None
    result: str
    reason: str | None
    params: dict[str, float]
    event_id: str


class CurveSummary(_Result):
    """One stored curve of a unit: kind, time, summary features."""

    curve: str
    ts: str | None
    features: dict[str, float]


class HoldOnUnit(_Result):
    """An active hold that covers a traced unit."""

    id: int
    target: str
    reason: str
    created: str | None


class Trace(_Result):
    """A unit's history and backward genealogy (``gigaline trace --json``)."""

    unit: str
    unit_type: str
    records: list[Record]
    lots: list[str]
    ancestors: list[str]
    curves: list[CurveSummary]
    holds: list[HoldOnUnit]


class WhereUsed(_Result):
    """Every unit that contains a lot or unit (``gigaline where-used --json``)."""

    source: str
    units: list[str]
    cells: list[str]


class Hold(_Result):
    """A hold just put (``gigaline hold --json``): ``units`` is how many it covers."""

    id: int
    target: str
    reason: str
    created: str | None
    created_by: str
    units: int


class HoldStatus(_Result):
    """A stored hold, active or released (one entry of ``gigaline holds --json``)."""

    id: int
    target: str
    reason: str
    created: str | None
    created_by: str
    released: str | None
    release_reason: str | None
    released_by: str | None
    units: int


class HoldList(_Result):
    """Holds, newest first (``gigaline holds --json``)."""

    holds: list[HoldStatus]


class HoldContents(_Result):
    """A hold and the units it caught (the first ``len(units)`` of ``hold.units``, by name)."""

    hold: HoldStatus
    units: list[str]


class Release(_Result):
    """A hold just released (``gigaline release --json``)."""

    id: int
    released: str | None
    release_reason: str
    released_by: str


class StepYield(_Result):
    """Records of one step, OK and NG, and first-pass yield OK / (OK + NG)."""

    model_config = ConfigDict(frozen=True, serialize_by_alias=True, validate_by_name=True)

    step: str
    records: int
    ok: int
    ng: int
    yield_: float = Field(alias="yield")  # ``yield`` is a Python keyword


class LineSetup(_Result):
    """A line registered in the MES (``gigaline mes init --json``)."""

    site: str
    area: str
    line: str
    steps: int
    stations: int
    stations_added: int


class StationFloor(_Result):
    """One station over a window: its latest state, time per state [s], its records."""

    station: str
    step: str
    line: str
    position: int
    state: str
    reason: str | None
    since: str | None
    state_s: dict[str, float]
    records: int
    ok: int
    ng: int
    quality_rate: float | None
    last_record: str | None


class StateSegment(_Result):
    """A stretch of one state of one station (the state timeline)."""

    station: str
    state: str
    reason: str | None
    start: str | None
    end: str | None
    duration_s: float


class Floor(_Result):
    """Stations and their state timeline over a window (``[start, end)``, RFC 3339)."""

    start: str
    end: str
    window_s: float
    stations: list[StationFloor]
    timeline: list[StateSegment]


class Principal(_Result):
    """Who makes a request: the token's name, its role and id (None: the loopback demo)."""

    name: str
    role: str
    token_id: int | None


class TokenInfo(_Result):
    """A stored API token, without its secret (one entry of ``gigaline token list --json``)."""

    id: int
    name: str
    role: str
    created: str | None
    created_by: str
    revoked: str | None
    revoked_by: str | None


class NewToken(TokenInfo):
    """A token just made: ``token`` is its secret, shown this once and stored only as a hash."""

    token: str


class TokenList(_Result):
    """API tokens, oldest first."""

    tokens: list[TokenInfo]


class AuditLine(_Result):
    """One line of the audit trail: who did what to which target, when, with what detail."""

    id: int
    ts: str | None
    user: str
    action: str
    target: str
    detail: dict[str, object]


class AuditTrail(_Result):
    """Audit lines, newest first."""

    entries: list[AuditLine]


class StepSummary(_Result):
    """A registered step: its line, process, position on the route and its stations."""

    name: str
    line: str
    process: str | None
    position: int
    stations: list[str]


class LineSummary(_Result):
    """A registered line and its steps in route order."""

    name: str
    site: str
    steps: list[StepSummary]


class Plant(_Result):
    """The equipment hierarchy of the store: its site and every registered line."""

    site: str
    lines: list[LineSummary]


class GenealogyNode(_Result):
    """A lot or unit of a genealogy graph (``type``: the unit type, or ``lot``)."""

    id: str
    kind: str
    type: str


class GenealogyEdge(_Result):
    """``source`` (a lot or unit) went into ``target`` (a unit), ``qty`` of it."""

    source: str
    target: str
    qty: float


class Genealogy(_Result):
    """A genealogy graph around ``root``: backward (what it is made of, down to the lots) or
    forward (every unit made from it). ``truncated``: more nodes than the limit asked for."""

    root: str
    direction: str
    nodes: list[GenealogyNode]
    edges: list[GenealogyEdge]
    truncated: bool


class AlarmInfo(_Result):
    """A stored SPC alarm: the rule violated at one point of one chart, and its hold."""

    key: str
    raised: str | None
    ts: str | None
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
    hold_id: int | None


class AlarmList(_Result):
    """SPC alarms, newest first."""

    alarms: list[AlarmInfo]


class OeeRow(_Result):
    """OEE of one work unit or group of them (a station, a step, a line) over one window.

    The ISO 22400-2 elements [s and counts] and the factors; a factor that is undefined (its
    denominator is zero, or the step has no PRI) is None, with the reason in ``undefined``.
    """

    scope: str  # "station" | "step" | "line"
    name: str
    shift: str | None  # "2026-01-05 shift 1" with --by shift, else None
    start: str | None
    end: str | None
    stations: int
    planned_operation_s: float  # POT: the window, per station
    planned_downtime_s: float  # PDOT: the line calendar's planned stops in the window
    planned_busy_s: float  # PBT = POT - PDOT
    production_s: float  # APT: running
    downtime_s: float  # PBT - APT: every other state, and unqualified downtime
    unqualified_s: float  # no state known, or silent while running
    produced: int  # PQ: process records ending in the window
    good: int  # GQ: OK records
    pri_s: float | None  # PRI per item (PQ-weighted over stations with one)
    availability: float | None
    performance: float | None
    quality: float | None
    oee: float | None
    undefined: dict[str, str]


class DowntimeCause(_Result):
    """One bar of the downtime Pareto: a state and reason, its time and how often it began."""

    state: str
    reason: str | None
    seconds: float
    occurrences: int
    share: float  # of all downtime of the selection
    cumulative: float


class OeeReport(_Result):
    """Live OEE per ISO 22400-2 (``gigaline oee --json``): rows and the downtime Pareto."""

    since: str | None
    until: str | None
    by: str | None
    silence_s: float
    rows: list[OeeRow]
    pareto: list[DowntimeCause]


class StationTotals(_Result):
    """What the MES holds of one station over a window: records and seconds in each state."""

    station: str
    processed: int  # process records ending in the window
    good: int  # of them OK
    ng: int  # of them NG
    seconds: dict[str, float]  # state -> seconds in the window (from its first known state)


class Totals(_Result):
    """Per-station totals of the MES over [since, until) (``gigaline run``'s comparison)."""

    since: str
    until: str
    stations: list[StationTotals]
