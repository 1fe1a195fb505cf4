"""Good cells and the yield cascade: hand-computed oracles and properties."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gigaline.model import Line, load_line
from gigaline.plan import (
    cell_energy_kwh,
    cumulative_yield,
    good_cells_per_year,
    starts_cell_equivalents,
)
from gigaline.plan.errors import PlanInputError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_cell_energy_of_the_reference_cell() -> None:
    # 280 Ah x 3.2 V = 896 Wh (domain notes: "280 Ah cells (896 Wh)").
    assert cell_energy_kwh(280, 3.2) == pytest.approx(0.896)
    # 314 Ah x 3.2 V = 1,004.8 Wh (lifepo4.com.au, quoted in the sources registry notes).
    assert cell_energy_kwh(314, 3.2) == pytest.approx(1.0048)


def test_good_cells_for_20_gwh() -> None:
    # 20e6 kWh / 0.896 kWh = 22,321,428.6 cells ("22.3 M good cells/yr").
    assert good_cells_per_year(20, 0.896) == pytest.approx(22_321_428.571, rel=1e-9)
    with pytest.raises(PlanInputError):
        good_cells_per_year(20, 0.0)


def test_cumulative_yield() -> None:
    assert cumulative_yield([]) == 1.0
    assert cumulative_yield([0.99, 0.98, 0.99, 0.995, 0.99]) == pytest.approx(
        0.99 * 0.98 * 0.99 * 0.995 * 0.99
    )


def test_five_step_cascade_by_hand() -> None:
    line = load_line(EXAMPLES / "five-step.yaml")
    good = good_cells_per_year(0.75, 0.32)  # 2,343,750 cells
    s = starts_cell_equivalents(line, good)
    # Walk back from grading (0.99), aging (0.995), formation (0.99), fill (0.98), weld (0.99).
    grading = 2_343_750 / 0.99
    aging = grading / 0.995
    formation = aging / 0.99
    fill = formation / 0.98
    weld = fill / 0.99
    assert s["grading"] == pytest.approx(grading)
    assert s["aging"] == pytest.approx(aging)
    assert s["formation"] == pytest.approx(formation)
    assert s["fill"] == pytest.approx(fill)
    assert s["weld"] == pytest.approx(weld)
    assert weld == pytest.approx(2_477_174.2, rel=1e-7)  # product of yields 0.946138


def _branched(cy: list[float], ay: list[float], my: list[float]) -> Line:
    def step(sid: str, y: float, **kw: object) -> dict[str, object]:
        return {"id": sid, "kind": "discrete", "cycle_time": "1 s", "yield": y, **kw}

    steps = [step(f"c{i}", y, branch="cathode") for i, y in enumerate(cy)]
    steps += [step(f"a{i}", y, branch="anode") for i, y in enumerate(ay)]
    steps.append(step("m0", my[0], merge=["cathode", "anode"]))
    steps += [step(f"m{i}", y) for i, y in enumerate(my[1:], start=1)]
    return Line.model_validate(
        {
            "name": "branched",
            "cell": {
                "format": "prismatic",
                "chemistry": "LFP",
                "capacity_ah": 280,
                "nominal_voltage_v": 3.2,
            },
            "calendar": {"hours_per_year": 8000},
            "steps": steps,
        }
    )


def test_branch_cascade_by_hand() -> None:
    line = _branched([0.9, 0.8], [0.5], [0.95, 0.9])
    s = starts_cell_equivalents(line, 1000.0)
    assert s["m1"] == pytest.approx(1000 / 0.9)
    assert s["m0"] == pytest.approx(1000 / 0.9 / 0.95)
    assert s["c1"] == pytest.approx(s["m0"] / 0.8)
    assert s["c0"] == pytest.approx(s["m0"] / 0.8 / 0.9)
    assert s["a0"] == pytest.approx(s["m0"] / 0.5)


yields = st.lists(st.floats(min_value=0.5, max_value=1.0), min_size=1, max_size=5)


@settings(max_examples=60, deadline=None)
@given(cy=yields, ay=yields, my=yields, good=st.floats(min_value=1.0, max_value=1e8))
def test_cascade_multiplies_out(
    cy: list[float], ay: list[float], my: list[float], good: float
) -> None:
    """Starts of the first step of every chain times the chain's yields give what it feeds."""
    line = _branched(cy, ay, my)
    s = starts_cell_equivalents(line, good)
    assert s["m0"] * cumulative_yield(my) == pytest.approx(good, rel=1e-9)
    assert s["c0"] * cumulative_yield(cy) == pytest.approx(s["m0"], rel=1e-9)
    assert s["a0"] * cumulative_yield(ay) == pytest.approx(s["m0"], rel=1e-9)
    assert all(math.isfinite(v) and v >= good for v in s.values())
