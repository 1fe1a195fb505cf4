"""The planner and the twin over HTTP: a line file's plan (uploaded, bounded), the reference
line's for another target, and simulation runs in worker processes (engineer to submit)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from gigaline.model import load_line
from gigaline.plan import plan_line
from tests.api.conftest import Api
from tests.conftest import EXAMPLES

YAML = {"Content-Type": "application/yaml"}


def test_the_plan_of_an_uploaded_line_file(sqlite_api: Api) -> None:
    api = sqlite_api
    text = (EXAMPLES / "two-machine.yaml").read_bytes()
    for role in (None, "operator"):
        r = api.post("/api/v1/plan", role=role, content=text, headers=YAML)
        assert r.status_code == (401 if role is None else 403)
    r = api.post("/api/v1/plan", role="engineer", content=text, headers=YAML,
                 params={"target_gwh": 0.5})  # fmt: skip
    assert r.status_code == 200, r.text
    expected = plan_line(load_line(EXAMPLES / "two-machine.yaml"), target_gwh=0.5).to_dict()
    assert r.json() == expected
    bad = text.replace(b"cycle_time", b"cycle_tim", 1)
    r = api.post("/api/v1/plan", role="engineer", content=bad, headers=YAML)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"] and all(e["in"] == "body" for e in r.json()["errors"])
    r = api.post("/api/v1/plan", role="engineer", content=b"\xff\xfe", headers=YAML)
    assert r.status_code == 422 and "UTF-8" in r.json()["detail"]
    r = api.post("/api/v1/plan", role="engineer", content=text,
                 headers={"Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 415
    r = api.post("/api/v1/plan", role="engineer", content=text, headers=YAML,
                 params={"target_gwh": -1})  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "target_gwh"


def test_a_line_file_over_its_limit_is_refused(tmp_path: Any, mini_line: Any) -> None:
    from tests.api.conftest import make_api

    for api in make_api(f"sqlite:///{tmp_path / 'p.db'}", mini_line,
                        api_max_line_file_bytes=2048):  # fmt: skip
        r = api.post("/api/v1/plan", role="engineer", content=b"#" * 5000, headers=YAML)
        assert r.status_code == 413


def test_the_reference_plan_for_another_target(sqlite_api: Api) -> None:
    r = sqlite_api.get("/api/v1/plan/reference", params={"target_gwh": 10})
    assert r.status_code == 200, r.text
    plan = r.json()
    full = sqlite_api.get("/api/v1/plan/reference").json()
    assert plan["gwh_per_year"] == 10 and full["gwh_per_year"] == 20
    assert 0 < plan["capex_usd"] < full["capex_usd"]
    assert plan["cells_per_year"] == pytest.approx(full["cells_per_year"] / 2)


def _wait(api: Api, run_id: str, timeout_s: float = 240.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = api.get(f"/api/v1/simulations/{run_id}").json()
        if status["state"] in ("done", "failed"):
            return status
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not end in {timeout_s} s")


@pytest.mark.slow
def test_simulation_runs_in_a_worker_process(
    tmp_path: Any, mini_line: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.api.conftest import make_api

    monkeypatch.setenv("GIGALINE_SIM_JIT", "0")  # the spawned worker: no compile, a short run
    text = (EXAMPLES / "two-machine.yaml").read_text()
    body = {"line_yaml": text, "days": 0.1, "warmup_days": 0, "seed": 7}
    for api in make_api(f"sqlite:///{tmp_path / 's.db'}", mini_line, api_sim_queue=1):
        assert api.post("/api/v1/simulations", role="operator", json=body).status_code == 403
        r = api.post("/api/v1/simulations", role="engineer", json=body)
        assert r.status_code == 202, r.text
        run = r.json()
        assert run["state"] in ("queued", "running") and run["submitted_by"] == "engineer-user"
        r = api.post("/api/v1/simulations", role="engineer", json=body)  # the queue holds 1
        assert r.status_code == 429 and r.headers["retry-after"] == "30"
        early = api.get(f"/api/v1/simulations/{run['id']}/result")
        assert early.status_code in (200, 409)
        status = _wait(api, run["id"])
        assert status["state"] == "done", status["error"]
        assert status["progress"] == 1.0
        result = api.get(f"/api/v1/simulations/{run['id']}/result").json()
        from gigaline.sim import simulate

        # the worker's numbers are the twin's for the same line and seed
        ref = simulate(load_line(EXAMPLES / "two-machine.yaml"), days=0.1, warmup_days=0, seed=7)
        assert result["throughput_per_h"] == ref.to_dict()["throughput_per_h"]
        report = api.get(f"/api/v1/simulations/{run['id']}/report")
        assert report.headers["content-type"].startswith("text/html")
        assert "plotly" in report.text.lower()
        assert [r["id"] for r in api.get("/api/v1/simulations").json()] == [run["id"]]
        bad = api.post("/api/v1/simulations", role="engineer", json={"days": 0})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "days"
        broken = api.post("/api/v1/simulations", role="engineer", json={"line_yaml": "a: [1"})
        assert broken.status_code == 422
        assert api.get("/api/v1/simulations/nope").status_code == 404
