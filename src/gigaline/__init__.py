"""gigaline: plan, simulate and run lithium-ion battery cell gigafactories from one line file.

The top level is kept light so that ``gigaline plan`` starts fast: heavy parts (the numba
simulation kernel, the MES store) load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gigaline.errors import GigalineError, LineFileError
from gigaline.model import Line, load_line

__version__ = "0.1.0"

__all__ = ["GigalineError", "Line", "LineFileError", "__version__", "load_line", "simulate"]

if TYPE_CHECKING:  # pragma: no cover
    from gigaline.sim import simulate


def __getattr__(name: str) -> Any:
    if name == "simulate":
        from gigaline.sim import simulate

        return simulate
    raise AttributeError(f"module 'gigaline' has no attribute {name!r}")
