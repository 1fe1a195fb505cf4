"""Stress run of writers side by side (issue 14, items 1 and 4), on SQLite and PostgreSQL.

Each round: a fresh store; two ingest processes at the same time on two files of the mini test
line's stream that overlap by a third (small batches, so that they interleave), while this
process places holds on random lots and units at random moments. At the end it counts, summed
over the rounds: units that contain a hold's target but are not on the hold (or the reverse),
writers that failed, events dead-lettered, events of the stream not stored, and events still
waiting. Correct: every count 0 but the holds and held units placed.

Run: ``python benchmarks/bench_concurrency.py [--rounds 10] [--days 1]``. Not a speed
benchmark: a fault count, too long for CI (tests/mes/test_concurrency.py runs one round).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from _mes_common import drop_pg_schema, pg_schema, postgres_reachable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.mes import _concurrent as cc  # noqa: E402
from tests.mes.conftest import LINES, mini_events  # noqa: E402

from gigaline.mes.services import init_line  # noqa: E402
from gigaline.mes.sql import open_store  # noqa: E402
from gigaline.mes.sql import tables as t  # noqa: E402
from gigaline.mes.sql.db import make_engine  # noqa: E402
from gigaline.model import load_line  # noqa: E402


def _round(url: str, line, events: list[dict], tmp: Path, seed: int, batch: int) -> dict:
    n = len(events)
    files = []
    for i, part in enumerate((events[: 2 * n // 3], events[n // 3 :])):
        path = tmp / f"part-{seed}-{i}.ndjson"
        path.write_text("".join(json.dumps(e) + "\n" for e in part), encoding="utf-8")
        files.append(path)
    targets = [e["lot"] for e in events if e["type"] == "lot"] * 4 + sorted(
        {e["unit"] for e in events if e["type"] == "process"}
    )[::50]
    with open_store(url) as store:
        init_line(store, line)
        results = cc.queue()
        writers = [cc.start_ingest(url, f, batch, results) for f in files]
        hold_ids = cc.hold_at_random_moments(store, targets, writers, seed=seed)
        for w in writers:
            w.join(300)
    failed = sum(w.exitcode != 0 for w in writers)
    missed, held = cc.missed_units(url, hold_ids)
    engine = make_engine(url)
    with engine.connect() as conn:
        stored = set(conn.execute(select(t.events.c.id)).scalars())
        dead = conn.execute(select(func.count()).select_from(t.dead_letters)).scalar_one()
        waiting = 0
        if "pending_events" in t.metadata.tables:
            waiting = conn.execute(
                select(func.count()).select_from(t.metadata.tables["pending_events"])
            ).scalar_one()
    engine.dispose()
    missing = sum(1 for e in events if e["id"] not in stored)
    return {"holds": len(hold_ids), "held": held, "missed": missed, "failed": failed,
            "dead_letters": dead, "missing": missing, "waiting": waiting}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--days", type=float, default=1.0)
    ap.add_argument("--batch", type=int, default=40)
    args = ap.parse_args()
    line = load_line(LINES / "mini.yaml")
    events = mini_events(line, days=args.days, seed=5)
    tmp = Path(tempfile.mkdtemp(prefix="gigaline-conc-"))
    dbs = ["sqlite"] + (["postgresql"] if postgres_reachable() else [])
    print(f"{args.rounds} rounds x {len(events):,} events, 2 writers (files overlap by a third),"
          f" batches of {args.batch}, holds at random moments")  # fmt: skip
    out = {}
    for db in dbs:
        total: dict[str, int] = {}
        wall = time.perf_counter()
        for r in range(args.rounds):
            if db == "sqlite":
                url, schema = f"sqlite:///{tmp / f'r{r}.db'}", None
            else:
                url, schema = pg_schema()
            try:
                res = _round(url, line, events, tmp, r, args.batch)
            finally:
                if schema is not None:
                    drop_pg_schema(schema)
            for k, v in res.items():
                total[k] = total.get(k, 0) + v
        total["wall_s"] = round(time.perf_counter() - wall)
        out[db] = total
        print(f"{db:<11}" + "  ".join(f"{k} {v:,}" for k, v in total.items()))
    print(json.dumps({"bench": "concurrency", "results": out}))


if __name__ == "__main__":
    main()
