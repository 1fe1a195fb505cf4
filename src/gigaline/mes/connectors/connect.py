"""The MES side of a live line in one object: the Sparkplug host application, the event
subscriber (MQTT 5; ``mqtt5=False`` for a 3.1.1-only broker) and, where given, the OPC UA
client, all writing to one store
(``gigaline connect``, and ``gigaline run`` for the demo).

:meth:`MesConnectors.stop` is what SIGTERM and SIGINT do: the event subscriber commits and
acknowledges the batch in hand (what it had not acknowledged the broker delivers again on the
next start, thanks to the persistent session; the event ids make a repeat harmless), the host
application publishes its STATE offline (edge nodes that name it their primary host then buffer
until it is back) and commits what it has, and the OPC UA client commits what it has.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from gigaline.mes.connectors.sink import StoreSink

__all__ = ["ConnectorCounts", "MesConnectors"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConnectorCounts:
    """What the connectors took in since they started."""

    accepted: int
    duplicate: int
    rejected: int
    dead_letters: int


class MesConnectors:
    """Host application + event subscriber (+ OPC UA client) over one store."""

    def __init__(
        self,
        store: Any,
        broker: str,
        *,
        opcua: str | None = None,
        host_id: str = "gigaline-mes",
        client_id: str = "gigaline-mes-events",
        mqtt5: bool = True,
    ) -> None:
        from gigaline.mes.connectors.events import EventSubscriber
        from gigaline.mes.connectors.sparkplug import HostApplication

        self.sink = StoreSink(store)
        self.host = HostApplication(broker, host_id, self.sink, stations=self.sink.stations)
        self.events = EventSubscriber(broker, self.sink, client_id=client_id, mqtt5=mqtt5)
        self.opcua = None
        if opcua is not None:
            from gigaline.mes.connectors.opcua import OpcUaConnector

            self.opcua = OpcUaConnector(opcua, self.sink, stations=self.sink.stations)

    def start(self) -> None:
        self.host.start()
        self.events.start()
        if self.opcua is not None:
            self.opcua.start()

    def wait_connected(self, timeout_s: float = 10.0) -> bool:
        """Whether the host is online and the subscriber connected within ``timeout_s``."""
        return self.host.wait_online(timeout_s) and self.events.connected.wait(timeout_s)

    def stop(self) -> None:
        """Finish the batch in hand, commit, acknowledge, say goodbye (SIGTERM behaviour)."""
        self.events.stop()
        self.host.stop()
        if self.opcua is not None:
            self.opcua.stop()

    def counts(self) -> ConnectorCounts:
        b, e = self.host.batcher, self.events
        o = self.opcua.batcher if self.opcua is not None else None
        return ConnectorCounts(
            accepted=b.accepted + e.accepted + (o.accepted if o else 0),
            duplicate=b.duplicate + e.duplicate + (o.duplicate if o else 0),
            rejected=b.rejected + e.rejected + (o.rejected if o else 0),
            dead_letters=b.dead_letters + (o.dead_letters if o else 0),
        )
