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
