"""The embedded broker's process: ``python -m gigaline.virtual._broker_main HOST PORT``.

Started by :class:`gigaline.virtual.broker.EmbeddedBroker`. It serves amqtt on ``HOST:PORT``
with :mod:`gigaline.virtual._broker_flow`'s QoS 1 delivery, writes ``ready`` (or why it could
not start) as one line on stdout, and shuts down when its stdin closes: the parent closed it
(``stop``) or died. Ctrl-C is ignored here: the parent handles it and stops the broker last.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from typing import Any

log = logging.getLogger(__name__)


def main(argv: list[str]) -> int:
    host, port = argv[0], int(argv[1])
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # amqtt logs every connection at INFO and a client's broken pipe at ERROR; the demo's
    # terminal is for the plant, so only amqtt's errors reach it, and none of asyncio's
    # warnings about writes to sockets whose client went away.
    logging.getLogger("amqtt").setLevel(logging.ERROR)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(_log_quietly)
    try:
        broker = loop.run_until_complete(_start_broker(host, port))
    except Exception as exc:
        _say(f"{type(exc).__name__}: {exc}")
        return 1
    _say("ready")
    loop.run_until_complete(_until_stdin_closes())
    loop.run_until_complete(_shutdown(broker, 10.0))
    loop.close()
    return 0


def _say(line: str) -> None:
    sys.stdout.write(line.replace("\n", " ") + "\n")
    sys.stdout.flush()


async def _start_broker(host: str, port: int) -> Any:
    from amqtt.broker import Broker

    from gigaline.virtual._broker_flow import install

    install()
    config = {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
        "plugins": {"gigaline.virtual._broker_auth.LocalClients": {}},
    }
    broker = Broker(config)
    await broker.start()
    return broker


async def _until_stdin_closes() -> None:
    loop = asyncio.get_running_loop()
    closed = loop.create_future()
    fd = sys.stdin.fileno()

    def readable() -> None:
        data = b""
        with contextlib.suppress(OSError):
            data = os.read(fd, 4096)
        if not data and not closed.done():
            closed.set_result(None)

    loop.add_reader(fd, readable)
    try:
        await closed
    finally:
        loop.remove_reader(fd)


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


def _log_quietly(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The broker loop's unhandled exceptions: a client that went away mid-packet, or amqtt
    tripping over its own subscription table as a client connects (the client reconnects).
    Kept for debugging, not printed on the plant's terminal."""
    log.debug("embedded broker: %s", context.get("message"), exc_info=context.get("exception"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
