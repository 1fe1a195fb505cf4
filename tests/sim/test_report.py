"""The simulation report's figures: time in days, each replication drawn, their mean with its
95 % confidence interval as a band (checked against Student's t computed here), error bars per
step, and a page whose figures follow the window (responsive, autosized, in a grid)."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import gigaline
from gigaline.sim import SimResult, simulate
from gigaline.sim.checks import SimulationWarning
from gigaline.sim.report import TIME_AXIS, replication_band, report_figures, report_html

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "two-machine.yaml"


def _run(replications: int) -> SimResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SimulationWarning)
        return simulate(gigaline.load_line(EXAMPLE), days=2.0, warmup_days=0.5,
                        replications=replications, seed=5)  # fmt: skip


@pytest.fixture(scope="module")
def four() -> SimResult:
    return _run(4)


def test_the_band_is_students_t_over_replications() -> None:
    v = np.array([[1.0, 10.0], [2.0, 12.0], [3.0, 14.0]])
    mean, low, high = replication_band(v)
    t = stats.t.ppf(0.975, 2)
    assert mean.tolist() == [2.0, 12.0]
    assert high[0] - mean[0] == pytest.approx(t * 1.0 / math.sqrt(3))
    assert high[1] - mean[1] == pytest.approx(t * 2.0 / math.sqrt(3))
    assert low[1] == pytest.approx(2 * mean[1] - high[1])
    one = replication_band(v[:1])
    assert np.isnan(one[1]).all() and one[0].tolist() == [1.0, 10.0]


def test_time_runs_in_days_with_every_replication_and_the_band(four: SimResult) -> None:
    figs = [f for f, _ in report_figures(four)]
    throughput, wip = figs[0], figs[1]
    for fig in (throughput, wip):
        assert fig.layout.xaxis.title.text == TIME_AXIS and "[d]" in TIME_AXIS
        reps = [t for t in fig.data if t.legendgroup == "reps"]
        assert len(reps) == 4  # one line per replication
        band = [t for t in fig.data if t.fill == "tonexty"]
        assert len(band) == 1 and "95 % CI" in band[0].name
        x = np.asarray(band[0].x)
        # hour bins of the 2-day window after 0.5 d of warm-up, at their midpoints, in days
        assert x[0] == pytest.approx(0.5 + 0.5 / 24) and x[-1] == pytest.approx(2.5 - 0.5 / 24)
        assert len(x) == 48
    # the WIP band is the t interval of the four replications' hourly WIP, hour by hour
    rows = np.array([r.hourly_wip[:48] for r in four.records], dtype=float)
    hw = stats.t.ppf(0.975, 3) * rows.std(axis=0, ddof=1) / 2.0
    low = np.asarray(next(t for t in wip.data if t.fill == "tonexty").y)
    mean = np.asarray(next(t for t in wip.data if t.name == "mean of replications").y)
    assert np.allclose(mean, rows.mean(axis=0)) and np.allclose(low, rows.mean(axis=0) - hw)
    assert (hw > 0).any()


def test_per_step_bars_carry_the_95_interval(four: SimResult) -> None:
    oee = report_figures(four)[2][0]
    bars = {t.name: t for t in oee.data}
    a = np.array([t["availability"].to_numpy() for t in four.replication_steps])
    hw = stats.t.ppf(0.975, 3) * a.std(axis=0, ddof=1) / 2.0
    assert np.allclose(bars["availability"].error_y.array, hw)
    assert np.allclose(bars["availability"].y, a.mean(axis=0))


def test_the_page_follows_the_window(four: SimResult) -> None:
    page = report_html(four)
    assert '"responsive": true' in page
    assert "grid-template-columns:repeat(auto-fit" in page and "max-width:1200px" not in page
    for fig, _ in report_figures(four):
        assert fig.layout.autosize is True and fig.layout.width is None


def test_one_replication_says_there_is_no_spread() -> None:
    r = _run(1)
    figs = [f for f, _ in report_figures(r)]
    assert not [t for t in figs[0].data if t.fill == "tonexty"]
    assert "One replication: no spread" in report_html(r)


def test_float_noise_never_prints_as_minus_zero(capsys: pytest.CaptureFixture[str]) -> None:
    from gigaline.cli.simulate import print_result

    r = _run(2)
    steps = r.steps.copy()
    steps.loc[steps.index[0], "starved"] = -1e-12  # a share of time off by float noise
    steps.loc[steps.index[1], "blocked"] = -0.0
    r.__dict__["steps"] = steps  # (a cached property)
    print_result(r)
    texts = [repr(r), r._repr_html_(), report_html(r), capsys.readouterr().out]
    for text in texts:
        assert "-0.000" not in text and "0.000" in text
