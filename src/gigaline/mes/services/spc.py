"""SPC over stored process parameters: chart, run rules, capability, alarms and holds.

:func:`run_spc` reads the values of one parameter at one step in time order
(:meth:`~gigaline.mes.ports.MeasureReader.measure_series`), builds the control chart with
:func:`gigaline.quality.control_chart` (individuals, or consecutive records in subgroups for
X-bar charts), evaluates the run rules and computes the capability against the spec limits of
the line file's ``quality.specs``. It changes nothing unless asked: with ``raise_alarms``, each
rule violation raises one alarm (stored once: running SPC again over the same points adds
nothing), and a spec with ``hold_on_violation: true`` puts the units of the newly flagged
points, and every unit made from them, on one hold (released like any other,
``gigaline release``).

:class:`LiveSpc` is the live counterpart (``gigaline connect``): the connector sink hands it the
process records of every committed batch (:class:`gigaline.mes.connectors.sink.StoreSink`), and
each spec of the line's ``quality.specs`` is judged as its values arrive, with the cost of a
batch bounded by the batch (see the class).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Final, Protocol, overload

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, computed_field

from gigaline.errors import FieldError, NotFoundError
from gigaline.mes.ports import (
    Alarm,
    AlarmBook,
    Feature,
    GenealogyReader,
    LineRegistry,
    MeasureReader,
    MeasureSeries,
    NewHold,
)
from gigaline.mes.services.holds import check_by, new_hold_summary
from gigaline.mes.services.models import Hold, rfc3339, rfc3339_all
from gigaline.model.quality import ParameterSpec, QualitySpec
from gigaline.quality import Capability, ControlChart, capability, control_chart

__all__ = [
    "RULE_SETS",
    "SPC_CHARTS",
    "CapabilitySummary",
    "ChartView",
    "LiveSpc",
    "PointUnits",
    "SpcReport",
    "SpcResult",
    "SpcStore",
    "SpcZones",
    "run_spc",
    "stored_quality",
]

#: Charts for a measured parameter: individuals and subgrouped variables charts.
SPC_CHARTS: Final = ("imr", "xbar_r", "xbar_s", "ewma", "cusum")
RULE_SETS: Final = ("nelson", "western_electric")
_SUBGROUPED = ("xbar_r", "xbar_s")


class SpcStore(MeasureReader, LineRegistry, AlarmBook, GenealogyReader, Protocol):
    """The doors SPC uses: measures, steps and quality settings, alarms (with their hold) and
    the genealogy (to close a hold over the units made from the flagged ones)."""

    def require(self, feature: Feature) -> None: ...


class ChartView:
    """Every point of a chart, phase I and phase II together, with per-point limits."""

    def __init__(self, *charts: ControlChart) -> None:
        def cat(name: str) -> NDArray[np.float64]:
            parts = [
                np.broadcast_to(np.asarray(getattr(c, name), dtype=float), c.statistics.shape)
                for c in charts
            ]
            return np.concatenate(parts)

        first = charts[0]
        cusum = first.chart == "cusum"
        self.chart: str = first.chart
        self.nsigmas: float = first.nsigmas
        self.statistics = cat("statistics")
        self.center, self.lcl, self.ucl = cat("center"), cat("lcl"), cat("ucl")
        self.upper = cat("upper") if cusum else None  # CUSUM sums
        self.lower = cat("lower") if cusum else None
        self.h: float | None = first.params.get("h") if cusum else None


class PointUnits(Sequence[list[str]]):
    """The units of each point: ``units[i * n : (i + 1) * n]`` of point ``i``, made when asked.

    A list of 10,000 lists, one per point, cost more than building the rest of the chart (8 to
    25 ms of CPU, most of it in the garbage collector, which scans every such list until it is
    freed); a chart needs the units of its flagged points only.
    """

    __slots__ = ("_n", "_points", "_units")

    def __init__(self, units: Sequence[str], n: int, points: int) -> None:
        self._units, self._n, self._points = units, n, points

    def __len__(self) -> int:
        return self._points

    @overload
    def __getitem__(self, i: int) -> list[str]: ...
    @overload
    def __getitem__(self, i: slice) -> list[list[str]]: ...
    def __getitem__(self, i: int | slice) -> list[str] | list[list[str]]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._points))]
        if i < 0:
            i += self._points
        if not 0 <= i < self._points:
            raise IndexError(i)
        return list(self._units[i * self._n : (i + 1) * self._n])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


class CapabilitySummary(BaseModel):
    """Capability indices against the spec limits (the JSON's ``capability``)."""

    model_config = ConfigDict(frozen=True)

    n: int
    center: float
    sigma_within: float
    sigma_overall: float
    cp: float | None
    cpk: float
    cpm: float | None
    pp: float | None
    ppk: float
    cp_ci: list[float] | None
    cpk_ci: list[float]
    expected_below_lsl: float | None
    expected_above_usl: float | None
    observed_below_lsl: float | None
    observed_above_usl: float | None

    @classmethod
    def of(cls, cap: Capability) -> CapabilitySummary:
        return cls(**{
            n: (list(v) if isinstance(v, tuple) else v)
            for n in cls.model_fields for v in [getattr(cap, n)]
        })  # fmt: skip


class SpcResult(BaseModel):
    """A control chart of stored data with its violations, capability, alarms and hold.

    ``model_dump()`` is the JSON of ``gigaline spc --json``; its fields are computed on first
    use (a chart of 100,000 points need not format 100,000 times to be plotted). The rich
    objects stay as attributes: ``series`` (the stored values), ``control`` (the phase I chart:
    of the baseline points when a baseline was given), ``monitored`` (the phase II chart of the
    points after it, or None), ``view`` (all points), ``point_units``, ``point_ts``.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    series: MeasureSeries = Field(exclude=True)
    control: ControlChart = Field(exclude=True)
    monitored: ControlChart | None = Field(exclude=True)
    view: ChartView = Field(exclude=True)
    rule_set: str = Field(exclude=True)
    subgroup: int = Field(exclude=True)
    baseline_points: int | None = Field(exclude=True)
    violations_by_rule: dict[int, list[int]] = Field(exclude=True)
    parameter_spec: ParameterSpec | None = Field(exclude=True)
    capability_detail: Capability | None = Field(exclude=True)
    point_units: Sequence[list[str]] = Field(exclude=True)
    point_ts: Sequence[datetime] = Field(exclude=True)
    alarms_stored: int = Field(default=0, exclude=True)
    new_hold: Hold | None = Field(default=None, exclude=True)
    point_limit: int | None = Field(default=None, exclude=True)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def step(self) -> str:
        return self.series.step

    @computed_field  # type: ignore[prop-decorator]
    @property
    def param(self) -> str:
        return self.series.param

    @computed_field  # type: ignore[prop-decorator]
    @property
    def chart(self) -> str:
        return self.view.chart

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rules(self) -> str:
        return self.rule_set

    @computed_field  # type: ignore[prop-decorator]
    @property
    def records(self) -> int:
        return len(self.series.units)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def points(self) -> int:
        return len(self.point_ts)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def limit(self) -> int | None:
        """The most points asked for (None: every stored point after ``since``)."""
        return self.point_limit

    @computed_field  # type: ignore[prop-decorator]
    @property
    def truncated(self) -> bool:
        """Whether older records than those charted are stored (cut by ``limit``)."""
        return self.series.truncated

    @computed_field  # type: ignore[prop-decorator]
    @property
    def subgroup_size(self) -> int:
        return self.subgroup

    @computed_field  # type: ignore[prop-decorator]
    @property
    def baseline(self) -> int | None:
        return self.baseline_points

    @computed_field  # type: ignore[prop-decorator]
    @property
    def first(self) -> str | None:
        return rfc3339(self.point_ts[0]) if self.point_ts else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def last(self) -> str | None:
        return rfc3339(self.point_ts[-1]) if self.point_ts else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def center(self) -> float | list[float]:
        return _level(self.view.center)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def lcl(self) -> float | list[float]:
        return _level(self.view.lcl)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ucl(self) -> float | list[float]:
        return _level(self.view.ucl)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sigma(self) -> Any:
        s = self.control.sigma  # as ControlChart.as_dict() gives it, without the rest of it
        return s.tolist() if isinstance(s, np.ndarray) else s

    @computed_field  # type: ignore[prop-decorator]
    @property
    def violations(self) -> dict[int, list[int]]:
        """Rule number -> indices of the flagged points (rules with none left out)."""
        return self.violations_by_rule

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def flagged_units(self) -> list[str]:
        flagged = {i for idx in self.violations_by_rule.values() for i in idx}
        return sorted({u for i in flagged for u in self.point_units[i]})

    @computed_field  # type: ignore[prop-decorator]
    @property
    def spec(self) -> dict[str, Any] | None:
        s = self.parameter_spec
        return s.model_dump(exclude={"step", "param"}) if s is not None else None

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def capability(self) -> CapabilitySummary | None:
        cap = self.capability_detail
        return None if cap is None else CapabilitySummary.of(cap)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def new_alarms(self) -> int:
        return self.alarms_stored

    @computed_field  # type: ignore[prop-decorator]
    @property
    def hold(self) -> Hold | None:
        return self.new_hold

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def ts(self) -> list[str | None]:
        return rfc3339_all(self.point_ts)

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def statistics(self) -> list[float]:
        values: list[float] = self.view.statistics.tolist()
        return values


class SpcZones(BaseModel):
    """The zones of a Shewhart chart between its control limits (Western Electric, 1956):
    C within one standard error of the centre (``c_low`` to ``c_high``), B from one to two
    (down to ``b_low``, up to ``b_high``), A from two to the control limits. A list where the
    limits change from point to point (X-bar charts with a baseline)."""

    model_config = ConfigDict(frozen=True)

    b_low: float | list[float]
    c_low: float | list[float]
    c_high: float | list[float]
    b_high: float | list[float]

    @classmethod
    def of(cls, view: ChartView) -> SpcZones | None:
        """The zones of ``view`` (None for a CUSUM chart, which has none)."""
        if view.chart == "cusum" or view.nsigmas <= 0:
            return None
        se = (view.ucl - view.center) / view.nsigmas
        return cls(
            b_low=_level(view.center - 2 * se), c_low=_level(view.center - se),
            c_high=_level(view.center + se), b_high=_level(view.center + 2 * se),
        )  # fmt: skip


class SpcReport(BaseModel):
    """An :class:`SpcResult` as plain data (its ``model_dump()``) plus the chart's zones: what
    the HTTP API answers for a control chart."""

    model_config = ConfigDict(frozen=True)

    step: str
    param: str
    chart: str
    rules: str
    records: int
    points: int
    limit: int | None = None
    truncated: bool = False
    subgroup_size: int
    baseline: int | None
    first: str | None
    last: str | None
    center: float | list[float]
    lcl: float | list[float]
    ucl: float | list[float]
    sigma: Any
    violations: dict[int, list[int]]
    flagged_units: list[str]
    spec: dict[str, Any] | None
    capability: CapabilitySummary | None
    new_alarms: int
    hold: Hold | None
    ts: list[str | None]
    statistics: list[float]
    zones: SpcZones | None

    @classmethod
    def of(cls, result: SpcResult) -> SpcReport:
        """The report of ``result`` (zones: None for a CUSUM chart, which has none).

        Built from the result's fields as they are, not validated again: they are already of
        the report's types, and ``model_validate(result.model_dump())`` went over the 10,000
        points and their times twice more (the JSON is the same, byte for byte:
        tests/api/test_mes_routes.py)."""
        fields = {name: getattr(result, name) for name in cls.model_fields if name != "zones"}
        return cls.model_construct(**fields, zones=SpcZones.of(result.view))


def _level(a: NDArray[np.float64]) -> float | list[float]:
    if a.size and np.all(a == a[0]):
        return float(a[0])
    values: list[float] = a.tolist()
    return values


def stored_quality(store: LineRegistry, step: str) -> QualitySpec | None:
    """The quality section stored by ``gigaline mes init`` for the line of ``step``."""
    return _stored_quality(store, step, _lines_of(store, step))


def _stored_quality(store: LineRegistry, step: str, lines: set[str]) -> QualitySpec | None:
    if len(lines) > 1:
        raise FieldError("step", step, f"is on {len(lines)} lines; give the line file")
    return store.qualities().get(lines.pop())


def _lines_of(store: LineRegistry, step: str) -> set[str]:
    steps = store.steps()
    lines = {s.line for s in steps if s.name == step}
    if not lines:
        known = ", ".join(s.name for s in steps)
        raise NotFoundError("step", step, "step", f"steps: {known}")
    return lines


def _spec(quality: QualitySpec | None, step: str, param: str) -> ParameterSpec | None:
    for spec in quality.specs if quality else ():
        if spec.step == step and spec.param == param:
            return spec
    return None


def run_spc(
    store: SpcStore,
    step: str,
    param: str,
    *,
    since: datetime | None = None,
    chart: str = "imr",
    rules: str = "nelson",
    subgroup_size: int = 5,
    baseline: int | None = None,
    quality: QualitySpec | None = None,
    raise_alarms: bool = False,
    by: str = "gigaline spc",
    limit: int | None = None,
) -> SpcResult:
    """SPC of one stored parameter (see the module doc); alarms and holds only when
    ``raise_alarms`` (charting and analysis never change data unless asked).

    ``chart``: ``imr``, ``ewma`` and ``cusum`` plot single values; ``xbar_r`` and ``xbar_s``
    consecutive records in subgroups of ``subgroup_size`` (an incomplete last subgroup waits
    for its records). ``baseline``: the first so many points (after ``since``) estimate the
    centre and limits (phase I) and the points after them are judged against those frozen
    limits (phase II), as a plant runs SPC once a period of stable running is known; without
    it, all points estimate the limits. ``quality`` overrides the quality section stored with
    the line. A ``since`` without a time zone is taken as UTC. ``limit``: chart at most the
    newest ``limit`` points (``limit`` x ``subgroup_size`` records, after ``since``), read
    newest first; the result says so (``limit``, ``truncated`` when older records exist).
    """
    if chart not in SPC_CHARTS:
        raise FieldError("chart", chart, f"allowed for a parameter: {', '.join(SPC_CHARTS)}")
    if rules not in RULE_SETS:
        raise FieldError("rules", rules, f"allowed: {', '.join(RULE_SETS)}")
    if raise_alarms:
        check_by(by)
    n = subgroup_size if chart in _SUBGROUPED else 1
    if n < 2 and chart in _SUBGROUPED:
        raise FieldError(
            "subgroup_size", subgroup_size, "an X-bar chart needs subgroups of 2 or more"
        )
    store.require("spc")
    lines = _lines_of(store, step)
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    if limit is not None and limit < 2:
        raise FieldError("limit", limit, "at least 2 points")
    series = store.measure_series(step, param, since, None if limit is None else limit * n)
    points = series.values.size // n
    if points < 2:
        after = f" after {rfc3339(since)}" if since else ""
        raise FieldError(
            "param", param,
            f"{series.values.size} stored values at step {step!r}{after}; a chart needs at"
            f" least {2 * n}",
        )  # fmt: skip
    m = points * n
    data = series.values[:m] if n == 1 else series.values[:m].reshape(points, n)
    if baseline is not None and not 2 <= baseline < points:
        raise FieldError("baseline", baseline, f"give 2 to {points - 1} points (of {points})")
    ch = control_chart(data if baseline is None else data[:baseline], chart)
    violations = _violations(ch, rules)
    monitored = None
    if baseline is not None:
        monitored = ch.monitor(data[baseline:])
        for rule, idx in _violations(monitored, rules).items():
            violations[rule] = violations.get(rule, []) + [i + baseline for i in idx]
    violations = {r: idx for r, idx in sorted(violations.items()) if idx}
    if quality is None:
        quality = _stored_quality(store, step, lines)
    spec = _spec(quality, step, param)
    cap = capability(data, lsl=spec.lsl, usl=spec.usl, target=spec.target) if spec else None
    view = ChartView(ch) if monitored is None else ChartView(ch, monitored)
    fields: dict[str, Any] = {
        "series": series, "control": ch, "monitored": monitored, "view": view,
        "rule_set": rules, "subgroup": n, "baseline_points": baseline,
        "violations_by_rule": violations, "parameter_spec": spec, "capability_detail": cap,
        "point_units": PointUnits(series.units, n, points),
        "point_ts": series.ts[n - 1 : m : n],  # each subgroup's last record
        "point_limit": limit,
    }  # fmt: skip
    if raise_alarms and violations:
        fields["alarms_stored"], fields["new_hold"] = _raise_alarms(store, fields, step, param, by)
    return SpcResult.model_construct(**fields)


def _violations(ch: ControlChart, rules: str) -> dict[int, list[int]]:
    """Run rules on Shewhart charts; EWMA and CUSUM points are not independent: limits only."""
    return ch.violations() if ch.chart in ("ewma", "cusum") else ch.violations(rules=rules)


def _raise_alarms(
    store: SpcStore, res: dict[str, Any], step: str, param: str, by: str
) -> tuple[int, Hold | None]:
    """Store one alarm per new (point, rule); hold the new points' units if the spec says so."""
    ch: ChartView = res["view"]
    rules: str = res["rule_set"]
    point_units: Sequence[list[str]] = res["point_units"]
    point_ts: Sequence[datetime] = res["point_ts"]
    spec: ParameterSpec | None = res["parameter_spec"]
    now = datetime.now(UTC)
    alarms: list[Alarm] = []
    for rule, idx in sorted(res["violations_by_rule"].items()):
        for i in idx:
            units = point_units[i]
            key = (
                f"spc|{step}|{param}|{ch.chart}|{rules}|{rule}|{units[0]}|{units[-1]}"
                f"|{rfc3339(point_ts[i])}"
            )
            value = float(ch.statistics[i])
            alarms.append(Alarm(
                key=key, source="spc", raised=now, ts=point_ts[i], step=step, param=param,
                chart=ch.chart, rules=rules, rule=rule, value=value,
                center=float(ch.center[i]), lcl=float(ch.lcl[i]), ucl=float(ch.ucl[i]),
                units=units, message=f"{step}/{param}: {rules} rule {rule} at point {i}"
                                     f" ({ch.chart}, value {value:.6g})",
            ))  # fmt: skip
    seen = store.known_alarms([a.key for a in alarms])
    new = [a for a in alarms if a.key not in seen]
    hold = None
    if new and spec is not None and spec.hold_on_violation:
        units = list(dict.fromkeys(u for a in new for u in a.units))
        new_rules = sorted({a.rule for a in new})
        reason = (
            f"SPC: {rules} rule(s) {', '.join(map(str, new_rules))} violated at"
            f" {len({a.ts for a in new})} point(s) of {param} at step {step}"
            f" ({ch.chart} chart); the spec holds the affected units"
        )
        # the store adds every unit made from them, in the hold's transaction
        hold = NewHold(f"spc:{step}/{param}", units, reason, by, now)
    stored, placed = store.record_alarms(new, hold)
    if hold is None or placed is None:
        return stored, None
    return stored, new_hold_summary(placed, hold)


#: Points before the new ones that a run rule may need (Nelson rule 7: 15 in a row).
_RULE_TAIL = 15


class _Watch:
    """One watched (step, parameter): its phase I chart and the last points judged."""

    __slots__ = ("chart", "spec", "tail")

    def __init__(self, spec: ParameterSpec) -> None:
        self.spec = spec
        self.chart: ControlChart | None = None
        self.tail: list[tuple[datetime, str, float]] = []  # (ts, unit, value), time order


class LiveSpc:
    """SPC of the line's ``quality.specs`` on incoming records: alarms, and holds where a spec
    says ``hold_on_violation`` (the live ``gigaline spc``).

    Per spec, an individuals chart (``imr``) with ``rules`` (default Nelson): its centre and
    limits come from the first ``baseline`` stored values of the parameter (phase I, read once,
    when the spec is first met); every later value is judged against them (phase II) together
    with the 15 before it, so that runs spanning batches are seen. A batch costs what its own
    records cost (plus 15 points per spec it touches); until a spec has ``baseline`` values, its
    values are only gathered. Alarms have the keys of ``gigaline spc --chart imr --baseline N``
    on the same points, so running that afterwards stores no alarm twice. The specs are read
    from the store once (:meth:`reload` reads them again, after ``gigaline mes init``).
    """

    def __init__(
        self,
        store: SpcStore,
        *,
        baseline: int = 100,
        rules: str = "nelson",
        by: str = "gigaline connect",
    ) -> None:
        if rules not in RULE_SETS:
            raise FieldError("rules", rules, f"allowed: {', '.join(RULE_SETS)}")
        if baseline < 2:
            raise FieldError("baseline", baseline, "at least 2 values")
        self.store = store
        self.baseline = baseline
        self.rules = rules
        self.by = by
        self.alarms = 0
        self.holds = 0
        self._watch: dict[tuple[str, str], _Watch] | None = None

    def reload(self) -> None:
        """Read the specs again (and start every chart afresh)."""
        self._watch = None

    def _specs(self) -> dict[tuple[str, str], _Watch]:
        if self._watch is None:
            self._watch = {}
            for quality in self.store.qualities().values():
                for spec in quality.specs if quality else ():
                    self._watch[(spec.step, spec.param)] = _Watch(spec)
            if self._watch:
                self.store.require("spc")
        return self._watch

    def judge(self, records: list[tuple[str, str, datetime, str | None]]) -> int:
        """Judge committed records (step, unit, end time, parameters as JSON); alarms stored."""
        from gigaline.mes.measures import numbers

        watch = self._specs()
        if not watch or not records:
            return 0
        params_of: dict[str, list[str]] = {}
        for step, param in watch:
            params_of.setdefault(step, []).append(param)
        new: dict[tuple[str, str], list[tuple[datetime, str, float]]] = {}
        for step, unit, ts, params in records:
            names = params_of.get(step)
            if not names or not params:
                continue
            for name, value in zip(names, numbers(params, names), strict=True):
                if value is not None:
                    new.setdefault((step, name), []).append((_naive_utc(ts), unit, value))
        stored = 0
        for key, points in new.items():
            points.sort(key=lambda p: p[0])  # stable: a batch's order among equal times
            stored += self._judge(key, watch[key], points)
        self.alarms += stored
        return stored

    def _judge(
        self, key: tuple[str, str], w: _Watch, points: list[tuple[datetime, str, float]]
    ) -> int:
        step, param = key
        if w.chart is None:  # once per spec: phase I from the stored values
            series = self.store.measure_series(step, param, None)
            if series.values.size < self.baseline:
                return 0  # too few yet; these are stored, and read again next time
            w.chart = control_chart(series.values[: self.baseline], "imr")
            # every stored value after the baseline (this batch's among them) is judged now
            points = [
                (_naive_utc(t), u, v)
                for t, u, v in zip(series.ts, series.units, series.values.tolist(), strict=True)
            ][self.baseline :]
            w.tail = []
        if not points:
            return 0
        seq = w.tail + points
        mon = w.chart.monitor(np.array([p[2] for p in seq], dtype=np.float64))
        first = len(w.tail)
        found = {
            rule: [i for i in idx if i >= first]
            for rule, idx in _violations(mon, self.rules).items()
        }
        found = {r: idx for r, idx in sorted(found.items()) if idx}
        w.tail = seq[-_RULE_TAIL:]
        if not found:
            return 0
        res: dict[str, Any] = {
            "view": ChartView(mon), "rule_set": self.rules, "parameter_spec": w.spec,
            "point_units": [[p[1]] for p in seq], "point_ts": [p[0] for p in seq],
            "violations_by_rule": found,
        }  # fmt: skip
        stored, hold = _raise_alarms(self.store, res, step, param, self.by)
        self.holds += hold is not None
        return stored


def _naive_utc(ts: datetime | str) -> datetime:
    """A record's time as a naive UTC datetime (as :meth:`measure_series` gives it on SQLite)."""
    if isinstance(ts, str):  # the SQLite rows' text
        return datetime.fromisoformat(ts).replace(tzinfo=None)
    return ts if ts.tzinfo is None else ts.astimezone(UTC).replace(tzinfo=None)
