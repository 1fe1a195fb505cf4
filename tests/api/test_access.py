"""Tokens and roles: secrets shown once and stored as hashes, 401 and 403, the audit trail,
and the server's refusals (no named database, no admin token, demo off loopback)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gigaline.api import create_app
from gigaline.mes.services.access import authenticate, create_token, has_role, revoke_token
from gigaline.mes.sql import open_store
from gigaline.mes.sql import tables as t
from gigaline.settings import Settings, SettingsError, is_loopback
from tests.api.conftest import Api


def test_a_token_is_stored_as_the_sha256_of_its_secret_only(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'a.db'}") as store:
        made = create_token(store, "operator", "line 1 shift A", by="test")
        assert made.token.startswith("glt_") and len(made.token) == 4 + 43  # 32 bytes, base64
        with store.engine.connect() as conn:
            (stored,) = conn.execute(select(t.api_tokens.c.sha256)).scalars()
            text = " ".join(str(v) for row in conn.execute(select(t.api_tokens)) for v in row)
        assert stored == hashlib.sha256(made.token.encode()).hexdigest()
        assert made.token not in text and made.token[4:] not in text
        who = authenticate(store, made.token)
        assert who is not None and (who.name, who.role) == ("line 1 shift A", "operator")
        assert authenticate(store, made.token[:-1] + ("A" if made.token[-1] != "A" else "B"))\
            is None  # fmt: skip
        assert authenticate(store, "not-a-token") is None
        revoke_token(store, made.id, by="test")
        assert authenticate(store, made.token) is None  # revoked: refused from then on
        second = create_token(store, "viewer", by="test")
        assert second.token != made.token


def test_roles_are_ordered() -> None:
    assert has_role("admin", "viewer") and has_role("operator", "operator")
    assert not has_role("operator", "engineer") and not has_role("viewer", "operator")
    assert not has_role("root", "viewer")


def test_a_bad_role_names_what_is_allowed(tmp_path: Path) -> None:
    from gigaline.errors import FieldError

    with (
        open_store(f"sqlite:///{tmp_path / 'a.db'}") as store,
        pytest.raises(FieldError, match="one of viewer, operator, engineer, admin"),
    ):
        create_token(store, "root")


def test_without_a_token_401_with_a_weak_role_403(sqlite_api: Api) -> None:
    api = sqlite_api
    r = api.get("/api/v1/whoami", role=None)
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.json()["status"] == 401 and "bearer token" in r.json()["detail"]
    r = api.client.get("/api/v1/whoami", headers={"Authorization": "Bearer glt_forged"})
    assert r.status_code == 401
    assert api.get("/api/v1/whoami", role="viewer").json()["role"] == "viewer"
    r = api.post("/api/v1/tokens", role="engineer", json={"role": "viewer"})
    assert r.status_code == 403
    assert "needs the role admin" in r.json()["detail"]
    assert api.get("/api/v1/health", role=None).json()["status"] == "ok"  # no token needed


def test_token_changes_are_in_the_audit_trail_with_their_user(api: Api) -> None:
    r = api.post("/api/v1/tokens", json={"role": "operator", "name": "mes bridge"})
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["role"] == "operator" and made["created_by"] == "admin-user"
    other = TestClient(api.client.app)
    ok = other.get("/api/v1/whoami", headers={"Authorization": f"Bearer {made['token']}"})
    assert ok.json() == {"name": "mes bridge", "role": "operator", "token_id": made["id"]}
    listed = api.get("/api/v1/tokens", role="admin").json()["tokens"]
    assert all("token" not in t and "sha256" not in t for t in listed)
    assert api.delete(f"/api/v1/tokens/{made['id']}").json()["revoked_by"] == "admin-user"
    again = other.get("/api/v1/whoami", headers={"Authorization": f"Bearer {made['token']}"})
    assert again.status_code == 401
    r = api.delete(f"/api/v1/tokens/{made['id']}")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "token_id"
    assert api.delete("/api/v1/tokens/999").status_code == 404
    trail = api.get("/api/v1/audit", role="admin").json()["entries"]
    assert [(e["action"], e["user"], e["target"]) for e in trail[:2]] == [
        ("token.revoke", "admin-user", f"token:{made['id']}"),
        ("token.create", "admin-user", f"token:{made['id']}"),
    ]
    assert trail[1]["detail"] == {"name": "mes bridge", "role": "operator"}
    assert api.get("/api/v1/audit", role="engineer").status_code == 403


def test_the_server_refuses_an_implicit_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GIGALINE_DB", raising=False)
    with pytest.raises(SettingsError, match="a server needs its database named"):
        create_app(Settings())


def test_the_server_refuses_a_database_without_an_admin_token(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    with open_store(url) as store:
        create_token(store, "engineer")
    with pytest.raises(SettingsError, match="gigaline token create --role admin"):
        create_app(Settings(db=url))
    with open_store(url) as store:
        create_token(store, "admin")
    create_app(Settings(db=url)).state.store.close()


def test_demo_serves_without_tokens_on_loopback_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    with pytest.raises(SettingsError, match="only on a loopback address"):
        create_app(Settings(db=url, api_demo=True, api_host="0.0.0.0"))
    app = create_app(Settings(db=url, api_demo=True, api_host="127.0.0.1"))
    with TestClient(app) as client:
        assert client.get("/api/v1/whoami").json() == {
            "name": "demo", "role": "admin", "token_id": None
        }  # fmt: skip
    for host, loop in [("127.0.0.1", True), ("127.3.0.1", True), ("::1", True),
                       ("localhost", True), ("0.0.0.0", False), ("::", False),
                       ("10.0.0.5", False), ("example.com", False)]:  # fmt: skip
        assert is_loopback(host) is loop, host


def test_cors_is_closed_unless_configured(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    pre = {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    closed = create_app(Settings(db=url, api_demo=True))
    with TestClient(closed) as client:
        r = client.options("/api/v1/health", headers=pre)
        assert "access-control-allow-origin" not in r.headers
    ok = {"Origin": "https://mes.plant.example", "Access-Control-Request-Method": "GET"}
    opened = create_app(
        Settings(db=url, api_demo=True, api_cors_origins=["https://mes.plant.example"])
    )
    with TestClient(opened) as client:
        r = client.options("/api/v1/health", headers=ok)
        assert r.headers["access-control-allow-origin"] == "https://mes.plant.example"
        r = client.options("/api/v1/health", headers=pre)
        assert "access-control-allow-origin" not in r.headers


def test_every_body_is_bounded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'b.db'}"
    app = create_app(Settings(db=url, api_demo=True, api_max_body_bytes=2048))
    with TestClient(app) as client:
        big = {"role": "viewer", "name": "x" * 5000}
        r = client.post("/api/v1/tokens", json=big)
        assert r.status_code == 413 and "2,048 bytes" in r.json()["detail"]
        assert r.headers["content-type"] == "application/problem+json"

        def chunks():  # no Content-Length: counted as it streams
            yield b'{"role": "viewer", "name": "'
            for _ in range(10):
                yield b"x" * 500
            yield b'"}'

        r = client.post("/api/v1/tokens", content=chunks(),
                        headers={"Content-Type": "application/json"})  # fmt: skip
        assert r.status_code == 413, r.text
        r = client.post("/api/v1/tokens", json={"role": "viewer", "name": "ok"})
        assert r.status_code == 201
