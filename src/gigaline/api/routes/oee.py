"""Live OEE per ISO 22400-2 and the downtime Pareto over HTTP (the service of ``gigaline
oee``, :func:`gigaline.mes.services.oee.live_oee`): reading only, for a viewer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from gigaline.api.deps import ApiStore, get_settings, get_store, require
from gigaline.api.problems import responses
from gigaline.mes.services.models import DowntimeCause, OeeReport, Principal
from gigaline.mes.services.oee import live_oee
from gigaline.settings import Settings

__all__ = ["OeeQuery", "router"]

router = APIRouter(tags=["oee"], responses=responses(401, 403, 404, 422))


class OeeQuery(BaseModel):
    """What to measure: one station, step or line (default: the store's line), the window
    [since, until) (default: the 24 h before now), and per shift or not."""

    station: str | None = Field(default=None, max_length=128)
    step: str | None = Field(default=None, max_length=128)
    line: str | None = Field(default=None, max_length=128)
    since: datetime | None = None
    until: datetime | None = None
    by: Literal["shift"] | None = None
    silence_s: float | None = Field(
        default=None, gt=0, le=10 * 86_400,
        description="Silence while running that counts as unqualified downtime (default: "
        "the setting oee_silence_s)",
    )  # fmt: skip


def _report(store: ApiStore, settings: Settings, q: OeeQuery) -> OeeReport:
    return live_oee(
        store, station=q.station, step=q.step, line=q.line, since=q.since, until=q.until,
        by=q.by, silence_s=q.silence_s if q.silence_s is not None else settings.oee_silence_s,
    )  # fmt: skip


@router.get("/oee", response_model=OeeReport, summary="OEE, its factors and the downtime Pareto")
def get_oee(
    _: Annotated[Principal, Depends(require("viewer"))],
    store: Annotated[ApiStore, Depends(get_store)],
    settings: Annotated[Settings, Depends(get_settings)],
    q: Annotated[OeeQuery, Query()],
) -> OeeReport:
    return _report(store, settings, q)


@router.get(
    "/downtime", response_model=list[DowntimeCause], summary="The downtime Pareto, largest first"
)
def get_downtime(
    _: Annotated[Principal, Depends(require("viewer"))],
    store: Annotated[ApiStore, Depends(get_store)],
    settings: Annotated[Settings, Depends(get_settings)],
    q: Annotated[OeeQuery, Query()],
) -> list[DowntimeCause]:
    return _report(store, settings, q).pareto
