"""Sparkplug B payloads: bytes <-> :class:`Payload` and :class:`Metric` (no I/O, no numpy).

The wire format is the protobuf schema ``sparkplug_b.proto`` beside this module (written from
Eclipse Sparkplug 3.0.0, chapter 6), compiled into ``sparkplug_b_pb2``. This module adds what
the schema cannot say:

- the Sparkplug data type of a metric decides which protobuf field carries its value
  (specification 6.4.17): signed integers travel as two's complement in ``uint32`` /
  ``uint64`` fields and are sign-extended here by their declared width (Eclipse Tahu writes
  ``Int8 -1`` as ``0xFFFFFFFF``, others as ``0xFF``: both read back as -1);
- a data message (NDATA, DDATA) names its metrics by alias only and leaves out their data
  type (the birth gave both), so :func:`decode` keeps the raw field (:attr:`Metric.kind`,
  :attr:`Metric.raw`) and :func:`typed_value` reads it once the data type is known; a value
  in the wrong field for the type is a :class:`SparkplugError`.

Performance: both directions go straight through the protobuf runtime's C implementation
(upb) with one Python object per metric (:func:`parse` makes none: a receiver's hot path reads
the parsed message's fields itself); ``benchmarks/bench_sparkplug.py`` measures them
against protobuf's own generic encode and decode of the same message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Final, cast

from google.protobuf.message import DecodeError, EncodeError

from gigaline.errors import GigalineError
from gigaline.events.sparkplug import sparkplug_b_pb2 as pb

__all__ = [
    "DataType",
    "Metric",
    "MetricValue",
    "Payload",
    "SparkplugError",
    "decode",
    "encode",
    "metric_of",
    "parse",
    "payload_of",
    "typed_value",
    "value_reader",
]

MetricValue = int | float | bool | str | bytes | None


class SparkplugError(GigalineError):
    """A payload that cannot be decoded, or a value that does not fit its data type."""


class DataType(IntEnum):
    """Sparkplug data type codes (specification 6.4.16), as in ``sparkplug_b.proto``."""

    Unknown = 0
    Int8 = 1
    Int16 = 2
    Int32 = 3
    Int64 = 4
    UInt8 = 5
    UInt16 = 6
    UInt32 = 7
    UInt64 = 8
    Float = 9
    Double = 10
    Boolean = 11
    String = 12
    DateTime = 13
    Text = 14
    UUID = 15
    DataSet = 16
    Bytes = 17
    File = 18
    Template = 19
    PropertySet = 20
    PropertySetList = 21
    Int8Array = 22
    Int16Array = 23
    Int32Array = 24
    Int64Array = 25
    UInt8Array = 26
    UInt16Array = 27
    UInt32Array = 28
    UInt64Array = 29
    FloatArray = 30
    DoubleArray = 31
    BooleanArray = 32
    StringArray = 33
    DateTimeArray = 34


#: Data type -> the protobuf field of ``Metric.value`` that carries it (6.4.17).
FIELD: Final[dict[DataType, str]] = {
    DataType.Int8: "int_value",
    DataType.Int16: "int_value",
    DataType.Int32: "int_value",
    DataType.UInt8: "int_value",
    DataType.UInt16: "int_value",
    DataType.UInt32: "int_value",
    DataType.Int64: "long_value",
    DataType.UInt64: "long_value",
    DataType.DateTime: "long_value",
    DataType.Float: "float_value",
    DataType.Double: "double_value",
    DataType.Boolean: "boolean_value",
    DataType.String: "string_value",
    DataType.Text: "string_value",
    DataType.UUID: "string_value",
    DataType.Bytes: "bytes_value",
    DataType.File: "bytes_value",
}
for _t in range(DataType.Int8Array, DataType.DateTimeArray + 1):
    FIELD[DataType(_t)] = "bytes_value"

#: Signed integer types: bit width (values are sign-extended from it on decode).
_SIGNED: Final = {DataType.Int8: 8, DataType.Int16: 16, DataType.Int32: 32, DataType.Int64: 64}
#: Unsigned integer types: bit width (values must fit).
_UNSIGNED: Final = {
    DataType.UInt8: 8,
    DataType.UInt16: 16,
    DataType.UInt32: 32,
    DataType.UInt64: 64,
    DataType.DateTime: 64,
}
_KNOWN_TYPES: Final = frozenset(int(t) for t in DataType)
# An integer is read from either integer field: Eclipse Tahu's JavaScript payload library puts
# UInt32 in long_value, where the specification's table says uint32 (6.4.17). The value must
# still fit the type.
_INTEGER_FIELDS: Final = frozenset({"int_value", "long_value"})


@dataclass(slots=True)
class Metric:
    """One metric of a payload.

    Built by a publisher with a ``value`` of its ``datatype``; decoded with ``kind`` and
    ``raw`` (the protobuf value field and its content) and ``datatype`` where the message
    carried one (births do, data messages need not). Use :func:`typed_value` to read it.
    """

    name: str | None = None
    alias: int | None = None
    timestamp: int | None = None  # [ms since the epoch, UTC]
    datatype: DataType | int | None = None
    value: MetricValue = None
    is_historical: bool = False
    is_transient: bool = False
    is_null: bool = False
    kind: str | None = None  # decoded: which value field was set (None: no value)
    raw: object = None  # decoded: that field's content


@dataclass(slots=True)
class Payload:
    """A Sparkplug B payload: send time, metrics and the message sequence number."""

    timestamp: int | None = None  # [ms since the epoch, UTC]
    metrics: list[Metric] = field(default_factory=list)
    seq: int | None = None  # 0-255
    uuid: str | None = None
    body: bytes | None = None


def encode(payload: Payload, with_datatypes: bool = True) -> bytes:
    """The protobuf bytes of ``payload``; each metric's ``value`` goes in its type's field.

    ``with_datatypes=False`` leaves the data types off the wire (they still choose the value
    field), as data and command messages should (tck-id-payloads-metric-datatype-not-req).
    """
    msg = pb.Payload()
    if payload.timestamp is not None:
        msg.timestamp = payload.timestamp
    if payload.seq is not None:
        msg.seq = payload.seq
    if payload.uuid is not None:
        msg.uuid = payload.uuid
    if payload.body is not None:
        msg.body = payload.body
    _add_metrics(msg, payload.metrics, with_datatypes)
    try:
        return msg.SerializeToString()
    except EncodeError as exc:  # pragma: no cover - every field set above is optional
        raise SparkplugError(f"cannot encode payload: {exc}") from exc


def _add_metrics(msg: pb.Payload, metrics: Iterable[Metric], with_datatypes: bool) -> None:
    add = msg.metrics.add
    for m in metrics:
        out = add()
        if m.name is not None:
            out.name = m.name
        if m.alias is not None:
            out.alias = m.alias
        if m.timestamp is not None:
            out.timestamp = m.timestamp
        dt = m.datatype
        if dt is not None and with_datatypes:
            out.datatype = dt
        if m.is_historical:
            out.is_historical = True
        if m.is_transient:
            out.is_transient = True
        if m.is_null or m.value is None:
            if m.value is None:
                out.is_null = True
            continue
        if dt is None:
            raise SparkplugError(f"metric {m.name or m.alias!r}: a value needs a datatype")
        _set_value(out, DataType(dt), m.value, m.name or m.alias)


def _set_value(out: pb.Payload.Metric, dt: DataType, value: MetricValue, who: object) -> None:
    name = FIELD.get(dt)
    if name is None:
        raise SparkplugError(f"metric {who!r}: datatype {dt.name} is not supported by encode")
    try:
        if dt in _SIGNED:
            width = _SIGNED[dt]
            v = int(value)  # type: ignore[arg-type]
            if not -(1 << (width - 1)) <= v < (1 << (width - 1)):
                raise ValueError(f"{v} does not fit {dt.name}")
            setattr(out, name, v & (0xFFFFFFFF if width <= 32 else 0xFFFFFFFFFFFFFFFF))
        elif dt in _UNSIGNED:
            v = int(value)  # type: ignore[arg-type]
            if not 0 <= v < (1 << _UNSIGNED[dt]):
                raise ValueError(f"{v} does not fit {dt.name}")
            setattr(out, name, v)
        else:
            setattr(out, name, value)
    except (TypeError, ValueError) as exc:
        raise SparkplugError(f"metric {who!r}: value {value!r} is not a {dt.name}: {exc}") from exc


def decode(data: bytes) -> Payload:
    """Parse protobuf bytes into a :class:`Payload` (metrics keep their raw value field).

    Raises :class:`SparkplugError` for bytes that are not a Sparkplug B payload. Bytes that
    parse as protobuf but break Sparkplug's rules (no ``seq``, unknown alias, ...) are the
    receiver's to judge: they depend on the message type and the session.
    """
    return payload_of(parse(data))


def parse(data: bytes) -> pb.Payload:
    """The protobuf message of ``data``, without a :class:`Metric` per metric (a receiver's
    hot path reads the fields it needs; :func:`payload_of` and :func:`metric_of` turn the
    message or one metric into what :func:`decode` gives). :class:`SparkplugError` as
    :func:`decode`."""
    msg = pb.Payload()
    try:
        msg.ParseFromString(data)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise SparkplugError(f"not a Sparkplug B payload: {exc}") from exc
    return msg


def payload_of(msg: pb.Payload) -> Payload:
    """The :class:`Payload` of a parsed message (:func:`parse`): what :func:`decode` gives."""
    return Payload(
        timestamp=msg.timestamp if msg.HasField("timestamp") else None,
        seq=msg.seq if msg.HasField("seq") else None,
        uuid=msg.uuid if msg.HasField("uuid") else None,
        body=msg.body if msg.HasField("body") else None,
        metrics=[metric_of(m) for m in msg.metrics],
    )


def metric_of(m: pb.Payload.Metric) -> Metric:
    """The :class:`Metric` of one parsed metric. An empty name, a zero timestamp or the
    Unknown (0) datatype carry nothing, so they read as absent; alias 0 is an alias."""
    kind = m.WhichOneof("value")
    alias = m.alias
    return Metric(
        m.name or None,
        alias if alias or m.HasField("alias") else None,
        m.timestamp or None,
        m.datatype or None,
        None,
        m.is_historical,
        m.is_transient,
        m.is_null,
        kind,
        None if kind is None else getattr(m, kind),
    )


def typed_value(metric: Metric, datatype: int) -> MetricValue:
    """The value of a decoded ``metric`` read as ``datatype`` (None when it is null).

    Raises :class:`SparkplugError` when the value sits in another field than the type's (a
    metric of the wrong type) or the data type is not one Sparkplug defines.
    """
    reader = _READERS.get(datatype)
    if reader is None:
        if datatype not in _KNOWN_TYPES:
            raise SparkplugError(f"datatype {datatype} is not a Sparkplug data type (0-34)")
        raise SparkplugError(
            f"datatype {DataType(datatype).name} values are not read by this codec"
        )
    if metric.is_null or metric.kind is None:
        return None
    expected, signed, unsigned = reader
    kind = metric.kind
    raw = metric.raw
    if kind != expected and not ((signed or unsigned) and kind in _INTEGER_FIELDS):
        name = DataType(datatype).name
        raise SparkplugError(f"value in {kind}, but datatype {name} travels in {expected}")
    if signed:
        v = cast(int, raw) & ((1 << signed) - 1)
        return v - (1 << signed) if v >> (signed - 1) else v
    if unsigned and cast(int, raw) >= (1 << unsigned):
        raise SparkplugError(f"value {raw} does not fit {DataType(datatype).name}")
    return cast(MetricValue, raw)


def value_reader(datatype: int) -> tuple[str, int, int] | None:
    """How :func:`typed_value` reads ``datatype``: (value field, signed width, unsigned width),
    or None for a type it does not read. For a receiver that checks many values of one
    metric: a value in that field, not null, of a type with both widths 0 (or an unsigned
    integer below ``1 << width``), is ``typed_value``'s answer as it is (``Metric.raw``)."""
    return _READERS.get(datatype)


#: datatype code -> (value field, signed width, unsigned width): typed_value's one lookup.
_READERS: Final[dict[int, tuple[str, int, int]]] = {
    int(dt): (name, _SIGNED.get(dt, 0), _UNSIGNED.get(dt, 0)) for dt, name in FIELD.items()
}
