"""Helpers for the simulation tests: small lines built from YAML text, and the test lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from gigaline.model import Line, parse_line

LINES = Path(__file__).parent / "lines"

CELL = "cell: {format: prismatic, chemistry: LFP, capacity_ah: 100, nominal_voltage_v: 3.2}"


def line_text(steps_yaml: str, calendar: str = "{hours_per_year: 8760}") -> str:
    """A line file of the given steps (YAML flow mappings, each starting with ``{id:``)."""
    flat = " ".join(part.strip() for part in steps_yaml.strip().splitlines())
    items = ["{id: " + item.strip() for item in flat.split("{id:") if item.strip()]
    body = "\n".join(f"  - {item}" for item in items)
    return f"name: test line\n{CELL}\ncalendar: {calendar}\nsteps:\n{body}\n"


def make_line(steps_yaml: str, calendar: str = "{hours_per_year: 8760}") -> Line:
    """A line of the given steps (YAML flow mappings, each starting with ``{id:``), 24/7."""
    return parse_line(line_text(steps_yaml, calendar))


@pytest.fixture
def merge_line() -> Line:
    from gigaline.model import load_line

    return load_line(LINES / "merge-line.yaml")
