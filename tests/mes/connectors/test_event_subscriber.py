"""Per-unit events, edge outbox -> Mosquitto (QoS 1) -> subscriber -> store, nothing lost or
doubled: the store ends exactly as if the event file had been ingested directly, through
broker restarts, a subscriber killed before it acknowledged, an edge restarted from its
outbox file, duplicated and dropped messages, and garbage."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

from gigaline.mes.connectors.events import EventSubscriber
from gigaline.mes.connectors.sink import StoreSink
from gigaline.mes.ingest import ingest
from gigaline.mes.services import counts, init_line
from gigaline.mes.sql import SqlStore, open_store
from gigaline.model import Line
from gigaline.virtual.faults import Faults
from gigaline.virtual.outbox import EventPublisher, Outbox
from tests._spy import Spy, wait_until
from tests.mes.conftest import mini_events


@pytest.fixture(scope="module")
def events(mini_line: Line) -> list[dict[str, Any]]:
    return mini_events(mini_line, 0.25)


@pytest.fixture(scope="module")
def reference(
    events: list[dict[str, Any]], mini_line: Line, tmp_path_factory: Any
) -> dict[str, int]:
    """The store's row counts after ingesting the events directly."""
    with open_store(f"sqlite:///{tmp_path_factory.mktemp('ref') / 'ref.db'}") as store:
        init_line(store, mini_line)
        ingest(store, events)
        return counts(store)


def put(outbox: Outbox, pub: EventPublisher, events: list[dict[str, Any]], step: int = 50) -> None:
    for i in range(0, len(events), step):
        outbox.put(events[i : i + step])
        pub.notify()


def settled(
    store: SqlStore, reference: dict[str, int], sub: EventSubscriber, timeout_s: float = 30
) -> bool:
    return wait_until(lambda: sub.drain(1) and counts(store) == reference, timeout_s)


def test_events_arrive_exactly_once(
    mosquitto: Any, sqlite_store: SqlStore, events: list[dict[str, Any]], reference: dict[str, int],
    tmp_path: Path,
) -> None:  # fmt: skip
    sub = EventSubscriber(mosquitto.url, StoreSink(sqlite_store))
    sub.start()
    assert sub.connected.wait(5)
    outbox = Outbox(tmp_path / "outbox.db", "testsite")
    pub = EventPublisher(mosquitto.url, outbox)
    pub.start()
    put(outbox, pub, events)
    assert pub.drain(30) and len(outbox) == 0
    assert settled(sqlite_store, reference, sub)
    assert sub.rejected == 0 and sub.accepted == len(events)
    pub.stop()
    sub.stop()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_broker_restart_mid_stream(
    sig: int, mosquitto: Any, sqlite_store: SqlStore, events: list[dict[str, Any]],
    reference: dict[str, int], tmp_path: Path,
) -> None:  # fmt: skip
    """Persistence and the outbox: what the broker acknowledged survives its restart."""
    sub = EventSubscriber(mosquitto.url, StoreSink(sqlite_store))
    sub.start()
    assert sub.connected.wait(5)
    outbox = Outbox(tmp_path / "outbox.db", "testsite")
    pub = EventPublisher(mosquitto.url, outbox)
    pub.start()
    third = len(events) // 3
    put(outbox, pub, events[:third])
    mosquitto.stop(sig)
    put(outbox, pub, events[third : 2 * third])  # kept in the outbox meanwhile
    mosquitto.start()
    put(outbox, pub, events[2 * third :])
    assert pub.drain(30)
    assert settled(sqlite_store, reference, sub)
    pub.stop()
    sub.stop()


def test_subscriber_killed_before_it_acknowledged(
    mosquitto: Any, sqlite_store: SqlStore, events: list[dict[str, Any]],
    reference: dict[str, int], tmp_path: Path,
) -> None:  # fmt: skip
    """A batch committed but not acknowledged comes again: a duplicate, nothing lost."""
    sink = StoreSink(sqlite_store)
    gate, committed = threading.Event(), threading.Event()

    class SlowSink:
        def submit(self, batch: Any) -> Any:
            result = sink.submit(batch)
            committed.set()
            gate.wait(10)  # committed, but the acknowledgement waits
            return result

        def dead_letter(self, letters: Any) -> None:
            sink.dead_letter(letters)

    sub = EventSubscriber(mosquitto.url, SlowSink())
    sub.start()
    assert sub.connected.wait(5)
    outbox = Outbox(tmp_path / "outbox.db", "testsite")
    pub = EventPublisher(mosquitto.url, outbox)
    pub.start()
    put(outbox, pub, events)
    assert pub.drain(30)
    assert committed.wait(10)
    sub._client.loop_stop()  # the process dies holding a committed, unacknowledged batch:
    sub.crash()  # no network loop, no reconnect, no acknowledgement ever sent
    gate.set()
    again = EventSubscriber(mosquitto.url, sink)  # the same client id: the same session
    again.start()
    assert settled(sqlite_store, reference, again)
    assert again.duplicate > 0  # the unacknowledged batch was delivered again
    pub.stop()
    again.stop()


def test_edge_restart_resends_from_its_outbox_file(
    mosquitto: Any, sqlite_store: SqlStore, events: list[dict[str, Any]],
    reference: dict[str, int], tmp_path: Path,
) -> None:  # fmt: skip
    sub = EventSubscriber(mosquitto.url, StoreSink(sqlite_store))
    sub.start()
    assert sub.connected.wait(5)
    path = tmp_path / "outbox.db"
    outbox = Outbox(path, "testsite")
    outbox.put(events)  # written, never sent: the edge process dies here
    outbox.close()
    outbox = Outbox(path, "testsite")  # the restarted edge
    assert len(outbox) == len(events)
    pub = EventPublisher(mosquitto.url, outbox)
    pub.start()
    assert pub.drain(30)
    assert settled(sqlite_store, reference, sub)
    pub.stop()
    sub.stop()


def test_duplicates_and_a_publisher_connection_lost_mid_stream(
    mosquitto: Any, sqlite_store: SqlStore, events: list[dict[str, Any]],
    reference: dict[str, int], tmp_path: Path,
) -> None:  # fmt: skip
    """Duplicates count as duplicates; after a lost connection the outbox sends again, in
    order, what was not acknowledged (MQTT keeps a connection's order: the MES needs a unit
    before the unit that consumes it, so the event path never reorders)."""
    sub = EventSubscriber(mosquitto.url, StoreSink(sqlite_store))
    sub.start()
    assert sub.connected.wait(5)
    faults = Faults(duplicate=0.2, seed=11)
    outbox = Outbox(tmp_path / "outbox.db", "testsite")
    pub = EventPublisher(mosquitto.url, outbox, faults=faults)
    pub.start()
    half = len(events) // 2
    put(outbox, pub, events[:half])
    pub.crash()
    put(outbox, pub, events[half:])
    assert pub.drain(60)
    assert settled(sqlite_store, reference, sub)
    assert faults.counts["duplicated"] > 20 and sub.duplicate >= faults.counts["duplicated"]
    assert sub.rejected == 0
    pub.stop()
    sub.stop()


def test_garbage_is_dead_lettered(mosquitto: Any, sqlite_store: SqlStore) -> None:
    sub = EventSubscriber(mosquitto.url, StoreSink(sqlite_store))
    sub.start()
    assert sub.connected.wait(5)
    spy = Spy(mosquitto.port, "nothing/#")
    spy.publish("gigaline/v1/testsite/stack-1/events", b"\xff\xfe not json", qos=1)
    good = {"id": "e-1", "type": "state", "ts": "2026-11-28T08:00:00Z", "station": "stack-1",
            "state": "down", "reason": "jam"}  # fmt: skip
    spy.publish("gigaline/v1/testsite/stack-1/events", json.dumps(good).encode(), qos=1)
    assert wait_until(lambda: sub.drain(1) and counts(sqlite_store)["machine_states"] == 1)
    assert counts(sqlite_store)["dead_letters"] == 1 and sub.rejected == 1
    spy.close()
    sub.stop()
