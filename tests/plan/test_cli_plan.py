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
        "grading_channels",
        "aging_positions",
        "staff_fte",
        "indirect_staff_fte",
        "energy_kwh_per_kwh",
        "energy_by_centre_kwh_per_kwh",
        "energy_measured",
        "dry_room",
        "capex_usd",
        "capex_breakdown_usd",
        "capex_batpac_usd",
        "cost_usd_per_kwh",
        "credits_usd_per_kwh",
        "cost_usd_per_kwh_net",
        "feasible",
        "warnings",
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
    assert d["feasible"] is True and d["warnings"] == []
    energy = d["energy_by_centre_kwh_per_kwh"]
    assert isinstance(energy, dict)
    assert set(energy) == {"coating_drying", "calendering", "dry_room", "cell_assembly", "other"}
    assert energy["dry_room"]["method"] == "physics"
    assert sum(e["total_kwh_per_kwh"] for e in energy.values()) == pytest.approx(
        d["energy_kwh_per_kwh"]
    )
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
    assert out.startswith("Plan for 0.75 GWh/yr (the line file's target)")
    for what in ("grading channels", "indirect staff", "gross", "net", "BatPaC", "measured"):
        assert what in out, what
    assert "…" not in out  # no number (or name) cut short


def test_a_larger_target_plans_its_machines(capsys: pytest.CaptureFixture[str]) -> None:
    d = _json(capsys, REF, "--target-gwh", "40")
    assert d["feasible"] is True and d["warnings"] == []
    steps = d["steps"]
    assert isinstance(steps, list)
    assert all(s["machines_planned"] >= s["machines_required"] for s in steps)
    assert main(["plan", REF, "--target-gwh", "40"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Plan for 40 GWh/yr (--target-gwh; the line file's target is 20 GWh/yr)")


def test_keep_machines_warns(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", REF, "--target-gwh", "40", "--keep-machines", "--json"]) == 0
    captured = capsys.readouterr()
    d = json.loads(captured.out)
    assert d["feasible"] is False and len(d["warnings"]) == 28
    assert "step 'stacking': 76 machines planned, 140 required for 40 GWh/yr" in captured.err
    assert main(["plan", REF, "--target-gwh", "40", "--keep-machines"]) == 0
    out = capsys.readouterr().out
    assert "warning: step 'stacking': 76 machines planned, 140 required" in out
    assert "no (28 warnings)" in out


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
