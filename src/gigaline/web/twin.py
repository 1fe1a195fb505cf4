"""Simulation runs started from the twin page: one at a time, in a worker thread, with progress.

A run is the digital twin (:func:`gigaline.sim.simulate`, one replication, one process) of a
line for a few days after a warm-up. The kernel releases nothing to other requests while it
runs in pure Python, but the compiled kernel (numba, the default) runs without the GIL, so the
server keeps answering. At most ``queue`` runs wait or run at once; one more is refused
(:class:`RunsBusyError`). The last :data:`KEEP` finished runs stay readable (their report
included); a restart of the server forgets them.
"""

from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final

from gigaline.errors import GigalineError
from gigaline.model import Line

__all__ = ["KEEP", "MAX_DAYS", "Run", "Runs", "RunsBusyError"]

#: Finished runs kept in memory.
KEEP: Final = 20
#: The longest run the page starts [simulated days, warm-up included]: a short look, not a study
#: (``gigaline simulate`` and the API's runs are for long ones).
MAX_DAYS: Final = 60.0


class RunsBusyError(GigalineError):
    """As many runs as allowed are waiting or running."""


@dataclass
class Run:
    """One simulation run: its inputs, progress (0 to 1) and, once done, result or error."""

    id: int
    line: str
    source: str
    days: float
    warmup_days: float
    seed: int
    by: str
    started: float = field(default_factory=time.time)
    progress: float = 0.0
    finished: float | None = None
    summary: dict[str, Any] | None = None
    report: str | None = None
    error: str | None = None

    @property
    def done(self) -> bool:
        return self.finished is not None


class Runs:
    """The runs of one server."""

    def __init__(self, queue: int = 4) -> None:
        self._queue = queue
        self._pool: ThreadPoolExecutor | None = None  # made at the first run, again after shutdown
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._runs: dict[int, Run] = {}

    def submit(
        self, line: Line, source: str, days: float, warmup_days: float, seed: int, by: str
    ) -> Run:
        """Queue a run of ``line``; raises :class:`RunsBusyError` when the queue is full."""
        with self._lock:
            if sum(not r.done for r in self._runs.values()) >= self._queue:
                raise RunsBusyError(
                    f"{self._queue} simulation runs are waiting or running; wait for one to end"
                )
            run = Run(next(self._ids), line.name, source, days, warmup_days, seed, by)
            self._runs[run.id] = run
            done = [r for r in self._runs.values() if r.done]
            for old in done[: max(0, len(done) - KEEP)]:
                del self._runs[old.id]
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gigaline-twin")
            self._pool.submit(self._run, run, line)
        return run

    def get(self, run_id: int) -> Run | None:
        with self._lock:
            return self._runs.get(run_id)

    def all(self) -> list[Run]:
        """Runs, newest first."""
        with self._lock:
            return sorted(self._runs.values(), key=lambda r: -r.id)

    def shutdown(self) -> None:
        """Cancel the waiting runs (a running one ends with its simulation)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, run: Run, line: Line) -> None:
        from gigaline.sim import simulate
        from gigaline.sim.report import report_html

        def progress(fraction: float) -> None:
            run.progress = max(run.progress, min(1.0, fraction))

        try:
            res = simulate(line, days=run.days, warmup_days=run.warmup_days, replications=1,
                           seed=run.seed, workers=1, progress=progress)  # fmt: skip
            run.summary = res.to_dict()
            run.report = report_html(res)
            run.progress = 1.0
        except GigalineError as exc:
            run.error = str(exc)
        except Exception as exc:  # a run must never take the server's worker with it
            run.error = f"the simulation failed: {type(exc).__name__}: {exc}"
        finally:
            run.finished = time.time()
