"""Ingest rate of the MES on SQLite and PostgreSQL, against a naive baseline in the same run.

Events: the first N events of the seeded 20 GWh reference line stream (lots, units, process
records with parameters and genealogy, machine states). The share of process events depends on
N (the stream opens with every station's state: 88.6 % of the first 100,000 events are process
events); it is printed. Fast path:
``gigaline.mes.ingest.ingest`` with 20,000-event batches (one transaction each: executemany on
SQLite, binary COPY on PostgreSQL), the garbage collector paused as ``gigaline ingest`` pauses
it (``pause_gc=True``). Baseline: the same validation with one event per
transaction (batch size 1), the way a naive subscriber would write each message. A replay of
the same events (all duplicates, nothing written) is timed too. Targets (issue 4): 30,000
*process* events/s on SQLite, 50,000 on PostgreSQL: the verdict compares the process events
per second (process events over the wall time of the whole batch run) with the target, and
the table prints that figure beside it (``events/s`` counts every event, states and lots
too, so it is higher: 53,356 events/s of 100,000 events is 47,250 process events/s).

Run: ``python benchmarks/bench_ingest.py [--events 300000] [--baseline-events 3000]``.
The machine's other load changes the figures: the CPU time of this process is printed too.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from _mes_common import REFERENCE_LINE, drop_pg_schema, ndjson, pg_schema, postgres_reachable
from gigaline.mes.ingest import ingest
from gigaline.mes.services import init_line
from gigaline.mes.sql import SqlStore, open_store
from gigaline.model import load_line


def _timed(store: SqlStore, lines: list[bytes], batch: int) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = ingest(store, lines, batch_size=batch, pause_gc=True)
    return time.perf_counter() - wall, time.process_time() - cpu, result.accepted


def _run(name: str, url_factory, line, lines: list[bytes], base_lines: list[bytes]) -> dict:
    n_process = sum(1 for raw in lines if b'"type":"process"' in raw)
    out: dict = {"db": name, "events": len(lines), "process_events": n_process}
    url, cleanup = url_factory()
    try:
        with open_store(url) as store:
            init_line(store, line)
            wall, cpu, accepted = _timed(store, lines, 20_000)
            assert accepted == len(lines), accepted
            out |= {"wall_s": wall, "cpu_s": cpu, "events_per_s": len(lines) / wall,
                    "process_events_per_s": n_process / wall}  # fmt: skip
            wall_r, _, again = _timed(store, lines, 20_000)
            assert again == 0
            out["replay_events_per_s"] = len(lines) / wall_r
    finally:
        cleanup()
    url, cleanup = url_factory()
    try:
        with open_store(url) as store:
            init_line(store, line)
            wall_b, _, accepted = _timed(store, base_lines, 1)
            assert accepted == len(base_lines)
            out["baseline_events_per_s"] = len(base_lines) / wall_b
    finally:
        cleanup()
    out["ratio"] = out["events_per_s"] / out["baseline_events_per_s"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--line", type=Path, default=REFERENCE_LINE)
    ap.add_argument("--events", type=int, default=300_000)
    ap.add_argument("--baseline-events", type=int, default=3_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    line = load_line(args.line)
    lines = []
    for raw in ndjson(line, 7.0, args.seed):
        lines.append(raw)
        if len(lines) >= args.events:
            break
    base = lines[: args.baseline_events]
    tmp = Path(tempfile.mkdtemp(prefix="gigaline-bench-"))

    def sqlite_url(counter: list[int] = [0]) -> tuple[str, object]:  # noqa: B006
        counter[0] += 1
        path = tmp / f"ingest-{counter[0]}.db"
        return f"sqlite:///{path}", lambda: [p.unlink() for p in tmp.glob(path.name + "*")]

    def pg_url() -> tuple[str, object]:
        url, schema = pg_schema()
        return url, lambda: drop_pg_schema(schema)

    runs = [("sqlite", sqlite_url, 30_000)]
    if postgres_reachable():
        runs.append(("postgresql", pg_url, 50_000))
    else:
        print("PostgreSQL not reachable on 127.0.0.1:5432: skipped")
    n_process = sum(1 for raw in lines if b'"type":"process"' in raw)
    print(f"{len(lines):,} events of {line.name!r}, seed {args.seed}: {n_process:,} process "
          f"events ({100 * n_process / len(lines):.1f} %)")  # fmt: skip
    print(f"{'db':<11}{'events/s':>10}{'process/s':>11}{'cpu s':>8}{'replay/s':>10}"
          f"{'baseline/s':>12}{'ratio':>8}  target (process events/s)")  # fmt: skip
    results = []
    for name, factory, target in runs:
        r = _run(name, factory, line, lines, base)
        results.append(r)
        verdict = "met" if r["process_events_per_s"] >= target else "NOT met"
        print(f"{name:<11}{r['events_per_s']:>10,.0f}{r['process_events_per_s']:>11,.0f}"
              f"{r['cpu_s']:>8.1f}{r['replay_events_per_s']:>10,.0f}"
              f"{r['baseline_events_per_s']:>12,.0f}{r['ratio']:>8.0f}x  "
              f"{r['process_events_per_s']:,.0f} vs {target:,}: {verdict}")  # fmt: skip
    print(json.dumps({"bench": "ingest", "results": results}, default=float))


if __name__ == "__main__":
    main()
