"""Issue #14 item 8: fuzzing the API's bodies. Hypothesis sends the events route and the plan
upload arbitrary bytes, JSON values and near-events; every answer is an acceptance or a
problem (application/problem+json) with a 4xx status, never a 5xx, and a rejected body
writes nothing but its dead letters."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gigaline.mes.services import counts
from gigaline.model import Line
from tests.api.conftest import Api, make_api
from tests.conftest import EXAMPLES

FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))  # fmt: skip

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12,
)  # fmt: skip
# events that are nearly right: every field of the contract, each value arbitrary
near_events = st.fixed_dictionaries(
    {"id": st.text(max_size=12), "type": st.sampled_from(["state", "process", "lot", "curve",
                                                          "x"]),
     "ts": st.sampled_from(["2026-01-05T08:00:00Z", "2026-13-01T00:00:00Z", "", "now"]),
     "station": st.sampled_from(["mix-a-1", "nowhere", ""])},
    optional={"state": json_values, "unit": json_values, "step": json_values,
              "result": json_values, "consumes": json_values, "params": json_values},
)  # fmt: skip


@pytest.fixture(scope="module")
def fuzz_api(tmp_path_factory: pytest.TempPathFactory, mini_line: Line) -> Iterator[Api]:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('bodies')) / 'b.db'}"
    yield from make_api(url, mini_line, api_max_events_bytes=64 * 1024,
                        api_max_line_file_bytes=64 * 1024)  # fmt: skip


def _answered(r: Any, accepted: int = 200) -> None:
    assert r.status_code < 500, r.text
    if r.status_code != accepted:
        assert 400 <= r.status_code < 500
        assert r.headers["content-type"] == "application/problem+json"
        problem = r.json()
        assert problem["status"] == r.status_code and problem["detail"]


@FUZZ
@given(
    body=st.one_of(
        st.binary(max_size=2000),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.lists(near_events, max_size=8).map(lambda v: json.dumps(v).encode()),
        st.lists(near_events, max_size=8).map(
            lambda v: "\n".join(json.dumps(e) for e in v).encode()
        ),
    ),
    media=st.sampled_from(["application/json", "application/x-ndjson", "text/plain", ""]),
)
def test_events_bodies(fuzz_api: Api, body: bytes, media: str) -> None:
    before = counts(fuzz_api.store)
    r = fuzz_api.post("/api/v1/events", role="operator", content=body,
                      headers={"Content-Type": media} if media else {})  # fmt: skip
    _answered(r)
    after = counts(fuzz_api.store)
    if r.status_code != 200:  # refused whole: nothing written
        assert after == before
    else:
        got = r.json()
        assert after["events"] - before["events"] == got["accepted"]
        assert got["accepted"] + got["duplicate"] + got["rejected"] >= 0


REFERENCE = (EXAMPLES / "two-machine.yaml").read_text()


@FUZZ
@given(
    body=st.one_of(
        st.binary(max_size=2000),
        st.text(max_size=500).map(str.encode),
        # the example with one stretch of it replaced by arbitrary text
        st.tuples(st.integers(0, len(REFERENCE)), st.integers(0, 40), st.text(max_size=30)).map(
            lambda t: (REFERENCE[: t[0]] + t[2] + REFERENCE[t[0] + t[1] :]).encode()
        ),
    ),
    target=st.one_of(st.none(), st.floats(allow_nan=True), st.sampled_from(["x", "1e400"])),
)
def test_plan_uploads(fuzz_api: Api, body: bytes, target: Any) -> None:
    params = {} if target is None else {"target_gwh": str(target)}
    r = fuzz_api.post("/api/v1/plan", role="engineer", content=body, params=params,
                      headers={"Content-Type": "application/yaml"})  # fmt: skip
    _answered(r)
