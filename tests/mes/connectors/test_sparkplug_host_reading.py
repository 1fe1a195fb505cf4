"""The host's reading of DDATA straight from the parsed protobuf message (no broker): the
same values, events and dead letters as reading the decoded :class:`Metric` objects.

Edge cases of the wire the fast path must read as :func:`~gigaline.events.sparkplug.decode`
does: alias 0 (set, so an alias), a metric named but without alias, a zero metric timestamp
(the payload's), a null value, an unsigned value that does not fit, a value in another field.
"""

from __future__ import annotations

import json
from typing import Any

from gigaline.events.equipment import MACHINE_STATES
from gigaline.events.sparkplug import DataType, Metric, Payload, encode
from gigaline.events.sparkplug import sparkplug_b_pb2 as pb
from gigaline.mes.connectors.sink import DeadLetter
from gigaline.mes.connectors.sparkplug import HostApplication

T0 = 1_764_316_800_000
NS = "spBv1.0/site"


class _Msg:
    def __init__(self, topic: str, payload: bytes) -> None:
        self.topic, self.payload = topic, payload


class _NoSink:
    def submit(self, events: Any) -> Any:  # pragma: no cover - the batcher is not started
        raise AssertionError

    def dead_letter(self, letters: Any) -> None:  # pragma: no cover
        raise AssertionError


def _host() -> tuple[HostApplication, list[bytes], list[DeadLetter]]:
    host = HostApplication("mqtt://127.0.0.1:1", "t", _NoSink())
    events: list[bytes] = []
    letters: list[DeadLetter] = []

    def add(ev: Any = (), le: Any = ()) -> None:
        events.extend(ev)
        letters.extend(le)

    host.batcher.add = add  # type: ignore[method-assign]
    return host, events, letters


def _send(host: HostApplication, kind: str, device: str | None, payload: bytes) -> None:
    topic = f"{NS}/{kind}/edge" + (f"/{device}" if device else "")
    host._on_message(None, None, _Msg(topic, payload))  # type: ignore[arg-type]


def _born() -> tuple[HostApplication, list[bytes], list[DeadLetter]]:
    host, events, letters = _host()
    _send(host, "NBIRTH", None, encode(Payload(timestamp=T0, seq=0, metrics=[
        Metric("bdSeq", 1, T0, DataType.Int64, 0)])))  # fmt: skip
    _send(host, "DBIRTH", "st-1", encode(Payload(timestamp=T0, seq=1, metrics=[
        Metric("State", 0, T0, DataType.String, "idle"),
        Metric("StopReason", 5, T0, DataType.String, ""),
        Metric("Counters/Small", 6, T0, DataType.UInt8, 0),
        Metric("Parameters/p_mm", 7, T0, DataType.Double, 1.0),
        Metric("Named", None, T0, DataType.Int32, 0)])))  # fmt: skip
    return host, events, letters


def _metrics(host: HostApplication) -> dict[str, Any]:
    return host.snapshot()["site/edge"]["devices"]["st-1"]["metrics"]  # type: ignore[no-any-return]


def test_alias_zero_named_metric_and_payload_timestamp() -> None:
    host, events, letters = _born()
    msg = pb.Payload(timestamp=T0 + 50, seq=2)
    msg.metrics.add(alias=0, string_value="running")  # alias 0, no timestamp: the payload's
    msg.metrics.add(alias=5, timestamp=T0 + 40, string_value="")
    msg.metrics.add(name="Named", timestamp=T0 + 45, int_value=0xFFFFFFFF)  # Int32 -1
    msg.metrics.add(alias=7, timestamp=T0 + 45, is_null=True)
    _send(host, "DDATA", "st-1", msg.SerializeToString())
    assert letters == []
    state = json.loads(events[-1])
    assert (state["state"], state["ts"]) == ("running", "2025-11-28T08:00:00.050Z")
    got = _metrics(host)
    assert got["State"] == {"value": "running", "ts": T0 + 50, "stale": False}
    assert got["Named"] == {"value": -1, "ts": T0 + 45, "stale": False}
    assert got["Parameters/p_mm"] == {"value": None, "ts": T0 + 45, "stale": False}
    assert host.stats["rebirth_requests"] == 0


def test_values_that_do_not_fit_or_sit_in_another_field_are_dead_letters() -> None:
    host, events, letters = _born()
    msg = pb.Payload(timestamp=T0 + 50, seq=2)
    msg.metrics.add(alias=6, timestamp=T0 + 50, int_value=300)  # UInt8: does not fit
    msg.metrics.add(alias=7, timestamp=T0 + 50, string_value="1.5")  # Double in a string
    msg.metrics.add(alias=0, timestamp=T0 + 50, string_value="dancing")  # not a state
    raw = msg.SerializeToString()
    _send(host, "DDATA", "st-1", raw)
    (letter,) = letters
    assert letter.raw == raw and letter.source == f"{NS}/DDATA/edge/st-1"
    assert letter.reason == (
        "metric 'Counters/Small': value 300 does not fit UInt8; "
        "metric 'Parameters/p_mm': value in string_value, but datatype Double travels in "
        "double_value; metric 'State': 'dancing' is not one of " + ", ".join(MACHINE_STATES)
    )
    assert len(events) == 1  # the birth's state only
    got = _metrics(host)
    assert got["Counters/Small"]["value"] == 0 and got["Parameters/p_mm"]["value"] == 1.0


def test_unknown_alias_asks_for_a_rebirth() -> None:
    host, _events, letters = _born()
    sent: list[str] = []
    host._client.publish = lambda topic, *a, **k: sent.append(topic)  # type: ignore[assignment,method-assign]
    msg = pb.Payload(timestamp=T0 + 50, seq=2)
    msg.metrics.add(alias=99, timestamp=T0 + 50, string_value="x")
    _send(host, "DDATA", "st-1", msg.SerializeToString())
    assert (letters, sent, host.stats["rebirth_requests"]) == ([], [f"{NS}/NCMD/edge"], 1)
