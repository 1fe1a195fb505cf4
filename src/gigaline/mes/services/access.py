"""Access to the HTTP API: bearer tokens with roles, and the audit trail.

A token is ``glt_`` and 43 URL-safe characters: 32 random bytes from :mod:`secrets` (256
bits). Only the SHA-256 of the whole token is stored; the token itself is shown once, when it
is made. Checking a token hashes what was presented, finds the row by that hash (the unique
index) and compares the hashes with :func:`secrets.compare_digest`. A hash of a 256-bit
random secret needs no salt or slow key derivation: nobody can guess such a secret, so there
is no dictionary to slow down (unlike passwords).

Roles are ordered, each including the ones below it: ``viewer`` (read) < ``operator`` (holds
and events) < ``engineer`` (line files and simulations) < ``admin`` (tokens). Making and
revoking tokens is in the audit trail with its user, as are holds (the store records those).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Final, Literal

from gigaline.errors import FieldError, NotFoundError
from gigaline.mes.ports import AccessBook, TokenRow
from gigaline.mes.services.models import (
    AuditLine,
    AuditTrail,
    NewToken,
    Principal,
    TokenInfo,
    TokenList,
    rfc3339,
)

__all__ = [
    "ROLES",
    "TOKEN_PREFIX",
    "Role",
    "audit_trail",
    "authenticate",
    "create_token",
    "has_role",
    "list_tokens",
    "revoke_token",
    "token_hash",
]

Role = Literal["viewer", "operator", "engineer", "admin"]
#: The roles, weakest first: each may do what the ones before it may.
ROLES: Final[tuple[Role, ...]] = ("viewer", "operator", "engineer", "admin")
TOKEN_PREFIX: Final = "glt_"
_SECRET_BYTES: Final = 32
#: Longest token text looked at (a real one is 47 characters): longer is refused unhashed.
_MAX_TOKEN_CHARS: Final = 256


def _check_role(role: str) -> Role:
    if role not in ROLES:
        raise FieldError("role", role, f"one of {', '.join(ROLES)}")
    return role  # type: ignore[return-value]


def has_role(role: str, needed: str) -> bool:
    """Whether ``role`` may do what ``needed`` may (an unknown role may do nothing)."""
    if role not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(_check_role(needed))  # type: ignore[arg-type]


def token_hash(token: str) -> str:
    """The SHA-256 (hex) under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _info(row: TokenRow) -> TokenInfo:
    return TokenInfo(
        id=row.id, name=row.name, role=row.role, created=rfc3339(row.created),
        created_by=row.created_by, revoked=rfc3339(row.revoked), revoked_by=row.revoked_by,
    )  # fmt: skip


def create_token(store: AccessBook, role: str, name: str = "", by: str = "gigaline") -> NewToken:
    """Make a token with ``role``; the result carries the secret, which is not stored."""
    role = _check_role(role)
    name = name.strip() or f"{role} token"
    if len(name) > 128 or not name.isprintable():
        raise FieldError("name", name, "printable text of at most 128 characters")
    token = TOKEN_PREFIX + secrets.token_urlsafe(_SECRET_BYTES)
    when = datetime.now(UTC)
    token_id = store.add_token(name, role, token_hash(token), by, when)
    return NewToken(
        id=token_id, name=name, role=role, created=rfc3339(when), created_by=by,
        revoked=None, revoked_by=None, token=token,
    )  # fmt: skip


def authenticate(store: AccessBook, token: str) -> Principal | None:
    """The principal of an active token; None for anything else (unknown, revoked, malformed)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > _MAX_TOKEN_CHARS:
        return None
    digest = token_hash(token)
    row = store.token_by_hash(digest)
    if row is None or row.revoked is not None:
        return None
    if not secrets.compare_digest(row.sha256, digest):  # constant time, whatever the index did
        return None
    return Principal(name=row.name, role=row.role, token_id=row.id)


def list_tokens(store: AccessBook, include_revoked: bool = False) -> TokenList:
    """Tokens (never their secrets), oldest first: active only unless ``include_revoked``."""
    return TokenList(tokens=[_info(r) for r in store.tokens(include_revoked)])


def revoke_token(store: AccessBook, token_id: int, by: str = "gigaline") -> TokenInfo:
    """Revoke an active token; it is refused from then on."""
    rows = {r.id: r for r in store.tokens(include_revoked=True)}
    row = rows.get(token_id)
    if row is None:
        raise NotFoundError("token_id", token_id, "token")
    if row.revoked is not None or not store.revoke_token(token_id, by, datetime.now(UTC)):
        raise FieldError("token_id", token_id, f"was already revoked at {rfc3339(row.revoked)}")
    again = {r.id: r for r in store.tokens(include_revoked=True)}[token_id]
    return _info(again)


def audit_trail(store: AccessBook, limit: int = 100, before: int | None = None) -> AuditTrail:
    """The latest ``limit`` (1 to 1000) audit lines, newest first."""
    if not 1 <= limit <= 1000:
        raise FieldError("limit", limit, "an integer from 1 to 1000")
    lines = [
        AuditLine(
            id=e.id,
            ts=rfc3339(e.ts),
            user=e.user,
            action=e.action,
            target=e.target,
            detail=e.detail,
        )
        for e in store.audit_trail(limit, before)
    ]
    return AuditTrail(entries=lines)
