"""benchmarks/bench_live_line.py's verdict: it fails when the MES did not commit what the line
published (the benchmark itself runs on request, never in the suite)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def shortfalls() -> Any:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from bench_live_line import shortfalls
    finally:
        sys.path.remove(str(BENCHMARKS))
    return shortfalls


def _run(**changes: Any) -> dict[str, Any]:
    return {"line_json_events": 113_421, "line_unsent": 0, "mes_json_events_committed": 113_421,
            "mes_caught_up": True, **changes}  # fmt: skip


def test_everything_committed_passes(shortfalls: Any) -> None:
    assert shortfalls(_run()) == []


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"line_unsent": 65_722}, "65,722 events were still in the line's outbox"),
        ({"mes_json_events_committed": 47_699}, "committed 47,699 of the 113,421 JSON events"),
        ({"mes_caught_up": False}, "never held the newest time"),
        ({"line_json_events": None}, "did not say how many JSON events"),
    ],
)
def test_what_the_mes_lacks_is_a_failure(
    shortfalls: Any, changes: dict[str, Any], said: str
) -> None:
    problems = shortfalls(_run(**changes))
    assert len(problems) == 1 and said in problems[0]
