"""The connectors' writer keeps every batch through a failing database, and the event
subscriber acknowledges nothing before its commit succeeded."""

from __future__ import annotations

import json
from typing import Any

from gigaline.mes.connectors.events import EventSubscriber
from gigaline.mes.connectors.sink import Batcher, DeadLetter
from tests._spy import Spy, wait_until


class Flaky:
    """A sink whose first ``fail`` commits raise (a database restarting)."""

    def __init__(self, fail: int) -> None:
        self.fail = fail
        self.events: list[Any] = []
        self.letters: list[DeadLetter] = []
        self.calls = 0

    def submit(self, events: Any) -> Any:
        self.calls += 1
        if self.calls <= self.fail:
            raise ConnectionError("database restarting")
        self.events.extend(events)

        class Result:
            accepted, duplicate, rejected = len(events), 0, 0

        return Result()

    def dead_letter(self, letters: Any) -> None:
        self.letters.extend(letters)


def test_batcher_retries_until_the_database_is_back() -> None:
    sink = Flaky(fail=3)
    batcher = Batcher(sink, linger_s=0.01, retry_s=0.01)
    batcher.start()
    batcher.add([b"a", b"b"], [DeadLetter(b"\x00", "bad", "t")])
    batcher.add([b"c"])
    assert batcher.drain(10)
    batcher.stop()
    assert sink.events == [b"a", b"b", b"c"] and len(sink.letters) == 1
    assert batcher.failures == 3 and batcher.accepted == 3


def test_dead_letter_keeps_the_bytes_as_base64_json() -> None:
    letter = DeadLetter(b"\xff\x00garbage", "not a Sparkplug B payload", "spBv1.0/S/DDATA/l/d")
    assert json.loads(letter.raw_text()) == {
        "mqtt_topic": "spBv1.0/S/DDATA/l/d",
        "payload_base64": "/wBnYXJiYWdl",
    }


def test_subscriber_acknowledges_only_after_a_commit(mosquitto: Any) -> None:
    sink = Flaky(fail=2)
    sub = EventSubscriber(mosquitto.url, sink, retry_s=0.05)
    sub.start()
    assert sub.connected.wait(5)
    spy = Spy(mosquitto.port, "nothing/#")
    for i in range(5):
        spy.publish("gigaline/v1/s/st/events", json.dumps({"n": i}).encode(), qos=1)
    assert wait_until(lambda: sub.drain(1) and len(sink.events) == 5)
    assert sub.failures == 2
    sub.stop()
    again = EventSubscriber(mosquitto.url, sink)  # the same session: nothing left unacknowledged
    again.start()
    assert again.connected.wait(5)
    assert not wait_until(lambda: again.messages > 0, 1.0)
    again.stop()
    spy.close()
