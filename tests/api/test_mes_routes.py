"""The MES routes on a day of the mini line (SQLite and PostgreSQL): each answers what the
service answers, writes record their user, and nothing is written by reading."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gigaline.mes import services as sv
from gigaline.model import Line
from gigaline.model.quality import ParameterSpec
from tests.api.conftest import Api, make_api
from tests.mes.conftest import mini_events
from tests.mes.test_quality import QUALITY as BASE_QUALITY

# the quality of tests/mes/test_quality.py, with tight fill limits that a day's fill masses
# stray from: alarms and a hold
QUALITY = BASE_QUALITY.model_copy(
    update={
        "specs": [
            ParameterSpec(step="fill", param="fill_mass_g", lsl=25.9, usl=26.1,
                          hold_on_violation=True),
            *BASE_QUALITY.specs[1:],
        ]
    }
)  # fmt: skip


@pytest.fixture(scope="module")
def day(mini_line: Line) -> list[dict[str, Any]]:
    return mini_events(mini_line, days=1.5, seed=5)


@pytest.fixture(scope="module")
def loaded(loaded_url: str, mini_line: Line, day: list[dict[str, Any]]) -> Iterator[Api]:
    line = mini_line.model_copy(update={"quality": QUALITY})
    yield from make_api(loaded_url, line, day)


def test_the_plant(loaded: Api) -> None:
    plant = loaded.get("/api/v1/plant").json()
    assert plant["site"] == "testsite"
    (line,) = plant["lines"]
    assert sum(len(s["stations"]) for s in line["steps"]) == 18
    assert [s["position"] for s in line["steps"]] == sorted(s["position"] for s in line["steps"])
    name = line["name"]
    assert loaded.get(f"/api/v1/lines/{name}").json() == line
    r = loaded.get("/api/v1/lines/nope")
    assert r.status_code == 404 and repr(name) in r.json()["detail"]
    fill = loaded.get("/api/v1/steps/fill").json()
    assert fill["line"] == name and fill["stations"]
    assert len(loaded.get("/api/v1/steps").json()) == len(line["steps"])
    yields = loaded.get("/api/v1/yields").json()
    assert {y["step"] for y in yields} <= {s["name"] for s in line["steps"]}
    assert all(0 <= y["yield"] <= 1 for y in yields)
    assert loaded.get("/api/v1/counts").json()["events"] > 1000


def test_trace_where_used_and_the_genealogy_graph(loaded: Api, day: list[dict[str, Any]]) -> None:
    cell = next(e["unit"] for e in day if e["type"] == "curve")
    trace = loaded.get(f"/api/v1/trace/{cell}").json()
    assert trace == sv.trace(loaded.store, cell).model_dump()
    assert trace["lots"] and trace["records"]
    graph = loaded.get(f"/api/v1/genealogy/{cell}").json()
    ids = {n["id"] for n in graph["nodes"]}
    # the graph's nodes are the trace's: the cell, its ancestor units and its lots
    assert ids == {cell, *trace["ancestors"], *trace["lots"]}
    assert {n["id"] for n in graph["nodes"] if n["kind"] == "lot"} == set(trace["lots"])
    assert graph["nodes"][0] == {"id": cell, "kind": "unit", "type": trace["unit_type"]}
    assert not graph["truncated"]
    # every node but the root has a path to it: every ancestor is a source of some edge
    assert {e["source"] for e in graph["edges"]} == ids - {cell}
    assert all(e["target"] in ids and e["qty"] > 0 for e in graph["edges"])
    lot = trace["lots"][0]
    used = loaded.get(f"/api/v1/where-used/{lot}").json()
    assert cell in used["cells"]
    forward = loaded.get(f"/api/v1/genealogy/{lot}", params={"direction": "forward"}).json()
    assert {n["id"] for n in forward["nodes"]} == {lot, *used["units"]}
    small = loaded.get(f"/api/v1/genealogy/{lot}",
                       params={"direction": "forward", "max_nodes": 3}).json()  # fmt: skip
    assert small["truncated"] and len(small["nodes"]) == 3
    r = loaded.get("/api/v1/trace/NO-SUCH-CELL")
    assert r.status_code == 404
    assert r.json()["errors"] == [
        {"field": "unit", "in": "path", "value": "NO-SUCH-CELL", "allowed": "no such unit in "
         "the store"}
    ]  # fmt: skip


def test_holds_place_list_release_with_who_and_why(loaded: Api, day: list[dict[str, Any]]) -> None:
    lot = next(e["lot"] for e in day if e["type"] == "lot")
    for role in (None, "viewer"):
        r = loaded.post("/api/v1/holds", role=role, json={"target": lot, "reason": "x"})
        assert r.status_code == (401 if role is None else 403)
    r = loaded.post("/api/v1/holds", role="operator",
                    json={"target": lot, "reason": "supplier recall 42"})  # fmt: skip
    assert r.status_code == 201, r.text
    hold = r.json()
    assert hold["created_by"] == "operator-user" and hold["units"] > 0
    listed = loaded.get("/api/v1/holds").json()["holds"]
    assert hold["id"] in [h["id"] for h in listed]
    r = loaded.post(f"/api/v1/holds/{hold['id']}/release", role="viewer", json={"reason": "ok"})
    assert r.status_code == 403
    r = loaded.post(f"/api/v1/holds/{hold['id']}/release", role="operator",
                    json={"reason": "lab says fine"})  # fmt: skip
    assert r.status_code == 200 and r.json()["released_by"] == "operator-user"
    status = loaded.get(f"/api/v1/holds/{hold['id']}").json()
    assert status["release_reason"] == "lab says fine"
    again = loaded.post(f"/api/v1/holds/{hold['id']}/release", role="operator",
                        json={"reason": "twice"})  # fmt: skip
    assert again.status_code == 422 and "already released" in again.json()["detail"]
    r = loaded.post("/api/v1/holds", role="operator", json={"target": lot, "reason": "  "})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = loaded.post("/api/v1/holds", role="operator", json={"target": "NOPE", "reason": "x"})
    assert r.status_code == 404
    trail = loaded.get("/api/v1/audit", role="admin").json()["entries"]
    mine = [(e["action"], e["user"], e["target"]) for e in trail if e["detail"].get("hold")
            == hold["id"]]  # fmt: skip
    assert mine == [("hold.release", "operator-user", lot), ("hold.place", "operator-user", lot)]


def test_spc_reads_without_writing_and_raises_alarms_on_request(loaded: Api) -> None:
    path = "/api/v1/spc/fill/fill_mass_g"
    q = {"chart": "ewma", "baseline": 10}
    before = loaded.get("/api/v1/counts").json()
    r = loaded.get(path, params=q)
    assert r.status_code == 200, r.text
    chart = r.json()
    expected = sv.run_spc(loaded.store, "fill", "fill_mass_g", chart="ewma", baseline=10,
                          raise_alarms=False, limit=10_000).model_dump()  # fmt: skip
    assert expected["limit"] == 10_000 and expected["truncated"] is False  # the API's default
    assert {k: v for k, v in chart.items() if k not in ("zones", "violations")} == {
        k: v for k, v in expected.items() if k != "violations"
    }
    assert {int(k): v for k, v in chart["violations"].items()} == expected["violations"]
    assert chart["violations"] and chart["new_alarms"] == 0 and chart["hold"] is None
    assert chart["capability"]["n"] == chart["records"]
    assert loaded.get("/api/v1/counts").json() == before  # looking changed nothing
    assert loaded.get("/api/v1/alarms").json()["alarms"] == []
    imr = loaded.get(path).json()
    z = imr["zones"]
    se = (imr["ucl"] - imr["center"]) / 3
    assert z["c_high"] == pytest.approx(imr["center"] + se)
    assert z["b_low"] == pytest.approx(imr["center"] - 2 * se)
    assert loaded.post(f"{path}/alarms", role="viewer", params=q).status_code == 403
    raised = loaded.post(f"{path}/alarms", role="operator", params=q).json()
    assert raised["new_alarms"] == len(loaded.get("/api/v1/alarms").json()["alarms"]) > 0
    assert raised["hold"]["created_by"] == "operator-user"
    alarms = loaded.get("/api/v1/alarms", params={"step": "fill", "limit": 2}).json()["alarms"]
    assert len(alarms) == 2 and all(a["hold_id"] == raised["hold"]["id"] for a in alarms)
    r = loaded.get(path, params={"chart": "pareto"})
    assert r.status_code == 422
    (err,) = r.json()["errors"]
    assert (err["field"], err["in"], err["value"]) == ("chart", "query", "pareto")
    assert "imr" in err["allowed"] and "cusum" in err["allowed"]
    r = loaded.get("/api/v1/spc/fill/no_such_param")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "param"


_SPC_ASKED = [
    {},
    {"chart": "xbar_r"},
    {"chart": "xbar_s", "subgroup_size": 3, "rules": "western_electric"},
    {"chart": "ewma", "baseline": 10},
    {"chart": "xbar_r", "baseline": 8},
    {"chart": "cusum"},
    {"limit": 40},
    {"chart": "xbar_r", "limit": 7},
]


def _spc_report_json(res: sv.SpcResult) -> bytes:
    """The answer's JSON as it was built before 3 Dec 2026 (the reference): the result dumped
    to plain data, the zones added, the whole validated into an SpcReport and serialised as
    FastAPI serialises a response model (``dump_json``)."""
    from pydantic import TypeAdapter

    from gigaline.mes.services.spc import SpcReport, SpcZones

    report = SpcReport.model_validate({**res.model_dump(), "zones": SpcZones.of(res.view)})
    return TypeAdapter(SpcReport).dump_json(report, by_alias=True)


@pytest.mark.parametrize("asked", _SPC_ASKED, ids=lambda q: ",".join(map(str, q.values())))
def test_spc_answer_is_byte_for_byte_the_reference(
    loaded: Api, asked: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SPC answer's bytes equal those of the reference path (above) for every chart kind,
    with and without a baseline, cut by a limit or not; and those of the series read row by
    row (the read before 3 Dec 2026 evening; PostgreSQL reads it at once since)."""
    from gigaline.mes.sql import measures

    r = loaded.get("/api/v1/spc/fill/fill_mass_g", params=asked)
    assert r.status_code == 200, r.text
    opts = {"subgroup_size": 5, "limit": 10_000, **asked}
    res = sv.run_spc(loaded.store, "fill", "fill_mass_g", raise_alarms=False, **opts)
    assert r.content == _spc_report_json(res)
    assert res.sigma == res.control.as_dict()["sigma"]
    with monkeypatch.context() as m:
        m.setattr(measures, "_aggregated", lambda *a: None)
        rows = loaded.get("/api/v1/spc/fill/fill_mass_g", params=asked)
    assert rows.status_code == 200 and rows.content == r.content
    body = r.json()
    assert body["points"] == len(body["ts"]) == len(body["statistics"]) > 2
    assert body["truncated"] is ("limit" in asked)  # a day holds more than 40 points


def test_grades_and_module_matches(loaded: Api) -> None:
    before = loaded.get("/api/v1/counts").json()
    grades = loaded.get("/api/v1/grades").json()
    assert grades == sv.grade_stored_cells(loaded.store, save=False).model_dump()
    assert grades["cells"] > 100 and sum(grades["counts"].values()) == grades["cells"]
    assert loaded.get("/api/v1/counts").json() == before
    modules = loaded.get("/api/v1/grades/modules").json()
    assert modules["cells_per_module"] == 4
    assert len(modules["modules"]) == grades["matching"]["modules"]
    assert all(len(m) == 4 for m in modules["modules"])
    cells = [c for m in modules["modules"] for c in m] + modules["leftovers"]
    assert len(cells) == len(set(cells)) == grades["matching"]["eligible"]
    assert loaded.post("/api/v1/grades", role="viewer").status_code == 403
    assert loaded.post("/api/v1/grades", role="operator").json()["cells"] == grades["cells"]
