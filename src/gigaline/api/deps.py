"""What routes depend on: the store, the settings and who is asking (:func:`require`).

Every route names the weakest role it admits with ``Depends(require("operator"))``, which
returns the :class:`~gigaline.mes.services.models.Principal` (the token's name is the user
recorded in holds and the audit trail). No or an unknown token: 401 with ``WWW-Authenticate:
Bearer``; a weaker role: 403. In demo mode (loopback only) every request is the admin
``demo``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Annotated, Protocol

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gigaline.api.problems import ProblemError
from gigaline.mes.ports import AccessBook, Store
from gigaline.mes.services.access import ROLES, Role, authenticate, has_role
from gigaline.mes.services.models import Principal
from gigaline.settings import Settings

__all__ = ["DEMO", "ApiStore", "get_settings", "get_store", "require"]

#: The principal of every request in demo mode.
DEMO = Principal(name="demo", role="admin", token_id=None)

_bearer = HTTPBearer(
    auto_error=False,
    description="A token from `gigaline token create --role ROLE --db URL`: "
    "Authorization: Bearer glt_...",
)


class ApiStore(Store, AccessBook, Protocol):
    """The doors the API uses: every store port and the access book."""


def get_store(request: Request) -> ApiStore:
    """The app's store (opened by :func:`gigaline.api.create_app`)."""
    store: ApiStore = request.app.state.store
    return store


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, detail, headers={"WWW-Authenticate": 'Bearer realm="gigaline"'})


@cache
def require(role: Role) -> Callable[..., Principal]:
    """A dependency admitting ``role`` and the roles above it; it returns the principal."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def principal(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        if get_settings(request).api_demo:
            return DEMO
        if credentials is None:
            raise _unauthorized("this needs a bearer token (Authorization: Bearer glt_...)")
        who = authenticate(get_store(request), credentials.credentials)
        if who is None:
            raise _unauthorized("the bearer token is not valid (unknown or revoked)")
        if not has_role(who.role, role):
            raise ProblemError(
                403, f"this needs the role {role} or above; the token {who.name!r} is {who.role}"
            )
        return who

    principal.__name__ = f"require_{role}"
    return principal
