"""Checking and shaping the arrays handed to the quality functions (validate once, here)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gigaline.quality.errors import QualityInputError

FloatArray = NDArray[np.float64]


def as_subgroups(data: Any, field: str = "data") -> FloatArray:
    """A 2-D float array, one row per subgroup; ragged rows are padded with NaN (missing)."""
    if isinstance(data, np.ndarray):
        arr = np.asarray(data, dtype=float)
    else:
        rows = list(data) if isinstance(data, Iterable) else None
        if rows is None:
            raise QualityInputError(field, data, "give an array of measurements")
        if rows and all(isinstance(r, Iterable) and not isinstance(r, str) for r in rows):
            lists = [np.asarray(list(r), dtype=float).ravel() for r in rows]
            width = max((len(r) for r in lists), default=0)
            arr = np.full((len(lists), width), np.nan)
            for i, r in enumerate(lists):
                arr[i, : len(r)] = r
        else:
            arr = np.asarray(rows, dtype=float)
    if arr.size == 0:
        raise QualityInputError(field, data, "empty data; give at least two subgroups")
    if arr.ndim == 1:
        raise QualityInputError(
            field,
            f"1-D array of {arr.size} values",
            "this chart needs subgroups: a 2-D array with one row per subgroup "
            "(for single values use chart='imr')",
        )
    if arr.ndim != 2:
        raise QualityInputError(field, f"{arr.ndim}-D array", "a 2-D array is allowed")
    if np.isinf(arr).any():
        raise QualityInputError(field, "infinite value", "finite numbers (NaN marks missing)")
    return arr


def as_values(data: Any, field: str = "data", min_len: int = 1) -> FloatArray:
    """A 1-D array of finite floats (a 2-D array with one column is accepted)."""
    try:
        arr = np.asarray(data, dtype=float)
    except (TypeError, ValueError) as exc:
        raise QualityInputError(field, data, "an array of numbers") from exc
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise QualityInputError(field, f"array of shape {arr.shape}", "a 1-D array of values")
    if arr.size < min_len:
        raise QualityInputError(
            field, f"{arr.size} value(s)", f"at least {min_len} values are needed"
        )
    if not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise QualityInputError(f"{field}[{bad}]", arr[bad], "finite numbers only")
    return arr


def as_counts(data: Any, field: str = "counts") -> FloatArray:
    """Non-negative whole-number counts, one per subgroup."""
    arr = as_values(data, field, min_len=1)
    neg = np.flatnonzero(arr < 0)
    if neg.size:
        i = int(neg[0])
        raise QualityInputError(f"{field}[{i}]", arr[i], "counts must be 0 or more")
    frac = np.flatnonzero(arr != np.round(arr))
    if frac.size:
        i = int(frac[0])
        raise QualityInputError(f"{field}[{i}]", arr[i], "counts must be whole numbers")
    return arr


def as_sizes(sizes: Any, m: int, field: str = "sizes", whole: bool = True) -> FloatArray:
    """Positive sample sizes broadcast to ``m`` subgroups."""
    if sizes is None:
        raise QualityInputError(field, None, "this chart needs the sample size of each subgroup")
    arr = np.asarray(sizes, dtype=float)
    if arr.ndim == 0:
        arr = np.full(m, float(arr))
    if arr.ndim != 1 or arr.size != m:
        raise QualityInputError(
            field, f"{arr.size} sizes", f"one size per subgroup ({m}) or a single number"
        )
    bad = np.flatnonzero(~np.isfinite(arr) | (arr <= 0))
    if bad.size:
        i = int(bad[0])
        raise QualityInputError(f"{field}[{i}]", arr[i], "sizes must be greater than 0")
    if whole:
        frac = np.flatnonzero(arr != np.round(arr))
        if frac.size:
            i = int(frac[0])
            raise QualityInputError(f"{field}[{i}]", arr[i], "sizes must be whole numbers")
    return arr


def as_exclude(exclude: Sequence[int] | None, m: int) -> NDArray[np.bool_]:
    """Boolean mask of the points phase I estimation leaves out."""
    mask = np.zeros(m, dtype=bool)
    if exclude is None:
        return mask
    for raw in exclude:
        if isinstance(raw, bool) or not float(raw).is_integer() or not -m <= int(raw) < m:
            raise QualityInputError("exclude", raw, f"point indices from 0 to {m - 1}")
        mask[int(raw)] = True
    if mask.all():
        raise QualityInputError("exclude", list(exclude), "leave at least one point to estimate")
    return mask


def positive(value: float | None, field: str) -> float | None:
    if value is None:
        return None
    if not np.isfinite(value) or value <= 0:
        raise QualityInputError(field, value, "a finite number greater than 0")
    return float(value)


def finite(value: float | None, field: str) -> float | None:
    if value is None:
        return None
    if not np.isfinite(value):
        raise QualityInputError(field, value, "a finite number")
    return float(value)
