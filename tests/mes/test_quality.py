"""SPC, alarms, holds and grading on stored data, on SQLite and PostgreSQL.

The oracle is the pure maths on the same numbers: the values of the generated event stream,
put through :func:`gigaline.quality.control_chart`, :func:`capability`, :func:`grade_cells`
and :func:`match_cells` directly, must give what the MES computes from its database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from gigaline.cli import main
from gigaline.mes.generate import generate_events
from gigaline.mes.ingest import ingest
from gigaline.mes.services import (
    grade_stored_cells,
    init_line,
    list_holds,
    release_hold,
    run_spc,
    trace,
)
from gigaline.mes.sql import SqlStore, open_store
from gigaline.mes.sql import tables as t
from gigaline.model import Line
from gigaline.model.quality import QualitySpec
from gigaline.quality import (
    capability,
    control_chart,
    grade_cells,
    k_value_mv_per_day,
    match_cells,
)

from .conftest import _pg_schema_url, mini_events

QUALITY = QualitySpec.model_validate(
    {
        "specs": [
            {"step": "fill", "param": "fill_mass_g", "lsl": 25.0, "usl": 27.0, "target": 26.0},
            {"step": "form", "param": "charge_capacity_ah", "lsl": 15.0, "usl": 17.0},
        ],
        "grades": [
            {"name": "A", "capacity_ah": {"min": 20.2}, "dcir_mohm": {"max": 0.22},
             "k_mv_per_day": {"max": 0.4}},
            {"name": "B", "capacity_ah": {"min": 19.9}, "k_mv_per_day": {"max": 0.5}},
        ],
        "matching": {"cells_per_module": 4, "capacity_spread_ah": 0.2,
                     "dcir_spread_mohm": 0.02, "ocv_spread_mv": 1.0, "grades": ["A", "B"]},
    }
)  # fmt: skip


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def day(mini_line: Line) -> list[dict[str, Any]]:
    return mini_events(mini_line, days=1.5, seed=5)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def loaded(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    mini_line: Line,
    day: list[dict[str, Any]],
) -> Iterator[tuple[str, SqlStore]]:
    """One store per backend and module, with the line (and its quality section) and the data."""
    drop = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('q') / 'q.db'}"
    else:
        url, drop = _pg_schema_url(request.getfixturevalue("postgres_url"))
    store = open_store(url)
    try:
        init_line(store, mini_line.model_copy(update={"quality": QUALITY}))
        assert ingest(store, day).rejected == 0
        yield url, store
    finally:
        store.close()
        if drop is not None:
            drop()


def _series(events: list[dict[str, Any]], step: str, param: str) -> tuple[list[str], np.ndarray]:
    """Units and values of ``param`` at ``step`` in stored order (time, then arrival)."""
    recs = [e for e in events if e["type"] == "process" and e["step"] == step
            and param in e.get("params", {})]  # fmt: skip
    recs.sort(key=lambda e: _ts(e["ts"]))  # stable: ties keep arrival order, as ORDER BY ts, id
    return [e["unit"] for e in recs], np.array([e["params"][param] for e in recs])


@pytest.mark.parametrize("chart", ["imr", "xbar_r", "xbar_s", "ewma", "cusum"])
def test_spc_on_stored_data_equals_control_chart(
    loaded: tuple[str, SqlStore], day: list[dict[str, Any]], chart: str
) -> None:
    _, store = loaded
    units, values = _series(day, "fill", "fill_mass_g")
    res = run_spc(store, "fill", "fill_mass_g", chart=chart, raise_alarms=False)
    n = 5 if chart.startswith("xbar") else 1
    m = values.size // n * n
    data = values[:m] if n == 1 else values[:m].reshape(-1, n)
    ref = control_chart(data, chart)
    assert res.series.units == units
    np.testing.assert_array_equal(res.series.values, values)
    np.testing.assert_allclose(res.control.statistics, ref.statistics, rtol=0, atol=1e-12)
    for name in ("center", "lcl", "ucl", "sigma"):
        np.testing.assert_allclose(getattr(res.control, name), getattr(ref, name), rtol=1e-14)
    expected = ref.violations() if chart in ("ewma", "cusum") else ref.violations("nelson")
    assert res.violations == {r: i for r, i in expected.items() if i}
    cap = capability(data, lsl=25.0, usl=27.0, target=26.0)  # the spec stored with the line
    assert res.capability is not None and res.capability.cpk == pytest.approx(cap.cpk, rel=1e-14)
    assert res.point_units[0] == units[:n]
    # each point's units and time as the chart was built before 3 Dec 2026: a list per point
    points = m // n
    assert len(res.point_units) == points
    assert list(res.point_units) == [res.series.units[i * n : (i + 1) * n] for i in range(points)]
    assert res.point_units[-1] == res.point_units[points - 1] == units[m - n : m]
    assert res.point_units[1:3] == [units[n : 2 * n], units[2 * n : 3 * n]]
    assert res.point_ts == [res.series.ts[(i + 1) * n - 1] for i in range(points)]


def test_since_and_rules(loaded: tuple[str, SqlStore], day: list[dict[str, Any]]) -> None:
    _, store = loaded
    units, values = _series(day, "form", "charge_capacity_ah")
    stamps = sorted(_ts(e["ts"]) for e in day if e["type"] == "process" and e["step"] == "form")
    since = stamps[len(stamps) // 2]
    res = run_spc(store, "form", "charge_capacity_ah", since=since, rules="western_electric",
                  raise_alarms=False)  # fmt: skip
    kept = sum(s >= since for s in stamps)
    assert len(res.series.units) == kept >= len(units) - len(units) // 2  # a batch ends at once
    ref = control_chart(values[len(values) - kept :], "imr")
    assert res.violations == {r: i for r, i in ref.violations("western_electric").items() if i}
    assert max(res.violations, default=1) <= 4  # Western Electric has 4 rules


def _fill_events(values: np.ndarray, t0: datetime) -> list[dict[str, Any]]:
    return [
        {"id": f"F{i}", "type": "process", "ts": (t0 + timedelta(minutes=i)).isoformat(),
         "station": "fill-1", "step": "fill", "unit": f"X{i:03d}", "unit_type": "cell",
         "result": "OK", "params": {"fill_mass_g": round(float(v), 4)}}
        for i, v in enumerate(values)
    ]  # fmt: skip


def _held(store: SqlStore, hold_id: int) -> set[str]:
    with store.engine.connect() as conn:
        q = select(t.held_units.c.unit).where(t.held_units.c.hold_id == hold_id)
        return set(conn.execute(q).scalars())


def test_injected_shift_raises_alarms_and_holds_exactly_the_affected_units(store: SqlStore) -> None:
    # 50 in-control fills (26 g, sd 0.1), then 15 shifted by +0.6 g (6 sd): a filler drifting.
    rng = np.random.default_rng(5)
    values = np.concatenate([rng.normal(26.0, 0.1, 50), rng.normal(26.6, 0.1, 15)])
    t0 = datetime(2026, 3, 1, 6, tzinfo=UTC)
    events = _fill_events(values, t0)
    # module M1 is made from two cells: one shifted (joins the hold) and one in control.
    events.append({"id": "M1", "type": "process", "ts": (t0 + timedelta(hours=3)).isoformat(),
                   "station": "grade-1", "step": "grade", "unit": "M1", "unit_type": "module",
                   "result": "OK", "consumed": [{"unit": "X060", "qty": 1}, {"unit": "X010",
                   "qty": 1}]})  # fmt: skip
    assert ingest(store, events).rejected == 0
    spec = {"step": "fill", "param": "fill_mass_g", "lsl": 25.5, "usl": 26.5,
            "hold_on_violation": True}  # fmt: skip
    quality = QualitySpec.model_validate({"specs": [spec]})

    # Limits from the first 50 points (phase I), the rest judged against them (phase II).
    phase1 = control_chart(np.round(values[:50], 4), "imr")
    assert phase1.violations("nelson") == {r: [] for r in range(1, 9)}  # in control (seed 5)
    later = phase1.monitor(np.round(values[50:], 4)).violations("nelson")
    ref = {r: [i + 50 for i in idx] for r, idx in later.items() if idx}
    flagged = sorted({i for idx in ref.values() for i in idx})
    assert ref[1] == list(range(50, 65))  # every shifted point is beyond the UCL

    res = run_spc(store, "fill", "fill_mass_g", baseline=50, quality=quality, raise_alarms=True)
    assert res.violations == {r: i for r, i in ref.items() if i}
    assert res.new_alarms == sum(len(i) for i in ref.values())
    assert res.hold is not None
    affected = {f"X{i:03d}" for i in flagged}
    expected = affected | ({"M1"} if "X060" in affected else set())
    assert _held(store, res.hold.id) == expected
    assert res.hold.units == len(expected)
    with store.engine.connect() as conn:
        alarms = conn.execute(select(t.alarms.c.rule, t.alarms.c.units, t.alarms.c.hold_id)).all()
    assert {json.loads(u)[0] for _, u, _ in alarms} == affected
    assert {h for *_, h in alarms} == {res.hold.id}

    again = run_spc(store, "fill", "fill_mass_g", baseline=50, quality=quality, raise_alarms=True)
    assert again.new_alarms == 0 and again.hold is None
    traced = trace(store, f"X{flagged[0]:03d}").model_dump()
    assert [h["id"] for h in traced["holds"]] == [res.hold.id]
    # a unit made later from a held cell joins the hold at ingestion (the hold machinery)
    late = {"id": "M2", "type": "process", "ts": (t0 + timedelta(hours=4)).isoformat(),
            "station": "grade-1", "step": "grade", "unit": "M2", "unit_type": "module",
            "result": "OK", "consumed": [{"unit": f"X{flagged[-1]:03d}", "qty": 1}]}  # fmt: skip
    assert ingest(store, [late]).accepted == 1
    assert [h["id"] for h in trace(store, "M2").model_dump()["holds"]] == [res.hold.id]
    release_hold(
        store, res.hold.id, reason="filler recalibrated, cells re-weighed", by="qa"
    ).model_dump()
    assert list_holds(store).model_dump()["holds"] == []

    # without hold_on_violation: alarms, no hold
    plain = QualitySpec.model_validate({"specs": [{**spec, "hold_on_violation": False}]})
    res2 = run_spc(store, "fill", "fill_mass_g", chart="xbar_r", subgroup_size=5, quality=plain,
                   raise_alarms=True)  # fmt: skip
    assert res2.new_alarms > 0 and res2.hold is None


def test_spc_only_looks_unless_asked_to_raise_alarms(
    tmp_path: Path, mini_line: Line, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 10: `gigaline spc` created alarms and holds by default, more at each exploratory
    re-run. Now it changes nothing (the file is the same, byte for byte) unless --raise-alarms
    is given; then the line's hold_on_violation holds the affected units, once."""
    from tests.mes.conftest import LINES

    db = tmp_path / "plant.db"
    with open_store(str(db)) as s:
        init_line(s, mini_line)
        rng = np.random.default_rng(5)
        values = np.concatenate([rng.normal(26.0, 0.1, 50), rng.normal(26.6, 0.1, 15)])
        assert ingest(s, _fill_events(values, datetime(2026, 3, 1, 6, tzinfo=UTC))).rejected == 0
    line = tmp_path / "line.yaml"
    line.write_text(
        (LINES / "mini.yaml").read_text(encoding="utf-8")
        + "\nquality:\n  specs:\n    - {step: fill, param: fill_mass_g, lsl: 25.5, usl: 26.5,"
        " hold_on_violation: true}\n",
        encoding="utf-8",
    )
    argv = ["spc", "fill", "fill_mass_g", "--db", str(db), "--baseline", "50", "--line", str(line)]

    def state() -> tuple[int, int]:
        with open_store(str(db), read_only=True) as s, s.engine.connect() as conn:
            alarms = conn.execute(select(t.alarms.c.id)).all()
            holds = conn.execute(select(t.holds.c.id)).all()
        return len(alarms), len(holds)

    before = db.read_bytes()
    for _ in range(2):  # exploring: run it again and again
        code, out = _cli(capsys, *argv, "--json")
        assert code == 0 and out["violations"] and out["new_alarms"] == 0 and out["hold"] is None
    assert db.read_bytes() == before and state() == (0, 0)
    assert main(argv) == 0
    assert "alarms: none stored (only looked; --raise-alarms stores" in capsys.readouterr().out

    code, out = _cli(capsys, *argv, "--json", "--raise-alarms")
    assert code == 0 and out["new_alarms"] > 0 and out["hold"]["units"] >= 15
    assert state() == (out["new_alarms"], 1)
    code, again = _cli(capsys, *argv, "--json", "--raise-alarms")
    assert again["new_alarms"] == 0 and again["hold"] is None and state() == (out["new_alarms"], 1)


def _expected_measures(events: list[dict[str, Any]]) -> tuple[list[str], dict[str, np.ndarray]]:
    """Cell measures straight from the event stream (the oracle of the stored grading)."""
    tested: dict[str, dict[str, float]] = {}
    curve: dict[str, tuple[float, float, float]] = {}
    for e in sorted(events, key=lambda e: _ts(e["ts"])):
        if e["type"] == "process" and e["step"] == "grade" and e["unit_type"] == "cell":
            tested[e["unit"]] = e["params"]
        if e["type"] == "curve" and e["curve"] == "aging":
            ocv = e["channels"]["ocv_v"]
            curve[e["unit"]] = (ocv[0], ocv[-1], e["dt_s"] * (len(ocv) - 1))
    units = sorted(tested)
    first, last, dur = (np.array([curve[u][i] for u in units]) for i in range(3))
    return units, {
        "capacity_ah": np.array([tested[u]["capacity_ah"] for u in units]),
        "dcir_mohm": np.array([tested[u]["dcir_mohm"] for u in units]),
        "ocv_v": last,
        "k_mv_per_day": k_value_mv_per_day(first, last, dur),
    }


def test_grading_from_stored_results(
    loaded: tuple[str, SqlStore], day: list[dict[str, Any]]
) -> None:
    _, store = loaded
    units, measures = _expected_measures(day)
    ref = grade_cells(measures, QUALITY.grades)
    assert QUALITY.matching is not None
    ref_match = match_cells(measures, QUALITY.matching, ref)
    res = grade_stored_cells(store)  # grades and matching stored with the line
    assert res.units == units and len(units) > 400
    for name, arr in measures.items():
        np.testing.assert_allclose(res.measures[name], arr, rtol=0, atol=1e-12)
    assert res.graded.counts == ref.counts
    assert min(ref.counts.values()) > 0  # every bin (A, B, NG) is exercised
    assert res.matched is not None
    assert res.matched.match_rate == ref_match.match_rate
    with store.engine.connect() as conn:
        stored = dict(conn.execute(select(t.cell_grades.c.unit, t.cell_grades.c.grade)).all())
    assert stored == dict(zip(units, ref.grade.tolist(), strict=True))
    grade_stored_cells(store)  # again: replaces, does not add
    with store.engine.connect() as conn:
        assert len(conn.execute(select(t.cell_grades.c.unit)).all()) == len(units)


def test_grading_without_curves_uses_the_aging_parameter(store: SqlStore, mini_line: Line) -> None:
    events = list(generate_events(mini_line, 1.5, 4, curves=False, lot_scale=0.001, coil_m=40.0))
    assert ingest(store, events).rejected == 0
    tested: dict[str, dict[str, float]] = {}
    for e in sorted(events, key=lambda e: _ts(e["ts"])):
        if e["type"] == "process" and e["step"] in ("grade", "age") and e["unit_type"] == "cell":
            tested.setdefault(e["unit"], {}).update(e["params"])
    units = sorted(u for u, p in tested.items() if "capacity_ah" in p)
    measures = {name: np.array([tested[u].get(name, np.nan) for u in units])
                for name in ("capacity_ah", "dcir_mohm", "k_mv_per_day")}  # fmt: skip
    res = grade_stored_cells(store, QUALITY)
    assert res.units == units
    np.testing.assert_array_equal(res.measures["k_mv_per_day"], measures["k_mv_per_day"])
    assert np.isnan(res.measures["ocv_v"]).all()  # no aging curve and no OCV test on this line
    assert res.graded.counts == grade_cells(measures, QUALITY.grades).counts
    assert res.matched is not None and res.matched.eligible == 0  # matching needs the OCV


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if code == 0 and "--json" in argv else captured.err


def test_cli_json_shapes_and_plot(
    loaded: tuple[str, SqlStore], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url, _ = loaded
    html = tmp_path / "fill.html"
    code, out = _cli(capsys, "spc", "fill", "fill_mass_g", "--db", url, "--json",
                     "--plot", str(html))  # fmt: skip
    assert code == 0
    assert set(out) >= {"step", "param", "chart", "rules", "records", "points", "center", "lcl",
                        "ucl", "sigma", "violations", "flagged_units", "spec", "capability",
                        "new_alarms", "hold", "ts", "statistics"}  # fmt: skip
    assert out["chart"] == "imr" and out["points"] == out["records"] == len(out["statistics"])
    assert out["spec"]["lsl"] == 25.0 and set(out["capability"]) >= {"cp", "cpk", "cpk_ci"}
    text = html.read_text(encoding="utf-8")
    assert "zone A" in text and "UCL" in text and "violations (nelson)" in text
    assert not re.search(r"<script[^>]*\bsrc=", text)  # nothing loaded from elsewhere
    assert len(text) > 1_000_000  # plotly.js inline

    code, out = _cli(capsys, "spc", "form", "charge_capacity_ah", "--db", url, "--json",
                     "--chart", "xbar_s", "--subgroup", "4", "--since", "2026-01-05T12:00:00Z",
                     "--rules", "western_electric")  # fmt: skip
    assert code == 0 and out["subgroup_size"] == 4 and out["points"] * 4 <= out["records"]
    assert out["first"] >= "2026-01-05T12:00:00"

    code, out = _cli(capsys, "grade", "--db", url, "--json")
    assert code == 0 and set(out) == {"cells", "counts", "matching"}
    assert sum(out["counts"].values()) == out["cells"]
    assert set(out["matching"]) == {"cells_per_module", "eligible", "modules", "matched",
                                    "leftovers", "match_rate"}  # fmt: skip

    for argv, words in (
        (("spc", "nostep", "x"), "no step 'nostep'"),
        (("spc", "fill", "fill_mass_g", "--chart", "p"), "--chart 'p'"),
        (("spc", "fill", "fill_mass_g", "--since", "yesterday"), "--since 'yesterday'"),
        (("spc", "fill", "no_such_param"), "0 stored values"),
    ):
        code, err = _cli(capsys, *argv, "--db", url)
        assert code == 2 and words in err and "Traceback" not in err


def test_schema_before_the_quality_migration_gets_a_clear_error(tmp_path: Path) -> None:
    from gigaline.mes.sql.db import StoreError, make_engine, upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "0001")  # a store made before SPC and grading existed
    engine.dispose()
    with open_store(url, create=False) as store:
        with pytest.raises(StoreError, match="gigaline mes init"):
            run_spc(store, "fill", "fill_mass_g")
        with pytest.raises(StoreError, match="gigaline mes init"):
            grade_stored_cells(store, QUALITY)


@pytest.mark.parametrize("chart", ["cusum", "ewma", "xbar_r"])
def test_baseline_and_figure(
    loaded: tuple[str, SqlStore], day: list[dict[str, Any]], chart: str
) -> None:
    from gigaline.mes.spc_plot import spc_figure

    _, store = loaded
    _, values = _series(day, "fill", "fill_mass_g")
    n = 5 if chart == "xbar_r" else 1
    data = values[: values.size // n * n]
    data = data if n == 1 else data.reshape(-1, n)
    res = run_spc(store, "fill", "fill_mass_g", chart=chart, baseline=40, raise_alarms=False)
    ref = control_chart(data[:40], chart)
    mon = ref.monitor(data[40:])
    np.testing.assert_allclose(res.view.statistics[40:], mon.statistics, rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.view.ucl[40:], np.broadcast_to(mon.ucl, (len(data) - 40,)))
    names = {tr.name for tr in spc_figure(res).data}
    assert ({"C+ (upper sum)", "+h"} if chart == "cusum" else {"UCL", "zone A", "points"}) <= names


def test_the_imr_figure_draws_spec_limits_a_moving_range_panel_and_units(
    loaded: tuple[str, SqlStore], day: list[dict[str, Any]]
) -> None:
    import plotly.graph_objects as go

    from gigaline.mes import spc_plot
    from gigaline.model.quality import ParameterSpec

    _, store = loaded
    _, values = _series(day, "fill", "fill_mass_g")
    spec = ParameterSpec(step="fill", param="fill_mass_g", lsl=29.0, usl=31.5, target=30.0)
    quality = QualitySpec(specs=[spec])
    res = run_spc(store, "fill", "fill_mass_g", quality=quality, raise_alarms=False)
    fig = spc_plot.spc_figure(res)
    # spec limits: one horizontal line each, at the values Cpk was computed from
    lines = {s.name: s for s in fig.layout.shapes}
    assert {"LSL", "USL", "target"} <= set(lines)
    assert (lines["LSL"].y0, lines["USL"].y0, lines["target"].y0) == (29.0, 31.5, 30.0)
    assert lines["LSL"].y0 == lines["LSL"].y1 and lines["LSL"].yref == "y"  # the values panel
    labels = {a.text for a in fig.layout.annotations}
    assert {"LSL 29", "USL 31.5", "target 30"} <= labels
    # the moving-range panel: |x_i - x_(i-1)| from the second point on, on the second y axis
    (mr,) = [tr for tr in fig.data if tr.name == "moving range"]
    assert mr.yaxis == "y2" and len(mr.y) == values.size and np.isnan(mr.y[0])
    np.testing.assert_allclose(mr.y[1:], np.abs(np.diff(values)), rtol=0, atol=1e-9)
    mr_ucl = next(tr for tr in fig.data if tr.name == "moving range UCL")
    assert mr_ucl.y[0] == pytest.approx(3.267 * np.abs(np.diff(values)).mean(), rel=1e-3)
    # units on the axes (from the parameter's name), time on the shared x axis
    assert fig.layout.yaxis.title.text == "fill_mass_g [g]"
    assert fig.layout.yaxis2.title.text == "moving range [g]"
    assert fig.layout.xaxis2.title.text == "time (UTC)"
    assert all(isinstance(tr, go.Scatter) for tr in fig.data)  # a small chart: SVG, markers
    (points,) = [tr for tr in fig.data if tr.name == "points"]
    assert points.mode == "lines+markers"


@pytest.mark.parametrize("chart", ["imr", "xbar_r", "ewma", "cusum"])
def test_level_lines_are_drawn_from_their_two_ends(
    loaded: tuple[str, SqlStore], chart: str
) -> None:
    """A centre line, limit or zone edge that is level over the chart is a trace of its two
    ends (first and last point's time) at its value; one that varies (EWMA start-up) keeps a
    value per point, as every line did before 3 Dec 2026."""
    from gigaline.mes import spc_plot

    _, store = loaded
    res = run_spc(store, "fill", "fill_mass_g", chart=chart, raise_alarms=False)
    fig = spc_plot.spc_figure(res)
    ends = (res.point_ts[0], res.point_ts[-1])
    by_name = {tr.name: tr for tr in fig.data}
    view = res.view
    lines = {"+h": np.full(res.points, view.h), "-h": np.full(res.points, -(view.h or 0))}
    if chart != "cusum":
        se = (view.ucl - view.center) / view.nsigmas
        lines = {"UCL": view.ucl, "centre": view.center, "LCL": view.lcl,
                 "zone A": view.center + 3 * se, "zone C": view.center + se}  # fmt: skip
    for name, level in lines.items():
        tr = by_name[name]
        if chart == "ewma" and name != "centre":  # the limits widen over the first points
            assert len(tr.x) == res.points and tr.x[0] == ends[0]
            np.testing.assert_array_equal(tr.y, level)
        else:
            assert (tuple(tr.x), tuple(tr.y)) == (ends, (level[0], level[0])), name
    (points,) = [tr for tr in fig.data if tr.name == "points"] or [by_name["C+ (upper sum)"]]
    assert len(points.x) == res.points  # the points themselves are all there
    if chart in ("imr", "xbar_r"):
        disp = spc_plot._DISPERSION[chart]
        assert len(by_name[f"{disp} UCL"].x) == 2 and len(by_name[disp].x) == res.points


def test_a_large_chart_draws_with_webgl_and_marks_only_flagged_points(
    loaded: tuple[str, SqlStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    from gigaline.mes import spc_plot

    _, store = loaded
    monkeypatch.setattr(spc_plot, "MANY_POINTS", 10)  # the day's points count as "thousands"
    res = run_spc(store, "fill", "fill_mass_g", raise_alarms=False)
    fig = spc_plot.spc_figure(res)
    assert {type(tr).__name__ for tr in fig.data} == {"Scattergl"}
    (points,) = [tr for tr in fig.data if tr.name == "points"]
    assert points.mode == "lines"  # no marker per point
    flagged = [tr for tr in fig.data if str(tr.name).startswith("violations")]
    assert all(tr.mode == "markers" for tr in flagged)
    n_flagged = len({i for idx in res.violations.values() for i in idx})
    assert sum(len(tr.x) for tr in flagged) == n_flagged


def test_units_come_from_the_parameter_names() -> None:
    from gigaline.mes.spc_plot import unit_of

    assert [unit_of(p) for p in ("fill_mass_g", "coating_weight_mg_cm2", "leak_rate_mbar_l_s",
                                 "dcir_mohm", "thickness_um", "ocv_v", "odd")] == [
        "g", "mg/cm²", "mbar·l/s", "mΩ", "µm", "V", None]  # fmt: skip


def test_spc_with_a_limit_charts_the_newest_points_and_says_so(
    loaded: tuple[str, SqlStore], day: list[dict[str, Any]]
) -> None:
    """``limit`` keeps the newest points of a long series (read newest first, in pages past
    the records without the parameter) and says that older records were left out."""
    _, store = loaded
    units, values = _series(day, "fill", "fill_mass_g")
    whole = run_spc(store, "fill", "fill_mass_g")
    assert whole.limit is None and whole.truncated is False and whole.points == values.size
    cut = run_spc(store, "fill", "fill_mass_g", limit=10)
    assert cut.limit == 10 and cut.truncated is True and cut.points == 10
    assert cut.series.units == units[-10:]
    np.testing.assert_array_equal(cut.series.values, values[-10:])
    xbar = run_spc(store, "fill", "fill_mass_g", chart="xbar_r", limit=4)
    assert xbar.points == 4 and xbar.series.units == units[-20:]  # 4 subgroups of 5
    everything = run_spc(store, "fill", "fill_mass_g", limit=values.size)
    assert everything.truncated is False and everything.series.units == units
