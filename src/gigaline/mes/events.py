"""The event contract: what one event is, and the checks that accept or reject it.

One JSON object per event (NDJSON in files). Every event has ``id`` (the idempotency key),
``type`` and ``ts`` (RFC 3339 with a time zone); ``site`` (plant) is optional and defaults to
the store's site. The types and their fields are documented in ``docs/events.md`` and, as a
JSON Schema, in ``gigaline/mes/schemas/event.schema.json``; :func:`check_event` implements the
same rules by hand, because a generic schema validator is several times slower than the ingest
rate needs (50,000 events/s). A test keeps the two in agreement.

:func:`decode_event` is the fast path of ingestion: it decodes an NDJSON line straight into
typed structures with msgspec (parsing and most checks in C) and finishes the few checks msgspec
cannot express in Python. It accepts only what :func:`check_event` accepts, with the same
values; whatever it cannot vouch for (an invalid event, a curve, a timestamp with an offset) it
leaves to :func:`check_event`, which then gives the one authoritative answer and reason.

This module is pure: no I/O. Checks that need the database (does the station exist, was the
consumed unit made before) are in :mod:`gigaline.mes.ingest`.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal, NamedTuple, get_args

import msgspec
from msgspec import Meta

__all__ = [
    "CURVE_KINDS",
    "EVENT_TYPES",
    "MACHINE_STATES",
    "MAX_EVENT_BYTES",
    "UNIT_TYPES",
    "Consumed",
    "CurveEvent",
    "Event",
    "EventError",
    "LotEvent",
    "ProcessEvent",
    "StateEvent",
    "check_event",
    "decode_event",
    "parse_ts",
]

EVENT_TYPES: Final = ("lot", "process", "state", "curve")

#: Serialised production units, from raw-material batch to pack (ISA-95 "material sublot").
UnitType = Literal[
    "slurry_batch", "electrode_coil", "electrode_sheet_stack", "cell_stack", "jelly_roll",
    "cell", "module", "pack",
]  # fmt: skip
UNIT_TYPES: Final = frozenset(get_args(UnitType))

#: Machine states. The PackML minimum (Stopped, Idle, Execute, Aborted; OPC 30050 TMC) plus
#: the causes OEE needs (ISO 22400-2: down, setup, starved, blocked, maintenance).
MachineState = Literal[
    "running", "idle", "down", "setup", "starved", "blocked", "maintenance", "stopped", "off"
]
MACHINE_STATES: Final = frozenset(get_args(MachineState))

CURVE_KINDS: Final = frozenset({"formation", "aging", "grading"})

#: Largest accepted event (bytes of its JSON text). A formation curve at one sample a minute
#: for 72 h with three channels is about 4,300 numbers, ~60 kB of JSON.
MAX_EVENT_BYTES: Final = 256 * 1024
MAX_NAME: Final = 128
MAX_PARAMS: Final = 256
MAX_CONSUMED: Final = 10_000
MAX_CURVE_POINTS: Final = 1_000_000

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)
_COMMON = frozenset({"id", "type", "ts", "site"})
_FIELDS: Final[dict[str, tuple[frozenset[str], frozenset[str]]]] = {
    # type: (required beyond the common ones, optional)
    "lot": (frozenset({"lot", "material", "qty", "uom"}), frozenset()),
    "process": (
        frozenset({"station", "step", "unit", "unit_type", "result"}),
        frozenset({"reason", "started", "params", "consumed"}),
    ),
    "state": (frozenset({"station", "state"}), frozenset({"reason"})),
    "curve": (frozenset({"station", "unit", "curve", "dt_s", "channels"}), frozenset()),
}


_CONSUMED_KEYS = frozenset({"unit", "qty"})
_REQUIRED = {kind: ("ts", *sorted(req)) for kind, (req, _) in _FIELDS.items()}
_ALLOWED = {kind: _COMMON | req | opt for kind, (req, opt) in _FIELDS.items()}


class EventError(ValueError):
    """An event that breaks the contract; the message is the dead letter's reason."""


class Consumed(msgspec.Struct, frozen=True, gc=False, forbid_unknown_fields=True):
    """One input of a process event: a lot or unit name and the quantity taken from it.

    A msgspec structure so that the fast path decodes it straight from ``{"unit", "qty"}``.
    """

    name: Annotated[str, Meta(min_length=1, max_length=MAX_NAME)] = msgspec.field(name="unit")
    qty: Annotated[float, Meta(ge=0.0)]


class LotEvent(NamedTuple):
    id: str
    site: str | None
    ts: datetime
    lot: str
    material: str
    qty: float
    uom: str


class ProcessEvent(NamedTuple):
    id: str
    site: str | None
    ts: datetime
    station: str
    step: str
    unit: str
    unit_type: str
    result: str
    reason: str | None
    started: datetime | None
    params: dict[str, float]
    consumed: tuple[Consumed, ...]


class StateEvent(NamedTuple):
    id: str
    site: str | None
    ts: datetime
    station: str
    state: str
    reason: str | None


class CurveEvent(NamedTuple):
    id: str
    site: str | None
    ts: datetime
    station: str
    unit: str
    curve: str
    dt_s: float
    channels: dict[str, list[float]]


Event = LotEvent | ProcessEvent | StateEvent | CurveEvent


_fromiso = datetime.fromisoformat


def _utc(value: str) -> datetime | None:
    """``value`` as a UTC datetime if it has the usual form ``YYYY-MM-DDTHH:MM:SS[.fff]Z``.

    The shared fast branch of :func:`parse_ts` and :func:`decode_event`; None for any other
    form (and for an impossible date), which the general path of :func:`parse_ts` judges.
    """
    if (
        len(value) in (20, 24)
        and value[-1] == "Z"
        and value[10] == "T"
        and value[4] == value[7] == "-"
        and value[13] == value[16] == ":"
        and (len(value) == 20 or value[19] == ".")
    ):
        try:
            return _fromiso(value)
        except ValueError:
            return None
    return None


def parse_ts(value: object, field: str = "ts") -> datetime:
    """An RFC 3339 timestamp with time zone -> aware UTC datetime; EventError otherwise."""
    if type(value) is str:
        usual = _utc(value)  # the usual "2026-11-28T08:00:00Z" / "...:00.000Z" (already UTC)
        if usual is not None:
            return usual
    match = _RFC3339.match(value) if isinstance(value, str) else None
    if match is None:
        raise EventError(
            f"{field}: not an RFC 3339 timestamp with time zone "
            f"(like 2026-11-28T08:00:00Z): {_show(value)}"
        )
    text = str(value).upper()  # RFC 3339 allows lower-case t and z
    frac = match.group(1)
    if frac is not None and len(frac) > 7:  # Python keeps microseconds; drop finer digits
        text = text.replace(frac, frac[:7], 1)
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except ValueError as exc:
        raise EventError(f"{field}: impossible date or time {_show(value)}: {exc}") from None


def check_event(obj: object) -> Event:
    """Check one decoded JSON value against the contract; the typed event, or EventError."""
    if not isinstance(obj, dict):
        raise EventError(f"an event must be a JSON object, got {type(obj).__name__}")
    event_id = obj.get("id")
    if event_id is None:
        raise EventError("missing field 'id'")
    if not (
        type(event_id) is str and 0 < len(event_id) <= MAX_NAME and event_id == event_id.strip()
    ):
        _name(event_id, "id")
    kind = obj.get("type")
    if kind is None:
        raise EventError("missing field 'type'")
    if kind not in _FIELDS:
        raise EventError(
            f"type: unknown event type {_show(kind)}; allowed: {', '.join(EVENT_TYPES)}"
        )
    for field in _REQUIRED[kind]:
        if field not in obj:
            raise EventError(f"missing field {field!r} (a {kind} event needs it)")
    if not obj.keys() <= _ALLOWED[kind]:
        unknown = obj.keys() - _ALLOWED[kind]
        allowed = ", ".join(sorted(_ALLOWED[kind]))
        raise EventError(
            f"unknown field(s) {', '.join(sorted(unknown))} in a {kind} event; allowed: {allowed}"
        )
    ts = parse_ts(obj["ts"])
    site = obj.get("site")
    if site is not None:
        _name(site, "site")
    if kind == "process":
        return _process(obj, event_id, site, ts)
    if kind == "lot":
        return LotEvent(
            event_id,
            site,
            ts,
            _name(obj["lot"], "lot"),
            _name(obj["material"], "material"),
            _number(obj["qty"], "qty", positive=True),
            _name(obj["uom"], "uom", 16),
        )
    if kind == "state":
        state = obj["state"]
        if state not in MACHINE_STATES:
            raise EventError(
                f"state: unknown machine state {_show(state)}; allowed: "
                f"{', '.join(sorted(MACHINE_STATES))}"
            )
        return StateEvent(
            event_id,
            site,
            ts,
            _name(obj["station"], "station"),
            state,
            _text(obj.get("reason"), "reason"),
        )
    return _curve(obj, event_id, site, ts)


def _process(obj: dict[str, Any], event_id: str, site: str | None, ts: datetime) -> ProcessEvent:
    unit, station, step = obj["unit"], obj["station"], obj["step"]
    for value, field in ((unit, "unit"), (station, "station"), (step, "step")):
        if not (type(value) is str and 0 < len(value) <= MAX_NAME and value == value.strip()):
            _name(value, field)
    unit_type = obj["unit_type"]
    if unit_type not in UNIT_TYPES:
        raise EventError(
            f"unit_type: unknown unit type {_show(unit_type)}; allowed: "
            f"{', '.join(sorted(UNIT_TYPES))}"
        )
    result = obj["result"]
    if result not in ("OK", "NG"):
        raise EventError(f"result: must be 'OK' or 'NG', got {_show(result)}")
    started = None
    if obj.get("started") is not None:
        started = parse_ts(obj["started"], "started")
        if started > ts:
            raise EventError(f"started ({obj['started']}) is after ts ({obj['ts']})")
    params: dict[str, float] = {}
    raw_params = obj.get("params")
    if raw_params is not None:
        if not isinstance(raw_params, dict):
            raise EventError(
                f"params: must be an object of name to number, got {_show(raw_params)}"
            )
        if len(raw_params) > MAX_PARAMS:
            raise EventError(f"params: {len(raw_params)} parameters; at most {MAX_PARAMS}")
        for key, value in raw_params.items():
            if not 0 < len(key) <= 64:
                raise EventError(
                    f"params: parameter name must have 1 to 64 characters: {_show(key)}"
                )
            if type(value) is float and math.isfinite(value):
                params[key] = value  # the usual case, without building the field name
            else:
                params[key] = _number(value, f"params.{key}")
    consumed: tuple[Consumed, ...] = ()
    raw_consumed = obj.get("consumed")
    if raw_consumed is not None:
        consumed = _consumed(raw_consumed, unit)
    return ProcessEvent(
        event_id,
        site,
        ts,
        station,
        step,
        unit,
        unit_type,
        result,
        _text(obj.get("reason"), "reason"),
        started,
        params,
        consumed,
    )


def _consumed(raw: object, unit: str) -> tuple[Consumed, ...]:
    if not isinstance(raw, list):
        raise EventError(f"consumed: must be a list of {{unit, qty}} objects, got {_show(raw)}")
    if len(raw) > MAX_CONSUMED:
        raise EventError(f"consumed: {len(raw)} entries; at most {MAX_CONSUMED}")
    out = []
    for i, item in enumerate(raw):
        if type(item) is not dict or item.keys() != _CONSUMED_KEYS:
            raise EventError(
                f"consumed[{i}]: must be an object with exactly 'unit' and 'qty', got {_show(item)}"
            )
        name, qty = item["unit"], item["qty"]
        if not (type(name) is str and 0 < len(name) <= MAX_NAME and name == name.strip()):
            name = _name(name, f"consumed[{i}].unit")
        if name == unit:
            raise EventError(f"consumed[{i}].unit: unit {unit!r} cannot consume itself")
        if not (type(qty) is float and qty >= 0.0 and math.isfinite(qty)):
            qty = _number(qty, f"consumed[{i}].qty", nonneg=True)
        out.append(Consumed(name, qty))
    return tuple(out)


def _curve(obj: dict[str, Any], event_id: str, site: str | None, ts: datetime) -> CurveEvent:
    kind = obj["curve"]
    if kind not in CURVE_KINDS:
        raise EventError(
            f"curve: unknown curve kind {_show(kind)}; allowed: {', '.join(sorted(CURVE_KINDS))}"
        )
    dt_s = _number(obj["dt_s"], "dt_s", positive=True)
    raw = obj["channels"]
    if not isinstance(raw, dict) or not raw:
        raise EventError("channels: must be a non-empty object of name to list of numbers")
    channels: dict[str, list[float]] = {}
    length = None
    for name, values in raw.items():
        if not isinstance(values, list) or not values or len(values) > MAX_CURVE_POINTS:
            raise EventError(f"channels.{name}: must be a list of 1 to {MAX_CURVE_POINTS} numbers")
        if length is not None and len(values) != length:
            raise EventError(
                f"channels.{name}: {len(values)} samples, other channels have {length}"
            )
        length = len(values)
        channels[name] = [_number(v, f"channels.{name}") for v in values]
    return CurveEvent(
        event_id,
        site,
        ts,
        _name(obj["station"], "station"),
        _name(obj["unit"], "unit"),
        kind,
        dt_s,
        channels,
    )


def _name(value: object, field: str, limit: int = MAX_NAME) -> str:
    if type(value) is str and 0 < len(value) <= limit and value == value.strip():
        return value  # the usual case, checked in one line
    if not isinstance(value, str):
        raise EventError(f"{field}: must be a string, got {_show(value)}")
    if not value or len(value) > limit or value != value.strip():
        raise EventError(
            f"{field}: must have 1 to {limit} characters and no surrounding blanks, "
            f"got {_show(value)}"
        )
    return value


def _text(value: object, field: str) -> str | None:
    if value is None:
        return None
    return _name(value, field, 256)


def _number(value: object, field: str, positive: bool = False, nonneg: bool = False) -> float:
    if type(value) is float and not positive and not nonneg and math.isfinite(value):
        return value  # the usual case
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EventError(f"{field}: must be a number, got {_show(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise EventError(f"{field}: must be finite, got {_show(value)}")
    if positive and number <= 0:
        raise EventError(f"{field}: must be > 0, got {_show(value)}")
    if nonneg and number < 0:
        raise EventError(f"{field}: must be >= 0, got {_show(value)}")
    return number


def _show(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- the fast path ------------------------------------------------------------------------------
# Wire structures: what msgspec checks while it decodes (types, lengths in code points, ranges,
# closed vocabularies, required and unknown fields, null for an optional field). What they
# cannot express (no surrounding blanks, the timestamp format, started <= ts, a unit consuming
# itself) ``decode_event`` checks after decoding. JSON numbers are finite here as in orjson:
# msgspec refuses NaN and Infinity literals and numbers out of the double range.

_WireName = Annotated[str, Meta(min_length=1, max_length=MAX_NAME)]
_WireText = Annotated[str, Meta(min_length=1, max_length=256)]
_WireParams = Annotated[
    dict[Annotated[str, Meta(min_length=1, max_length=64)], float], Meta(max_length=MAX_PARAMS)
]


class _WireLot(msgspec.Struct, tag_field="type", tag="lot", forbid_unknown_fields=True, gc=False):
    id: _WireName
    ts: str
    lot: _WireName
    material: _WireName
    qty: Annotated[float, Meta(gt=0.0)]
    uom: Annotated[str, Meta(min_length=1, max_length=16)]
    site: _WireName | None = None


class _WireProcess(
    msgspec.Struct, tag_field="type", tag="process", forbid_unknown_fields=True, gc=False
):
    id: _WireName
    ts: str
    station: _WireName
    step: _WireName
    unit: _WireName
    unit_type: UnitType
    result: Literal["OK", "NG"]
    site: _WireName | None = None
    reason: _WireText | None = None
    started: str | None = None
    params: _WireParams | None = None
    consumed: Annotated[list[Consumed], Meta(max_length=MAX_CONSUMED)] | None = None


class _WireState(
    msgspec.Struct, tag_field="type", tag="state", forbid_unknown_fields=True, gc=False
):
    id: _WireName
    ts: str
    station: _WireName
    state: MachineState
    site: _WireName | None = None
    reason: _WireText | None = None


_decode_wire = msgspec.json.Decoder(_WireProcess | _WireLot | _WireState).decode


def decode_event(data: bytes) -> Event | None:
    """The checked event of one JSON text, or None when :func:`check_event` must decide.

    Never rejects: any event it does not accept (invalid, or valid but unusual, such as a curve
    or a timestamp with an offset) returns None, and the caller runs the general path
    (``check_event(orjson.loads(data))``) for the verdict and the reason. Whatever it accepts,
    :func:`check_event` accepts too, with equal fields.
    """
    try:
        w = _decode_wire(data)
    except (msgspec.MsgspecError, ValueError):  # ValueError: bytes that are not UTF-8
        return None
    ts = _utc(w.ts)
    if ts is None:
        return None
    site = w.site
    if site is not None and site != site.strip():
        return None
    if type(w) is _WireProcess:
        unit = w.unit
        if (
            w.id != w.id.strip()
            or unit != unit.strip()
            or w.station != w.station.strip()
            or w.step != w.step.strip()
        ):
            return None
        reason = w.reason
        if reason is not None and reason != reason.strip():
            return None
        started = None
        if w.started is not None:
            started = _utc(w.started)
            if started is None or started > ts:
                return None
        consumed: tuple[Consumed, ...] = ()
        if w.consumed is not None:
            for c in w.consumed:
                if c.name == unit or c.name != c.name.strip():
                    return None
            consumed = tuple(w.consumed)
        return ProcessEvent(
            w.id, site, ts, w.station, w.step, unit, w.unit_type, w.result, reason, started,
            w.params or {}, consumed,
        )  # fmt: skip
    if type(w) is _WireLot:
        if (
            w.id != w.id.strip()
            or w.lot != w.lot.strip()
            or w.material != w.material.strip()
            or w.uom != w.uom.strip()
        ):
            return None
        return LotEvent(w.id, site, ts, w.lot, w.material, w.qty, w.uom)
    if w.id != w.id.strip() or w.station != w.station.strip():
        return None
    if w.reason is not None and w.reason != w.reason.strip():
        return None
    return StateEvent(w.id, site, ts, w.station, w.state, w.reason)
