"""The simulation report in headless Chromium: the figures fill the window's width, two to a
row where it is wide, one where it is narrow (screenshots in out/web/)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import gigaline
from gigaline.sim import simulate
from gigaline.sim.checks import SimulationWarning
from gigaline.sim.report import write_report

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "two-machine.yaml"


def test_the_report_uses_the_window(browser: Any, shots: Path, tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SimulationWarning)
        r = simulate(gigaline.load_line(EXAMPLE), days=2.0, warmup_days=0.5, replications=3,
                     seed=2)  # fmt: skip
    page_file = write_report(r, tmp_path / "sim.html")
    for width, per_row in ((1600, 2), (900, 1)):
        page = browser.new_page(viewport={"width": width, "height": 1000})
        try:
            page.goto(page_file.as_uri())
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg')"
                                   ".length >= 6")  # fmt: skip
            widths = page.evaluate(
                "[...document.querySelectorAll('.js-plotly-plot')]"
                ".map(e => e.getBoundingClientRect().width)"
            )
            body = page.evaluate("document.body.getBoundingClientRect().width")
            page.screenshot(path=str(shots / f"sim-report-{width}.png"), full_page=True)
        finally:
            page.close()
        assert len(widths) == 6
        assert body > 0.9 * width  # the page uses the window (margins of 2 % a side)
        assert min(widths[:2]) > 0.98 * body  # over time: the full width
        for w in widths[2:]:  # the per-step figures: half or all of it, less the gap
            assert body / per_row - 20 < w <= body / per_row + 1
