"""Run rules: qcc's unit-test series (tests/testthat/test-rules.R, qcc 3.0), and for every
rule constructed series that must and must not trigger it. Centre 0, σ 1 throughout, on an
individuals chart with known parameters (qcc's ``make_rule_test_qcc`` uses the same)."""

from __future__ import annotations

import numpy as np
import pytest

from gigaline.quality import QualityInputError, control_chart


def flagged(series: list[float], rules: str, rule: int) -> list[int]:
    ch = control_chart(np.asarray(series, dtype=float), chart="imr", center=0.0, sigma=1.0)
    return ch.violations(rules=rules, only=[rule])[rule]


# (rule set, rule, series, indices that must be flagged) -- qcc's expectations, 0-based.
QCC_CASES = [
    ("western_electric", 1, [0, 3.2, -3.5, 2.9], [1, 2]),
    ("western_electric", 2, [0, 2.5, 1.0, 2.6, 0], [3]),
    ("western_electric", 3, [0, 1.2, 1.3, 0.2, 1.4, 1.5], [5]),
    ("western_electric", 4, [-1] * 8 + [1], [7]),
    ("western_electric", 4, [2.5] * 7 + [3.2], [7]),
    ("western_electric", 3, [2.5] * 7 + [3.2], [4, 5, 6, 7]),
    ("western_electric", 2, [2.5] * 7 + [3.2], [2, 3, 4, 5, 6, 7]),
    ("western_electric", 1, [2.5] * 7 + [3.2], [7]),
    ("nelson", 1, [0, 3.2, -3.4, 3], [1, 2]),
    ("nelson", 2, [0.5] * 10 + [-0.5] + [-0.5] * 9, [8, 9, 18, 19]),
    ("nelson", 3, [1, 2, 3, 4, 5, 6, 7, 7, 6, 5, 4, 3, 2, 1], [5, 6, 12, 13]),
    ("nelson", 4, [1, 3, 2, 4, 3, 5, 4, 6, 5, 7, 6, 8, 7, 9, 8], [13, 14]),
    ("nelson", 5, [0, 2.3, 0.4, 2.2, -2.4, -0.2, -2.5], [3, 6]),
    ("nelson", 6, [1.2, 1.3, 0.2, 1.4, 1.5, -1.2, -1.3, -0.1, -1.4, -1.5], [4, 9]),
    ("nelson", 7, [0.3] * 16 + [1.2], [14, 15]),
    ("nelson", 8, [1.2, -1.3, 1.1, -1.4, 1.5, -1.2, 1.3, -1.1, 0.2], [7]),
    ("nelson", 8, [1.2] * 8, []),
]


@pytest.mark.parametrize(("rules", "rule", "series", "expected"), QCC_CASES)
def test_qcc_rule_cases(rules: str, rule: int, series: list[float], expected: list[int]) -> None:
    assert flagged(series, rules, rule) == expected


# Series built to sit just short of each pattern: none may be flagged.
MUST_NOT = [
    ("western_electric", 1, [2.99, -2.99, 3.0, -3.0, 0.0]),  # on the limit is not beyond
    ("western_electric", 2, [2.5, 1.0, 1.0, 2.5, 1.0, 1.0, 2.5]),  # never 2 of 3
    ("western_electric", 2, [2.5, -2.5, 0.0, 2.5, -2.5]),  # beyond, but opposite sides
    ("western_electric", 3, [1.2, 1.3, 0.2, 0.3, 1.4, 1.5, 0.1]),  # 3 of 5 only
    ("western_electric", 4, [-1] * 7 + [1] + [-1] * 7),  # 7 in a row twice
    ("western_electric", 4, [0.5] * 4 + [0.0] + [0.5] * 4),  # a point on the centre line
    ("nelson", 2, [0.5] * 8 + [-0.5] * 8),
    ("nelson", 3, [1, 2, 3, 4, 5, 5, 6, 7, 8, 9]),  # a tie breaks the trend
    ("nelson", 4, [1, 3, 2, 4, 3, 5, 4, 6, 5, 7, 6, 8, 7]),  # 13 alternating points
    ("nelson", 5, [2.3, 0.0, -2.3, 0.0, 2.3]),
    ("nelson", 6, [1.2, 1.3, -1.4, 1.5, 0.2, 1.1, -1.2]),
    ("nelson", 7, [0.3] * 14 + [1.2] + [0.3] * 14),
    ("nelson", 8, [1.2, -1.3, 1.1, -1.4, 0.5, -1.2, 1.3, -1.1, 1.2]),  # one inside 1σ
    ("nelson", 8, [-1.2] * 10),  # all on one side
]


@pytest.mark.parametrize(("rules", "rule", "series"), MUST_NOT)
def test_series_that_must_not_trigger(rules: str, rule: int, series: list[float]) -> None:
    assert flagged(series, rules, rule) == []


MUST = [  # constructed, one per rule, with the indices flagged
    ("western_electric", 1, [0.0, 0.0, -3.01], [2]),
    ("western_electric", 2, [0.0, -2.1, -2.2], [2]),
    ("western_electric", 3, [0.0, -1.1, -1.1, -1.1, -1.1], [4]),
    ("western_electric", 4, [0.1] * 10, [7, 8, 9]),
    ("nelson", 2, [-0.1] * 9, [8]),
    ("nelson", 3, [5, 4, 3, 2, 1, 0], [5]),
    ("nelson", 4, [0.1, -0.1] * 7, [13]),
    ("nelson", 5, [2.1, 0.0, 2.1], [2]),
    ("nelson", 6, [-1.1, -1.2, -1.3, 0.0, -1.4], [4]),
    ("nelson", 7, [0.9, -0.9] * 8, [14, 15]),
    ("nelson", 8, [1.5, -1.5] * 4, [7]),
]


@pytest.mark.parametrize(("rules", "rule", "series", "expected"), MUST)
def test_series_that_must_trigger(
    rules: str, rule: int, series: list[float], expected: list[int]
) -> None:
    assert flagged(series, rules, rule) == expected


def test_default_is_rule_one_and_sets_return_every_rule() -> None:
    ch = control_chart(np.array([0, 3.5, 0.1]), chart="imr", center=0, sigma=1)
    assert ch.violations() == {1: [1]}
    assert sorted(ch.violations(rules="nelson")) == list(range(1, 9))
    assert sorted(ch.violations(rules="western_electric")) == [1, 2, 3, 4]
    assert ch.violations(rules="nelson", only=[2, 7]) == {2: [], 7: []}


def test_runs_span_phase_one_and_two() -> None:
    # Five points above the centre in phase I and five more in phase II: Nelson 2 (nine in
    # a row) flags new points 3 and 4 (the 9th and 10th), counted from the first new point.
    ch = control_chart(np.full(5, 0.5), chart="imr", center=0, sigma=1)
    new = ch.monitor(np.full(5, 0.5))
    assert new.violations(rules="nelson", only=[2]) == {2: [3, 4]}
    assert ch.violations(rules="nelson", only=[2]) == {2: []}


def test_zones_follow_variable_limits() -> None:
    # p = 0.1; n = 100 gives σ_p = 0.03 (2σ zone ends at 0.16), n = 25 gives 0.06 (0.22).
    # A fraction of 0.20 is beyond 2σ in a sample of 100 but not in a sample of 25.
    same = control_chart([19, 19, 19, 20], chart="p", sizes=100, center=0.1)
    assert same.violations(rules="nelson", only=[5])[5] == [2, 3]
    mixed = control_chart([19, 19, 19, 5], chart="p", sizes=[100, 100, 100, 25], center=0.1)
    assert mixed.violations(rules="nelson", only=[5])[5] == [2]


def test_rules_apply_to_the_range_chart() -> None:
    data = np.tile([[10.0, 10.1, 9.9, 10.0]], (20, 1))
    data[12] = [10.0, 11.0, 9.0, 10.0]
    r = control_chart(data, chart="xbar_r", sigma=0.08).dispersion
    assert r is not None and r.violations() == {1: [12]}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"rules": "shewhart"}, "rules"),
        ({"rules": "nelson", "only": [9]}, "only"),
        ({"rules": "western_electric", "only": [5]}, "only"),
        ({"only": [2]}, "only"),
    ],
)
def test_bad_rule_selection(kwargs: dict[str, object], field: str) -> None:
    ch = control_chart(np.array([0.0, 1.0, 0.0, 1.0, 0.0]), chart="imr")
    with pytest.raises(QualityInputError) as err:
        ch.violations(**kwargs)  # type: ignore[arg-type]
    assert err.value.field == field


def test_time_weighted_charts_allow_their_limits_only() -> None:
    x = np.array([0.1, -0.2, 0.3, 0.0, 0.2])
    ewma = control_chart(x, chart="ewma", center=0, sigma=1)
    cusum = control_chart(x, chart="cusum", center=0, sigma=1)
    assert ewma.violations() == {1: []} and cusum.violations() == {1: []}
    for ch in (ewma, cusum):
        with pytest.raises(QualityInputError, match="rules"):
            ch.violations(rules="nelson")
