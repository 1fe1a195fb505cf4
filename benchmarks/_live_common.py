"""Shared part of the live-line benchmarks (``bench_sparkplug``, ``bench_live_latency``,
``bench_live_line``): a private Mosquitto, the machine's load, a publisher process that
starts only when the clock does, the bare-subscriber baseline, the databases to run on, and
latency quantiles.

Every figure is printed with the machine's load (``os.getloadavg`` before and after, and the
number of cores): these benchmarks share 2 cores with the publisher, the broker, the database
and whatever else runs, so the wall-clock rates are a floor, the connector's CPU time per
message is the figure that does not depend on the load, and each benchmark measures its
baseline in the same run and prints the ratio.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pwd
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _mes_common import drop_pg_schema, pg_schema, postgres_reachable
from _proc import stop_process

BROKER_CONF = """\
user {user}
listener {port} 127.0.0.1
allow_anonymous true
max_queued_messages 1000000
max_inflight_messages 0
log_dest none
"""


def load() -> dict[str, Any]:
    """The machine's load average (1, 5, 15 min) and its cores, as printed with each figure."""
    one, five, fifteen = os.getloadavg()
    return {"load_1min": round(one, 2), "load_5min": round(five, 2),
            "load_15min": round(fifteen, 2), "cores": os.cpu_count()}  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def mosquitto() -> Iterator[tuple[int, Path]]:
    """A private Mosquitto on a free loopback port (its port and a scratch folder); ended by
    its pid when the block ends."""
    if shutil.which("mosquitto") is None:
        raise SystemExit("mosquitto is not installed (apt-get install mosquitto)")
    tmp = Path(tempfile.mkdtemp(prefix="gigaline-bench-live-"))
    port = free_port()
    conf = tmp / "mosquitto.conf"
    conf.write_text(BROKER_CONF.format(port=port, user=pwd.getpwuid(os.getuid()).pw_name))
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stderr=subprocess.DEVNULL)
    try:
        for _ in range(400):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("mosquitto did not start")
        yield port, tmp
    finally:
        stop_process(proc)
        shutil.rmtree(tmp, ignore_errors=True)


def databases(tmp: Path, only: str = "both") -> Iterator[tuple[str, str]]:
    """(name, URL) of each database to run on: a fresh SQLite file, then a fresh PostgreSQL
    schema where a server is reachable (dropped after its run)."""
    if only in ("both", "sqlite"):
        yield "sqlite", f"sqlite:///{tmp / 'bench.db'}"
    if only in ("both", "postgresql"):
        if not postgres_reachable():
            print("PostgreSQL not reachable on 127.0.0.1:5432: skipped")
            return
        url, schema = pg_schema()
        try:
            yield "postgresql", url
        finally:
            drop_pg_schema(schema)


class Publisher:
    """A process that runs ``target(port, *args, ready, go, out)``: it prepares (connects,
    encodes), sets ``ready``, and waits for ``go`` before it sends, so that no message is sent
    before the caller's clock starts, however slowly the process started on a loaded
    machine. ``out`` is a shared double (what the target reports: seconds or a count)."""

    def __init__(self, target: Callable[..., None], *args: Any, ready_timeout_s: float = 300.0):
        ctx = mp.get_context("spawn")
        self.ready, self.go, self.out = ctx.Event(), ctx.Event(), ctx.Value("d", 0.0)
        self.proc = ctx.Process(target=target, args=(*args, self.ready, self.go, self.out))
        self.proc.start()
        if not self.ready.wait(ready_timeout_s):
            self.proc.kill()
            raise RuntimeError("the publisher process did not get ready")

    def start(self) -> None:
        self.go.set()

    def join(self, timeout_s: float | None = None) -> float:
        self.proc.join(timeout_s)
        return float(self.out.value)


def wait_for(count: Callable[[], int], target: int, idle_s: float, limit_s: float) -> bool:
    """Wait until ``count()`` reaches ``target``; give up after ``idle_s`` without progress or
    ``limit_s`` in all. Whether it was reached."""
    start = last_change = time.monotonic()
    last = -1
    while True:
        n = count()
        if n >= target:
            return True
        now = time.monotonic()
        if n != last:
            last, last_change = n, now
        if now - last_change > idle_s or now - start > limit_s:
            return False
        time.sleep(0.01)


def bare_subscriber(port: int, on_message: Callable[[Any], None], client_id: str) -> Any:
    """The baseline: paho's own client, subscribed to the whole Sparkplug namespace (QoS 1
    granted, so QoS 0 and 1 messages arrive as sent), calling ``on_message(msg)``; running."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id)
    client.on_message = lambda _c, _u, msg: on_message(msg)
    client.connect("127.0.0.1", port)
    client.subscribe("spBv1.0/#", qos=1)
    client.loop_start()
    return client


def stop_client(client: Any) -> None:
    client.disconnect()
    client.loop_stop()


def quantiles(latencies_s: list[float]) -> dict[str, float]:
    """p50, p95, p99 and max of latencies [s], in ms."""
    if len(latencies_s) < 2:
        return {"events": len(latencies_s)}
    q = statistics.quantiles(latencies_s, n=100, method="inclusive")
    return {"events": len(latencies_s), "p50_ms": 1000 * q[49], "p95_ms": 1000 * q[94],
            "p99_ms": 1000 * q[98], "max_ms": 1000 * max(latencies_s)}  # fmt: skip


class Cpu:
    """CPU seconds of this process (all its threads) and wall seconds since ``start()``."""

    def start(self) -> None:
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()

    def stop(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall0, time.process_time() - self.cpu0
