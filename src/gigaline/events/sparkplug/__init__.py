"""Sparkplug B 3.0 (Eclipse Sparkplug 3.0.0): payload codec, topics and STATE messages.

Pure (no I/O, no numpy): protobuf's C runtime only. :func:`encode` / :func:`decode` turn a
:class:`Payload` into bytes and back; :func:`typed_value` reads a decoded metric by its data
type; :func:`parse_topic` and :class:`Topic` speak the topic namespace; :func:`encode_state`
and :func:`decode_state` the host application's STATE payload. The schema is
``sparkplug_b.proto`` beside this file, written from the specification's tables.
"""

from gigaline.events.sparkplug.codec import (
    DataType,
    Metric,
    MetricValue,
    Payload,
    SparkplugError,
    decode,
    encode,
    metric_of,
    parse,
    payload_of,
    typed_value,
    value_reader,
)
from gigaline.events.sparkplug.topics import (
    NAMESPACE,
    HostState,
    Topic,
    check_id,
    decode_state,
    encode_state,
    parse_topic,
    state_topic,
)

__all__ = [
    "NAMESPACE",
    "DataType",
    "HostState",
    "Metric",
    "MetricValue",
    "Payload",
    "SparkplugError",
    "Topic",
    "check_id",
    "decode",
    "decode_state",
    "encode",
    "encode_state",
    "metric_of",
    "parse",
    "parse_topic",
    "payload_of",
    "state_topic",
    "typed_value",
    "value_reader",
]
