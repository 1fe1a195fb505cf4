"""Tokens and the audit trail (admin only): list, create, revoke; read the trail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from gigaline.api.deps import ApiStore, get_store, require
from gigaline.api.problems import responses
from gigaline.mes.services import access
from gigaline.mes.services.access import Role
from gigaline.mes.services.models import AuditTrail, NewToken, Principal, TokenInfo, TokenList

__all__ = ["TokenRequest", "router"]

router = APIRouter(tags=["access"], responses=responses(401, 403))
Admin = Annotated[Principal, Depends(require("admin"))]
StoreDep = Annotated[ApiStore, Depends(get_store)]


class TokenRequest(BaseModel):
    """A token to make: its role and a name saying whose it is (recorded as the user)."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    name: str = Field(default="", max_length=128, description="Whose token (default: ROLE token)")


@router.get("/tokens", response_model=TokenList, summary="API tokens (never their secrets)")
def list_tokens(
    _: Admin, store: StoreDep, include_revoked: Annotated[bool, Query()] = False
) -> TokenList:
    return access.list_tokens(store, include_revoked)


@router.post(
    "/tokens",
    response_model=NewToken,
    status_code=201,
    responses=responses(413, 422),
    summary="Make a token (its secret is in this answer only)",
)
def create_token(who: Admin, store: StoreDep, body: TokenRequest) -> NewToken:
    return access.create_token(store, body.role, body.name, by=who.name)


@router.delete(
    "/tokens/{token_id}",
    response_model=TokenInfo,
    responses=responses(404, 422),
    summary="Revoke a token",
)
def revoke_token(who: Admin, store: StoreDep, token_id: int) -> TokenInfo:
    return access.revoke_token(store, token_id, by=who.name)


@router.get(
    "/audit", response_model=AuditTrail, responses=responses(422), summary="The audit trail"
)
def audit_trail(
    _: Admin,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[int | None, Query(description="Only lines with an id below this")] = None,
) -> AuditTrail:
    return access.audit_trail(store, limit, before)
