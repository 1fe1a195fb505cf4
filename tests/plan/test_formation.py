"""Little's law for formation channels and aging positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from gigaline.model import load_line
from gigaline.plan import littles_law_positions, plan_line, positions_to_install

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
    with pytest.raises(ValueError):
        littles_law_positions(-1, 1)
    with pytest.raises(ValueError):
        positions_to_install(1, availability=0)


def test_five_step_channels_and_positions_by_hand() -> None:
    line = load_line(EXAMPLES / "five-step.yaml")
    p = plan_line(line).first
    # Formation starts = 2,343,750 / (0.99 x 0.995 x 0.99) per 8,000 h, 12 h on a channel,
    # rack availability 720/724 (MTBF 30 d, MTTR 4 h).
    formation_rate = 2_343_750 / (0.99 * 0.995 * 0.99) / 8000
    channels = formation_rate * 12 / (720 / 724)
    assert p.formation_channels == int(channels) + 1
    aging_rate = 2_343_750 / (0.99 * 0.995) / 8000
    assert p.aging_positions == int(aging_rate * 14 * 24) + 1
