"""Interoperability with a Sparkplug B implementation we did not write: Eclipse Tahu's
JavaScript ``sparkplug-client`` 3.2.4 and ``sparkplug-payload`` 1.0.3 (npm), on Node.js.

- Tahu's edge node -> our host application -> store: its births and data become exactly the
  state events it sent; our rebirth request (NCMD) decodes in Tahu and is answered; its
  death certificate marks the node offline.
- our edge node -> Tahu's decoder: births, data, the replay after a rebirth and the death
  certificate decode with the names, types, aliases, values and timestamps we sent.

The packages are installed by this test (``npm ci`` into ``tests/interop/node_modules``, git
ignores it), once per package-lock change; nothing is fetched when gigaline runs. Without
Node.js or npm the test skips; under GIGALINE_REQUIRE_SERVICES=1 it fails instead.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gigaline.mes.connectors.sink import StoreSink
from gigaline.mes.connectors.sparkplug import HostApplication
from gigaline.mes.services import init_line
from gigaline.mes.sql import SqlStore, open_store
from gigaline.model import load_line
from gigaline.virtual.sparkplug import DeviceSpec, EdgeNode
from tests._spy import wait_until
from tests.conftest import services_required
from tests.mes.connectors._live import T0, stored_states

HERE = Path(__file__).parent
MINI = HERE.parent / "mes" / "lines" / "mini.yaml"


@pytest.fixture(scope="module")
def node_modules() -> Path:
    """Tahu's packages, installed with npm ci (again when package-lock.json changes)."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        msg = f"{' and '.join(missing)} not found: Tahu's JavaScript peers cannot run"
        if services_required():
            pytest.fail(msg + " and GIGALINE_REQUIRE_SERVICES=1")
        pytest.skip(msg)
    lock = HERE / "package-lock.json"
    stamp = HERE / "node_modules" / ".gigaline-lock-sha256"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=HERE, check=True, capture_output=True, timeout=600,
        )  # fmt: skip
        stamp.write_text(digest)
    return HERE / "node_modules"


class Node:
    """A Node.js script with its stdout read line by line (JSON) in a thread."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            ["node", *args], cwd=HERE, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.lines: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("{"):
                self.lines.append(json.loads(line))

    def events(self, name: str) -> list[dict[str, Any]]:
        return [x for x in list(self.lines) if x.get("event") == name]

    def send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def end(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    s = open_store(f"sqlite:///{tmp_path / 'mes.db'}")
    init_line(s, load_line(MINI))
    yield s
    s.close()


def test_tahu_edge_node_into_our_host(
    node_modules: Path, mosquitto: Any, store: SqlStore, tmp_path: Path
) -> None:
    sink = StoreSink(store)
    host = HostApplication(mosquitto.url, "mes", sink, stations=sink.stations)
    host.start()
    assert host.wait_online()
    states = ["running", "down", "running", "starved", "running", "blocked", "idle", "setup"]
    reasons = {"down": "jam", "starved": "no sheets", "setup": "changeover"}
    changes = [
        {"ts": T0 + 1000 * (i + 1), "state": s, "reason": reasons.get(s, ""), "processed": i}
        for i, s in enumerate(states * 5)
    ]
    path = tmp_path / "changes.json"
    path.write_text(json.dumps(changes))
    tahu = Node("tahu_edge.js", mosquitto.url, "testsite", "line-t", "stack-1", str(path))
    try:
        assert wait_until(lambda: bool(tahu.events("sent")), 20), tahu.proc.stderr
        expected = [("stack-1", T0, "idle", None)] + [
            ("stack-1", c["ts"], c["state"], c["reason"] or None) for c in changes
        ]
        assert wait_until(lambda: host.drain(1) and stored_states(store) == expected, 20)
        live = host.snapshot()["testsite/line-t"]
        assert live["online"] and live["bdSeq"] == 0  # Tahu's NBIRTH bdSeq (UInt64)
        metrics = live["devices"]["stack-1"]["metrics"]
        assert metrics["Counters/Processed"]["value"] == len(changes) - 1
        assert metrics["Parameters/stack_force_n"]["value"] == 1.5
        # our rebirth request decodes in Tahu, which answers with its births
        host.request_rebirth("testsite", "line-t")
        assert wait_until(lambda: len(tahu.events("born")) == 2, 10)
        (rebirth,) = tahu.events("rebirth")
        assert rebirth["type"] == "Boolean" and rebirth["timestamp"] > 0
        assert wait_until(lambda: host.drain(1) and host.batcher.duplicate >= 1)  # DBIRTH state
        assert stored_states(store) == expected
        tahu.send("stop")  # NDEATH with its bdSeq, then DISCONNECT
        assert wait_until(lambda: host.stats["ndeath"] == 1, 10)
        assert not host.snapshot()["testsite/line-t"]["online"]
        assert host.stats["dead_letters"] == 0
    finally:
        tahu.end()
        host.stop()


def test_our_payloads_in_tahus_decoder(node_modules: Path, mosquitto: Any) -> None:
    decoder = Node("tahu_decode.js", mosquitto.url)
    try:
        assert wait_until(lambda: any(x.get("subscribed") for x in decoder.lines), 20)
        node = EdgeNode(mosquitto.url, "S1", "line-1", {"stack-1": DeviceSpec(("stack_force_n",))},
                        start_ms=T0)  # fmt: skip
        node.start()
        assert node.wait_online()
        node.update("stack-1", T0 + 1000, state="down", stop_reason="jam", processed=7,
                    defective=2, params={"stack_force_n": 2.5})  # fmt: skip
        node.update("stack-1", T0 + 2000, state="running", stop_reason="")
        node.rebirth()
        node.stop()
        msgs = lambda kind: [x for x in decoder.lines if f"/{kind}/" in x.get("topic", "")]  # noqa: E731
        assert wait_until(lambda: len(msgs("NDEATH")) == 1 and len(msgs("DDATA")) >= 4, 10)
        assert not any("error" in x["payload"] for x in decoder.lines if "payload" in x)
        nbirth = msgs("NBIRTH")[0]["payload"]
        node_metrics = {m["name"]: m for m in nbirth["metrics"]}
        assert str(nbirth["seq"]) == "0"
        assert (
            node_metrics["bdSeq"]["type"] == "Int64" and str(node_metrics["bdSeq"]["value"]) == "0"
        )
        rebirth = node_metrics["Node Control/Rebirth"]
        assert rebirth["type"] == "Boolean" and rebirth["value"] is False
        dbirth = msgs("DBIRTH")[0]["payload"]
        by_name = {m["name"]: m for m in dbirth["metrics"]}
        assert by_name["State"]["type"] == "String" and by_name["State"]["value"] == "idle"
        assert by_name["Counters/Processed"]["type"] == "UInt64"
        assert by_name["Parameters/stack_force_n"]["type"] == "Double"
        assert by_name["Parameters/stack_force_n"]["value"] is None  # is_null
        assert all(str(m["timestamp"]) == str(T0) for m in dbirth["metrics"])
        names = {int(m["alias"]): m["name"] for m in dbirth["metrics"]}
        first = msgs("DDATA")[0]["payload"]
        got = {names[int(m["alias"])]: (m["type"], str(m["value"]), str(m["timestamp"]))
               for m in first["metrics"]}  # fmt: skip
        ts = str(T0 + 1000)
        assert got == {
            "State": ("String", "down", ts), "StopReason": ("String", "jam", ts),
            "Counters/Processed": ("UInt64", "7", ts), "Counters/Defective": ("UInt64", "2", ts),
            "Parameters/stack_force_n": ("Double", "2.5", ts),
        }  # fmt: skip
        assert all("name" not in m for m in first["metrics"])  # aliases only
        replayed = [m for d in msgs("DDATA")[2:] for m in d["payload"]["metrics"]]
        assert replayed and all(m.get("isHistorical") is True for m in replayed)
        seqs = [int(x["payload"]["seq"]) for x in decoder.lines if "seq" in x.get("payload", {})]
        assert seqs[:4] == [0, 1, 2, 3]
        (death,) = msgs("NDEATH")
        assert [m["name"] for m in death["payload"]["metrics"]] == ["bdSeq"]
    finally:
        decoder.end()
