"""The dashboard's pages over HTTP (no browser): login and sessions, roles, refusals, and what
the planner, the twin and the SPC page show against the functions they stand on."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gigaline.mes.services import counts, list_holds
from gigaline.mes.services.access import create_token, revoke_token
from gigaline.model import load_line
from gigaline.plan import plan_line
from gigaline.settings import Settings
from tests.conftest import EXAMPLES

from .conftest import Plant


@pytest.fixture(scope="module")
def app(plant: Plant) -> Any:
    from gigaline.web import create_app

    return create_app(Settings(db=plant.url), store=plant.store)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as c:
        yield c


def _login(client: TestClient, token: str) -> TestClient:
    r = client.post("/login", data={"token": token, "next": "/plant"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return client


def test_login_sets_a_strict_http_only_session_cookie(client: TestClient, plant: Plant) -> None:
    bad = client.post("/login", data={"token": "glt_not-a-token"}, follow_redirects=False)
    assert bad.status_code == 401 and "not valid" in bad.text
    r = client.post("/login", data={"token": plant.tokens["viewer"], "next": "//evil.example/"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert r.headers["location"] == "/plant"  # never to another site
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert plant.tokens["viewer"] not in cookie
    page = client.get("/plant")
    assert page.status_code == 200 and "viewer-user (viewer)" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_without_a_session_pages_send_to_the_login(client: TestClient, plant: Plant) -> None:
    r = client.get("/lines/x?hours=2", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Flines%2Fx%3Fhours%3D2"
    assert client.get("/live/plant").status_code == 401
    before = len(list_holds(plant.store, True).holds)
    r = client.post("/holds", data={"target": "x", "reason": "y"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert len(list_holds(plant.store, True).holds) == before


def test_a_revoked_token_ends_its_sessions(client: TestClient, plant: Plant) -> None:
    made = create_token(plant.store, "viewer", "short-lived", by="test")
    _login(client, made.token)
    assert client.get("/plant").status_code == 200
    revoke_token(plant.store, made.id, by="test")
    r = client.get("/plant", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


@pytest.mark.parametrize(
    ("role", "path", "needed"),
    [("viewer", "/holds", "operator"), ("viewer", "/holds/1/release", "operator"),
     ("operator", "/planner", "engineer"), ("operator", "/twin", "engineer")],
)  # fmt: skip
def test_writes_are_refused_to_weaker_roles(
    client: TestClient, plant: Plant, role: str, path: str, needed: str
) -> None:
    _login(client, plant.tokens[role])
    before = counts(plant.store)
    r = client.post(path, data={"target": "x", "reason": "y", "days": "1"})
    assert r.status_code == 403
    assert f"the role <strong>{needed}</strong>" in r.text
    assert counts(plant.store) == before


def test_a_form_posted_from_another_site_is_refused(client: TestClient, plant: Plant) -> None:
    _login(client, plant.tokens["operator"])
    lot = plant.first("lot")["lot"]
    before = len(list_holds(plant.store, True).holds)
    r = client.post("/holds", data={"target": lot, "reason": "forged"},
                    headers={"Origin": "http://evil.example"})  # fmt: skip
    assert r.status_code == 403
    assert len(list_holds(plant.store, True).holds) == before


def test_bad_input_is_a_page_naming_the_field(client: TestClient, plant: Plant) -> None:
    _login(client, plant.tokens["viewer"])
    r = client.get("/plant?hours=-3")
    assert r.status_code == 400 and "hours &#39;-3&#39;: a number from 0.01 to 744" in r.text
    r = client.get("/spc/chart?step=fill&param=fill_mass_g&chart=pie")
    assert r.status_code == 400 and "chart &#39;pie&#39;: allowed for a parameter" in r.text
    assert client.get("/cells/no-such-cell").status_code == 404
    assert client.get("/stations/nope-9").status_code == 404
    assert client.get("/holds/abc").status_code == 400


def test_the_spc_page_raises_no_alarm_and_places_no_hold(client: TestClient, plant: Plant) -> None:
    _login(client, plant.tokens["viewer"])
    before = counts(plant.store)
    r = client.get("/spc/chart?step=fill&param=fill_mass_g&chart=ewma&baseline=10")
    assert r.status_code == 200 and 'id="chart-spc"' in r.text
    assert counts(plant.store) == before


def _machines(html: str) -> int:
    m = re.search(r'id="machines">([\d,]+)<', html)
    assert m is not None
    return int(m.group(1).replace(",", ""))


def test_the_planner_shows_the_plan_of_the_target(client: TestClient, plant: Plant) -> None:
    _login(client, plant.tokens["viewer"])
    ref = load_line(EXAMPLES / "abf-lfp-20gwh.yaml")
    for target in (20.0, 40.0):
        r = client.get(f"/planner?target_gwh={target:g}")
        assert r.status_code == 200
        expected = plan_line(ref, target_gwh=target).first
        assert _machines(r.text) == sum(s.machines_planned for s in expected.steps)
        assert f"{expected.cost.total:,.2f} USD/kWh" in r.text
    assert _machines(client.get("/planner?target_gwh=40").text) > _machines(
        client.get("/planner?target_gwh=20").text
    )


def test_an_engineer_plans_and_simulates_an_uploaded_line(client: TestClient, plant: Plant) -> None:
    _login(client, plant.tokens["engineer"])
    text = (EXAMPLES / "two-machine.yaml").read_bytes()
    r = client.post("/planner", files={"line_file": ("two-machine.yaml", text)},
                    data={"target_gwh": "5"})  # fmt: skip
    assert r.status_code == 200 and "the uploaded file two-machine.yaml" in r.text
    bad = client.post("/planner", files={"line_file": ("bad.yaml", b"name: x\nsteps: 3\n")})
    assert bad.status_code == 400 and "bad.yaml" in bad.text

    r = client.post("/twin", files={"line_file": ("two-machine.yaml", text)},
                    data={"days": "0.5", "warmup_days": "0", "seed": "3"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    run_url = r.headers["location"]
    deadline = time.monotonic() + 240  # the kernel may compile on a fresh machine
    while "Running" in (page := client.get(run_url).text) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert 'id="throughput"' in page, page
    from gigaline.sim import simulate

    same = simulate(load_line(EXAMPLES / "two-machine.yaml"), days=0.5, seed=3, workers=1)
    assert f"{same.throughput_per_h:,.1f}" in page  # same seed, same result
    assert "band-" in page  # OEE tiles with their band
    report = client.get(run_url + "/report")
    assert report.status_code == 200 and "Plotly" in report.text


def test_the_timeline_built_without_validators_is_plotlys_own(plant: Plant) -> None:
    """The state timeline's traces are plain JSON (plotly's validators took 5 s on a line's 8
    hours): the same JSON as the validated ``go.Bar`` traces."""
    import json
    from collections import defaultdict

    import plotly.graph_objects as go

    from gigaline.mes.services.floor import floor
    from gigaline.web import charts

    f = floor(plant.store, hours=8.0, timeline_stations=60)
    got = charts.timeline_figure(f)
    by_state: dict[str, list[Any]] = defaultdict(list)
    for s in f.timeline:
        by_state[s.state].append(s)
    fig = go.Figure()
    for state in [s for s in charts.STATE_COLOURS if s in by_state]:
        segs = by_state[state]
        fig.add_trace(go.Bar(
            orientation="h", name=state, y=[s.station for s in segs],
            x=[s.duration_s * 1000 for s in segs], base=[s.start for s in segs],
            marker={"color": charts.STATE_COLOURS[state]},
            customdata=[[s.start, s.end, s.reason or ""] for s in segs],
            hovertemplate="%{y}: " + state + " %{customdata[2]}<br>%{customdata[0]} to "
            "%{customdata[1]}<extra></extra>",
        ))  # fmt: skip
    assert len(got["data"]) >= 2 and sum(len(t["x"]) for t in got["data"]) > 100
    assert json.loads(json.dumps(got["data"])) == charts.figure_dict(fig)["data"]
    assert got["layout"]["template"]["layout"]  # plotly_white, expanded for plotly.js


def test_pages_load_the_plotly_bundle_their_charts_need(client: TestClient, plant: Plant) -> None:
    """The cartesian bundle (a third of the full one) where it draws every chart (the choice
    for a WebGL chart: tests/web/test_assets.py)."""
    _login(client, plant.tokens["viewer"])
    for page in ("/plant", "/holds", "/spc/chart?step=fill&param=fill_mass_g"):
        html = client.get(page).text
        assert 'src="/static/vendor/plotly-cartesian.min.js"' in html, page
        assert 'src="/static/vendor/plotly.min.js"' not in html, page


_TILE = re.compile(
    r'<a class="tile state-([a-z]+)" href="/stations/[^"]+" data-station="([^"]+)" '
    r'data-state="([a-z]+)"><b>([^<\n]+)\n([^<\n]+)</b>\n(?:since \d\d:\d\d:\d\d|no state '
    r"received)\n[\d,]+ records, [\d,]+ NG\nquality rate [^<\n]+</a>"
)


def test_a_tile_is_two_elements_its_lines_text(client: TestClient, plant: Plant) -> None:
    """789 tiles on the reference line's page: each an <a> and a <b> (name and state), its
    other lines text (web.css: white-space pre-line), not six elements."""
    page = _login(client, plant.tokens["viewer"]).get("/lines/" + plant.line.name)
    assert page.status_code == 200
    tiles = _TILE.findall(page.text)
    assert len(tiles) == page.text.count('class="tile ') == 18, page.text.count('class="tile ')
    for css, station, state, name, shown in tiles:
        assert css == state and name == station and shown.split(":")[0] == state
