"""The fast decoder (msgspec) agrees with the general path (orjson + check_event).

``decode_event`` may decline any line (the general path then decides), but whatever it accepts
the general path must accept too, with equal fields: otherwise ingestion would store an event
that the contract rejects, or store it differently. Checked on a generated day of the mini line
(where the fast path must accept every line) and on many random variations of valid events:
wrong types, blanks, lengths at and over the limits, timestamps in every form, unknown and
duplicate keys, nulls, and numbers at the edges of the double range.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gigaline.events import (
    MAX_NAME,
    Event,
    EventError,
    check_event,
    decode_event,
)

from .test_ingest import LOT, PROCESS, STATE


def _general(raw: bytes) -> Event | str:
    """The general path's verdict: the event, or the reason it is rejected."""
    try:
        return check_event(orjson.loads(raw))
    except orjson.JSONDecodeError as exc:
        return f"invalid JSON: {exc}"
    except EventError as exc:
        return str(exc)


def _agree(raw: bytes) -> Event | None:
    fast = decode_event(raw)
    if fast is not None:
        general = _general(raw)
        assert not isinstance(general, str), f"fast path accepted {raw!r}; general: {general}"
        assert fast == general and repr(fast) == repr(general), raw
        assert fast.ts.tzinfo == general.ts.tzinfo
    return fast


def test_every_generated_event_takes_the_fast_path(mini_day: list[dict[str, Any]]) -> None:
    kinds: dict[str, int] = {}
    for event in mini_day:
        raw = orjson.dumps(event)
        if event["type"] == "curve":
            assert decode_event(raw) is None  # curves always take the general path
            continue
        assert _agree(raw) is not None, raw
        kinds[event["type"]] = kinds.get(event["type"], 0) + 1
    assert set(kinds) == {"lot", "process", "state"}


@pytest.mark.parametrize(
    ("raw", "fast"),
    [
        (json.dumps(PROCESS), True),
        (json.dumps(LOT), True),
        (json.dumps(STATE), True),
        (json.dumps({**PROCESS, "ts": "2026-11-28T09:10:00+01:00"}), False),  # offset: general
        (json.dumps({**PROCESS, "unit": " SB-1"}), False),
        (json.dumps({**PROCESS, "started": "2026-11-28T08:10:00.001Z"}), False),  # after ts
        (json.dumps({**PROCESS, "consumed": [{"unit": "SB-0001", "qty": 1}]}), False),  # itself
        (json.dumps({**LOT, "qty": 0}), False),
        (json.dumps({**STATE, "state": "dancing"}), False),
        (json.dumps(PROCESS)[:-1] + ', "type": "lot"}', False),  # duplicate type key
        ('{"id": "\\ud800", "type": "lot"}', False),  # lone surrogate
        ('{"id": "x", "type": "lot", "qty": 1e999}', False),
        (json.dumps(PROCESS).replace("6021.5", "NaN"), False),
        (json.dumps({**STATE, "reason": "web break "}), False),
        (json.dumps({**PROCESS, "consumed": [{"unit": "CAM-0001 ", "qty": 1}]}), False),
        (json.dumps({**PROCESS, "params": {f"p{i}": 1.0 for i in range(256)}}), True),
        (json.dumps({**PROCESS, "params": {f"p{i}": 1.0 for i in range(257)}}), False),
        (json.dumps({**PROCESS, "params": {"x" * 64: 1.0}}), True),
        (json.dumps({**PROCESS, "params": {"x" * 65: 1.0}}), False),
        (json.dumps({**PROCESS, "params": {"": 1.0}}), False),
        (json.dumps({**PROCESS, "id": "x" * 128}), True),
        (json.dumps({**PROCESS, "id": "é" * 129}), False),
        (json.dumps({**PROCESS, "result": "NG", "reason": "x" * 256}), True),
        (json.dumps({**PROCESS, "result": "NG", "reason": "x" * 257}), False),
        (json.dumps({**LOT, "uom": "x" * 16}), True),
        (json.dumps({**LOT, "uom": "x" * 17}), False),
        (json.dumps({**LOT, "site": "S1"}), True),
        (json.dumps({**LOT, "site": "S1\n"}), False),
        (json.dumps({**LOT, "material": "\u00a0cathode"}), False),
    ],
)
def test_fast_path_on_chosen_lines(raw: str, fast: bool) -> None:
    assert (_agree(raw.encode()) is not None) is fast


@pytest.mark.parametrize(
    "ts", ["0001-01-01T00:59:59+01:00", "9999-12-31T23:00:00-01:00", "9999-12-31T23:59:59.5-00:01"]
)
@pytest.mark.parametrize("field", ["ts", "started"])
def test_an_offset_out_of_the_years_1_to_9999_is_a_reason_on_both_paths(
    ts: str, field: str
) -> None:
    """An offset that moves a time before year 1 or after 9999 in UTC raised OverflowError
    out of the checks (and so out of the ingest); now both paths reject it with a reason."""
    event = {**PROCESS, field: ts}
    if field == "started":
        event["ts"] = "9999-12-31T23:59:59Z"
    raw = json.dumps(event).encode()
    assert decode_event(raw) is None  # the fast path leaves it to the general path ...
    assert (
        _general(raw) == f"{field}: {ts!r} is outside the years 1-9999 in UTC"
    )  # ... which says why


@pytest.mark.parametrize("ts", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z"])
def test_the_first_and_last_times_python_holds_are_accepted(ts: str) -> None:
    event = {**PROCESS, "ts": ts, "started": ts}
    assert _agree(json.dumps(event).encode()) is not None


_NAMES = [
    "a", " a", "a ", "", "\u00a0a", "a\u2003", "a\tb", "x" * MAX_NAME, "x" * (MAX_NAME + 1),
    "é" * MAX_NAME, "😀", "x" * 64, "x" * 65, "x" * 16, "x" * 17, "x" * 256, "x" * 257,
]  # fmt: skip
_TIMES = [
    "2026-11-28T08:00:00Z", "2026-11-28T08:10:00Z", "2026-11-28T08:00:00.123Z",
    "2026-11-28T08:10:00.999Z", "2026-11-28t08:00:00z", "2026-11-28 08:00:00Z",
    "2026-11-28T08:00:00+01:00", "2026-11-28T08:00:00+0100", "2026-11-28T08:00:00-00:00",
    "2026-11-28T08:00:00.1234567Z", "2026-11-28T08:00:00.123456Z", "2026-02-30T08:00:00Z",
    "2026-11-28T24:00:00Z", "2026-11-28T08:00:60Z", "2026-11-28T08:00:00", "2026-11-28",
    "2026-W48-6T08:00:00Z", "2026-11-28T08:00:00,123Z", "20261128T080000Z",
    "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z", "0001-01-01T00:59:59+01:00",
    "9999-12-31T23:00:00-01:00", "0001-01-01T00:00:00-00:01", "9999-12-31T23:59:59+00:01",
]  # fmt: skip
_WORDS = [
    "lot", "process", "state", "curve", "OK", "NG", "cell", "slurry_batch", "down", "kg",
    "c_mix", "c_mix-1", "c_coat", "c_coat-1", "CAM-0001", "SB-0001", "CC-1",
]  # fmt: skip
_FIELDS = [
    "id", "type", "ts", "site", "lot", "material", "qty", "uom", "station", "step", "unit",
    "unit_type", "result", "reason", "started", "params", "consumed", "state", "colour",
]  # fmt: skip

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -0.0, 0.0, 1e308, 5e-324, 2**53 + 1, 1.5]),
    st.sampled_from(_NAMES + _TIMES + _WORDS),
    st.text(max_size=6),
)
_values = st.one_of(
    _scalars,
    st.lists(_scalars, max_size=3),
    st.dictionaries(st.sampled_from([*_NAMES, "x", "y"]), _scalars, max_size=3),
    st.lists(
        st.fixed_dictionaries(
            {"unit": st.sampled_from(["CAM-0001", "SB-0001", " SB", "", 1])},
            optional={"qty": _scalars, "extra": _scalars},
        ),
        max_size=3,
    ),
)


_numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -0.0, 0.0, 1e308, 5e-324, 2**53 + 1, 1.5, True]),
)
#: Values that are nearly right for a field, where the edge cases hide.
_NEAR: dict[str, st.SearchStrategy[Any]] = {
    **dict.fromkeys(
        ["id", "site", "lot", "material", "uom", "station", "step", "unit", "reason"],
        st.sampled_from(_NAMES + _WORDS),
    ),
    **dict.fromkeys(["ts", "started"], st.sampled_from(_TIMES)),
    **dict.fromkeys(["type", "unit_type", "result", "state"], st.sampled_from(_WORDS)),
    "qty": _numbers,
    "params": st.dictionaries(st.sampled_from([*_NAMES, "x", "y"]), _numbers, max_size=3),
    "consumed": st.lists(
        st.fixed_dictionaries(
            {"unit": st.sampled_from(["CAM-0001", "SB-0001", "SB-0001 ", "", "x" * 129, 1])},
            optional={"qty": _numbers, "extra": _scalars},
        ),
        max_size=3,
    ),
    "colour": _scalars,
}


@st.composite
def _variants(draw: st.DrawFn) -> bytes:
    event = dict(draw(st.sampled_from([LOT, PROCESS, STATE])))
    for _ in range(draw(st.integers(min_value=1, max_value=2))):
        field = draw(st.sampled_from(_FIELDS))
        choice = draw(st.integers(min_value=0, max_value=9))
        if choice == 0:
            event.pop(field, None)
        else:
            event[field] = draw(_values if choice == 1 else _NEAR[field])
    raw = json.dumps(event, ensure_ascii=draw(st.booleans()))
    if draw(st.integers(min_value=0, max_value=7)) == 0:  # a key given twice
        key, value = json.dumps(draw(st.sampled_from(_FIELDS))), json.dumps(draw(_values))
        raw = f"{raw[:-1]}, {key}: {value}}}"
    return raw.encode("utf-8", "surrogatepass")


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_variants())
def test_fast_path_accepts_only_what_the_general_path_accepts(raw: bytes) -> None:
    _agree(raw)
