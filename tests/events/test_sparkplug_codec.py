"""The Sparkplug B codec against the specification (Eclipse Sparkplug 3.0.0, chapters 4 and 6).

Wire bytes are checked against encodings composed here by hand from the protobuf encoding
rules (varint keys and lengths), so the oracle does not depend on the protobuf runtime.
"""

from __future__ import annotations

import math

import pytest

from gigaline.events.sparkplug import (
    DataType,
    Metric,
    Payload,
    SparkplugError,
    Topic,
    decode,
    decode_state,
    encode,
    encode_state,
    metric_of,
    parse,
    parse_topic,
    payload_of,
    state_topic,
    typed_value,
)
from gigaline.events.sparkplug import sparkplug_b_pb2 as pb


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(field: int, wire: int) -> bytes:
    return varint(field << 3 | wire)


def length_delimited(field: int, data: bytes) -> bytes:
    return key(field, 2) + varint(len(data)) + data


def test_spec_example_payload_wire_bytes() -> None:
    """The simple payload of section 6.4.2 ("My Metric", String "Test", seq 2)."""
    metric = (
        length_delimited(1, b"My Metric")
        + key(2, 0) + varint(1)
        + key(3, 0) + varint(1479123452194)
        + key(4, 0) + varint(12)
        + length_delimited(15, b"Test")
    )  # fmt: skip
    expected = key(1, 0) + varint(1486144502122) + length_delimited(2, metric) + key(3, 0) + b"\x02"
    payload = Payload(
        timestamp=1486144502122,
        seq=2,
        metrics=[
            Metric(
                name="My Metric",
                alias=1,
                timestamp=1479123452194,
                datatype=DataType.String,
                value="Test",
            )
        ],
    )
    assert encode(payload) == expected
    back = decode(expected)
    assert (back.timestamp, back.seq) == (1486144502122, 2)
    (m,) = back.metrics
    assert (m.name, m.alias, m.timestamp, m.datatype) == ("My Metric", 1, 1479123452194, 12)
    assert typed_value(m, m.datatype) == "Test"


ROUND_TRIP = [
    (DataType.Int8, -128), (DataType.Int8, 127), (DataType.Int16, -32768),
    (DataType.Int32, -(2**31)), (DataType.Int32, 2**31 - 1), (DataType.Int64, -(2**63)),
    (DataType.Int64, 2**63 - 1), (DataType.UInt8, 255), (DataType.UInt16, 65535),
    (DataType.UInt32, 2**32 - 1), (DataType.UInt64, 2**64 - 1), (DataType.Double, -1.5e300),
    (DataType.Boolean, True), (DataType.Boolean, False), (DataType.String, "Zellstapel ✓"),
    (DataType.Text, ""), (DataType.UUID, "0b7e7c64-1d0e-4c1b-9f3e-6f0c1f0e9a11"),
    (DataType.DateTime, 1_764_316_800_000), (DataType.Bytes, b"\x00\xff"),
]  # fmt: skip


@pytest.mark.parametrize(("dt", "value"), ROUND_TRIP)
def test_every_basic_type_round_trips(dt: DataType, value: object) -> None:
    data = encode(Payload(seq=0, metrics=[Metric(alias=7, timestamp=1, datatype=dt, value=value)]))  # type: ignore[arg-type]
    (m,) = decode(data).metrics
    assert typed_value(m, dt) == value


def test_float_is_single_precision() -> None:
    data = encode(Payload(metrics=[Metric(alias=1, datatype=DataType.Float, value=0.1)]))
    got = typed_value(decode(data).metrics[0], DataType.Float)
    assert isinstance(got, float) and got != 0.1 and math.isclose(got, 0.1, rel_tol=1e-7)


def test_signed_integers_travel_as_twos_complement() -> None:
    """6.4.17: Int8..Int32 in uint32, Int64 in uint64; Tahu writes Int8 -1 as 0xFFFFFFFF."""
    msg = pb.Payload()
    msg.metrics.add(alias=1, int_value=0xFFFFFFFF)  # Tahu's encoding of Int8 -1
    msg.metrics.add(alias=2, int_value=0xFF)  # the 8-bit encoding
    msg.metrics.add(alias=3, long_value=2**64 - 2)
    a, b, c = decode(msg.SerializeToString()).metrics
    assert typed_value(a, DataType.Int8) == -1
    assert typed_value(b, DataType.Int8) == -1
    assert typed_value(c, DataType.Int64) == -2
    out = pb.Payload.FromString(
        encode(Payload(metrics=[Metric(alias=1, datatype=DataType.Int16, value=-2)]))
    )
    assert out.metrics[0].int_value == 0xFFFFFFFE


def test_null_metric_has_no_value() -> None:
    data = encode(
        Payload(metrics=[Metric(name="p", alias=3, timestamp=5, datatype=DataType.Double)])
    )
    msg = pb.Payload.FromString(data)
    assert msg.metrics[0].is_null and msg.metrics[0].WhichOneof("value") is None
    m = decode(data).metrics[0]
    assert m.is_null and typed_value(m, DataType.Double) is None


def test_historical_flag_round_trips() -> None:
    data = encode(
        Payload(
            metrics=[Metric(alias=1, datatype=DataType.String, value="down", is_historical=True)]
        )
    )
    assert decode(data).metrics[0].is_historical


def test_value_in_the_wrong_field_is_a_wrong_type() -> None:
    data = encode(Payload(metrics=[Metric(alias=1, datatype=DataType.Double, value=1.0)]))
    m = decode(data).metrics[0]
    with pytest.raises(SparkplugError, match="datatype String travels in string_value"):
        typed_value(m, DataType.String)
    with pytest.raises(SparkplugError, match="not a Sparkplug data type"):
        typed_value(m, 99)


def test_integers_are_read_from_either_integer_field() -> None:
    """Tahu's JavaScript library writes UInt32 in long_value (the table says uint32)."""
    msg = pb.Payload()
    msg.metrics.add(alias=1, long_value=4_000_000_000)
    msg.metrics.add(alias=2, long_value=2**33)
    a, b = decode(msg.SerializeToString()).metrics
    assert typed_value(a, DataType.UInt32) == 4_000_000_000
    with pytest.raises(SparkplugError, match="does not fit UInt32"):
        typed_value(b, DataType.UInt32)


def test_out_of_range_values_are_refused() -> None:
    for dt, v in ((DataType.Int8, 128), (DataType.UInt8, -1), (DataType.UInt16, 65536)):
        with pytest.raises(SparkplugError, match="does not fit"):
            encode(Payload(metrics=[Metric(alias=1, datatype=dt, value=v)]))
    msg = pb.Payload()
    msg.metrics.add(alias=1, int_value=256)
    with pytest.raises(SparkplugError, match="does not fit UInt8"):
        typed_value(decode(msg.SerializeToString()).metrics[0], DataType.UInt8)


@pytest.mark.parametrize("garbage", [b"\xff\xff\xff\xff", b"\x12\x05ab", b"\x0a\xff\x01"])
def test_garbage_is_a_sparkplug_error(garbage: bytes) -> None:
    with pytest.raises(SparkplugError, match="not a Sparkplug B payload"):
        decode(garbage)


def test_datatype_enum_equals_the_schemas() -> None:
    assert {t.name: int(t) for t in DataType} == dict(pb.DataType.items())


def test_topics() -> None:
    """4.1: namespace/group_id/message_type/edge_node_id/[device_id]."""
    t = parse_topic("spBv1.0/S1/DDATA/line-1/coater-1")
    assert t == Topic("S1", "DDATA", "line-1", "coater-1")
    assert str(t) == "spBv1.0/S1/DDATA/line-1/coater-1"
    assert parse_topic("spBv1.0/S1/NBIRTH/line-1") == Topic("S1", "NBIRTH", "line-1")
    assert parse_topic("spBv1.0/STATE/mes") == "mes"
    assert state_topic("mes") == "spBv1.0/STATE/mes"
    # tck-id-topic-structure-namespace-device-id-associated-message-types / -non-associated
    for bad in ("spBv1.0/S1/DDATA/line-1", "spBv1.0/S1/NDATA/line-1/x", "spAv1.0/S1/NDATA/l",
                "spBv1.0/S1/XDATA/l", "spBv1.0//NDATA/l"):  # fmt: skip
        with pytest.raises(SparkplugError):
            parse_topic(bad)
    with pytest.raises(SparkplugError, match="without '\\+', '/' or '#'"):
        state_topic("a/b")


def test_state_payloads() -> None:
    """tck-id-host-topic-phid-birth-payload: JSON with online (bool) and timestamp (ms)."""
    assert encode_state(True, 1700000000000) == b'{"online":true,"timestamp":1700000000000}'
    s = decode_state(b'{"online": false, "timestamp": 5}')
    assert (s.online, s.timestamp) == (False, 5)
    assert decode_state(b"ONLINE").online  # Sparkplug 2.2 hosts
    for bad in (
        b"{}",
        b'{"online": 1, "timestamp": 5}',
        b"nope",
        b'{"online": true, "timestamp": true}',
    ):
        with pytest.raises(SparkplugError):
            decode_state(bad)


def test_parse_then_payload_of_is_decode() -> None:
    msg = pb.Payload(timestamp=5, seq=0)
    msg.metrics.add(alias=0, string_value="a")  # alias 0 is an alias; no timestamp: None
    msg.metrics.add(name="n", timestamp=7, datatype=DataType.Int8, int_value=0xFF)
    msg.metrics.add(alias=3, is_null=True, is_historical=True)
    data = msg.SerializeToString()
    parsed = parse(data)
    assert payload_of(parsed) == decode(data)
    assert [metric_of(m) for m in parsed.metrics] == decode(data).metrics
    assert decode(data).metrics[0].alias == 0 and decode(data).metrics[0].timestamp is None
    with pytest.raises(SparkplugError, match="not a Sparkplug B payload"):
        parse(b"\xff\xff\xff")
