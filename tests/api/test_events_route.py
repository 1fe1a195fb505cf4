"""``POST /api/v1/events``: the contract, dead letters and idempotency of ``gigaline ingest``,
for NDJSON and JSON array bodies, answered after the commit (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

from gigaline.mes.ingest import ingest
from gigaline.mes.services import counts
from gigaline.mes.sql import open_store
from gigaline.model import Line
from tests.api.conftest import Api


def _ndjson(events: list[Any]) -> bytes:
    return "".join(json.dumps(e) + "\n" for e in events).encode()


def test_events_are_stored_as_by_gigaline_ingest(
    api: Api, mini_day: list[dict[str, Any]], tmp_path: Any, mini_line: Line
) -> None:
    from gigaline.mes.services import init_line

    half = len(mini_day) // 2
    bad = {"id": "bad-1", "type": "state", "ts": "2026-01-05T08:00:00Z", "station": "nowhere",
           "state": "down"}  # fmt: skip
    first = [*mini_day[:half], bad]
    for role in (None, "viewer"):
        r = api.post("/api/v1/events", role=role, content=_ndjson(first[:5]),
                     headers={"Content-Type": "application/x-ndjson"})  # fmt: skip
        assert r.status_code == (401 if role is None else 403)
    r = api.post("/api/v1/events", role="operator", content=_ndjson(first),
                 headers={"Content-Type": "application/x-ndjson"})  # fmt: skip
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["accepted"], got["duplicate"], got["rejected"]) == (half, 0, 1)
    assert got["rejections"][0]["id"] == "bad-1" and "nowhere" in got["rejections"][0]["reason"]
    # the same again as a JSON array, with the second half: the first half are duplicates
    r = api.post("/api/v1/events", role="operator", json=mini_day)
    assert r.status_code == 200, r.text
    assert (r.json()["accepted"], r.json()["duplicate"]) == (len(mini_day) - half, half)
    # the store holds what `gigaline ingest` of the same events makes
    with open_store(f"sqlite:///{tmp_path / 'ref.db'}") as ref:
        init_line(ref, mini_line)
        ingest(ref, first)
        ingest(ref, mini_day)
        assert counts(api.store) == counts(ref)


def test_bodies_that_are_not_events(sqlite_api: Api) -> None:
    api = sqlite_api
    before = counts(api.store)

    def post(content: bytes, media: str) -> Any:
        return api.post("/api/v1/events", role="operator", content=content,
                        headers={"Content-Type": media})  # fmt: skip

    r = post(b'{"id": "x"}', "application/json")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body"
    assert "array" in r.json()["errors"][0]["allowed"]
    assert post(b"[1, 2", "application/json").status_code == 422
    r = post(b"a,b\n1,2\n", "text/csv")
    assert r.status_code == 415 and "application/x-ndjson" in r.json()["detail"]
    assert r.headers["content-type"] == "application/problem+json"
    r = post(b'not json\n[]\n{"id": 5}\n', "application/x-ndjson")
    assert r.status_code == 200 and r.json()["rejected"] == 3  # each a dead letter
    r = post(b"[]", "application/json")
    zero = ("accepted", "duplicate", "rejected", "refused", "pending", "resolved", "expired")
    assert r.json() == {**dict.fromkeys(zero, 0), "rejections": []}
    after = counts(api.store)
    assert after["dead_letters"] == before["dead_letters"] + 3
    assert {k: v for k, v in after.items() if k != "dead_letters"} == {
        k: v for k, v in before.items() if k != "dead_letters"
    }


def test_an_events_body_over_its_limit_is_refused_whole(
    tmp_path: Any, mini_line: Line, mini_day: list[dict[str, Any]]
) -> None:
    from tests.api.conftest import make_api

    for api in make_api(f"sqlite:///{tmp_path / 'l.db'}", mini_line,
                        api_max_events_bytes=4096):  # fmt: skip
        body = _ndjson(mini_day[:100])
        assert len(body) > 4096
        r = api.post("/api/v1/events", role="operator", content=body,
                     headers={"Content-Type": "application/x-ndjson"})  # fmt: skip
        assert r.status_code == 413
        assert counts(api.store)["events"] == 0  # nothing of it stored
