"""MES connectors (layer 2): equipment data in, contract events and dead letters out.

- :mod:`gigaline.mes.connectors.sparkplug`: the Sparkplug B 3.0 host application
  (:class:`~gigaline.mes.connectors.sparkplug.HostApplication`);
- :mod:`gigaline.mes.connectors.events`: the QoS 1 subscriber to per-unit JSON events, which
  acknowledges after the commit (:class:`~gigaline.mes.connectors.events.EventSubscriber`);
- :mod:`gigaline.mes.connectors.opcua`: the OPC UA client connector
  (:class:`~gigaline.mes.connectors.opcua.OpcUaConnector`);
- :mod:`gigaline.mes.connectors.sink`: where they hand their batches (:class:`Sink`,
  :class:`StoreSink` over today's store, :class:`DeadLetter`, the writer :class:`Batcher`).

``docs/sparkplug.md`` describes the protocols and the contract. The connector modules load
their clients (paho-mqtt, asyncua) only when imported.
"""

from gigaline.mes.connectors.sink import Batcher, DeadLetter, Sink, StoreSink, SubmitResult

__all__ = ["Batcher", "DeadLetter", "Sink", "StoreSink", "SubmitResult"]
