"""Bad input gets a QualityInputError (a GigalineError) naming field, value and what is
allowed."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from gigaline.errors import GigalineError
from gigaline.quality import QualityInputError, control_chart

GOOD = np.array([[10.0, 10.2, 9.9], [10.1, 9.8, 10.0], [10.3, 10.1, 9.9]])

CASES: list[tuple[Any, dict[str, Any], str, str]] = [
    # (data, keyword arguments, field named, words of the "allowed" part)
    ([], {"chart": "xbar_r"}, "data", "empty data"),
    (np.empty((0, 5)), {"chart": "xbar_r"}, "data", "empty data"),
    ([], {"chart": "imr"}, "data", "at least 2 values"),
    ([], {"chart": "c"}, "counts", "at least 1 values"),
    ([[1.0], [2.0], [3.0]], {"chart": "xbar_r"}, "data[0]", "at least 2 values"),
    ([[1.0, 2.0], [2.0, np.nan]], {"chart": "xbar_s"}, "data[1]", "at least 2 values"),
    ([1.0, 2.0, 3.0], {"chart": "xbar_r"}, "data", "chart='imr'"),
    ([1, -2, 3], {"chart": "c"}, "counts[1]", "0 or more"),
    ([1, -2, 3], {"chart": "p", "sizes": 10}, "counts[1]", "0 or more"),
    ([1, 2.5, 3], {"chart": "np", "sizes": 10}, "counts[1]", "whole numbers"),
    ([1, 12, 3], {"chart": "p", "sizes": 10}, "counts[1]", "cannot exceed"),
    ([1, 2, 3], {"chart": "p"}, "sizes", "sample size"),
    ([1, 2, 3], {"chart": "u", "sizes": [1, 0, 1]}, "sizes[1]", "greater than 0"),
    ([1, 2, 3], {"chart": "u", "sizes": [1, 2]}, "sizes", "one size per subgroup"),
    ([1, 2, 3], {"chart": "c", "sizes": [1, 2, 1]}, "sizes", "chart='u'"),
    ([1, 2, 3], {"chart": "p", "sizes": 10, "sigma": 0.1}, "sigma", "give center="),
    ([1, 2, 3], {"chart": "p", "sizes": 10, "center": 1.5}, "center", "0 < p < 1"),
    ([0, 0, 0], {"chart": "p", "sizes": 10}, "counts", "give center="),
    ([5, 5], {"chart": "np", "sizes": 5}, "counts", "give center="),
    ([0, 0], {"chart": "c"}, "counts", "give center="),
    (GOOD, {"chart": "xbar"}, "chart", "xbar_r"),
    (GOOD, {"chart": "xbar_r", "sigma": -1}, "sigma", "greater than 0"),
    (GOOD, {"chart": "xbar_r", "nsigmas": 0}, "nsigmas", "greater than 0"),
    (GOOD, {"chart": "xbar_r", "exclude": [3]}, "exclude", "indices from 0 to 2"),
    (GOOD, {"chart": "xbar_r", "exclude": [0, 1, 2]}, "exclude", "at least one"),
    ([1.0, np.nan, 2.0], {"chart": "imr"}, "data[1]", "finite"),
    ([[1.0, np.inf], [1.0, 2.0]], {"chart": "xbar_r"}, "data", "finite"),
    ([5.0, 5.0, 5.0], {"chart": "imr"}, "data", "give sigma="),
    (GOOD, {"chart": "ewma", "lam": 0}, "lam", "0 < lam <= 1"),
    (GOOD, {"chart": "ewma", "lam": 1.5}, "lam", "0 < lam <= 1"),
    (GOOD, {"chart": "ewma", "L": -3}, "L", "greater than 0"),
    (GOOD, {"chart": "cusum", "h": 0}, "h", "greater than 0"),
    (GOOD, {"chart": "cusum", "k": -1}, "k", "k >= 0"),
    (GOOD, {"chart": "cusum", "head_start": 5}, "head_start", "head_start < h"),
]


@pytest.mark.parametrize(("data", "kwargs", "field", "allowed"), CASES)
def test_bad_input_names_field_value_and_allowed(
    data: Any, kwargs: dict[str, Any], field: str, allowed: str
) -> None:
    with pytest.raises(QualityInputError) as err:
        control_chart(data, **kwargs)
    assert isinstance(err.value, GigalineError)
    assert err.value.field == field
    message = str(err.value)
    assert message.startswith(f"{field}: got ")
    assert allowed in message


def test_monitor_checks_new_data_like_phase_one() -> None:
    ch = control_chart(GOOD, chart="xbar_r")
    with pytest.raises(QualityInputError, match="chart='imr'"):
        ch.monitor([10.0, 10.1, 10.2])
    p = control_chart([3, 4, 5], chart="p", sizes=50)
    with pytest.raises(QualityInputError, match="sample size"):
        p.monitor([3, 4])
    with pytest.raises(QualityInputError, match="cannot exceed"):
        p.monitor([3, 60], sizes=50)


def test_known_sigma_allows_subgroups_of_one_in_phase_one_estimation_only() -> None:
    # With σ known, the X-bar centre may come from uneven rows; an R chart still needs
    # ranges, so single-value rows stay an error there.
    with pytest.raises(QualityInputError, match="at least 2 values"):
        control_chart([[1.0, np.nan], [2.0, 3.0]], chart="xbar_r", sigma=1.0)


def test_importing_quality_does_not_load_scipy() -> None:
    # The CLI imports gigaline.quality; scipy loads on first use only (brief: fast start).
    import subprocess
    import sys

    code = "import sys, gigaline.quality; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
