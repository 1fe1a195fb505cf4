"""OPC UA: the virtual line's server -> the MES's client connector -> store, exactly.

The connector subscribes to every station's StopReason and State; after a restart it first
reads the history it missed. A change seen through Sparkplug and OPC UA both is stored once
(the same event id).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gigaline.mes.connectors.opcua import OpcUaConnector
from gigaline.mes.connectors.sink import StoreSink
from gigaline.mes.connectors.sparkplug import HostApplication
from gigaline.mes.sql import SqlStore
from gigaline.virtual.opcua import LineServer
from gigaline.virtual.sparkplug import DeviceSpec, EdgeNode
from tests._mosquitto import free_port
from tests._spy import wait_until
from tests.mes.connectors._live import (
    STATIONS,
    T0,
    dead_letters,
    drive,
    expected_states,
    script,
    stored_states,
)


@pytest.fixture
def server() -> Iterator[LineServer]:
    stations = {s: ("fill_mass_g",) for s in STATIONS} | {"ghost-1": ()}
    srv = LineServer("testsite", "line-1", stations, port=free_port(), start_ms=T0)
    srv.start()
    yield srv
    srv.stop()


def settle(
    conn: OpcUaConnector, store: SqlStore, expected: list[Any], timeout_s: float = 30
) -> bool:
    return wait_until(lambda: conn.drain(1) and stored_states(store) == expected, timeout_s)


def test_states_by_subscription_and_backfill_after_a_restart(
    server: LineServer, sqlite_store: SqlStore
) -> None:
    sink = StoreSink(sqlite_store)
    conn = OpcUaConnector(server.url, sink, stations=sink.stations)
    conn.start()
    assert conn.connected.wait(20)
    changes = script(200, seed=12)
    drive(server, changes[:100])
    server.flush()
    first = expected_states(changes[:100])
    assert settle(conn, sqlite_store, first)
    assert conn.notifications >= 100
    conn.stop()  # the MES is down while the line goes on
    drive(server, changes[100:])
    server.flush()
    again = OpcUaConnector(server.url, sink, stations=sink.stations)
    again.start()
    expected = expected_states(changes)
    assert settle(again, sqlite_store, expected)
    assert again.backfilled > 100  # read from the server's history
    assert any("'ghost-1' of line 'line-1' is not a registered station" in r
               for r, _ in dead_letters(sqlite_store))  # fmt: skip
    again.stop()


def test_one_change_two_protocols_one_event(
    server: LineServer, mosquitto: Any, sqlite_store: SqlStore
) -> None:
    sink = StoreSink(sqlite_store)
    host = HostApplication(mosquitto.url, "mes", sink, stations=sink.stations)
    host.start()
    conn = OpcUaConnector(server.url, sink, stations=sink.stations)
    conn.start()
    node = EdgeNode(mosquitto.url, "testsite", "line-1",
                    {s: DeviceSpec(("fill_mass_g",)) for s in STATIONS}, start_ms=T0)  # fmt: skip
    node.start()
    assert host.wait_online() and node.wait_online() and conn.connected.wait(20)
    changes = script(100, seed=13)
    drive(node, changes)
    drive(server, changes)
    server.flush()
    expected = expected_states(changes)
    assert wait_until(lambda: host.drain(1) and settle(conn, sqlite_store, expected, 1), 30)
    # every change came twice (the initial states through each path's births and history)
    assert wait_until(lambda: host.batcher.duplicate + conn.batcher.duplicate >= len(expected))
    assert stored_states(sqlite_store) == expected
    assert host.batcher.rejected == conn.batcher.rejected == 0
    node.stop()
    host.stop()
    conn.stop()
