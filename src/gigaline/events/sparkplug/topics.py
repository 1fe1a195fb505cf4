"""The Sparkplug B topic namespace and the host application's STATE messages (3.0.0, ch. 4).

Topics are ``spBv1.0/<group_id>/<message_type>/<edge_node_id>[/<device_id>]``; a host
application's state is on ``spBv1.0/STATE/<host_id>`` as JSON ``{"online": bool,
"timestamp": ms}`` (3.0; 2.2 used the bare strings ONLINE / OFFLINE on ``STATE/<host_id>``).
Identifiers are UTF-8 without ``+``, ``/`` or ``#`` (tck-id-topic-structure-namespace-valid-*).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

from gigaline.events.sparkplug.codec import SparkplugError

__all__ = [
    "DEVICE_TYPES",
    "MESSAGE_TYPES",
    "NAMESPACE",
    "NODE_TYPES",
    "HostState",
    "Topic",
    "check_id",
    "decode_state",
    "encode_state",
    "parse_topic",
    "state_topic",
]

NAMESPACE: Final = "spBv1.0"
NODE_TYPES: Final = frozenset({"NBIRTH", "NDEATH", "NDATA", "NCMD"})
DEVICE_TYPES: Final = frozenset({"DBIRTH", "DDEATH", "DDATA", "DCMD"})
MESSAGE_TYPES: Final = NODE_TYPES | DEVICE_TYPES
_RESERVED: Final = frozenset("+/#")


def check_id(kind: str, value: str) -> str:
    """``value`` as a group, edge node, device or host id, or :class:`SparkplugError`."""
    if not value or any(c in _RESERVED for c in value):
        raise SparkplugError(
            f"{kind}: {value!r} is not a Sparkplug id (a non-empty UTF-8 string without "
            "'+', '/' or '#')"
        )
    return value


@dataclass(frozen=True, slots=True)
class Topic:
    """A Sparkplug topic: group, message type, edge node and (device messages) device."""

    group: str
    message_type: str
    edge_node: str
    device: str | None = None

    def __str__(self) -> str:
        base = f"{NAMESPACE}/{self.group}/{self.message_type}/{self.edge_node}"
        return base if self.device is None else f"{base}/{self.device}"


def parse_topic(topic: str) -> Topic | str:
    """A data topic as :class:`Topic`, a STATE topic as its host id; else SparkplugError."""
    parts = topic.split("/")
    if len(parts) < 3 or parts[0] != NAMESPACE:
        raise SparkplugError(f"topic {topic!r}: not in the {NAMESPACE} namespace")
    if parts[1] == "STATE":
        if len(parts) != 3 or not parts[2]:
            raise SparkplugError(f"topic {topic!r}: a STATE topic is {NAMESPACE}/STATE/<host_id>")
        return parts[2]
    kind = parts[2]
    if kind in NODE_TYPES and len(parts) == 4 and parts[1] and parts[3]:
        return Topic(parts[1], kind, parts[3])
    if kind in DEVICE_TYPES and len(parts) == 5 and parts[1] and parts[3] and parts[4]:
        return Topic(parts[1], kind, parts[3], parts[4])
    raise SparkplugError(
        f"topic {topic!r}: expected {NAMESPACE}/<group>/<NBIRTH|NDEATH|NDATA|NCMD>/<edge_node> "
        "or .../<DBIRTH|DDEATH|DDATA|DCMD>/<edge_node>/<device>"
    )


def state_topic(host_id: str) -> str:
    """The STATE topic of a host application (tck-id-host-topic-phid-birth-topic)."""
    return f"{NAMESPACE}/STATE/{check_id('host_id', host_id)}"


@dataclass(frozen=True, slots=True)
class HostState:
    """A host application's STATE: online or not, as of ``timestamp`` [ms, UTC]."""

    online: bool
    timestamp: int


def encode_state(online: bool, timestamp: int) -> bytes:
    """The STATE payload (tck-id-host-topic-phid-birth-payload / -death-payload)."""
    return json.dumps({"online": online, "timestamp": timestamp}, separators=(",", ":")).encode()


def decode_state(data: bytes) -> HostState:
    """Parse a STATE payload; a 2.2 ``ONLINE`` / ``OFFLINE`` string gives timestamp 0."""
    text = data.decode("utf-8", errors="replace").strip()
    if text in ("ONLINE", "OFFLINE"):
        return HostState(text == "ONLINE", 0)
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise SparkplugError(f"STATE payload is not JSON: {exc}") from exc
    if (
        not isinstance(obj, dict)
        or not isinstance(obj.get("online"), bool)
        or not isinstance(obj.get("timestamp"), int)
        or isinstance(obj.get("timestamp"), bool)
    ):
        raise SparkplugError(
            f'STATE payload {text[:80]!r}: expected {{"online": true|false, "timestamp": ms}}'
        )
    return HostState(obj["online"], obj["timestamp"])
