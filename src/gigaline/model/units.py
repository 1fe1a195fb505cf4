"""Human units at the edge, SI inside.

Line files may write quantities as ``"90 min"``, ``"21 d"``, ``"80 m/min"`` or ``"1.2 mm"``.
:func:`parse_quantity` turns such a string into a float in the SI base unit of its dimension
(seconds, metres, metres per second, kilograms, square metres, watts, joules, kilograms per
square metre). Everything below the loader works in SI only.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

from pydantic import BeforeValidator, ValidationInfo

from gigaline.errors import GigalineError

__all__ = [
    "DIMENSIONS",
    "UnitError",
    "format_duration",
    "format_number",
    "parse_quantity",
    "quantity",
]


class UnitError(GigalineError, ValueError):
    """A quantity string that is not a number with an allowed unit.

    Also a ``ValueError``: raised inside the line model's validators, where pydantic turns it
    into a validation error of the field (and the loader into a :class:`~gigaline.errors.Problem`).
    """


_MIN = 60.0
_H = 3600.0
_D = 86400.0

#: For each dimension, the allowed unit spellings and their factor to the SI base unit.
DIMENSIONS: Final[dict[str, dict[str, float]]] = {
    "time": {
        "s": 1.0,
        "sec": 1.0,
        "ms": 1e-3,
        "min": _MIN,
        "h": _H,
        "hr": _H,
        "d": _D,
        "day": _D,
        "days": _D,
        "wk": 7 * _D,
        "week": 7 * _D,
        "weeks": 7 * _D,
    },
    "length": {"m": 1.0, "mm": 1e-3, "cm": 1e-2, "um": 1e-6, "µm": 1e-6, "km": 1e3},
    "speed": {"m/s": 1.0, "m/min": 1.0 / _MIN, "m/h": 1.0 / _H, "mm/s": 1e-3},
    "mass": {"kg": 1.0, "g": 1e-3, "mg": 1e-6, "t": 1e3},
    "area": {"m2": 1.0, "m²": 1.0, "cm2": 1e-4, "cm²": 1e-4, "mm2": 1e-6, "mm²": 1e-6},
    "areal_mass": {"kg/m2": 1.0, "g/m2": 1e-3, "mg/cm2": 1e-2, "g/m²": 1e-3, "mg/cm²": 1e-2},
    "power": {"W": 1.0, "kW": 1e3, "MW": 1e6},
    "energy": {"J": 1.0, "kJ": 1e3, "MJ": 1e6, "Wh": _H, "kWh": 1e3 * _H, "MWh": 1e6 * _H},
    "rate": {"/s": 1.0, "/min": 1.0 / _MIN, "/h": 1.0 / _H, "/d": 1.0 / _D},
}

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*([^\s\d].*?)?\s*$")


def allowed_units(dimension: str) -> str:
    """The allowed unit spellings of a dimension, for error messages."""
    units = DIMENSIONS[dimension]
    seen: dict[float, str] = {}
    for name, factor in units.items():
        seen.setdefault(factor, name)
    return ", ".join(seen.values())


def parse_quantity(value: object, dimension: str, *, bare_ok: bool = False) -> float:
    """Convert ``value`` to the SI base unit of ``dimension``.

    ``value`` is a string such as ``"90 min"``; a bare number is accepted only when
    ``bare_ok`` (then it is taken as already SI). Raises :class:`UnitError` naming what is
    allowed. Non-finite values are refused.
    """
    units = DIMENSIONS[dimension]
    if isinstance(value, bool):
        raise UnitError(f"expected a {dimension} such as '{_example(dimension)}'")
    if isinstance(value, int | float):
        if not bare_ok:
            raise UnitError(
                f"a {dimension} needs a unit, e.g. '{value} {_first(dimension)}' "
                f"(allowed units: {allowed_units(dimension)})"
            )
        number = float(value)
    elif isinstance(value, str):
        match = _QUANTITY.match(value)
        if match is None:
            raise UnitError(
                f"expected a number and a unit such as '{_example(dimension)}' "
                f"(allowed units: {allowed_units(dimension)})"
            )
        unit = (match.group(2) or "").strip()
        if not unit:
            if not bare_ok:
                raise UnitError(
                    f"a {dimension} needs a unit (allowed units: {allowed_units(dimension)})"
                )
            factor = 1.0
        elif unit in units:
            factor = units[unit]
        else:
            raise UnitError(
                f"unit {unit!r} is not a unit of {dimension} "
                f"(allowed units: {allowed_units(dimension)})"
            )
        number = float(match.group(1)) * factor
    else:
        raise UnitError(f"expected a {dimension} such as '{_example(dimension)}'")
    if not math.isfinite(number):
        raise UnitError(f"a {dimension} must be a finite number")
    return number


def _first(dimension: str) -> str:
    return next(iter(DIMENSIONS[dimension]))


def _example(dimension: str) -> str:
    return {
        "time": "90 min",
        "length": "1.2 mm",
        "speed": "80 m/min",
        "mass": "500 kg",
        "area": "0.03 m2",
        "areal_mass": "21 mg/cm2",
        "power": "150 kW",
        "energy": "12 kWh",
        "rate": "50 /min",
    }[dimension]


def format_number(x: float | None, spec: str = ",.3f", none: str = "-") -> str:
    """``x`` formatted with ``spec`` for people (terminal tables, reports); ``none`` for None
    or NaN; never ``-0.000``: a negative that rounds to zero (float noise such as -1e-12 in a
    share of time) prints as zero."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return none
    text = format(x, spec)
    if text[:1] in "+-" and not any(ch in "123456789" for ch in text):
        text = text[1:]  # -0.000 (and +0.000) is 0.000
    return text


def format_duration(seconds: float) -> str:
    """A short human form of a duration in seconds: ``'1.5 h'``, ``'21 d'``, ``'0.9 s'``."""
    for unit, factor in (("d", _D), ("h", _H), ("min", _MIN)):
        if abs(seconds) >= factor:
            return f"{seconds / factor:.3g} {unit}"
    return f"{seconds:.3g} s"


#: Validation context key: set by the line-file loader so that bare numbers need a unit there.
STRICT_UNITS = "strict_units"


def quantity(dimension: str) -> BeforeValidator:
    """A pydantic before-validator converting a quantity of ``dimension`` to SI.

    In a line file (the loader sets :data:`STRICT_UNITS` in the validation context) a bare
    number is refused, since ``speed: 80`` is ambiguous; from Python, a bare number is taken as
    already SI.
    """

    def convert(value: Any, info: ValidationInfo) -> float:
        strict = bool(info.context and info.context.get(STRICT_UNITS))
        return parse_quantity(value, dimension, bare_ok=not strict)

    return BeforeValidator(convert)
