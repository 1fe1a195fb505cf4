"""Invariances that must hold for any data (hypothesis): adding a constant shifts centre and
limits by it, scaling scales them, and permuting subgroups leaves phase I limits alone."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gigaline.quality import capability, control_chart

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Distinct values on a 0.01 grid: every subgroup has a range and every moving range is > 0.
values = st.integers(-5000, 5000).map(lambda v: v / 100)
subgroups = st.integers(5, 12).flatmap(
    lambda m: st.integers(2, 6).flatmap(
        lambda n: arrays(np.float64, (m, n), elements=values, unique=True)
    )
)
singles = arrays(np.float64, st.integers(4, 30), elements=values, unique=True)
shifts = st.floats(-1e3, 1e3)
scales = st.floats(0.01, 100)


def _close(a: object, b: object, scale: float = 1.0) -> None:
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-9, atol=1e-9 * scale)


@SETTINGS
@given(data=subgroups, a=shifts, chart=st.sampled_from(["xbar_r", "xbar_s"]))
def test_shift_moves_centre_and_limits(data: np.ndarray, a: float, chart: str) -> None:
    base = control_chart(data, chart=chart)
    moved = control_chart(data + a, chart=chart)
    for name in ("center", "lcl", "ucl"):
        _close(getattr(moved, name), np.asarray(getattr(base, name)) + a, 1e3)
    _close(moved.sigma, base.sigma, 1e3)
    assert base.dispersion is not None and moved.dispersion is not None
    _close(moved.dispersion.ucl, base.dispersion.ucl, 1e3)
    assert moved.violations(rules="nelson") == base.violations(rules="nelson")


@SETTINGS
@given(data=subgroups, b=scales, chart=st.sampled_from(["xbar_r", "xbar_s"]))
def test_scale_scales_centre_limits_and_sigma(data: np.ndarray, b: float, chart: str) -> None:
    base = control_chart(data, chart=chart)
    scaled = control_chart(data * b, chart=chart)
    for name in ("center", "lcl", "ucl", "sigma"):
        _close(getattr(scaled, name), np.asarray(getattr(base, name)) * b, 1e3)
    assert scaled.violations(rules="western_electric") == base.violations(rules="western_electric")


@SETTINGS
@given(data=singles, a=shifts, b=scales)
def test_individuals_shift_and_scale(data: np.ndarray, a: float, b: float) -> None:
    base = control_chart(data, chart="imr")
    moved = control_chart(data * b + a, chart="imr")
    _close(moved.center, base.center * b + a, 1e4)
    _close(moved.ucl, base.ucl * b + a, 1e4)
    _close(moved.lcl, base.lcl * b + a, 1e4)
    _close(moved.sigma, base.sigma * b, 1e4)


@SETTINGS
@given(data=singles, a=shifts, b=scales)
def test_time_weighted_charts_shift_and_scale(data: np.ndarray, a: float, b: float) -> None:
    ewma = control_chart(data, chart="ewma", lam=0.3)
    ewma2 = control_chart(data * b + a, chart="ewma", lam=0.3)
    _close(ewma2.statistics, ewma.statistics * b + a, 1e4)
    _close(ewma2.ucl, np.asarray(ewma.ucl) * b + a, 1e4)
    cusum = control_chart(data, chart="cusum")
    cusum2 = control_chart(data * b + a, chart="cusum")
    _close(cusum2.upper, cusum.upper, 1e3)  # sums are in standard errors: invariant
    _close(cusum2.lower, cusum.lower, 1e3)


@SETTINGS
@given(data=subgroups, seed=st.integers(0, 2**32 - 1), chart=st.sampled_from(["xbar_r", "xbar_s"]))
def test_permuting_subgroups_keeps_phase_one_limits(
    data: np.ndarray, seed: int, chart: str
) -> None:
    perm = np.random.default_rng(seed).permutation(data.shape[0])
    base = control_chart(data, chart=chart)
    shuffled = control_chart(data[perm], chart=chart)
    for name in ("center", "lcl", "ucl", "sigma"):
        _close(getattr(shuffled, name), getattr(base, name), 1e3)


@SETTINGS
@given(
    counts=arrays(np.int64, st.integers(5, 20), elements=st.integers(0, 40)),
    seed=st.integers(0, 2**32 - 1),
    chart=st.sampled_from(["p", "np", "c", "u"]),
)
def test_permuting_attribute_subgroups_keeps_limits(
    counts: np.ndarray, seed: int, chart: str
) -> None:
    assume(0 < counts.sum() < 50 * counts.size)
    rng = np.random.default_rng(seed)
    sizes = rng.integers(50, 60, counts.size).astype(float) if chart != "c" else None
    perm = rng.permutation(counts.size)
    base = control_chart(counts, chart=chart, sizes=sizes)
    shuffled = control_chart(
        counts[perm], chart=chart, sizes=None if sizes is None else sizes[perm]
    )
    _close(shuffled.sigma if chart != "np" else 0, base.sigma if chart != "np" else 0)
    for name in ("center", "lcl", "ucl"):
        want = getattr(base, name)
        want = want[perm] if isinstance(want, np.ndarray) else want
        _close(getattr(shuffled, name), want)


@SETTINGS
@given(data=subgroups, a=shifts, b=scales)
def test_capability_is_invariant_to_units(data: np.ndarray, a: float, b: float) -> None:
    lo, hi = float(data.min()) - 1, float(data.max()) + 1
    base = capability(data, lsl=lo, usl=hi)
    moved = capability(data * b + a, lsl=lo * b + a, usl=hi * b + a)
    for name in ("cp", "cpk", "cpm", "pp", "ppk"):
        _close(getattr(moved, name), getattr(base, name), 1e3)
    _close(moved.cpk_ci, base.cpk_ci, 1e3)
