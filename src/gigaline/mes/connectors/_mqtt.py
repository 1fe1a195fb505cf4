"""The MQTT client of the MES connectors: paho-mqtt 2, callback API 2, from a broker URL.

Reading is buffered (:class:`_BufferedSocket`, :class:`_Client`): paho reads a packet with
two or more ``recv`` calls (the command byte, each byte of the remaining length, then the
body) and calls ``select`` before each packet, which at 10,000 messages a second costs more
than the host's own work on them. The plain TCP socket is given a read buffer (one ``recv``
of up to 64 KiB serves many packets) and ``pending()``, the hook paho already has for TLS
sockets: while buffered bytes remain, paho's loop does not wait in ``select``; and one
``loop_read`` handles every complete packet in the buffer (up to ``_READ_BURST``) instead of
one. What paho does with a packet (acknowledgements, callbacks, keep-alive) is unchanged.
``benchmarks/bench_sparkplug.py`` measures it against paho's own client in the same run.
"""

from __future__ import annotations

import socket
import ssl
import time
from contextlib import suppress
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion

from gigaline.events.broker import BrokerAddress, parse_broker

__all__ = ["disconnect_cleanly", "drop_connection", "mqtt_client"]


def mqtt_client(
    broker: str | BrokerAddress,
    client_id: str,
    *,
    v5: bool = False,
    clean: bool = True,
    manual_ack: bool = False,
) -> tuple[mqtt.Client, BrokerAddress]:
    """A paho client for ``broker``: MQTT 3.1.1 (clean session or not) or MQTT 5."""
    address = parse_broker(broker) if isinstance(broker, str) else broker
    client = _Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=None if v5 else clean,
        protocol=MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311,
        manual_ack=manual_ack,
    )
    if address.username:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
    client.reconnect_delay_set(min_delay=1, max_delay=5)
    return client, address


#: Bytes asked of the kernel per read (the socket's buffer is larger: one read, many packets).
_READ_SIZE = 65_536
#: Packets one ``loop_read`` handles at most before paho's loop writes and keeps alive again.
_READ_BURST = 1_000


class _BufferedSocket(socket.socket):
    """A TCP socket that reads ahead: ``recv(n)`` serves from one larger read of the kernel.

    ``pending()`` is how many bytes are buffered (paho's loop reads, rather than waits in
    ``select``, while there are any). Writes, ``shutdown`` and ``close`` are the socket's own.
    """

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(sock.family, sock.type, sock.proto, fileno=sock.detach())
        self._buf = b""
        self._pos = 0

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        if flags:
            return super().recv(bufsize, flags)
        buf, pos = self._buf, self._pos
        if pos >= len(buf):
            buf = super().recv(max(bufsize, _READ_SIZE))  # BlockingIOError: nothing there
            if not buf:
                return buf  # the peer closed the connection
            self._buf, pos = buf, 0
        end = pos + bufsize
        self._pos = end
        return buf[pos:end]

    def pending(self) -> int:
        return len(self._buf) - self._pos


class _Client(mqtt.Client):
    """paho's client with buffered reads of a plain TCP connection (see the module doc)."""

    def _create_socket(self) -> Any:
        sock = super()._create_socket()
        return _BufferedSocket(sock) if type(sock) is socket.socket else sock

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        rc = super().loop_read(max_packets)
        for _ in range(_READ_BURST):
            sock = self._sock
            if rc != MQTTErrorCode.MQTT_ERR_SUCCESS or not isinstance(sock, _BufferedSocket):
                break
            if sock.pending() <= 0:
                break
            rc = super().loop_read(max_packets)
        return rc


# drop_connection and disconnect_cleanly stand again in gigaline.virtual._mqtt, on
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
