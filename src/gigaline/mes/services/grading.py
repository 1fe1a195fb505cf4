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

from datetime import UTC, datetime
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from gigaline.errors import FieldError
from gigaline.mes.ports import CellGrade, Feature, GradeBook, LineRegistry, MeasureReader
from gigaline.model.quality import QualitySpec
from gigaline.quality import (
    GradingResult,
    MatchResult,
    grade_cells,
    k_value_mv_per_day,
    match_cells,
)

__all__ = [
    "GradeStore",
    "Grading",
    "GradingSummary",
    "MatchingSummary",
    "Modules",
    "cell_measures",
    "grade_stored_cells",
    "module_matches",
    "stored_line_quality",
]

FloatArray = NDArray[np.float64]


class GradeStore(MeasureReader, LineRegistry, GradeBook, Protocol):
    """The doors grading uses: measures, the line's quality settings, the grade book."""

    def require(self, feature: Feature) -> None: ...


class MatchingSummary(BaseModel):
    """Module matching of the graded cells (the JSON's ``matching``)."""

    model_config = ConfigDict(frozen=True)

    cells_per_module: int | None
    eligible: int
    modules: int
    matched: int
    leftovers: int
    match_rate: float


class Grading(BaseModel):
    """Graded cells (``gigaline grade --json``: ``cells``, ``counts``, ``matching``).

    The rich results stay as attributes: ``units`` (the graded cells, sorted), ``measures``
    (per measure, one value per cell), ``graded`` and ``matched`` (the quality results).
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    cells: int
    counts: dict[str, int]
    matching: MatchingSummary | None
    units: list[str] = Field(exclude=True)
    measures: dict[str, FloatArray] = Field(exclude=True)
    graded: GradingResult = Field(exclude=True)
    matched: MatchResult | None = Field(exclude=True)
    cells_per_module: int | None = Field(exclude=True)


class GradingSummary(BaseModel):
    """A :class:`Grading` as plain data (its ``model_dump()``): what the HTTP API answers."""

    model_config = ConfigDict(frozen=True)

    cells: int
    counts: dict[str, int]
    matching: MatchingSummary | None

    @classmethod
    def of(cls, grading: Grading) -> GradingSummary:
        return cls(cells=grading.cells, counts=grading.counts, matching=grading.matching)


class Modules(BaseModel):
    """The modules of matched cells (each a list of cell ids) and the eligible cells left
    over, from one grading."""

    model_config = ConfigDict(frozen=True)

    cells_per_module: int | None
    modules: list[list[str]]
    leftovers: list[str]


def module_matches(grading: Grading) -> Modules:
    """The modules of ``grading`` by cell id (none when the line has no ``matching``)."""
    m = grading.matched
    if m is None:
        return Modules(cells_per_module=grading.cells_per_module, modules=[], leftovers=[])
    units = grading.units
    return Modules(
        cells_per_module=grading.cells_per_module,
        modules=[[units[int(i)] for i in row] for row in m.modules.tolist()],
        leftovers=[units[int(i)] for i in m.leftovers.tolist()],
    )


def _array(values: list[float | None]) -> FloatArray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def cell_measures(store: MeasureReader) -> tuple[list[str], dict[str, FloatArray]]:
    """The graded cells (sorted) and their measures, as :func:`grade_cells` takes them."""
    tested = store.latest_cell_params("grading", ("capacity_ah", "dcir_mohm"))
    aging = store.latest_curve_features("aging", ("ocv_v_first", "ocv_v_last", "duration_s"))
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
        k_param = store.latest_cell_params("aging", ("k_mv_per_day",))
        ocv_param = store.latest_cell_params("eol_test", ("ocv_v",))
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


def stored_line_quality(store: LineRegistry) -> QualitySpec | None:
    """The quality section stored with the store's line (``gigaline mes init``)."""
    found = [q for q in store.qualities().values() if q is not None]
    if len(found) > 1:
        raise FieldError(
            "quality", None,
            f"the store holds {len(found)} lines with quality settings; give the line file",
        )  # fmt: skip
    return found[0] if found else None


def grade_stored_cells(
    store: GradeStore, quality: QualitySpec | None = None, save: bool = True
) -> Grading:
    """Grade (and match) every cell with a grading record; store the grades when ``save``."""
    store.require("grading")
    quality = quality if quality is not None else stored_line_quality(store)
    if quality is None or not quality.grades:
        raise FieldError(
            "quality", None,
            "the line has no quality.grades; add them to the line file and run"
            " `gigaline mes init LINE.yaml` again (or pass --line)",
        )  # fmt: skip
    units, measures = cell_measures(store)
    if not units:
        raise FieldError("quality", None, "no cell has a record at a grading step yet")
    graded = grade_cells(measures, quality.grades)
    matched = match_cells(measures, quality.matching, graded) if quality.matching else None
    if save:
        _save(store, units, measures, graded)
    per_module = quality.matching.cells_per_module if quality.matching else None
    summary = None
    if matched is not None:
        summary = MatchingSummary(
            cells_per_module=per_module, eligible=matched.eligible,
            modules=int(matched.modules.shape[0]), matched=matched.matched,
            leftovers=int(matched.leftovers.size), match_rate=matched.match_rate,
        )  # fmt: skip
    return Grading(
        cells=len(units), counts=graded.counts, matching=summary, units=units,
        measures=measures, graded=graded, matched=matched, cells_per_module=per_module,
    )  # fmt: skip


def _save(
    store: GradeBook, units: list[str], measures: dict[str, FloatArray], graded: GradingResult
) -> None:
    """Replace the stored grades."""
    names = ("capacity_ah", "dcir_mohm", "ocv_v", "k_mv_per_day")
    values = [[None if np.isnan(x) else float(x) for x in measures[n]] for n in names]
    grade = [str(g) for g in np.asarray(graded.grade).tolist()]
    reason = [str(r) or None for r in np.asarray(graded.reason).tolist()]
    # column by column, zipped into rows in C: one row per cell (87,000 a day)
    grades = list(map(CellGrade._make, zip(units, grade, reason, *values, strict=True)))
    store.replace_grades(grades, datetime.now(UTC))
