"""The API, the dashboard and the live streams on PostgreSQL holding 16 days of the reference line.

Targets (issue 12, item 5): API p95 under 100 ms for trace, OEE and SPC requests; dashboard
pages interactive in under 500 ms p95 in Chromium; at least 200 concurrent live clients on one
server process.

The dataset: ``gigaline mes init examples/abf-lfp-20gwh.yaml``, ``gigaline generate --days 16
--seed 1`` (the twin's trace, the line in steady state from the first second), ``gigaline
ingest`` (the bulk path: binary COPY) and ``gigaline mes summarise`` (the hourly OEE summaries
that ``gigaline connect`` keeps in production) into the database ``gigaline_bench`` (or
``GIGALINE_BENCH_DB``) on the PostgreSQL server of ``GIGALINE_BENCH_PG_SERVER`` (default
postgresql://postgres@127.0.0.1:5432). It is built once, its build times and sizes kept in
``out/bench/web-dataset-<database>.json``, and reused by ``--reuse`` while the database still
holds what that record says.

The server: ``gigaline serve`` in a process of its own (uvicorn), with a viewer, an operator and
an admin token. Each request is timed by the client (httpx, one connection, sequential) over
``--repeats`` repeats after two warm-up requests; the server's CPU time per request is read from
/proc. Baseline in the same run: ``GET /api/v1/health`` and ``GET /api/v1/lines`` (a token and one
small query): each figure is also given as a ratio to the baseline's p95.

Pages: Chromium (Debian's, ``/usr/bin/chromium``, through Playwright; never ``playwright
install``), logged in, each page loaded ``--page-repeats`` times (the plant and line pages
twice: as they are, where a load may be given the view a load less than 5 s before computed
while nothing newer was stored, and "computed", each load with a window of its own, so that
the server computes every view, as on a line that stores data all the time); interactive =
the load event has fired, every chart holder of the page has been drawn by Plotly with its
data and htmx has settled; the time is ``performance.now()`` then, from the start of the
navigation, printed with the time the page's last byte was received (``responseEnd``: the
server's part and the transfer).
``--only-pages`` picks pages by label (``--only`` picks API requests).

Live: ``--clients`` server-sent event streams (``/live/...``, a mix of plant, line and station
pages, ``every=1`` s) on the one server process while the line is fed: each second a batch of
state changes is posted to ``/api/v1/events`` with the next timestamp; a client has the update
when a tiles message shows its newest time or a later one (a page showing newer data shows the
older too: a view computed more slowly than the feed skips versions, as a slow client does),
waiting up to 30 s after the last update. Reported: the delivery latency from the commit (the
POST's answer) to each client (p50/p95/max, and p95 per kind of page), how many clients got
every update (and how many were shown each update in turn), and the server's CPU and RSS.

Run: ``python benchmarks/bench_web.py --reuse`` (builds the dataset if it is missing: about half
an hour on the 2-core development machine). The machine's load (``uptime``) is printed with the
figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import psycopg

from _proc import stop_process

ROOT = Path(__file__).resolve().parents[1]
LINE = ROOT / "examples" / "abf-lfp-20gwh.yaml"
OUT = ROOT / "out" / "bench"
BIN = Path(sys.executable).parent
SERVER = os.environ.get("GIGALINE_BENCH_PG_SERVER", "postgresql://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("GIGALINE_BENCH_DB", "gigaline_bench")
RECORD = OUT / f"web-dataset-{DB_NAME}.json"
TARGET_API_MS = 100.0
TARGET_PAGE_MS = 500.0
TARGET_CLIENTS = 200


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def db_url(name: str) -> str:
    return SERVER.replace("postgresql://", "postgresql+psycopg://") + f"/{name}"


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), linear between closest ranks (numpy's default)."""
    xs = sorted(values)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * q / 100.0
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def summary(ms: list[float]) -> dict[str, float]:
    return {
        "n": len(ms),
        "p50_ms": pct(ms, 50),
        "p95_ms": pct(ms, 95),
        "p99_ms": pct(ms, 99),
        "max_ms": max(ms),
    }


# -- the dataset ------------------------------------------------------------------------------


def _admin(sql: str) -> None:
    with psycopg.connect(SERVER + "/postgres", autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _counts(name: str) -> dict[str, int] | None:
    try:
        with psycopg.connect(SERVER + f"/{name}") as conn:
            out = {}
            for table in ("events", "process_records", "genealogy", "machine_states", "curves"):
                out[table] = int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
            return out
    except psycopg.Error:
        return None


#: Tables no part of the benchmark writes to: a reused dataset still holds what was built.
_KEPT = ("process_records", "genealogy", "curves")


def _db_bytes(name: str) -> int:
    with psycopg.connect(SERVER + "/postgres") as conn:
        row = conn.execute("SELECT pg_database_size(%s)", (name,)).fetchone()
    return int(row[0]) if row else 0


def _timed(cmd: list[str], **kw: Any) -> dict[str, float]:
    """Run a whole command; wall time, CPU time and peak RSS of the child."""
    t0 = time.perf_counter()
    before = os.times()
    proc = subprocess.Popen(cmd, **kw)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    after = os.times()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed ({status}): {' '.join(cmd)}")
    del before, after
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "max_rss_mb": usage.ru_maxrss / 1024.0,
    }


def build_dataset(days: float, seed: int, keep: Path | None) -> dict[str, Any]:
    """Create ``gigaline_bench`` and fill it with ``days`` of the reference line."""
    print(f"building the dataset: {days:g} days of {LINE.name}, seed {seed} ({uptime()})")
    _admin(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
    _admin(f'CREATE DATABASE "{DB_NAME}"')
    url = db_url(DB_NAME)
    gl = str(BIN / "gigaline")
    subprocess.run(
        [gl, "mes", "init", str(LINE), "--db", url], check=True, stdout=subprocess.DEVNULL
    )
    tmp = Path(tempfile.mkdtemp(prefix="gigaline-bench-"))
    ndjson = keep or tmp / "events.ndjson"
    try:
        gen = _timed(
            [
                gl,
                "generate",
                "--line",
                str(LINE),
                "--days",
                f"{days:g}",
                "--seed",
                str(seed),
                "-o",
                str(ndjson),
            ]
        )
        size = ndjson.stat().st_size
        print(
            f"  generate: {gen['wall_s']:.0f} s, {size / 1e9:.2f} GB, "
            f"peak RSS {gen['max_rss_mb']:.0f} MB"
        )
        ing = _timed([gl, "ingest", str(ndjson), "--db", url, "--json"], stdout=subprocess.DEVNULL)
        print(f"  ingest: {ing['wall_s']:.0f} s, peak RSS {ing['max_rss_mb']:.0f} MB")
        # the hourly OEE summaries, which `gigaline connect` keeps up in production
        summ = _timed([gl, "mes", "summarise", "--db", url], stdout=subprocess.DEVNULL)
        print(f"  summarise: {summ['wall_s']:.0f} s, peak RSS {summ['max_rss_mb']:.0f} MB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with psycopg.connect(SERVER + f"/{DB_NAME}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    record = {
        "built": datetime.now(UTC).isoformat(timespec="seconds"),
        "line": LINE.name,
        "days": days,
        "seed": seed,
        "ndjson_bytes": size,
        "generate": gen,
        "ingest": ing,
        "summarise": summ,
        "db_bytes": _db_bytes(DB_NAME),
        "counts": _counts(DB_NAME),
        "load": uptime(),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    RECORD.write_text(json.dumps(record, indent=2))
    return record


def dataset(days: float, seed: int, reuse: bool, keep: Path | None) -> dict[str, Any]:
    if reuse and RECORD.is_file():
        record = json.loads(RECORD.read_text())
        if record.get("days") != days or record.get("seed") != seed:
            # a 16-day build is an hour and drops the database: never on a mistyped option
            raise SystemExit(
                f"bench_web: --reuse: {DB_NAME} holds {record.get('days')} days, seed "
                f"{record.get('seed')} ({RECORD}); give --days {record.get('days')} --seed "
                f"{record.get('seed')}, or leave out --reuse to build it again"
            )
        now, then = _counts(DB_NAME) or {}, record.get("counts", {})
        # the live part adds state events (events, machine_states): the rest must be as built
        if all(now.get(k) == then.get(k) for k in _KEPT):
            print(f"reusing {DB_NAME}: built {record['built']}")
            return record
        print("the recorded dataset does not match the database: building it again")
    return build_dataset(days, seed, keep)


# -- the server -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tokens(url: str) -> dict[str, str]:
    """An admin (``serve`` refuses to start without one), an operator and a viewer token."""
    from gigaline.mes.services.access import create_token
    from gigaline.mes.sql import open_store

    with open_store(url) as store:
        return {
            role: create_token(store, role, f"bench {role}", by="bench_web").token
            for role in ("admin", "operator", "viewer")
        }


@contextmanager
def server(url: str) -> Any:
    port = _free_port()
    env = dict(os.environ, GIGALINE_DB=url)
    OUT.mkdir(parents=True, exist_ok=True)
    log = (OUT / "web-server.log").open("wb")
    proc = subprocess.Popen(
        [str(BIN / "gigaline"), "serve", "--db", url, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            if httpx.get(base + "/api/v1/health", timeout=1.0).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"gigaline serve did not start: see {OUT / 'web-server.log'}")
        time.sleep(0.2)
    try:
        yield base, proc.pid
    finally:
        stop_process(proc, signal.SIGINT, 10)


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


# -- what to ask for --------------------------------------------------------------------------


def targets(name: str) -> dict[str, Any]:
    """A cell deep in the genealogy (it went through every step), a coil and a lot to look up
    where they are used, a busy station, the window of the data, an SPC parameter."""
    with psycopg.connect(SERVER + f"/{name}") as conn:
        q = conn.execute
        lo, hi = q("SELECT min(ts), max(ts) FROM machine_states").fetchone()  # type: ignore[misc]
        mid = lo + (hi - lo) / 2
        last = q("SELECT max(position) FROM steps").fetchone()[0]  # type: ignore[index]
        sorting = q("SELECT id FROM steps WHERE position = %s", (last,)).fetchone()[0]  # type: ignore[index]
        cell = q(
            "SELECT unit FROM process_records WHERE step_id = %s AND ts >= %s ORDER BY ts LIMIT 1",
            (sorting, mid),
        ).fetchone()[0]  # type: ignore[index]
        coil = q(
            "SELECT p.unit FROM process_records p JOIN steps s ON s.id = p.step_id "
            "WHERE s.name = 'c_coating' AND p.ts >= %s ORDER BY p.ts LIMIT 1",
            (mid,),
        ).fetchone()[0]  # type: ignore[index]
        lot = q(  # the electrolyte lot the cell was filled from
            "SELECT g.parent FROM genealogy g JOIN lots l ON l.id = g.parent "
            "WHERE g.child = %s AND l.material = 'electrolyte' LIMIT 1",
            (cell,),
        ).fetchone()[0]  # type: ignore[index]
        station = q(
            "SELECT n.name FROM stations n JOIN steps s ON s.id = n.step_id "
            "WHERE s.name = 'stacking' ORDER BY n.id LIMIT 1"
        ).fetchone()[0]  # type: ignore[index]
        line = q("SELECT name FROM lines ORDER BY id LIMIT 1").fetchone()[0]  # type: ignore[index]
        params = q(
            "SELECT params FROM process_records WHERE step_id = "
            "(SELECT id FROM steps WHERE name = 'stacking') AND params IS NOT NULL LIMIT 1"
        ).fetchone()[0]  # type: ignore[index]
    return {
        "cell": cell,
        "coil": coil,
        "lot": lot,
        "station": station,
        "line": line,
        "since": lo,
        "until": hi,
        "spc": ("stacking", next(iter(json.loads(params)))),
    }


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def api_requests(tg: dict[str, Any]) -> list[tuple[str, str]]:
    a, b = _iso(tg["since"]), _iso(tg["until"] + timedelta(seconds=1))
    day = _iso(tg["until"] - timedelta(hours=24))
    mid = tg["until"].replace(minute=0, second=0, microsecond=0) - timedelta(minutes=30)
    step, param = tg["spc"]
    st, ln = quote(tg["station"]), quote(tg["line"])
    return [
        ("baseline: GET /api/v1/health", "/api/v1/health"),
        ("baseline: GET /api/v1/lines", "/api/v1/lines"),
        ("trace of a finished cell", f"/api/v1/trace/{quote(tg['cell'])}"),
        ("genealogy graph of the cell", f"/api/v1/genealogy/{quote(tg['cell'])}"),
        ("where-used of a cathode coil", f"/api/v1/where-used/{quote(tg['coil'])}"),
        ("where-used of an electrolyte lot", f"/api/v1/where-used/{quote(tg['lot'])}"),
        ("OEE station, 16 days", f"/api/v1/oee?station={st}&since={a}&until={b}"),
        ("OEE station by shift, 16 days", f"/api/v1/oee?station={st}&since={a}&until={b}&by=shift"),
        ("OEE line, last 24 h", f"/api/v1/oee?line={ln}&since={day}&until={b}"),
        # the same ending half an hour into an hour (a live window: the newest data ends just
        # after an hour begins, so the window above reads a second of raw rows at its end)
        (
            "OEE line, 24 h ending mid-hour",
            f"/api/v1/oee?line={ln}&since={_iso(mid - timedelta(hours=24))}&until={_iso(mid)}",
        ),
        ("OEE line, 16 days", f"/api/v1/oee?line={ln}&since={a}&until={b}"),
        ("OEE line by shift, 16 days", f"/api/v1/oee?line={ln}&since={a}&until={b}&by=shift"),
        ("SPC I-MR stacking, default", f"/api/v1/spc/{step}/{quote(param)}"),
        ("SPC X-bar R stacking, default", f"/api/v1/spc/{step}/{quote(param)}?chart=xbar_r"),
        ("SPC I-MR stacking, last 24 h", f"/api/v1/spc/{step}/{quote(param)}?since={day}"),
    ]


def bench_api(
    base: str, pid: int, token: str, tg: dict[str, Any], repeats: int, only: str | None
) -> list[dict[str, Any]]:
    out = []
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=600.0) as client:
        for label, path in api_requests(tg):
            if only and not re.search(only, label) and not label.startswith("baseline"):
                continue
            r = client.get(path)
            if r.status_code != 200:
                print(f"  {label}: HTTP {r.status_code} {r.text[:300]}")
                continue
            size = len(r.content)
            first = r.elapsed.total_seconds() * 1e3
            n = repeats if first < 2000 else max(3, repeats // 10)
            client.get(path)
            ms = []
            cpu0 = proc_cpu_s(pid)
            for _ in range(n):
                t0 = time.perf_counter()
                r = client.get(path)
                ms.append((time.perf_counter() - t0) * 1e3)
                assert r.status_code == 200
            cpu = (proc_cpu_s(pid) - cpu0) / n * 1e3
            row = {
                "request": label,
                "path": path,
                "bytes": size,
                **summary(ms),
                "server_cpu_ms": cpu,
            }
            out.append(row)
            print(
                f"  {label:38s} p50 {row['p50_ms']:8.1f}  p95 {row['p95_ms']:8.1f}  "
                f"p99 {row['p99_ms']:8.1f} ms  server CPU {cpu:7.1f} ms  "
                f"{size / 1e3:9.1f} kB  (n={n})"
            )
    base_p95 = next((r["p95_ms"] for r in out if r["request"].endswith("/api/v1/lines")), None)
    for r in out:
        r["ratio_to_baseline_p95"] = r["p95_ms"] / base_p95 if base_p95 else None
    return out


# -- pages in Chromium ------------------------------------------------------------------------

_READY = """() => {
  if (document.readyState !== 'complete') return false;
  if (document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')) return false;
  const holders = document.querySelectorAll('script[type="application/json"][data-chart]');
  for (const h of holders) {
    const div = document.getElementById(h.dataset.chart);
    if (div && !(div.data && div.data.length && div._fullLayout)) {
      const fig = JSON.parse(h.textContent);
      if (fig && fig.data && fig.data.length) return false;
    }
  }
  return performance.now();
}"""


def pages(tg: dict[str, Any]) -> list[tuple[str, str]]:
    step, param = tg["spc"]
    return [
        ("plant", "/plant"),
        # a window of its own for every load ({n}: the load's number): the server computes
        # the view each time instead of giving again the one a load before computed
        ("plant, computed", "/plant?hours=8.{n:04d}"),
        ("line", f"/lines/{quote(tg['line'])}"),
        ("line, computed", f"/lines/{quote(tg['line'])}?hours=8.{{n:04d}}"),
        ("station", f"/stations/{quote(tg['station'])}"),
        ("SPC chart", f"/spc/chart?step={step}&param={quote(param)}"),
        ("cell", f"/cells/{quote(tg['cell'])}"),
        ("holds", "/holds"),
    ]


_RESPONSE_END = "() => performance.getEntriesByType('navigation')[0].responseEnd"


def bench_pages(
    base: str, token: str, tg: dict[str, Any], repeats: int, only: str | None = None
) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = ctx.new_page()
        page.set_default_timeout(600_000)
        page.goto(base + "/login?next=/holds")
        page.fill("input[name=token]", token)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r".*/holds$"))
        for label, path in pages(tg):
            if only and not re.search(only, label):
                continue
            ms, served = [], []
            for i in range(repeats + 1):
                page.goto(base + path.replace("{n:04d}", f"{i:04d}"), wait_until="commit")
                handle = page.wait_for_function(_READY, polling=10)
                if i:  # the first load warms the browser's cache of the static files
                    ms.append(float(handle.json_value()))
                    served.append(float(page.evaluate(_RESPONSE_END)))
            # the page's last byte received: the server's part (and the transfer) of the time
            row = {"page": label, "path": path, **summary(ms), "response_end_ms": summary(served)}
            out.append(row)
            got = row["response_end_ms"]
            print(
                f"  {label:12s} p50 {row['p50_ms']:8.1f}  p95 {row['p95_ms']:8.1f}  "
                f"max {row['max_ms']:8.1f} ms  (n={len(ms)}); page received p50 "
                f"{got['p50_ms']:.1f}, p95 {got['p95_ms']:.1f} ms"
            )
        browser.close()
    return out


# -- live clients -----------------------------------------------------------------------------

_UPDATED = re.compile(r'class="updated">(\d\d:\d\d:\d\d)<')


async def _client(
    client: httpx.AsyncClient,
    cookie: str,
    path: str,
    seen: dict[str, float],
    stop: asyncio.Event,
    errors: list[str],
) -> None:
    headers = {"Cookie": cookie, "Accept": "text/event-stream"}
    try:
        async with client.stream("GET", path, headers=headers) as r:
            if r.status_code != 200:
                errors.append(f"{path}: HTTP {r.status_code}")
                return
            event = ""
            async for line in r.aiter_lines():
                if stop.is_set():
                    return
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "tiles":
                    m = _UPDATED.search(line)
                    if m and m.group(1) not in seen:
                        seen[m.group(1)] = time.perf_counter()
    except (httpx.HTTPError, asyncio.CancelledError) as exc:
        if not stop.is_set():
            errors.append(f"{path}: {exc!r}")


def _delivered(mine: dict[str, float], order: dict[str, int]) -> dict[str, float]:
    """When each fed update was on one client's page: the first message showing it or a later
    one (a page showing newer data holds the older too; a view slower than the feed skips
    versions, and a slow client is handed the newest one)."""
    shown = sorted((t, order[k]) for k, t in mine.items() if k in order)
    out: dict[str, float] = {}
    for k, j in order.items():
        first = next((t for t, i in shown if i >= j), None)
        if first is not None:
            out[k] = first
    return out


def _state_batch(stations: list[str], ts: datetime, k: int) -> str:
    states = ("running", "down", "running", "starved")
    lines = []
    for i, st in enumerate(stations):
        e: dict[str, Any] = {
            "id": f"bench-live-{ts.timestamp():.0f}-{i}",
            "type": "state",
            "ts": _iso(ts),
            "station": st,
            "state": states[(k + i) % 4],
        }
        if e["state"] == "down":
            e["reason"] = "bench_feed"
        lines.append(json.dumps(e))
    return "\n".join(lines) + "\n"


async def _live(
    base: str,
    pid: int,
    cookie: str,
    operator: str,
    tg: dict[str, Any],
    n_clients: int,
    updates: int,
    stations: list[str],
    bound_s: float = 30.0,
) -> dict[str, Any]:
    paths = [
        "/live/plant?every=1",
        f"/live/lines/{quote(tg['line'])}?every=1",
        *(f"/live/stations/{quote(s)}?every=1" for s in stations[:6]),
    ]
    stop = asyncio.Event()
    errors: list[str] = []
    seen: list[dict[str, float]] = [{} for _ in range(n_clients)]
    # one client, a connection per stream (a client each would load the TLS context each)
    limits = httpx.Limits(max_connections=n_clients + 10, max_keepalive_connections=0)
    streams = httpx.AsyncClient(base_url=base, timeout=None, limits=limits)
    tasks = [
        asyncio.create_task(_client(streams, cookie, paths[i % len(paths)], seen[i], stop, errors))
        for i in range(n_clients)
    ]
    await asyncio.sleep(3.0 + n_clients / 50)  # every client connected and had its first update
    rss0, cpu0, t0 = proc_rss_mb(pid), proc_cpu_s(pid), time.perf_counter()
    commits: dict[str, float] = {}
    # every fed update goes to the stations the live clients look at plus the rest of the line
    fed = list(dict.fromkeys([*stations[:6], *stations]))[:40]
    ts = tg["until"].replace(microsecond=0) + timedelta(seconds=60)
    async with httpx.AsyncClient(base_url=base, timeout=60.0) as feeder:
        for k in range(updates):
            ts = ts + timedelta(seconds=7)
            body = _state_batch(fed, ts, k)
            r = await feeder.post(
                "/api/v1/events",
                content=body,
                headers={
                    "Authorization": f"Bearer {operator}",
                    "Content-Type": "application/x-ndjson",
                },
            )
            r.raise_for_status()
            commits[ts.strftime("%H:%M:%S")] = time.perf_counter()
            await asyncio.sleep(1.5)
    # every client's last update, or the bound (a client without it has missed it)
    deadline = time.perf_counter() + bound_s
    last = list(commits)[-1] if commits else None
    while time.perf_counter() < deadline and not all(last in mine for mine in seen):
        await asyncio.sleep(0.5)
    cpu = proc_cpu_s(pid) - cpu0
    wall = time.perf_counter() - t0
    rss = proc_rss_mb(pid)
    stop.set()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await streams.aclose()
    lat, complete, each = [], 0, 0
    by_page: dict[str, list[float]] = {}
    order = {k: j for j, k in enumerate(commits)}
    for i, mine in enumerate(seen):
        got = _delivered(mine, order)
        ms = [(t - commits[k]) * 1e3 for k, t in got.items()]
        lat.extend(ms)
        by_page.setdefault(paths[i % len(paths)].split("/")[2], []).extend(ms)
        complete += len(got) == len(commits)
        each += all(k in mine for k in commits)
    missed = n_clients * len(commits) - len(lat)
    return {
        "clients": n_clients,
        "updates": len(commits),
        "clients_with_every_update": complete,
        "clients_shown_each_update_in_turn": each,
        "deliveries_missed": missed,
        "latency": summary(lat) if lat else None,
        "latency_by_page": {k: summary(v) for k, v in by_page.items() if v},
        "server_cpu_share": cpu / wall,
        "server_rss_mb_before": rss0,
        "server_rss_mb": rss,
        "errors": errors[:5],
        "n_errors": len(errors),
    }


def _session_cookie(base: str, token: str) -> str:
    r = httpx.post(
        base + "/login", data={"token": token}, headers={"Origin": base}, follow_redirects=False
    )
    cookie = r.headers.get("set-cookie", "").split(";", 1)[0]
    if not cookie:
        raise SystemExit(f"login refused: HTTP {r.status_code}")
    return cookie


def bench_live(
    base: str,
    pid: int,
    viewer: str,
    operator: str,
    tg: dict[str, Any],
    n_clients: int,
    updates: int,
) -> dict[str, Any]:
    cookie = _session_cookie(base, viewer)
    with psycopg.connect(SERVER + f"/{DB_NAME}") as conn:
        stations = [r[0] for r in conn.execute("SELECT name FROM stations ORDER BY id")]
    res = asyncio.run(_live(base, pid, cookie, operator, tg, n_clients, updates, stations))
    lat = res["latency"] or {}
    print(
        f"  {res['clients']} clients, {res['updates']} updates: "
        f"{res['clients_with_every_update']} clients got every update, "
        f"{res['deliveries_missed']} deliveries missed; latency p50 {lat.get('p50_ms', 0):.0f}"
        f"  p95 {lat.get('p95_ms', 0):.0f}  max {lat.get('max_ms', 0):.0f} ms; server CPU "
        f"{res['server_cpu_share']:.0%} of a core, RSS {res['server_rss_mb']:.0f} MB; "
        f"errors {res['n_errors']}"
    )
    shown = res["clients_shown_each_update_in_turn"]
    by = ", ".join(f"{k} {v['p95_ms']:.0f}" for k, v in res["latency_by_page"].items())
    print(f"  latency p95 by page [ms]: {by}; {shown} clients were shown each update in turn")
    return res


# -- main -------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reuse", action="store_true", help="reuse the dataset if it is there")
    ap.add_argument("--days", type=float, default=16.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=40, help="timed requests per API request")
    ap.add_argument("--page-repeats", type=int, default=20, help="timed loads per page")
    ap.add_argument("--clients", type=int, default=TARGET_CLIENTS, help="live clients")
    ap.add_argument("--updates", type=int, default=10, help="fed updates during the live run")
    ap.add_argument("--only", help="API requests whose label matches this regular expression")
    ap.add_argument("--only-pages", help="pages whose label matches this regular expression")
    ap.add_argument("--skip", nargs="*", default=[], choices=["api", "pages", "live"])
    ap.add_argument("--keep-ndjson", type=Path, help="keep the generated events here")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the server on the way out

    print(f"bench_web {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores; {uptime()}")
    record = dataset(args.days, args.seed, args.reuse, args.keep_ndjson)
    print(
        f"dataset: {record['days']:g} days, {record['counts']['events']:,} events, "
        f"{record['counts']['process_records']:,} process records, "
        f"database {record['db_bytes'] / 1e9:.1f} GB; built in "
        f"{record['generate']['wall_s']:.0f} s (generate) + {record['ingest']['wall_s']:.0f} s "
        f"(ingest)"
    )
    url = db_url(DB_NAME)
    tokens = _tokens(url)
    tg = targets(DB_NAME)
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "dataset": record,
        "targets": {k: str(v) for k, v in tg.items()},
    }
    with server(url) as (base, pid):
        if "api" not in args.skip:
            print(f"API (client wall time, sequential; {uptime()})")
            result["api"] = bench_api(base, pid, tokens["viewer"], tg, args.repeats, args.only)
        if "pages" not in args.skip:
            print(f"pages in Chromium, time to interactive ({uptime()})")
            result["pages"] = bench_pages(
                base, tokens["viewer"], tg, args.page_repeats, args.only_pages
            )
        if "live" not in args.skip:
            print(f"live clients on one server process ({uptime()})")
            result["live"] = bench_live(
                base, pid, tokens["viewer"], tokens["operator"], tg, args.clients, args.updates
            )
        result["server_rss_mb"] = proc_rss_mb(pid)
    result["load_end"] = uptime()
    print(f"done ({uptime()})")
    OUT.mkdir(parents=True, exist_ok=True)
    figures = OUT / ("web.json" if DB_NAME == "gigaline_bench" else f"web-{DB_NAME}.json")
    figures.write_text(json.dumps(result, indent=2, default=str))
    print(f"figures -> {figures}")


if __name__ == "__main__":
    main()
