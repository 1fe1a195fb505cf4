"""The result of an experiment: every scenario's headline figures, and each scenario against
the first, paired (common random numbers) and unpaired.

With common random numbers, replication i of every scenario saw the same random numbers at
every step they share, so the difference of scenario k and the first is measured replication
by replication: d_i = y_ki - y_0i, and its paired-t interval (Law, *Simulation Modeling and
Analysis*, 5th ed., 2015, §10.2.1) is far narrower than the interval of the difference of two
independent means (Welch, §10.2.2), which is shown beside it for comparison.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gigaline.kpi import MeanCI, paired_ci95, welch_ci95
from gigaline.sim.compile import SimulationError
from gigaline.sim.results import HEADLINE, SimResult

if TYPE_CHECKING:
    import pandas as pd

    from gigaline.sim.scenario import Scenario, ScenarioSet

__all__ = ["FIGURES", "ExperimentResult", "check_results_path"]

#: The headline figures compared across scenarios (those of ``gigaline simulate --json``).
FIGURES = HEADLINE


@dataclass(frozen=True)
class ExperimentResult:
    """Scenarios run with common random numbers, and their comparison with the first."""

    scenarios: ScenarioSet
    chosen: tuple[Scenario, ...]
    results: tuple[SimResult, ...]
    wall_s: float = 0.0

    @property
    def factor_names(self) -> list[str]:
        return [f.name for f in self.scenarios.factors]

    def values(self, k: int, figure: str) -> list[float]:
        """Figure ``figure`` of every replication of scenario ``k``."""
        return self.results[k]._per_rep(figure)

    def ci(self, k: int, figure: str) -> MeanCI:
        """Mean and 95 % interval of ``figure`` in scenario ``k``."""
        return self.results[k].ci(figure)

    def paired(self, k: int, figure: str) -> MeanCI:
        """Mean difference of scenario ``k`` and the first, with its paired 95 % interval."""
        return paired_ci95(self.values(k, figure), self.values(0, figure))

    def unpaired(self, k: int, figure: str) -> MeanCI:
        """The same difference as if the runs were independent (Welch's 95 % interval)."""
        return welch_ci95(self.values(k, figure), self.values(0, figure))

    # ---- tables ----------------------------------------------------------------------------
    @property
    def replications(self) -> pd.DataFrame:
        """One row per scenario and replication: factor levels and headline figures."""
        import pandas as pd

        rows = []
        for k, (sc, r) in enumerate(zip(self.chosen, self.results, strict=True)):
            per = {f: r._per_rep(f) for f in FIGURES}
            for i in range(len(r.records)):
                rows.append(
                    {
                        "scenario": k,
                        "name": sc.name,
                        "replication": i,
                        **{f"factor.{n}": _plain(v) for n, v in sc.factors.items()},
                        **{f: per[f][i] for f in FIGURES},
                    }
                )
        return pd.DataFrame(rows)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per scenario: levels, each figure's mean and half width, and its paired
        and unpaired difference against the first scenario (``<figure>_diff``,
        ``<figure>_diff_half_width``, ``<figure>_diff_unpaired_half_width``)."""
        import pandas as pd

        rows = []
        for k, sc in enumerate(self.chosen):
            row: dict[str, Any] = {"scenario": k, "name": sc.name}
            row.update({f"factor.{n}": _plain(v) for n, v in sc.factors.items()})
            for f in FIGURES:
                ci, d, u = self.ci(k, f), self.paired(k, f), self.unpaired(k, f)
                row[f] = ci.mean
                row[f"{f}_half_width"] = ci.half_width
                row[f"{f}_diff"] = d.mean
                row[f"{f}_diff_half_width"] = d.half_width
                row[f"{f}_diff_unpaired_half_width"] = u.half_width
            row["bottleneck"] = self.results[k].bottleneck
            rows.append(row)
        return pd.DataFrame(rows).set_index("scenario")

    def write(self, path: str | Path) -> Path:
        """Write the per-replication table as Parquet (``.parquet``) or CSV (``.csv``)."""
        p = check_results_path(path)
        table = self.replications
        if p.suffix == ".parquet":
            for col in table.columns:  # mixed levels ("18 h" beside 20) as text
                if table[col].dtype == object:
                    table[col] = table[col].astype(str)
            table.to_parquet(p, index=False)
        else:
            table.to_csv(p, index=False)
        return p

    # ---- JSON ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The ``gigaline experiment --json`` object (docs/experiments.md)."""
        s = self.scenarios
        st = s.settings
        out: dict[str, Any] = {
            "experiment": s.name,
            "line": s.base.name,
            "design": s.design,
            "factors": {f.name: f.path for f in s.factors},
            "replications": st.replications,
            "days": st.days,
            "warmup_days": st.warmup_days,
            "seed": st.seed,
            "scenarios": [self._scenario_dict(k) for k in range(len(self.chosen))],
            "wall_s": round(self.wall_s, 3),
        }
        return out

    def _scenario_dict(self, k: int) -> dict[str, Any]:
        sim = self.results[k].to_dict()
        for key in ("line", "days", "warmup_days", "replications", "seed", "steps", "wall_s"):
            sim.pop(key, None)
        paired = {}
        for f in FIGURES:
            d, u = self.paired(k, f), self.unpaired(k, f)
            paired[f] = {
                "mean_difference": _num(d.mean),
                "half_width": _num(d.half_width),
                "low": _num(d.low),
                "high": _num(d.high),
                "unpaired_half_width": _num(u.half_width),
            }
        sc = self.chosen[k]
        return {
            "name": sc.name,
            "factors": {n: _plain(v) for n, v in sc.factors.items()},
            **sim,
            "paired": paired,
        }


def check_results_path(path: str | Path) -> Path:
    """``path`` if it names a results file this module writes (.parquet or .csv)."""
    p = Path(path)
    if p.suffix not in (".parquet", ".csv"):
        raise SimulationError(f"results file {str(p)!r}: the name must end in .parquet or .csv")
    return p


def _plain(v: object) -> Any:
    return v.item() if hasattr(v, "item") else v


def _num(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None
