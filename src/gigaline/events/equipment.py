"""The equipment contract: what a station publishes, over Sparkplug B, OPC UA and MQTT JSON.

One vocabulary for the virtual equipment (:mod:`gigaline.virtual`) and the MES connectors
(:mod:`gigaline.mes.connectors`); ``docs/sparkplug.md`` states it for equipment makers.

Identity (ISA-95 to Sparkplug): group id = site, edge node id = line, device id = station.

Device metrics (Sparkplug) and station variables (OPC UA) carry the same names:

======================  =========  =====================================================
name                    datatype   meaning
======================  =========  =====================================================
``State``               String     one of :data:`MACHINE_STATES` (the event contract's)
``StopReason``          String     why the station is not running ("" when running)
``Counters/Processed``  UInt64     units finished since the counter's start (never resets)
``Counters/Defective``  UInt64     of which NG
``Parameters/<name>``   Double     the last value of a process parameter, SI units in
                                   its name (``Parameters/coating_weight_mg_cm2``)
======================  =========  =====================================================

A state change becomes a ``state`` event whose id is :func:`state_event_id` of (site, line,
station, metric, timestamp [ms]): the same change seen twice, or through Sparkplug and OPC UA
both, is stored once. Each metric's own timestamp is the time of the change.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Final

from gigaline.events.sparkplug.codec import DataType

__all__ = [
    "BDSEQ",
    "COUNTER_DEFECTIVE",
    "COUNTER_PROCESSED",
    "DEVICE_METRICS",
    "EVENTS_SUBSCRIPTION",
    "MACHINERY_ITEM_STATE",
    "MACHINERY_OPERATION_MODE",
    "MACHINE_STATES",
    "NODE_REBIRTH",
    "OPCUA_NAMESPACE",
    "PACKML_STATE",
    "PARAMETER_PREFIX",
    "STATE",
    "STOP_REASON",
    "events_topic",
    "format_ts",
    "ms_of",
    "parse_events_topic",
    "state_event",
    "state_event_id",
]

#: The event contract's machine states (docs/events.md, ``state``); a test keeps them equal.
MACHINE_STATES: Final = (
    "running",
    "idle",
    "down",
    "setup",
    "starved",
    "blocked",
    "maintenance",
    "stopped",
    "off",
)

STATE: Final = "State"
STOP_REASON: Final = "StopReason"
COUNTER_PROCESSED: Final = "Counters/Processed"
COUNTER_DEFECTIVE: Final = "Counters/Defective"
PARAMETER_PREFIX: Final = "Parameters/"
#: Node metrics of the Sparkplug specification (tck-id-topics-nbirth-bdseq-included, -rebirth).
BDSEQ: Final = "bdSeq"
NODE_REBIRTH: Final = "Node Control/Rebirth"

#: The fixed device metrics and their Sparkplug data types (parameters are all Double).
DEVICE_METRICS: Final[dict[str, DataType]] = {
    STATE: DataType.String,
    STOP_REASON: DataType.String,
    COUNTER_PROCESSED: DataType.UInt64,
    COUNTER_DEFECTIVE: DataType.UInt64,
}

# State -> OPC 40001-1 (OPC UA for Machinery) MachineryItemState and MachineryOperationMode,
# and the PackML state number of OPC 30060 TMC StateEnumeration (Stopped 0, Idle 2, Execute 4,
# Aborted 8, Suspended 12). Starved and blocked are PackML's Suspended (running, but held up by
# the stations around it); a failure is Aborted; setup and maintenance are done stopped.
MACHINERY_ITEM_STATE: Final = {
    "running": "Executing",
    "idle": "NotExecuting",
    "starved": "NotExecuting",
    "blocked": "NotExecuting",
    "setup": "NotExecuting",
    "stopped": "NotExecuting",
    "down": "OutOfService",
    "maintenance": "OutOfService",
    "off": "NotAvailable",
}
MACHINERY_OPERATION_MODE: Final = {
    "running": "Processing",
    "idle": "Processing",
    "starved": "Processing",
    "blocked": "Processing",
    "down": "Processing",
    "setup": "Setup",
    "maintenance": "Maintenance",
    "stopped": "None",
    "off": "None",
}
PACKML_STATE: Final = {
    "running": 4,
    "idle": 2,
    "starved": 12,
    "blocked": 12,
    "down": 8,
    "setup": 0,
    "maintenance": 0,
    "stopped": 0,
    "off": 0,
}

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MS: Final = timedelta(milliseconds=1)

#: The OPC UA namespace of the equipment address space (docs/sparkplug.md, "OPC UA").
OPCUA_NAMESPACE: Final = "urn:gigaline:equipment"

#: Per-unit JSON events of one station travel on ``gigaline/v1/<site>/<station>/events``.
EVENTS_SUBSCRIPTION: Final = "gigaline/v1/+/+/events"


def events_topic(site: str, station: str) -> str:
    """The MQTT topic of a station's JSON events."""
    return f"gigaline/v1/{site}/{station}/events"


def parse_events_topic(topic: str) -> tuple[str, str] | None:
    """(site, station) of an events topic, or None for any other topic."""
    parts = topic.split("/")
    if len(parts) == 5 and parts[0] == "gigaline" and parts[1] == "v1" and parts[4] == "events":
        return parts[2], parts[3]
    return None


def state_event_id(site: str, line: str, station: str, metric: str, ts_ms: int) -> str:
    """The deterministic id of the event a metric change makes.

    ``"eqp-"`` and the first 32 hex digits of the SHA-256 of
    ``"<site>/<line>/<station>/<metric>/<ts_ms>"`` (UTF-8): 36 characters whatever the names'
    length, the same for a replay or a second path to the same change.
    """
    key = f"{site}/{line}/{station}/{metric}/{ts_ms}".encode()
    return "eqp-" + hashlib.sha256(key).hexdigest()[:32]


def ms_of(ts: datetime) -> int:
    """Milliseconds since the epoch (rounded down) of an aware datetime: Sparkplug's time."""
    if ts.tzinfo is None:
        raise ValueError(f"timestamp {ts.isoformat()} has no time zone; give UTC")
    return (ts - _EPOCH) // _MS


def format_ts(ts_ms: int) -> str:
    """RFC 3339 UTC with milliseconds (``2026-11-28T08:00:00.000Z``) of epoch milliseconds."""
    seconds, ms = divmod(ts_ms, 1000)
    prefix = _prefix_of(seconds)
    return f"{prefix}.{ms:03d}Z"


@functools.lru_cache(maxsize=4096)
def _prefix_of(seconds: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS`` of epoch seconds (cached: events come in runs of a second)."""
    return (_EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")


def state_event(
    site: str, line: str, station: str, state: str, ts_ms: int, reason: str | None
) -> dict[str, object]:
    """The contract ``state`` event of a station's ``State`` change at ``ts_ms``."""
    event: dict[str, object] = {
        "id": state_event_id(site, line, station, STATE, ts_ms),
        "type": "state",
        "ts": format_ts(ts_ms),
        "site": site,
        "station": station,
        "state": state,
    }
    if reason:
        event["reason"] = reason[:256]
    return event
