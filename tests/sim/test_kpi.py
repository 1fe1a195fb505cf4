"""gigaline.kpi: OEE per ISO 22400-2 and replication statistics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gigaline.kpi import (
    availability,
    effectiveness,
    little_lead_time_s,
    mean_ci95,
    oee,
    oee_from_times,
    quality_rate,
)


def test_oee_worked_example() -> None:
    # ISO 22400-2:2014 relations, example numbers of the OPC UA MachineTool companion
    # specification, annex C.2.4: PBT 1440, APT 1200, PRI 1, PQ 1100, GQ 1080.
    k = oee_from_times(pbt_s=1440, apt_s=1200, pri_s=1, pq=1100, gq=1080)
    assert k.availability == pytest.approx(0.833333, abs=1e-6)
    assert k.effectiveness == pytest.approx(0.916667, abs=1e-6)
    assert k.quality_rate == pytest.approx(0.981818, abs=1e-6)
    assert k.oee == pytest.approx(0.75, abs=1e-12)  # = GQ x PRI / PBT = 1080 / 1440


def test_oee_factors_on_arrays_and_undefined_denominators() -> None:
    a = availability(np.array([50.0, 0.0]), np.array([100.0, 0.0]))
    assert a[0] == 0.5 and math.isnan(a[1])
    e = effectiveness(np.array([2.0]), np.array([10.0]), np.array([40.0]))
    assert e[0] == 0.5
    assert quality_rate(9.0, 10.0) == 0.9
    assert oee(0.5, 0.5, 0.9) == pytest.approx(0.225)
    assert math.isnan(quality_rate(0.0, 0.0))


def test_mean_ci95_against_t_table() -> None:
    # n = 5, sample sd = 1.5811 (values 1..5): half width = t(0.975, 4) 2.7764 x sd / sqrt(5)
    ci = mean_ci95([1.0, 2.0, 3.0, 4.0, 5.0])
    assert ci.mean == 3.0
    assert ci.half_width == pytest.approx(2.776445 * math.sqrt(2.5) / math.sqrt(5), rel=1e-5)
    assert math.isnan(mean_ci95([1.0]).half_width)


def test_little_lead_time() -> None:
    # L = lambda W: 3 in the system at 0.75 per s spend 4 s (M/M/1, rho = 0.75)
    assert little_lead_time_s(3.0, 0.75) == pytest.approx(4.0)
    assert math.isnan(little_lead_time_s(1.0, 0.0))
