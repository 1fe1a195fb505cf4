"""The virtual line's pacing: the clock's lag says how far the line fell behind its schedule.

An event stamped earlier than the one played before it (a record of a unit in process at the
start, written when the unit first moves) is played at once and counted in ``out_of_order``;
it must not count as lag: asked for its due time, the clock would report the event's age
(here 300 twin s, 0.3 wall s at 1000x) as the line being late. The reference line at 100x
showed a ``max_lag_s`` of 10.84 s from five such records while it kept its schedule (0.25 s
once they are not asked).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from gigaline.model import load_line
from gigaline.virtual.line import VirtualLine

LINE = Path(__file__).resolve().parents[1] / "mes" / "lines" / "mini.yaml"
START = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)


def _iso(s: float) -> str:
    return (START + timedelta(seconds=s)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _state(t_s: float, state: str) -> dict[str, Any]:
    return {"type": "state", "station": "stack-1", "ts": _iso(t_s), "state": state}


def test_an_event_out_of_order_is_not_lag(mosquitto: Any, tmp_path: Path) -> None:
    line = load_line(LINE)
    events = [
        _state(400.0, "running"),
        _state(700.0, "idle"),
        _state(400.0, "down"),  # 300 s earlier than the one before: played at once
        _state(900.0, "running"),
    ]
    speed = 1000.0
    vl = VirtualLine(
        line, mosquitto.url, events, start=START, end=START + timedelta(seconds=1000),
        speed=speed, outbox=tmp_path / "outbox.db",
    )  # fmt: skip
    truth = vl.run()
    assert truth.events == 4 and truth.out_of_order == 1
    # the in-order events were waited for on schedule; the late one would have shown
    # 300 / 1000 = 0.3 s of lag (plus scheduling noise)
    assert truth.max_lag_s < 0.15, truth.max_lag_s
    # the window took its 1 s of wall time: the out-of-order event did not shift the schedule
    assert 0.95 <= truth.wall_s < 10.0
