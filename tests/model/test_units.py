"""Human units are converted to SI once, at the edge."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gigaline.model.units import UnitError, format_duration, parse_quantity


@pytest.mark.parametrize(
    ("text", "dimension", "si"),
    [
        ("90 min", "time", 5400.0),
        ("21 d", "time", 21 * 86400.0),
        ("1 wk", "time", 604800.0),
        ("250 ms", "time", 0.25),
        ("80 m/min", "speed", 80 / 60),
        ("1.2 mm", "length", 0.0012),
        ("15 um", "length", 15e-6),
        ("15 µm", "length", 15e-6),
        ("21 mg/cm2", "areal_mass", 0.21),
        ("210 g/m2", "areal_mass", 0.21),
        ("0.5 t", "mass", 500.0),
        ("150 kW", "power", 150e3),
        ("1 kWh", "energy", 3.6e6),
        ("1e3 s", "time", 1000.0),
        ("  2h ", "time", 7200.0),
    ],
)
def test_parse_quantity(text: str, dimension: str, si: float) -> None:
    assert parse_quantity(text, dimension) == pytest.approx(si)


@pytest.mark.parametrize(
    ("value", "dimension", "words"),
    [
        ("3 kg", "time", "not a unit of time"),
        (3, "time", "needs a unit"),
        ("3", "time", "needs a unit"),
        ("fast", "speed", "expected a number and a unit"),
        (True, "time", "expected a time"),
        ("inf s", "time", "expected a number"),
        (float("nan"), "time", "needs a unit"),
    ],
)
def test_bad_quantities_name_what_is_allowed(value: object, dimension: str, words: str) -> None:
    with pytest.raises(UnitError, match=words):
        parse_quantity(value, dimension)


def test_bare_numbers_are_si_when_allowed() -> None:
    assert parse_quantity(3, "time", bare_ok=True) == 3.0
    with pytest.raises(UnitError, match="finite"):
        parse_quantity(float("inf"), "time", bare_ok=True)


@given(st.floats(min_value=1e-6, max_value=1e9, allow_nan=False))
def test_minutes_are_sixty_seconds(x: float) -> None:
    assert parse_quantity(f"{x!r} min", "time") == pytest.approx(60 * x)


def test_format_duration() -> None:
    assert format_duration(0.9) == "0.9 s"
    assert format_duration(5400) == "1.5 h"
    assert format_duration(21 * 86400) == "21 d"
