"""The at-once forms of the SPC series give what the one-by-one forms give.

``rfc3339_all`` (numpy) against ``rfc3339`` over zones at UTC, off UTC, naive times, whole
seconds, None and mixtures; ``series_numbers`` (one parse) against ``numbers`` over missing
keys, bools, strings, empty texts and texts that are not one JSON object.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import orjson
import pytest

from gigaline.mes.measures import numbers, series_numbers
from gigaline.mes.services.models import rfc3339, rfc3339_all

_ZONES = [UTC, ZoneInfo("Etc/UTC"), ZoneInfo("Europe/Berlin"),
          timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(seconds=-30))]  # fmt: skip


def _time(rnd: random.Random, tz: object) -> datetime:
    micro = rnd.choice([0, rnd.randrange(1_000_000)])
    t = datetime(2026, 1, 1) + timedelta(seconds=rnd.randrange(-(10**9), 10**8), microseconds=micro)
    return t.replace(tzinfo=tz)  # type: ignore[arg-type]


def test_rfc3339_all_is_rfc3339_of_each() -> None:
    rnd = random.Random(1)
    for trial in range(200):
        kind = trial % 4
        zones = [None] if kind == 0 else _ZONES if kind == 1 else [*_ZONES, None]
        values: list[datetime | None] = [_time(rnd, rnd.choice(zones)) for _ in range(40)]
        if kind == 3:
            values = [v if rnd.random() < 0.7 else None for v in values]
        assert rfc3339_all(values) == [rfc3339(v) for v in values], trial
    assert rfc3339_all([datetime(2026, 1, 5, 12, tzinfo=ZoneInfo("Etc/UTC"))]) == [
        "2026-01-05T12:00:00Z"
    ]
    assert rfc3339_all([]) == []


def test_series_numbers_is_numbers_of_each() -> None:
    rnd = random.Random(2)
    kinds = [1, 0, -3, 2.5, True, False, None, "x", [1], {"a": 1}]
    for _ in range(300):
        texts: list[str | None] = []
        for _ in range(rnd.randint(0, 30)):
            roll = rnd.random()
            if roll < 0.1:
                texts.append(rnd.choice([None, ""]))
            else:
                keys = rnd.sample(["a", "b", "x_mm"], rnd.randint(0, 3))
                texts.append(orjson.dumps({k: rnd.choice(kinds) for k in keys}).decode())
        assert series_numbers(texts, "x_mm") == [numbers(t, ("x_mm",))[0] for t in texts]
    # every value a float (the usual series), or all but one
    floats = [orjson.dumps({"x_mm": rnd.uniform(-1, 1), "a": 1}).decode() for _ in range(50)]
    for odd in (None, '{"x_mm": 3}', '{"x_mm": true}', '{"a": 2.5}', '{"x_mm": "1.5"}', "{}"):
        texts = floats if odd is None else [*floats[:20], odd, *floats[20:]]
        got = series_numbers(texts, "x_mm")
        assert got == [numbers(t, ("x_mm",))[0] for t in texts]
        assert [type(v) for v in got] == [type(numbers(t, ("x_mm",))[0]) for t in texts]


@pytest.mark.parametrize(
    "texts", [['{"a": 1}', "[1]"], ['{"a": 1}', '1,{"a": 2}'], ['{"a": 1}', '{"a"']]
)
def test_series_numbers_of_texts_that_are_not_one_object_each(texts: list[str]) -> None:
    try:
        expected: object = [numbers(t, ("a",))[0] for t in texts]
    except (ValueError, AttributeError) as exc:
        expected = type(exc)
    try:
        got: object = series_numbers(texts, "a")
    except (ValueError, AttributeError) as exc:
        got = type(exc)
    assert got == expected


def _numbers_or_error(texts: list[str | None], key: str) -> object:
    try:
        return [numbers(t, (key,))[0] for t in texts]
    except (ValueError, AttributeError) as exc:
        return type(exc)


def _series_or_error(texts: list[str | None], key: str) -> object:
    """``series_numbers``, each value with its type (a float, or None), or its error."""
    try:
        return [(v, type(v)) for v in series_numbers(texts, key)]
    except (ValueError, AttributeError) as exc:
        return type(exc)


def _each_or_error(texts: list[str | None], key: str) -> object:
    got = _numbers_or_error(texts, key)
    return got if not isinstance(got, list) else [(v, type(v)) for v in got]


_ODD_SINGLE = [
    '{"x_mm": 1.5 }', '{"x_mm":true}', '{"x_mm":null}', '{"x_mm":"1"}', '{"x_mm":[1]}',
    '{"x_mm":1,"x_mm":2}', '{"x_mm":}', '{"x_mm":1 2}', '}{"x_mm":1', '{"x_mm":1},{"x_mm":2}',
    '{ "x_mm":1}', '{"x_mm":1e5}', '{"x_mm":-0}', '{"x_mm":1.5E+3}',
    '{"x_mm":12345678901234567890123}',
    '{"x_mm":nan}', '{"x_mm":tru}', '{"x_mm":\t7\n}', '{"x_mm":"a}"}', '{"y":1}', "{}", "", None,
    '{"x_mm":0.25}x', '{"x_mm":-}', '{"x_mm":"a:b"}', '{"x_mm":1:2}', '{"x_mm":"a","b":1}',
    '{"x_mm":[]}', '{"x_mm":"x_mm"}', '{"x_mm":1}{"x_mm":2}', '{"x_mm"}',
]  # fmt: skip


def test_single_key_texts_read_alone_are_numbers_of_each() -> None:
    """Texts of one key each (an SPC series of one parameter, as the SQL store joins them):
    reading them joined gives what reading each text gives, or fails as it fails, for every
    odd text among them, and for texts that join into other splits."""
    rnd = random.Random(4)
    plain = [orjson.dumps({"x_mm": round(rnd.gauss(0, 1), rnd.randint(0, 6))}).decode()
             for _ in range(200)]  # fmt: skip
    plain += ['{"x_mm":3}', '{"x_mm":-0.0}']
    assert series_numbers(plain, "x_mm") == [numbers(t, ("x_mm",))[0] for t in plain]
    for odd in _ODD_SINGLE:
        texts = [*plain[:50], odd, *plain[50:]]
        assert _series_or_error(texts, "x_mm") == _each_or_error(texts, "x_mm"), odd
    # texts that join into another split: two halves of one value, one text of two values
    for pair in (['{"x_mm":[1', "2]}"], ['{"x_mm":1', "2}"], ['{"x_mm":3,4}', "{}"],
                 ['{"x_mm":[1}', '{"x_mm":2]}', '{"x_mm":3:"x_mm":5}'],
                 ['{"x_mm":"}', '{"x_mm":"}']):  # fmt: skip
        texts = [*plain[:10], *pair, *plain[10:20], '{"x_mm":3,4}', *plain[20:]]
        assert _series_or_error(texts, "x_mm") == _each_or_error(texts, "x_mm"), pair
    for key in ("a,b", "a{", "a}", 'a"b', "a:b", "é", "", "1", "true"):
        texts = [orjson.dumps({key: 1.5}).decode(), orjson.dumps({key: 2}).decode()]
        assert series_numbers(texts, key) == [1.5, 2.0]
