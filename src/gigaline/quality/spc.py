"""Control charts: Shewhart X-bar/R, X-bar/S, individuals/moving range, p, np, c, u, and the
time-weighted EWMA and tabular CUSUM.

One entry point, :func:`control_chart`, estimates the centre and σ from phase I data (or
takes them as known through ``center=`` and ``sigma=``) and returns a :class:`ControlChart`;
``chart.monitor(new_data)`` judges phase II data against the frozen limits.

Formulas (Montgomery, *Introduction to Statistical Quality Control*, 7th ed., ch. 6, 7, 9;
NIST/SEMATECH e-Handbook of Statistical Methods, sec. 6.3), with R qcc 3.0's estimators:

* X-bar: centre x̿ (weighted by subgroup size), σ̂ = mean(R_i/d2(n_i)) for X-bar/R and
  mean(s_i/c4(n_i)) for X-bar/S; limits x̿ ± L σ̂/√n_i.
* R: centre d2(n_i)σ̂, limits (d2 ± L d3)σ̂, floored at 0 (= D3 R̄, D4 R̄ for equal n).
* S: centre c4(n_i)σ̂, limits (c4 ± L √(1-c4²))σ̂, floored at 0 (= B3 s̄, B4 s̄).
* individuals: σ̂ = mean moving range / d2(2); MR chart centre d2(2)σ̂, limits (d2 ± L d3)σ̂.
* p: p̄ = ΣD/Σn, limits p̄ ± L √(p̄(1-p̄)/n_i); np: n_i p̄ ± L √(n_i p̄(1-p̄)).
* c: c̄ ± L √c̄;  u: ū = Σc/Σn, limits ū ± L √(ū/n_i).
* EWMA: z_i = λ x̄_i + (1-λ) z_{i-1}, z_0 = centre; Var(z_i) = (1-λ)² Var(z_{i-1}) + λ²σ²/n_i
  (for equal n this is λ/(2-λ)(1-(1-λ)^{2i}) σ²/n); limits centre ± L √Var(z_i).
* CUSUM: z_i = (x̄_i - centre)/(σ/√n_i), C⁺_i = max(0, C⁺_{i-1} + z_i - k),
  C⁻_i = max(0, C⁻_{i-1} - z_i - k); a point signals when C⁺ > h or C⁻ > h (qcc stores
  and plots the lower sum as -C⁻, and so does :attr:`ControlChart.lower`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from gigaline.quality import _inputs as inp
from gigaline.quality._estimate import (
    Subgroups,
    c4_of,
    d2_of,
    d3_of,
    sigma_moving_range,
    sigma_uwave_r,
    sigma_uwave_sd,
    subgroup_stats,
)
from gigaline.quality.constants import d2, d3
from gigaline.quality.errors import QualityInputError
from gigaline.quality.rules import Series as _Series
from gigaline.quality.rules import evaluate_rules, resolve_rules

__all__ = ["CHARTS", "ControlChart", "control_chart"]

FloatArray = NDArray[np.float64]
Value = float | FloatArray

CHARTS = ("xbar_r", "xbar_s", "imr", "p", "np", "c", "u", "ewma", "cusum")
_VARIABLES = ("xbar_r", "xbar_s", "imr", "ewma", "cusum")
_TIME_WEIGHTED = ("ewma", "cusum")


@dataclass(frozen=True)
class _Model:
    """What phase I fixed and phase II reuses: the chart kind, level, σ and settings."""

    chart: str
    level: float  # process mean (variables), p (p, np), c per subgroup (c), u per unit (u)
    sigma: float  # process σ of single values (variables); NaN for attributes
    nsigmas: float
    subgrouped: bool = True
    lam: float = 0.2
    L: float = 3.0
    k: float = 0.5
    h: float = 5.0
    state: tuple[float, ...] = ()  # EWMA (z, Var z); CUSUM (C⁺, C⁻); IMR (last value,)


def _collapse(a: FloatArray) -> Value:
    """A float where every point shares the value, the array otherwise."""
    if a.size and np.all(a == a[0]):
        return float(a[0])
    return a


@dataclass(frozen=True, eq=False)
class ControlChart:
    """A control chart: the plotted statistics, the centre line, the limits and σ.

    ``center``, ``lcl``, ``ucl`` and ``sigma`` are floats, or arrays with one value per
    point where they vary (variable subgroup sizes, EWMA start-up). ``sigma`` is the process
    standard deviation the limits are built from: of single values for variables charts,
    √(p̄(1-p̄)) for p, √(n p̄(1-p̄)) for np, √c̄ for c and √ū for u (as qcc reports it).
    ``dispersion`` is the companion R, S or moving-range chart of X-bar/R, X-bar/S and
    individuals charts. For CUSUM, ``upper`` and ``lower`` are the cumulative sums in
    standard errors and ``lcl``/``ucl`` are ∓h.
    """

    chart: str
    statistics: FloatArray
    center: Value
    lcl: Value
    ucl: Value
    sigma: Value
    nsigmas: float
    sizes: FloatArray | None = None
    phase: Literal["I", "II"] = "I"
    excluded: tuple[int, ...] = ()
    observations: FloatArray | None = None
    upper: FloatArray | None = None
    lower: FloatArray | None = None
    dispersion: ControlChart | None = None
    params: dict[str, float] = field(default_factory=dict)
    _model: _Model | None = field(default=None, repr=False)
    _series: _Series | None = field(default=None, repr=False)
    _prior: _Series | None = field(default=None, repr=False)

    def violations(
        self, rules: str | None = None, only: Iterable[int] | None = None
    ) -> dict[int, list[int]]:
        """Indices of the points that violate each rule, ``{rule_number: [indices]}``.

        With no argument: the points beyond the control limits, as ``{1: [...]}``.
        ``rules="western_electric"`` (rules 1-4) or ``"nelson"`` (1-8); ``only`` picks
        rule numbers from the set. On a monitored (phase II) chart, indices count from its
        first new point, while runs may start in the points before it.
        """
        rule_set, numbers = resolve_rules(rules, only)
        if self.chart == "cusum":
            if numbers != [1]:
                raise QualityInputError("rules", rules, "a CUSUM chart signals on h only")
            assert self.upper is not None and self.lower is not None
            hit = (self.upper > self.params["h"]) | (self.lower < -self.params["h"])
            return {1: [int(i) for i in np.flatnonzero(hit)]}
        if self.chart == "ewma" and numbers != [1]:
            raise QualityInputError(
                "rules", rules, "run rules assume independent points; EWMA allows the limits only"
            )
        assert self._series is not None
        series = self._series if self._prior is None else self._prior + self._series
        offset = 0 if self._prior is None else self._prior.stat.size
        flags = evaluate_rules(series, self.nsigmas, rule_set, numbers)
        return {
            r: [int(i) - offset for i in np.flatnonzero(f[offset:]) + offset]
            for r, f in flags.items()
        }

    def monitor(self, new_data: Any, sizes: Any = None) -> ControlChart:
        """Phase II: the new data judged against this chart's frozen centre, σ and limits."""
        assert self._model is not None
        out = _build(self._model, new_data, sizes, phase="II", prior=self._history())
        if out.dispersion is not None and self.dispersion is not None:
            disp = replace(out.dispersion, phase="II", _prior=self.dispersion._history())
            out = replace(out, dispersion=disp)
        return out

    def _history(self) -> _Series | None:
        """Every point so far (earlier phases first), for run rules that span phases."""
        if self._series is None:
            return self._prior
        return self._series if self._prior is None else self._prior + self._series

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (lists for arrays)."""

        def j(v: Any) -> Any:
            return v.tolist() if isinstance(v, np.ndarray) else v

        out: dict[str, Any] = {
            "chart": self.chart,
            "phase": self.phase,
            "center": j(self.center),
            "lcl": j(self.lcl),
            "ucl": j(self.ucl),
            "sigma": j(self.sigma),
            "nsigmas": self.nsigmas,
            "statistics": j(self.statistics),
            "excluded": list(self.excluded),
            "params": dict(self.params),
        }
        for name in ("sizes", "observations", "upper", "lower"):
            if getattr(self, name) is not None:
                out[name] = j(getattr(self, name))
        if self.dispersion is not None:
            out["dispersion"] = self.dispersion.as_dict()
        return out


def control_chart(
    data: Any,
    chart: str = "xbar_r",
    *,
    sizes: Any = None,
    center: float | None = None,
    sigma: float | None = None,
    exclude: Sequence[int] | None = None,
    nsigmas: float = 3.0,
    lam: float = 0.2,
    L: float = 3.0,
    k: float = 0.5,
    h: float = 5.0,
    head_start: float = 0.0,
) -> ControlChart:
    """Phase I control chart of ``data``.

    ``data`` is a 2-D array with one row per subgroup for ``xbar_r`` and ``xbar_s`` (NaN pads
    shorter subgroups; ragged lists are accepted), a 1-D array for ``imr``, counts for
    ``p``/``np`` (nonconforming units, with ``sizes=``), ``c`` and ``u`` (nonconformities,
    ``u`` with ``sizes=``), and either for ``ewma`` and ``cusum``. ``center=`` and ``sigma=``
    give known values instead of estimating them (for p and np, ``center`` is the fraction
    nonconforming p; for c the mean count per subgroup; for u the mean count per unit).
    ``exclude`` lists point indices left out of the estimates (they stay on the chart).
    EWMA takes ``lam`` (λ) and ``L``; CUSUM ``k`` and ``h`` in standard errors and an
    optional ``head_start`` (fast initial response), as qcc does.
    """
    if chart not in CHARTS:
        raise QualityInputError("chart", chart, f"one of {', '.join(CHARTS)}")
    nsig = inp.positive(nsigmas, "nsigmas")
    assert nsig is not None
    if chart in _TIME_WEIGHTED:
        _check_time_weighted(chart, lam, L, k, h, head_start)
    if chart == "ewma":
        nsig = float(L)  # the EWMA limits sit at L standard errors
    model = _estimate(chart, data, sizes, center, sigma, exclude, nsig)
    model = replace(model, lam=float(lam), L=float(L), k=float(k), h=float(h))
    if chart == "ewma":
        model = replace(model, state=(model.level, 0.0))
    elif chart == "cusum":
        model = replace(model, state=(float(head_start), float(head_start)))
    built = _build(model, data, sizes, phase="I", prior=None)
    return replace(
        built, excluded=tuple(sorted(int(i) % built.statistics.size for i in exclude or ()))
    )


def _check_time_weighted(chart: str, lam: float, L: float, k: float, h: float, hs: float) -> None:
    if chart == "ewma":
        if not 0 < lam <= 1:
            raise QualityInputError("lam", lam, "a smoothing weight 0 < lam <= 1")
        inp.positive(L, "L")
        return
    if not np.isfinite(k) or k < 0:
        raise QualityInputError("k", k, "a reference value k >= 0 (in standard errors)")
    inp.positive(h, "h")
    if not 0 <= hs < h:
        raise QualityInputError("head_start", hs, f"0 <= head_start < h ({h})")


# --- phase I estimation --------------------------------------------------------------


def _estimate(
    chart: str,
    data: Any,
    sizes: Any,
    center: float | None,
    sigma: float | None,
    exclude: Sequence[int] | None,
    nsigmas: float,
) -> _Model:
    if chart in _VARIABLES:
        return _estimate_variables(chart, data, center, sigma, exclude, nsigmas)
    if sigma is not None:
        raise QualityInputError(
            "sigma", sigma, f"a {chart} chart's sigma follows from its centre; give center="
        )
    counts = inp.as_counts(data)
    keep = ~inp.as_exclude(exclude, counts.size)
    n = _attribute_sizes(chart, counts, sizes)
    if center is not None:
        level = _known_attribute_level(chart, center)
    elif chart in ("p", "np", "u"):
        level = float(counts[keep].sum() / n[keep].sum())
    else:
        level = float(counts[keep].mean())
    if level <= 0 or (chart in ("p", "np") and level >= 1):
        raise QualityInputError(
            "counts",
            f"estimated level {level:g}",
            "phase I data with every unit conforming (or none) give no limits; give center=",
        )
    return _Model(chart=chart, level=level, sigma=math.nan, nsigmas=nsigmas)


def _known_attribute_level(chart: str, center: float) -> float:
    if chart in ("p", "np"):
        if not 0 < center < 1:
            raise QualityInputError("center", center, "a fraction nonconforming 0 < p < 1")
        return float(center)
    value = inp.positive(center, "center")
    assert value is not None
    return value


def _attribute_sizes(chart: str, counts: FloatArray, sizes: Any) -> FloatArray:
    if chart == "c":
        if sizes is not None and np.unique(np.asarray(sizes, dtype=float)).size > 1:
            raise QualityInputError(
                "sizes", sizes, "a c chart needs equal inspection units; use chart='u'"
            )
        return np.ones(counts.size)
    n = inp.as_sizes(sizes, counts.size, whole=chart != "u")
    if chart in ("p", "np"):
        over = np.flatnonzero(counts > n)
        if over.size:
            i = int(over[0])
            raise QualityInputError(
                f"counts[{i}]", counts[i], f"nonconforming units cannot exceed the size {n[i]:g}"
            )
    return n


def _estimate_variables(
    chart: str,
    data: Any,
    center: float | None,
    sigma: float | None,
    exclude: Sequence[int] | None,
    nsigmas: float,
) -> _Model:
    known_mu = inp.finite(center, "center")
    known_sigma = inp.positive(sigma, "sigma")
    subgrouped = _is_subgrouped(chart, data)
    if subgrouped:
        arr = inp.as_subgroups(data)
        groups = subgroup_stats(arr, min_size=1 if known_sigma is not None else 2)
        keep = ~inp.as_exclude(exclude, groups.sizes.size)
        mu = float(np.sum(groups.sizes[keep] * groups.means[keep]) / groups.sizes[keep].sum())
        est = known_sigma if known_sigma is not None else _subgroup_sigma(chart, groups, keep)
    else:
        x = inp.as_values(data, min_len=2 if known_sigma is None else 1)
        keep = ~inp.as_exclude(exclude, x.size)
        mu = float(x[keep].mean())
        est = known_sigma if known_sigma is not None else sigma_moving_range(x, keep)
    if est == 0:
        raise QualityInputError(
            "data", "no variation", "sigma cannot be estimated from identical values; give sigma="
        )
    level = known_mu if known_mu is not None else mu
    return _Model(chart, level, est, nsigmas, subgrouped=subgrouped)


def _is_subgrouped(chart: str, data: Any) -> bool:
    if chart in ("xbar_r", "xbar_s"):
        return True
    if chart == "imr":
        return False
    arr = np.asarray(data, dtype=object)
    return (arr.ndim == 2 and arr.shape[1] > 1) or (
        arr.ndim == 1 and arr.size > 0 and _ragged(data)
    )


def _ragged(data: Any) -> bool:
    first = next(iter(data))
    return isinstance(first, Iterable) and not isinstance(first, str)


def _subgroup_sigma(chart: str, groups: Subgroups, keep: NDArray[np.bool_]) -> float:
    if chart == "xbar_s":
        return sigma_uwave_sd(groups, keep)
    return sigma_uwave_r(groups, keep)


# --- evaluation of points against a model -----------------------------------------------


def _limits(center: FloatArray, se: FloatArray, nsigmas: float) -> tuple[FloatArray, FloatArray]:
    return center - nsigmas * se, center + nsigmas * se


def _make(
    chart: str,
    model: _Model,
    stat: FloatArray,
    center: FloatArray,
    se: FloatArray,
    *,
    floor: float | None = None,
    cap: FloatArray | None = None,
    sigma: Value,
    **extra: Any,
) -> ControlChart:
    lcl, ucl = _limits(center, se, model.nsigmas)
    if floor is not None:
        lcl = np.maximum(lcl, floor)
    if cap is not None:
        ucl = np.minimum(ucl, cap)
    series = _Series(stat, center, se, lcl, ucl)
    return ControlChart(
        chart=chart,
        statistics=stat,
        center=_collapse(center),
        lcl=_collapse(lcl),
        ucl=_collapse(ucl),
        sigma=sigma,
        nsigmas=model.nsigmas,
        _model=model,
        _series=series,
        **extra,
    )


def _build(
    model: _Model, data: Any, sizes: Any, phase: Literal["I", "II"], prior: _Series | None
) -> ControlChart:
    if model.chart in ("p", "np", "c", "u"):
        out = _attribute_chart(model, data, sizes)
    elif model.chart in _TIME_WEIGHTED:
        out = _time_weighted_chart(model, data)
    elif model.chart == "imr":
        out = _individuals_chart(model, data, phase)
    else:
        out = _subgroup_chart(model, data)
    return replace(out, phase=phase, _prior=prior)


def _subgroup_chart(model: _Model, data: Any) -> ControlChart:
    arr = inp.as_subgroups(data)
    groups = subgroup_stats(arr, min_size=2)
    n = groups.sizes
    sigma = model.sigma
    mu = np.full(n.size, model.level)
    if model.chart == "xbar_s":
        c4n = c4_of(n)
        disp = _make(
            "s",
            model,
            groups.sds,
            c4n * sigma,
            sigma * np.sqrt(1 - c4n**2),
            floor=0.0,
            sigma=sigma,
            sizes=n,
        )
    else:
        d3n = d3_of(n)
        disp = _make(
            "r",
            model,
            groups.ranges,
            d2_of(n) * sigma,
            d3n * sigma,
            floor=0.0,
            sigma=sigma,
            sizes=n,
        )
    return _make(
        model.chart,
        model,
        groups.means,
        mu,
        sigma / np.sqrt(n),
        sigma=sigma,
        sizes=n,
        dispersion=disp,
    )


def _individuals_chart(model: _Model, data: Any, phase: str) -> ControlChart:
    x = inp.as_values(data, min_len=1)
    sigma = model.sigma
    before = np.array(model.state[:1]) if phase == "II" and model.state else np.array([])
    joined = np.concatenate((before, x))
    mr = np.abs(np.diff(joined))
    if before.size == 0:
        mr = np.concatenate(([np.nan], mr))
    m = x.size
    disp = _make(
        "mr",
        model,
        mr,
        np.full(m, d2(2) * sigma),
        np.full(m, d3(2) * sigma),
        floor=0.0,
        sigma=sigma,
    )
    out = _make(
        "imr",
        model,
        x,
        np.full(m, model.level),
        np.full(m, sigma),
        sigma=sigma,
        dispersion=disp,
    )
    return replace(out, _model=replace(model, state=(float(x[-1]),)))


def _attribute_chart(model: _Model, data: Any, sizes: Any) -> ControlChart:
    counts = inp.as_counts(data)
    n = _attribute_sizes(model.chart, counts, sizes)
    lvl = model.level
    if model.chart == "p":
        return _make(
            "p",
            model,
            counts / n,
            np.full(n.size, lvl),
            np.sqrt(lvl * (1 - lvl) / n),
            floor=0.0,
            cap=np.ones(n.size),
            sigma=math.sqrt(lvl * (1 - lvl)),
            sizes=n,
        )
    if model.chart == "np":
        se = np.sqrt(n * lvl * (1 - lvl))
        return _make(
            "np",
            model,
            counts,
            n * lvl,
            se,
            floor=0.0,
            cap=n,
            sigma=_collapse(se),
            sizes=n,
        )
    if model.chart == "c":
        return _make(
            "c",
            model,
            counts,
            np.full(n.size, lvl),
            np.full(n.size, math.sqrt(lvl)),
            floor=0.0,
            sigma=math.sqrt(lvl),
        )
    return _make(
        "u",
        model,
        counts / n,
        np.full(n.size, lvl),
        np.sqrt(lvl / n),
        floor=0.0,
        sigma=math.sqrt(lvl),
        sizes=n,
    )


def _time_weighted_chart(model: _Model, data: Any) -> ControlChart:
    if model.subgrouped:
        groups = subgroup_stats(inp.as_subgroups(data), min_size=1)
        xbar, n = groups.means, groups.sizes
    else:
        xbar = inp.as_values(data, min_len=1)
        n = np.ones(xbar.size)
    if model.chart == "ewma":
        return _ewma(model, xbar, n)
    return _cusum(model, xbar, n)


def _ewma(model: _Model, xbar: FloatArray, n: FloatArray) -> ControlChart:
    lam, sigma = model.lam, model.sigma
    z_prev, var_prev = model.state
    z = np.empty(xbar.size)
    var = np.empty(xbar.size)
    for i, (x, ni) in enumerate(zip(xbar.tolist(), n.tolist(), strict=True)):
        z_prev = lam * x + (1 - lam) * z_prev
        var_prev = (1 - lam) ** 2 * var_prev + lam**2 * sigma**2 / ni
        z[i], var[i] = z_prev, var_prev
    frozen = replace(model, state=(z_prev, var_prev))
    return _make(
        "ewma",
        frozen,
        z,
        np.full(z.size, model.level),
        np.sqrt(var),
        sigma=sigma,
        sizes=n,
        observations=xbar,
        params={"lam": lam, "L": model.L},
    )


def _cusum(model: _Model, xbar: FloatArray, n: FloatArray) -> ControlChart:
    k, h = model.k, model.h
    zs = (xbar - model.level) / (model.sigma / np.sqrt(n))
    hi, lo = model.state
    upper = np.empty(zs.size)
    lower = np.empty(zs.size)
    for i, z in enumerate(zs.tolist()):
        hi = max(0.0, hi + z - k)
        lo = max(0.0, lo - z - k)
        upper[i], lower[i] = hi, -lo
    m = zs.size
    series = _Series(zs, np.zeros(m), np.ones(m), np.full(m, -h), np.full(m, h))
    return ControlChart(
        chart="cusum",
        statistics=xbar,
        center=model.level,
        lcl=-h,
        ucl=h,
        sigma=model.sigma,
        nsigmas=model.nsigmas,
        sizes=n,
        observations=xbar,
        upper=upper,
        lower=lower,
        params={"k": k, "h": h},
        _model=replace(model, state=(hi, lo)),
        _series=series,
    )
