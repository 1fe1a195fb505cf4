"""The fast path of ingestion: one JSON text straight into a typed event, with msgspec.

:func:`decode_event` decodes an NDJSON line into typed structures with msgspec (parsing and
most checks in C) and finishes the few checks msgspec cannot express in Python. It accepts
only what :func:`~gigaline.events.check.check_event` accepts, with the same values; whatever
it cannot vouch for (an invalid event, a curve, a timestamp with an offset) it leaves to
``check_event``, which then gives the one authoritative answer and reason.

Wire structures: what msgspec checks while it decodes (types, lengths in code points, ranges,
closed vocabularies, required and unknown fields, null for an optional field). What they cannot
express (no surrounding blanks, the timestamp format, started <= ts, a unit consuming itself)
``decode_event`` checks after decoding. A NUL character can reach a string only as the escape
``\\u0000`` (JSON forbids the raw byte), so a text with that escape anywhere is left to
``check_event`` (one scan of the bytes, in C); a lone surrogate cannot: msgspec refuses both
the escape and the bytes (CESU) of one. JSON numbers are finite here as in orjson: msgspec
refuses NaN and Infinity literals and numbers out of the double range.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from gigaline.events.check import utc_fast
from gigaline.events.contract import (
    MAX_CONSUMED,
    MAX_NAME,
    MAX_PARAMS,
    MAX_TEXT,
    Consumed,
    Event,
    LotEvent,
    MachineState,
    ProcessEvent,
    StateEvent,
    UnitType,
)

__all__ = ["decode_event"]

_WireName = Annotated[str, Meta(min_length=1, max_length=MAX_NAME)]
_WireText = Annotated[str, Meta(min_length=1, max_length=MAX_TEXT)]
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
    v: Literal[1] = 1


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
    v: Literal[1] = 1


class _WireState(
    msgspec.Struct, tag_field="type", tag="state", forbid_unknown_fields=True, gc=False
):
    id: _WireName
    ts: str
    station: _WireName
    state: MachineState
    site: _WireName | None = None
    reason: _WireText | None = None
    v: Literal[1] = 1


_decode_wire = msgspec.json.Decoder(_WireProcess | _WireLot | _WireState).decode


def decode_event(data: bytes) -> Event | None:
    """The checked event of one JSON text, or None when ``check_event`` must decide.

    Never rejects: any event it does not accept (invalid, or valid but unusual, such as a curve
    or a timestamp with an offset) returns None, and the caller runs the general path
    (``check_event(orjson.loads(data))``) for the verdict and the reason. Whatever it accepts,
    ``check_event`` accepts too, with equal fields.
    """
    if b"\\u0000" in data:
        return None  # maybe a NUL in a string: the general path names the field
    try:
        w = _decode_wire(data)
    except (msgspec.MsgspecError, ValueError):  # ValueError: bytes that are not UTF-8
        return None
    ts = utc_fast(w.ts)
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
            started = utc_fast(w.started)
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
