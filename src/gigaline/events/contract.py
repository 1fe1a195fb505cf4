"""The event contract: the closed vocabularies, the limits and the typed events.

One JSON object per event (NDJSON in files, one message on a broker). Every event has ``id``
(the idempotency key within its site), ``type`` and ``ts`` (RFC 3339 with a time zone);
``site`` (the plant) is optional and defaults to the store's site; ``v`` (the contract
version) is optional and defaults to 1, the only version this gigaline reads. A store keys
events by ``(site, id)``: the same id from two plants is two events, the same id from one
plant twice is one (a redelivery). The types and their fields are documented in
``docs/events.md`` and, as a JSON Schema, in ``gigaline/events/schema.json``
(:func:`gigaline.events.schema`).

Pure and light: no I/O, and nothing heavier than msgspec (no numpy, pydantic or SQLAlchemy),
so that connectors and the event contract load fast.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final, Literal, NamedTuple, get_args

import msgspec
from msgspec import Meta

from gigaline.errors import GigalineError

__all__ = [
    "CONTRACT_VERSION",
    "CURVE_KINDS",
    "EVENT_TYPES",
    "MACHINE_STATES",
    "MAX_CONSUMED",
    "MAX_CURVE_POINTS",
    "MAX_EVENT_BYTES",
    "MAX_NAME",
    "MAX_PARAMS",
    "MAX_TEXT",
    "UNIT_TYPES",
    "Consumed",
    "CurveEvent",
    "Event",
    "EventError",
    "EventKey",
    "LotEvent",
    "MachineState",
    "ProcessEvent",
    "StateEvent",
    "UnitType",
    "unstorable",
]

#: The contract version this gigaline reads (an event's optional ``v``; 1 when absent).
CONTRACT_VERSION: Final = 1

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
#: Longest free text (an NG or machine-state reason); the store's reason columns hold as much.
MAX_TEXT: Final = 256
MAX_PARAMS: Final = 256
MAX_CONSUMED: Final = 10_000
MAX_CURVE_POINTS: Final = 1_000_000

#: What a store keys an event by: (site, id).
EventKey = tuple[str, str]


def unstorable(value: str) -> str | None:
    """Why no database can store the text ``value`` as it is, or None when one can.

    PostgreSQL's text types refuse the NUL character (U+0000), and a lone surrogate
    (U+D800-U+DFFF, which a Python string can carry; JSON decoders refuse one) has no UTF-8
    form, so neither SQLite's nor PostgreSQL's driver can send it. The contract forbids
    both in every string of an event; the commands and services check their own texts with it.
    """
    if "\x00" in value:
        return "contains a NUL character (U+0000), which a database cannot store"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "contains a lone surrogate (U+D800-U+DFFF), which has no UTF-8 form"
    return None


class EventError(GigalineError, ValueError):
    """An event that breaks the contract; the message is the dead letter's reason.

    Also a ``ValueError`` (what it was before the one exception family), for callers that
    catch that.
    """


class Consumed(msgspec.Struct, frozen=True, gc=False, forbid_unknown_fields=True):
    """One input of a process event: a lot or unit name and the quantity taken from it.

    A msgspec structure so that the fast path decodes it straight from ``{"unit", "qty"}``.
    """

    name: Annotated[str, Meta(min_length=1, max_length=MAX_NAME)] = msgspec.field(name="unit")
    qty: Annotated[float, Meta(ge=0.0)]


class LotEvent(NamedTuple):
    """A material lot received (bought-in material, by quantity)."""

    id: str
    site: str | None
    ts: datetime
    lot: str
    material: str
    qty: float
    uom: str
    v: int = CONTRACT_VERSION


class ProcessEvent(NamedTuple):
    """One unit through one step at one station: result, parameters and what it consumed."""

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
    v: int = CONTRACT_VERSION


class StateEvent(NamedTuple):
    """A station's machine state from ``ts`` on."""

    id: str
    site: str | None
    ts: datetime
    station: str
    state: str
    reason: str | None
    v: int = CONTRACT_VERSION


class CurveEvent(NamedTuple):
    """A formation, aging or grading curve of a unit, sampled every ``dt_s`` seconds."""

    id: str
    site: str | None
    ts: datetime
    station: str
    unit: str
    curve: str
    dt_s: float
    channels: dict[str, list[float]]
    v: int = CONTRACT_VERSION


Event = LotEvent | ProcessEvent | StateEvent | CurveEvent
