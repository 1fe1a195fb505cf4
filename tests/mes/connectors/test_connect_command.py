"""``gigaline connect`` as a process: SIGTERM mid-stream loses nothing.

The MES side runs as ``python -m gigaline.cli connect`` against a private Mosquitto; the
virtual equipment publishes per-unit events from its outbox (QoS 1) and Sparkplug states from
an edge node whose primary host is the MES. SIGTERM in the middle of the stream: the process
finishes the batch in hand and exits 0; everything it acknowledged is stored. Restarted, it
gets the rest (the broker kept the subscriber's persistent session; the edge buffered its
states while the host was offline), and the store ends exactly as if the events had been
ingested directly, plus every state change of the edge node.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from gigaline.mes.ingest import ingest
from gigaline.mes.services import counts, init_line
from gigaline.mes.sql import open_store
from gigaline.model import Line
from gigaline.virtual.outbox import EventPublisher, Outbox
from gigaline.virtual.sparkplug import DeviceSpec, EdgeNode
from tests._spy import wait_until
from tests.mes.conftest import mini_events
from tests.mes.connectors._live import STATIONS, T0, drive, expected_states, script


class _Connect:
    """One ``gigaline connect`` process, its stderr collected by a thread."""

    def __init__(self, db: Path, broker: str) -> None:
        env = {**os.environ, "GIGALINE_DB": ""}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gigaline.cli", "connect", "--db", f"sqlite:///{db}",
             "--broker", broker],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env, text=True,
        )  # fmt: skip
        self.lines: list[str] = []
        assert self.proc.stderr is not None
        self._reader = threading.Thread(target=self._read, args=(self.proc.stderr,), daemon=True)
        self._reader.start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            self.lines.append(line)

    def wait_online(self) -> None:
        assert wait_until(lambda: any("online" in x for x in self.lines), 60), self.lines

    def terminate(self) -> int:
        os.kill(self.proc.pid, signal.SIGTERM)
        code = self.proc.wait(60)
        self._reader.join(5)
        return code


def test_sigterm_mid_stream_loses_nothing(mosquitto: Any, tmp_path: Path, mini_line: Line) -> None:
    events = mini_events(mini_line, 0.25)
    with open_store(f"sqlite:///{tmp_path / 'ref.db'}") as ref:
        init_line(ref, mini_line)
        ingest(ref, events)
        reference = counts(ref)
    changes = script(120, seed=5)
    n_states = len(expected_states(changes))
    reference["events"] += n_states
    reference["machine_states"] += n_states

    db = tmp_path / "mes.db"
    with open_store(f"sqlite:///{db}") as store:
        init_line(store, mini_line)
    mes = _Connect(db, mosquitto.url)
    mes.wait_online()
    node = EdgeNode(mosquitto.url, "testsite", "line-1",
                    {s: DeviceSpec(("fill_mass_g",)) for s in STATIONS}, start_ms=T0,
                    primary_host="gigaline-mes")  # fmt: skip
    node.start()
    outbox = Outbox(tmp_path / "outbox.db", "testsite")
    pub = EventPublisher(mosquitto.url, outbox)
    pub.start()
    half = len(events) // 2
    try:
        assert node.wait_online(30)
        drive(node, changes[:60])
        for i in range(0, half, 50):
            outbox.put(events[i : i + 50])
            pub.notify()
        # mid-stream: once the MES has stored some of the first half (on a loaded machine
        # the signal could otherwise come before its first commit), not after the rest
        with open_store(f"sqlite:///{db}", create=False) as store:
            assert wait_until(lambda: counts(store)["events"] > 0, 60), mes.lines
        assert mes.terminate() == 0, mes.lines  # the batch in hand is finished
        assert any("stopped:" in x for x in mes.lines), mes.lines
        with open_store(f"sqlite:///{db}", create=False) as store:
            first = counts(store)["events"]
        assert 0 < first < reference["events"]
        drive(node, changes[60:])  # the host is offline: the edge buffers
        for i in range(half, len(events), 50):
            outbox.put(events[i : i + 50])
            pub.notify()
        assert pub.drain(60)  # the broker holds the rest for the subscriber's session
        mes = _Connect(db, mosquitto.url)
        mes.wait_online()
        with open_store(f"sqlite:///{db}", create=False) as store:
            assert wait_until(lambda: counts(store) == reference, 90), (counts(store), reference)
        assert mes.terminate() == 0
    finally:
        if mes.proc.poll() is None:
            mes.proc.kill()
        pub.stop()
        node.stop()
