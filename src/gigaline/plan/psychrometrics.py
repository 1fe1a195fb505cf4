"""Moist-air properties for the dry-room model (ASHRAE Handbook - Fundamentals 2017, ch. 1).

Saturation pressure of water vapour (Hyland and Wexler 1983), over ice for -100 to 0 C
(eq. 5) and over liquid water for 0 to 200 C (eq. 6), with :math:`T` in K:

.. math::
    \\ln p_{ws} = C_1/T + C_2 + C_3 T + C_4 T^2 + C_5 T^3 + C_6 T^4 + C_7 \\ln T \\quad (ice)

    \\ln p_{ws} = C_8/T + C_9 + C_{10} T + C_{11} T^2 + C_{12} T^3 + C_{13} \\ln T \\quad (water)

Humidity ratio at partial vapour pressure :math:`p_w` and total pressure :math:`p` (eq. 20):
:math:`W = 0.621945\\, p_w / (p - p_w)` [kg water / kg dry air]. At a dew (frost) point
:math:`t_d` the vapour pressure is :math:`p_{ws}(t_d)`. Moist-air enthalpy (eq. 30):
:math:`h = 1.006\\, t + W (2501 + 1.86\\, t)` [kJ/kg dry air], :math:`t` in C.
"""

from __future__ import annotations

import math
from typing import Final

from gigaline.plan.errors import PlanInputError

__all__ = [
    "STANDARD_PRESSURE_PA",
    "enthalpy_kj_per_kg",
    "humidity_ratio",
    "humidity_ratio_at_dew_point",
    "saturation_pressure_pa",
]

#: Standard atmosphere at sea level [Pa].
STANDARD_PRESSURE_PA: Final[float] = 101_325.0

_ICE = (-5.6745359e3, 6.3925247, -9.6778430e-3, 6.2215701e-7, 2.0747825e-9, -9.4840240e-13)
_ICE_LN = 4.1635019
_WATER = (-5.8002206e3, 1.3914993, -4.8640239e-2, 4.1764768e-5, -1.4452093e-8)
_WATER_LN = 6.5459673


def saturation_pressure_pa(t_c: float) -> float:
    """Saturation pressure of water vapour [Pa] at ``t_c`` [C], over ice below 0 C."""
    if not -100.0 <= t_c <= 200.0:
        raise PlanInputError(f"temperature must be in -100..200 C (got {t_c!r})")
    t = t_c + 273.15
    if t_c < 0.0:
        c1, c2, c3, c4, c5, c6 = _ICE
        ln_p = c1 / t + c2 + c3 * t + c4 * t**2 + c5 * t**3 + c6 * t**4 + _ICE_LN * math.log(t)
    else:
        c8, c9, c10, c11, c12 = _WATER
        ln_p = c8 / t + c9 + c10 * t + c11 * t**2 + c12 * t**3 + _WATER_LN * math.log(t)
    return math.exp(ln_p)


def humidity_ratio(p_w_pa: float, p_pa: float = STANDARD_PRESSURE_PA) -> float:
    """Humidity ratio [kg water / kg dry air] at vapour pressure ``p_w_pa`` [Pa]."""
    if not 0.0 <= p_w_pa < p_pa:
        raise PlanInputError(f"vapour pressure must be in [0, {p_pa}) Pa (got {p_w_pa!r})")
    return 0.621945 * p_w_pa / (p_pa - p_w_pa)


def humidity_ratio_at_dew_point(t_dew_c: float, p_pa: float = STANDARD_PRESSURE_PA) -> float:
    """Humidity ratio [kg/kg] of air whose dew (below 0 C: frost) point is ``t_dew_c``."""
    return humidity_ratio(saturation_pressure_pa(t_dew_c), p_pa)


def enthalpy_kj_per_kg(t_c: float, w: float) -> float:
    """Enthalpy of moist air [kJ per kg of dry air] at ``t_c`` [C] and humidity ratio ``w``."""
    return 1.006 * t_c + w * (2501.0 + 1.86 * t_c)
