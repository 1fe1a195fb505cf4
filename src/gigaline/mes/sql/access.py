"""The SQL of the HTTP API's access: tokens (only their SHA-256) and the audit trail.

Each function runs on the caller's connection, inside the caller's transaction: a token and
its audit line, a hold and its audit line (:func:`audit` is called by
:mod:`gigaline.mes.sql.writes`) commit together or not at all.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from gigaline.mes.ports import AuditEntry, TokenRow
from gigaline.mes.sql import tables as t

__all__ = ["add_token", "audit", "audit_trail", "list_tokens", "revoke_token", "token_by_hash"]


def audit(
    conn: Connection, when: datetime, user: str, action: str, target: str, **detail: Any
) -> None:
    """Append one line to the audit trail."""
    conn.execute(
        insert(t.audit).values(
            ts=when, user=user, action=action, target=target,
            detail=json.dumps(detail, sort_keys=True, default=str),
        )
    )  # fmt: skip


def add_token(conn: Connection, name: str, role: str, sha256: str, by: str, when: datetime) -> int:
    """Insert a token and its audit line; its id."""
    token_id = conn.execute(
        insert(t.api_tokens)
        .values(name=name, role=role, sha256=sha256, created=when, created_by=by)
        .returning(t.api_tokens.c.id)
    ).scalar_one()
    audit(conn, when, by, "token.create", f"token:{token_id}", name=name, role=role)
    return int(token_id)


def _token(r: Any) -> TokenRow:
    return TokenRow(
        r.id, r.name, r.role, r.sha256, r.created, r.created_by, r.revoked, r.revoked_by
    )


def token_by_hash(conn: Connection, sha256: str) -> TokenRow | None:
    """The token with this hash (bound parameter; the unique index finds it)."""
    row = conn.execute(select(t.api_tokens).where(t.api_tokens.c.sha256 == sha256)).first()
    return None if row is None else _token(row)


def list_tokens(conn: Connection, include_revoked: bool) -> list[TokenRow]:
    """Tokens, oldest first."""
    q = select(t.api_tokens).order_by(t.api_tokens.c.id)
    if not include_revoked:
        q = q.where(t.api_tokens.c.revoked.is_(None))
    return [_token(r) for r in conn.execute(q)]


def revoke_token(conn: Connection, token_id: int, by: str, when: datetime) -> bool:
    """Revoke an active token and audit it; False when there was none active with that id."""
    tk = t.api_tokens
    done = conn.execute(
        update(tk).where(tk.c.id == token_id, tk.c.revoked.is_(None))
        .values(revoked=when, revoked_by=by)
    )  # fmt: skip
    if not done.rowcount:
        return False
    audit(conn, when, by, "token.revoke", f"token:{token_id}")
    return True


def audit_trail(conn: Connection, limit: int, before: int | None) -> list[AuditEntry]:
    """The latest ``limit`` lines (ids below ``before``, if given), newest first."""
    a = t.audit
    q = select(a).order_by(a.c.id.desc()).limit(limit)
    if before is not None:
        q = q.where(a.c.id < before)
    return [
        AuditEntry(r.id, r.ts, r.user, r.action, r.target, json.loads(r.detail))
        for r in conn.execute(q)
    ]
