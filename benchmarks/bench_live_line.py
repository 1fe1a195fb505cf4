"""The whole reference line at 100x real time into the MES: does the MES keep up?

Issue 11, item 8: the whole reference line (examples/abf-lfp-20gwh.yaml) at 100x real time
with the MES keeping up. What runs is what a user runs, as whole processes, on a private
Mosquitto:

- ``gigaline mes init LINE --db URL`` (the line's stations in a fresh SQLite file, then a
  fresh PostgreSQL schema where a server is reachable);
- ``gigaline connect --db URL --broker ...`` (the MES side: Sparkplug host and the per-unit
  event subscriber), ended by SIGTERM after the run;
- ``gigaline virtual-line LINE --broker ... --speed 100 --days D --json`` (the twin's line as
  virtual equipment), which stops by itself after ``D`` days of twin time and prints its
  ground truth, with the clock's lag (``max_lag_s``: how far the line itself fell behind its
  own schedule) and its wall time.

An observer in this process (a bare paho subscriber, the baseline) notes the twin time of
every DDATA the line publishes, and once a second the benchmark reads the newest event time
the MES has committed. The MES's lag behind the line is the difference, in twin seconds and in
wall seconds (twin seconds / speed); the observer's own lag behind the line's clock is the
transport's share. After the line stops, ``catch_up_s`` is how long the MES took to commit the
last of it. Rates: DDATA and JSON events per second as published, and events committed per
second.

Ground truth against what the MES committed: the line says how many JSON events (process,
lot, curve) it put into its outbox and how many the broker had not acknowledged when it
stopped (``json_events``, ``unsent``); the MES must hold every one of them (its events other
than ``state``: each database starts empty) and the newest time published. Where it does not,
the benchmark says so (``FAIL``) and exits with status 1.

Run: ``python benchmarks/bench_live_line.py [--speed 100] [--days 0.02] [--db both]``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from _live_common import bare_subscriber, databases, load, mosquitto, quantiles, stop_client
from _mes_common import REFERENCE_LINE
from _proc import stop_process

START = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)  # a Monday morning shift: the line at work
GIGALINE = [sys.executable, "-m", "gigaline.cli"]


class Observer:
    """What the line published: the newest twin time of its DDATA and JSON events, counts."""

    def __init__(self, port: int) -> None:
        from gigaline.events.sparkplug import decode

        self._decode = decode
        self.lock = threading.Lock()
        self.ddata = self.json_events = self.json_messages = 0
        self.history = 0  # JSON events from before the window's start (units already in WIP)
        self.first_s: float | None = None  # wall time of the first message
        self.twin_ms = 0  # the newest twin time published
        self.transport_lag_s: list[float] = []  # arrival vs the line's schedule
        self.clock0: tuple[float, int] | None = None  # (wall, twin ms) of the first DDATA
        self.speed = 1.0
        self.client = bare_subscriber(port, self._on, "bench-observer")
        self.client.subscribe("gigaline/v1/+/+/events", qos=1)

    def _on(self, msg: Any) -> None:
        now = time.time()
        if self.first_s is None and not msg.topic.startswith("spBv1.0/STATE/"):
            self.first_s = now  # the line's first message (not the MES host's STATE)
        if "/DDATA/" in msg.topic:
            ts = max((m.timestamp or 0) for m in self._decode(msg.payload).metrics)
            with self.lock:
                self.ddata += 1
                self.twin_ms = max(self.twin_ms, ts)
                if self.clock0 is None:
                    self.clock0 = (now, ts)
                else:  # arrival minus when the line's clock had it due (wall seconds)
                    due = self.clock0[0] + (ts - self.clock0[1]) / 1000.0 / self.speed
                    self.transport_lag_s.append(now - due)
        elif msg.topic.endswith("/events"):  # one event, or several as NDJSON lines
            try:
                times = [_ms(orjson.loads(x)["ts"]) for x in msg.payload.split(b"\n") if x]
            except (ValueError, KeyError, TypeError):
                return
            if not times:
                return
            start_ms = START.timestamp() * 1000
            with self.lock:
                self.json_events += len(times)
                self.json_messages += 1
                self.history += sum(ts < start_ms for ts in times)
                self.twin_ms = max(self.twin_ms, *times)


def _ms(ts: str) -> int:
    return int(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000)


def _mes_latest_ms(store: Any) -> int:
    latest = store.latest_time()
    return 0 if latest is None else int(latest.timestamp() * 1000)


def _mes_events(store: Any, json_only: bool = False) -> int:
    """Events the MES committed (only those of the JSON channel: all but ``state``)."""
    from sqlalchemy import func, select

    from gigaline.mes.sql import tables as t

    query = select(func.count()).select_from(t.events)
    if json_only:
        query = query.where(t.events.c.type != "state")
    with store.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a running process used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def shortfalls(r: dict[str, Any]) -> list[str]:
    """What the MES did not commit of what the line published (empty: everything)."""
    problems = []
    if r["line_unsent"]:
        problems.append(f"{r['line_unsent']:,} events were still in the line's outbox (not "
                        "acknowledged by the broker) when it stopped")  # fmt: skip
    if r["line_json_events"] is None:
        problems.append("the line did not say how many JSON events it put into its outbox")
    elif r["mes_json_events_committed"] < r["line_json_events"]:
        problems.append(
            f"the MES committed {r['mes_json_events_committed']:,} of the "
            f"{r['line_json_events']:,} JSON events the line put into its outbox"
        )
    if not r["mes_caught_up"]:
        problems.append("the MES never held the newest time the line published")
    return problems


def run_one(port: int, url: str, tmp: Path, speed: float, days: float) -> dict[str, Any]:
    from gigaline.mes.sql import open_store

    broker = f"mqtt://127.0.0.1:{port}"
    env = {**os.environ, "GIGALINE_DB": url}
    subprocess.run([*GIGALINE, "mes", "init", str(REFERENCE_LINE), "--db", url], check=True,
                   env=env, stdout=subprocess.DEVNULL)  # fmt: skip
    mes_log = (tmp / "connect.log").open("w")
    mes = subprocess.Popen([*GIGALINE, "connect", "--db", url, "--broker", broker],
                           env=env, stdout=mes_log, stderr=subprocess.STDOUT)  # fmt: skip
    observer = Observer(port)
    observer.speed = speed
    samples: list[tuple[float, float]] = []  # (wall since start, MES lag behind the line [twin s])
    out: dict[str, Any] = {}
    try:
        with open_store(url) as store:
            time.sleep(3.0)  # connect's host online (its STATE) before the line's births
            t0 = time.monotonic()
            t0_epoch = time.time()
            cpu0 = os.times()
            truth_file = (tmp / "truth.json").open("w+")  # files: a pipe would fill and stall
            line_log = (tmp / "virtual-line.log").open("w+")
            line = subprocess.Popen(
                [*GIGALINE, "virtual-line", str(REFERENCE_LINE), "--broker", broker,
                 "--speed", str(speed), "--days", str(days), "--start", START.isoformat(),
                 "--outbox", str(tmp / "outbox.db"), "--json"],
                stdout=truth_file, stderr=line_log, env=env,
            )  # fmt: skip
            while line.poll() is None:
                time.sleep(1.0)
                print(f"  {time.monotonic() - t0:6.0f} s: {observer.ddata:,} DDATA, "
                      f"{observer.json_events:,} events published; MES lag "
                      f"{samples[-1][1] if samples else float('nan'):.1f} twin s",
                      file=sys.stderr, flush=True)  # fmt: skip
                with observer.lock:
                    published = observer.twin_ms
                if published:
                    # the MES's position on the line's clock: its newest event, the window's
                    # start before it has one of the window
                    mes_at = max(_mes_latest_ms(store), int(START.timestamp() * 1000))
                    lag = max(0.0, (published - mes_at) / 1000.0)
                    samples.append((time.monotonic() - t0, lag))
            line_wall = time.monotonic() - t0
            line.wait()
            line_log.seek(0)
            if line.returncode != 0:
                raise RuntimeError(f"virtual-line failed: {line_log.read()[-2000:]}")
            line_log.close()
            truth_file.seek(0)
            truth = json.load(truth_file)
            truth_file.close()
            # catch-up: until the MES holds the newest published time and its count settles
            t_end = time.monotonic()
            last_n, settled_at = -1, time.monotonic()
            while time.monotonic() - t_end < 300:
                n = _mes_events(store)
                with observer.lock:
                    published = observer.twin_ms
                if n != last_n:
                    last_n, settled_at = n, time.monotonic()
                elif _mes_latest_ms(store) >= published and time.monotonic() - settled_at > 3:
                    break
                time.sleep(0.5)
            catch_up = max(0.0, settled_at - t_end)
            cpu1 = os.times()
            mes_cpu = _cpu_s(mes.pid)  # from its start (mes init ran apart), before SIGTERM
            committed = _mes_events(store)
            committed_json = _mes_events(store, json_only=True)
            with observer.lock:
                caught_up = _mes_latest_ms(store) >= observer.twin_ms
    finally:
        stop_process(mes, signal.SIGTERM, 60)
        mes_log.close()
        stop_client(observer.client)
    twin_s = days * 86_400
    lags = [lag for t, lag in samples if t > 0.1 * line_wall]  # after the first 10 %
    out = {
        "speed": speed,
        "twin_seconds": twin_s,
        "line_wall_s": line_wall,
        "line_expected_wall_s": twin_s / speed,
        "line_clock_max_lag_s": truth.get("max_lag_s"),
        "line_events_played": truth.get("events"),
        "line_startup_s": (observer.first_s - t0_epoch) if observer.first_s else None,
        "history_events_before_start": observer.history,
        "published_ddata": observer.ddata,
        "published_json_events": observer.json_events,
        "published_json_messages": observer.json_messages,
        "published_ddata_per_s": observer.ddata / line_wall,
        "published_json_events_per_s": observer.json_events / line_wall,
        "line_json_events": truth.get("json_events"),
        "line_unsent": truth.get("unsent"),
        "mes_events_committed": committed,
        "mes_json_events_committed": committed_json,
        "mes_caught_up": caught_up,
        "mes_events_per_s": committed / (line_wall + catch_up),
        "mes_lag_twin_s": quantiles(lags) if lags else {},
        "mes_lag_wall_s_p99": (quantiles(lags).get("p99_ms", 0.0) / 1000.0 / speed)
        if lags
        else None,
        "mes_lag_wall_s_max": (max(lags) / speed) if lags else None,
        "catch_up_s": catch_up,
        # arrival at the observer vs the line's own schedule (first DDATA + twin time / speed):
        # the line's lag behind its clock plus the transport's
        "observer_lag_behind_schedule": quantiles(observer.transport_lag_s),
        # the line is the only child that ended between the two readings
        "line_cpu_s": (cpu1.children_user + cpu1.children_system)
        - (cpu0.children_user + cpu0.children_system),
        "mes_connect_cpu_s": mes_cpu,
    }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--speed", type=float, default=100.0)
    ap.add_argument("--days", type=float, default=0.02, help="twin days (0.02 = 29 min)")
    ap.add_argument("--db", choices=("both", "sqlite", "postgresql"), default="both")
    args = ap.parse_args()
    out: dict[str, Any] = {"load_before": load(), "line": REFERENCE_LINE.name,
                           "start": START.isoformat(), "days": args.days}  # fmt: skip
    with mosquitto() as (port, tmp):
        for name, url in databases(tmp, args.db):
            out[name] = run_one(port, url, tmp, args.speed, args.days)
    out["load_after"] = load()
    failed = {name: shortfalls(out[name]) for name in ("sqlite", "postgresql") if name in out}
    for name, problems in failed.items():
        out[name]["shortfalls"] = problems
    print(json.dumps(out, indent=2, default=str))
    print(f"\nload {out['load_before']['load_1min']} -> {out['load_after']['load_1min']} on "
          f"{out['load_before']['cores']} cores; {REFERENCE_LINE.name} at {args.speed:g}x for "
          f"{timedelta(days=args.days)} of twin time")  # fmt: skip
    for name in ("sqlite", "postgresql"):
        r = out.get(name)
        if not r:
            continue
        lag = r["mes_lag_twin_s"]
        print(
            f"{name}: first message {r['line_startup_s'] or 0:.1f} s after the line's start "
            f"(generation); {r['history_events_before_start']:,} of "
            f"{r['published_json_events']:,} JSON events are history from before the window"
        )
        print(f"{name}: line {r['line_wall_s']:.1f} s wall for {r['line_expected_wall_s']:.1f} s "
              f"due (clock max lag {r['line_clock_max_lag_s']:.2f} s); published "
              f"{r['published_ddata_per_s']:,.0f} DDATA/s + {r['published_json_events_per_s']:,.0f}"
              f" events/s; MES lag behind the line p50 {lag.get('p50_ms', 0) / 1000:.1f} / "
              f"p99 {lag.get('p99_ms', 0) / 1000:.1f} / max {lag.get('max_ms', 0) / 1000:.1f} "
              f"twin s ({r['mes_lag_wall_s_max'] or 0:.2f} wall s at most); caught up "
              f"{r['catch_up_s']:.1f} s after the line stopped")  # fmt: skip
        print(f"{name}: the MES committed {r['mes_json_events_committed']:,} of the line's "
              f"{r['line_json_events'] or 0:,} JSON events ({r['mes_events_committed']:,} events "
              f"in all, {r['mes_events_per_s']:,.0f}/s); {r['line_unsent'] or 0:,} left unsent "
              f"in the line's outbox; CPU: line {r['line_cpu_s']:.1f} s, connect "
              f"{r['mes_connect_cpu_s']:.1f} s")  # fmt: skip
        for problem in r["shortfalls"]:
            print(f"FAIL {name}: {problem}")
    if any(failed.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
