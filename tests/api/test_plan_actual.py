"""Plan versus actual over HTTP: ``GET /api/v1/plan-vs-actual`` (viewer) for a line the server
has the file of, ``POST`` with the line file (engineer). The figures are checked against the
planner and against the events ingested, counted here independently."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from gigaline.model import Line
from gigaline.plan import plan_line
from tests.api.conftest import Api, make_api
from tests.conftest import EXAMPLES
from tests.mes.conftest import LINES

YAML = {"Content-Type": "application/yaml"}


def _t(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


@pytest.fixture
def loaded(tmp_path: Any, mini_line: Line, mini_day: list[dict[str, Any]]) -> Any:
    for api in make_api(f"sqlite:///{tmp_path / 'pva.db'}", mini_line, mini_day):
        api.client.app.state.line_files = {mini_line.name: mini_line}  # type: ignore[attr-defined]
        yield api


def test_plan_versus_actual_of_the_stored_line(
    loaded: Api, mini_line: Line, mini_day: list[dict[str, Any]]
) -> None:
    target = {"target_gwh": 0.05}  # the mini line's file has no target
    assert loaded.get("/api/v1/plan-vs-actual", role=None, params=target).status_code == 401
    r = loaded.get("/api/v1/plan-vs-actual")
    assert r.status_code == 400 and "target" in r.json()["detail"]
    r = loaded.get("/api/v1/plan-vs-actual", params=target)
    assert r.status_code == 200, r.text
    res = r.json()
    assert res["line"] == mini_line.name
    since, until = _t(res["since"]), _t(res["until"])
    states = [_t(e["ts"]) for e in mini_day if e["type"] == "state"]
    assert since == min(states)  # the stored period starts with the first state change
    assert res["hours"] == pytest.approx((until - since).total_seconds() / 3600)
    plan = plan_line(mini_line, target_gwh=0.05).first
    share = plan.scheduled_h_per_year / 8760
    main = {s.id for s in mini_line.main_steps}
    by_step = {s["step"]: s for s in res["steps"]}
    assert list(by_step) == [s.id for s in plan.steps]
    for sp in plan.steps:
        s = by_step[sp.id]
        assert s["machines_planned"] == sp.machines_planned
        assert s["planned_good_per_h"] == pytest.approx(sp.rate_per_h * sp.yield_ * share)
        assert s["planned_utilisation"] == pytest.approx(sp.utilization)
        ended = [e for e in mini_day if e["type"] == "process" and e["step"] == sp.id
                 and since <= _t(e["ts"]) < until]  # fmt: skip
        good = sum(e["result"] == "OK" for e in ended)
        assert (s["produced"], s["good"], s["ng"]) == (len(ended), good, len(ended) - good)
        assert s["good_per_h"] == pytest.approx(good / res["hours"])
        assert s["cells"] == (sp.id in main)
        if s["cells"]:
            assert s["gap_good_per_h"] == pytest.approx(s["good_per_h"] - s["planned_good_per_h"])
        else:
            assert s["gap_good_per_h"] is None
    oee = loaded.get("/api/v1/oee", params={"line": mini_line.name, "since": res["since"],
                                            "until": res["until"]}).json()  # fmt: skip
    for row in (r for r in oee["rows"] if r["scope"] == "step"):
        assert by_step[row["name"]]["oee"] == row["oee"]  # the same kpi functions
    assert any(s["produced"] > 0 for s in res["steps"] if s["cells"])


def test_plan_versus_actual_refusals_and_upload(loaded: Api, mini_line: Line) -> None:
    r = loaded.get("/api/v1/plan-vs-actual", params={"line": "no such line", "target_gwh": 1})
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "line"
    text = (LINES / "mini.yaml").read_bytes()
    assert loaded.post("/api/v1/plan-vs-actual", role="viewer", content=text,
                       headers=YAML).status_code == 403  # fmt: skip
    r = loaded.post("/api/v1/plan-vs-actual", role="engineer", content=text, headers=YAML,
                    params={"target_gwh": 0.05})  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["gwh_per_year"] == pytest.approx(0.05)
    other = (EXAMPLES / "two-machine.yaml").read_bytes()  # a line this database does not hold
    r = loaded.post("/api/v1/plan-vs-actual", role="engineer", content=other, headers=YAML,
                    params={"target_gwh": 1})  # fmt: skip
    assert r.status_code in (400, 422) and "a line stored in this database" in r.text
