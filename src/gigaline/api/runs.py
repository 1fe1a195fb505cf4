"""Simulation runs of the API: submitted, run in worker processes, watched, kept in memory.

:class:`RunPool` owns a :class:`concurrent.futures.ProcessPoolExecutor` of
``api_sim_workers`` processes (started by ``spawn``: a server's threads must not be forked)
and at most ``api_sim_queue`` runs waiting or running; one more is refused
(:class:`QueueFullError`, a 429 problem) until one ends. A run's worker reports its progress
through a queue that a thread of the server drains; its result (the JSON of ``gigaline
simulate --json``, docs/sim-json.md) and its HTML report are kept in memory under the run's id,
the latest ``kept`` finished runs (assumption: 20, a report is a few MiB with plotly.js inside).
Runs do not survive a restart of the server: resubmit them (same seed, same numbers).
"""

from __future__ import annotations

import functools
import multiprocessing
import threading
import uuid
from collections import OrderedDict
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel

from gigaline.errors import GigalineError, NotFoundError
from gigaline.mes.services.models import rfc3339

__all__ = ["QueueFullError", "RunPool", "RunState", "RunStatus"]

RunState = Literal["queued", "running", "done", "failed"]
_queue: Any = None  # the progress queue, in a worker process


class QueueFullError(GigalineError):
    """As many runs as allowed are waiting or running."""


class RunStatus(BaseModel):
    """A simulation run: its state, progress (0 to 1), times, who asked, and its error."""

    id: str
    state: RunState
    progress: float
    line: str
    days: float
    warmup_days: float
    replications: int
    seed: int
    submitted: str | None
    started: str | None
    finished: str | None
    submitted_by: str
    error: str | None


class _Run:
    def __init__(self, run_id: str, line: str, params: dict[str, Any], by: str) -> None:
        self.id, self.line, self.params, self.by = run_id, line, params, by
        self.state: RunState = "queued"
        self.progress = 0.0
        self.submitted = datetime.now(UTC)
        self.started: datetime | None = None
        self.finished: datetime | None = None
        self.error: str | None = None
        self.result: dict[str, Any] | None = None
        self.report: str | None = None

    def status(self) -> RunStatus:
        return RunStatus(
            id=self.id, state=self.state, progress=self.progress, line=self.line,
            days=self.params["days"], warmup_days=self.params["warmup_days"],
            replications=self.params["replications"], seed=self.params["seed"],
            submitted=rfc3339(self.submitted), started=rfc3339(self.started),
            finished=rfc3339(self.finished), submitted_by=self.by, error=self.error,
        )  # fmt: skip


def _init_worker(queue: Any) -> None:
    global _queue
    _queue = queue


def _simulate(run_id: str, line_text: str, params: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """In a worker: parse the line, simulate it, and give the result's JSON and report."""
    import warnings

    from gigaline.model import parse_line
    from gigaline.sim import simulate
    from gigaline.sim.checks import SimulationWarning
    from gigaline.sim.report import report_html

    line = parse_line(line_text, "run")
    last = [-1.0]

    def progress(f: float) -> None:
        if _queue is not None and f - last[0] >= 0.01:
            last[0] = f
            _queue.put((run_id, "progress", f))

    if _queue is not None:
        _queue.put((run_id, "running", 0.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SimulationWarning)  # kept in the result's warnings
        result = simulate(line, workers=1, progress=progress, **params)
    return result.to_dict(), report_html(result)


class RunPool:
    """Simulation runs in worker processes, a bounded number at once (see the module doc)."""

    def __init__(self, workers: int, queue_size: int, kept: int = 20) -> None:
        self.workers, self.queue_size, self.kept = workers, queue_size, kept
        self._runs: OrderedDict[str, _Run] = OrderedDict()
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._progress: Any = None
        self._reader: threading.Thread | None = None

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._progress = ctx.Queue()
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=ctx, initializer=_init_worker,
                initargs=(self._progress,),
            )  # fmt: skip
            self._reader = threading.Thread(target=self._read, name="gigaline-runs", daemon=True)
            self._reader.start()
        return self._pool

    def _read(self) -> None:
        while True:
            item = self._progress.get()
            if item is None:
                return
            run_id, what, value = item
            with self._lock:
                run = self._runs.get(run_id)
                if run is None or run.state in ("done", "failed"):
                    continue
                if what == "running":
                    run.state, run.started = "running", datetime.now(UTC)
                run.progress = max(run.progress, min(float(value), 1.0))

    def submit(self, line_name: str, line_text: str, params: dict[str, Any], by: str) -> RunStatus:
        """Queue a run; its status (``queued``). :class:`QueueFullError` when the queue is full."""
        with self._lock:
            active = sum(r.state in ("queued", "running") for r in self._runs.values())
            if active >= self.queue_size:
                raise QueueFullError(
                    f"{active} simulation runs are waiting or running, the most this server "
                    f"takes (api_sim_queue = {self.queue_size}); try again when one has ended"
                )
            run = _Run(uuid.uuid4().hex[:16], line_name, params, by)
            self._runs[run.id] = run
        future = self._start().submit(_simulate, run.id, line_text, params)
        future.add_done_callback(functools.partial(self._finish, run))
        return run.status()

    def _finish(self, run: _Run, future: Future[tuple[dict[str, Any], str]]) -> None:
        with self._lock:
            run.finished = datetime.now(UTC)
            exc = future.exception()
            if exc is None:
                run.result, run.report = future.result()
                run.state, run.progress = "done", 1.0
            else:
                run.state = "failed"
                run.error = str(exc) if isinstance(exc, GigalineError) else (
                    f"{type(exc).__name__}: {exc}"
                )  # fmt: skip
            done = [r.id for r in self._runs.values() if r.state in ("done", "failed")]
            for old in done[: max(len(done) - self.kept, 0)]:
                del self._runs[old]

    def _get(self, run_id: str) -> _Run:
        with self._lock:
            run = self._runs.get(run_id)
        if run is None:
            kept = f"finished runs are kept while the server runs (the latest {self.kept})"
            raise NotFoundError("run_id", run_id, "simulation run", kept)
        return run

    def status(self, run_id: str) -> RunStatus:
        return self._get(run_id).status()

    def list(self) -> list[RunStatus]:
        with self._lock:
            return [r.status() for r in reversed(self._runs.values())]

    def result(self, run_id: str) -> tuple[RunStatus, dict[str, Any] | None, str | None]:
        run = self._get(run_id)
        with self._lock:
            return run.status(), run.result, run.report

    def shutdown(self) -> None:
        """End the workers (runs still going are cancelled) and the progress reader."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._progress.put(None)
            if self._reader is not None:
                self._reader.join(timeout=5)
            self._progress.close()
            self._pool = None
