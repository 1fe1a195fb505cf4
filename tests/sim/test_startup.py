"""Start-up of a tiny ``gigaline simulate``: what it does not load, and that loading less
changes no number (start-up times: benchmarks/bench_startup.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gigaline
from gigaline.sim.results import _mean_of_replications

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "two-machine.yaml"

#: What a tiny simulation needs none of: pandas (results are numpy until a table is asked for),
#: scipy's linear algebra, charts, the database, and numba's implementation registries (its
#: linear algebra, random generators, typed containers), which numba loads only to compile.
NOT_LOADED = (
    "pandas",
    "scipy.linalg",
    "scipy.stats",
    "plotly",
    "sqlalchemy",
    "numba.np.linalg",
    "numba.np.arraymath",
    "numba.np.random.legacy",
    "numba.typed.typeddict",
)

_PROBE = """
import contextlib, io, json, sys
from gigaline.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.redirect_stderr(io.StringIO()):
    status = main({argv!r})
assert status == 0, status
print(json.dumps({{"out": out.getvalue(), "modules": sorted(sys.modules)}}))
"""


def _run(argv: list[str]) -> tuple[str, set[str]]:
    """Run the CLI in a fresh interpreter: its output and every module it has loaded."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(argv=argv)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    got = json.loads(done.stdout.strip().splitlines()[-1])
    return got["out"], set(got["modules"])


@pytest.fixture(scope="module")
def warm() -> None:
    """The compiled kernel in the cache (compiling loads numba's registries, as it must)."""
    subprocess.run(
        [sys.executable, "-c", "from gigaline.sim import warm_kernel; warm_kernel()"],
        check=True,
        cwd=ROOT,
    )


@pytest.mark.parametrize("as_json", [False, True])
def test_a_tiny_simulation_loads_nothing_it_does_not_need(warm: None, as_json: bool) -> None:
    argv = ["simulate", str(EXAMPLE), "--days", "0.01", *(["--json"] if as_json else [])]
    out, loaded = _run(argv)
    assert "m1" in out and "m2" in out
    assert "numba" in loaded and "gigaline.sim.kernel" in loaded  # the compiled kernel ran
    assert loaded.isdisjoint(NOT_LOADED), sorted(loaded & set(NOT_LOADED))


def test_a_table_asked_for_is_a_dataframe_with_the_same_numbers() -> None:
    """The figures are computed without pandas; :attr:`steps` is the table of those very
    numbers, the mean of the replications' tables as pandas takes it, to the bit."""
    r = gigaline.simulate(gigaline.load_line(EXAMPLE), days=0.2, replications=3, seed=5, workers=1)
    by_pandas = pd.concat(r.replication_steps).groupby(level=0, sort=False).mean()
    pd.testing.assert_frame_equal(r.steps, by_pandas, check_exact=True)
    rows = r.step_rows
    assert list(rows) == ["m1", "m2"]
    for sid, row in rows.items():
        assert row == by_pandas.loc[sid].to_dict()
    assert r.bottleneck == str(
        (by_pandas["bottleneck_sole"] + by_pandas["bottleneck_shifting"]).idxmax()
    )
    assert r.plan_throughput_per_h == float(r.capacity["good_cells_per_h"].min())
    assert r.lead_time_percentiles_h == {
        f"p{q}": float(v)
        for q, v in zip(
            (50, 90, 95, 99),
            np.percentile(
                np.concatenate([x.lead_times_s for x in r.records]) / 3600.0, [50, 90, 95, 99]
            ),
            strict=True,
        )
    }


def test_the_mean_of_replications_is_pandas_groupby_mean_to_the_bit() -> None:
    """Kahan-compensated, NaN skipped, infinities kept: values chosen so that a plain sum
    differs from pandas in the last bits."""
    rng = np.random.default_rng(3)
    tables = []
    for _ in range(7):
        a = rng.normal(0.0, 1.0, 6) * 10.0 ** rng.integers(-8, 9, 6)
        b = rng.uniform(0.0, 1.0, 6)
        b[rng.uniform(size=6) < 0.3] = np.nan
        c = np.array([np.inf, 1e16, 1.0, -1e16, np.nan, 0.1])
        tables.append({"a": a, "b": b, "c": c})
    nan_column = [{"a": np.full(6, np.nan)} for _ in range(3)]
    for tabs in (tables, nan_column):
        ids = [f"s{i}" for i in range(6)]
        frames = [pd.DataFrame(t, index=pd.Index(ids, name="step")) for t in tabs]
        expected = pd.concat(frames).groupby(level=0, sort=False).mean()
        got = _mean_of_replications(tabs)
        for name in tabs[0]:
            np.testing.assert_array_equal(got[name], expected[name].to_numpy(), strict=True)
    plain = np.mean([t["a"] for t in tables], axis=0)
    assert not np.array_equal(plain, _mean_of_replications(tables)["a"])  # the test can fail
