"""The Dask worker plugin that loads the compiled kernel once per worker (imported only by
:func:`gigaline.sim.executors.dask_executor`, so that nothing else pays for importing Dask)."""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

__all__ = ["WarmKernel"]


class WarmKernel(WorkerPlugin):  # type: ignore[misc]
    """Run :func:`gigaline.sim.executors.warm_kernel` when a worker starts."""

    idempotent = True
    name = "gigaline-warm-kernel"

    def setup(self, worker: Any) -> None:
        from gigaline.sim.executors import warm_kernel

        warm_kernel()
