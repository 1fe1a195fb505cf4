"""Trace and where-used latency on a database holding days of the 20 GWh reference line.

Builds (or, with ``--reuse``, reuses) a SQLite file and a PostgreSQL schema holding ``--days``
of the seeded reference-line stream, then measures:

- ``trace`` of random cells (full history with parameters and backward genealogy to the
  lots): p50 and p99 over ``--samples`` cells; target p99 <= 20 ms;
- ``where-used`` of cathode active-material lots (forward genealogy to every cell): target
  <= 2 s;
- database size per million process records.

Baseline, in the same run: the same queries with the genealogy walked by one query per node
from Python (what an ORM's lazy relationship loading does) instead of one recursive CTE; the
ratio is printed. Run: ``python benchmarks/bench_trace.py --days 7`` (the issue asks for >= 7 days,
~430,000 cells, ~13 M process records; building takes minutes, so ``--reuse`` keeps it).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from _mes_common import REFERENCE_LINE, ndjson, pg_schema, postgres_reachable, sqlite_size_bytes
from gigaline.mes.ingest import ingest
from gigaline.mes.services import init_line, trace, where_used
from gigaline.mes.sql import SqlStore, open_store, queries
from gigaline.model import load_line


def build(store: SqlStore, line: Any, days: float, seed: int) -> float:
    init_line(store, line)
    t0 = time.perf_counter()
    done = [0]

    def progress(n: int) -> None:
        done[0] += n
        if done[0] % 1_000_000 < n:
            rate = done[0] / (time.perf_counter() - t0)
            print(f"  {done[0]:,} events ({rate:,.0f}/s)", flush=True)

    result = ingest(store, ndjson(line, days, seed), progress=progress, pause_gc=True)
    assert result.rejected == 0, result.rejections[:3]
    return time.perf_counter() - t0


def counts(store: SqlStore) -> dict[str, int]:
    with store.engine.connect() as conn:
        q = "SELECT count(*) FROM units WHERE unit_type = 'cell'"
        cells = int(conn.execute(text(q)).scalar_one())
        records = int(conn.execute(text("SELECT count(*) FROM process_records")).scalar_one())
        events = int(conn.execute(text("SELECT count(*) FROM events")).scalar_one())
    return {"cells": cells, "process_records": records, "events": events}


def naive_ancestors(conn: Any, unit: str) -> list[tuple[str, str]]:
    """Baseline genealogy walk: one query per node from Python (ORM lazy loading)."""
    seen: dict[str, str] = {}
    todo = [unit]
    q = text("SELECT parent, parent_kind FROM genealogy WHERE child = :c")
    while todo:
        for parent, kind in conn.execute(q, {"c": todo.pop()}):
            if parent not in seen:
                seen[parent] = kind
                if kind == "unit":
                    todo.append(parent)
    return list(seen.items())


def naive_trace_times(store: SqlStore, cells: list[str]) -> list[float]:
    """Times of the same trace with the genealogy walked by :func:`naive_ancestors`."""
    real = queries.ancestors
    times = []
    try:
        for cell in cells:
            expected = trace(store, cell)
            queries.ancestors = naive_ancestors
            t0 = time.perf_counter()
            got = trace(store, cell)
            times.append(time.perf_counter() - t0)
            queries.ancestors = real
            assert (got.lots, got.ancestors) == (expected.lots, expected.ancestors)
    finally:
        queries.ancestors = real
    return times


def naive_where_used(store: SqlStore, lot: str) -> set[str]:
    with store.engine.connect() as conn:
        seen: set[str] = set()
        todo = [lot]
        while todo:
            node = todo.pop()
            q = text("SELECT child FROM genealogy WHERE parent = :p")
            for (child,) in conn.execute(q, {"p": node}):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
    return seen


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(store: SqlStore, samples: int, seed: int) -> dict[str, Any]:
    out: dict[str, Any] = counts(store)
    with store.engine.connect() as conn:
        cells = list(conn.execute(text("SELECT id FROM units WHERE unit_type = 'cell'")).scalars())
        lots = list(conn.execute(
            text("SELECT id FROM lots WHERE material = 'cathode_active_material' ORDER BY id")
        ).scalars())  # fmt: skip
    rng = random.Random(seed)
    picked = rng.sample(cells, min(samples, len(cells)))
    for cell in picked[:20]:
        trace(store, cell)  # warm the cache as a running MES would have it
    times = []
    for cell in picked:
        t0 = time.perf_counter()
        tr = trace(store, cell)
        times.append(time.perf_counter() - t0)
        assert tr.lots and tr.records
    out |= {"trace_p50_ms": 1e3 * pct(times, 50), "trace_p99_ms": 1e3 * pct(times, 99),
            "trace_mean_ms": 1e3 * statistics.fmean(times)}  # fmt: skip
    base = naive_trace_times(store, picked[:100])
    out["naive_trace_p50_ms"] = 1e3 * pct(base, 50)
    out["trace_ratio_p50"] = out["naive_trace_p50_ms"] / out["trace_p50_ms"]
    wu = []
    chosen = lots[len(lots) // 4 : len(lots) // 4 + 5] or lots[:5]
    for lot in chosen:
        t0 = time.perf_counter()
        res = where_used(store, lot)
        wu.append((time.perf_counter() - t0, len(res.cells), len(res.units)))
    out["where_used_max_s"] = max(w[0] for w in wu)
    out["where_used_median_s"] = statistics.median(w[0] for w in wu)
    out["where_used_cells_median"] = statistics.median(w[1] for w in wu)
    t0 = time.perf_counter()
    naive = naive_where_used(store, chosen[0])
    out["naive_where_used_s"] = time.perf_counter() - t0
    assert naive == set(where_used(store, chosen[0]).units)
    out["where_used_ratio"] = out["naive_where_used_s"] / wu[0][0]
    return out


def size_bytes(store: SqlStore, sqlite_path: Path | None, schema: str = "") -> int:
    if sqlite_path is not None:
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return sqlite_size_bytes(sqlite_path)
    q = text(
        "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :s AND c.relkind = 'r'"
    )
    with store.engine.connect() as conn:
        return int(conn.execute(q, {"s": schema}).scalar_one())


def run(
    name: str, url: str, sqlite_path: Path | None, args: argparse.Namespace, schema: str = ""
) -> dict:
    line = load_line(args.line)
    with open_store(url) as store:
        fresh = counts(store)["events"] == 0
        build_s = None
        if fresh:
            print(f"{name}: building {args.days} days of {line.name!r} ...", flush=True)
            build_s = build(store, line, args.days, args.seed)
        if name == "postgresql":
            with store.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        result = measure(store, args.samples, args.seed)
        size = size_bytes(store, sqlite_path, schema)
    per_million = size / 1e6 / (result["process_records"] / 1e6)
    result |= {"db": name, "days": args.days, "build_s": build_s, "size_bytes": size,
               "mb_per_million_records": per_million}  # fmt: skip
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--line", type=Path, default=REFERENCE_LINE)
    ap.add_argument("--days", type=float, default=7.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/gigaline-bench-trace"))
    ap.add_argument("--reuse", action="store_true", help="keep and reuse the databases")
    ap.add_argument("--only", choices=["sqlite", "postgresql"])
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    results = []
    if args.only in (None, "sqlite"):
        path = args.dir / f"trace-{args.days:g}d-seed{args.seed}.db"
        if not args.reuse:
            for p in args.dir.glob(path.name + "*"):
                p.unlink()
        results.append(run("sqlite", f"sqlite:///{path}", path, args))
    if args.only in (None, "postgresql") and postgres_reachable():
        schema = f"bench_trace_{args.days:g}d_seed{args.seed}".replace(".", "_")
        if args.reuse:
            from _mes_common import PG_URL

            url = f"{PG_URL}?options=-csearch_path%3D{schema}"
            from sqlalchemy import create_engine

            eng = create_engine(PG_URL)
            with eng.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            eng.dispose()
        else:
            url, _ = pg_schema(schema)
        results.append(run("postgresql", url, None, args, schema))
    print(f"{'db':<11}{'cells':>10}{'records':>12}{'trace p50':>10}{'p99 ms':>8}"
          f"{'naive x':>8}{'where-used s':>13}{'cells':>7}{'MB/M rec':>9}")  # fmt: skip
    for r in results:
        print(f"{r['db']:<11}{r['cells']:>10,}{r['process_records']:>12,}"
              f"{r['trace_p50_ms']:>10.2f}{r['trace_p99_ms']:>8.2f}{r['trace_ratio_p50']:>8.1f}"
              f"{r['where_used_max_s']:>13.3f}{r['where_used_cells_median']:>7.0f}"
              f"{r['mb_per_million_records']:>9.0f}")  # fmt: skip
    print(json.dumps({"bench": "trace", "results": results}, default=float))


if __name__ == "__main__":
    main()
