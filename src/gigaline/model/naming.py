"""Names derived from a line file that every job shares (the MES, the generator, the twin).

Stations: a step with ``machines: n`` has the stations ``<step id>-1`` .. ``<step id>-n``
(ISA-95 work units); equipment events name them.
"""

from __future__ import annotations

__all__ = ["station_names"]


def station_names(step_id: str, machines: int) -> list[str]:
    """The station names of a step: ``<step id>-1`` .. ``<step id>-<machines>``."""
    return [f"{step_id}-{k}" for k in range(1, machines + 1)]
