"""An MQTT broker inside the process, for a demo plant on a laptop (amqtt, MQTT 3.1.1).

``gigaline run`` needs a broker between the virtual line and the MES. A plant runs Mosquitto
(or another broker) and names it with ``--broker``; a laptop often has none. There, this
module starts `amqtt <https://github.com/Yakifo/amqtt>`_ (MQTT 3.1.1, the maintained successor
of hbmqtt) on the loopback address, in a thread of its own, for as long as the command runs.

What the live line needs of a broker, and what this one gives:

- QoS 1 delivery, retained messages (the host application's STATE) and Will messages (NDEATH,
  the host's offline STATE), as MQTT 3.1.1 requires;
- persistent sessions (``clean_session=False``): the MES's subscriber gets what was published
  while it was away. amqtt keeps no queue for an *anonymous* session, so the broker
  authenticates every client as a named local client instead: it listens on a loopback
  address only, and a client that can reach it is on this machine;
- nothing on disk: the broker's sessions live as long as the process. Events are not lost with
  it, because the edge keeps its outbox (:mod:`gigaline.virtual.outbox`) until the broker
  acknowledged them.

:func:`probe` asks a broker address for an MQTT CONNACK (not merely an open port), and
:func:`broker_for_demo` gives the address to use: the one asked for when it answers, else an
embedded broker's.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from gigaline.errors import GigalineError
from gigaline.events.broker import BrokerAddress, parse_broker

__all__ = ["BrokerError", "EmbeddedBroker", "broker_for_demo", "probe"]

log = logging.getLogger(__name__)

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


@dataclass
class _Running:
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    broker: Any


class EmbeddedBroker:
    """An amqtt broker on a loopback address, in a thread, as a context manager.

    ``port=0`` takes a free port; :attr:`url` says which. :meth:`stop` (or leaving the
    ``with`` block) shuts the broker down and joins its thread.
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
        self._running: _Running | None = None

    @property
    def url(self) -> str:
        """``mqtt://HOST:PORT`` of the running broker."""
        return f"mqtt://{self.host}:{self.port}"

    def start(self, timeout_s: float = 10.0) -> EmbeddedBroker:
        """Start the broker; return when it accepts connections."""
        if self._running is not None:
            return self
        if self.port == 0:
            self.port = _free_port(self.host)
        # amqtt logs every connection at INFO and a client's broken pipe at ERROR; the demo's
        # terminal is for the plant, so only its errors reach the user (it warns, at shutdown,
        # of messages still queued for sessions that went away).
        logging.getLogger("amqtt").setLevel(logging.ERROR)
        _quiet_asyncio()
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(_log_quietly)
        started = threading.Event()
        failure: list[BaseException] = []
        holder: list[Any] = []

        def serve() -> None:
            asyncio.set_event_loop(loop)
            try:
                holder.append(loop.run_until_complete(self._start_broker()))
            except BaseException as exc:  # reported to the caller of start()
                failure.append(exc)
                started.set()
                return
            started.set()
            loop.run_forever()

        thread = threading.Thread(target=serve, name=_BROKER_THREAD, daemon=True)
        thread.start()
        if not started.wait(timeout_s) or failure:
            reason = failure[0] if failure else f"no answer within {timeout_s:g} s"
            raise BrokerError(f"embedded MQTT broker on {self.url} did not start: {reason}")
        self._running = _Running(loop, thread, holder[0])
        return self

    async def _start_broker(self) -> Any:
        from amqtt.broker import Broker  # imported here: only `gigaline run` needs it

        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {"gigaline.virtual._broker_auth.LocalClients": {}},
        }
        broker = Broker(config)
        await broker.start()
        return broker

    def stop(self, timeout_s: float = 10.0) -> None:
        """Shut the broker down (clients see their connection closed) and join its thread."""
        running, self._running = self._running, None
        if running is None:
            return
        shutdown = asyncio.run_coroutine_threadsafe(
            _shutdown(running.broker, timeout_s), running.loop
        )
        with contextlib.suppress(Exception):
            shutdown.result(timeout_s + 5)
        running.loop.call_soon_threadsafe(running.loop.stop)
        running.thread.join(timeout_s)
        running.loop.close()

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


async def _shutdown(broker: Any, timeout_s: float) -> None:
    """Shut the broker down, then cancel what it left running (client handlers whose peer
    went away), so that the loop closes with no task pending."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(broker.shutdown(), timeout_s)
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


_BROKER_THREAD = "gigaline-broker"


def _log_quietly(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The broker loop's unhandled exceptions: a client that went away mid-packet, or amqtt
    tripping over its own subscription table as a client connects (the client reconnects).
    Kept for debugging, not printed on the plant's terminal."""
    log.debug("embedded broker: %s", context.get("message"), exc_info=context.get("exception"))


class _NotFromTheBroker(logging.Filter):
    """asyncio's own warnings about writes to closed sockets, when they come from the
    broker's thread (a client disconnected while the broker was sending to it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != _BROKER_THREAD


def _quiet_asyncio() -> None:
    logger = logging.getLogger("asyncio")
    if not any(isinstance(f, _NotFromTheBroker) for f in logger.filters):
        logger.addFilter(_NotFromTheBroker())


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
