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

Run: ``python benchmarks/bench_sparkplug.py [--messages 100000] [--codec 20000]``. The
machine has 2 cores: publisher, broker and connector share them, so the wall-clock rates are a
floor; the connector's CPU time per DDATA (and its inverse, DDATA per CPU second) is printed
too, with the load average of the machine.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from _mes_common import drop_pg_schema, pg_schema, postgres_reachable
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

BROKER_CONF = """\
user {user}
listener {port} 127.0.0.1
allow_anonymous true
max_queued_messages 1000000
max_inflight_messages 0
log_dest none
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_broker(workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    conf = workdir / "mosquitto.conf"
    conf.write_text(BROKER_CONF.format(port=port, user=pwd.getpwuid(os.getuid()).pw_name))
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("mosquitto did not start")


def _messages(n: int) -> tuple[list[tuple[str, bytes]], list[tuple[str, bytes]]]:
    """Births and ``n`` DDATA of one edge node, its stations in turn (aliases as births)."""
    births = [
        ("spBv1.0/testsite/NBIRTH/bench", encode(Payload(timestamp=T0, seq=0, metrics=[
            Metric("Node Control/Rebirth", 1, T0, DataType.Boolean, False),
            Metric("bdSeq", 2, T0, DataType.Int64, 0)])))
    ]  # fmt: skip
    names = ["State", "StopReason", "Counters/Processed", "Counters/Defective"]
    names += [f"Parameters/{p}" for p in PARAMS]
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


def _publisher(port: int, n: int, go: Any, done: Any) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    births, data = _messages(n)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, "bench-edge")
    client.connect("127.0.0.1", port)
    client.loop_start()
    go.wait()
    for topic, payload in births:
        client.publish(topic, payload)
    time.sleep(0.5)
    t = time.perf_counter()
    for topic, payload in data:
        client.publish(topic, payload)
    done.value = time.perf_counter() - t
    time.sleep(1.0)
    client.disconnect()
    client.loop_stop()


def _run_publisher(port: int, n: int) -> tuple[Any, Any, Any]:
    ctx = mp.get_context("spawn")
    go, done = ctx.Event(), ctx.Value("d", 0.0)
    proc = ctx.Process(target=_publisher, args=(port, n, go, done))
    proc.start()
    time.sleep(1.5)  # encoding the messages before the clock starts
    return proc, go, done


def bench_baseline(port: int, n: int) -> dict[str, float]:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    got = {"n": 0, "first": 0.0, "last": 0.0}

    def on_message(_c: Any, _u: Any, msg: Any) -> None:
        if "/DDATA/" in msg.topic:
            if got["n"] == 0:
                got["first"] = time.perf_counter()
            got["n"] += 1
            got["last"] = time.perf_counter()

    sub = mqtt.Client(CallbackAPIVersion.VERSION2, "bench-baseline")
    sub.on_message = on_message
    sub.connect("127.0.0.1", port)
    sub.subscribe("spBv1.0/#")
    sub.loop_start()
    proc, go, _done = _run_publisher(port, n)
    cpu = time.process_time()
    go.set()
    proc.join()
    last, idle_since = -1, time.monotonic()
    while got["n"] < n and time.monotonic() - idle_since < 3:
        time.sleep(0.02)
        if got["n"] != last:
            last, idle_since = got["n"], time.monotonic()
    cpu = time.process_time() - cpu
    sub.disconnect()
    sub.loop_stop()
    span = max(got["last"] - got["first"], 1e-9)
    return {
        "received": got["n"],
        "ddata_per_s": got["n"] / span,
        "cpu_us_per_ddata": 1e6 * cpu / max(got["n"], 1),
    }


def bench_host(port: int, n: int, url: str) -> dict[str, float]:
    from gigaline.mes.connectors.sink import StoreSink
    from gigaline.mes.connectors.sparkplug import HostApplication
    from gigaline.mes.services import init_line
    from gigaline.mes.sql import open_store
    from gigaline.model import load_line

    with open_store(url) as store:
        init_line(store, load_line(MINI_LINE))
        sink = StoreSink(store)
        host = HostApplication(f"mqtt://127.0.0.1:{port}", "bench", sink, stations=sink.stations,
                               batch_size=20_000, linger_s=0.05)  # fmt: skip
        host.start()
        assert host.wait_online()
        proc, go, done = _run_publisher(port, n)
        wall, cpu = time.perf_counter(), time.process_time()
        go.set()
        target = n + len(STATIONS)  # every DDATA and the DBIRTHs' initial states
        last, idle_since = -1, time.monotonic()
        while host.batcher.accepted < target and time.monotonic() - idle_since < 5:
            time.sleep(0.02)
            if host.batcher.accepted != last:
                last, idle_since = host.batcher.accepted, time.monotonic()
        host.drain(30)
        wall = time.perf_counter() - wall - 0.5  # the publisher waits 0.5 s after the births
        cpu = time.process_time() - cpu
        proc.join()
        accepted = host.batcher.accepted
        stats = dict(host.stats)
        host.stop()
    committed = accepted - len(STATIONS)
    return {
        "sent": n,
        "publish_s": done.value,
        "committed_events": committed,
        "not_committed": n - committed,
        "wall_s": wall,
        "connector_cpu_s": cpu,
        "ddata_per_s": committed / wall,
        "metric_updates_per_s": 10 * committed / wall,
        # the connector's own CPU per DDATA: what one free core would sustain, whatever
        # else the machine runs (the wall figures above include waiting for a core)
        "cpu_us_per_ddata": 1e6 * cpu / max(committed, 1),
        "ddata_per_cpu_s": committed / cpu,
        "rebirth_requests": stats["rebirth_requests"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--codec", type=int, default=20_000)
    args = ap.parse_args()
    out: dict[str, Any] = {
        "load_average_1min": os.getloadavg()[0],
        "codec": bench_codec(args.codec),
    }
    if shutil.which("mosquitto") is None:
        out["end_to_end"] = "mosquitto not installed"
        print(json.dumps(out, indent=2))
        return
    tmp = Path(tempfile.mkdtemp(prefix="gigaline-bench-spb-"))
    broker, port = start_broker(tmp)
    try:
        out["baseline_bare_subscriber"] = bench_baseline(port, args.messages)
        out["sqlite"] = bench_host(port, args.messages, f"sqlite:///{tmp / 'bench.db'}")
        if postgres_reachable():
            url, schema = pg_schema()
            try:
                out["postgresql"] = bench_host(port, args.messages, url)
            finally:
                drop_pg_schema(schema)
        for db in ("sqlite", "postgresql"):
            if db in out:
                out[db]["ratio_to_baseline"] = (
                    out[db]["ddata_per_s"] / out["baseline_bare_subscriber"]["ddata_per_s"]
                )
    finally:
        broker.terminate()
        broker.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    out["load_average_1min_after"] = os.getloadavg()[0]
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
