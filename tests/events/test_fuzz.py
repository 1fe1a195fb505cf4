"""Fuzzing the event decoder, both paths (issue 14, item 8).

Whatever arrives, bytes of a file or broker, a str, or an object a connector decoded: no crash;
every payload is accepted or rejected with a reason (an :class:`~gigaline.events.EventError`, a
:class:`~gigaline.errors.GigalineError`, with a message); the msgspec fast path
(:func:`~gigaline.events.decode_event`) accepts only what the general path
(:func:`~gigaline.events.check_event`) accepts, with equal fields; an accepted event holds only
text a database can store; and ingestion into a store never raises for any of it.

Four sources, bounded for CI (a few seconds together): random bytes, valid events mutated at
the byte level, valid events with fields replaced by random JSON-like values (unicode and size
edge cases, NUL, lone surrogates, huge and non-finite numbers), and batches of all of them
submitted to a store.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gigaline.errors import GigalineError
from gigaline.events import EventError, check_event, decode_event, unstorable
from gigaline.model import load_line

MINI = load_line(Path(__file__).parents[1] / "mes" / "lines" / "mini.yaml")
SETTINGS = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

LOT = {"id": "e-1", "type": "lot", "ts": "2026-11-28T08:00:00Z", "lot": "CAM-0001",
       "material": "cathode_active_material", "qty": 500, "uom": "kg"}  # fmt: skip
PROCESS = {"id": "e-2", "type": "process", "ts": "2026-11-28T08:10:00Z", "station": "c_mix-1",
           "step": "c_mix", "unit": "SB-0001", "unit_type": "slurry_batch", "result": "NG",
           "reason": "viscosity", "started": "2026-11-28T08:00:00.5Z",
           "params": {"viscosity_mpa_s": 6021.5},
           "consumed": [{"unit": "CAM-0001", "qty": 120.5}]}  # fmt: skip
STATE = {"id": "e-3", "type": "state", "ts": "2026-11-28T08:11:00+01:00", "station": "c_coat-1",
         "state": "down", "reason": "web break"}  # fmt: skip
CURVE = {"id": "e-4", "type": "curve", "ts": "2026-11-29T08:00:00Z", "station": "form-1",
         "unit": "SB-0001", "curve": "formation", "dt_s": 600,
         "channels": {"voltage_v": [3.0, 3.3]}}  # fmt: skip
VALID = [LOT, PROCESS, STATE, CURVE]
FIELDS = sorted({k for e in VALID for k in e} | {"v", "site", "colour"})

_EDGE = ["\x00", "\ud800", "\udc00", " ", "\u00e9", "\U0001f600", "\u2028", "\n", "\\", '"']
_text = st.text(st.characters() | st.sampled_from(_EDGE), max_size=12) | st.builds(
    lambda n, c: c * n,
    st.sampled_from([0, 1, 16, 17, 64, 65, 127, 128, 129, 256, 257]),
    st.sampled_from(["x", "\u00e9", "\U0001f600", " ", "\x00"]),
)
_numbers = (
    st.integers(min_value=-(2**70), max_value=2**70)
    | st.integers(min_value=10**300, max_value=10**400)
    | st.floats()
    | st.sampled_from([0, -0.0, 1e308, -1e308, 5e-324, math.nan, math.inf, True, False])
)
_scalars = st.none() | st.booleans() | _numbers | _text | st.sampled_from(
    ["2026-11-28T08:00:00Z", "2026-02-30T08:00:00Z", "0000-01-01T00:00:00Z",
     "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "OK", "NG", "cell", "down", "lot"]
)  # fmt: skip
#: Values found to crash a check before (issue 14): drawn often, whatever the field.
_EXTREMES = st.sampled_from(
    [10**400, -(10**400), 2**64, "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59",
     [], {}, [[]], {"a": []}, "\x00", "\ud800", "x" * 129, "x" * 257]
)  # fmt: skip
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(_text | st.sampled_from(["unit", "qty"]), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def _objects(draw: st.DrawFn) -> Any:
    """A valid event with one to three fields removed or replaced by random values."""
    event = dict(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        field = draw(st.sampled_from(FIELDS))
        if draw(st.integers(min_value=0, max_value=4)) == 0:
            event.pop(field, None)
        else:
            event[field] = draw(_EXTREMES | _scalars | _values)
    return event


@st.composite
def _mutated_bytes(draw: st.DrawFn) -> bytes:
    """A valid event's JSON with a few byte-level edits."""
    data = bytearray(json.dumps(draw(st.sampled_from(VALID))).encode())
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        i = draw(st.integers(min_value=0, max_value=len(data)))
        j = min(len(data), i + draw(st.integers(min_value=0, max_value=8)))
        new = draw(
            st.binary(max_size=4) | st.sampled_from([b"\\u0000", b"\\ud800", b'"', b"9" * 30])
        )
        data[i:j] = new
    return bytes(data)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def _general(obj: object) -> Any:
    """check_event's verdict: the event, or the EventError (anything else fails the test)."""
    try:
        return check_event(obj)
    except EventError as exc:
        assert isinstance(exc, GigalineError) and str(exc), repr(exc)
        return exc


def _judge_bytes(data: bytes) -> None:
    fast = decode_event(data)  # never raises
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError:
        assert fast is None
        return
    verdict = _general(obj)
    if fast is not None:
        assert verdict == fast, (data, verdict, fast)  # the fast path accepts only what...
    if not isinstance(verdict, EventError):
        for text in _strings(verdict._asdict()) + [
            c.name for c in getattr(verdict, "consumed", ())
        ]:
            assert unstorable(text) is None, (data, text)


@settings(SETTINGS, max_examples=300)
@given(st.binary(max_size=200) | _mutated_bytes())
def test_any_bytes(data: bytes) -> None:
    _judge_bytes(data)


@settings(SETTINGS, max_examples=300)
@given(_objects())
def test_any_decoded_object(obj: dict[str, Any]) -> None:
    verdict = _general(obj)
    if not isinstance(verdict, EventError):
        assert all(unstorable(s) is None for s in _strings(verdict._asdict())), obj
    try:
        data = orjson.dumps(obj)  # as a producer would send it, where it has a JSON form
    except (orjson.JSONEncodeError, TypeError):
        return
    _judge_bytes(data)


@settings(SETTINGS, max_examples=30)
@given(st.lists(st.binary(max_size=120) | _mutated_bytes() | _objects()
                | _objects().map(lambda o: json.dumps(o, default=repr)), max_size=12))  # fmt: skip
def test_ingest_never_raises(payloads: list[Any]) -> None:
    from gigaline.mes.ingest import submit
    from gigaline.mes.memory import MemoryStore
    from gigaline.mes.services import init_line

    store = MemoryStore()
    init_line(store, MINI)
    result = submit(store, [json.dumps(LOT), json.dumps(PROCESS), *payloads])
    raw = [p.encode("utf-8", "surrogatepass") if isinstance(p, str) else p for p in payloads]
    blank = sum(1 for p in raw if isinstance(p, bytes) and (not p or p.isspace()))
    assert result.accepted + result.duplicate + result.rejected == 2 + len(payloads) - blank
    assert all(r.reason for r in result.rejections)


def test_the_crashes_the_fuzzing_found_are_reasons() -> None:
    """Found by the fuzzing above on decoded objects: each raised a TypeError or an
    OverflowError out of check_event before."""
    cases = [
        ({**LOT, "type": ["lot"]}, "unknown event type"),
        ({**CURVE, "curve": ["formation"]}, "unknown curve kind"),
        ({**STATE, "state": {"down": 1}}, "unknown machine state"),
        ({**PROCESS, "unit_type": []}, "unknown unit type"),
        ({**LOT, "qty": 10**400}, "out of the range of a number"),
        ({**LOT, "ts": "9999-12-31T23:59:59-23:59"}, "outside the years 1-9999"),
        ({**LOT, "ts": "0001-01-01T00:00:00+23:59"}, "outside the years 1-9999"),
    ]
    for obj, words in cases:
        verdict = _general(obj)
        assert isinstance(verdict, EventError) and words in str(verdict), (obj, verdict)
