"""gigaline: plan, simulate and run lithium-ion battery cell gigafactories from one line file.

The top level is kept light so that ``gigaline plan`` starts fast and the event contract
(:mod:`gigaline.events`) loads alone: heavy parts (the line model, the numba simulation kernel,
the MES store) load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gigaline.errors import GigalineError, LineFileError

__version__ = "0.1.0"

__all__ = ["GigalineError", "Line", "LineFileError", "__version__", "load_line", "simulate"]

if TYPE_CHECKING:  # pragma: no cover
    from gigaline.model import Line, load_line
    from gigaline.sim import simulate


def __getattr__(name: str) -> Any:
    # Lazy, so that ``import gigaline.events`` (layer 0, for connectors) does not load the line
    # model (pydantic, PyYAML, the reference data).
    if name in ("Line", "load_line"):
        from gigaline import model

        return getattr(model, name)
    if name == "simulate":
        from gigaline.sim import simulate

        return simulate
    raise AttributeError(f"module 'gigaline' has no attribute {name!r}")
