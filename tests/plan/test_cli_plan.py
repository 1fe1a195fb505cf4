"""``gigaline plan``: JSON object, tables, errors, and a light import path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gigaline.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
REF = str(EXAMPLES / "abf-lfp-20gwh.yaml")


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["plan", *args, "--json"]) == 0
    out = capsys.readouterr().out
    data: dict[str, object] = json.loads(out)  # exactly one object
    return data


def test_json_has_the_documented_keys(capsys: pytest.CaptureFixture[str]) -> None:
    d = _json(capsys, REF)
    for key in (
        "cells_per_year",
        "gwh_per_year",
        "steps",
        "bottleneck",
        "formation_channels",
        "aging_positions",
        "energy_kwh_per_kwh",
        "capex_usd",
        "cost_usd_per_kwh",
        "materials_t_per_year",
        "phases",
        "total",
    ):
        assert key in d, key
    steps = d["steps"]
    assert isinstance(steps, list)
    for s in steps:
        assert {"id", "rate_per_h", "machines_required", "machines_planned", "utilization"} <= set(
            s
        )
    assert d["bottleneck"] == "stacking"
    assert d["gwh_per_year"] == 20
    mats = d["materials_t_per_year"]
    assert isinstance(mats, dict)
    assert {
        "cathode_active_material",
        "anode_active_material",
        "electrolyte",
        "separator",
        "copper_foil",
        "aluminium_foil",
    } <= set(mats)


def test_target_override_scales_cells(capsys: pytest.CaptureFixture[str]) -> None:
    d10 = _json(capsys, REF, "--target-gwh", "10")
    d20 = _json(capsys, REF)
    assert d10["cells_per_year"] == pytest.approx(d20["cells_per_year"] / 2)  # type: ignore[operator]


def test_tables(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(EXAMPLES / "five-step.yaml")]) == 0
    out = capsys.readouterr().out
    assert "formation" in out and "Cost per kWh" in out and "bottleneck" in out


def test_no_target_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(EXAMPLES / "two-machine.yaml")]) == 2
    err = capsys.readouterr().err
    assert "no target" in err and "--target-gwh" in err and "Traceback" not in err
    assert main(["plan", str(EXAMPLES / "two-machine.yaml"), "--target-gwh", "0.01"]) == 0


def test_bad_target_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", REF, "--target-gwh", "-1"]) == 2
    assert "--target-gwh -1: must be > 0 GWh/yr and <= 1,000 GWh/yr" in capsys.readouterr().err


def test_plan_path_imports_nothing_heavy() -> None:
    code = (
        "import sys, io, contextlib\n"
        "from gigaline.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['plan', {REF!r}, '--json'])\n"
        "heavy = [m for m in ('numba', 'pandas', 'sqlalchemy', 'scipy', 'plotly') "
        "if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
