"""Schemathesis over /openapi.json: no server error and no answer outside the schema, for
every operation (bounded: a few hundred examples in all).

The app serves a loaded store (part of a day of the mini line); requests carry an admin
token, so that they reach their routes (schemathesis also sends them without it and with a
wrong one, and wants a 401).
Left out of the checks: ``positive_data_acceptance``, which wants every schema-valid
request accepted: a value that only the stored data rules out (a baseline longer than the
series, a parameter without values) is a 422 naming it, on purpose. Left out of the
operations: submitting simulation runs (each would take a core for minutes; tests/api/
test_plan_and_runs.py covers them) and revoking tokens (tested in test_access).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from gigaline.api import create_app
from gigaline.mes.ingest import ingest
from gigaline.mes.services import init_line
from gigaline.mes.services.access import create_token
from gigaline.mes.sql import open_store
from gigaline.model import Line
from gigaline.settings import Settings
from tests.mes.conftest import mini_day, mini_line  # noqa: F401 (fixtures)


@pytest.fixture(scope="module")
def api_schema(
    tmp_path_factory: pytest.TempPathFactory,
    mini_line: Line,  # noqa: F811
    mini_day: list[dict[str, Any]],  # noqa: F811
) -> Iterator[Any]:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('fuzz')) / 'fuzz.db'}"
    store = open_store(url)
    init_line(store, mini_line)
    ingest(store, mini_day[:3000])
    token = create_token(store, "admin", "fuzzer").token
    app = create_app(Settings(db=url), store=store)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    yield (
        schema.exclude(path="/api/v1/simulations", method="POST").exclude(
            path_regex="^/api/v1/tokens/", method="DELETE"
        ),
        {"Authorization": f"Bearer {token}"},
    )
    store.close()


def test_every_operation_answers_within_its_schema(api_schema: tuple[Any, dict[str, str]]) -> None:
    """Each operation's generated requests: ``call_and_validate`` runs schemathesis' checks
    (no 5xx, status codes, content types, headers and bodies as documented)."""
    from hypothesis import given

    schema, auth = api_schema
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)  # fmt: skip
        def check(case: Any) -> None:
            case.call_and_validate(headers=auth, excluded_checks=[positive_data_acceptance])

        check()
