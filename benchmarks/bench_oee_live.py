"""Live OEE in-process on PostgreSQL: the line's requests of ``bench_web.py`` without HTTP.

Times :func:`gigaline.mes.services.oee.live_oee` on a database built by ``bench_web.py`` (its
summaries stored): the line over the last 24 h, over the whole data, by shift, and a window of
7 h 20 min beginning at 20 and ending at 40 minutes past an hour (an hour of edges read raw, as a
live window ending now has), with a station's OEE over the whole data as the baseline of the same
run. Per request: wall time p50/p95, this process's CPU time p50 and the database backend's CPU
time per request (read from /proc: the server runs on this machine), the machine's load before
and after.

Run: ``python benchmarks/bench_oee_live.py --db gl_mine_1d --repeats 20`` (default: the database
of ``GIGALINE_BENCH_DB``, else ``gigaline_bench``).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench_web import DB_NAME, SERVER, targets, uptime
from gigaline.mes.services.oee import live_oee
from gigaline.mes.sql import open_store


def _backend_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def requests(tg: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    a, b = tg["since"], tg["until"] + timedelta(seconds=1)
    hour = datetime.fromtimestamp(math.floor(b.timestamp() / 3600) * 3600, UTC)
    mid_b = hour - timedelta(hours=2) + timedelta(minutes=40)
    line = tg["line"]
    return [
        ("baseline: OEE station, whole data", {"station": tg["station"], "since": a, "until": b}),
        ("OEE line, last 24 h", {"line": line, "since": tg["until"] - timedelta(hours=24),
                                 "until": b}),
        ("OEE line, whole data", {"line": line, "since": a, "until": b}),
        ("OEE line by shift, whole data", {"line": line, "since": a, "until": b, "by": "shift"}),
        ("OEE line, 7 h 20 min off the hour", {"line": line, "since": mid_b - timedelta(
            hours=7, minutes=20), "until": mid_b}),
    ]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default=DB_NAME)
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args()
    print(f"bench_oee_live {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {uptime()}")
    tg = targets(args.db)
    store = open_store(
        f"{SERVER.replace('postgresql://', 'postgresql+psycopg://')}/{args.db}",
        create=False, read_only=True,
    )  # fmt: skip
    with store.engine.connect() as conn:  # the pool's one connection, reused by every call
        pid = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
    for label, kw in requests(tg):
        live_oee(store, **kw)  # warm-up: plans, caches
        wall, cpu = [], []
        db0 = _backend_cpu_s(pid)
        for _ in range(args.repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            live_oee(store, **kw)
            wall.append((time.perf_counter() - t0) * 1e3)
            cpu.append((time.process_time() - c0) * 1e3)
        db_ms = (_backend_cpu_s(pid) - db0) / args.repeats * 1e3
        wall.sort()
        p95 = wall[min(len(wall) - 1, round(0.95 * (len(wall) - 1)))]
        print(f"  {label:36s} p50 {statistics.median(wall):7.1f}  p95 {p95:7.1f} ms  "
              f"CPU p50 {statistics.median(cpu):6.1f} ms  database CPU {db_ms:6.1f} ms  "
              f"(n={args.repeats})")  # fmt: skip
    store.close()
    print(f"done ({uptime()})")


if __name__ == "__main__":
    main()
