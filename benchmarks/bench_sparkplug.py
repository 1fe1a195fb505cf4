"""Sparkplug B: codec speed, and DDATA per second through Mosquitto into the MES store.

1. Codec, a 10-metric DDATA (State, StopReason, two counters, six Double parameters):
   ``gigaline.events.sparkplug.encode`` / ``decode`` + ``typed_value`` of every metric, against
   protobuf's own generic work on the same message in the same run (filling a ``Payload``
   message and ``SerializeToString``; ``FromString`` and reading every field).
2. End to end, one connector process: a publisher process sends pre-encoded DDATA (10
   metrics, a State change in each, so each makes one ``state`` event) at QoS 0 through a
   private Mosquitto to :class:`~gigaline.mes.connectors.sparkplug.HostApplication`, which
   decodes, keeps the live values and commits the events to SQLite (then PostgreSQL when
   reachable). Baseline, same run, same publisher and broker: a bare paho subscriber that only
   counts the messages (the transport's ceiling on this machine). Target (issue 11): 10,000
   DDATA/s of 10 metrics per connector process.

The clock starts when the births are in and the publisher is ready (connected, every message
encoded), and stops at the commit of the last event (baseline: the arrival of the last DDATA).
Rates are DDATA over that time; ``ddata_per_cpu_s`` is DDATA over the connector process's CPU
seconds (all its threads): what one free core would sustain, whatever else the machine runs.

Run: ``python benchmarks/bench_sparkplug.py [--messages 100000] [--codec 20000] [--db both]``.
The machine has 2 cores: publisher, broker and connector share them, so the wall-clock rates
are a floor; the load average is printed before and after (benchmarks/_live_common.py).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from _live_common import (
    Cpu,
    Publisher,
    bare_subscriber,
    databases,
    load,
    mosquitto,
    stop_client,
    wait_for,
)
from gigaline.events.sparkplug import DataType, Metric, Payload, decode, encode, typed_value
from gigaline.events.sparkplug import sparkplug_b_pb2 as pb

MINI_LINE = Path(__file__).resolve().parents[1] / "tests" / "mes" / "lines" / "mini.yaml"
T0 = 1_764_316_800_000
PARAMS = [f"p{i}_mm" for i in range(6)]
STATIONS = ["stack-1", "fill-1", "fill-2", "c_coat-1", "a_coat-1"]


# -- 1. codec ---------------------------------------------------------------------------


def ddata(i: int, seq: int) -> Payload:
    ts = T0 + i
    metrics = [
        Metric(None, 3, ts, DataType.String, "running" if i % 2 else "idle"),
        Metric(None, 4, ts, DataType.String, "" if i % 2 else "no cells"),
        Metric(None, 5, ts, DataType.UInt64, i),
        Metric(None, 6, ts, DataType.UInt64, i // 100),
    ] + [Metric(None, 7 + k, ts, DataType.Double, 20.0 + k + i * 1e-3) for k in range(6)]
    return Payload(timestamp=ts, seq=seq, metrics=metrics)


def bench_codec(n: int) -> dict[str, float]:
    payloads = [ddata(i, i % 256) for i in range(n)]
    t = time.perf_counter()
    blobs = [encode(p) for p in payloads]
    enc = (time.perf_counter() - t) / n
    t = time.perf_counter()
    for p in payloads:  # baseline: protobuf's generic message, filled field by field
        msg = pb.Payload(timestamp=p.timestamp, seq=p.seq)
        for m in p.metrics:
            out = msg.metrics.add(alias=m.alias, timestamp=m.timestamp, datatype=m.datatype)
            if isinstance(m.value, str):
                out.string_value = m.value
            elif isinstance(m.value, float):
                out.double_value = m.value
            else:
                out.long_value = int(m.value)  # type: ignore[arg-type]
        msg.SerializeToString()
    enc_base = (time.perf_counter() - t) / n
    types = [m.datatype for m in payloads[0].metrics]
    t = time.perf_counter()
    for b in blobs:
        d = decode(b)
        for m, dt in zip(d.metrics, types, strict=True):
            typed_value(m, dt)  # type: ignore[arg-type]
    dec = (time.perf_counter() - t) / n
    t = time.perf_counter()
    for b in blobs:  # baseline: parse, then read every metric's fields
        msg = pb.Payload.FromString(b)
        for m in msg.metrics:
            kind = m.WhichOneof("value")
            (m.alias, m.timestamp, getattr(m, kind) if kind else None)
    dec_base = (time.perf_counter() - t) / n
    return {
        "bytes": len(blobs[0]),
        "encode_us": enc * 1e6,
        "encode_baseline_us": enc_base * 1e6,
        "encode_ratio": enc / enc_base,
        "decode_us": dec * 1e6,
        "decode_baseline_us": dec_base * 1e6,
        "decode_ratio": dec / dec_base,
    }


# -- 2. end to end ----------------------------------------------------------------------

TARGET_DDATA_PER_S = 10_000  # issue 11, item 8: per connector process, 10 metrics each


def _messages(n: int) -> tuple[list[tuple[str, bytes]], list[tuple[str, bytes]]]:
    """Births and ``n`` DDATA of one edge node, its stations in turn (aliases as births)."""
    births = [
        ("spBv1.0/testsite/NBIRTH/bench", encode(Payload(timestamp=T0, seq=0, metrics=[
            Metric("Node Control/Rebirth", 1, T0, DataType.Boolean, False),
            Metric("bdSeq", 2, T0, DataType.Int64, 0)])))
    ]  # fmt: skip
    seq = 0
    for s, station in enumerate(STATIONS):
        seq += 1
        base = 100 * (s + 1)
        metrics = [
            Metric(name, base + k, T0, dt, value)
            for k, (name, dt, value) in enumerate(
                [("State", DataType.String, "idle"), ("StopReason", DataType.String, ""),
                 ("Counters/Processed", DataType.UInt64, 0),
                 ("Counters/Defective", DataType.UInt64, 0)]
                + [(f"Parameters/{p}", DataType.Double, 0.0) for p in PARAMS]
            )
        ]  # fmt: skip
        births.append((f"spBv1.0/testsite/DBIRTH/bench/{station}",
                       encode(Payload(timestamp=T0, seq=seq, metrics=metrics))))  # fmt: skip
    data = []
    for i in range(n):
        seq = (seq + 1) % 256
        s = i % len(STATIONS)
        p = ddata(i + 1, seq)
        for k, m in enumerate(p.metrics):
            m.alias = 100 * (s + 1) + k
        data.append((f"spBv1.0/testsite/DDATA/bench/{STATIONS[s]}", encode(p)))
    return births, data


def _publisher(port: int, n: int, ready: Any, go: Any, out: Any) -> None:
    """Connect, send the births, encode ``n`` DDATA; when told, send them at QoS 0."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    births, data = _messages(n)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, "bench-edge")
    client.connect("127.0.0.1", port)
    client.loop_start()
    for topic, payload in births:
        client.publish(topic, payload, qos=1).wait_for_publish(30)
    ready.set()
    go.wait()
    t = time.perf_counter()
    for topic, payload in data:
        client.publish(topic, payload)
    out.value = time.perf_counter() - t
    time.sleep(1.0)
    client.disconnect()
    client.loop_stop()


def bench_baseline(port: int, n: int) -> dict[str, float]:
    """A bare paho subscriber that counts the DDATA: the transport's ceiling."""
    got = {"n": 0, "last": 0.0}

    def on_message(msg: Any) -> None:
        if "/DDATA/" in msg.topic:
            got["n"] += 1
            got["last"] = time.perf_counter()

    client = bare_subscriber(port, on_message, "bench-baseline")
    pub = Publisher(_publisher, port, n)
    cpu = Cpu()
    cpu.start()
    pub.start()
    wait_for(lambda: got["n"], n, idle_s=10, limit_s=600)
    _wall, cpu_s = cpu.stop()
    pub.join()
    stop_client(client)
    span = max(got["last"] - cpu.wall0, 1e-9)
    return {"received": got["n"], "seconds": span, "ddata_per_s": got["n"] / span,
            "cpu_us_per_ddata": 1e6 * cpu_s / max(got["n"], 1)}  # fmt: skip


def bench_host(port: int, n: int, url: str) -> dict[str, float]:
    from gigaline.mes.connectors.sink import StoreSink
    from gigaline.mes.connectors.sparkplug import HostApplication
    from gigaline.mes.services import init_line
    from gigaline.mes.sql import open_store
    from gigaline.model import load_line

    with open_store(url) as store:
        init_line(store, load_line(MINI_LINE))
        sink = StoreSink(store)
        host = HostApplication(f"mqtt://127.0.0.1:{port}", "bench", sink, stations=sink.stations)
        host.start()
        assert host.wait_online()
        pub = Publisher(_publisher, port, n)
        births = len(STATIONS)  # each DBIRTH's initial state is one event
        assert wait_for(lambda: host.batcher.accepted, births, idle_s=30, limit_s=60)
        cpu = Cpu()
        cpu.start()
        pub.start()
        wait_for(lambda: host.batcher.accepted, n + births, idle_s=10, limit_s=600)
        wall, cpu_s = cpu.stop()
        publish_s = pub.join()
        committed = host.batcher.accepted - births
        stats = dict(host.stats)
        host.stop()
    return {
        "sent": n,
        "publish_s": publish_s,
        "committed_events": committed,
        "not_committed": n - committed,
        "wall_s": wall,
        "connector_cpu_s": cpu_s,
        "ddata_per_s": committed / wall,
        "metric_updates_per_s": 10 * committed / wall,
        # the connector's own CPU per DDATA: what one free core would sustain, whatever
        # else the machine runs (the wall figures above include waiting for a core)
        "cpu_us_per_ddata": 1e6 * cpu_s / max(committed, 1),
        "ddata_per_cpu_s": committed / cpu_s,
        "metric_updates_per_cpu_s": 10 * committed / cpu_s,
        "rebirth_requests": stats["rebirth_requests"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--codec", type=int, default=20_000)
    ap.add_argument("--db", choices=("both", "sqlite", "postgresql"), default="both")
    args = ap.parse_args()
    out: dict[str, Any] = {"load_before": load(), "messages": args.messages,
                           "target_ddata_per_s": TARGET_DDATA_PER_S,
                           "codec": bench_codec(args.codec)}  # fmt: skip
    with mosquitto() as (port, tmp):
        out["baseline_bare_subscriber"] = base = bench_baseline(port, args.messages)
        for name, url in databases(tmp, args.db):
            r = out[name] = bench_host(port, args.messages, url)
            r["ratio_to_baseline"] = r["ddata_per_s"] / base["ddata_per_s"]
            r["cpu_ratio_to_baseline"] = r["cpu_us_per_ddata"] / base["cpu_us_per_ddata"]
    out["load_after"] = load()
    print(json.dumps(out, indent=2))
    c = out["codec"]
    print(
        f"\nload {out['load_before']['load_1min']} -> {out['load_after']['load_1min']} on "
        f"{out['load_before']['cores']} cores; {args.messages:,} DDATA of 10 metrics"
    )
    print(
        f"codec: encode {c['encode_us']:.1f} us ({c['encode_ratio']:.2f}x protobuf by hand), "
        f"decode {c['decode_us']:.1f} us ({c['decode_ratio']:.2f}x protobuf parse + reads)"
    )
    print(
        f"{'':<12}{'DDATA/s':>10}{'x baseline':>12}{'DDATA/CPU-s':>13}{'us CPU/DDATA':>14}"
        f"  target {TARGET_DDATA_PER_S:,} DDATA/s"
    )
    print(
        f"{'bare paho':<12}{base['ddata_per_s']:>10,.0f}{1:>12.2f}"
        f"{1e6 / base['cpu_us_per_ddata']:>13,.0f}{base['cpu_us_per_ddata']:>14.1f}"
    )
    for name in ("sqlite", "postgresql"):
        if name in out:
            r = out[name]
            verdict = (
                "met"
                if r["ddata_per_s"] >= TARGET_DDATA_PER_S
                else ("met per CPU-s" if r["ddata_per_cpu_s"] >= TARGET_DDATA_PER_S else "NOT met")
            )
            print(
                f"{name:<12}{r['ddata_per_s']:>10,.0f}{r['ratio_to_baseline']:>12.2f}"
                f"{r['ddata_per_cpu_s']:>13,.0f}{r['cpu_us_per_ddata']:>14.1f}  {verdict}"
                + (f" ({r['not_committed']} not committed)" if r["not_committed"] else "")
            )


if __name__ == "__main__":
    main()
