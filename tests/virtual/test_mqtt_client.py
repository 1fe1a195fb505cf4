"""The virtual equipment's MQTT client: MQTT 3.1.1 PUBACKs read without paho's decoder."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from paho.mqtt import _packet

from gigaline.virtual._mqtt import client_for


def _boom(*_a: Any, **_k: Any) -> Any:
    raise AssertionError("paho's PUBACK decoder was called")


def test_a_puback_acknowledges_its_message_without_pahos_decoder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, _ = client_for("mqtt://127.0.0.1:1", "test-puback")
    seen: list[tuple[int, bool]] = []
    client.on_publish = lambda _c, _u, mid, rc, _p: seen.append((mid, rc.is_failure))
    # not connected: paho keeps both messages, waiting for their PUBACKs
    first = client.publish("t/a", b"1", qos=1)
    second = client.publish("t/b", b"2", qos=1)
    monkeypatch.setattr(_packet, "decode_puback", _boom)
    client._in_packet["packet"] = struct.pack("!H", second.mid)
    assert client._handle_pubackcomp("PUBACK") == 0
    assert seen == [(second.mid, False)] and second._published
    assert not first._published and first.mid in client._out_messages
    assert second.mid not in client._out_messages
    # a PUBACK of no message of ours (a repeat) changes nothing
    assert client._handle_pubackcomp("PUBACK") == 0
    assert seen == [(second.mid, False)]


def test_the_outbox_publisher_keeps_its_own_window(tmp_path: Any) -> None:
    """paho's in-flight limit stays off (0): with it, paho scans every message it holds on
    each PUBACK, and the publisher's own window already bounds what is in flight."""
    from gigaline.virtual.outbox import EventPublisher, Outbox

    box = Outbox(tmp_path / "o.db", "site")
    pub = EventPublisher("mqtt://127.0.0.1:1", box, window=1_000)
    assert pub._client._max_inflight_messages == 0 and pub.window == 1_000
    box.close()


def test_a_stale_acknowledgement_never_acknowledges_a_later_row(tmp_path: Any) -> None:
    """After a reconnect paho sends its unacknowledged messages again and their PUBACKs come
    for ids the publisher no longer tracks. Regression: such an id stayed noted as 'acknowledged
    early', and the row that got the same id when the ids wrapped was deleted from the outbox
    without its own PUBACK (a loss, if that message never reached the broker)."""
    from gigaline.virtual.outbox import EventPublisher, Outbox

    box = Outbox(tmp_path / "outbox.db", "S")
    pub = EventPublisher("mqtt://127.0.0.1:1", box, window=1_000)
    pub._on_publish(None, None, 42, None, None)  # a PUBACK of a message sent before a reconnect
    pub._note(1, [7])  # a row of the same pass whose ack comes later
    pub._on_publish(None, None, 7, None, None)
    pub._forget_early()  # the pass ends
    pub._note(2, [42])  # much later, a row gets id 42 again
    assert pub._acked == [1]
    assert pub._inflight == {42: 2}
    pub._on_publish(None, None, 8, None, None)  # a row's ack before it is noted (same pass)
    pub._note(3, [8])
    assert pub._acked == [1, 3]
    box.close()
