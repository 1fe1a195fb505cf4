"""The embedded broker's QoS 1 delivery to subscribers: nothing dropped, a bounded window.

amqtt 0.12 delivers a QoS 1 message to a subscriber and waits 5 s (hard-coded) for its
PUBACK; then, or when the subscriber's connection breaks first, it forgets the message. The
MES acknowledges only after its commit (:mod:`gigaline.mes.connectors.events`), so a commit
slower than 5 s, or a connection that breaks with a batch in hand, lost those messages for
good: a persistent session (``clean_session=False``) did not get them again on reconnect, as
MQTT 3.1.1 section 4.4 requires. And amqtt puts no bound on the messages in flight to one
subscriber: everything published is sent at once, past the 65,535 packet ids.

:class:`WindowedHandler` replaces amqtt's broker protocol handler for outgoing QoS 1:

- a message stays in the session's in-flight table until its PUBACK, however long that
  takes; when the connection breaks first, it stays there and is sent again, with DUP, when
  the persistent session reconnects (amqtt's own retry gives up after 10 s);
- at most ``window`` messages are in flight to one session (:data:`WINDOW`, as Mosquitto's
  ``max_inflight_messages``); the others wait in the broker, in order, and a message that
  waited while its session was offline goes to the session's offline queue.

Only the embedded broker's process imports this module (:mod:`gigaline.virtual.broker`).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from amqtt.broker import RetainedApplicationMessage
from amqtt.mqtt.constants import QOS_1
from amqtt.mqtt.protocol.broker_handler import BrokerProtocolHandler
from amqtt.session import OutgoingApplicationMessage, Session

__all__ = ["WINDOW", "WindowedHandler", "install"]

#: QoS 1 messages in flight to one session at most (Mosquitto's default is 20; the MES
#: commits in batches of up to 2,000 and acknowledges after each commit, so a larger window
#: keeps its batches full). An assumption, measured in docs/live.md.
WINDOW = 1_000


def _window(session: Session) -> asyncio.Semaphore:
    sem: asyncio.Semaphore | None = getattr(session, "_gigaline_window", None)
    if sem is None:
        sem = asyncio.Semaphore(WINDOW)
        session._gigaline_window = sem  # type: ignore[attr-defined]
    return sem


def _live_handler(session: Session) -> WindowedHandler | None:
    handler: WindowedHandler | None = getattr(session, "_gigaline_handler", None)
    return handler if handler is not None and handler.live else None


class WindowedHandler(BrokerProtocolHandler):  # type: ignore[misc]  # amqtt is untyped
    """amqtt's broker handler with the QoS 1 delivery of the module docstring."""

    live = False

    async def start(self) -> None:
        self.live = True
        self._resending: set[asyncio.Task[None]] = set()
        self.session._gigaline_handler = self  # the session's deliveries go to this connection
        await super().start()

    async def stop(self) -> None:
        self.live = False
        await super().stop()

    async def mqtt_publish(
        self,
        topic: str,
        data: bytes | bytearray,
        qos: int | None,
        retain: bool,
        ack_timeout: int | None = None,
    ) -> Any:
        session = self.session
        if qos != QOS_1 or session is None:
            return await super().mqtt_publish(topic, data, qos, retain, ack_timeout)
        async with _window(session):
            handler = _live_handler(session)
            if handler is None:  # offline meanwhile: its queue, sent when it is back
                if not session.clean_session:
                    session.retained_messages.put_nowait(
                        RetainedApplicationMessage(None, topic, data, qos)
                    )
                return None
            message = OutgoingApplicationMessage(session.next_packet_id, topic, qos, data, retain)
            session.inflight_out[message.packet_id] = message
            await handler._deliver(message)
            return message

    async def _deliver(self, message: OutgoingApplicationMessage) -> None:
        """Send ``message`` (again, with DUP, when it was sent before) and wait for its PUBACK.

        Acknowledged: it leaves the in-flight table. The connection ends first: it stays
        there, for the next connection of the session."""
        session = self.session
        packet = message.build_publish_packet(dup=message.publish_packet is not None)
        with contextlib.suppress(Exception):
            await self._send_packet(packet)
        message.publish_packet = packet
        if not self.live:
            return
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._puback_waiters[message.packet_id] = waiter
        try:
            message.puback_packet = await waiter
        except asyncio.CancelledError:
            return  # the connection ended (amqtt cancels the waiters): resent on reconnect
        finally:
            self._puback_waiters.pop(message.packet_id, None)
        session.inflight_out.pop(message.packet_id, None)

    async def _retry_deliveries(self) -> None:
        """MQTT 3.1.1 section 4.4: send again what was in flight, without a time limit."""
        for message in list(self.session.inflight_out.values()):
            if isinstance(message, OutgoingApplicationMessage) and message.qos == QOS_1:
                task = asyncio.create_task(self._deliver(message))
                self._resending.add(task)
                task.add_done_callback(self._resending.discard)


def install() -> None:
    """Make amqtt's broker use :class:`WindowedHandler` (in the broker's own process)."""
    import amqtt.broker

    amqtt.broker.BrokerProtocolHandler = WindowedHandler
