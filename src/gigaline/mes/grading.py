"""Cell grading and module matching from the stored formation, grading and aging results.

The measures of each cell come from the store:

* ``capacity_ah`` and ``dcir_mohm``: the parameters of the cell's latest record at a step whose
  process is ``grading`` (the capacity test after formation and aging);
* ``ocv_v`` and ``k_mv_per_day``: from the cell's aging curve (``curve: aging``, channel
  ``ocv_v``): the OCV at its end, and K = the OCV drop over the aging time in mV per day
  (:func:`gigaline.quality.k_value_mv_per_day` of the curve's first and last OCV and its
  duration). Without an aging curve, the ``k_mv_per_day`` parameter of the aging step's record
  and the latest ``ocv_v`` parameter (an end-of-line test) are used instead.

Cells with a grading record are graded with :func:`gigaline.quality.grade_cells` against the
line's grades; the grade of every cell is stored in ``cell_grades`` (replacing the previous
run's, so the table always reflects the current grades), and the A cells (those the line's
``matching.grades`` names) are matched into modules with :func:`gigaline.quality.match_cells`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, delete, select

from gigaline.mes import tables as t
from gigaline.mes.bulk import copy_rows, insert_rows
from gigaline.mes.db import StoreError, require_revision
from gigaline.mes.measures import latest_numbers
from gigaline.mes.store import Store
from gigaline.model.quality import QualitySpec
from gigaline.quality import (
    GradingResult,
    MatchResult,
    grade_cells,
    k_value_mv_per_day,
    match_cells,
)

__all__ = ["CellGrades", "cell_measures", "grade_stored_cells", "stored_line_quality"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class CellGrades:
    """Graded cells: their names, measures, grades and (if the line matches) the modules."""

    units: list[str]
    measures: dict[str, FloatArray]
    graded: GradingResult
    matched: MatchResult | None
    cells_per_module: int | None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"cells": len(self.units), "counts": self.graded.counts}
        if self.matched is None:
            out["matching"] = None
            return out
        out["matching"] = {
            "cells_per_module": self.cells_per_module,
            "eligible": self.matched.eligible,
            "modules": int(self.matched.modules.shape[0]),
            "matched": self.matched.matched,
            "leftovers": int(self.matched.leftovers.size),
            "match_rate": self.matched.match_rate,
        }
        return out


def _latest(
    conn: Connection, process: str, names: tuple[str, ...]
) -> dict[str, tuple[float | None, ...]]:
    """Cell -> values of ``names`` in its latest record at the steps of ``process``."""
    pr = t.process_records
    steps = select(t.steps.c.id).where(t.steps.c.process == process).scalar_subquery()
    q = (
        select(pr.c.unit, pr.c.params)
        .join(t.units, t.units.c.id == pr.c.unit)
        .where(pr.c.step_id.in_(steps), t.units.c.unit_type == "cell")
        .order_by(pr.c.ts, pr.c.id)
    )
    return latest_numbers(((r[0], r[1]) for r in conn.execute(q)), names)


def _aging_curves(conn: Connection) -> dict[str, tuple[float | None, ...]]:
    """Cell -> (first OCV, last OCV, duration) of its latest aging curve."""
    c = t.curves
    names = ("ocv_v_first", "ocv_v_last", "duration_s")
    q = select(c.c.unit, c.c.features).where(c.c.kind == "aging").order_by(c.c.ts, c.c.id)
    return latest_numbers(((r[0], r[1]) for r in conn.execute(q)), names)


def _array(values: list[float | None]) -> FloatArray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def cell_measures(store: Store) -> tuple[list[str], dict[str, FloatArray]]:
    """The graded cells (sorted) and their measures, as :func:`grade_cells` takes them."""
    with store.engine.connect() as conn:
        tested = _latest(conn, "grading", ("capacity_ah", "dcir_mohm"))
        aging = _aging_curves(conn)
        units = sorted(tested)
        curve = [aging.get(u, (None, None, None)) for u in units]
        first, last, duration = (_array([c[i] for c in curve]) for i in range(3))
        has_curve = np.isfinite(first) & np.isfinite(last) & (duration > 0)
        k = np.full(len(units), np.nan)
        ocv = last.copy()
        c = has_curve
        if c.any():
            k[c] = k_value_mv_per_day(first[c], last[c], duration[c])
        if not has_curve.all():  # fall back on the reported parameters
            k_param = _latest(conn, "aging", ("k_mv_per_day",))
            ocv_param = _latest(conn, "eol_test", ("ocv_v",))
            k_alt = _array([k_param.get(u, (None,))[0] for u in units])
            ocv_alt = _array([ocv_param.get(u, (None,))[0] for u in units])
            k = np.where(has_curve, k, k_alt)
            ocv = np.where(has_curve, ocv, ocv_alt)
    measures = {
        "capacity_ah": _array([tested[u][0] for u in units]),
        "dcir_mohm": _array([tested[u][1] for u in units]),
        "ocv_v": ocv,
        "k_mv_per_day": k,
    }
    return units, measures


def stored_line_quality(store: Store) -> QualitySpec | None:
    """The quality section stored with the store's line (``gigaline mes init``)."""
    with store.engine.connect() as conn:
        texts = conn.execute(select(t.lines.c.quality)).scalars().all()
    found = [x for x in texts if x is not None]
    if len(found) > 1:
        raise StoreError(
            f"the store holds {len(found)} lines with quality settings; give the line file"
        )
    return QualitySpec.model_validate_json(found[0]) if found else None


def grade_stored_cells(
    store: Store, quality: QualitySpec | None = None, save: bool = True
) -> CellGrades:
    """Grade (and match) every cell with a grading record; store the grades when ``save``."""
    require_revision(store.engine, "cell_grades", "grade")
    quality = quality if quality is not None else stored_line_quality(store)
    if quality is None or not quality.grades:
        raise StoreError(
            "grade: the line has no quality.grades; add them to the line file and run"
            " `gigaline mes init LINE.yaml` again (or pass --line)"
        )
    units, measures = cell_measures(store)
    if not units:
        raise StoreError("grade: no cell has a record at a grading step yet")
    graded = grade_cells(measures, quality.grades)
    matched = match_cells(measures, quality.matching, graded) if quality.matching else None
    if save:
        _save(store, units, measures, graded)
    per_module = quality.matching.cells_per_module if quality.matching else None
    return CellGrades(units, measures, graded, matched, per_module)


def _save(
    store: Store, units: list[str], measures: dict[str, FloatArray], graded: GradingResult
) -> None:
    """Replace the stored grades, through the bulk paths ingestion uses (COPY, executemany)."""
    now = store.ts_value(datetime.now(UTC))
    names = ("capacity_ah", "dcir_mohm", "ocv_v", "k_mv_per_day")
    values = [[None if np.isnan(x) else float(x) for x in measures[n]] for n in names]
    rows = [
        (u, str(graded.grade[i]), str(graded.reason[i]) or None, *(v[i] for v in values), now)
        for i, u in enumerate(units)
    ]
    columns = ("unit", "grade", "reason", *names, "graded")
    with store.engine.begin() as conn:
        conn.execute(delete(t.cell_grades))
        (copy_rows if store.postgres else insert_rows)(conn, "cell_grades", columns, rows)
