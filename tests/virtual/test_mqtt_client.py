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
