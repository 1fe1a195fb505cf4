"""Live OEE per ISO 22400-2:2014 (gigaline.mes.services.oee) against a worked example.

The example (also in docs/live.md), computed by hand from the standard's definitions
(ISO 22400-2:2014, 6.10: availability = APT / PBT, effectiveness = PRI x PQ / APT, quality rate
= GQ / PQ, PBT = POT - PDOT): the step ``assemble`` of two stations, PRI 60 s, two 8-hour
shifts from midnight, window 2026-01-05 06:00 to 18:00 UTC (12 h), silence 3600 s.

* assemble-1: running since 05:00 (a cell at 05:59:24, before the window: no silence at
  06:00); down (jam) 08:00-09:00; setup (changeover) 12:00-12:30; stopped from 16:00
  (inside the planned stop). 500 records, one every 61.2 s of its running time, 10 NG.
  POT 43,200; PDOT 7,200 (16:00-18:00); PBT 36,000; APT 36,000 - 3,600 - 1,800 = 30,600.
  A = 0.85, E = 60 x 500 / 30,600 = 0.980392, Q = 0.98, OEE = 490 x 60 / 36,000 = 0.816667.
* assemble-2: no state before 10:00 (unqualified 06:00-10:00, 14,400 s); running from 10:00,
  100 OK records 10:00-11:00, then nothing until blocked (downstream full) at 15:00: silent
  while running 12:00-15:00 (10,800 s unqualified); blocked 15:00-16:00.
  PBT 36,000; APT 7,200; A = 0.2, E = 60 x 100 / 7,200 = 0.833333, Q = 1, OEE = 0.166667.
* the step: POT 86,400, PDOT 14,400, PBT 72,000, APT 37,800, PQ 600, GQ 590:
  A = 0.525, E = 36,000 / 37,800 = 0.952381, Q = 0.983333, OEE = 590 x 60 / 72,000 = 0.491667.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gigaline.errors import FieldError, NotFoundError
from gigaline.mes.ingest import submit
from gigaline.mes.memory import MemoryStore
from gigaline.mes.services import init_line
from gigaline.mes.services.oee import live_oee
from gigaline.mes.sql import open_store
from gigaline.model import load_line
from tests.mes.conftest import _pg_schema_url

LINE = Path(__file__).resolve().parents[2] / "examples" / "oee-example.yaml"
DAY = datetime(2026, 1, 5, tzinfo=UTC)
SINCE, UNTIL = DAY + timedelta(hours=6), DAY + timedelta(hours=18)


def _t(h: float) -> str:
    return (DAY + timedelta(hours=h)).isoformat().replace("+00:00", "Z")


def example_events() -> list[dict[str, Any]]:
    ev: list[dict[str, Any]] = []

    def state(station: str, h: float, st: str, reason: str | None = None) -> None:
        e = {"id": f"s-{station}-{h}", "type": "state", "ts": _t(h), "station": station,
             "state": st}  # fmt: skip
        if reason:
            e["reason"] = reason
        ev.append(e)

    def record(station: str, i: int, h: float, ok: bool) -> None:
        e = {"id": f"p-{station}-{i}", "type": "process", "ts": _t(h), "station": station,
             "step": "assemble", "unit": f"C-{station}-{i}", "unit_type": "cell",
             "result": "OK" if ok else "NG"}  # fmt: skip
        if not ok:
            e["reason"] = "misalign"
        ev.append(e)

    state("assemble-1", 5, "running")
    record("assemble-1", 500, 5.99, ok=True)  # before the window: not silent at 06:00
    state("assemble-1", 8, "down", "jam")
    state("assemble-1", 9, "running")
    state("assemble-1", 12, "setup", "changeover")
    state("assemble-1", 12.5, "running")
    state("assemble-1", 16, "stopped")
    running = [(6.0, 8.0), (9.0, 12.0), (12.5, 16.0)]  # 30,600 s
    for i in range(500):  # one every 61.2 s of running time
        left = (i + 0.5) * 61.2 / 3600
        for a, b in running:
            if left < b - a:
                break
            left -= b - a
        record("assemble-1", i, a + left, ok=i % 50 != 0)
    state("assemble-2", 10, "running")
    for i in range(100):  # 10:00 .. 11:00, the last at 11:00
        record("assemble-2", i, 10 + (i + 1) / 100, ok=True)
    state("assemble-2", 15, "blocked", "downstream full")
    return ev


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def example_store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    drop = None
    if request.param == "memory":
        store: Any = MemoryStore()
    elif request.param == "sqlite":
        store = open_store(str(tmp_path / "x.db"))
    else:
        url, drop = _pg_schema_url(request.getfixturevalue("postgres_url"))
        store = open_store(url)
    init_line(store, load_line(LINE))
    res = submit(store, example_events())
    assert (res.accepted, res.rejected) == (len(example_events()), 0)
    yield store
    store.close()
    if drop is not None:
        drop()


def test_the_worked_example(example_store: Any) -> None:
    rep = live_oee(example_store, step="assemble", since=SINCE, until=UNTIL, silence_s=3600)
    step, one, two = rep.rows
    assert (step.scope, one.name, two.name) == ("step", "assemble-1", "assemble-2")
    assert (one.planned_operation_s, one.planned_downtime_s, one.planned_busy_s) == (
        43200, 7200, 36000,
    )  # fmt: skip
    assert (one.production_s, one.produced, one.good, one.unqualified_s) == (30600, 500, 490, 0)
    assert one.availability == pytest.approx(0.85, abs=1e-12)
    assert one.performance == pytest.approx(60 * 500 / 30600, abs=1e-12)
    assert one.quality == pytest.approx(0.98, abs=1e-12)
    assert one.oee == pytest.approx(490 * 60 / 36000, abs=1e-12)
    assert (two.production_s, two.unqualified_s, two.produced, two.good) == (7200, 25200, 100, 100)
    assert (two.availability, two.quality) == (pytest.approx(0.2), 1.0)
    assert two.performance == pytest.approx(60 * 100 / 7200)
    assert two.oee == pytest.approx(100 * 60 / 36000)
    assert (step.planned_operation_s, step.planned_downtime_s, step.production_s) == (
        86400, 14400, 37800,
    )  # fmt: skip
    assert step.availability == pytest.approx(0.525)
    assert step.performance == pytest.approx(36000 / 37800)
    assert step.oee == pytest.approx(590 * 60 / 72000)
    pareto = [(c.state, c.reason, c.seconds, c.occurrences) for c in rep.pareto]
    assert pareto == [
        ("unqualified", None, 14400, 0),  # standing at the window's start: began before it
        ("unqualified", "silent while running", 10800, 1),
        ("blocked", "downstream full", 3600, 1),
        ("down", "jam", 3600, 1),
        ("setup", "changeover", 1800, 1),
    ]
    assert rep.pareto[-1].cumulative == pytest.approx(1.0)
    assert sum(c.seconds for c in rep.pareto) == step.downtime_s == 72000 - 37800


def test_by_shift_and_the_line(example_store: Any) -> None:
    rep = live_oee(example_store, station="assemble-1", since=SINCE, until=UNTIL, by="shift",
                   silence_s=3600)  # fmt: skip
    assert [(r.shift, r.planned_busy_s, r.production_s, r.produced) for r in rep.rows] == [
        ("2026-01-05 shift 1", 7200, 7200, 118),  # records 0 .. 117 end before 08:00
        ("2026-01-05 shift 2", 28800, 28800 - 3600 - 1800, 500 - 118),
    ]
    line = live_oee(example_store, since=SINCE, until=UNTIL, silence_s=3600)
    assert [(r.scope, r.name) for r in line.rows] == [("line", "oee example line"),
                                                      ("step", "assemble")]  # fmt: skip
    assert line.rows[0].oee == pytest.approx(line.rows[1].oee, abs=1e-12)


def test_a_window_clipped_to_now_and_unqualified_at_the_end(example_store: Any) -> None:
    """Asked live at 14:00 with the default silence (2 h): assemble-2 has said nothing since
    11:00, so 13:00-14:00 is unqualified; the window ends at now, not at ``until``."""
    now = DAY + timedelta(hours=14)
    rep = live_oee(example_store, station="assemble-2", since=SINCE, until=UNTIL, now=now,
                   silence_s=7200)  # fmt: skip
    row = rep.rows[0]
    assert rep.until == "2026-01-05T14:00:00Z"
    assert (row.planned_operation_s, row.production_s) == (8 * 3600, 3 * 3600)
    assert row.unqualified_s == 4 * 3600 + 3600


def test_mistakes_are_named(example_store: Any) -> None:
    with pytest.raises(NotFoundError, match="station"):
        live_oee(example_store, station="nope", since=SINCE, until=UNTIL)
    with pytest.raises(NotFoundError, match="step"):
        live_oee(example_store, step="nope", since=SINCE, until=UNTIL)
    with pytest.raises(FieldError, match="since"):
        live_oee(example_store, since=UNTIL, until=SINCE)
    with pytest.raises(FieldError):
        live_oee(example_store, station="assemble-1", step="assemble")


def test_the_command_reads_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``gigaline oee`` never creates a database and never writes to one."""
    import hashlib

    from gigaline.cli import main

    missing = tmp_path / "none.db"
    assert main(["oee", "--db", str(missing)]) == 2
    assert "no such database" in capsys.readouterr().err
    assert not missing.exists()
    db = tmp_path / "x.db"
    store = open_store(str(db))
    init_line(store, load_line(LINE))
    submit(store, example_events())
    store.close()
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    argv = ["oee", "--db", str(db), "--since", "2026-01-05T06:00Z", "--until",
            "2026-01-05T18:00Z", "--json"]  # fmt: skip
    assert main(argv) == 0
    import json

    rows = json.loads(capsys.readouterr().out)["rows"]
    assert rows[0]["oee"] == pytest.approx(590 * 60 / 72000)  # as GQ x PRI / PBT, any silence
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert main(["oee", "--db", str(db), "--step", "nope"]) == 2
    assert "no step 'nope' in the store" in capsys.readouterr().err
    assert main(["oee", "--db", str(db), "--since", "yesterday"]) == 2
    assert "--since" in capsys.readouterr().err
