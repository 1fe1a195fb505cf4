"""The floor views of one app: computed once for the pages and live streams that show them,
again as soon as anything newer is stored, and after ``reuse_s`` in any case."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from gigaline.mes.ingest import ingest, submit
from gigaline.mes.services import init_line
from gigaline.mes.sql import SqlStore, open_store
from gigaline.web import views
from tests.mes.conftest import mini_events, mini_line  # noqa: F401 (fixture)


@pytest.fixture
def store(mini_line: Any, tmp_path: Path) -> Iterator[SqlStore]:  # noqa: F811
    s = open_store(f"sqlite:///{tmp_path / 'plant.db'}")
    init_line(s, mini_line)
    assert ingest(s, mini_events(mini_line, days=0.1, seed=5)).rejected == 0
    try:
        yield s
    finally:
        s.close()


def _view(ctx: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in ctx.items() if k != "view_id"}


def _state(store: SqlStore, n: int, station: str, state: str, after_s: float) -> None:
    latest = store.latest_time()
    assert latest is not None
    ts = (latest + timedelta(seconds=after_s)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    event = {"id": f"fv-{n}", "type": "state", "ts": ts, "station": station, "state": state}
    assert submit(store, [event]).accepted == 1


def test_a_view_is_computed_once_until_something_newer_is_stored(store: SqlStore) -> None:
    fv = views.FloorViews(reuse_s=3600.0)
    first = fv.get(store, hours=2.0, station="stack-1")
    assert _view(first) == views.floor_view(store, hours=2.0, station="stack-1")
    again = fv.get(store, hours=2.0, station="stack-1")
    assert fv.computed == 1 and again == first  # its view_id too: the same computation
    again["live_url"] = "/x"  # a caller adds to its copy: the kept view is not changed
    assert "live_url" not in fv.get(store, hours=2.0, station="stack-1")
    fv.get(store, hours=2.0, line="mini MES test line")  # another scope: a view of its own
    fv.get(store, hours=3.0, station="stack-1")  # another window too
    assert fv.computed == 3

    _state(store, 1, "stack-1", "down", after_s=60.0)  # newer than anything stored
    now = fv.get(store, hours=2.0, station="stack-1")
    assert fv.computed == 4
    assert now["floor"].stations[0].state == "down" and now["view_id"] != first["view_id"]
    assert _view(now) == views.floor_view(store, hours=2.0, station="stack-1")


def test_a_view_older_than_reuse_s_is_computed_again(store: SqlStore) -> None:
    fv = views.FloorViews(reuse_s=0.0)
    fv.get(store, hours=2.0, station="stack-1")
    fv.get(store, hours=2.0, station="stack-1")
    assert fv.computed == 2


def test_at_most_size_views_are_kept(store: SqlStore) -> None:
    fv = views.FloorViews(reuse_s=3600.0, size=2)
    for hours in (1.0, 2.0, 3.0):
        fv.get(store, hours=hours, station="stack-1")
    fv.get(store, hours=3.0, station="stack-1")  # kept
    fv.get(store, hours=1.0, station="stack-1")  # the oldest, dropped: computed again
    assert fv.computed == 4 and len(fv._views) == 2


def test_the_floor_timeline_is_what_validated_stretches_give(store: SqlStore) -> None:
    """The drawn stretches are made without validation and their times formatted at once:
    the same as a validated StateSegment of each, its times by rfc3339 one by one."""
    from datetime import datetime

    from gigaline.mes.services.floor import floor
    from gigaline.mes.services.models import StateSegment, rfc3339

    f = floor(store, hours=2.0, timeline_stations=5, state_times=False)
    assert len(f.timeline) > 20
    for seg in f.timeline:
        again = StateSegment.model_validate(seg.model_dump())
        assert again == seg and type(seg.duration_s) is float
        for text in (seg.start, seg.end):
            assert text is not None
            assert rfc3339(datetime.fromisoformat(text.replace("Z", "+00:00"))) == text


@pytest.mark.parametrize("max_bars", [0, 10_000])
@pytest.mark.parametrize("where", [{}, {"line": "mini MES test line"}, {"station": "stack-1"}])
def test_the_view_draws_from_the_stretches_what_the_floor_timeline_gives(
    store: SqlStore, monkeypatch: Any, max_bars: int, where: dict[str, str]
) -> None:
    """The view's timeline, drawn from the stretches as columns (no StateSegment each), is the
    chart of the floor's own timeline, binned or as bars; the tiles are the floor's."""
    from gigaline.mes.services.floor import floor
    from gigaline.web import charts

    monkeypatch.setattr(charts, "MAX_BARS", max_bars)
    latest = store.latest_time()
    assert latest is not None
    until = latest + timedelta(microseconds=1)
    ctx = views.floor_view(store, hours=2.0, until=until, **where)  # type: ignore[arg-type]
    f = floor(store, hours=2.0, until=until, timeline_stations=views.TIMELINE_STATIONS,
              state_times="station" in where, **where)  # type: ignore[arg-type]  # fmt: skip
    assert len(f.timeline) > (1 if "station" in where else 20)
    shown = [s.station for s in f.stations][: views.TIMELINE_STATIONS]
    assert ctx["charts"]["timeline"] == charts.timeline_figure(f, shown)
    kinds = {t["type"] for t in ctx["charts"]["timeline"]["data"]}
    assert kinds == ({"heatmap", "bar"} if max_bars == 0 else {"bar"})
    assert ctx["floor"].stations == f.stations and ctx["floor"].timeline == []


@pytest.mark.parametrize("where", [{}, {"line": "mini MES test line"}, {"station": "stack-1"}])
def test_the_floor_computed_beside_live_oee_is_what_one_after_the_other_gives(
    store: SqlStore, where: dict[str, str]
) -> None:
    """The view computes the floor in a thread beside live OEE: the same tiles and OEE rows as
    the floor and live OEE computed one after the other."""
    from gigaline.mes.services.floor import floor
    from gigaline.mes.services.oee import live_oee

    latest = store.latest_time()
    assert latest is not None
    until = latest + timedelta(microseconds=1)
    since = until - timedelta(hours=2)
    ctx = views.floor_view(store, hours=2.0, until=until, **where)  # type: ignore[arg-type]
    f = floor(store, hours=2.0, until=until, timeline_stations=views.TIMELINE_STATIONS,
              state_times="station" in where, **where)  # type: ignore[arg-type]  # fmt: skip
    assert ctx["floor"] == f.model_copy(update={"timeline": []})
    scopes = [{"station": where["station"]}] if "station" in where else (
        [{"line": where["line"]}] if "line" in where else [{"line": "mini MES test line"}]
    )  # fmt: skip
    reports = [live_oee(store, since=since, until=until, now=until, **s) for s in scopes]  # type: ignore[arg-type]
    want = {f"{r.scope}:{r.name}": r for rep in reports for r in rep.rows}
    assert ctx["oee"] == want and len(want) >= 1
    assert ctx["pareto"] == [c for rep in reports for c in rep.pareto]


@pytest.mark.parametrize("where", [{"line": "no such line"}, {"station": "no-such-1"}])
def test_an_unknown_scope_is_the_floors_not_found(store: SqlStore, where: dict[str, str]) -> None:
    """The floor's error, as when it ran first (live OEE's own says it otherwise)."""
    from gigaline.errors import NotFoundError
    from gigaline.mes.services.floor import floor

    with pytest.raises(NotFoundError) as got:
        views.floor_view(store, hours=2.0, **where)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError) as want:
        floor(store, hours=2.0, **where)  # type: ignore[arg-type]
    assert str(got.value) == str(want.value) and "; lines" not in str(got.value)
