"""Helpers of the live-connector tests: the stored states, a scripted line."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from gigaline.events.equipment import MACHINE_STATES
from gigaline.mes.sql import SqlStore

T0 = 1_764_316_800_000  # 2025-11-28T08:00:00Z [ms]
STATIONS = ("stack-1", "fill-1", "fill-2")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def stored_states(store: SqlStore) -> list[tuple[str, int, str, str | None]]:
    """(station, ts [ms], state, reason) of every stored machine state, in time order."""
    sql = (
        "SELECT s.name, m.ts, m.state, m.reason FROM machine_states m"
        " JOIN stations s ON s.id = m.station_id ORDER BY m.ts, s.name"
    )
    with store.engine.connect() as conn:
        rows = conn.execute(text(sql)).all()
    out = []
    for name, ts, state, reason in rows:
        if isinstance(ts, str):
            ts = datetime.fromisoformat(ts).replace(tzinfo=UTC)
        elif ts.tzinfo is None:
            ts = ts.replace(tzinfo=UTC)
        out.append((name, (ts - _EPOCH) // timedelta(milliseconds=1), state, reason))
    return sorted(out, key=lambda r: (r[1], r[0]))


def dead_letters(store: SqlStore) -> list[tuple[str, str]]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT reason, raw FROM dead_letters"))]  # type: ignore[misc]


def script(n: int, seed: int = 1) -> list[tuple[str, int, str, str]]:
    """``n`` state changes over the stations: (station, ts [ms], state, reason)."""
    rng = random.Random(seed)
    ts = T0
    last = dict.fromkeys(STATIONS, "idle")
    out: list[tuple[str, int, str, str]] = []
    while len(out) < n:
        ts += rng.randint(1, 5_000)
        station = rng.choice(STATIONS)
        state = rng.choice([s for s in MACHINE_STATES if s != last[station]])
        reason = "" if state == "running" else rng.choice(["jam", "no cells", "web break", ""])
        last[station] = state
        out.append((station, ts, state, reason))
    return out


def expected_states(
    changes: list[tuple[str, int, str, str]],
) -> list[tuple[str, int, str, str | None]]:
    """What the store must hold: each station's initial idle at T0, then every change."""
    rows: list[tuple[str, int, str, str | None]] = [(s, T0, "idle", None) for s in STATIONS]
    rows += [(s, ts, state, reason or None) for s, ts, state, reason in changes]
    return sorted(rows, key=lambda r: (r[1], r[0]))


def drive(node: Any, changes: list[tuple[str, int, str, str]]) -> None:
    for i, (station, ts, state, reason) in enumerate(changes):
        node.update(station, ts, state=state, stop_reason=reason, processed=i)
