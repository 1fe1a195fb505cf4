"""The event contract and the equipment protocols' pure parts (layer 0: no I/O, no numpy).

- :mod:`gigaline.events.sparkplug`: the Sparkplug B 3.0 payload codec and topic namespace;
- :mod:`gigaline.events.equipment`: the metric contract shared by the virtual equipment and
  the MES connectors (names, data types, OPC 40001 / PackML states, deterministic event ids);
- :mod:`gigaline.events.broker`: broker addresses (``mqtt://host:port``).
"""
