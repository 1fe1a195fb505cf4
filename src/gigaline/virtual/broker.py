"""An MQTT broker inside the process, for a demo plant on a laptop (amqtt, MQTT 3.1.1).

``gigaline run`` needs a broker between the virtual line and the MES. A plant runs Mosquitto
(or another broker) and names it with ``--broker``; a laptop often has none. There, this
module starts `amqtt <https://github.com/Yakifo/amqtt>`_ (MQTT 3.1.1, the maintained successor
of hbmqtt) on the loopback address, in a process of its own, for as long as the command runs.
It is for a demo on a laptop; its limits, measured, are in ``docs/live.md``.

What the live line needs of a broker, and what this one gives:

- QoS 1 delivery, retained messages (the host application's STATE) and Will messages (NDEATH,
  the host's offline STATE), as MQTT 3.1.1 requires;
- persistent sessions (``clean_session=False``): the MES's subscriber gets what was published
  while it was away. amqtt keeps no queue for an *anonymous* session, so the broker
  authenticates every client as a named local client instead: it listens on a loopback
  address only, and a client that can reach it is on this machine;
- QoS 1 to a subscriber kept until its PUBACK and sent again on reconnect, with at most
  1,000 messages in flight to one session (:mod:`gigaline.virtual._broker_flow`: amqtt's
  own delivery forgot a message after 5 s without PUBACK, or when the connection broke);
- nothing on disk: the broker's sessions live as long as its process. Events are not lost with
  it, because the edge keeps its outbox (:mod:`gigaline.virtual.outbox`) until the broker
  acknowledged them.

:func:`probe` asks a broker address for an MQTT CONNACK (not merely an open port), and
:func:`broker_for_demo` gives the address to use: the one asked for when it answers, else an
embedded broker's.
"""

from __future__ import annotations

import contextlib
import ipaddress
import select
import socket
import subprocess
import sys
from collections.abc import Iterator

from gigaline.errors import GigalineError
from gigaline.events.broker import BrokerAddress, parse_broker

__all__ = ["BrokerError", "EmbeddedBroker", "broker_for_demo", "probe"]


# MQTT 3.1.1 CONNECT (clean session, keep-alive 5 s, client id "gigaline-probe"), section 3.1.
_CLIENT_ID = b"gigaline-probe"
_VARIABLE = b"\x00\x04MQTT\x04\x02\x00\x05"
_PAYLOAD = len(_CLIENT_ID).to_bytes(2, "big") + _CLIENT_ID
_CONNECT = bytes([0x10, len(_VARIABLE) + len(_PAYLOAD)]) + _VARIABLE + _PAYLOAD
_DISCONNECT = b"\xe0\x00"


class BrokerError(GigalineError):
    """The embedded broker could not start, or an address it was given is not loopback."""


def probe(broker: str | BrokerAddress, timeout_s: float = 1.0) -> bool:
    """Whether an MQTT broker answers at ``broker``: a CONNECT is accepted with a CONNACK.

    A port that is open but speaks another protocol, refuses the connection or says nothing
    within ``timeout_s`` counts as no broker. TLS addresses (``mqtts://``) are not probed
    here: they answer True if the TCP port accepts a connection.
    """
    address = parse_broker(broker) if isinstance(broker, str) else broker
    try:
        with socket.create_connection((address.host, address.port), timeout=timeout_s) as sock:
            if address.tls:
                return True
            sock.settimeout(timeout_s)
            sock.sendall(_CONNECT)
            reply = _read(sock, 4)
            accepted = reply[:2] == b"\x20\x02" and reply[3] == 0
            if accepted:
                sock.sendall(_DISCONNECT)
            return accepted
    except OSError:
        return False


def _read(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data + b"\xff" * (n - len(data))


class EmbeddedBroker:
    """An amqtt broker on a loopback address, in a process of its own, as a context manager.

    Its own process: the twin's and the MES's work in ``gigaline run`` (Python threads, one
    GIL) would otherwise starve the broker's event loop. ``port=0`` takes a free port;
    :attr:`url` says which. :meth:`stop` (or leaving the ``with`` block) shuts the broker
    down and waits for its process (:mod:`gigaline.virtual._broker_main`), which also ends
    by itself when the one that started it dies (``kill -9``): it sees its stdin close.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise BrokerError(
                f"embedded broker host {host!r}: only a loopback address is allowed "
                "(127.0.0.1, ::1 or localhost); a broker for other machines is Mosquitto's job"
            )
        self.host = host
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``mqtt://HOST:PORT`` of the running broker."""
        return f"mqtt://{self.host}:{self.port}"

    def start(self, timeout_s: float = 30.0) -> EmbeddedBroker:
        """Start the broker's process; return when the broker accepts connections."""
        if self._process is not None:
            return self
        if self.port == 0:
            self.port = _free_port(self.host)
        process = subprocess.Popen(
            [sys.executable, "-m", "gigaline.virtual._broker_main", self.host, str(self.port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert process.stdout is not None
        answer = b""
        if select.select([process.stdout], [], [], timeout_s)[0]:
            answer = process.stdout.readline().strip()
        if answer == b"ready":
            self._process = process
            return self
        reason = answer.decode(errors="replace") or (
            f"its process ended (exit code {process.poll()})"
            if process.poll() is not None
            else f"no answer within {timeout_s:g} s"
        )
        process.kill()
        process.communicate(timeout=5)
        raise BrokerError(f"embedded MQTT broker on {self.url} did not start: {reason}")

    def stop(self, timeout_s: float = 10.0) -> None:
        """Shut the broker down (clients see their connection closed) and end its process."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            process.communicate(timeout=timeout_s + 5)  # closes its stdin: it shuts down
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate(timeout=5)

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def broker_for_demo(
    broker: str | None, timeout_s: float = 1.0, local: str = "mqtt://127.0.0.1:1883"
) -> Iterator[tuple[str, bool]]:
    """The broker a demo uses: ``(url, embedded)``.

    ``broker`` given: it must answer (a plant names its broker; silently using another one
    would hide the fault), else :class:`BrokerError`. ``"embedded"``: an embedded broker
    whatever else answers. ``broker`` None: the machine's own
    broker at ``local`` (Mosquitto's default port) where one answers, else an embedded broker
    for the duration of the ``with`` block.
    """
    if broker == "embedded":
        with EmbeddedBroker() as embedded:
            yield embedded.url, True
        return
    if broker is not None:
        if not probe(broker, timeout_s):
            raise BrokerError(
                f"--broker {broker}: no MQTT broker answers there (connection refused, "
                "no CONNACK, or no answer within "
                f"{timeout_s:g} s); leave --broker out to use an embedded broker"
            )
        yield broker, False
        return
    if probe(local, timeout_s):
        yield local, False
        return
    with EmbeddedBroker() as embedded:
        yield embedded.url, True
