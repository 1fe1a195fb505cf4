"""Virtual equipment (layer 2): what real machines would publish, driven by the twin.

- :mod:`gigaline.virtual.sparkplug`: a Sparkplug B 3.0 edge node per line, a device per
  station (:class:`~gigaline.virtual.sparkplug.EdgeNode`);
- :mod:`gigaline.virtual.outbox`: per-unit JSON events from a SQLite outbox at QoS 1
  (:class:`~gigaline.virtual.outbox.Outbox`, :class:`~gigaline.virtual.outbox.EventPublisher`);
- :mod:`gigaline.virtual.opcua`: an OPC UA server per line, an object per station
  (:class:`~gigaline.virtual.opcua.LineServer`);
- :mod:`gigaline.virtual.faults`: drop, duplicate, reorder and corrupt messages
  (:class:`~gigaline.virtual.faults.Faults`);
- :mod:`gigaline.virtual.clock`: the twin against a clock, real time or accelerated
  (:class:`~gigaline.virtual.clock.Clock`, :func:`~gigaline.virtual.clock.paced`).

Submodules are imported on demand (OPC UA and MQTT clients are not loaded by this package).
"""
