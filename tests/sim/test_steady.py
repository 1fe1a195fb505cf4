"""Honest short runs: the first-output estimate, MSER-5, warnings when the warm-up or the
measured window is too short, --warmup-days auto, and undefined figures as null with a reason.
"""

from __future__ import annotations

import html
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from gigaline.cli import main
from gigaline.model import load_line
from gigaline.sim import SimulationError, SimulationWarning, compile_line, simulate
from gigaline.sim.calendar import planned_stops
from gigaline.sim.report import report_html
from gigaline.sim.steady import (
    calendar_cycle_days,
    first_output,
    mser5,
    settling_hour,
)
from tests.sim.conftest import LINES, line_text, make_line

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "examples" / "abf-lfp-20gwh.yaml"


def _quiet_simulate(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SimulationWarning)
        return simulate(*args, **kwargs)  # type: ignore[arg-type]


# ---- MSER-5 ----------------------------------------------------------------------------------


def _mser_by_hand(y: np.ndarray, d: int) -> float:
    """MSER(d) on batch means of 5, written out as in White (1997)."""
    z = y[: len(y) // 5 * 5].reshape(-1, 5).mean(axis=1)
    tail = z[d:]
    return float(((tail - tail.mean()) ** 2).sum() / len(tail) ** 2)


def test_mser5_cuts_a_start_up_where_the_statistic_is_smallest() -> None:
    rng = np.random.default_rng(1)
    # 60 observations of start-up rising to 10, then 540 of noise around 10 (sd 1)
    y = np.concatenate([np.linspace(0, 10, 60), 10 + rng.normal(0, 1, 540)])
    t = mser5(y)
    k = len(y) // 5
    assert t.batches == k == 120 and t.found
    by_hand = [_mser_by_hand(y, d) for d in range(k // 2 + 1)]
    assert t.observations == 5 * int(np.argmin(by_hand))
    assert 45 <= t.observations <= 70  # the end of the ramp, within a few batches


def test_mser5_on_settled_and_on_drifting_series() -> None:
    rng = np.random.default_rng(2)
    assert mser5(rng.normal(5, 1, 500)).observations <= 25  # settled: next to nothing cut
    assert mser5(np.full(100, 3.0)) == mser5(np.full(100, 3.0))  # a flat series: d* = 0
    assert mser5(np.full(100, 3.0)).observations == 0
    drift = np.arange(500.0) + rng.normal(0, 1, 500)  # never settles: the bound is hit
    assert not mser5(drift).found
    assert not mser5(np.ones(15)).found  # three batches: too few to judge


def test_settling_hour_leaves_planned_stops_out() -> None:
    # The reference line's calendar has whole days off (45 a year, every ~8 days) and 4 h of
    # maintenance a week. A run that delivers nothing for 600 hours and then ~3,400 cells in
    # every scheduled hour, none in stops: the cut is at the first output, and the hours in
    # stops are not part of the series MSER-5 judges.
    line = load_line(REFERENCE)
    hours = 55 * 24
    stops = planned_stops(line.calendar, hours * 3600.0)
    rng = np.random.default_rng(3)
    y = np.where(np.arange(hours) < 600, 0.0, 3400.0 + rng.normal(0, 150, hours))
    for a, b in stops.reshape(-1, 2):
        y[int(a // 3600) : math.ceil(b / 3600)] = 0.0
    hour, cut = settling_hour(y, stops)
    delivered = y > 0  # (every scheduled hour from hour 600 on)
    assert cut.found and hour >= 600 and delivered[600:hour].sum() <= 25  # within 5 batches
    kept = hours - int(sum(math.ceil(b / 3600) - a // 3600 for a, b in stops.reshape(-1, 2)))
    assert cut.batches == kept // 5


# ---- the line's own numbers --------------------------------------------------------------------


def test_first_output_of_a_line_by_hand() -> None:
    # a: 2 s per cell, 1 machine. coat: a coil job of 100 cells (upc 1 m/cell at 1 m/s, 100 m
    # coils), so it waits until `a` has made 100 cells: 2 s + 99 x 2 s = 200 s, then 100 s of
    # coating. age: 1 h hold of every cell, 10 places: the first coil arrives at 300 s, one
    # cell is a job: 300 + 3600 s. pack: 1 s. Total 3901 s.
    line = make_line(
        """
        {id: a, kind: discrete, cycle_time: 2 s, buffer_after: 1000}
        {id: coat, kind: continuous, unit: m, units_per_cell: 1, speed: 1 m/s, width: 0.1 m,
         buffer_after: 1000}
        {id: age, kind: dwell, capacity: 10, cycle_time: 1 h, buffer_after: 100}
        {id: pack, kind: discrete, cycle_time: 1 s}
        """
    )
    f = first_output(compile_line(line, coil_length_m=100.0))
    assert f.seconds == pytest.approx(3901.0)
    assert [sid for sid, _ in f.path] == ["a", "coat", "age", "pack"]
    assert [t for _, t in f.path] == pytest.approx([2.0, 298.0, 3600.0, 1.0])
    assert f.describe() == "age 60 min, coat 5 min"  # (the steps making 5 % or more)


def test_first_output_and_calendar_cycle_of_the_reference_line() -> None:
    c = compile_line(load_line(REFERENCE))
    f = first_output(c)
    # 21 d of aging plus the drying ovens (electrodes ~25 h, cells ~20 h), formation ~20 h,
    # mixing, grading: about 24 days before the first cell can leave an empty line
    assert 23.5 < f.days < 25.0
    assert f.describe() == "aging 21.0 d"
    assert calendar_cycle_days(c) == (pytest.approx(365 / 45), "45 unscheduled days a year")


# ---- short runs: warnings and undefined figures --------------------------------------------


def test_the_reproduction_two_days_of_the_reference_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # issue 10: `--days 2` printed 0 good cells/h, a lead time from scrapped cells and NaN OEE
    # with no word of the 21 days of aging. Now: warnings on stderr, undefined figures so named.
    assert main(["simulate", str(REFERENCE), "--days", "2"]) == 0
    out, err = capsys.readouterr()
    assert "warning: no good cell left the line in the 2 d simulated" in err
    assert "about 24.2 d to deliver its first cell (mostly aging 21.0 d)" in err
    assert "shorter than the calendar's cycle" in err
    assert "NaN" not in out and "nan" not in out
    flat = " ".join(out.replace("│", " ").split())  # the tables' cells wrap
    assert "lead time undefined: no good cell left the line" in flat
    assert "quality undefined (cell_drying, filling" in flat


def test_the_reproduction_in_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", str(REFERENCE), "--days", "2", "--json"]) == 0
    out, err = capsys.readouterr()
    d = json.loads(out)  # (strict JSON: NaN would not parse back as a number here)
    assert "NaN" not in out
    assert d["warnings"] and d["warnings"][0].startswith("no good cell left the line")
    assert all(f"warning: {w[:40]}" in " ".join(err.split()) for w in d["warnings"])
    assert d["throughput_per_h"] == 0.0  # measured: nothing left the line
    assert d["lead_time_mean_h"] is None and "scrapped cells" in d["undefined"]["lead_time_mean_h"]
    assert d["lead_time_percentiles_h"] == {"p50": None, "p90": None, "p95": None, "p99": None}
    assert d["warmup"] == {"method": "given", "days": 0.0}
    grading = next(s for s in d["steps"] if s["id"] == "grading")
    assert grading["quality"] is None and grading["oee"] is None
    assert grading["undefined"]["quality"] == "the step finished no cell in the window"
    assert grading["undefined"]["oee"].startswith("its performance is undefined")
    assert grading["availability"] == 0.0  # starved throughout: measured, not undefined
    coating = next(s for s in d["steps"] if s["id"] == "c_coating")
    assert coating["undefined"] == {} and coating["oee"] > 0


def _aging_line(hold: str) -> str:
    return f"""
        {{id: a, kind: discrete, cycle_time: 1 s, buffer_after: 100,
         failures: {{mtbf: 1 h, mttr: 5 min}}}}
        {{id: age, kind: dwell, capacity: 400000, cycle_time: {hold}, buffer_after: 100}}
        {{id: b, kind: discrete, cycle_time: 0.5 s}}
        """


def test_a_warm_up_shorter_than_the_fill_is_named() -> None:
    line = make_line(_aging_line("2 d"))  # a fixed 2-day hold: nothing out before 2 days
    with pytest.warns(SimulationWarning, match=r"the warm-up \(1 d\) is shorter than the time"):
        r = simulate(line, days=3, warmup_days=1, seed=1)
    assert any("about 2.0 d to deliver its first cell" in w for w in r.warnings)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SimulationWarning)  # a long enough warm-up: silence
        r = simulate(line, days=3, warmup_days=2.5, seed=1)
    assert r.warnings == []
    assert r.lead_time_mean_h == pytest.approx(48.0, abs=0.1)  # the hold and little else


def test_a_start_up_that_outlasts_the_warm_up_is_found_by_mser() -> None:
    # Exponential holds (mean 1 d) on 400,000 places: the first cells come out at once, so
    # the warm-up of 1 d covers the mean-based fill estimate, but the output climbs to the
    # input rate like 1 - exp(-t / 1 d): 63 % after a day. MSER-5 on the whole run sees it.
    line = make_line(_aging_line("{dist: exponential, mean: 1 d}"))
    r = _quiet_simulate(line, days=8, warmup_days=1, seed=2)
    (msg,) = r.warnings
    assert msg.startswith("the hourly output settles only")
    assert "after the warm-up of 1 d" in msg and "below the settled output" in msg


def test_undefined_availability_in_a_window_of_planned_stops() -> None:
    # One 8 h shift from midnight; the window 12:00-18:00 lies in the stop: no planned busy
    # time, so availability (and OEE) are undefined, and the text and JSON say why.
    line = make_line(
        "{id: a, kind: discrete, cycle_time: 1 s}",
        calendar="{days_per_year: 365, shifts_per_day: 1, hours_per_shift: 8}",
    )
    r = _quiet_simulate(line, days=0.25, warmup_days=0.5, seed=1)
    why = r.steps_undefined["a"]
    assert set(why) == {"oee", "availability", "performance", "quality"}
    assert why["availability"].startswith("no planned busy time")
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert d["steps"][0]["availability"] is None and d["steps"][0]["undefined"] == why
    assert "availability undefined (a): no planned busy time" in repr(r)
    page = report_html(r)
    assert "undefined" in page and "no planned busy time" in page
    # 6 h measured of a calendar whose cycle is a day: said in the report as everywhere
    assert r.warnings == [
        "no good cell left the line in the measured window (0.25 d), though some did earlier"
        " in the run: the window lies in planned stops throughout; measure a longer window",
        "the measured window (0.25 d) is shorter than the calendar's cycle (the daily shift"
        " pattern, every 1.0 d): output and OEE depend on whether the window holds a stop;"
        " measure whole cycles (at least 1 d)",
    ]
    assert all(html.escape(w) in page for w in r.warnings)


# ---- --warmup-days auto ----------------------------------------------------------------------


def test_auto_warm_up_finds_the_fill_and_says_what_it_chose(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "aging.yaml"
    path.write_text(line_text(_aging_line("2 d")))
    assert main(["simulate", str(path), "--days", "3", "--warmup-days", "auto", "--json"]) == 0
    out, err = capsys.readouterr()
    d = json.loads(out)
    w = d["warmup"]
    assert w["method"] == "MSER-5" and w["found"] and w["pilot_days"] == 6.0  # ceil(2.5 x 2 d+)
    # the 2-day hold plus the first cells' few seconds: MSER-5 cuts at the first whole batch
    # of 5 scheduled hours after the output starts (hour 48)
    assert 2.0 < d["warmup_days"] == w["days"] <= 2.25
    assert d["warnings"] == [] and err == ""
    assert main(["simulate", str(path), "--days", "3", "--warmup-days", "auto"]) == 0
    out, _ = capsys.readouterr()
    assert f"after {w['days']:.2f}".rstrip("0") in out
    assert "warm-up (auto: MSER-5 on the hourly output of a 6 d pilot, 1 replication(s))" in out


def test_auto_warm_up_in_python_and_bad_values() -> None:
    line = load_line(ROOT / "examples" / "two-machine.yaml")
    r = _quiet_simulate(line, days=0.5, warmup_days="auto", seed=3, replications=2, workers=1)
    assert r.warmup is not None and r.warmup.method == "MSER-5" and r.warmup.pilot_days == 5.0
    assert r.warmup_days == r.warmup.days <= 0.5  # a buffer of 5: settled within the hour
    with pytest.raises(
        SimulationError, match="warmup_days 'soon': must be a number of days or 'auto'"
    ):
        simulate(line, days=1, warmup_days="soon")  # type: ignore[arg-type]


def test_the_documented_python_snippet() -> None:
    # docs/simulation.md, "--warmup-days auto"
    import gigaline

    with warnings.catch_warnings():
        warnings.simplefilter("error", SimulationWarning)
        r = gigaline.simulate(
            gigaline.load_line("examples/two-machine.yaml"), days=1, warmup_days="auto"
        )
    assert r.warmup is not None and r.warmup.method == "MSER-5"
    assert r.warmup.pilot_days == 5.0 and r.warnings == []


def test_cli_rejects_a_warm_up_that_is_neither_days_nor_auto(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # (numbers out of range: tests/cli/test_checks.py)
    code = main(
        ["simulate", str(LINES / "merge-line.yaml"), "--days", "1", "--warmup-days", "soon"]
    )
    assert code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "--warmup-days 'soon': must be a number of days, or 'auto' (chosen by MSER-5)" in err


@pytest.mark.slow
def test_auto_warm_up_of_the_reference_line(capsys: pytest.CaptureFixture[str]) -> None:
    # docs/simulation.md: the reference line settles once its first cells are through 21 days
    # of aging and the ovens, about 25 days in; the pilot is 2.5 x 24.2 d, rounded up.
    argv = ["simulate", str(REFERENCE), "--days", "10", "--warmup-days", "auto", "--json"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    d = json.loads(out)
    assert "warning: the measured window (10 d)" in err
    assert d["warmup"]["pilot_days"] == 61.0 and d["warmup"]["found"]
    assert d["warmup_days"] == pytest.approx(25 + 4 / 24)  # 10 d after 25.17 d (the docs)
    assert d["throughput_per_h"] > 2000
    assert [w[:40] for w in d["warnings"]] == ["the measured window (10 d) is shorter th"]
