"""The HTTP API (layer 3): FastAPI over the MES services, the planner and the twin.

:func:`create_app` makes the app from one :class:`~gigaline.settings.Settings`;
``gigaline serve`` serves it with uvicorn. Routes live in :mod:`gigaline.api.routes` under
``/api/v1``; who may call them is :func:`~gigaline.api.deps.require` (bearer tokens with
roles); errors are problem details (:mod:`gigaline.api.problems`); bodies are bounded
(:mod:`gigaline.api.limits`). docs/api.md describes it for users. The dashboard
(:mod:`gigaline.web`) stands above this package and may import it, never the reverse.
"""

from gigaline.api.app import API_PREFIX, create_app
from gigaline.api.deps import require

__all__ = ["API_PREFIX", "create_app", "require"]
