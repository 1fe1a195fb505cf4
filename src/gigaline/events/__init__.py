"""The event contract (layer 0): what one equipment event is, and the checks that judge it.

Everything a producer or consumer of events needs, and nothing heavier than msgspec: no numpy,
pydantic or SQLAlchemy (``python -c "import gigaline.events"`` loads in well under 0.3 s), so
that connectors (MQTT, OPC UA, HTTP) and tools can use it alone.

- the typed events :class:`LotEvent`, :class:`ProcessEvent`, :class:`StateEvent`,
  :class:`CurveEvent` (their union :data:`Event`) and the vocabularies and limits
  (:mod:`gigaline.events.contract`);
- :func:`check_event`: a decoded JSON value -> typed event, or :class:`EventError` with the
  reason (:mod:`gigaline.events.check`);
- :func:`decode_event`: the msgspec fast path from JSON bytes, None where ``check_event`` must
  decide (:mod:`gigaline.events.fast`);
- :func:`schema`: the JSON Schema of the contract (``gigaline/events/schema.json``), for
  producers that validate before they send.

Events are keyed by ``(site, id)`` (:data:`EventKey`); ``site`` may be left out and then is the
store's site; ``v``, the contract version, may be left out and then is 1.

Beside the contract, the equipment protocols' pure parts (no I/O):

- :mod:`gigaline.events.sparkplug`: the Sparkplug B 3.0 payload codec and topic namespace;
- :mod:`gigaline.events.equipment`: the metric contract shared by the virtual equipment and
  the MES connectors (names, data types, OPC 40001 / PackML states, deterministic event ids);
- :mod:`gigaline.events.broker`: broker addresses (``mqtt://host:port``).
"""

from __future__ import annotations

import json
from typing import Any

from gigaline.events.check import check_event, parse_ts
from gigaline.events.contract import (
    CONTRACT_VERSION,
    CURVE_KINDS,
    EVENT_TYPES,
    MACHINE_STATES,
    MAX_CONSUMED,
    MAX_CURVE_POINTS,
    MAX_EVENT_BYTES,
    MAX_NAME,
    MAX_PARAMS,
    MAX_TEXT,
    UNIT_TYPES,
    Consumed,
    CurveEvent,
    Event,
    EventError,
    EventKey,
    LotEvent,
    ProcessEvent,
    StateEvent,
    unstorable,
)
from gigaline.events.fast import decode_event

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
    "ProcessEvent",
    "StateEvent",
    "check_event",
    "decode_event",
    "parse_ts",
    "schema",
    "schema_text",
    "unstorable",
]


def schema_text() -> str:
    """The JSON Schema of the event contract (draft 2020-12), as shipped in the package."""
    from importlib import resources  # here: importing it costs a fifth of this package's load

    return resources.files("gigaline.events").joinpath("schema.json").read_text(encoding="utf-8")


def schema() -> dict[str, Any]:
    """The JSON Schema of the event contract, decoded."""
    result: dict[str, Any] = json.loads(schema_text())
    return result
