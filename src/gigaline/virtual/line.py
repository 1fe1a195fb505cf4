"""The virtual line: the twin's event stream played against a clock through virtual equipment.

:class:`VirtualLine` takes the event stream of a line (``gigaline generate``'s events,
:func:`gigaline.mes.generate.generate_events`, which the twin's trace makes) and plays it in
time order against a :class:`~gigaline.virtual.clock.Clock`, as the line's equipment would
report it:

- every ``state`` event becomes a change of the station's ``State`` and ``StopReason``
  metrics on the line's Sparkplug B edge node (:class:`~gigaline.virtual.sparkplug.EdgeNode`:
  group id = site, edge node id = line, device id = station), stamped with the event's time;
  the MES's host application turns it back into a ``state`` event. State events do not also
  travel as JSON: one channel per fact, so nothing is counted twice;
- every ``process`` event (a unit finished, with its genealogy) goes as JSON into the edge's
  outbox (:class:`~gigaline.virtual.outbox.Outbox`, SQLite) and from there at QoS 1 on
  ``gigaline/v1/<site>/<station>/events``; the station's ``Counters/Processed`` and
  ``Counters/Defective`` and its process parameters (``Parameters/<name>``, Double) change on
  the edge node at the same time;
- ``lot`` and ``curve`` events go through the outbox too;
- with an OPC UA port, the same state, counters and parameters are written to the line's
  OPC UA server (:class:`~gigaline.virtual.opcua.LineServer`).

Batches. What is played goes out in batches: the JSON events into the outbox in one
transaction per batch, and each station's changes in one DDATA per batch
(:meth:`~gigaline.virtual.sparkplug.EdgeNode.flush`). A batch closes before the line would
wait past :data:`FLUSH_S` of wall time since its first event, at :data:`BATCH_MAX` events, and
before each checkpoint; so an event leaves at most :data:`FLUSH_S` after it was due when the
line keeps up, and batches grow (and cost less per event) only when it falls behind. An
event is in the outbox (committed) before it is published, as before; a checkpoint is written
only after everything played before it is in the outbox.

The stream must come in time order (the twin's trace does, but for the histories of the cells
in process at the start, written when each cell first moves, and a few events stamped before
the one played last); an event earlier than the one before it is played at once, never
dropped, and counted in :attr:`Truth.out_of_order`. It does not count in the clock's lag
(:attr:`Truth.max_lag_s`), which says how far the line fell behind its own schedule.

Resume. With a ``run_id`` the line records in its outbox file how far it has played (a
checkpoint a few seconds behind, :data:`CHECKPOINT_LAG_S`, so that what was in flight at a crash
is sent again). A line started with ``resume=True`` on the same outbox and the same stream (same
line, seed and start: the same ``run_id``) goes through the events before the checkpoint
without sending them (its counters, states and ground truth as if it had played them), sends
its births with the values they left, and plays on from the checkpoint in time: the ground
truth is that of one uninterrupted run, and what the MES receives twice changes nothing (the
event ids). ``Sparkplug bdSeq`` goes on from the file beside the outbox.

The ground truth (:class:`Truth`) is counted from the events played: per station the units
processed, good and NG whose records end inside the window, and the seconds in each state
from the window's start (the state its birth gave, ``idle`` where the stream says none) to its
end. It is what the MES must hold after taking the line in. It also says how many JSON events
the run put into its outbox (``json_events``) and how many outbox rows the broker had not
acknowledged when the line stopped (``unsent``: kept in the outbox file for its next start).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gigaline.errors import GigalineError
from gigaline.events.equipment import MACHINE_STATES
from gigaline.model import Line
from gigaline.virtual.clock import Clock

if TYPE_CHECKING:
    from gigaline.virtual.outbox import Outbox

__all__ = [
    "BATCH_MAX",
    "CHECKPOINT_LAG_S",
    "FLUSH_S",
    "ResumeError",
    "StationTruth",
    "Truth",
    "VirtualLine",
]

#: Wall seconds the recorded checkpoint stays behind what was played: a resumed line sends
#: again what it played in the last seconds before it stopped (QoS 0 data may not have left).
CHECKPOINT_LAG_S = 2.0

#: Wall seconds the first event of a batch may wait for the batch to close (module docstring):
#: 20 ms, 2 twin seconds at 100x (assumption: well inside the MES's 1 s latency target).
FLUSH_S = 0.02

#: Events in a batch at most (one outbox transaction, one DDATA per station in it).
BATCH_MAX = 2_000


class ResumeError(GigalineError):
    """A run cannot be resumed from this outbox (none recorded, another run, or finished)."""


log = logging.getLogger(__name__)

Event = Mapping[str, Any]


def _ms(ts: str) -> int:
    """Milliseconds since the epoch of a contract timestamp (RFC 3339, ``Z`` or an offset)."""
    when = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    return round(when.timestamp() * 1000)


@dataclass
class StationTruth:
    """What one station did over the window, as played."""

    step: str | None = None
    processed: int = 0
    good: int = 0
    ng: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "processed": self.processed,
            "good": self.good,
            "ng": self.ng,
            "seconds": {s: round(v, 3) for s, v in self.seconds.items() if v},
        }


@dataclass
class Truth:
    """The ground truth of a run of the virtual line (``gigaline virtual-line --json``)."""

    start: str
    end: str
    speed: float | None
    events: int = 0
    out_of_order: int = 0
    max_lag_s: float = 0.0
    wall_s: float = 0.0
    #: JSON events (process, lot, curve) this run put into its outbox
    json_events: int = 0
    #: outbox rows the broker had not acknowledged when the line stopped (kept in the outbox
    #: file for its next start; 0 when everything was delivered)
    unsent: int = 0
    #: the checkpoint a resumed run went on from (None: played from the start)
    resumed_from: str | None = None
    stations: dict[str, StationTruth] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "speed": self.speed,
            "events": self.events,
            "out_of_order": self.out_of_order,
            "max_lag_s": round(self.max_lag_s, 4),
            "wall_s": round(self.wall_s, 3),
            "json_events": self.json_events,
            "unsent": self.unsent,
            "resumed_from": self.resumed_from,
            "stations": {k: v.as_dict() for k, v in sorted(self.stations.items())},
        }


class VirtualLine:
    """A line's virtual equipment, driven by an event stream (see the module docstring).

    ``events``: the stream (time-ordered dicts of the event contract). ``start``/``end``: the
    window the stream covers (its twin-time origin and the end of the state accounting).
    ``outbox``: the edge's SQLite outbox file (kept across restarts: what the broker had not
    acknowledged is sent at the next start). ``primary_host``: the Sparkplug host application
    the edge node waits for (births after its STATE online; changes kept while it is
    offline, and sent after its return, also at the end of the run: waited for up to 60 s).
    ``run_id``/``resume``: see the module docstring. ``parameters``: per station, the process
    parameters it reports (Double metrics declared in its birth; others in an event are sent
    in the JSON only). ``opcua_port``: also serve OPC UA there.
    """

    def __init__(
        self,
        line: Line,
        broker: str,
        events: Iterable[Event],
        *,
        start: datetime,
        end: datetime,
        speed: float | None = 1.0,
        outbox: Path,
        parameters: Mapping[str, Iterable[str]] | None = None,
        opcua_port: int | None = None,
        faults: Any = None,
        client_id: str | None = None,
        run_id: str | None = None,
        resume: bool = False,
        primary_host: str | None = None,
    ) -> None:
        from gigaline.model.naming import station_names

        self.line = line
        self.site = line.site.name
        self.broker = broker
        self.start_ms = int(start.timestamp() * 1000)
        self.end_ms = int(end.timestamp() * 1000)
        self.speed = speed
        self._stop = threading.Event()
        self.clock = Clock(speed=speed or 1.0, start_s=self.start_ms / 1000.0, stop=self._stop)
        self.outbox_path = outbox
        self.opcua_port = opcua_port
        self.faults = faults
        self.client_id = client_id
        if resume and run_id is None:
            raise ValueError("resume=True needs the run_id of the run to resume")
        self.run_id = run_id
        self.resume = resume
        self.primary_host = primary_host
        self.resumed_from_ms: int | None = None  # the checkpoint a resumed run went on from
        self._marks: deque[tuple[float, int]] = deque()  # (monotonic wall, twin ms played)
        self._events: Iterator[Event] = iter(events)
        self.params = {k: tuple(v) for k, v in (parameters or {}).items()}
        self.step_of = {s: st.id for st in line.steps for s in station_names(st.id, st.machines)}
        self.truth = Truth(
            start=start.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            end=end.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            speed=speed,
            stations={s: StationTruth(step=step) for s, step in self.step_of.items()},
        )
        self._state: dict[str, tuple[str, int]] = {}  # station -> (state, since ms)
        self._processed: dict[str, int] = dict.fromkeys(self.step_of, 0)
        self._ng: dict[str, int] = dict.fromkeys(self.step_of, 0)
        self._counted: dict[str, int] = dict.fromkeys(self.step_of, 0)  # inside the window
        self._ng_counted: dict[str, int] = dict.fromkeys(self.step_of, 0)
        self.node: Any = None
        self.publisher: Any = None
        self.server: Any = None
        self._batch: list[Event] = []  # JSON events played, not yet in the outbox
        self._batch_n = 0  # events played into the open batch
        self._flush_by = 0.0  # monotonic time the open batch must close by

    @property
    def stop(self) -> threading.Event:
        """Set it (from a signal handler, another thread) to end :meth:`run` early."""
        return self._stop

    # -- running ---------------------------------------------------------------------------

    def run(self) -> Truth:
        """Play the whole stream (or until :attr:`stop`), then stop the equipment cleanly."""
        from gigaline.virtual.outbox import EventPublisher, Outbox
        from gigaline.virtual.sparkplug import DeviceSpec, EdgeNode

        box = Outbox(self.outbox_path, self.site)
        try:
            resume_ms = self._resume_point(box)
        except BaseException:
            box.close()
            raise
        first, initial = self._initial_states()
        devices = {
            s: DeviceSpec(self.params.get(s, ()), state=initial.get(s, ("idle", ""))[0],
                          stop_reason=initial.get(s, ("idle", ""))[1])
            for s in self.step_of
        }  # fmt: skip
        for station, spec in devices.items():  # the births say each station's state
            self._state[station] = (spec.state, self.start_ms)
        self.node = EdgeNode(
            self.broker, self.site, self.line.name, devices, start_ms=self.start_ms,
            faults=self.faults, client_id=self.client_id, primary_host=self.primary_host,
            bdseq_file=self.outbox_path.with_name(self.outbox_path.name + ".bdseq.json"),
            batched=True,
        )  # fmt: skip
        self.publisher = EventPublisher(self.broker, box, faults=self.faults)
        if self.opcua_port is not None:
            from gigaline.virtual.opcua import LineServer

            self.server = LineServer(
                self.site, self.line.name, self.params, port=self.opcua_port,
                start_ms=self.start_ms,
            )  # fmt: skip
            self.server.start()
            for station, (state, reason) in initial.items():
                self.server.update(station, self.start_ms, state=state, stop_reason=reason)
        stream = _chain(first, self._events)
        last = self.start_ms
        ahead: Event | None = None
        if resume_ms is not None:  # what was played before the checkpoint: counted, not sent
            for event in stream:
                if _ms(event["ts"]) >= resume_ms:
                    ahead = event
                    break
                last = self._play(event, last, send=False)
            self.resumed_from_ms = resume_ms
            self.truth.resumed_from = _iso_ms(resume_ms)
            self.clock = Clock(speed=self.speed or 1.0, start_s=resume_ms / 1000.0, stop=self._stop)
        self.node.start()
        self.publisher.start()
        wall = time.monotonic()
        try:
            if not self.node.wait_online(30):
                log.warning("no MQTT connection to %s yet; buffering until it answers", self.broker)
            self.clock.start()  # twin time start_ms (or the checkpoint) is due now
            for event in _chain([ahead] if ahead is not None else [], stream):
                if self.stop.is_set():
                    break
                last = self._play(event, last)
                self._checkpoint(box, last)
            self._flush()
            if self.speed is not None and not self.stop.is_set():
                self.clock.wait_until(self.end_ms / 1000.0)  # the window ends on time
            self._close_states()
            self.publisher.drain(60)
            # what the edge kept while its primary host was away goes out with the births
            # that host's return brings: wait for them (bounded) before the goodbye
            if (
                self.primary_host is not None
                and not self.stop.is_set()
                and not self.node.wait_online(60)
            ):
                log.warning("primary host %s not online: kept changes unsent", self.primary_host)
            if self.run_id is not None and not self.stop.is_set():
                box.save_run_state(self.run_id, self.end_ms, finished=True)
        finally:
            self.truth.wall_s = time.monotonic() - wall
            self.truth.max_lag_s = self.clock.max_lag_s
            self.node.stop()
            self.publisher.stop()
            self.truth.unsent = len(box)
            box.close()
            if self.server is not None:
                self.server.stop()
        for station, n in self._counted.items():
            t = self.truth.stations[station]
            t.processed, t.ng, t.good = n, self._ng_counted[station], n - self._ng_counted[station]
        return self.truth

    def _initial_states(self) -> tuple[list[Event], dict[str, tuple[str, str]]]:
        """The events at the window's start: stations' initial states are their births'."""
        first: list[Event] = []
        initial: dict[str, tuple[str, str]] = {}
        for event in self._events:
            first.append(event)
            if _ms(event["ts"]) > self.start_ms:
                break
            if event.get("type") == "state" and event.get("station") in self.step_of:
                initial[event["station"]] = (event["state"], event.get("reason") or "")
        # the initial states are in the births; they are not played again as changes
        played = [
            e for e in first
            if not (e.get("type") == "state" and _ms(e["ts"]) <= self.start_ms
                    and e.get("station") in initial)
        ]  # fmt: skip
        return played, initial

    def _resume_point(self, box: Outbox) -> int | None:
        """The checkpoint to go on from (resume), or None after recording a new run."""
        recorded = box.run_state()
        if not self.resume:
            if self.run_id is not None:
                box.save_run_state(self.run_id, self.start_ms)
            return None
        where = str(self.outbox_path)
        if recorded is None:
            raise ResumeError(f"{where}: no run recorded to resume; start it without --resume")
        run_id, played_ms, finished = recorded
        if run_id != self.run_id:
            raise ResumeError(
                f"{where}: the run recorded is {run_id!r}, not {self.run_id!r}; resume with the "
                "same line, --seed, --days and --start"
            )
        if finished:
            raise ResumeError(f"{where}: run {run_id!r} finished; nothing to resume")
        return played_ms

    def _checkpoint(self, box: Outbox, played_ms: int) -> None:
        """Record, every quarter second, the twin time played CHECKPOINT_LAG_S seconds ago."""
        if self.run_id is None:
            return
        now = time.monotonic()
        marks = self._marks
        if marks and now - marks[-1][0] < 0.25:
            return
        marks.append((now, played_ms))
        due = None
        while marks and marks[0][0] <= now - CHECKPOINT_LAG_S:
            due = marks.popleft()
        if due is not None:
            self._flush()  # what was played before the checkpoint is in the outbox first
            box.save_run_state(self.run_id, due[1])

    def _flush(self) -> None:
        """Close the open batch: its JSON events into the outbox (one transaction), then its
        changes on the edge node (one DDATA per station)."""
        if self._batch:
            self.publisher.outbox.put(self._batch)
            self._batch = []
            self.publisher.notify()
        if self._batch_n:
            self._batch_n = 0
            self.node.flush()

    def _play(self, event: Event, last: int, send: bool = True) -> int:
        """Play one event; with ``send`` false (a resumed run's past) count it only."""
        ts = _ms(event["ts"])
        in_order = ts >= last
        if in_order:
            last = ts
        else:
            self.truth.out_of_order += 1
        if send:
            if self._batch_n == 0:
                self._flush_by = time.monotonic() + FLUSH_S
            elif self._batch_n >= BATCH_MAX or time.monotonic() >= self._flush_by:
                self._flush()
                self._flush_by = time.monotonic() + FLUSH_S
            # history and an event earlier than the one before it: at once, without the clock
            # (asked, it would report the event's age as the line's lag behind its schedule)
            if self.speed is not None and ts >= self.start_ms and in_order:
                if self._batch_n and self.clock.due(ts / 1000.0) > self._flush_by:
                    self._flush()  # the wait would hold the batch too long: send it first
                    self._flush_by = self.clock.due(ts / 1000.0) + FLUSH_S
                self.clock.wait_until(ts / 1000.0)
            self._batch_n += 1
        self.truth.events += 1
        kind = event.get("type")
        station = event.get("station")
        if kind == "state" and station in self.step_of:
            state, reason = event["state"], event.get("reason") or ""
            if state not in MACHINE_STATES:
                return last
            self._account(station, ts)
            self._state[station] = (state, ts)
            self.node.update(station, ts, state=state, stop_reason=reason, send=send)
            if self.server is not None:
                self.server.update(station, ts, state=state, stop_reason=reason)
            return last
        if send:
            self._batch.append(event)
            self.truth.json_events += 1
        if kind == "process" and station in self.step_of:
            if self.start_ms <= ts < self.end_ms:
                self._counted[station] += 1
                self._ng_counted[station] += event.get("result") == "NG"
            self._processed[station] += 1
            if event.get("result") == "NG":
                self._ng[station] += 1
            known = self.params.get(station, ())
            params = {k: float(v) for k, v in (event.get("params") or {}).items()
                      if k in known and isinstance(v, int | float)}  # fmt: skip
            self.node.update(
                station, ts, processed=self._processed[station], defective=self._ng[station],
                params=params, send=send,
            )  # fmt: skip
            if self.server is not None:
                self.server.update(
                    station, ts, processed=self._processed[station],
                    defective=self._ng[station], params=params,
                )  # fmt: skip
        return last

    def _account(self, station: str, until_ms: int) -> None:
        standing = self._state.get(station)
        if standing is None:
            return
        state, since = standing
        seconds = self.truth.stations[station].seconds
        span = max(0, min(until_ms, self.end_ms) - max(since, self.start_ms)) / 1000.0
        seconds[state] = seconds.get(state, 0.0) + span

    def _close_states(self) -> None:
        for station in list(self._state):
            self._account(station, self.end_ms)
            state, _ = self._state[station]
            self._state[station] = (state, self.end_ms)


def _iso_ms(ms: int) -> str:
    when = datetime.fromtimestamp(ms / 1000.0, UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _chain(*streams: Iterable[Event]) -> Iterator[Event]:
    for stream in streams:
        yield from stream
