"""SPC alarms as stored: the latest, of one step and parameter or of all (reading only)."""

from __future__ import annotations

from gigaline.errors import FieldError
from gigaline.mes.ports import AlarmBook
from gigaline.mes.services.models import AlarmInfo, AlarmList, rfc3339

__all__ = ["list_alarms"]


def list_alarms(
    store: AlarmBook, step: str | None = None, param: str | None = None, limit: int = 100
) -> AlarmList:
    """The latest ``limit`` (1 to 10,000) alarms, newest first, with the hold each started."""
    if not 1 <= limit <= 10_000:
        raise FieldError("limit", limit, "an integer from 1 to 10,000")
    return AlarmList(
        alarms=[
            AlarmInfo(
                key=a.key,
                raised=rfc3339(a.raised),
                ts=rfc3339(a.ts),
                step=a.step,
                param=a.param,
                chart=a.chart,
                rules=a.rules,
                rule=a.rule,
                value=a.value,
                center=a.center,
                lcl=a.lcl,
                ucl=a.ucl,
                units=a.units,
                message=a.message,
                hold_id=hold_id,
            )
            for a, hold_id in store.recent_alarms(limit, step, param)
        ]
    )
