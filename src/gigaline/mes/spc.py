"""SPC over stored process parameters: chart, run rules, capability, alarms and holds.

:func:`run_spc` reads the values of one parameter at one step in time order (one query, the
value extracted by the database, :mod:`gigaline.mes.measures`), builds the control chart with
:func:`gigaline.quality.control_chart` (individuals, or consecutive records in subgroups for
X-bar charts), evaluates the run rules and computes the capability against the spec limits of
the line file's ``quality.specs``. Each rule violation raises one alarm (stored once: running
SPC again over the same points adds nothing); a spec with ``hold_on_violation: true`` puts the
units of the newly flagged points, and every unit made from them, on one hold (released like
any other, ``gigaline release``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, String, insert, select, type_coerce

from gigaline.mes import tables as t
from gigaline.mes.db import StoreError, require_revision
from gigaline.mes.holds import hold_units
from gigaline.mes.measures import numbers
from gigaline.mes.queries import rfc3339
from gigaline.mes.store import Store
from gigaline.model.quality import ParameterSpec, QualitySpec
from gigaline.quality import Capability, ControlChart, capability, control_chart

__all__ = [
    "SPC_CHARTS",
    "ChartView",
    "ParameterSeries",
    "SpcResult",
    "param_series",
    "run_spc",
    "stored_quality",
]

#: Charts for a measured parameter: individuals and subgrouped variables charts.
SPC_CHARTS = ("imr", "xbar_r", "xbar_s", "ewma", "cusum")
_SUBGROUPED = ("xbar_r", "xbar_s")
_RULE_SETS = ("nelson", "western_electric")
_CHUNK = 5_000


@dataclass(frozen=True)
class ParameterSeries:
    """The stored values of one parameter at one step, in time order (one per record)."""

    step: str
    param: str
    units: list[str]
    ts: list[datetime]
    values: NDArray[np.float64]


@dataclass(frozen=True)
class ChartView:
    """Every point of a chart, phase I and phase II together, with per-point limits."""

    chart: str
    nsigmas: float
    statistics: NDArray[np.float64]
    center: NDArray[np.float64]
    lcl: NDArray[np.float64]
    ucl: NDArray[np.float64]
    upper: NDArray[np.float64] | None = None  # CUSUM sums
    lower: NDArray[np.float64] | None = None
    h: float | None = None

    @classmethod
    def of(cls, *charts: ControlChart) -> ChartView:
        def cat(name: str) -> NDArray[np.float64]:
            parts = [
                np.broadcast_to(np.asarray(getattr(c, name), dtype=float), c.statistics.shape)
                for c in charts
            ]
            return np.concatenate(parts)

        first = charts[0]
        cusum = first.chart == "cusum"
        return cls(
            chart=first.chart, nsigmas=first.nsigmas, statistics=cat("statistics"),
            center=cat("center"), lcl=cat("lcl"), ucl=cat("ucl"),
            upper=cat("upper") if cusum else None, lower=cat("lower") if cusum else None,
            h=first.params.get("h") if cusum else None,
        )  # fmt: skip


@dataclass(frozen=True)
class SpcResult:
    """A control chart of stored data with its violations, capability, alarms and hold.

    ``chart`` is the phase I chart (of the baseline points when a baseline was given),
    ``monitored`` the phase II chart of the points after it (or None), ``view`` all points.
    """

    series: ParameterSeries
    chart: ControlChart
    monitored: ControlChart | None
    view: ChartView
    baseline: int | None
    rules: str
    subgroup_size: int
    violations: dict[int, list[int]]
    spec: ParameterSpec | None
    capability: Capability | None
    new_alarms: int = 0
    hold: dict[str, Any] | None = None
    point_units: list[list[str]] = field(default_factory=list)
    point_ts: list[datetime] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the chart (limits, σ, plotted points), violations, capability, alarms."""
        v = self.view
        flagged = sorted({i for idx in self.violations.values() for i in idx})

        def level(a: NDArray[np.float64]) -> float | list[float]:
            return float(a[0]) if a.size and np.all(a == a[0]) else a.tolist()

        return {
            "step": self.series.step,
            "param": self.series.param,
            "chart": v.chart,
            "rules": self.rules,
            "records": len(self.series.units),
            "points": len(self.point_ts),
            "subgroup_size": self.subgroup_size,
            "baseline": self.baseline,
            "first": rfc3339(self.point_ts[0]) if self.point_ts else None,
            "last": rfc3339(self.point_ts[-1]) if self.point_ts else None,
            "center": level(v.center),
            "lcl": level(v.lcl),
            "ucl": level(v.ucl),
            "sigma": self.chart.as_dict()["sigma"],
            "violations": {str(r): idx for r, idx in self.violations.items()},
            "flagged_units": sorted({u for i in flagged for u in self.point_units[i]}),
            "spec": self.spec.model_dump(exclude={"step", "param"}) if self.spec else None,
            "capability": _capability_dict(self.capability),
            "new_alarms": self.new_alarms,
            "hold": self.hold,
            "ts": [rfc3339(x) for x in self.point_ts],
            "statistics": v.statistics.tolist(),
        }


def _capability_dict(cap: Capability | None) -> dict[str, Any] | None:
    if cap is None:
        return None
    names = ("n", "center", "sigma_within", "sigma_overall", "cp", "cpk", "cpm", "pp", "ppk",
             "cp_ci", "cpk_ci", "expected_below_lsl", "expected_above_usl",
             "observed_below_lsl", "observed_above_usl")  # fmt: skip
    return {n: (list(v) if isinstance(v, tuple) else v) for n in names for v in [getattr(cap, n)]}


def _step_ids(conn: Connection, step: str) -> list[tuple[int, int]]:
    rows = conn.execute(select(t.steps.c.id, t.steps.c.line_id).where(t.steps.c.name == step)).all()
    if not rows:
        known = conn.execute(select(t.steps.c.name).order_by(t.steps.c.position)).scalars()
        raise StoreError(f"no step {step!r} in the store; steps: {', '.join(known)}")
    return [(int(r[0]), int(r[1])) for r in rows]


def param_series(
    store: Store, step: str, param: str, since: datetime | None = None
) -> ParameterSeries:
    """Values of ``param`` recorded at ``step`` (from ``since`` on), ordered by time.

    A ``since`` without a time zone is taken as UTC.
    """
    pr = t.process_records
    # SQLite stores times as text: parsed by numpy at once, not by SQLAlchemy row by row
    # (a third of the read time at 25,000 records).
    ts_col = pr.c.ts if store.postgres else type_coerce(pr.c.ts, String)
    with store.engine.connect() as conn:
        ids = [i for i, _ in _step_ids(conn, step)]
        q = (
            select(pr.c.unit, ts_col, pr.c.params)
            .where(pr.c.step_id.in_(ids), pr.c.params.is_not(None))
            .order_by(pr.c.ts, pr.c.id)
        )
        if since is not None:
            utc = since.replace(tzinfo=UTC) if since.tzinfo is None else since.astimezone(UTC)
            q = q.where(pr.c.ts >= utc)
        keys = (param,)
        rows = [(r[0], r[1], numbers(r[2], keys)[0]) for r in conn.execute(q)]
    rows = [r for r in rows if r[2] is not None]
    ts = [r[1] for r in rows]
    if not store.postgres:  # naive UTC, as SQLAlchemy would return them
        ts = np.array(ts, dtype="datetime64[us]").tolist()
    return ParameterSeries(
        step=step,
        param=param,
        units=[r[0] for r in rows],
        ts=ts,
        values=np.array([r[2] for r in rows], dtype=np.float64),
    )


def stored_quality(store: Store, step: str) -> QualitySpec | None:
    """The quality section stored by ``gigaline mes init`` for the line of ``step``."""
    with store.engine.connect() as conn:
        line_ids = {line for _, line in _step_ids(conn, step)}
        if len(line_ids) > 1:
            raise StoreError(f"step {step!r} is on {len(line_ids)} lines; give the line file")
        text = conn.execute(
            select(t.lines.c.quality).where(t.lines.c.id == line_ids.pop())
        ).scalar()
    return None if text is None else QualitySpec.model_validate_json(text)


def _spec(quality: QualitySpec | None, step: str, param: str) -> ParameterSpec | None:
    for spec in quality.specs if quality else ():
        if spec.step == step and spec.param == param:
            return spec
    return None


def run_spc(
    store: Store,
    step: str,
    param: str,
    *,
    since: datetime | None = None,
    chart: str = "imr",
    rules: str = "nelson",
    subgroup_size: int = 5,
    baseline: int | None = None,
    quality: QualitySpec | None = None,
    raise_alarms: bool = True,
    by: str = "gigaline spc",
) -> SpcResult:
    """SPC of one stored parameter (see the module doc); alarms and holds when ``raise_alarms``.

    ``chart``: ``imr``, ``ewma`` and ``cusum`` plot single values; ``xbar_r`` and ``xbar_s``
    consecutive records in subgroups of ``subgroup_size`` (an incomplete last subgroup waits
    for its records). ``baseline``: the first so many points (after ``since``) estimate the
    centre and limits (phase I) and the points after them are judged against those frozen
    limits (phase II), as a plant runs SPC once a period of stable running is known; without
    it, all points estimate the limits. ``quality`` overrides the quality section stored with
    the line.
    """
    if chart not in SPC_CHARTS:
        raise StoreError(f"--chart {chart!r}: allowed for a parameter: {', '.join(SPC_CHARTS)}")
    if rules not in _RULE_SETS:
        raise StoreError(f"--rules {rules!r}: allowed: {', '.join(_RULE_SETS)}")
    n = subgroup_size if chart in _SUBGROUPED else 1
    if n < 2 and chart in _SUBGROUPED:
        raise StoreError(f"--subgroup {subgroup_size}: an X-bar chart needs subgroups of 2 or more")
    require_revision(store.engine, "alarms", "SPC")
    series = param_series(store, step, param, since)
    points = series.values.size // n
    if points < 2:
        after = f" after {rfc3339(since)}" if since else ""
        raise StoreError(
            f"{step}/{param}: {series.values.size} stored values{after}; a chart needs at least"
            f" {2 * n}"
        )
    m = points * n
    data = series.values[:m] if n == 1 else series.values[:m].reshape(points, n)
    if baseline is not None and not 2 <= baseline < points:
        raise StoreError(f"--baseline {baseline}: give 2 to {points - 1} points (of {points})")
    ch = control_chart(data if baseline is None else data[:baseline], chart)
    violations = _violations(ch, rules)
    monitored = None
    if baseline is not None:
        monitored = ch.monitor(data[baseline:])
        for rule, idx in _violations(monitored, rules).items():
            violations[rule] = violations.get(rule, []) + [i + baseline for i in idx]
    violations = {r: idx for r, idx in sorted(violations.items()) if idx}
    spec = _spec(quality if quality is not None else stored_quality(store, step), step, param)
    cap = capability(data, lsl=spec.lsl, usl=spec.usl, target=spec.target) if spec else None
    view = ChartView.of(ch) if monitored is None else ChartView.of(ch, monitored)
    result = SpcResult(
        series=series, chart=ch, monitored=monitored, view=view, baseline=baseline,
        rules=rules, subgroup_size=n, violations=violations, spec=spec, capability=cap,
        point_units=[series.units[i * n : (i + 1) * n] for i in range(points)],
        point_ts=[series.ts[(i + 1) * n - 1] for i in range(points)],
    )  # fmt: skip
    if raise_alarms and violations:
        return _raise_alarms(store, result, by)
    return result


def _violations(ch: ControlChart, rules: str) -> dict[int, list[int]]:
    """Run rules on Shewhart charts; EWMA and CUSUM points are not independent: limits only."""
    return ch.violations() if ch.chart in ("ewma", "cusum") else ch.violations(rules=rules)


def _raise_alarms(store: Store, res: SpcResult, by: str) -> SpcResult:
    """Store one alarm per new (point, rule); hold the new points' units if the spec says so."""
    ch, step, param = res.view, res.series.step, res.series.param
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    for rule, idx in sorted(res.violations.items()):
        for i in idx:
            units = res.point_units[i]
            key = (
                f"spc|{step}|{param}|{ch.chart}|{res.rules}|{rule}|{units[0]}|{units[-1]}"
                f"|{rfc3339(res.point_ts[i])}"
            )
            rows.append({
                "key": key, "source": "spc", "raised": now, "ts": res.point_ts[i],
                "step": step, "param": param, "chart": ch.chart, "rules": res.rules,
                "rule": rule, "value": float(ch.statistics[i]), "center": float(ch.center[i]),
                "lcl": float(ch.lcl[i]), "ucl": float(ch.ucl[i]), "units": json.dumps(units),
                "message": f"{step}/{param}: {res.rules} rule {rule} at point {i}"
                           f" ({ch.chart}, value {float(ch.statistics[i]):.6g})",
                "hold_id": None,
            })  # fmt: skip
    hold = None
    with store.engine.begin() as conn:
        keys = [r["key"] for r in rows]
        seen: set[str] = set()
        for j in range(0, len(keys), _CHUNK):
            q = select(t.alarms.c.key).where(t.alarms.c.key.in_(keys[j : j + _CHUNK]))
            seen.update(conn.execute(q).scalars())
        new = [r for r in rows if r["key"] not in seen]
        if new and res.spec is not None and res.spec.hold_on_violation:
            units = list(dict.fromkeys(u for r in new for u in json.loads(r["units"])))
            rules = sorted({r["rule"] for r in new})
            reason = (
                f"SPC: {res.rules} rule(s) {', '.join(map(str, rules))} violated at"
                f" {len({r['ts'] for r in new})} point(s) of {param} at step {step}"
                f" ({ch.chart} chart); the spec holds the affected units"
            )
            hold = hold_units(conn, units, f"spc:{step}/{param}", reason, by)
            for r in new:
                r["hold_id"] = hold["id"]
        if new:
            conn.execute(insert(t.alarms), new)
    return replace(res, new_alarms=len(new), hold=hold)
