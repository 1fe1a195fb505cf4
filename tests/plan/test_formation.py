"""Little's law for formation channels and aging positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from gigaline.model import load_line
from gigaline.plan import littles_law_positions, plan_line, positions_to_install
from gigaline.plan.errors import PlanInputError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_worked_example_of_the_domain_notes() -> None:
    # shared domain notes, validation case D (an EST used to test code, not as truth):
    # 3,059 starts/h x 24 h / 0.85 channel utilisation = about 86,400 channels;
    # 21 d of aging hold about 1.54 M cells.
    occupied = littles_law_positions(3059, 24)
    assert occupied == pytest.approx(73_416)
    assert positions_to_install(occupied, max_utilization=0.85) == pytest.approx(86_371.8, 1e-5)
    assert littles_law_positions(3059, 21 * 24) == pytest.approx(1_541_736)


def test_bad_inputs() -> None:
    with pytest.raises(PlanInputError):
        littles_law_positions(-1, 1)
    with pytest.raises(PlanInputError):
        positions_to_install(1, availability=0)


def test_five_step_channels_and_positions_by_hand() -> None:
    line = load_line(EXAMPLES / "five-step.yaml")
    p = plan_line(line).first
    # Formation starts = 2,343,750 / (0.99 x 0.995 x 0.99) per 8,000 h, 12 h on a channel,
    # rack availability 720/724 (MTBF 30 d, MTTR 4 h).
    formation_rate = 2_343_750 / (0.99 * 0.995 * 0.99) / 8000
    channels = formation_rate * 12 / (720 / 724)
    assert p.formation_channels == int(channels) + 1
    # Aging holds through the hours the calendar does not schedule (the twin does too): its
    # 2,343,750 / (0.99 x 0.995) cells a year arrive over 8,760 h and stay 336 h.
    aging_rate = 2_343_750 / (0.99 * 0.995) / 8760
    assert p.aging_positions == int(aging_rate * 14 * 24) + 1
    assert p.aging_positions == 91_262  # 271.61/h x 336 h; 99,932 when aging stopped at night


def test_reference_grading_channels_by_hand() -> None:
    # Reference line grading: 256-cell racks, 6 h, MTBF 30 d / MTTR 4 h, weekly 4 h
    # maintenance. 2,941.7 cells per scheduled hour arrive over (1 - 4/168) of it; Little's
    # law over the running hours and the racks' availability 720/724.
    line = load_line(EXAMPLES / "abf-lfp-20gwh.yaml")
    p = plan_line(line).first
    grading = next(s for s in p.steps if s.id == "grading")
    per_running_h = grading.rate_per_h / (1 - 4 / 168)
    assert p.grading_channels == int(per_running_h * 6 / (720 / 724)) + 1
    assert p.grading_channels == pytest.approx(18_182, abs=1)
