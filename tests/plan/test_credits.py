"""US 45X production credit by country and year; gross and net cost per kWh."""

from __future__ import annotations

import pytest

from gigaline.model import parse_line
from gigaline.plan import credit_schedule, plan_line, production_credits
from tests.plan._lines import EXAMPLES, REF

SCHEMES = REF.credit_schemes
TEXT = (EXAMPLES / "abf-lfp-20gwh.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("year", "cells"),
    # 26 USC 45X(b)(3): full amount through 2029, then 75 % (2030), 50 % (2031), 25 % (2032),
    # nothing after; only for components sold after 2022.
    [
        (2022, 0.0),
        (2023, 35.0),
        (2029, 35.0),
        (2030, 26.25),
        (2031, 17.5),
        (2032, 8.75),
        (2033, 0.0),
        (2040, 0.0),
    ],
)
def test_45x_phase_down(year: int, cells: float) -> None:
    c = production_credits("US", year, False, 0.896, SCHEMES)
    assert c.cell_usd_per_kwh == pytest.approx(cells)
    assert c.module_usd_per_kwh == 0.0


def test_modules_country_and_cell_size() -> None:
    # A plant that also builds modules adds 10 USD/kWh (times the same phase-down share).
    assert production_credits("US", 2027, True, 0.896, SCHEMES).usd_per_kwh == 45.0
    assert production_credits("US", 2031, True, 0.896, SCHEMES).usd_per_kwh == pytest.approx(22.5)
    for country in (None, "DE", "CN"):
        c = production_credits(country, 2027, False, 0.896, SCHEMES)
        assert c.usd_per_kwh == 0.0 and c.scheme is None
    assert "no site.country" in production_credits(None, 2027, False, 0.896, SCHEMES).note
    assert "start_year" in production_credits("US", None, False, 0.896, SCHEMES).note
    # A battery cell under 45X stores at least 12 Wh.
    small = production_credits("US", 2027, False, 0.010, SCHEMES)
    assert small.usd_per_kwh == 0.0 and "12 Wh" in small.note


def test_schedule_from_the_start_year() -> None:
    assert credit_schedule("US", 2027, False, 0.896, SCHEMES) == [
        (2027, 35.0),
        (2028, 35.0),
        (2029, 35.0),
        (2030, 26.25),
        (2031, 17.5),
        (2032, 8.75),
        (2033, 0.0),
    ]
    assert credit_schedule("DE", 2027, False, 0.896, SCHEMES) == []
    assert credit_schedule("US", None, False, 0.896, SCHEMES) == []


def test_the_plan_subtracts_the_credit_by_the_line_file() -> None:
    us = plan_line(parse_line(TEXT)).first
    assert us.credits.usd_per_kwh == 35.0
    assert us.cost_usd_per_kwh_net == pytest.approx(us.cost.total - 35.0)
    late = plan_line(parse_line(TEXT.replace("start_year: 2027", "start_year: 2031"))).first
    assert late.credits.usd_per_kwh == 17.5
    de = plan_line(parse_line(TEXT.replace("country: US", "country: DE"))).first
    assert de.credits.usd_per_kwh == 0.0
    assert de.cost_usd_per_kwh_net == de.cost.total == us.cost.total
    d = plan_line(parse_line(TEXT)).to_dict()
    assert d["cost_usd_per_kwh_net"] == pytest.approx(d["cost_usd_per_kwh"] - 35.0)
    assert d["credits_usd_per_kwh"] == 35.0
    assert d["credits"]["scheme"] == "us_45x" and d["credits"]["year"] == 2027
