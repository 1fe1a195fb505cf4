"""What a simulation may ask of the machine: values in their bounds, memory sized before it is
allocated (and the estimate held to what the kernel really allocates)."""

from __future__ import annotations

import math
from typing import Any

import pytest

import gigaline.sim.experiments as experiments
from gigaline.model import load_line, parse_line
from gigaline.sim import SimulationError, budget, compile_line, run_replication, simulate
from gigaline.sim.calendar import planned_stops
from gigaline.sim.state import new_state, state_bytes
from tests.conftest import EXAMPLES
from tests.model._big import many_steps_yaml

#: Tables new_state receives rather than allocates (the compiled line's, and the stops).
_GIVEN = {"SI", "SF", "DK", "DP", "EMP", "PLAN"}


@pytest.mark.parametrize("step_hourly", [False, True])
@pytest.mark.parametrize("name", ["two-machine.yaml", "abf-lfp-20gwh.yaml"])
def test_the_estimate_is_what_new_state_allocates(name: str, step_hourly: bool) -> None:
    from gigaline.sim.state import _ORDER

    c = compile_line(load_line(EXAMPLES / name))
    horizon = 3.5 * 86400.0
    st = new_state(c, planned_stops(c.line.calendar, horizon), horizon, 0, 0, step_hourly)
    allocated = sum(a.nbytes for n, a in zip(_ORDER, st.views, strict=True) if n not in _GIVEN)
    assert state_bytes(c, horizon, step_hourly) == allocated


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"days": math.nan}, "days nan: must be a finite number > 0 days"),
        ({"days": math.inf}, "days inf: must be a finite number"),
        ({"days": 1e7}, "days 10000000.0: must be > 0 days and <= 36,525 days"),
        ({"days": 1, "warmup_days": -1}, "warmup_days -1: must be >= 0 days"),
        ({"days": 1, "warmup_days": math.nan}, "warmup_days nan: must be a finite number"),
        ({"days": 30_000, "warmup_days": 30_000}, "warmup_days + days = 60,000"),
        ({"days": 1, "seed": -1}, "seed -1: must be >= 0"),
        ({"days": 1, "seed": 1.5}, "seed 1.5: must be a whole number"),
        ({"days": 1, "replications": 10**6}, "replications 1000000: must be >= 1 and <= 10,000"),
        ({"days": 1, "replications": True}, "replications True: must be a whole number"),
    ],
)
def test_the_api_refuses_bad_values_before_compiling(
    kwargs: dict[str, Any], words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kw: Any) -> None:
        raise AssertionError("compiled before the values were checked")

    monkeypatch.setattr(experiments, "compile_line", refuse)
    line = load_line(EXAMPLES / "two-machine.yaml")
    with pytest.raises(SimulationError, match=words.replace("+", r"\+")):
        simulate(line, **kwargs)


def test_a_run_beyond_memory_is_refused_before_allocating(monkeypatch: pytest.MonkeyPatch) -> None:
    """1,000 steps for 30,000 days: 5.4 GiB of hourly step output in each of state and result."""
    c = compile_line(load_line(EXAMPLES / "two-machine.yaml"))
    big = compile_line(parse_line(many_steps_yaml(1000)))
    need = budget.memory_need(big, days=30_000)
    hours = 30_000 * 24
    assert need.per_run_bytes >= hours * 1000 * 8  # the hourly table of every step
    assert need.total_bytes == need.per_run_bytes + 2 * need.record_bytes
    monkeypatch.setattr(budget, "memory_allowed", lambda: (4 * 2**30, "a test limit"))
    with pytest.raises(SimulationError) as info:
        budget.check_memory(big, days=30_000)
    text = str(info.value)
    assert f"would need about {need.total_bytes / 2**30:,.1f} GiB" in text
    assert "hourly output of 1,000 steps over 720,000 h" in text
    assert "allowed: 4.0 GiB (a test limit)" in text
    budget.check_memory(c, days=1)  # the small line fits
    monkeypatch.setattr(budget, "memory_allowed", lambda: (1024, "a tiny limit"))
    with pytest.raises(SimulationError, match="a tiny limit"):
        run_replication(c, days=1)  # checked when called directly too
    with pytest.raises(SimulationError, match="a tiny limit"):
        simulate(c.line, days=1, replications=2, workers=2)  # before any process starts


def test_parallel_runs_count_once_each() -> None:
    c = compile_line(load_line(EXAMPLES / "two-machine.yaml"))
    one = budget.memory_need(c, days=10, replications=4, workers=1)
    two = budget.memory_need(c, days=10, replications=4, workers=2)
    assert two.total_bytes - one.total_bytes == one.per_run_bytes
    assert one.at_once == 1 and two.at_once == 2


def test_memory_allowed_is_half_the_machine() -> None:
    allowed, why = budget.memory_allowed()
    assert allowed > 2**28 and "half of this machine's" in why
