"""Process capability: Cp, Cpk, Cpm (within-subgroup σ) and Pp, Ppk, Ppm (overall σ), with
confidence intervals.

Within σ: from 2-D data (one row per subgroup) the unweighted mean of R_i/d2(n_i), as R qcc's
``processCapability`` on an X-bar chart; from 1-D data the mean moving range over d2(2), as
qcc's ``xbar.one``. Overall σ: the sample standard deviation of all values (ddof 1).

* Cp = (USL - LSL)/(6σ), Cpu = (USL - x̄)/(3σ), Cpl = (x̄ - LSL)/(3σ), Cpk = min(Cpu, Cpl);
  Cpm = Cp/√(1 + ((x̄ - T)/σ)²) (Montgomery, *Introduction to Statistical Quality Control*,
  7th ed., sec. 8.3).
* Cp interval: chi-square (Chou, Owen & Borrego 1990, J. Quality Technology 22:223):
  Cp √(χ²_{α/2, n-1}/(n-1)) .. Cp √(χ²_{1-α/2, n-1}/(n-1)).
* Cpk interval: normal approximation (Bissell 1990, Applied Statistics 39:331):
  Cpk (1 ∓ z_{1-α/2} √(1/(9 n Cpk²) + 1/(2(n-1)))).
* Cpm interval: chi-square with Boyles' (1991, J. Quality Technology 23:17) degrees of freedom
  ν = n (1 + δ²)/(1 + 2δ²), δ = (x̄ - T)/σ.
These are the intervals qcc 3.0 reports; n is the number of single values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from gigaline.quality import _inputs as inp
from gigaline.quality._estimate import sigma_moving_range, sigma_uwave_r, subgroup_stats
from gigaline.quality.errors import QualityInputError

__all__ = ["Capability", "capability"]

Interval = tuple[float, float]


@dataclass(frozen=True)
class Capability:
    """Capability indices of one characteristic; ``None`` where a spec limit is missing."""

    n: int
    center: float
    sigma_within: float
    sigma_overall: float
    lsl: float | None
    usl: float | None
    target: float | None
    confidence: float
    cp: float | None
    cpl: float | None
    cpu: float | None
    cpk: float
    cpm: float | None
    pp: float | None
    ppl: float | None
    ppu: float | None
    ppk: float
    ppm: float | None
    cp_ci: Interval | None
    cpk_ci: Interval
    cpm_ci: Interval | None
    pp_ci: Interval | None
    ppk_ci: Interval
    expected_below_lsl: float | None
    expected_above_usl: float | None
    observed_below_lsl: float | None
    observed_above_usl: float | None


def capability(
    data: Any,
    lsl: float | None = None,
    usl: float | None = None,
    target: float | None = None,
    *,
    sigma: float | None = None,
    confidence: float = 0.95,
) -> Capability:
    """Capability of ``data`` against the spec limits (either may be omitted, not both).

    ``target`` defaults to the middle of the spec limits when both are given (as qcc);
    with one limit and no target, Cpm is ``None``. ``sigma`` overrides the within σ.
    """
    lo, hi = inp.finite(lsl, "lsl"), inp.finite(usl, "usl")
    if lo is None and hi is None:
        raise QualityInputError("lsl/usl", (lsl, usl), "give a lower, an upper or both limits")
    if lo is not None and hi is not None and lo >= hi:
        raise QualityInputError("lsl", lsl, f"the lower spec limit must be below usl ({usl})")
    if not 0 < confidence < 1:
        raise QualityInputError("confidence", confidence, "a level 0 < confidence < 1")
    values, within = _values_and_sigma(data, sigma)
    tgt = inp.finite(target, "target")
    if tgt is None and lo is not None and hi is not None:
        tgt = (lo + hi) / 2
    center = float(values.mean())
    overall = float(values.std(ddof=1))
    if overall == 0 or within == 0:
        raise QualityInputError("data", "no variation", "capability needs varying values")
    n = values.size
    w = _indices(center, within, lo, hi, tgt, n, confidence)
    o = _indices(center, overall, lo, hi, tgt, n, confidence)
    return Capability(
        n=n,
        center=center,
        sigma_within=within,
        sigma_overall=overall,
        lsl=lo,
        usl=hi,
        target=tgt,
        confidence=confidence,
        cp=w["p"],
        cpl=w["pl"],
        cpu=w["pu"],
        cpk=w["pk"],
        cpm=w["pm"],
        pp=o["p"],
        ppl=o["pl"],
        ppu=o["pu"],
        ppk=o["pk"],
        ppm=o["pm"],
        cp_ci=w["p_ci"],
        cpk_ci=w["pk_ci"],
        cpm_ci=w["pm_ci"],
        pp_ci=o["p_ci"],
        ppk_ci=o["pk_ci"],
        **_fractions(values, center, within, lo, hi),
    )


def _values_and_sigma(data: Any, sigma: float | None) -> tuple[np.ndarray, float]:
    known = inp.positive(sigma, "sigma")
    arr = np.asarray(data, dtype=float) if isinstance(data, np.ndarray) else None
    is_2d = (arr is not None and arr.ndim == 2 and arr.shape[1] > 1) or (
        arr is None and _looks_2d(data)
    )
    if is_2d:
        sub = inp.as_subgroups(data)
        values = sub[~np.isnan(sub)]
        if values.size < 2:
            raise QualityInputError("data", f"{values.size} value(s)", "at least 2 values")
        if known is not None:
            return values, known
        groups = subgroup_stats(sub, min_size=2)
        return values, sigma_uwave_r(groups, np.ones(groups.sizes.size, dtype=bool))
    values = inp.as_values(data, min_len=2)
    if known is not None:
        return values, known
    return values, sigma_moving_range(values, np.ones(values.size, dtype=bool))


def _looks_2d(data: Any) -> bool:
    try:
        first = next(iter(data))
    except (TypeError, StopIteration):
        return False
    return isinstance(first, list | tuple | np.ndarray) and len(first) > 1


def _indices(
    center: float,
    sd: float,
    lo: float | None,
    hi: float | None,
    tgt: float | None,
    n: int,
    confidence: float,
) -> dict[str, Any]:
    from scipy.stats import chi2, norm

    alpha = 1 - confidence
    z = float(norm.ppf(1 - alpha / 2))
    p = (hi - lo) / (6 * sd) if lo is not None and hi is not None else None
    pl = (center - lo) / (3 * sd) if lo is not None else None
    pu = (hi - center) / (3 * sd) if hi is not None else None
    pk = min(v for v in (pl, pu) if v is not None)

    def chi_ci(idx: float, df: float) -> Interval:
        lo_q, hi_q = chi2.ppf([alpha / 2, 1 - alpha / 2], df)
        return (idx * math.sqrt(lo_q / df), idx * math.sqrt(hi_q / df))

    # Bissell (1990): Cpk +- z sqrt(1/(9n) + Cpk^2 / (2(n-1))). qcc writes it as
    # Cpk (1 +- z sqrt(1/(9 n Cpk^2) + 1/(2(n-1)))), the same for Cpk > 0 but reversed (and
    # infinite at 0) for Cpk <= 0, so the additive form is used.
    half = z * math.sqrt(1 / (9 * n) + pk**2 / (2 * (n - 1)))
    out: dict[str, Any] = {
        "p": p,
        "pl": pl,
        "pu": pu,
        "pk": pk,
        "p_ci": chi_ci(p, n - 1) if p is not None else None,
        "pk_ci": (pk - half, pk + half),
        "pm": None,
        "pm_ci": None,
    }
    if p is not None and tgt is not None:
        delta = (center - tgt) / sd
        pm = p / math.sqrt(1 + delta**2)
        out["pm"] = pm
        out["pm_ci"] = chi_ci(pm, n * (1 + delta**2) / (1 + 2 * delta**2))
    return out


def _fractions(
    values: np.ndarray, center: float, sd: float, lo: float | None, hi: float | None
) -> dict[str, float | None]:
    from scipy.stats import norm

    return {
        "expected_below_lsl": float(norm.cdf((lo - center) / sd)) if lo is not None else None,
        "expected_above_usl": float(norm.sf((hi - center) / sd)) if hi is not None else None,
        "observed_below_lsl": float(np.mean(values < lo)) if lo is not None else None,
        "observed_above_usl": float(np.mean(values > hi)) if hi is not None else None,
    }
