"""``/api/v1/oee`` and ``/api/v1/downtime``: the live OEE service of ``gigaline oee`` over
HTTP, on the worked example of tests/mes/test_oee.py."""

from __future__ import annotations

from typing import Any

from gigaline.mes.services.oee import live_oee
from gigaline.model import load_line
from tests.api.conftest import make_api
from tests.mes.test_oee import LINE, SINCE, UNTIL, example_events


def test_oee_and_the_downtime_pareto(tmp_path: Any) -> None:
    q = {"step": "assemble", "since": SINCE.isoformat(), "until": UNTIL.isoformat(),
         "silence_s": 3600}  # fmt: skip
    for api in make_api(f"sqlite:///{tmp_path / 'oee.db'}", load_line(LINE), example_events()):
        assert api.get("/api/v1/oee", role=None, params=q).status_code == 401
        r = api.get("/api/v1/oee", params=q)
        assert r.status_code == 200, r.text
        expected = live_oee(api.store, step="assemble", since=SINCE, until=UNTIL,
                            silence_s=3600).model_dump()  # fmt: skip
        assert r.json() == expected
        (top,) = [row for row in r.json()["rows"] if row["scope"] == "step"]
        assert top["produced"] == 600
        pareto = api.get("/api/v1/downtime", params=q).json()
        assert pareto == expected["pareto"] and pareto[0]["seconds"] >= pareto[-1]["seconds"]
        r = api.get("/api/v1/oee", params={"step": "nope"})
        assert r.status_code == 404 and r.json()["errors"][0]["field"] == "step"
        r = api.get("/api/v1/oee", params={"by": "week"})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "by"
