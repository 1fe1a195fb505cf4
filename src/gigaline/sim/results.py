"""The result of a simulation: headline figures with 95 % intervals, tables as DataFrames.

All rates are per hour of calendar time in the measured window (after warm-up), so planned
stops count against throughput, as they do in a year's output.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from gigaline.kpi import MeanCI, mean_ci95, oee_factors
from gigaline.sim._layout import N_STATES, PLANNED, SI_K, SI_MAIN, SI_NMACH, SI_NV
from gigaline.sim.capacity import static_capacity
from gigaline.sim.checks import headline_undefined, run_warnings, step_undefined
from gigaline.sim.compile import CompiledLine
from gigaline.sim.necks import BottleneckComparison, compare_bottlenecks
from gigaline.sim.runner import RunRecord
from gigaline.sim.steady import FirstOutput, WarmupChoice, first_output

__all__ = ["STATE_NAMES", "SimResult"]

#: Machine states in the terms of ISO 22400-2 (working = actual production time).
STATE_NAMES = ("working", "starved", "blocked", "down", "planned_stop")
HEADLINE = ("throughput_per_h", "gwh_per_year", "wip_mean", "lead_time_mean_h")


def _step_table(c: CompiledLine, r: RunRecord) -> pd.DataFrame:
    """Per-step KPIs of one replication."""
    S = c.n_steps
    T = r.window_s
    srv = np.zeros((S, N_STATES))
    np.add.at(srv, r.machine_step, r.state_s)
    k = c.SI[:, SI_K].astype(float)
    machine_s = srv / k[:, None]  # server seconds -> machine seconds
    out = r.counters[:, 1].astype(float)
    scrap = r.counters[:, 2].astype(float)
    pq = out + scrap
    pot = c.SI[:, SI_NMACH] * T  # planned operation time: every machine over the window
    a, e, q = oee_factors(pot, machine_s[:, PLANNED], machine_s[:, 0], c.pri_s_per_cell, pq, out)
    shares = srv / (c.SI[:, SI_NV][:, None] * T)
    table = pd.DataFrame(
        {
            "oee": a * e * q,
            "availability": a,
            "performance": e,
            "quality": q,
            **{name: shares[:, i] for i, name in enumerate(STATE_NAMES)},
            "good_cells_per_h": out / T * 3600.0,
            "scrap_cells": scrap,
            "wip_mean": r.wip_area / T,
            "bottleneck_sole": r.bottleneck_sole_s / T,
            "bottleneck_shifting": r.bottleneck_shifting_s / T,
            "failures": np.bincount(r.machine_step, weights=r.failures, minlength=S),
        },
        index=pd.Index(c.step_ids, name="step"),
    )
    return table


@dataclass
class SimResult:
    """Replications of one line: headline figures, per-step tables, time series."""

    compiled: CompiledLine
    records: list[RunRecord]
    days: float
    warmup_days: float
    seed: int
    wall_s: float = 0.0
    #: how the warm-up was set (given, or chosen by MSER-5: gigaline.sim.warmup)
    warmup: WarmupChoice | None = None
    _tables: list[pd.DataFrame] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._tables = [_step_table(self.compiled, r) for r in self.records]
        if self.warmup is None:
            self.warmup = WarmupChoice(method="given", days=self.warmup_days)

    # ---- what the run can say ---------------------------------------------------------------
    @cached_property
    def first_output(self) -> FirstOutput:
        """How long the empty line needs to deliver its first cell (line's own numbers)."""
        return first_output(self.compiled)

    @property
    def warnings(self) -> list[str]:
        """Why the figures may not describe the line at work (warm-up or window too short)."""
        assert self.warmup is not None
        return run_warnings(self.compiled, self.records, self.days, self.warmup, self.first_output)

    @property
    def undefined(self) -> dict[str, str]:
        """Headline figures that are undefined (NaN here, null in JSON), with the reason."""
        return headline_undefined(self.records)

    @property
    def steps_undefined(self) -> dict[str, dict[str, str]]:
        """Per step id: its undefined KPIs (NaN in :attr:`steps`), with the reason."""
        return step_undefined(self.steps)

    # ---- headline figures ---------------------------------------------------------------
    def _per_rep(self, name: str) -> list[float]:
        c = self.compiled
        kwh = c.line.cell.energy_kwh
        out: list[float] = []
        for r in self.records:
            T = r.window_s
            tph = r.good / T * 3600.0
            main = c.SI[:, SI_MAIN] == 1
            values = {
                "throughput_per_h": tph,
                "gwh_per_year": tph * 8760.0 * kwh / 1e6,
                "wip_mean": float(r.wip_area[main].sum() / T),
                "lead_time_mean_h": float(r.lead_times_s.mean() / 3600.0)
                if r.lead_times_s.size and r.good > 0  # (else only scrapped cells left)
                else math.nan,
            }
            out.append(values[name])
        return out

    def ci(self, name: str) -> MeanCI:
        """Mean over replications and 95 % half width of a headline figure."""
        return mean_ci95(self._per_rep(name))

    @property
    def throughput_per_h(self) -> float:
        """Good cells leaving the last step per calendar hour (mean over replications)."""
        return self.ci("throughput_per_h").mean

    @property
    def gwh_per_year(self) -> float:
        """Annual output at the cell's nominal energy [GWh/year]."""
        return self.ci("gwh_per_year").mean

    @property
    def wip_mean(self) -> float:
        """Mean work in process on the main chain [cells]."""
        return self.ci("wip_mean").mean

    @property
    def lead_time_mean_h(self) -> float:
        """Mean lead time through the main chain [h]."""
        return self.ci("lead_time_mean_h").mean

    @cached_property
    def lead_time_percentiles_h(self) -> pd.Series:
        """Lead time percentiles [h] over the timed cells of all replications."""
        lt = np.concatenate([r.lead_times_s for r in self.records]) / 3600.0
        q = [50, 90, 95, 99]
        defined = lt.size > 0 and "lead_time_percentiles_h" not in self.undefined
        vals = np.percentile(lt, q) if defined else np.full(len(q), np.nan)
        return pd.Series(vals, index=[f"p{x}" for x in q], name="lead_time_h")

    # ---- tables ---------------------------------------------------------------------------
    @cached_property
    def steps(self) -> pd.DataFrame:
        """Per-step KPIs, mean over replications (OEE per ISO 22400-2, state shares ...)."""
        return pd.concat(self._tables).groupby(level=0, sort=False).mean()

    @property
    def replication_steps(self) -> list[pd.DataFrame]:
        """Per-step KPIs of each replication."""
        return list(self._tables)

    @cached_property
    def machines(self) -> pd.DataFrame:
        """Per machine: shares of time in each state and failures, mean over replications."""
        c = self.compiled
        k = c.SI[self.records[0].machine_step, SI_K].astype(float)
        frames = []
        for r in self.records:
            shares = r.state_s / (k[:, None] * r.window_s)
            df = pd.DataFrame(shares, columns=list(STATE_NAMES))
            df["failures"] = r.failures
            frames.append(df)
        out = sum(frames[1:], frames[0]) / len(frames)
        step = [c.step_ids[s] for s in self.records[0].machine_step]
        number = np.concatenate([np.arange(n) for n in c.SI[:, SI_NMACH]])
        out.index = pd.MultiIndex.from_arrays([step, number], names=["step", "machine"])
        return out

    @cached_property
    def bottleneck(self) -> str:
        """The step most often the momentary bottleneck (sole plus shifting share)."""
        s = self.steps
        return str((s["bottleneck_sole"] + s["bottleneck_shifting"]).idxmax())

    @cached_property
    def bottleneck_comparison(self) -> BottleneckComparison:
        """The plan's bottleneck beside the twin's, and why they differ where they do
        (:mod:`gigaline.sim.necks`)."""
        return compare_bottlenecks(self)

    @cached_property
    def hourly(self) -> pd.DataFrame:
        """Good cells per hour and mean main-chain WIP per hour, mean over replications."""
        n = min(len(r.hourly_good) for r in self.records)
        good = np.mean([r.hourly_good[:n] for r in self.records], axis=0)
        wip = np.mean([r.hourly_wip[:n] for r in self.records], axis=0)
        hours = np.arange(n) + self.warmup_days * 24.0
        return pd.DataFrame(
            {"good_cells": good, "wip_cells": wip}, index=pd.Index(hours, name="hour")
        )

    @cached_property
    def hourly_steps(self) -> pd.DataFrame:
        """Good cells (cell equivalents) each step passed on per hour: one column per step id,
        mean over replications (integers with one replication). Index as :attr:`hourly`."""
        n = min(len(r.hourly_step_out) for r in self.records)
        out = np.mean([r.hourly_step_out[:n] for r in self.records], axis=0)
        hours = np.arange(n) + self.warmup_days * 24.0
        return pd.DataFrame(
            out, columns=list(self.compiled.step_ids), index=pd.Index(hours, name="hour")
        )

    @cached_property
    def capacity(self) -> pd.DataFrame:
        """Static capacity of each step beside the simulated output (plan vs simulation)."""
        cap = static_capacity(self.compiled)
        cap["simulated_good_cells_per_h"] = self.steps["good_cells_per_h"]
        return cap

    @property
    def plan_throughput_per_h(self) -> float:
        """The static capacity of the line: the smallest step capacity [good cells/h]."""
        return float(self.capacity["good_cells_per_h"].min())

    # ---- export -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``gigaline simulate --json`` (documented in docs/sim-json.md)."""
        steps = self.steps
        assert self.warmup is not None
        out: dict[str, Any] = {
            "line": self.compiled.line.name,
            "days": self.days,
            "warmup_days": self.warmup_days,
            "warmup": self.warmup.to_dict(),
            "replications": len(self.records),
            "seed": self.seed,
            "warnings": self.warnings,
            "undefined": self.undefined,
        }
        for name in HEADLINE:
            out[name] = _num(self.ci(name).mean)
        out["bottleneck"] = self.bottleneck
        out["bottleneck_comparison"] = self.bottleneck_comparison.to_dict()
        out["lead_time_percentiles_h"] = {
            k: _num(v) for k, v in self.lead_time_percentiles_h.items()
        }
        out["plan_throughput_per_h"] = _num(self.plan_throughput_per_h)
        if len(self.records) > 1:
            out["ci95"] = {
                name: {
                    "low": _num(ci.low),
                    "high": _num(ci.high),
                    "half_width": _num(ci.half_width),
                }
                if math.isfinite(ci.half_width)
                else None
                for name in HEADLINE
                for ci in [self.ci(name)]
            }
        why = self.steps_undefined
        out["steps"] = [
            {
                "id": sid,
                "oee": _num(row["oee"]),
                "availability": _num(row["availability"]),
                "performance": _num(row["performance"]),
                "quality": _num(row["quality"]),
                "states": {name: _num(row[name]) for name in STATE_NAMES},
                "good_cells_per_h": _num(row["good_cells_per_h"]),
                "scrap_cells": _num(row["scrap_cells"]),
                "wip_mean": _num(row["wip_mean"]),
                "bottleneck_sole": _num(row["bottleneck_sole"]),
                "bottleneck_shifting": _num(row["bottleneck_shifting"]),
                "undefined": why.get(str(sid), {}),
            }
            for sid, row in steps.iterrows()
        ]
        out["events"] = int(sum(r.events for r in self.records))
        out["wall_s"] = round(self.wall_s, 3)
        return out

    def _headline_lines(self) -> list[tuple[str, str]]:
        rows = []
        labels = {
            "throughput_per_h": ("throughput", "good cells/h", "{:,.1f}"),
            "gwh_per_year": ("output", "GWh/year", "{:,.3f}"),
            "wip_mean": ("WIP (main chain)", "cells", "{:,.1f}"),
            "lead_time_mean_h": ("lead time", "h", "{:,.4f}"),
        }
        undefined = self.undefined
        for name, (label, unit, fmt) in labels.items():
            ci = self.ci(name)
            if name in undefined:
                rows.append((label, f"undefined: {undefined[name]}"))
                continue
            text = fmt.format(ci.mean)
            if ci.n > 1 and math.isfinite(ci.half_width):
                text += " ± " + fmt.format(ci.half_width)
            rows.append((label, f"{text} {unit}"))
        rows.append(("bottleneck", self.bottleneck))
        rows.append(("plan (static capacity)", f"{self.plan_throughput_per_h:,.1f} good cells/h"))
        return rows

    def _title(self) -> str:
        assert self.warmup is not None
        return (
            f"SimResult({self.compiled.line.name!r}: {self.days:g} d after"
            f" {self.warmup.describe()}, {len(self.records)} replication(s), seed {self.seed})"
        )

    def undefined_notes(self) -> list[str]:
        """One line per reason for the per-step table's undefined cells, naming the steps."""
        by_reason: dict[tuple[str, str], list[str]] = {}
        for sid, figures in self.steps_undefined.items():
            for fig, reason in figures.items():
                if fig != "oee":  # (undefined with any factor: no note of its own)
                    by_reason.setdefault((fig, reason), []).append(sid)
        return [f"{fig} undefined ({', '.join(s)}): {r}" for (fig, r), s in by_reason.items()]

    def __repr__(self) -> str:
        body = "\n".join(f"  {k:<24}{v}" for k, v in self._headline_lines())
        cols = ["oee", "availability", "performance", "quality", *STATE_NAMES]
        table = self.steps[cols].round(3).to_string(na_rep="undefined")
        notes = "".join(f"\n  {n}" for n in self.undefined_notes())
        necks = f"\n  {self.bottleneck_comparison.summary()}"
        return f"{self._title()}\n{body}\n{table}{notes}{necks}"

    def _repr_html_(self) -> str:
        head = html.escape(self._title())
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in self._headline_lines()
        )
        cols = ["oee", "availability", "performance", "quality", *STATE_NAMES]
        table = self.steps[cols].to_html(float_format=lambda x: f"{x:.3f}", na_rep="undefined")
        notes = "".join(f"<p>{html.escape(n)}</p>" for n in self.undefined_notes())
        warn = "".join(f"<p><b>warning:</b> {html.escape(w)}</p>" for w in self.warnings)
        return f"<div><p><b>{head}</b></p>{warn}<table>{rows}</table>{table}{notes}</div>"


def _num(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None
