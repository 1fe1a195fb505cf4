"""The routers of the API, each on one concern; :func:`gigaline.api.create_app` mounts them
under ``/api/v1``."""

from __future__ import annotations

from fastapi import APIRouter

from gigaline.api.routes import access, events, mes, oee, plan, simulations, system

__all__ = ["ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (
    system.router,
    mes.router,
    oee.router,
    events.router,
    plan.router,
    simulations.router,
    access.router,
)
