"""The same seed gives the same numbers, bit for bit, on every executor: in this process, in a
pool of local processes, and on a Dask LocalCluster of worker processes."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from gigaline.model import load_line
from gigaline.sim import SimResult, simulate
from gigaline.sim.compile import SimulationError
from gigaline.sim.executors import dask_executor, local_executor, open_executor
from tests.conftest import EXAMPLES


def _same(a: SimResult, b: SimResult) -> None:
    assert len(a.records) == len(b.records)
    for ra, rb in zip(a.records, b.records, strict=True):
        for f in dataclasses.fields(ra):
            if f.name == "wall_s":
                continue
            x, y = getattr(ra, f.name), getattr(rb, f.name)
            if isinstance(x, np.ndarray):
                assert x.dtype == y.dtype and np.array_equal(x, y), f.name
            else:
                assert x == y, f.name
    da, db = a.to_dict(), b.to_dict()
    da.pop("wall_s"), db.pop("wall_s")
    assert da == db


def test_every_executor_gives_the_same_bits() -> None:
    line = load_line(EXAMPLES / "five-step.yaml")
    kw = {"days": 0.5, "warmup_days": 0.1, "replications": 4, "seed": 21}
    here = simulate(line, workers=1, **kw)  # type: ignore[arg-type]
    with local_executor(2) as pool:
        _same(here, simulate(line, executor=pool, **kw))  # type: ignore[arg-type]
    with ThreadPoolExecutor(2) as threads:  # any concurrent.futures.Executor
        _same(here, simulate(line, executor=threads, **kw))  # type: ignore[arg-type]
    with dask_executor(workers=2) as cluster:  # a LocalCluster of two worker processes
        _same(here, simulate(line, executor=cluster, **kw))  # type: ignore[arg-type]
    assert here.records[0].events != here.records[1].events  # replications do differ


def test_executor_names_are_checked() -> None:
    with pytest.raises(SimulationError, match="unknown executor 'ray'"), open_executor("ray"):
        pass
    needs = pytest.raises(SimulationError, match="--scheduler needs --executor dask")
    with needs, open_executor("local", scheduler="tcp://127.0.0.1:1"):
        pass


def test_unreachable_scheduler_is_a_clear_error() -> None:
    unreachable = pytest.raises(SimulationError, match="cannot reach the Dask scheduler")
    with unreachable, dask_executor("tcp://127.0.0.1:9", timeout_s=1.0):
        pass
