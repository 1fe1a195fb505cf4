"""Published worked examples reproduced to the digits printed.

qcc's vignette figures that depend on σ̂ from ranges were computed with qcc's tabulated d2
(3 decimals, e.g. 2.326 for n = 5) while gigaline computes d2 exactly (2.325929). Those
agree to the number of significant digits stated in each test; passing qcc's printed σ as
``sigma=`` then reproduces every printed digit, which checks the limit formulas separately.
"""

from __future__ import annotations

import numpy as np
import pytest

from gigaline.quality import control_chart, d2
from tests.quality._published import (
    CIRCUIT_SIZE,
    CIRCUIT_TRIAL,
    CIRCUIT_X,
    NIST_EWMA_DATA,
    NIST_EWMA_Z,
    ORANGEJUICE_D,
    ORANGEJUICE_SIZE,
    ORANGEJUICE_TRIAL,
    PCMANUFACT_SIZE,
    PCMANUFACT_X,
    PISTON_NEW,
    PISTON_TRIAL,
    QCC_TABLE_D2,
    VISCOSITY,
    VISCOSITY_TRIAL,
    agrees,
    agrees_sig,
)

# --- qcc vignette, "x-bar chart", qcc(diameter[1:25,], type="xbar", newdata=...) --------


def test_qcc_xbar_pistonrings() -> None:
    ch = control_chart(PISTON_TRIAL, chart="xbar_r")
    assert agrees(ch.center, "74.00118")
    # Standard deviation = 0.009785039 (= R̄/2.326): 4 significant digits with exact d2.
    assert agrees_sig(ch.sigma, "0.009785039", 4)
    assert agrees(ch.lcl, "73.98805")
    assert agrees(ch.ucl, "74.0143")
    qcc_sigma = float(np.mean(np.ptp(PISTON_TRIAL, axis=1))) / QCC_TABLE_D2[5]
    assert agrees(qcc_sigma, "0.009785039")
    known = control_chart(PISTON_TRIAL, chart="xbar_r", sigma=qcc_sigma)
    assert agrees(known.lcl, "73.98805") and agrees(known.ucl, "74.0143")


def test_qcc_xbar_phase_two_pistonrings() -> None:
    ch = control_chart(PISTON_TRIAL, chart="xbar_r").monitor(PISTON_NEW)
    assert ch.phase == "II" and ch.statistics.size == 15
    assert agrees(ch.center, "74.00118") and agrees(ch.ucl, "74.0143")
    # Montgomery's piston rings drift up after sample 34 (qcc's vignette plot shows
    # samples 37-39 above the UCL): new points 11-13.
    assert ch.violations() == {1: [11, 12, 13]}


def test_qcc_r_chart_pistonrings() -> None:
    r = control_chart(PISTON_TRIAL, chart="xbar_r").dispersion
    assert r is not None and r.chart == "r"
    assert agrees(r.center, "0.02276")
    assert r.lcl == 0.0
    # UCL = 0.04812533 (qcc: R̄ + 3 d3 R̄/2.326); exact d2 gives 0.048126: 4 significant.
    assert agrees_sig(r.ucl, "0.04812533", 4)


def test_qcc_s_chart_pistonrings() -> None:
    s = control_chart(PISTON_TRIAL, chart="xbar_s")
    assert s.dispersion is not None
    # c4 is exact in both, so every printed digit agrees.
    assert agrees(s.dispersion.center, "0.009240037")
    assert agrees(s.sigma, "0.009829977")
    assert s.dispersion.lcl == 0.0
    assert agrees(s.dispersion.ucl, "0.01930242")


def test_qcc_xbar_variable_subgroup_sizes() -> None:
    # Vignette "Variable control limits": pistonrings without observations
    # c(9, 10, 30, 35, 45, 64, 65, 74, 75, 85, 99, 100) (1-based rows of the long table).
    out = np.array([9, 10, 30, 35, 45, 64, 65, 74, 75, 85, 99, 100]) - 1
    flat = PISTON_TRIAL.ravel().copy()
    flat[out] = np.nan
    data = flat.reshape(25, 5)
    ch = control_chart(data, chart="xbar_r")
    assert sorted(np.unique(ch.sizes, return_counts=True)[1].tolist()) == [4, 4, 17]
    assert agrees(ch.center, "74.00075")
    assert agrees_sig(ch.sigma, "0.009856701", 4)
    lcl, ucl = np.asarray(ch.lcl), np.asarray(ch.ucl)
    assert agrees(lcl[0], "73.98753") and agrees(ucl[0], "74.01398")  # n = 5
    # n = 3: 6 significant digits (74.017826 against the printed 74.01782).
    assert agrees(lcl[1], "73.98368") and agrees_sig(ucl[1], "74.01782", 6)
    assert agrees(lcl[-1], "73.98753") and agrees(ucl[-1], "74.01398")
    known = control_chart(data, chart="xbar_r", sigma=0.009856701)
    assert agrees(np.asarray(known.lcl)[1], "73.98368")
    assert agrees(np.asarray(known.ucl)[1], "74.01782")


# --- qcc vignette, "p and np charts" (orangejuice; Montgomery Table 7.1) ------------------


def test_qcc_p_chart_orangejuice() -> None:
    d = ORANGEJUICE_D[:ORANGEJUICE_TRIAL]
    ch = control_chart(d, chart="p", sizes=ORANGEJUICE_SIZE)
    assert agrees(ch.center, "0.2313333")
    assert agrees(ch.sigma, "0.421685")
    assert agrees(ch.lcl, "0.05242755")
    assert agrees(ch.ucl, "0.4102391")
    # NIST/SEMATECH e-Handbook 6.3.3.2 "Proportions Control Charts" (pmc332) charts 30
    # wafers of 50 chips with an average proportion of .2313; Montgomery's 30 samples of 50
    # (qcc's orangejuice trial) give the same p̄ to the 4 decimals printed.
    assert agrees(ch.center, ".2313")
    # Montgomery's samples 15 and 23 are out of control (qcc help(orangejuice)).
    assert ch.violations() == {1: [14, 22]}


def test_qcc_np_chart_orangejuice() -> None:
    d = ORANGEJUICE_D[:ORANGEJUICE_TRIAL]
    ch = control_chart(d, chart="np", sizes=ORANGEJUICE_SIZE)
    assert agrees(ch.center, "11.56667")
    assert agrees(ch.sigma, "2.981763")
    assert agrees(ch.lcl, "2.621377")
    assert agrees(ch.ucl, "20.51196")


def test_qcc_p_chart_excluding_out_of_control_points() -> None:
    # qcc: inc <- setdiff(which(trial), c(15, 23)); qcc(D[inc], ..., newdata=D[!trial]).
    d = ORANGEJUICE_D
    removed = control_chart(
        np.delete(d[:ORANGEJUICE_TRIAL], [14, 22]), chart="p", sizes=ORANGEJUICE_SIZE
    )
    excluded = control_chart(
        d[:ORANGEJUICE_TRIAL], chart="p", sizes=ORANGEJUICE_SIZE, exclude=[14, 22]
    )
    for ch in (removed, excluded):
        assert agrees(ch.center, "0.215")
        assert agrees(ch.sigma, "0.4108223")
        assert agrees(ch.lcl, "0.04070284")
        assert agrees(ch.ucl, "0.3892972")
    assert excluded.excluded == (14, 22)
    new = excluded.monitor(d[ORANGEJUICE_TRIAL:], sizes=ORANGEJUICE_SIZE)
    assert new.statistics.size == 24
    assert agrees(new.ucl, "0.3892972")


# --- qcc vignette, "c and u charts" (circuit: Montgomery Table 7.7; pcmanufact: 7.9) -------


def test_qcc_c_chart_circuit() -> None:
    ch = control_chart(CIRCUIT_X[:CIRCUIT_TRIAL], chart="c")
    assert agrees(ch.center, "19.84615")
    assert agrees(ch.sigma, "4.454902")
    assert agrees(ch.lcl, "6.481447")
    assert agrees(ch.ucl, "33.21086")
    # Samples 6 and 20 are out of control (qcc help(circuit)).
    assert ch.violations() == {1: [5, 19]}


def test_qcc_c_and_u_charts_circuit_without_6_and_20() -> None:
    trial = CIRCUIT_X[:CIRCUIT_TRIAL]
    c = control_chart(trial, chart="c", exclude=[5, 19])
    assert agrees(c.center, "19.66667")
    assert agrees(c.sigma, "4.434712")
    assert agrees(c.lcl, "6.362532")
    assert agrees(c.ucl, "32.9708")
    u = control_chart(trial, chart="u", sizes=CIRCUIT_SIZE, exclude=[5, 19])
    assert agrees(u.center, "0.1966667")
    assert agrees(u.sigma, "0.4434712")
    assert agrees(u.lcl, "0.06362532")
    assert agrees(u.ucl, "0.329708")


def test_qcc_u_chart_with_newdata_has_one_violation() -> None:
    # qcc tests/testthat/test-qcc.R "u charts with newdata detect expected violations":
    # circuit without rows 6 and 20, phase II on the new data, one flagged point under
    # qcc's Western Electric rules 1-4 (here: 8 points in a row below the centre).
    trial = np.delete(CIRCUIT_X[:CIRCUIT_TRIAL], [5, 19])
    ch = control_chart(trial, chart="u", sizes=CIRCUIT_SIZE)
    new = ch.monitor(CIRCUIT_X[CIRCUIT_TRIAL:], sizes=CIRCUIT_SIZE)
    phase1 = ch.violations("western_electric")
    phase2 = new.violations("western_electric")
    flagged = {i for v in phase1.values() for i in v} | {
        i + trial.size for v in phase2.values() for i in v
    }
    assert len(flagged) == 1


def test_qcc_u_chart_pcmanufact() -> None:
    ch = control_chart(PCMANUFACT_X, chart="u", sizes=PCMANUFACT_SIZE)
    assert agrees(ch.center, "1.93")
    assert agrees(ch.sigma, "1.389244")
    assert agrees(ch.lcl, "0.06613305")
    assert agrees(ch.ucl, "3.793867")


# --- qcc vignette, "Continuous one-at-time data" (viscosity) -------------------------------


def test_qcc_individuals_viscosity() -> None:
    ch = control_chart(VISCOSITY[:VISCOSITY_TRIAL], chart="imr")
    assert agrees(ch.center, "34.088")
    # Standard deviation = 0.5076521 = MR̄/1.128 (qcc's table); exact d2(2) = 1.128379,
    # so σ is lower by exactly that ratio (3.4e-4) and the limits agree to 4 digits.
    assert ch.sigma == pytest.approx(0.5076521 * 1.128 / d2(2), rel=2e-7)
    assert agrees_sig(ch.lcl, "32.56504", 4)
    assert agrees_sig(ch.ucl, "35.61096", 4)
    mr_bar = float(np.mean(np.abs(np.diff(VISCOSITY[:VISCOSITY_TRIAL]))))
    known = control_chart(VISCOSITY[:VISCOSITY_TRIAL], chart="imr", sigma=mr_bar / 1.128)
    assert agrees(known.sigma, "0.5076521")
    assert agrees(known.lcl, "32.56504") and agrees(known.ucl, "35.61096")
    # qcc tests/testthat/test-qcc.R: one violation (batch 4, a temperature controller fault).
    assert ch.violations() == {1: [3]}


def test_qcc_individuals_viscosity_without_batch_4() -> None:
    data = np.delete(VISCOSITY[:VISCOSITY_TRIAL], 3)
    ch = control_chart(data, chart="imr")
    assert agrees(ch.center, "33.98947")
    assert agrees_sig(ch.sigma, "0.4117415", 3)
    assert agrees_sig(ch.lcl, "32.75425", 4)
    assert agrees_sig(ch.ucl, "35.2247", 4)
    new = ch.monitor(VISCOSITY[VISCOSITY_TRIAL:])
    assert new.statistics.size == 15


# --- qcc vignette, "EWMA" ---------------------------------------------------------------------


def test_qcc_ewma_pistonrings() -> None:
    ch = control_chart(PISTON_TRIAL, chart="ewma", lam=0.2, L=3)
    assert agrees(ch.center, "74.00118")
    lcl, ucl = np.asarray(ch.lcl), np.asarray(ch.ucl)
    assert agrees(lcl[0], "73.99855") and agrees(ucl[0], "74.00380")
    assert agrees(lcl[1], "73.99781") and agrees(ucl[1], "74.00454")
    assert agrees(lcl[24], "73.99680") and agrees(ucl[24], "74.00555")
    wide = control_chart(PISTON_TRIAL, chart="ewma", lam=0.2, L=2.7)
    new = wide.monitor(PISTON_NEW)
    assert agrees(np.asarray(wide.lcl)[0], "73.99881")
    assert agrees(np.asarray(wide.ucl)[0], "74.00354")
    assert agrees(np.asarray(wide.lcl)[1], "73.99815")
    assert agrees(np.asarray(wide.ucl)[1], "74.00420")
    assert agrees(np.asarray(new.lcl)[-1], "73.99724")
    assert agrees(np.asarray(new.ucl)[-1], "74.00511")


def test_qcc_ewma_viscosity_with_qcc_sigma() -> None:
    # Printed limits need qcc's σ (0.5076521, from d2(2) = 1.128): every digit then agrees.
    trial = VISCOSITY[:VISCOSITY_TRIAL]
    ch = control_chart(trial, chart="ewma", lam=0.2, L=2.7, sigma=0.5076521)
    assert agrees(ch.center, "34.088")
    lcl, ucl = np.asarray(ch.lcl), np.asarray(ch.ucl)
    assert agrees(lcl[0], "33.81387") and agrees(ucl[0], "34.36213")
    assert agrees(lcl[1], "33.73694") and agrees(ucl[1], "34.43906")
    new = ch.monitor(VISCOSITY[VISCOSITY_TRIAL:])
    assert agrees(np.asarray(new.lcl)[-1], "33.63111")
    assert agrees(np.asarray(new.ucl)[-1], "34.54489")
    estimated = control_chart(trial, chart="ewma", lam=0.2, L=2.7)
    assert agrees_sig(np.asarray(estimated.lcl)[0], "33.81387", 5)


def test_qcc_ewma_unit_tests() -> None:
    # qcc tests/testthat/test-ewma.R "computes smoothing, sigma, and limits".
    ch = control_chart([11, 13, 12], chart="ewma", center=10, sigma=2, lam=0.5, L=2)
    np.testing.assert_allclose(ch.statistics, [10.5, 11.75, 11.875], atol=1e-12)
    se = np.array([1, np.sqrt(1.25), np.sqrt(1.3125)])
    np.testing.assert_allclose(ch.lcl, 10 - 2 * se, atol=1e-12)
    np.testing.assert_allclose(ch.ucl, 10 + 2 * se, atol=1e-12)
    # "phase-II extension ... flags violations": λ = 1, L = 2, new data (0, 5).
    base = control_chart([0, 0], chart="ewma", center=0, sigma=1, lam=1, L=2)
    new = base.monitor([0, 5])
    np.testing.assert_allclose(new.statistics, [0, 5])
    assert base.violations() == {1: []}
    assert new.violations() == {1: [1]}


# --- qcc tests/testthat/test-cusum.R -------------------------------------------------------


def test_qcc_cusum_recursion_and_strict_decision_interval() -> None:
    data = [1.5, 0.5, 0.6, -1.5, -0.5, -0.8]
    ch = control_chart(data, chart="cusum", center=0, sigma=1, h=1, k=0.5)
    np.testing.assert_allclose(ch.upper, [1.0, 1.0, 1.1, 0.0, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(ch.lower, [0.0, 0.0, 0.0, -1.0, -1.0, -1.3], atol=1e-12)
    assert ch.violations() == {1: [2, 5]}


def test_qcc_cusum_phase_two_with_variable_sizes() -> None:
    phase1 = np.array([[10.0, 10, 10], [10, 10, 10]])
    phase2 = np.array([[14.0, 14, np.nan], [16, 16, 16]])
    ch = control_chart(phase1, chart="cusum", center=10, sigma=2, h=10, k=0.5)
    new = ch.monitor(phase2)
    np.testing.assert_allclose(new.sizes, [2, 3])
    np.testing.assert_allclose(
        np.concatenate((ch.upper, new.upper)), [0, 0, 2.32842712474619, 7.02457954745282],
        atol=1e-12,
    )  # fmt: skip


def test_qcc_cusum_pistonrings_signals_in_phase_two() -> None:
    ch = control_chart(PISTON_TRIAL, chart="cusum")
    assert agrees(ch.center, "74.00118")
    assert ch.violations() == {1: []}
    assert ch.monitor(PISTON_NEW).violations()[1]  # the upward drift is caught


# --- qcc tests/testthat/test-spc.xbar.R ------------------------------------------------------


def test_qcc_sd_xbar_uwave_r_with_missing_values() -> None:
    data = [[2, 4, 6, 8], [1, 5, np.nan, np.nan], [3, 6, 9, np.nan]]
    ch = control_chart(data, chart="xbar_r")
    np.testing.assert_allclose(ch.statistics, [5, 3, 6])
    assert ch.center == pytest.approx(44 / 9)
    assert ch.sigma == pytest.approx(3.334735, rel=5e-4)  # qcc's tolerance
    s = control_chart(data, chart="xbar_s")
    assert s.sigma == pytest.approx(3.244180, rel=5e-4)  # UWAVE-SD


def test_qcc_limits_xbar_for_each_subgroup_size() -> None:
    data = np.full((3, 8), np.nan)
    data[0, :2] = [9, 11]
    data[1, :4] = [9, 11, 9, 11]
    data[2, :8] = [9, 11] * 4
    ch = control_chart(data, chart="xbar_r", center=10, sigma=2)
    np.testing.assert_allclose(ch.lcl, [5.757359, 7.0, 7.878680], atol=5e-6)
    np.testing.assert_allclose(ch.ucl, [14.24264, 13.0, 12.12132], atol=5e-5)


# --- NIST/SEMATECH e-Handbook 6.3.2.4 EWMA example ----------------------------------------


def test_nist_ewma_example() -> None:
    ch = control_chart(NIST_EWMA_DATA, chart="ewma", center=50, sigma=2.0539, lam=0.3, L=3)
    z = [50.0, *ch.statistics.tolist()]
    assert all(agrees(v, p) for v, p in zip(z, NIST_EWMA_Z, strict=True))
    # Steady-state limits UCL = 52.5884, LCL = 47.4115 (the page multiplies by a rounded
    # 0.4201): our limits approach 52.58843 / 47.41157, so UCL agrees to all 4 decimals and
    # LCL to 3 (47.4116 against the printed 47.4115).
    assert agrees(np.asarray(ch.ucl)[-1], "52.5884")
    assert agrees(np.asarray(ch.lcl)[-1], "47.412")
    assert ch.violations() == {1: []}  # "the process is in control"
