"""Process capability against qcc 3.0's vignette output and unit tests, and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gigaline.quality import QualityInputError, capability
from tests.quality._published import PISTON_TRIAL, QCC_TABLE_D2, agrees

# qcc vignette "Process capability analysis": processCapability(q, spec.limits=...) on
# qcc(diameter[1:25,], type="xbar"); indices printed to 3 significant digits with 95 %
# limits. Rows: (lsl, usl, target, {index: (value, lower, upper)}).
VIGNETTE = [
    (73.95, 74.05, None, {
        "cp": ("1.70", "1.49", "1.91"), "cpl": ("1.74", None, None),
        "cpu": ("1.66", None, None), "cpk": ("1.66", "1.45", "1.88"),
        "cpm": ("1.69", "1.48", "1.90"),
    }),
    (73.95, 74.05, 74.02, {
        "cp": ("1.703", "1.491", "1.915"), "cpl": ("1.743", None, None),
        "cpu": ("1.663", None, None), "cpk": ("1.663", "1.448", "1.878"),
        "cpm": ("0.786", "0.656", "0.915"),
    }),
    (73.99, 74.01, None, {
        "cp": ("0.341", "0.298", "0.383"), "cpl": ("0.381", None, None),
        "cpu": ("0.301", None, None), "cpk": ("0.301", "0.231", "0.370"),
        "cpm": ("0.338", "0.296", "0.380"),
    }),
    (73.99, 74.1, None, {
        "cp": ("1.874", "1.641", "2.106"), "cpl": ("0.381", None, None),
        "cpu": ("3.367", None, None), "cpk": ("0.381", "0.305", "0.456"),
        "cpm": ("0.408", "0.338", "0.479"),
    }),
]  # fmt: skip


def _agrees_but_d2(value: float, published: str) -> bool:
    return agrees(value, published) or abs(value - float(published)) <= 0.5 * 10 ** -(
        len(published.split(".")[1])
    ) + 3.1e-5 * abs(float(published))


@pytest.mark.parametrize(("lsl", "usl", "target", "expected"), VIGNETTE)
def test_qcc_vignette_capability(
    lsl: float, usl: float, target: float | None, expected: dict[str, tuple[str, ...]]
) -> None:
    # With qcc's σ (R̄/2.326, its tabulated d2) every printed digit agrees. With the exact
    # d2 the indices differ by 3e-5 relative (2.325929/2.326), which shows at a rounding
    # edge only: Cpu = 3.36640 (qcc 3.36650, printed 3.367) and the Cp upper limit 1.91477
    # (printed 1.915). So: within half a printed unit plus 3.1e-5 relative.
    qcc_sigma = float(np.mean(np.ptp(PISTON_TRIAL, axis=1))) / QCC_TABLE_D2[5]
    exact = capability(PISTON_TRIAL, lsl=lsl, usl=usl, target=target)
    as_qcc = capability(PISTON_TRIAL, lsl=lsl, usl=usl, target=target, sigma=qcc_sigma)
    for cap in (exact, as_qcc):
        assert cap.n == 125
        assert agrees(cap.center, "74.00118")
        for name, (value, lo, hi) in expected.items():
            check = agrees if cap is as_qcc else _agrees_but_d2
            assert check(getattr(cap, name), value), name
            if lo is not None:
                ci = getattr(cap, f"{name}_ci")
                assert check(ci[0], lo) and check(ci[1], hi), name
    # "Exp<LSL 0.13%  Obs<LSL 0.12%  Exp>USL 0.18%  Obs>USL 0.16%" for (73.99, 74.01): the
    # 2020 vignette printed fractions with a % sign (12.7 % of N(x̄, σ) lies below LSL and
    # 15 of the 125 values do), to 2 significant digits.
    if (lsl, usl) == (73.99, 74.01):
        assert round(exact.expected_below_lsl, 2) == 0.13
        assert round(exact.expected_above_usl, 2) == 0.18
        assert round(exact.observed_below_lsl, 2) == 0.12
        assert round(exact.observed_above_usl, 2) == 0.16


# qcc tests/testthat/test-capability.R: a 3 x 4 grouped data set with tolerance 1e-6,
# computed with qcc's tabulated d2(4) = 2.059 (see test_published).
GROUPED = np.array(
    [[10.00, 10.02, 9.98, 10.01], [10.03, 9.99, 10.01, 10.00], [9.97, 10.04, 10.02, 9.99]]
)
QCC_SIGMA = float(np.mean(np.ptp(GROUPED, axis=1))) / QCC_TABLE_D2[4]


def test_qcc_unit_test_two_sided_on_target() -> None:
    cap = capability(GROUPED, 9.9, 10.1, target=10.0, sigma=QCC_SIGMA)
    expected = {
        "cp": (1.372667, 0.808460, 1.937713),
        "cpk": (1.304033, 0.727408, 1.880659),
        "cpm": (1.344463, 0.804207, 1.885321),
        "pp": (1.612598, 0.949773, 2.276410),
        "ppk": (1.531968, 0.864608, 2.199329),
    }
    for name, (value, lo, hi) in expected.items():
        assert getattr(cap, name) == pytest.approx(value, rel=1e-6), name
        ci = getattr(cap, f"{name}_ci")
        assert ci[0] == pytest.approx(lo, rel=1e-6) and ci[1] == pytest.approx(hi, rel=1e-6)
    assert cap.cpl == pytest.approx(1.441300, rel=1e-6)
    assert cap.cpu == pytest.approx(1.304033, rel=1e-6)
    assert cap.ppm == pytest.approx(1.567395, rel=1e-6)


def test_qcc_unit_test_off_target_and_one_sided() -> None:
    off = capability(GROUPED, 9.9, 10.1, target=10.02, sigma=QCC_SIGMA)
    assert off.cpm == pytest.approx(1.167834, rel=1e-6)
    assert off.cpm_ci == pytest.approx((0.650542, 1.686689), rel=1e-6)
    assert off.ppm == pytest.approx(1.305161, rel=1e-6)
    upper = capability(GROUPED, usl=10.1, target=10.02, sigma=QCC_SIGMA)
    assert upper.cp is None and upper.cpl is None and upper.cpm is None
    assert upper.cpk == pytest.approx(1.304033, rel=1e-6)
    assert upper.cpk_ci == pytest.approx((0.727408, 1.880659), rel=1e-6)
    lower = capability(GROUPED, lsl=9.9, target=10.02, sigma=QCC_SIGMA)
    assert lower.cpk == pytest.approx(1.441300, rel=1e-6)
    assert lower.cpk_ci == pytest.approx((0.810191, 2.072409), rel=1e-6)
    assert lower.ppk == pytest.approx(1.693228, rel=1e-6)
    assert lower.ppk_ci == pytest.approx((0.960982, 2.425474), rel=1e-6)


def test_within_sigma_from_ranges_uses_exact_d2() -> None:
    cap = capability(GROUPED, 9.9, 10.1)
    # exact d2(4) = 2.058751 against qcc's 2.059: Cp 1.372500 against 1.372667.
    assert cap.cp == pytest.approx(1.372667 * 2.058751 / 2.059, rel=1e-6)
    assert cap.target == 10.0  # midpoint by default, as qcc


def test_one_dimensional_data_uses_the_moving_range() -> None:
    x = np.array([10.0, 10.2, 9.9, 10.1, 10.0, 9.8, 10.3, 10.1])
    cap = capability(x, lsl=9.0, usl=11.0)
    sigma = np.mean(np.abs(np.diff(x))) / (2 / math.sqrt(math.pi))
    assert cap.sigma_within == pytest.approx(sigma)
    assert cap.cp == pytest.approx(2.0 / (6 * sigma))
    assert cap.pp == pytest.approx(2.0 / (6 * x.std(ddof=1)))


def test_cp_interval_is_exact_chi_square() -> None:
    # For n = 2 (1 degree of freedom) the chi-square quantiles have closed forms via the
    # normal: χ²_{α/2,1} = z_{1/2+α/4}², χ²_{1-α/2,1} = z_{1-α/4}².
    from scipy.stats import norm

    cap = capability([1.0, 2.0], lsl=0.0, usl=3.0, sigma=0.5)
    q_lo, q_hi = norm.ppf(0.5125) ** 2, norm.ppf(0.9875) ** 2
    assert cap.cp_ci == pytest.approx((1.0 * math.sqrt(q_lo), 1.0 * math.sqrt(q_hi)))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"lsl": 11.0, "usl": 9.0}, "lsl"),
        ({"lsl": 10.0, "usl": 10.0}, "lsl"),
        ({}, "lsl/usl"),
        ({"lsl": 9.0, "usl": 11.0, "confidence": 1.5}, "confidence"),
        ({"lsl": 9.0, "usl": 11.0, "sigma": -1.0}, "sigma"),
    ],
)
def test_bad_capability_input(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(QualityInputError) as err:
        capability([10.0, 10.1, 9.9], **kwargs)
    assert err.value.field == field
    assert field in str(err.value)


def test_capability_rejects_empty_and_constant_data() -> None:
    with pytest.raises(QualityInputError, match="at least 2 values"):
        capability([], lsl=0.0, usl=1.0)
    with pytest.raises(QualityInputError, match="varying values"):
        capability([1.0, 1.0, 1.0], lsl=0.0, usl=2.0)


def test_cpk_interval_is_ordered_for_a_process_outside_its_limits() -> None:
    # Bissell, "How reliable is your capability index?", Appl. Statist. 39 (1990) 331-340:
    # Cpk +- z sqrt(1/(9n) + Cpk^2/(2(n-1))) stays ordered when Cpk <= 0 (mean off spec).
    rng = np.random.default_rng(7)
    values = rng.normal(10.0, 1.0, size=200)
    cap = capability(values, lsl=20.0, usl=30.0, sigma=1.0)
    n = values.size
    half = 1.959963984540054 * math.sqrt(1 / (9 * n) + cap.cpk**2 / (2 * (n - 1)))
    assert cap.cpk < 0
    assert cap.cpk_ci[0] == pytest.approx(cap.cpk - half)
    assert cap.cpk_ci[1] == pytest.approx(cap.cpk + half)
    centred = capability(rng.normal(20.0, 1.0, size=200), lsl=20.0, usl=40.0, sigma=1.0)
    assert math.isfinite(centred.cpk_ci[0]) and centred.cpk_ci[0] < centred.cpk_ci[1]
