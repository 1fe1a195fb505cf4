"""Loading and compiling are linear in the steps: a 10,000-step line loads and compiles.

The quadratic path was ``Line.predecessors``: ``list.index`` compared pydantic steps field by
field, and the branches were rebuilt on every call (over 300 s for 10,000 steps). Its timing
target lives in ``benchmarks/bench_load.py``; here the structure is asserted: no step is
compared with another while compiling, and every relation of a long line is right.
"""

from __future__ import annotations

import pytest

from gigaline.model import Step, parse_line
from gigaline.sim import compile_line
from gigaline.sim._layout import SI_CONS, SI_IN0, SI_NIN
from tests.model._big import many_steps_yaml


def test_ten_thousand_steps_load_and_compile() -> None:
    line = parse_line(many_steps_yaml(10_000))
    assert len(line.steps) == 10_000
    assert {name: len(chain) for name, chain in line.branches.items()} == {
        "cathode": 2500,
        "anode": 2500,
    }
    assert len(line.main_steps) == 5000
    c = compile_line(line)
    assert c.n_steps == 10_000
    first_main = 5000  # s0 merges the last cathode and the last anode step
    assert c.SI[first_main, SI_NIN] == 2
    assert list(c.SI[first_main, SI_IN0 : SI_IN0 + 2]) == [2499, 4999]
    assert c.SI[2499, SI_CONS] == first_main and c.SI[4999, SI_CONS] == first_main
    assert c.SI[9999, SI_CONS] == -1 and c.SI[9998, SI_CONS] == 9999
    assert c.SI[1, SI_NIN] == 1 and c.SI[1, SI_IN0] == 0
    assert c.SI[0, SI_NIN] == 0 and c.SI[2500, SI_NIN] == 0  # each branch starts at raw material


def test_compiling_compares_no_two_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding predecessors by equality is what made compiling quadratic: it must not come back."""
    line = parse_line(many_steps_yaml(400))
    calls = 0
    original = Step.__eq__

    def counting_eq(self: Step, other: object) -> bool:
        nonlocal calls
        calls += 1
        return original(self, other)

    monkeypatch.setattr(Step, "__eq__", counting_eq)
    compile_line(line)
    for step in line.steps:
        line.predecessors(step)
        line.step(step.id)
    assert calls == 0


def test_the_flow_follows_a_copy_with_other_steps() -> None:
    line = parse_line(many_steps_yaml(8))
    assert [s.id for s in line.predecessors(line.step("s1"))] == ["s0"]
    shorter = line.model_copy(update={"steps": line.steps[:2] + line.steps[4:]})
    with pytest.raises(KeyError, match="no step 'anode_0'"):
        shorter.step("anode_0")
    assert [s.id for s in shorter.main_steps] == ["s0", "s1", "s2", "s3"]
    assert line.step("anode_0").id == "anode_0"  # the original keeps its own
