"""``/health`` (no token: for load balancers and the dashboard's status) and ``/whoami``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from gigaline import __version__
from gigaline.api.deps import get_settings, require
from gigaline.api.problems import responses
from gigaline.mes.services.models import Principal
from gigaline.settings import Settings

__all__ = ["Health", "router"]

router = APIRouter(tags=["system"])


class Health(BaseModel):
    """The server is up: its version, and whether it serves without tokens (demo)."""

    status: Literal["ok"]
    version: str
    demo: bool


@router.get("/health", response_model=Health, summary="Is the server up (no token needed)")
def health(settings: Annotated[Settings, Depends(get_settings)]) -> Health:
    return Health(status="ok", version=__version__, demo=settings.api_demo)


@router.get(
    "/whoami", response_model=Principal, responses=responses(401), summary="The token's principal"
)
def whoami(who: Annotated[Principal, Depends(require("viewer"))]) -> Principal:
    return who
