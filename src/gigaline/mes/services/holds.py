"""Holds: stop every unit affected by a suspect lot or unit, list holds, release them.

A hold on a lot or unit covers the target (if a unit) and every unit made from it (forward
genealogy at the time of the hold); units made later from a held unit join the hold at
ingestion. Putting and releasing a hold are both recorded: who, when and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

from gigaline.errors import FieldError, NotFoundError
from gigaline.mes.ports import GenealogyReader, HoldBook, HoldRow, NewHold
from gigaline.mes.services.models import (
    Hold,
    HoldContents,
    HoldList,
    HoldStatus,
    Release,
    rfc3339,
)

__all__ = [
    "HoldStore",
    "close_over_genealogy",
    "hold_contents",
    "hold_status",
    "list_holds",
    "new_hold_summary",
    "place_hold",
    "release_hold",
]


class HoldStore(HoldBook, GenealogyReader, Protocol):
    """The doors holds use: the hold book and the genealogy."""


def _reason(reason: str) -> None:
    if not reason.strip():
        raise FieldError("reason", reason, "must say why (it is recorded)")


def close_over_genealogy(store: GenealogyReader, units: Iterable[str]) -> list[str]:
    """``units`` and every unit made from them, each once, in that order."""
    affected = dict.fromkeys(units)
    for unit in list(affected):
        affected.update(dict.fromkeys(u for u, _ in store.descendants(unit)))
    return list(affected)


def new_hold_summary(hold_id: int, hold: NewHold) -> Hold:
    """The :class:`Hold` result of a hold just stored."""
    return Hold(
        id=hold_id,
        target=hold.target,
        reason=hold.reason,
        created=rfc3339(hold.created),
        created_by=hold.by,
        units=len(hold.units),
    )


def place_hold(store: HoldStore, target: str, reason: str, by: str = "gigaline") -> Hold:
    """Put ``target`` (a lot or unit) and every unit containing it on a new hold."""
    _reason(reason)
    kind = store.kind_of(target)
    if kind is None:
        raise NotFoundError("target", target, "lot or unit")
    affected = [u for u, _ in store.descendants(target)]
    if kind == "unit":
        affected.insert(0, target)
    hold = NewHold(target, affected, reason, by, datetime.now(UTC))
    return new_hold_summary(store.add_hold(hold), hold)


def _status(h: HoldRow) -> HoldStatus:
    return HoldStatus(
        id=h.id, target=h.target, reason=h.reason, created=rfc3339(h.created),
        created_by=h.created_by, released=rfc3339(h.released), release_reason=h.release_reason,
        released_by=h.released_by, units=h.units,
    )  # fmt: skip


def list_holds(store: HoldBook, include_released: bool = False) -> HoldList:
    """Holds, newest first: active only unless ``include_released``."""
    return HoldList(holds=[_status(h) for h in store.holds(include_released)])


def hold_contents(store: HoldBook, hold_id: int, limit: int = 1000) -> HoldContents:
    """The hold ``hold_id`` and the first ``limit`` (1 to 100,000) units it covers, by name."""
    if not 1 <= limit <= 100_000:
        raise FieldError("limit", limit, "an integer from 1 to 100000")
    row = store.get_hold(hold_id)
    if row is None:
        raise NotFoundError("hold_id", hold_id, "hold")
    return HoldContents(hold=_status(row), units=store.hold_units(hold_id, limit))


def hold_status(store: HoldBook, hold_id: int) -> HoldStatus:
    """One stored hold, active or released."""
    row = store.get_hold(hold_id)
    if row is None:
        raise NotFoundError("hold_id", hold_id, "hold")
    return _status(row)


def release_hold(store: HoldBook, hold_id: int, reason: str, by: str = "gigaline") -> Release:
    """Release an active hold, recording why and by whom."""
    _reason(reason)
    row = store.get_hold(hold_id)
    if row is None:
        raise NotFoundError("hold_id", hold_id, "hold")
    now = datetime.now(UTC)
    if row.released is not None or not store.release_hold(hold_id, reason, by, now):
        again = store.get_hold(hold_id)
        when = rfc3339(again.released if again is not None else row.released)
        raise FieldError("hold_id", hold_id, f"was already released at {when}")
    return Release(id=hold_id, released=rfc3339(now), release_reason=reason, released_by=by)
