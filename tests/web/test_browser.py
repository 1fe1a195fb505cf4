"""The dashboard in a real browser: Chromium (Debian's) driven by Playwright, on a uvicorn
server over a small plant database (tests/web/conftest.py).

What a shift leader, a quality engineer and an operator do: log in with a token, go plant ->
line -> station and see a state change arrive live, search a cell and see its lots, open a
control chart, place and release a hold as an operator, and be refused as a viewer. Charts are
checked to hold data (the Plotly div's traces and points), not only to exist. Screenshots of
each page go to out/web/.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from gigaline.mes.ingest import submit
from gigaline.mes.services import list_holds, trace, where_used

from .conftest import Plant

pytestmark = pytest.mark.slow


def _login(browser: Any, server: str, token: str, path: str = "/plant") -> Any:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(server + path)
    assert "/login" in page.url  # not logged in: to the login page, back here afterwards
    page.fill("input[name=token]", token)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def _points(page: Any, div: str) -> int:
    """Points drawn in a Plotly chart: the sum over its traces of x (or y) values."""
    page.wait_for_function(f"document.getElementById('{div}') && "
                           f"document.getElementById('{div}').data !== undefined")  # fmt: skip
    return int(page.evaluate(
        f"""() => document.getElementById('{div}').data.reduce(
            (n, t) => n + ((t.x && t.x.length) || (t.y && t.y.length) || 0), 0)"""
    ))  # fmt: skip


def test_login_then_plant_line_station_live(
    browser: Any, server: str, plant: Plant, shots: Path
) -> None:
    page = _login(browser, server, plant.tokens["viewer"])
    assert page.url == server + "/plant"
    assert "viewer-user (viewer)" in page.inner_text("#who")
    cookie = next(c for c in page.context.cookies() if c["name"] == "gigaline_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert "glt_" not in cookie["value"]  # the cookie is a session key, not the token
    assert _points(page, "chart-timeline") > 0
    page.screenshot(path=str(shots / "plant.png"), full_page=True)

    page.click("section.line-summary h3 a")
    page.wait_for_url("**/lines/**")
    assert page.locator("h1").inner_text() == "Line mini MES test line"
    tiles = page.locator("#tiles a.tile")
    assert tiles.count() == 18  # the mini line's stations
    # a tile's five lines (text lines of one element: white-space pre-line), as rendered
    name, state, since, counts, quality = tiles.first.inner_text().split("\n")
    assert name == tiles.first.get_attribute("data-station")
    assert state.split(":")[0] == tiles.first.get_attribute("data-state")
    assert since.startswith("since ") and counts.endswith(" NG") and quality.startswith("quality")
    assert _points(page, "chart-timeline") > 0
    page.screenshot(path=str(shots / "line.png"), full_page=True)

    station = "c_coat-1"
    page.click(f"a.tile[data-station='{station}']")
    page.wait_for_url(f"**/stations/{station}")
    assert page.locator("h1").inner_text() == f"Station {station}"
    assert page.get_attribute(f"#tiles a.tile[data-station='{station}']", "data-state") != "down"
    # a state change stored now arrives on the open page over server-sent events
    page.goto(f"{server}/stations/{station}?every=1")
    page.wait_for_selector("#tiles[data-live]")
    latest = plant.store.latest_time()
    assert latest is not None
    ts = (latest + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    change = {"id": "web-live-1", "type": "state", "ts": ts, "station": station,
              "state": "down", "reason": "web break (test)"}  # fmt: skip
    assert submit(plant.store, [change]).accepted == 1
    page.wait_for_selector(f"#tiles a.tile[data-station='{station}'][data-state='down']",
                           timeout=15_000)  # fmt: skip
    assert "web break (test)" in page.inner_text("#tiles")
    assert int(page.get_attribute("#tiles", "data-updates") or 0) >= 1
    page.screenshot(path=str(shots / "station.png"), full_page=True)
    page.context.close()


def test_search_a_cell_see_its_lots_and_open_a_control_chart(
    browser: Any, server: str, plant: Plant, shots: Path
) -> None:
    page = _login(browser, server, plant.tokens["viewer"])
    cell = plant.first("process", unit_type="cell", step="form")["unit"]
    page.fill("header .search input[name=id]", cell)
    page.press("header .search input[name=id]", "Enter")
    page.wait_for_url(f"**/cells/{cell}")
    lots = page.locator("#lots li").all_inner_texts()
    assert lots == trace(plant.store, cell).lots and len(lots) >= 3
    assert _points(page, "chart-genealogy") > len(lots)
    assert page.locator("#history tbody tr").count() == len(trace(plant.store, cell).records)
    page.screenshot(path=str(shots / "cell.png"), full_page=True)

    page.click("header nav a[href='/spc']")
    page.click("a.open-chart[href*='fill_mass_g']")
    page.wait_for_url("**/spc/chart**")
    points = int(page.inner_text("#points").replace(",", ""))
    assert points > 100
    assert _points(page, "chart-spc") >= points  # the points and their limits and zones
    assert page.locator("#cpk").count() == 1
    page.screenshot(path=str(shots / "spc.png"), full_page=True)
    page.context.close()


def test_operator_places_and_releases_a_hold(
    browser: Any, server: str, plant: Plant, shots: Path
) -> None:
    lot = plant.first("lot", material="separator")["lot"]
    caught = where_used(plant.store, lot).units
    page = _login(browser, server, plant.tokens["operator"], f"/cells?id={lot}")
    page.wait_for_url("**/holds?target=**")  # a lot's search opens what was made from it
    assert page.input_value(".hold-form input[name=target]") == lot
    page.fill(".hold-form input[name=reason]", "separator supplier recall (test)")
    page.click(".hold-form button[type=submit]")
    page.wait_for_url("**/holds/*")
    assert int(page.inner_text("#caught").replace(",", "")) == len(caught) > 0
    assert "Active" in page.inner_text("#hold-status")
    page.screenshot(path=str(shots / "hold.png"), full_page=True)
    hold = next(h for h in list_holds(plant.store).holds if h.target == lot)
    assert (hold.created_by, hold.units) == ("operator-user", len(caught))

    page.fill(".release-form input[name=reason]", "re-tested: within spec (test)")
    page.click(".release-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "Released" in page.inner_text("#hold-status")
    released = next(h for h in list_holds(plant.store, True).holds if h.id == hold.id)
    assert (released.released_by, released.release_reason) == (
        "operator-user", "re-tested: within spec (test)",
    )  # fmt: skip
    page.context.close()


def test_a_viewer_is_refused_holds(browser: Any, server: str, plant: Plant, shots: Path) -> None:
    lot = plant.first("lot", material="separator")["lot"]
    page = _login(browser, server, plant.tokens["viewer"], "/holds")
    assert page.locator(".hold-form").count() == 0  # no form to place a hold
    holds_before = len(list_holds(plant.store, True).holds)
    # the same post the operator's form makes, sent with the viewer's session
    answer = page.request.post(server + "/holds", form={"target": lot, "reason": "mine"})
    assert answer.status == 403
    page.set_content(answer.text())
    assert "This needs the role operator or above" in page.inner_text("main")
    page.screenshot(path=str(shots / "refused.png"))
    assert len(list_holds(plant.store, True).holds) == holds_before
    page.context.close()


def test_holds_planner_twin_and_plan_versus_actual(
    browser: Any, server: str, plant: Plant, shots: Path
) -> None:
    page = _login(browser, server, plant.tokens["engineer"], "/holds")
    assert page.locator(".hold-form").count() == 1  # an engineer may hold (operator and up)
    page.screenshot(path=str(shots / "holds.png"), full_page=True)

    page.click("header nav a[href='/planner']")
    page.wait_for_url("**/planner")
    assert page.locator("#plan-steps tbody tr").count() > 10  # the reference line's steps
    page.screenshot(path=str(shots / "planner.png"), full_page=True)

    page.click("header nav a[href='/twin']")
    page.wait_for_url("**/twin")
    page.screenshot(path=str(shots / "twin.png"), full_page=True)

    # the mini line's file has no target: the page says so, and a target makes the plan
    page.click("header nav a[href='/plan-vs-actual']")
    page.wait_for_url("**/plan-vs-actual")
    assert "has no target" in page.inner_text("main")
    page.goto(server + "/plan-vs-actual?target_gwh=0.05")
    cells = [s for s in plant.line.main_steps]
    assert page.locator("#pva-steps tbody tr").count() == len(plant.line.steps)
    # planned and actual bars per cell step, and the OEE markers
    assert _points(page, "chart-plan_actual") == 3 * len(cells)
    actual = float(page.inner_text("#actual-cells").replace(",", ""))
    assert actual > 0
    # the per-step table fits its card (the chart's width) and the page no wider than the window
    widths = page.evaluate("""() => {
      const r = (s) => document.querySelector(s).getBoundingClientRect().right;
      const wide = [...document.querySelectorAll('main *')]
        .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth)
        .map((e) => e.tagName + '.' + e.className + '#' + e.id).slice(0, 5);
      return {table: r('#pva-steps'), card: r('#chart-plan_actual'), wide: wide,
              page: document.documentElement.scrollWidth,
              window: document.documentElement.clientWidth};
    }""")
    assert widths["table"] <= widths["card"] + 0.5, widths
    assert widths["page"] <= widths["window"], widths
    page.screenshot(path=str(shots / "plan-vs-actual.png"), full_page=True)
    page.context.close()


def test_binned_timeline_draws_and_names_its_cells(
    browser: Any, server: str, plant: Plant, shots: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above MAX_BARS stretches the timeline is one heatmap of state indexes: web.js writes
    each cell's hover text from the trace's meta (state, share of the bin, the bin's span)."""
    import re

    from gigaline.web import charts

    monkeypatch.setattr(charts, "MAX_BARS", 0)  # the mini plant's few stretches, binned
    page = _login(browser, server, plant.tokens["viewer"])
    assert _points(page, "chart-timeline") > 0
    heat = page.evaluate("""() => { const t = document.getElementById('chart-timeline').data[0];
        return {type: t.type, rows: t.z.length, cols: t.z[0].length, text: t.text}; }""")
    assert heat["type"] == "heatmap" and heat["rows"] == 18 and heat["cols"] >= 8 * 60
    cells = [c for row in heat["text"] for c in row if c != "nothing known"]
    assert cells and all(
        re.fullmatch(r"[a-z]+ \d{1,3} % of \d\d:\d\d:\d\d-\d\d:\d\d:\d\d", c) for c in cells
    ), cells[:5]
    chart = page.locator("#chart-timeline")
    box = chart.bounding_box()
    assert box is not None
    chart.hover(position={"x": box["width"] * 0.6, "y": 80})
    page.wait_for_selector("#chart-timeline .hovertext")
    hover = page.evaluate("() => document.querySelector('#chart-timeline .hovertext').textContent")
    assert re.search(r"-\d+: [a-z]+ \d{1,3} % of \d\d:\d\d:\d\d-\d\d:\d\d:\d\d", hover), hover
    page.screenshot(path=str(shots / "plant-binned.png"), full_page=True)


def test_a_page_does_not_draw_again_the_view_it_shows(
    browser: Any, server: str, plant: Plant
) -> None:
    """The live stream's first message is the view the page was rendered from (the same
    computation, one id): the page skips it instead of drawing tiles and charts again."""
    page = _login(browser, server, plant.tokens["viewer"], path="/plant?every=1")
    assert _points(page, "chart-timeline") > 0
    view = page.get_attribute("#tiles", "data-view")
    assert view
    page.wait_for_function("Number(document.getElementById('tiles').dataset.same || 0) >= 1")
    assert page.get_attribute("#tiles", "data-updates") is None  # nothing drawn again
    assert page.get_attribute("#tiles", "data-view") == view


_DRAWS = """window.__dataUrls = 0;
(function (real) {
  HTMLCanvasElement.prototype.toDataURL = function () {
    window.__dataUrls += 1; return real.apply(this, arguments); };
})(HTMLCanvasElement.prototype.toDataURL);"""


def test_timeline_is_drawn_once_with_its_station_names_inside(
    browser: Any, server: str, plant: Plant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """web.js gives the timeline the left margin Plotly's automargin would reach (the widest
    station name measured on a canvas): Plotly keeps it (no label pushes it wider, so no second
    draw) and every name lies inside the chart."""
    from gigaline.web import charts

    monkeypatch.setattr(charts, "MAX_BARS", 0)  # binned: the heatmap's image is drawn per draw
    page = _login(browser, server, plant.tokens["viewer"], "/holds")
    page.add_init_script(_DRAWS)  # counts the heatmap's images (one per draw of the chart)
    page.goto(server + "/plant?hours=7.75")  # a window of its own: a view computed binned
    assert _points(page, "chart-timeline") > 0
    page.wait_for_function("document.getElementById('chart-timeline')._fullLayout")
    got = page.evaluate("""() => {
      const gd = document.getElementById('chart-timeline');
      const left = gd.getBoundingClientRect().left;
      const names = [...gd.querySelectorAll('.ytick text')];
      return {asked: gd.layout.margin.l, kept: gd._fullLayout._size.l, names: names.length,
              leftmost: Math.min(...names.map((t) => t.getBoundingClientRect().left)) - left,
              images: window.__dataUrls,
              draws: performance.getEntriesByName('draw chart-timeline').length};
    }""")
    assert got["names"] == 18  # the mini line's stations, each named
    assert got["asked"] > 60  # wider than the server's 60 px: measured
    assert abs(got["kept"] - got["asked"]) <= 1, got  # automargin found nothing wider
    assert got["leftmost"] >= 0, got
    # one image per call of web.js's draw (a live update may have drawn it again): none drawn
    # twice by automargin
    assert got["images"] == got["draws"] >= 1, got
    page.context.close()


_MEASURED = """window.__boxes = {ytick: 0, xtick: 0, all: 0}; window.__drawn = {};
(function (real) {
  Element.prototype.getBoundingClientRect = function () {
    const c = this.getAttribute && this.getAttribute('class') || '';
    window.__boxes.all += 1;
    if (/\\bytick\\b/.test(c)) { window.__boxes.ytick += 1; }
    if (/\\bxtick\\b/.test(c)) { window.__boxes.xtick += 1; }
    return real.apply(this, arguments); };
})(Element.prototype.getBoundingClientRect);
(function (real) {
  Performance.prototype.measure = function (name) {
    window.__drawn[name] = Object.assign({}, window.__boxes);
    return real.apply(this, arguments); };
})(Performance.prototype.measure);"""


def test_timeline_draw_measures_no_station_name(
    browser: Any, server: str, plant: Plant, shots: Path
) -> None:
    """The timeline's axes have no automargin, its y axis no title standoff and its time labels
    a set angle and no overflow check: Plotly reads the box of no station name while drawing it
    (it read each name's box, a forced layout each, to place an absent y title) and of each time
    label once at most (the x title's depth), and the names still lie inside the chart."""
    page = _login(browser, server, plant.tokens["viewer"], "/holds")
    page.add_init_script(_MEASURED)
    page.goto(server + "/plant?hours=7.25")  # a window of its own: a view computed now
    assert _points(page, "chart-timeline") > 0
    page.wait_for_function("window.__drawn['draw chart-timeline']")
    got = page.evaluate("""() => {
      const gd = document.getElementById('chart-timeline');
      const left = gd.getBoundingClientRect().left, right = gd.getBoundingClientRect().right;
      const names = [...gd.querySelectorAll('.ytick text')];
      const times = [...gd.querySelectorAll('.xtick text')];
      const b = window.__drawn['draw chart-timeline'];
      return {boxes: b, names: names.length, times: times.length,
              shown: times.filter((t) => t.style.display !== 'none').length,
              leftmost: Math.min(...names.map((t) => t.getBoundingClientRect().left)) - left,
              rightmost: Math.max(...times.map((t) => t.getBoundingClientRect().right)) - right,
              angle: gd._fullLayout.xaxis._tickAngles.xtick,
              margin: gd._fullLayout._size, asked: gd.layout.margin};
    }""")
    assert got["names"] == 18, got  # the mini line's stations, each named
    assert got["boxes"]["ytick"] == 0, got  # no station name measured (was one read each)
    assert 2 <= got["times"] == got["shown"], got  # every time label shown, none hidden
    assert got["boxes"]["xtick"] <= got["times"], got  # once each, for the x title's depth
    assert got["angle"] == 0, got
    assert abs(got["margin"]["l"] - got["asked"]["l"]) <= 1 and got["margin"]["r"] == 50, got
    assert got["leftmost"] >= 0 and got["rightmost"] <= 0, got
    page.locator("#chart-timeline").screenshot(path=str(shots / "timeline.png"))
    page.context.close()


def test_pareto_is_drawn_once_with_its_turned_labels_inside(
    browser: Any, server: str, plant: Plant
) -> None:
    """The Pareto's margins are what its labels need before Plotly draws it (the server's left
    and right ones, web.js's bottom one: the widest cause measured on a canvas, turned 30
    degrees): automargin finds nothing wider, so the chart is drawn once (it was drawn twice),
    and every cause's label lies inside the chart."""
    page = _login(browser, server, plant.tokens["viewer"], "/holds")
    page.goto(server + "/plant?hours=7.5")  # a window of its own: a view computed now
    page.wait_for_function("document.getElementById('chart-pareto')._fullLayout")
    got = page.evaluate("""() => {
      const gd = document.getElementById('chart-pareto');
      const box = gd.getBoundingClientRect();
      const labels = [...gd.querySelectorAll('.xtick text')].map((t) => t.getBoundingClientRect());
      return {asked: gd.layout.margin, kept: gd._fullLayout._size, labels: labels.length,
              redrawn: '_redrawFromAutoMarginCount' in gd._fullLayout,
              lowest: Math.max(...labels.map((r) => r.bottom)) - box.bottom,
              rightmost: Math.max(...labels.map((r) => r.right)) - box.right};
    }""")
    assert got["labels"] >= 2, got  # the mini plant's causes
    assert got["asked"]["b"] > 60, got  # measured: wider than the server's 40 px
    for side in "lrb":  # automargin found nothing wider: the chart drawn once
        assert abs(got["kept"][side] - got["asked"][side]) <= 1, got
    assert not got["redrawn"], got
    assert got["lowest"] <= 0 and got["rightmost"] <= 0, got
    page.context.close()
