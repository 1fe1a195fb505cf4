"""The virtual edge node against Eclipse Sparkplug 3.0.0, keyed by the rules' tck ids.

Each test starts its own Mosquitto (tests/_mosquitto.py) and watches the node with a plain
MQTT client subscribed at QoS 1, so the QoS of what it receives is the publisher's.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from gigaline.events.equipment import BDSEQ, NODE_REBIRTH, STATE, STOP_REASON
from gigaline.events.sparkplug import DataType, Metric, Payload, decode, encode, typed_value
from gigaline.virtual.faults import Faults
from gigaline.virtual.sparkplug import DeviceSpec, EdgeNode
from tests._spy import Spy, wait_until

T0 = 1_764_316_800_000  # 2025-11-28T08:00:00Z
DEVICES = {"stack-1": DeviceSpec(("stack_force_n",)), "fill-1": DeviceSpec(state="off")}


@pytest.fixture
def node_and_spy(mosquitto: Any) -> Any:
    spy = Spy(mosquitto.port, "spBv1.0/#")
    node = EdgeNode(mosquitto.url, "S1", "line-1", DEVICES, start_ms=T0)
    node.start()
    assert node.wait_online()
    yield node, spy
    node.stop()
    spy.close()


def historical(spy: Spy) -> list[int]:
    """Timestamps of the historical metrics the spy received."""
    return [
        m.timestamp or 0
        for d in spy.of("/DDATA/")
        for m in decode(d.payload).metrics
        if m.is_historical
    ]


def births(spy: Spy) -> list[Payload]:
    return [decode(m.payload) for m in spy.of("/NBIRTH/")]


def test_birth_sequence(node_and_spy: Any) -> None:
    node, spy = node_and_spy
    assert spy.wait(lambda: len(spy.of("/DBIRTH/")) == 2)
    (nb_msg,) = spy.of("/NBIRTH/")
    nb = decode(nb_msg.payload)
    # tck-id-topics-nbirth-mqtt: QoS 0, not retained; tck-id-payloads-nbirth-seq: seq 0
    assert (nb_msg.qos, nb_msg.retain, nb.seq) == (0, False, 0)
    assert nb.timestamp is not None  # tck-id-payloads-nbirth-timestamp
    by_name = {m.name: m for m in nb.metrics}
    # tck-id-topics-nbirth-bdseq-included, tck-id-topics-nbirth-rebirth-metric
    assert typed_value(by_name[BDSEQ], DataType.Int64) == node.bdseq == 0
    assert by_name[NODE_REBIRTH].datatype == DataType.Boolean
    assert typed_value(by_name[NODE_REBIRTH], DataType.Boolean) is False
    dbirths = [decode(m.payload) for m in spy.of("/DBIRTH/")]
    assert [d.seq for d in dbirths] == [1, 2]  # tck-id-payloads-dbirth-seq-inc
    aliases = [m.alias for m in nb.metrics] + [m.alias for d in dbirths for m in d.metrics]
    assert len(set(aliases)) == len(aliases)  # tck-id-payloads-alias-uniqueness
    stack = {m.name: m for m in dbirths[0].metrics}
    assert set(stack) == {STATE, STOP_REASON, "Counters/Processed", "Counters/Defective",
                          "Parameters/stack_force_n"}  # fmt: skip
    for m in dbirths[0].metrics:  # tck-id-payloads-alias-birth-requirement, -datatype-req
        assert m.name and m.alias is not None and m.datatype is not None
        assert m.timestamp == T0  # the time the initial value holds from
    assert typed_value(stack[STATE], DataType.String) == "idle"
    assert stack["Counters/Processed"].datatype == DataType.UInt64
    assert stack["Parameters/stack_force_n"].is_null  # no value yet: null, typed Double
    fill = {m.name: m for m in dbirths[1].metrics}
    assert typed_value(fill[STATE], DataType.String) == "off"


def test_ddata_by_exception_with_aliases_and_seq_wrapping(node_and_spy: Any) -> None:
    node, spy = node_and_spy
    aliases = node.aliases("stack-1")
    n = 300  # more than 256 messages: seq wraps 255 -> 0
    for i in range(1, n + 1):
        assert node.update("stack-1", T0 + i * 1000, processed=i, state="running") >= 1
    assert node.update("stack-1", T0 + 999_000, processed=n, state="running") == 0  # no change
    assert spy.wait(lambda: len(spy.of("/DDATA/")) == n)
    ddata = [decode(m.payload) for m in spy.of("/DDATA/")]
    # tck-id-payloads-sequence-num-incrementing: +1 per message after the DBIRTHs, 255 -> 0
    assert [d.seq for d in ddata] == [(3 + i) % 256 for i in range(n)]
    assert {m.qos for m in spy.of("/DDATA/")} == {0}  # tck-id-payloads-ddata-qos
    first = ddata[0]
    # a State change carries the standing StopReason with the same timestamp
    assert {m.alias for m in first.metrics} == {
        aliases[STATE],
        aliases[STOP_REASON],
        aliases["Counters/Processed"],
    }
    for d in ddata:  # tck-id-payloads-alias-data-cmd-requirement; -name-birth-data-requirement
        assert all(m.name is None and m.timestamp for m in d.metrics)
        # datatypes stay (a SHOULD NOT of the spec, kept for Tahu's decoder: docs/sparkplug.md)
        assert all(m.datatype is not None for m in d.metrics)
    # only the counter changes after the first message (report by exception)
    assert all(len(d.metrics) == 1 for d in ddata[1:])
    last = ddata[-1].metrics[0]
    assert (typed_value(last, DataType.UInt64), last.timestamp) == (n, T0 + n * 1000)


def test_timestamps_of_a_metric_strictly_increase(node_and_spy: Any) -> None:
    node, _spy = node_and_spy
    node.update("stack-1", T0 + 5, state="down")
    node.update("stack-1", T0 + 5, state="running")  # same millisecond
    assert node.value("stack-1", STATE) == ("running", T0 + 6)


def test_rebirth_request_is_honoured(node_and_spy: Any) -> None:
    """tck-id-operational-behavior-data-commands-rebirth-action-1..3."""
    node, spy = node_and_spy
    assert spy.wait(lambda: len(spy.of("/DBIRTH/")) == 2)
    node.update("stack-1", T0 + 1000, state="down", stop_reason="jam")
    ts = T0 + 2000
    cmd = Payload(timestamp=ts, metrics=[Metric(NODE_REBIRTH, None, ts, DataType.Boolean, True)])
    spy.publish("spBv1.0/S1/NCMD/line-1", encode(cmd))
    assert spy.wait(lambda: len(spy.of("/NBIRTH/")) == 2 and len(spy.of("/DBIRTH/")) == 4)
    first, second = births(spy)
    bd = [
        typed_value(next(m for m in b.metrics if m.name == BDSEQ), DataType.Int64)
        for b in (first, second)
    ]
    assert bd == [0, 0]  # the same session: the same bdSeq
    assert second.seq == 0
    stack = decode([m for m in spy.of("/DBIRTH/") if m.topic.endswith("/stack-1")][-1].payload)
    state = next(m for m in stack.metrics if m.name == STATE)
    assert (typed_value(state, DataType.String), state.timestamp) == ("down", T0 + 1000)
    # the change since the window opened is sent again as historical data
    assert spy.wait(
        lambda: any(m.is_historical for d in spy.of("/DDATA/") for m in decode(d.payload).metrics)
    )
    assert node.rebirth_requests == 1


def test_will_bdseq_and_reconnect(node_and_spy: Any) -> None:
    """tck-id-payloads-ndeath-will-message-qos, -ndeath-seq, -ndeath-bdseq,
    tck-id-topics-nbirth-bdseq-increment."""
    node, spy = node_and_spy
    node.crash()
    assert spy.wait(lambda: len(spy.of("/NDEATH/")) == 1 and len(spy.of("/NBIRTH/")) == 2)
    (death_msg,) = spy.of("/NDEATH/")
    death = decode(death_msg.payload)
    assert death_msg.qos == 1 and not death_msg.retain and death.seq is None
    (bd,) = death.metrics  # tck-id-topics-ndeath-payload: only bdSeq
    assert bd.name == BDSEQ and typed_value(bd, DataType.Int64) == 0
    second = births(spy)[1]
    assert typed_value(next(m for m in second.metrics if m.name == BDSEQ), DataType.Int64) == 1
    assert node.bdseq == 1


def test_stop_publishes_the_death_certificate(mosquitto: Any) -> None:
    """tck-id-operational-behavior-edge-node-intentional-disconnect-ndeath."""
    spy = Spy(mosquitto.port, "spBv1.0/#")
    node = EdgeNode(mosquitto.url, "S1", "line-1", DEVICES)
    node.start()
    assert node.wait_online()
    node.stop()
    assert spy.wait(lambda: len(spy.of("/NDEATH/")) == 1)
    spy.close()


def test_bdseq_is_kept_across_restarts_and_wraps(mosquitto: Any, tmp_path: Path) -> None:
    """tck-id-payloads-nbirth-bdseq-inc: one more per new session, 255 -> 0."""
    state = tmp_path / "bdseq.json"
    state.write_text(json.dumps({"bdSeq": 254}))
    spy = Spy(mosquitto.port, "spBv1.0/#")
    for expected in (255, 0):
        node = EdgeNode(mosquitto.url, "S1", "line-1", DEVICES, bdseq_file=state)
        node.start()
        assert node.wait_online()
        assert node.bdseq == expected
        node.stop()
    values = [
        typed_value(next(m for m in b.metrics if m.name == BDSEQ), DataType.Int64)
        for b in births(spy)
    ]
    assert values == [255, 0]
    spy.close()


def test_waits_for_the_primary_host_and_buffers_while_it_is_offline(mosquitto: Any) -> None:
    """tck-id-message-flow-edge-node-birth-publish-subscribe: births only after STATE online."""
    spy = Spy(mosquitto.port, "spBv1.0/#")
    node = EdgeNode(mosquitto.url, "S1", "line-1", DEVICES, primary_host="mes", start_ms=T0)
    node.start()
    assert not node.wait_online(1.0) and not spy.of("/NBIRTH/")
    node.update("stack-1", T0 + 1000, state="running")  # buffered
    spy.publish("spBv1.0/STATE/mes", b'{"online":true,"timestamp":10}', qos=1, retain=True)
    assert node.wait_online()
    assert spy.wait(
        lambda: any(m.is_historical for d in spy.of("/DDATA/") for m in decode(d.payload).metrics)
    )
    spy.publish("spBv1.0/STATE/mes", b'{"online":false,"timestamp":5}', qos=1, retain=True)
    assert wait_until(lambda: True, 0.3) and node.online  # older than the last STATE: ignored
    spy.publish("spBv1.0/STATE/mes", b'{"online":false,"timestamp":20}', qos=1, retain=True)
    assert wait_until(lambda: not node.online)
    n = len(spy.of("/DDATA/"))
    node.update("stack-1", T0 + 2000, state="down")
    assert wait_until(lambda: True, 0.3) and len(spy.of("/DDATA/")) == n  # nothing while offline
    spy.publish("spBv1.0/STATE/mes", b'{"online":true,"timestamp":30}', qos=1, retain=True)
    assert node.wait_online()
    assert spy.wait(lambda: len(spy.of("/NBIRTH/")) == 2)
    assert spy.wait(lambda: T0 + 2000 in historical(spy))
    node.stop()
    spy.publish("spBv1.0/STATE/mes", b"", qos=1, retain=True)  # clear the retained STATE
    spy.close()


def test_faults_drop_duplicate_reorder_are_seeded(mosquitto: Any) -> None:
    spy = Spy(mosquitto.port, "spBv1.0/#")
    faults = Faults(drop=0.1, duplicate=0.1, reorder=0.1, seed=7)
    node = EdgeNode(mosquitto.url, "S1", "line-1", DEVICES, start_ms=T0, faults=faults)
    node.start()
    assert node.wait_online()
    for i in range(1, 201):
        node.update("stack-1", T0 + i, processed=i)
    faults.flush(lambda *a: None)
    c = faults.counts
    assert spy.wait(lambda: len(spy.of("/DDATA/")) >= 200 - c["dropped"] + c["duplicated"] - 1)
    assert c["dropped"] > 5 and c["duplicated"] > 5 and c["reordered"] > 5
    assert len(spy.of("/DBIRTH/")) == 2  # births are not faulted (only DDATA, NDATA, events)
    again = Faults(drop=0.1, duplicate=0.1, reorder=0.1, seed=7)
    out: list[str] = []
    pub = again.wrap(lambda t, p, q, r: out.append(p.decode()))
    for i in range(200):
        pub("x/DDATA/y", str(i).encode(), 0, False)
    assert again.counts == c
    node.stop()
    spy.close()


def test_batched_changes_go_out_in_one_ddata_per_device(mosquitto: Any) -> None:
    """With ``batched``, what a device changed between two flushes is one DDATA, its changes
    in the order made (a metric twice, each with its own time); nothing is sent before."""
    spy = Spy(mosquitto.port, "spBv1.0/#")
    node = EdgeNode(mosquitto.url, "S1", "line-1", DEVICES, start_ms=T0, batched=True)
    node.start()
    try:
        assert node.wait_online()
        assert spy.wait(lambda: len(spy.of("/DBIRTH/")) == 2)
        a = node.aliases("stack-1")
        node.update("stack-1", T0 + 1000, state="running", processed=1)
        node.update("fill-1", T0 + 1500, state="down", stop_reason="jam")
        node.update("stack-1", T0 + 2000, processed=2)
        time.sleep(0.3)
        assert spy.of("/DDATA/") == []  # held until the flush
        assert node.flush() == 2
        assert node.flush() == 0  # nothing held any more
        assert spy.wait(lambda: len(spy.of("/DDATA/")) == 2)
        by_device = {m.topic.rsplit("/", 1)[1]: decode(m.payload) for m in spy.of("/DDATA/")}
        stack = [(m.alias, m.timestamp) for m in by_device["stack-1"].metrics]
        # the first update's three metrics (State with its StopReason), then the second's
        assert set(stack[:3]) == {
            (a[STATE], T0 + 1000), (a[STOP_REASON], T0 + 1000),
            (a["Counters/Processed"], T0 + 1000),
        }  # fmt: skip
        assert stack[3:] == [(a["Counters/Processed"], T0 + 2000)]
        last = by_device["stack-1"].metrics[-1]
        assert typed_value(last, DataType.UInt64) == 2
        seqs = sorted(d.seq or 0 for d in by_device.values())
        assert seqs == [3, 4]  # one seq per message, after the NBIRTH and two DBIRTHs
    finally:
        node.stop()
        spy.close()
