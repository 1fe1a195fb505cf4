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

Run: ``python benchmarks/bench_live_latency.py [--seconds 30] [--factor 10]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import statistics
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from _mes_common import REFERENCE_LINE, drop_pg_schema, pg_schema, postgres_reachable
from bench_sparkplug import start_broker

SITE = "bench"
LINE = "line-1"
CONTINUOUS_REPORT_PERIOD_S = 1.0  # assumption, see the module docstring


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


def _edge(url: str, stations: list[str], rate: float, seconds: float, go: Any, sent: Any) -> None:
    from gigaline.virtual.sparkplug import EdgeNode

    node = EdgeNode(url, SITE, LINE, {s: () for s in stations})
    node.start()
    assert node.wait_online(30)
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
    sent.value = n
    time.sleep(2.0)
    node.stop()


def _start_edge(url: str, stations: list[str], rate: float, seconds: float) -> tuple[Any, ...]:
    ctx = mp.get_context("spawn")
    go, sent = ctx.Event(), ctx.Value("q", 0)
    proc = ctx.Process(target=_edge, args=(url, stations, rate, seconds, go, sent))
    proc.start()
    return proc, go, sent


def _quantiles(latencies_s: list[float]) -> dict[str, float]:
    if not latencies_s:
        return {"events": 0}
    q = statistics.quantiles(latencies_s, n=100, method="inclusive")
    return {
        "events": len(latencies_s),
        "p50_ms": 1000 * q[49],
        "p95_ms": 1000 * q[94],
        "p99_ms": 1000 * q[98],
        "max_ms": 1000 * max(latencies_s),
    }


def bench_baseline(url: str, stations: list[str], rate: float, seconds: float) -> dict[str, Any]:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from gigaline.events.sparkplug import decode

    latencies: list[float] = []

    def on_message(_c: Any, _u: Any, msg: Any) -> None:
        if "/DDATA/" in msg.topic:
            now = time.time()
            ts = decode(msg.payload).metrics[0].timestamp
            latencies.append(now - ts / 1000.0)

    port = int(url.rsplit(":", 1)[1])
    client = mqtt.Client(CallbackAPIVersion.VERSION2, "bench-baseline")
    client.on_message = on_message
    client.connect("127.0.0.1", port)
    client.subscribe("spBv1.0/#", qos=1)
    client.loop_start()
    proc, go, sent = _start_edge(url, stations, rate, seconds)
    time.sleep(3.0)
    go.set()
    proc.join()
    client.disconnect()
    client.loop_stop()
    return {"sent": sent.value, **_quantiles(latencies)}


def _epoch_s(ts: str) -> float:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


class _TimedSink:
    """The store's sink, noting when each submitted state event was committed."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.latencies: list[float] = []
        self.active = False
        self._lock = threading.Lock()

    def submit(self, events: Any) -> Any:
        result = self.inner.submit(events)
        now = time.time()
        if self.active:  # the host hands in JSON bytes; reading them back is not timed
            with self._lock:
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
        proc, go, sent = _start_edge(url, stations, rate, seconds)
        deadline = time.monotonic() + 60
        while host.batcher.accepted < len(stations) and time.monotonic() < deadline:
            time.sleep(0.05)  # the births' initial states are in
        host.drain(30)
        sink.active = True
        cpu = time.process_time()
        go.set()
        proc.join()
        host.drain(60)
        cpu = time.process_time() - cpu
        stats = dict(host.stats)
        rejected = host.batcher.rejected
        host.stop()
    return {
        "sent": sent.value,
        **_quantiles(sink.latencies),
        "connector_cpu_s": cpu,
        "rejected": rejected,
        "rebirth_requests": stats["rebirth_requests"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--factor", type=float, default=10.0, help="times the reference rate")
    args = ap.parse_args()
    ref_rate, stations = reference_rate()
    rate = args.factor * ref_rate
    out: dict[str, Any] = {
        "load_average_1min": os.getloadavg()[0],
        "reference_jobs_per_s": ref_rate,
        "stations": len(stations),
        "published_ddata_per_s": rate,
        "seconds": args.seconds,
        "target_p99_ms": 1000.0,
    }
    tmp = Path(tempfile.mkdtemp(prefix="gigaline-bench-latency-"))
    broker, port = start_broker(tmp)
    url = f"mqtt://127.0.0.1:{port}"
    try:
        out["baseline_bare_subscriber"] = bench_baseline(url, stations, rate, args.seconds)
        out["sqlite"] = bench_host(url, f"sqlite:///{tmp / 'bench.db'}", stations, rate,
                                   args.seconds)  # fmt: skip
        if postgres_reachable():
            pg, schema = pg_schema()
            try:
                out["postgresql"] = bench_host(url, pg, stations, rate, args.seconds)
            finally:
                drop_pg_schema(schema)
        base = out["baseline_bare_subscriber"].get("p99_ms")
        for db in ("sqlite", "postgresql"):
            if db in out and base and "p99_ms" in out[db]:
                out[db]["p99_over_baseline_p99"] = out[db]["p99_ms"] / base
                out[db]["meets_target"] = out[db]["p99_ms"] <= out["target_p99_ms"]
    finally:
        broker.terminate()
        broker.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    out["load_average_1min_after"] = os.getloadavg()[0]
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
