"""Control-chart constants, computed rather than typed in.

* ``d2(n)``: mean of the range of ``n`` standard normal values,
  ``d2 = ∫ [1 - Φ(x)^n - (1 - Φ(x))^n] dx`` over the real line (Tippett 1925,
  doi:10.2307/2332087), integrated numerically.
* ``d3(n)``: standard deviation of that range, from
  ``E[W²] = 2 ∬_{x<y} [1 - Φ(y)^n - (1 - Φ(x))^n + (Φ(y) - Φ(x))^n] dx dy``,
  so ``d3 = sqrt(E[W²] - d2²)``, integrated numerically.
* ``c4(n) = sqrt(2/(n-1)) Γ(n/2) / Γ((n-1)/2)``: mean of the sample standard deviation
  (ddof 1) of ``n`` standard normal values, divided by σ.

The factors follow from them (Montgomery, *Introduction to Statistical Quality Control*,
Appendix VI): ``A2 = 3/(d2 √n)``, ``A3 = 3/(c4 √n)``, ``D3 = max(0, 1 - 3 d3/d2)``,
``D4 = 1 + 3 d3/d2``, ``B3 = max(0, 1 - 3 √(1-c4²)/c4)``, ``B4 = 1 + 3 √(1-c4²)/c4``.
Tabulated values (3 or 4 decimals) are these rounded; tests compare against the table and
against the closed forms known for small ``n``.
"""

from __future__ import annotations

import math
from functools import cache

from gigaline.quality.errors import QualityInputError

__all__ = ["A2", "A3", "B3", "B4", "D3", "D4", "MAX_RANGE_N", "c4", "d2", "d3"]

#: Largest subgroup size for the range constants (ranges waste information long before).
MAX_RANGE_N = 100

# Beyond ±_BOUND the normal tails are below 1e-23: the range integrands vanish there for
# every n up to MAX_RANGE_N (n · Φ(-_BOUND) < 1e-20).
_BOUND = 10.0


def _check_n(n: int, field: str = "subgroup size", upper: int | None = None) -> int:
    if isinstance(n, bool) or not float(n).is_integer() or n < 2:
        raise QualityInputError(field, n, "a whole number of at least 2 is allowed")
    if upper is not None and n > upper:
        raise QualityInputError(field, n, f"range-based constants are computed up to {upper}")
    return int(n)


@cache
def _d2(n: int) -> float:
    from scipy.integrate import quad
    from scipy.special import ndtr

    def integrand(x: float) -> float:
        p = float(ndtr(x))
        return 1.0 - p**n - (1.0 - p) ** n

    # The integrand is even: integrate one half.
    value, _ = quad(integrand, 0.0, _BOUND, epsabs=1e-13, epsrel=1e-12, limit=200)
    return 2.0 * float(value)


@cache
def _d3(n: int) -> float:
    from scipy.integrate import quad
    from scipy.special import ndtr

    def inner(y: float) -> float:
        py = float(ndtr(y))

        def g(x: float) -> float:
            px = float(ndtr(x))
            return 1.0 - py**n - (1.0 - px) ** n + (py - px) ** n

        value, _ = quad(g, -_BOUND, y, epsabs=1e-12, epsrel=1e-11, limit=200)
        return float(value)

    second_moment, _ = quad(inner, -_BOUND, _BOUND, epsabs=1e-11, epsrel=1e-11, limit=200)
    return math.sqrt(2.0 * second_moment - _d2(n) ** 2)


def d2(n: int) -> float:
    """Mean range of ``n`` standard normal values (E[W]/σ)."""
    return _d2(_check_n(n, upper=MAX_RANGE_N))


def d3(n: int) -> float:
    """Standard deviation of the range of ``n`` standard normal values (SD[W]/σ)."""
    return _d3(_check_n(n, upper=MAX_RANGE_N))


@cache
def _c4(n: int) -> float:
    return math.sqrt(2.0 / (n - 1)) * math.exp(math.lgamma(n / 2) - math.lgamma((n - 1) / 2))


def c4(n: int) -> float:
    """Mean of the sample standard deviation (ddof 1) of ``n`` normal values, over σ."""
    return _c4(_check_n(n))


def A2(n: int) -> float:  # noqa: N802 (the textbook symbol)
    """X-bar limits from the mean range: x̿ ± A2 R̄."""
    return 3.0 / (d2(n) * math.sqrt(n))


def A3(n: int) -> float:  # noqa: N802 (the textbook symbol)
    """X-bar limits from the mean standard deviation: x̿ ± A3 s̄."""
    return 3.0 / (c4(n) * math.sqrt(n))


def D3(n: int) -> float:  # noqa: N802 (the textbook symbol)
    """Lower R-chart factor: LCL = D3 R̄ (0 where 1 - 3 d3/d2 is negative)."""
    return max(0.0, 1.0 - 3.0 * d3(n) / d2(n))


def D4(n: int) -> float:  # noqa: N802 (the textbook symbol)
    """Upper R-chart factor: UCL = D4 R̄."""
    return 1.0 + 3.0 * d3(n) / d2(n)


def B3(n: int) -> float:  # noqa: N802 (the textbook symbol)
    """Lower S-chart factor: LCL = B3 s̄ (0 where negative)."""
    c = c4(n)
    return max(0.0, 1.0 - 3.0 * math.sqrt(1.0 - c * c) / c)


def B4(n: int) -> float:  # noqa: N802 (the textbook symbol)
    """Upper S-chart factor: UCL = B4 s̄."""
    c = c4(n)
    return 1.0 + 3.0 * math.sqrt(1.0 - c * c) / c
