"""docs/api.md is true: its commands and its Python block run, its table lists every route of
the app with the role it needs, and each route refuses a request without a token (401) and
one with the role below it (403)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from gigaline.cli import main
from gigaline.mes.services.access import ROLES
from tests.api.conftest import Api
from tests.conftest import ROOT

DOC = ROOT / "docs" / "api.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def _routes() -> dict[tuple[str, str], str]:
    """(method, path) -> role, from the doc's routes table."""
    rows = re.findall(r"^\| (GET|POST|DELETE) \| `([^`]+)` \| (\w+) \|", DOC.read_text(),
                      flags=re.M)  # fmt: skip
    return {(m, p): role for m, p, role in rows}


def test_the_commands_and_the_python_block_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    (block,) = _blocks("sh")
    for line in block.splitlines():
        assert main(shlex.split(line)[1:]) == 0, line
    tokens = [t for t in capsys.readouterr().out.split() if t.startswith("glt_")]
    assert len(tokens) == 2  # each token printed once, alone on stdout
    (snippet,) = _blocks("python")
    exec(compile(snippet, "<docs/api.md>", "exec"), {})
    oee, state = capsys.readouterr().out.split()
    assert (float(oee), state) == (pytest.approx(590 * 60 / 72000, abs=1e-4), "unqualified")


def test_the_table_lists_every_route_with_its_role(sqlite_api: Api) -> None:
    spec = sqlite_api.client.get("/openapi.json").json()
    served = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    documented = _routes()
    assert set(documented) == served
    assert set(documented.values()) <= {*ROLES, "none"}


def _fill(path: str) -> str:
    """``path`` with its parameters named: ids that do not exist (nothing is revoked)."""
    return re.sub(r"\{(\w+)\}", lambda m: "999999" if m.group(1).endswith("_id") else "x", path)


def test_every_route_refuses_no_token_and_a_weaker_role(sqlite_api: Api) -> None:
    api = sqlite_api
    for (method, path), role in _routes().items():
        url = _fill(path)

        def call(who: str | None, url: str = url, method: str = method) -> Any:
            # a body no route takes: nothing is stored, no simulation starts
            return api.client.request(method, url, headers=api.as_(who),
                                      json={"not_a_field": 1})  # fmt: skip

        if role == "none":
            assert call(None).status_code == 200, path
            continue
        assert call(None).status_code == 401, (method, path)
        weaker = ROLES[: ROLES.index(role)]  # type: ignore[arg-type]
        for who in weaker:
            assert call(who).status_code == 403, (method, path, who)
        assert call(role).status_code not in (401, 403), (method, path, role)


def test_the_readme_lines_of_the_api_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's ``token`` and ``serve`` lines, on the database its ``oee`` lines make
    (``serve`` up to the point where uvicorn would take over: its app and address)."""
    import uvicorn

    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GIGALINE_DB", raising=False)
    served: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = [ln.split("  #")[0].strip() for ln in readme.splitlines()
             if ln.startswith(("gigaline mes init examples/oee", "gigaline token",
                               "gigaline serve"))]  # fmt: skip
    assert [ln.split()[1] for ln in lines] == ["mes", "token", "serve"]
    for line in lines:
        for part in line.split("&&"):
            assert main(shlex.split(part)[1:]) == 0, (part, capsys.readouterr().err)
    assert (served["host"], served["port"]) == ("0.0.0.0", 8000)
    assert served["app"].state.settings.api_demo is False
