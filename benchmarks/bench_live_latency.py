"""Live latency: from a metric's timestamp at the edge to its commit in the MES store.

Issue 11, item 8: p99 latency from the metric's timestamp to its commit at most 1 s at ten
times the reference line's rate.

The rate. The reference line (examples/abf-lfp-20gwh.yaml, as planned by ``gigaline plan``)
completes jobs at the rate this script prints as ``reference_jobs_per_s``: per step, units per
hour over units per job (batch steps: the batch size; discrete and dwell steps: one unit),
over 3,600 s; continuous steps (coating, calendering, slitting: metres) count one counter
update per machine per second, because a coater reports its metres periodically, not per
metre (an assumption: equipment suppliers set the period; 1 s is common). Every job is one
DDATA, so this is the upper bound of what a virtual or real line of that size publishes
without coalescing counter updates. The benchmark publishes ten times that rate.

What runs. A Sparkplug edge node (:class:`gigaline.virtual.sparkplug.EdgeNode`, one device per
station of the reference line) in a separate process sends, at the paced rate, one DDATA per
job: a ``State`` change (which becomes one ``state`` event in the MES) with its
``StopReason`` and the ``Counters/Processed`` counter, each metric stamped with the wall clock
at the moment of publishing. The MES side, in this process, is the Sparkplug host application
(:class:`gigaline.mes.connectors.sparkplug.HostApplication`) on a private Mosquitto, writing to
SQLite, then PostgreSQL when reachable. The latency of an event is the wall time when the
``submit`` that stored it returned (after the commit) minus the metric's timestamp. A
station's first DDATA sets ``idle``, its initial state, so it makes no event: the events
counted are the DDATA sent less one per station.

Baseline, same run, same paced publisher and broker: a bare paho subscriber that notes the
arrival time of each DDATA (the transport's share of the latency on this machine).

Where the latency comes from (measured 2026-12-01, see docs/live.md): not the batching (the
writer commits every ``linger_s`` = 50 ms or 5,000 events, so a batch is a few hundred events
at this rate and its commit takes tens of ms), but the connector process's CPU: on a loaded
machine it gets a share of a core, and when that share is less than the host's CPU per DDATA
times the rate, messages queue in the socket and the broker, and the latency grows with the
queue. ``connector_cpu_share`` (CPU seconds over wall seconds) and ``cpu_us_per_ddata`` are
printed to tell the two apart; ``batches`` gives the writer's batch sizes and commit times.

Run: ``python benchmarks/bench_live_latency.py [--seconds 30] [--factor 10] [--db both]``.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from datetime import datetime
from typing import Any

import orjson

from _live_common import (
    Cpu,
    Publisher,
    bare_subscriber,
    databases,
    load,
    mosquitto,
    quantiles,
    stop_client,
    wait_for,
)
from _mes_common import REFERENCE_LINE

SITE = "bench"
LINE = "line-1"
CONTINUOUS_REPORT_PERIOD_S = 1.0  # assumption, see the module docstring
TARGET_P99_MS = 1000.0


def reference_rate() -> tuple[float, list[str]]:
    """Jobs per second of the reference line as planned, and its station names."""
    from gigaline.model import load_line
    from gigaline.model.naming import station_names
    from gigaline.plan import plan_line

    line = load_line(REFERENCE_LINE)
    phase = plan_line(line).phases[0]
    steps = {s.id: s for s in line.steps}
    rate = 0.0
    stations: list[str] = []
    for planned in phase.steps:
        step = steps[planned.id]
        stations += station_names(step.id, step.machines)
        if step.kind == "continuous":
            rate += step.machines / CONTINUOUS_REPORT_PERIOD_S
        else:
            per_job = step.batch_size if step.kind == "batch" and step.batch_size else 1
            rate += planned.rate_per_h / 3600.0 / per_job
    return rate, stations


def _edge(
    url: str, stations: list[str], rate: float, seconds: float, ready: Any, go: Any, out: Any
) -> None:
    """An edge node of every station: births, then (when told) one DDATA per job, paced."""
    from gigaline.virtual.sparkplug import EdgeNode

    node = EdgeNode(url, SITE, LINE, {s: () for s in stations})
    node.start()
    assert node.wait_online(60)
    ready.set()
    go.wait()
    period = 1.0 / rate
    start = time.perf_counter()
    n = 0
    count = dict.fromkeys(stations, 0)
    states = ("running", "idle")
    while (elapsed := time.perf_counter() - start) < seconds:
        due = int(elapsed / period) + 1
        while n < due:
            station = stations[n % len(stations)]
            count[station] += 1
            node.update(
                station,
                int(time.time() * 1000),
                state=states[count[station] % 2],
                stop_reason="",
                processed=count[station],
            )
            n += 1
        time.sleep(max(0.0, (n * period) - (time.perf_counter() - start)))
    out.value = n
    time.sleep(2.0)
    node.stop()


def bench_baseline(url: str, stations: list[str], rate: float, seconds: float) -> dict[str, Any]:
    """A bare paho subscriber noting the arrival of each DDATA: the transport's latency."""
    from gigaline.events.sparkplug import decode

    latencies: list[float] = []

    def on_message(msg: Any) -> None:
        if "/DDATA/" in msg.topic:
            now = time.time()
            latencies.append(now - decode(msg.payload).metrics[0].timestamp / 1000.0)

    client = bare_subscriber(int(url.rsplit(":", 1)[1]), on_message, "bench-baseline")
    edge = Publisher(_edge, url, stations, rate, seconds)
    latencies.clear()  # the births' initial states are not timed
    edge.start()
    sent = int(edge.join())
    time.sleep(1.0)
    stop_client(client)
    return {"sent": sent, **quantiles(latencies)}


def _epoch_s(ts: str) -> float:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


class _TimedSink:
    """The store's sink, noting when each submitted state event was committed, and each
    batch's size and commit time."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.latencies: list[float] = []
        self.batches: list[tuple[int, float]] = []
        self.active = False
        self._lock = threading.Lock()

    def submit(self, events: Any) -> Any:
        t0 = time.perf_counter()
        result = self.inner.submit(events)
        now = time.time()
        if self.active:  # the host hands in JSON bytes; reading them back is not timed
            with self._lock:
                self.batches.append((len(events), time.perf_counter() - t0))
                for e in events:
                    ts = (orjson.loads(e) if isinstance(e, bytes | str) else e)["ts"]
                    self.latencies.append(now - _epoch_s(ts))
        return result

    def dead_letter(self, letters: Any) -> None:
        self.inner.dead_letter(letters)

    def stations(self) -> set[str]:
        return set(self.inner.stations())


def bench_host(
    url: str, db: str, stations: list[str], rate: float, seconds: float
) -> dict[str, Any]:
    from gigaline.mes.connectors.sink import StoreSink
    from gigaline.mes.connectors.sparkplug import HostApplication
    from gigaline.mes.services import init_line
    from gigaline.mes.sql import open_store
    from gigaline.model import load_line

    with open_store(db) as store:
        init_line(store, load_line(REFERENCE_LINE))
        sink = _TimedSink(StoreSink(store))
        host = HostApplication(url, "bench", sink, stations=sink.stations)
        host.start()
        assert host.wait_online()
        edge = Publisher(_edge, url, stations, rate, seconds)
        wait_for(lambda: host.batcher.accepted, len(stations), idle_s=30, limit_s=120)
        host.drain(30)  # the births' initial states are in
        sink.active = True
        cpu = Cpu()
        cpu.start()
        edge.start()
        sent = int(edge.join())
        host.drain(120)
        wall, cpu_s = cpu.stop()
        stats = dict(host.stats)
        rejected = host.batcher.rejected
        host.stop()
    sizes = sorted(n for n, _ in sink.batches)
    commit_ms = sorted(1000 * d for _, d in sink.batches)
    return {
        "sent": sent,
        **quantiles(sink.latencies),
        "connector_cpu_s": cpu_s,
        "connector_cpu_share": cpu_s / wall,
        "cpu_us_per_ddata": 1e6 * cpu_s / max(sent, 1),
        "batches": {
            "count": len(sizes),
            "median_events": sizes[len(sizes) // 2] if sizes else 0,
            "max_events": sizes[-1] if sizes else 0,
            "median_commit_ms": commit_ms[len(commit_ms) // 2] if commit_ms else 0.0,
            "max_commit_ms": commit_ms[-1] if commit_ms else 0.0,
        },
        "rejected": rejected,
        "rebirth_requests": stats["rebirth_requests"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--factor", type=float, default=10.0, help="times the reference rate")
    ap.add_argument("--db", choices=("both", "sqlite", "postgresql"), default="both")
    args = ap.parse_args()
    ref_rate, stations = reference_rate()
    rate = args.factor * ref_rate
    out: dict[str, Any] = {
        "load_before": load(),
        "reference_jobs_per_s": ref_rate,
        "stations": len(stations),
        "published_ddata_per_s": rate,
        "seconds": args.seconds,
        "target_p99_ms": TARGET_P99_MS,
    }
    with mosquitto() as (port, tmp):
        url = f"mqtt://127.0.0.1:{port}"
        out["baseline_bare_subscriber"] = base = bench_baseline(url, stations, rate, args.seconds)
        for name, db in databases(tmp, args.db):
            r = out[name] = bench_host(url, db, stations, rate, args.seconds)
            if base.get("p99_ms") and "p99_ms" in r:
                r["p99_over_baseline_p99"] = r["p99_ms"] / base["p99_ms"]
                r["meets_target"] = r["p99_ms"] <= TARGET_P99_MS
    out["load_after"] = load()
    print(json.dumps(out, indent=2))
    print(
        f"\nload {out['load_before']['load_1min']} -> {out['load_after']['load_1min']} on "
        f"{out['load_before']['cores']} cores; {len(stations)} stations, "
        f"{rate:,.0f} DDATA/s ({args.factor:g}x the reference line) for {args.seconds:g} s"
    )
    print(f"{'':<12}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'x base p99':>12}{'CPU share':>11}"
          f"  target p99 <= {TARGET_P99_MS:,.0f} ms")  # fmt: skip
    for name in ("baseline_bare_subscriber", "sqlite", "postgresql"):
        r = out.get(name)
        if not r or "p99_ms" not in r:
            continue
        label = "bare paho" if name.startswith("baseline") else name
        ratio = r.get("p99_over_baseline_p99", 1.0)
        share = f"{r['connector_cpu_share']:.2f}" if "connector_cpu_share" in r else ""
        verdict = "" if label == "bare paho" else ("met" if r["meets_target"] else "NOT met")
        print(f"{label:<12}{r['p50_ms']:>9.0f}{r['p99_ms']:>9.0f}{r['max_ms']:>9.0f}"
              f"{ratio:>12.1f}{share:>11}  {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
