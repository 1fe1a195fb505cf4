"""The equipment contract's pure parts: names, states, event ids, times, broker addresses."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest

from gigaline.events import check_event
from gigaline.events.broker import BrokerAddressError, parse_broker
from gigaline.events.equipment import (
    MACHINE_STATES,
    MACHINERY_ITEM_STATE,
    MACHINERY_OPERATION_MODE,
    PACKML_STATE,
    events_topic,
    format_ts,
    ms_of,
    parse_events_topic,
    state_event,
    state_event_id,
)
from tests.conftest import ROOT


def test_machine_states_are_the_event_contracts() -> None:
    schema = json.loads((ROOT / "src/gigaline/events/schema.json").read_text())
    text = json.dumps(schema)
    assert all(f'"{s}"' in text for s in MACHINE_STATES)
    for table in (MACHINERY_ITEM_STATE, MACHINERY_OPERATION_MODE, PACKML_STATE):
        assert set(table) == set(MACHINE_STATES)
    assert set(MACHINERY_ITEM_STATE.values()) == {
        "NotAvailable",
        "OutOfService",
        "NotExecuting",
        "Executing",
    }
    assert set(PACKML_STATE.values()) <= {0, 2, 4, 8, 12}  # OPC 30060 TMC numbers used


def test_state_event_id_is_the_documented_formula() -> None:
    key = b"S1/line-1/stack-1/State/1764316800123"
    assert state_event_id("S1", "line-1", "stack-1", "State", 1764316800123) == (
        "eqp-" + hashlib.sha256(key).hexdigest()[:32]
    )
    assert len(state_event_id("s" * 128, "l" * 128, "x" * 128, "State", 0)) == 36


def test_state_event_passes_the_contract() -> None:
    event = state_event("S1", "line-1", "stack-1", "down", 1764316800123, "jam")
    assert event["ts"] == "2025-11-28T08:00:00.123Z"
    checked = check_event(event)
    assert (checked.station, checked.state, checked.reason) == ("stack-1", "down", "jam")
    assert "reason" not in state_event("S1", "l", "stack-1", "running", 0, None)


def test_times_are_exact_milliseconds() -> None:
    t = datetime(2025, 11, 28, 8, 0, 0, 123999, tzinfo=UTC)
    assert ms_of(t) == 1764316800123  # rounded down, never up into the next ms
    assert format_ts(1764316800123) == "2025-11-28T08:00:00.123Z"
    assert format_ts(0) == "1970-01-01T00:00:00.000Z"
    with pytest.raises(ValueError, match="no time zone"):
        ms_of(datetime(2025, 1, 1))


def test_events_topics() -> None:
    assert events_topic("S1", "stack-1") == "gigaline/v1/S1/stack-1/events"
    assert parse_events_topic("gigaline/v1/S1/stack-1/events") == ("S1", "stack-1")
    assert parse_events_topic("gigaline/v2/S1/stack-1/events") is None


def test_broker_addresses() -> None:
    a = parse_broker("mqtt://127.0.0.1:1884")
    assert (a.host, a.port, a.tls) == ("127.0.0.1", 1884, False)
    b = parse_broker("mqtts://user:p%40ss@broker.plant")
    assert (b.port, b.tls, b.username, b.password) == (8883, True, "user", "p@ss")
    assert "p@ss" not in str(b)
    for bad in ("http://x", "mqtt://", "mqtt://x:99999", "mqtt://x/path", "x:1883"):
        with pytest.raises(BrokerAddressError, match="broker"):
            parse_broker(bad)
