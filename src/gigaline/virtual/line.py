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

The stream must come in time order (the twin's trace does); an event earlier than the one
before it is played at once, never dropped, and counted in :attr:`Truth.out_of_order`.

The ground truth (:class:`Truth`) is counted from the events played: per station the units
processed, good and NG whose records end inside the window, and the seconds in each state
from the window's start (the state its birth gave, ``idle`` where the stream says none) to its
end. It is what the MES must hold after taking the line in.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gigaline.events.equipment import MACHINE_STATES
from gigaline.model import Line
from gigaline.virtual.clock import Clock

__all__ = ["StationTruth", "Truth", "VirtualLine"]

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
            "stations": {k: v.as_dict() for k, v in sorted(self.stations.items())},
        }


class VirtualLine:
    """A line's virtual equipment, driven by an event stream (see the module docstring).

    ``events``: the stream (time-ordered dicts of the event contract). ``start``/``end``: the
    window the stream covers (its twin-time origin and the end of the state accounting).
    ``outbox``: the edge's SQLite outbox file (kept across restarts: what the broker had not
    acknowledged is sent at the next start). ``parameters``: per station, the process
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

    @property
    def stop(self) -> threading.Event:
        """Set it (from a signal handler, another thread) to end :meth:`run` early."""
        return self._stop

    # -- running ---------------------------------------------------------------------------

    def run(self) -> Truth:
        """Play the whole stream (or until :attr:`stop`), then stop the equipment cleanly."""
        from gigaline.virtual.outbox import EventPublisher, Outbox
        from gigaline.virtual.sparkplug import DeviceSpec, EdgeNode

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
            faults=self.faults, client_id=self.client_id,
        )  # fmt: skip
        box = Outbox(self.outbox_path, self.site)
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
        self.node.start()
        self.publisher.start()
        wall = time.monotonic()
        try:
            if not self.node.wait_online(30):
                log.warning("no MQTT connection to %s yet; buffering until it answers", self.broker)
            self.clock.start()  # twin time start_ms is due now
            last = self.start_ms
            for event in first:
                last = self._play(event, last)
            for event in self._events:
                if self.stop.is_set():
                    break
                last = self._play(event, last)
            if self.speed is not None and not self.stop.is_set():
                self.clock.wait_until(self.end_ms / 1000.0)  # the window ends on time
            self._close_states()
            self.publisher.drain(60)
        finally:
            self.truth.wall_s = time.monotonic() - wall
            self.truth.max_lag_s = self.clock.max_lag_s
            self.node.stop()
            self.publisher.stop()
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

    def _play(self, event: Event, last: int) -> int:
        ts = _ms(event["ts"])
        if ts < last:
            self.truth.out_of_order += 1
        else:
            last = ts
        if self.speed is not None and ts >= self.start_ms:  # history before the start: at once
            self.clock.wait_until(ts / 1000.0)
        self.truth.events += 1
        kind = event.get("type")
        station = event.get("station")
        if kind == "state" and station in self.step_of:
            state, reason = event["state"], event.get("reason") or ""
            if state not in MACHINE_STATES:
                return last
            self._account(station, ts)
            self._state[station] = (state, ts)
            self.node.update(station, ts, state=state, stop_reason=reason)
            if self.server is not None:
                self.server.update(station, ts, state=state, stop_reason=reason)
            return last
        self.publisher.outbox.put([event])
        self.publisher.notify()
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
                params=params,
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
