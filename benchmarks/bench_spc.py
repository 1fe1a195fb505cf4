"""SPC and grading on stored data: values read from the JSON in Python vs by the database.

Builds a store (SQLite file and PostgreSQL schema) with ``--days`` of the 20 GWh reference
line (generated, no curves), then, for every cell that reached electrolyte filling, the
results it would get three weeks later: an aging OCV curve (daily readings, K from the
generator's model) and a grading record (capacity, DCIR). Then times, best of ``--repeat``:

* ``run_spc(filling, fill_mass_g)``, and its reading of the series (one query for the rows,
  values read from their JSON with orjson) against the baseline letting the database extract
  the value (``json_extract`` on SQLite, ``CAST(params AS JSON) ->>`` on PostgreSQL);
* ``grade_stored_cells`` (reads, grades, matches, stores every cell's grade), and its reading
  of the measures alone against the same measures extracted by the database.

    python benchmarks/bench_spc.py [--days 2] [--seed 1] [--repeat 3] [--no-postgres]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select, text

from _mes_common import REFERENCE_LINE, drop_pg_schema, pg_schema, postgres_reachable
from gigaline.mes.generate import generate_events
from gigaline.mes.ingest import ingest
from gigaline.mes.services import grade_stored_cells, init_line, run_spc
from gigaline.mes.services.grading import cell_measures
from gigaline.mes.sql import SqlStore, open_store
from gigaline.mes.sql import tables as t
from gigaline.mes.synth import aging_ocv_curve, process_params
from gigaline.model import Line, load_line

_AGING_DAYS = 21


def _later_results(line: Line, fills: list[dict[str, Any]], seed: int) -> Iterator[dict[str, Any]]:
    """Aging curve and grading record of every filled cell, as the line would report them."""
    rng = np.random.default_rng(seed + 1000)
    by_process = {s.process: s for s in line.steps}
    k_prm = process_params(line, by_process["aging"])[0]
    cap_prm, dcir_prm = process_params(line, by_process["grading"])
    for i, e in enumerate(fills):
        ts = (np.datetime64(e["ts"][:-1]) + np.timedelta64(_AGING_DAYS + 1, "D")).astype(str)
        k = max(float(rng.normal(k_prm.mean, k_prm.sd)), 0.0)
        yield {"id": f"B-a{i}", "type": "curve", "ts": ts + "Z", "station": "aging-1",
               "unit": e["unit"], "curve": "aging", "dt_s": 86400.0,
               "channels": aging_ocv_curve(3.34, k, _AGING_DAYS)}  # fmt: skip
        params = {"capacity_ah": round(float(rng.normal(cap_prm.mean, cap_prm.sd)), 2),
                  "dcir_mohm": round(float(rng.normal(dcir_prm.mean, dcir_prm.sd)), 4)}  # fmt: skip
        end = np.datetime64(ts) + np.timedelta64(int(timedelta(hours=2).total_seconds()), "s")
        yield {"id": f"B-g{i}", "type": "process", "ts": str(end) + "Z", "station": "grading-1",
               "step": "grading", "unit": e["unit"], "unit_type": "cell", "result": "OK",
               "params": params}  # fmt: skip


def _build(url: str, line: Line, days: float, seed: int) -> int:
    events = list(generate_events(line, days, seed, curves=False))
    fills = [e for e in events if e["type"] == "process" and e["step"] == "filling"]
    with open_store(url) as store:
        init_line(store, line)
        ingest(store, events, pause_gc=True)
        ingest(store, _later_results(line, fills, seed), pause_gc=True)
    return len(fills)


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _postgres(store: SqlStore) -> bool:
    return store.engine.dialect.name == "postgresql"


def _extract(store: SqlStore, column: str, key: str) -> str:
    """SQL of the alternative: the database extracts ``key`` from the JSON text ``column``."""
    if _postgres(store):
        return f"CAST(CAST({column} AS JSON) ->> '{key}' AS DOUBLE PRECISION)"
    return f"json_extract({column}, '$.\"{key}\"')"


def _baseline_series(store: SqlStore) -> Any:
    """The same series with the value extracted by the database (json_extract / ->>)."""
    v = _extract(store, "params", "fill_mass_g")
    sql = (f"SELECT unit, ts, {v} FROM process_records WHERE step_id = :s AND {v} IS NOT NULL"
           " ORDER BY ts, id")  # fmt: skip
    with store.engine.connect() as conn:
        step = conn.execute(select(t.steps.c.id).where(t.steps.c.name == "filling")).scalar()
        rows = conn.execute(text(sql), {"s": step}).all()
    times = [r[1] for r in rows]
    if not _postgres(store):
        times = np.array(times, dtype="datetime64[us]").tolist()
    return np.array([r[2] for r in rows])


def _baseline_measures(store: SqlStore) -> int:
    """The grading measures with the values extracted by the database."""
    cap, dcir = (_extract(store, "params", k) for k in ("capacity_ah", "dcir_mohm"))
    first, last, dur = (_extract(store, "features", k)
                        for k in ("ocv_v_first", "ocv_v_last", "duration_s"))  # fmt: skip
    with store.engine.connect() as conn:
        step = conn.execute(select(t.steps.c.id).where(t.steps.c.name == "grading")).scalar()
        tested = conn.execute(
            text(f"SELECT unit, {cap}, {dcir} FROM process_records WHERE step_id = :s"
                 " ORDER BY ts, id"), {"s": step}).all()  # fmt: skip
        curves = conn.execute(
            text(f"SELECT unit, {first}, {last}, {dur} FROM curves WHERE kind = 'aging'"
                 " ORDER BY ts, id")).all()  # fmt: skip
    have = {r[0] for r in curves}
    return sum(1 for r in tested if r[0] in have)


def _run(name: str, url: str, repeat: int) -> None:
    with open_store(url, create=False) as store:
        t_spc, res = _best(lambda: run_spc(store, "filling", "fill_mass_g", raise_alarms=False),
                           repeat)  # fmt: skip
        t_series, _ = _best(lambda: store.measure_series("filling", "fill_mass_g", None), repeat)
        t_base, base = _best(lambda: _baseline_series(store), repeat)
        assert np.array_equal(base, res.series.values)
        n = len(res.series.units)
        print(f"{name}: spc filling/fill_mass_g, {n:,} records: {t_spc * 1e3:.0f} ms in all; "
              f"reading the series {t_series * 1e3:.0f} ms, baseline with the value "
              f"extracted by the database {t_base * 1e3:.0f} ms "
              f"(ratio {t_base / t_series:.2f}x)")  # fmt: skip
        t_grade, g = _best(lambda: grade_stored_cells(store), repeat)
        t_meas, _ = _best(lambda: cell_measures(store), repeat)
        t_read, _ = _best(lambda: _baseline_measures(store), repeat)
        d = g.model_dump()
        print(f"{name}: grade {d['cells']:,} cells (read, grade, match, store): "
              f"{t_grade * 1e3:.0f} ms; counts {d['counts']}, match rate "
              f"{d['matching']['match_rate'] * 100:.2f} %; reading the measures alone: "
              f"{t_meas * 1e3:.0f} ms, baseline with the values extracted by the database: "
              f"{t_read * 1e3:.0f} ms (ratio {t_read / t_meas:.2f}x)")  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-postgres", action="store_true")
    args = ap.parse_args()
    line = load_line(REFERENCE_LINE)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'spc.db'}"
        t0 = time.perf_counter()
        cells = _build(url, line, args.days, args.seed)
        print(f"sqlite: built {args.days:g} d of the reference line + results of {cells:,} "
              f"cells in {time.perf_counter() - t0:.0f} s")  # fmt: skip
        _run("sqlite", url, args.repeat)
    if args.no_postgres or not postgres_reachable():
        return 0
    url, schema = pg_schema()
    try:
        _build(url, line, args.days, args.seed)
        _run("postgresql", url, args.repeat)
    finally:
        drop_pg_schema(schema)
    return 0


if __name__ == "__main__":
    sys.exit(main())
