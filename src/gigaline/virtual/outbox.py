"""Per-unit events at the edge: a SQLite outbox and a QoS 1 publisher that drains it.

The equipment writes each finished unit's event (the contract's JSON ``process`` event with
its genealogy, ``lot`` and ``curve`` events) into the :class:`Outbox` first, in one
transaction per call; the :class:`EventPublisher` sends the rows in order, at QoS 1, on
``gigaline/v1/<site>/<station>/events``, and deletes a row only when the broker acknowledged
it (PUBACK). A broker restart or an edge restart (even ``kill -9``) therefore loses nothing:
what was not acknowledged is sent again on reconnect or at the next start. That can repeat an
event the MES already has; the event id makes the repeat change nothing.

Order matters to the MES (a unit must be stored before a unit that consumes it), so rows go
out in the order they were put, on one connection, and are sent again in that order.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as mqtt

from gigaline.events.broker import BrokerAddress
from gigaline.events.equipment import events_topic
from gigaline.virtual._mqtt import client_for, disconnect_cleanly, drop_connection
from gigaline.virtual.faults import Faults, PublishFn

__all__ = ["EventPublisher", "Outbox"]

log = logging.getLogger(__name__)


class Outbox:
    """A SQLite file of events waiting for the broker's acknowledgement (thread-safe)."""

    def __init__(self, path: Path | str, site: str) -> None:
        self.path = Path(path)
        self.site = site
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS outbox ("
            " seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, payload BLOB NOT NULL)"
        )
        # the run this outbox belongs to and how far it was played (a resumed run goes on there)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS run ("
            " id TEXT PRIMARY KEY, played_ms INTEGER NOT NULL, finished INTEGER NOT NULL)"
        )
        self._lock = threading.Lock()

    def run_state(self) -> tuple[str, int, bool] | None:
        """(run id, twin time played up to [ms], finished) of the run recorded here, if any."""
        with self._lock:
            row = self._db.execute("SELECT id, played_ms, finished FROM run").fetchone()
        return None if row is None else (str(row[0]), int(row[1]), bool(row[2]))

    def save_run_state(self, run_id: str, played_ms: int, finished: bool = False) -> None:
        """Record ``run_id`` as this outbox's run, played up to ``played_ms`` (one row)."""
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM run WHERE id != ?", (run_id,))
            self._db.execute(
                "INSERT INTO run (id, played_ms, finished) VALUES (?, ?, ?) ON CONFLICT (id)"
                " DO UPDATE SET played_ms = excluded.played_ms, finished = excluded.finished",
                (run_id, played_ms, int(finished)),
            )
            self._db.execute("COMMIT")

    def put(self, events: Iterable[Mapping[str, Any]]) -> int:
        """Append events in one transaction; ``site`` is added where missing.

        A station's events go on its topic; events of no station (a ``lot`` received) on
        ``gigaline/v1/<site>/-/events``.
        """
        rows = []
        for event in events:
            station = event.get("station")
            if not isinstance(station, str):
                station = "-"
            if "site" not in event:
                event = {**event, "site": self.site}
            rows.append((events_topic(str(event["site"]), station), orjson.dumps(event)))
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT INTO outbox (topic, payload) VALUES (?, ?)", rows)
            self._db.execute("COMMIT")
        return len(rows)

    def after(self, seq: int, limit: int) -> list[tuple[int, str, bytes]]:
        """Up to ``limit`` rows after ``seq``, oldest first."""
        with self._lock:
            return self._db.execute(
                "SELECT seq, topic, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                (seq, limit),
            ).fetchall()

    def done(self, seqs: Iterable[int]) -> None:
        """Forget acknowledged rows (one transaction: in autocommit each DELETE was one)."""
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])
            self._db.execute("COMMIT")

    def count_upto(self, seq: int) -> int:
        """Rows up to and including ``seq``."""
        with self._lock:
            return int(
                self._db.execute("SELECT count(*) FROM outbox WHERE seq <= ?", (seq,)).fetchone()[0]
            )

    def empty(self) -> bool:
        """No row waiting (one index look-up: ``len`` counts every row)."""
        with self._lock:
            return self._db.execute("SELECT 1 FROM outbox LIMIT 1").fetchone() is None

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


class EventPublisher:
    """Drains an :class:`Outbox` to the broker at QoS 1 (see the module docstring)."""

    def __init__(
        self,
        broker: str | BrokerAddress,
        outbox: Outbox,
        *,
        client_id: str | None = None,
        window: int = 1_000,
        keepalive_s: int = 10,
        faults: Faults | None = None,
    ) -> None:
        self.outbox = outbox
        self.window = window
        self.keepalive_s = keepalive_s
        self._client, self.address = client_for(
            broker, client_id or f"gigaline-outbox-{outbox.site}", clean_session=True
        )
        # the window is ours (rows handed out and not acknowledged): paho's own limit scans
        # every message it holds on each PUBACK to find one to send, 1,000 per acknowledgement
        self._client.max_inflight_messages_set(0)
        self._client.max_queued_messages_set(0)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_publish = self._on_publish
        raw: PublishFn = self._raw_publish
        self._publish = faults.wrap(raw) if faults is not None else raw
        self._lock = threading.Lock()
        self._inflight: dict[int, int] = {}  # mid -> outbox seq
        self._acked: list[int] = []
        self._cursor = 0  # last outbox seq handed to the client in this connection
        self._connected = threading.Event()
        self._wake = threading.Event()
        self._stop = False
        self._checked = 0.0
        self._suspect = False
        self._mids: list[int] = []
        self._early: set[int] = set()
        self.sent = 0
        self.acknowledged = 0
        self._thread = threading.Thread(target=self._run, name="gigaline-outbox", daemon=True)

    def start(self) -> None:
        self._client.connect_async(self.address.host, self.address.port, self.keepalive_s)
        self._client.loop_start()
        self._thread.start()

    def notify(self) -> None:
        """Tell the publisher new rows are in the outbox (it also looks every 50 ms)."""
        self._wake.set()

    def drain(self, timeout_s: float = 30.0) -> bool:
        """Wait until the outbox is empty (everything acknowledged)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self._wake.set()
            if self.outbox.empty():  # every 20 ms: counting tens of thousands of rows cost
                return True
            time.sleep(0.02)
        return False

    def stop(self) -> None:
        self._stop = True
        self._wake.set()
        self._thread.join(10)
        disconnect_cleanly(self._client)

    def crash(self) -> None:
        """Drop the connection without DISCONNECT (a network failure)."""
        drop_connection(self._client)

    def _on_connect(self, _c: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        if rc.is_failure:
            log.warning("outbox publisher: connection refused: %s", rc)
            return
        with self._lock:
            self._inflight.clear()
            self._early.clear()
            self._cursor = 0  # send every unacknowledged row again, in order
        self._connected.set()
        self._wake.set()

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, _rc: Any, _p: Any) -> None:
        self._connected.clear()

    def _on_publish(self, _c: mqtt.Client, _u: Any, mid: int, _rc: Any, _p: Any) -> None:
        with self._lock:
            seq = self._inflight.pop(mid, None)
            if seq is not None:
                self._acked.append(seq)
            else:
                self._early.add(mid)
        self._wake.set()

    def _raw_publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        self._mids.append(info.mid)

    def _send(self, topic: str, payload: bytes) -> list[int]:
        """Publish one row (through the faults, if any); the message ids it produced."""
        self._mids = []
        self._publish(topic, payload, 1, False)
        return self._mids

    def _run(self) -> None:
        while not self._stop:
            self._wake.wait(0.05)
            self._wake.clear()
            with self._lock:
                acked, self._acked = self._acked, []
            if acked:
                self.outbox.done(acked)
                self.acknowledged += len(acked)
            if not self._connected.is_set():
                continue
            with self._lock:
                room = self.window - len(self._inflight)
                cursor = self._cursor
            if room <= 0:
                continue
            for seq, topic, payload in self.outbox.after(cursor, room):
                if not self._connected.is_set():
                    break
                # paho calls on_publish holding its own locks: publish without holding ours
                self._note(seq, self._send(topic, payload))
                self.sent += 1
            self._forget_early()
            self._resend_lost()

    def _note(self, seq: int, mids: list[int]) -> None:
        """Row ``seq`` went out as ``mids``: in flight, or acknowledged already."""
        with self._lock:
            for mid in mids:
                if mid in self._early:  # acknowledged before we noted it
                    self._early.discard(mid)
                    self._acked.append(seq)
                else:
                    self._inflight[mid] = seq
            self._cursor = seq

    def _forget_early(self) -> None:
        """Drop the acknowledgements that no row of this pass claimed: a row's own comes
        before :meth:`_note` or goes to its entry in flight, so these are of messages that
        paho sent again after a reconnect (their rows are sent again under new ids). Kept,
        one would acknowledge the row that gets its id when the ids wrap (65,535 later)
        without that row's PUBACK."""
        with self._lock:
            self._early.clear()

    def _resend_lost(self) -> None:
        """Rows handed out but neither in flight nor acknowledged (a publish that never
        reached the client, as the fault injector's drops): send again from the oldest."""
        now = time.monotonic()
        if now - self._checked < 1.0:
            return
        self._checked = now
        with self._lock:
            cursor, waiting = self._cursor, len(self._inflight) + len(self._acked)
        lost = bool(cursor) and self.outbox.count_upto(cursor) > waiting
        if lost and self._suspect:  # two checks in a row, a second apart
            with self._lock:
                self._inflight.clear()
                self._cursor = 0
            lost = False
        self._suspect = lost
