"""The event contract: the hand-written checks agree with the JSON Schema file."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import pytest

from gigaline.events import EventError, ProcessEvent, check_event, parse_ts

from .test_ingest import LOT, PROCESS, STATE, _bad_events


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    text = resources.files("gigaline.events").joinpath("schema.json").read_text()
    schema = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


CURVE = {"id": "e-4", "type": "curve", "ts": "2026-11-29T08:00:00+01:00", "station": "form-1",
         "unit": "C-1", "curve": "formation", "dt_s": 600,
         "channels": {"voltage_v": [3.0, 3.3]}}  # fmt: skip


@pytest.mark.parametrize("event", [LOT, PROCESS, STATE, CURVE], ids=lambda e: e["type"])
def test_the_issue_examples_are_valid_both_ways(
    event: dict[str, Any], validator: jsonschema.Draft202012Validator
) -> None:
    validator.validate(event)
    checked = check_event(event)
    assert checked.id == event["id"]


def test_process_fields_are_typed() -> None:
    e = check_event({**PROCESS, "started": "2026-11-28T09:05:00+01:00"})
    assert isinstance(e, ProcessEvent)
    assert e.started is not None and e.started.isoformat() == "2026-11-28T08:05:00+00:00"
    assert e.consumed[0].name == "CAM-0001" and e.consumed[0].qty == 120.5
    assert e.params == {"viscosity_mpa_s": 6021.5}


def test_every_contract_violation_is_rejected_by_both(
    validator: jsonschema.Draft202012Validator,
) -> None:
    # The bad events that break the contract itself (not references to the store).
    store_checks = {
        "consumed unit that does not exist yet", "unit consumes itself", "oversized payload",
        "unknown station", "station of another step", "unit changes type",
        "curve of an unknown unit", "lot registered twice", "started after ts",
        "impossible timestamp", "invalid JSON", "NaN parameter (not JSON, RFC 8259)",
        "infinite parameter",
    }  # fmt: skip
    n = 0
    for kind, raw, words in _bad_events():
        if kind in store_checks:
            continue
        obj = json.loads(raw)
        assert not validator.is_valid(obj), kind
        with pytest.raises(EventError, match=None) as err:
            check_event(obj)
        assert words in str(err.value), kind
        n += 1
    assert n >= 12


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2026-11-28T08:00:00Z", "2026-11-28T08:00:00+00:00"),
        ("2026-11-28t08:00:00.123456789z", "2026-11-28T08:00:00.123456+00:00"),
        ("2026-11-28 10:00:00+02:00", "2026-11-28T08:00:00+00:00"),
    ],
)
def test_rfc3339_timestamps_become_utc(text: str, iso: str) -> None:
    assert parse_ts(text).isoformat() == iso


@pytest.mark.parametrize(
    "text", ["2026-11-28", "2026-11-28T08:00Z", "2026-02-30T08:00:00Z", "2026-11-28T08:00:6xZ", 17]
)
def test_not_rfc3339(text: object) -> None:
    with pytest.raises(EventError):
        parse_ts(text)


def test_non_finite_numbers_are_rejected_when_given_as_objects() -> None:
    with pytest.raises(EventError, match="must be finite"):
        check_event({**PROCESS, "params": {"x": float("nan")}})
    with pytest.raises(EventError, match="must be finite"):
        check_event({**LOT, "qty": float("inf")})
