"""The same seed gives the same numbers, bit for bit, on every executor: in this process, in a
pool of local processes, and on a Dask LocalCluster of worker processes."""

from __future__ import annotations

import dataclasses
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from gigaline.cli import main
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


@pytest.mark.filterwarnings("ignore::gigaline.sim.SimulationWarning")  # (short on purpose:
def test_every_executor_gives_the_same_bits(  # the bits are compared, not the figures)
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from distributed import LocalCluster

    line = load_line(EXAMPLES / "five-step.yaml")
    kw = {"days": 0.5, "warmup_days": 0.1, "replications": 4, "seed": 21}
    here = simulate(line, workers=1, **kw)  # type: ignore[arg-type]
    assert here.records[0].events != here.records[1].events  # replications do differ
    with local_executor(2) as pool:
        _same(here, simulate(line, executor=pool, **kw))  # type: ignore[arg-type]
    with ThreadPoolExecutor(2) as threads:  # any concurrent.futures.Executor
        _same(here, simulate(line, executor=threads, **kw))  # type: ignore[arg-type]
    # a Dask cluster of two worker processes, reached by its scheduler's address, from
    # Python and from the command line
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        with dask_executor(address) as ex:
            _same(here, simulate(line, executor=ex, **kw))  # type: ignore[arg-type]
        study = tmp_path / "s.yaml"
        study.write_text(
            f"line: {EXAMPLES / 'two-machine.yaml'}\n"
            "factors:\n  b: {path: steps.m1.buffer_after, values: [1, 4]}\n"
            "replications: 3\ndays: 0.2\nseed: 5\n"
        )
        assert main(["experiment", str(study), "--json", "--workers", "1"]) == 0
        local = json.loads(capsys.readouterr().out)
        args = ["experiment", str(study), "--json", "--executor", "dask", "--scheduler", address]
        assert main(args) == 0
        remote = json.loads(capsys.readouterr().out)
    for a, b in zip(local["scenarios"], remote["scenarios"], strict=True):
        assert a == b


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
