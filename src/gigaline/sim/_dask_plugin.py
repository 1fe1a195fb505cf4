"""The Dask worker plugin that loads the compiled kernel once per worker (imported only by
:func:`gigaline.sim.executors.dask_executor`, so that nothing else pays for importing Dask).

The plugin is given the function to run rather than importing it, so that this module and
:mod:`gigaline.sim.executors` do not import each other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

__all__ = ["WarmKernel"]


class WarmKernel(WorkerPlugin):  # type: ignore[misc]
    """Run ``warm`` (:func:`gigaline.sim.executors.warm_kernel`) when a worker starts."""

    idempotent = True
    name = "gigaline-warm-kernel"

    def __init__(self, warm: Callable[[], None]) -> None:
        self.warm = warm

    def setup(self, worker: Any) -> None:
        self.warm()
