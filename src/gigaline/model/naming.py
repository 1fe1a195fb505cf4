"""Names derived from a line file that every job shares (the MES, the generator, the twin).

Stations: a step with ``machines: n`` has the stations ``<step id>-1`` .. ``<step id>-n``
(ISA-95 work units); equipment events name them.
"""

from __future__ import annotations

import re

__all__ = ["station_names", "station_order"]


def station_names(step_id: str, machines: int) -> list[str]:
    """The station names of a step: ``<step id>-1`` .. ``<step id>-<machines>``."""
    return [f"{step_id}-{k}" for k in range(1, machines + 1)]


def station_order(name: str) -> tuple[tuple[int, int, str], ...]:
    """A sort key putting station names in their numbers' order: ``stack-2`` before
    ``stack-10`` (``sorted`` of the plain names puts ``stack-10`` first)."""
    return tuple((1, int(part), "") if part.isdigit() else (0, 0, part)
                 for part in re.split(r"(\d+)", name) if part)  # fmt: skip
