"""The routers of the API, each on one concern; :func:`gigaline.api.create_app` mounts them
under ``/api/v1``."""

from __future__ import annotations

from fastapi import APIRouter

from gigaline.api.routes import access, system

__all__ = ["ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (system.router, access.router)
