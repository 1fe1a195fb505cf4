"""The general check of one event: every rule of the contract, with the reason of a rejection.

:func:`check_event` takes a decoded JSON value and gives the typed event or raises
:class:`~gigaline.events.contract.EventError`, whose message names the field, the value and
what is allowed (it becomes the dead letter's reason). It implements the JSON Schema
(``schema.json``) by hand, because a generic schema validator is several times slower than
the ingest rate needs (50,000 events/s); a test keeps the two in agreement. Checks that need
the store (does the station exist, was the consumed unit made before) are ingestion's
(:mod:`gigaline.mes.ingest`).

Every string of an event must be storable (:func:`~gigaline.events.contract.unstorable`: no
NUL character, no lone surrogate). The usual case, ASCII without NUL, is checked inline with
two C-level tests (``"\\x00" not in value and value.isascii()``); any other string takes the
full check of :func:`_name`.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any, Final

from gigaline.errors import shorten
from gigaline.events.contract import (
    CONTRACT_VERSION,
    CURVE_KINDS,
    EVENT_TYPES,
    MACHINE_STATES,
    MAX_CONSUMED,
    MAX_CURVE_POINTS,
    MAX_NAME,
    MAX_PARAMS,
    MAX_TEXT,
    UNIT_TYPES,
    Consumed,
    CurveEvent,
    Event,
    EventError,
    LotEvent,
    ProcessEvent,
    StateEvent,
    unstorable,
)

__all__ = ["check_event", "parse_ts"]

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)
_COMMON = frozenset({"id", "type", "ts", "site", "v"})
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

_fromiso = datetime.fromisoformat


def utc_fast(value: str) -> datetime | None:
    """``value`` as a UTC datetime if it has the usual form ``YYYY-MM-DDTHH:MM:SS[.fff]Z``.

    The shared fast branch of :func:`parse_ts` and the msgspec decoder; None for any other
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
        usual = utc_fast(value)  # the usual "2026-11-28T08:00:00Z" / "...:00.000Z" (already UTC)
        if usual is not None:
            return usual
    match = _RFC3339.match(value) if isinstance(value, str) else None
    if match is None:
        raise EventError(
            f"{field}: not an RFC 3339 timestamp with time zone "
            f"(like 2026-11-28T08:00:00Z): {shorten(value)}"
        )
    text = str(value).upper()  # RFC 3339 allows lower-case t and z
    frac = match.group(1)
    if frac is not None and len(frac) > 7:  # Python keeps microseconds; drop finer digits
        text = text.replace(frac, frac[:7], 1)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise EventError(f"{field}: impossible date or time {shorten(value)}: {exc}") from None
    except OverflowError:  # an offset that moves the time out of the years 1-9999
        raise EventError(f"{field}: {shorten(value)} is outside the years 1-9999 in UTC") from None
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # the offset moves it out of Python's years 1-9999
        raise EventError(f"{field}: {shorten(value)} is outside the years 1-9999 in UTC") from None


def check_event(obj: object) -> Event:
    """Check one decoded JSON value against the contract; the typed event, or EventError."""
    if not isinstance(obj, dict):
        raise EventError(f"an event must be a JSON object, got {type(obj).__name__}")
    event_id = obj.get("id")
    if event_id is None:
        raise EventError("missing field 'id'")
    if not (
        type(event_id) is str
        and 0 < len(event_id) <= MAX_NAME
        and event_id == event_id.strip()
        and "\x00" not in event_id
        and event_id.isascii()
    ):
        _name(event_id, "id")
    kind = obj.get("type")
    if kind is None:
        raise EventError("missing field 'type'")
    if type(kind) is not str or kind not in _FIELDS:  # a list or dict is not hashable
        raise EventError(
            f"type: unknown event type {shorten(kind)}; allowed: {', '.join(EVENT_TYPES)}"
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
    if "v" in obj:
        _version(obj["v"])
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
        if type(state) is not str or state not in MACHINE_STATES:
            raise EventError(
                f"state: unknown machine state {shorten(state)}; allowed: "
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


def _version(value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != CONTRACT_VERSION:
        raise EventError(
            f"v: unsupported contract version {shorten(value)}; this gigaline reads version "
            f"{CONTRACT_VERSION} (omit v for it)"
        )


def _process(obj: dict[str, Any], event_id: str, site: str | None, ts: datetime) -> ProcessEvent:
    unit, station, step = obj["unit"], obj["station"], obj["step"]
    for value, field in ((unit, "unit"), (station, "station"), (step, "step")):
        if not (
            type(value) is str
            and 0 < len(value) <= MAX_NAME
            and value == value.strip()
            and "\x00" not in value
            and value.isascii()
        ):
            _name(value, field)
    unit_type = obj["unit_type"]
    if type(unit_type) is not str or unit_type not in UNIT_TYPES:
        raise EventError(
            f"unit_type: unknown unit type {shorten(unit_type)}; allowed: "
            f"{', '.join(sorted(UNIT_TYPES))}"
        )
    result = obj["result"]
    if result not in ("OK", "NG"):
        raise EventError(f"result: must be 'OK' or 'NG', got {shorten(result)}")
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
                f"params: must be an object of name to number, got {shorten(raw_params)}"
            )
        if len(raw_params) > MAX_PARAMS:
            raise EventError(f"params: {len(raw_params)} parameters; at most {MAX_PARAMS}")
        for key, value in raw_params.items():
            if not (
                type(key) is str and 0 < len(key) <= 64 and "\x00" not in key and key.isascii()
            ):
                _param_name(key)  # raises unless a storable non-ASCII name
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
        raise EventError(f"consumed: must be a list of {{unit, qty}} objects, got {shorten(raw)}")
    if len(raw) > MAX_CONSUMED:
        raise EventError(f"consumed: {len(raw)} entries; at most {MAX_CONSUMED}")
    out = []
    for i, item in enumerate(raw):
        if type(item) is not dict or item.keys() != _CONSUMED_KEYS:
            raise EventError(
                f"consumed[{i}]: must be an object with exactly 'unit' and 'qty', "
                f"got {shorten(item)}"
            )
        name, qty = item["unit"], item["qty"]
        if not (
            type(name) is str
            and 0 < len(name) <= MAX_NAME
            and name == name.strip()
            and "\x00" not in name
            and name.isascii()
        ):
            name = _name(name, f"consumed[{i}].unit")
        if name == unit:
            raise EventError(f"consumed[{i}].unit: unit {unit!r} cannot consume itself")
        if not (type(qty) is float and qty >= 0.0 and math.isfinite(qty)):
            qty = _number(qty, f"consumed[{i}].qty", nonneg=True)
        out.append(Consumed(name, qty))
    return tuple(out)


def _curve(obj: dict[str, Any], event_id: str, site: str | None, ts: datetime) -> CurveEvent:
    kind = obj["curve"]
    if type(kind) is not str or kind not in CURVE_KINDS:
        raise EventError(
            f"curve: unknown curve kind {shorten(kind)}; allowed: {', '.join(sorted(CURVE_KINDS))}"
        )
    dt_s = _number(obj["dt_s"], "dt_s", positive=True)
    raw = obj["channels"]
    if not isinstance(raw, dict) or not raw:
        raise EventError("channels: must be a non-empty object of name to list of numbers")
    channels: dict[str, list[float]] = {}
    length = None
    for name, values in raw.items():
        if type(name) is not str:
            raise EventError(f"channels: a channel name must be a string, got {shorten(name)}")
        problem = unstorable(name)
        if problem is not None:
            raise EventError(f"channels: channel name {shorten(name)} {problem}")
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
    if (
        type(value) is str
        and 0 < len(value) <= limit
        and value == value.strip()
        and "\x00" not in value
        and value.isascii()
    ):
        return value  # the usual case, checked in one line
    if not isinstance(value, str):
        raise EventError(f"{field}: must be a string, got {shorten(value)}")
    if not value or len(value) > limit or value != value.strip():
        raise EventError(
            f"{field}: must have 1 to {limit} characters and no surrounding blanks, "
            f"got {shorten(value)}"
        )
    problem = unstorable(value)
    if problem is not None:
        raise EventError(f"{field}: {problem}: {shorten(value)}")
    return value


def _param_name(key: object) -> None:
    """Raise the reason a parameter name is not allowed; return if it is (non-ASCII)."""
    if type(key) is not str or not 0 < len(key) <= 64:
        raise EventError(f"params: parameter name must have 1 to 64 characters: {shorten(key)}")
    problem = unstorable(key)
    if problem is not None:
        raise EventError(f"params: parameter name {shorten(key)} {problem}")


def _text(value: object, field: str) -> str | None:
    if value is None:
        return None
    return _name(value, field, MAX_TEXT)


def _number(value: object, field: str, positive: bool = False, nonneg: bool = False) -> float:
    if type(value) is float and not positive and not nonneg and math.isfinite(value):
        return value  # the usual case
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EventError(f"{field}: must be a number, got {shorten(value)}")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond the double range (a decoded object's)
        raise EventError(f"{field}: out of the range of a number, got {shorten(value)}") from None
    if not math.isfinite(number):
        raise EventError(f"{field}: must be finite, got {shorten(value)}")
    if positive and number <= 0:
        raise EventError(f"{field}: must be > 0, got {shorten(value)}")
    if nonneg and number < 0:
        raise EventError(f"{field}: must be >= 0, got {shorten(value)}")
    return number
