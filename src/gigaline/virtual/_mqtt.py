"""The MQTT client of the virtual equipment: paho-mqtt 2, callback API 2, from a broker URL.

PUBACKs of MQTT 3.1.1 are read without paho's decoder (:class:`_Client`): it builds a
``ReasonCode`` and a ``Properties`` object for each one (a 3.1.1 PUBACK carries neither, only
the message id), which was the larger part of the outbox publisher's CPU at the reference
line's rates (``benchmarks/bench_live_line.py``). What paho does with the acknowledgement
(``on_publish``, its own bookkeeping) is unchanged.
"""

from __future__ import annotations

import socket
import ssl
import struct
import time
from contextlib import suppress
from typing import Literal

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from gigaline.events.broker import BrokerAddress, parse_broker

__all__ = ["client_for", "disconnect_cleanly", "drop_connection"]


def client_for(
    broker: str | BrokerAddress, client_id: str, clean_session: bool = True
) -> tuple[mqtt.Client, BrokerAddress]:
    """A paho client set up for ``broker`` (credentials, TLS, quick reconnects)."""
    address = parse_broker(broker) if isinstance(broker, str) else broker
    client = _Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=clean_session,
        protocol=MQTTProtocolVersion.MQTTv311,
    )
    if address.username:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
    # Equipment reconnects fast: the broker restarting must not cost minutes of data.
    client.reconnect_delay_set(min_delay=1, max_delay=5)
    return client, address


#: What a 3.1.1 PUBACK means, handed to ``on_publish`` for every one (paho made new ones each).
_PUBACK_REASON = ReasonCode(PacketTypes.PUBACK)
_PUBACK_PROPERTIES = Properties(PacketTypes.PUBACK)  # type: ignore[no-untyped-call]


class _Client(mqtt.Client):
    """paho's client with MQTT 3.1.1 PUBACKs read directly (see the module docstring)."""

    def _handle_pubackcomp(self, cmd: Literal["PUBACK", "PUBCOMP"]) -> MQTTErrorCode:
        packet = self._in_packet["packet"]
        if cmd != "PUBACK" or self._protocol == MQTTProtocolVersion.MQTTv5 or len(packet) != 2:
            return super()._handle_pubackcomp(cmd)  # paho's own path (and its errors)
        (mid,) = struct.unpack("!H", packet)
        with self._out_message_mutex:
            if mid in self._out_messages:
                return self._do_on_publish(mid, _PUBACK_REASON, _PUBACK_PROPERTIES)
        return MQTTErrorCode.MQTT_ERR_SUCCESS


# drop_connection and disconnect_cleanly stand again in gigaline.mes.connectors._mqtt, on
# purpose: mes and virtual are siblings that must not import each other, and the only
# layers below both are pure (no paho, no sockets): these small I/O helpers have no
# shared home.
def drop_connection(client: mqtt.Client) -> None:
    """Cut the TCP connection without DISCONNECT, as a network failure does (the broker then
    publishes the client's Will; paho reconnects by itself)."""
    sock = client.socket()
    if isinstance(sock, socket.socket):
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def disconnect_cleanly(client: mqtt.Client, timeout_s: float = 5.0) -> None:
    """Write what is queued (acknowledgements), DISCONNECT, then stop the network loop.

    ``loop_stop`` right after ``disconnect`` can end the loop before the queued packets are
    written: the broker would keep the old connection and deliver again what was
    acknowledged. So wait until paho has nothing left to write, and until the socket closed.
    """
    deadline = time.monotonic() + timeout_s
    while client.want_write() and time.monotonic() < deadline:
        time.sleep(0.005)
    client.disconnect()
    while client.socket() is not None and time.monotonic() < deadline:
        time.sleep(0.005)
    client.loop_stop()
