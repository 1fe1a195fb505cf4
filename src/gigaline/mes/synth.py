"""The maths of the synthetic event stream (pure: numbers in, numbers out, no I/O).

Rates come from the line (machines, cycle times, speeds, availability); yields from the line's
``yield`` per step; measured parameters from the process models below. Means follow the line's
cell design where it fixes them (coating weight, electrolyte mass, capacity); spreads and the
remaining means are sourced or labelled ``assumption`` with the reasoning.

Sources cited by key:
- heimes2018: Heimes et al., *Lithium-ion battery cell production process*, PEM RWTH Aachen /
  VDMA, 3rd ed. 2018, ISBN 978-3-947920-03-7 (stacking accuracy +/-200-300 um; formation first
  charge 0.1-0.5 C to 20-80 % SOC; aging up to 3 weeks; self-discharge < 5 mV/week).
- eve_lf105: EVE LF105 LFP prismatic cell datasheet (AC internal resistance 0.20 +/- 0.05 mOhm).
- inficon: helium leak test limit 1e-6 mbar l/s for sealed cells (INFICON application note).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from gigaline.model import Line, Step
from gigaline.plan.capacity import step_capacity_cells_per_h

__all__ = [
    "NG_REASONS",
    "Param",
    "aging_ocv_curve",
    "cell_rate_per_s",
    "draw_params",
    "formation_curve",
    "process_params",
    "step_cells_per_s",
]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Param:
    """A measured process parameter: normal with ``mean`` and ``sd``, kept to ``digits``."""

    name: str
    mean: float
    sd: float
    digits: int
    source: str


#: NG reason codes per process (assumption: the usual defect classes of each step).
NG_REASONS: dict[str, tuple[str, ...]] = {
    "mixing": ("viscosity_out_of_spec", "agglomerates", "solid_content_out_of_spec"),
    "coating": ("coating_weight_out_of_spec", "pinholes", "edge_bead", "streaks"),
    "calendering": ("thickness_out_of_spec", "wrinkles", "cracks"),
    "slitting": ("burr", "edge_wave"),
    "electrode_drying": ("residual_moisture",),
    "notching": ("burr", "tab_fold", "dimension"),
    "stacking": ("misalignment", "sheet_count", "separator_fold"),
    "hot_pressing": ("thickness_out_of_spec",),
    "xray_inspection": ("overhang_out_of_spec", "folded_corner", "foreign_particle"),
    "tab_welding": ("weak_weld", "spatter"),
    "cover_welding": ("weak_weld", "spatter"),
    "insulation_wrapping": ("film_misplaced",),
    "casing": ("insertion_damage",),
    "case_welding": ("porosity", "crack", "spatter"),
    "leak_test": ("leak",),
    "cell_drying": ("residual_moisture",),
    "electrolyte_filling": ("fill_mass_out_of_spec", "spill"),
    "wetting": ("incomplete_wetting",),
    "formation": ("low_capacity", "over_temperature", "contact_fault"),
    "degassing": ("gas_residue",),
    "seal_pin_welding": ("weak_weld", "leak"),
    "aging": ("high_self_discharge",),
    "grading": ("low_capacity", "high_resistance"),
    "eol_test": ("ocv_out_of_spec", "high_resistance"),
    "sorting": ("label_unreadable",),
    "packing": ("damaged",),
}

_A = "assumption"


def process_params(line: Line, step: Step) -> list[Param]:
    """The parameters a station of ``step`` reports, with their distributions."""
    design = line.cell.design
    electrode = design and step.electrode and getattr(design, step.electrode)
    cathode = step.electrode != "anode"
    p = step.process
    if p == "mixing":
        solids = 58.0 if cathode else 47.0
        return [
            Param("solid_content_pct", solids, 0.4, 2,
                  f"{_A}: 55-60 wt% NMP LFP slurry, 45-50 wt% water graphite slurry"),
            Param("viscosity_mpa_s", 6000.0 if cathode else 3000.0, 350.0, 0,
                  f"{_A}: coatable slurries of a few Pa s"),
            Param("temperature_c", 25.0, 1.0, 1, f"{_A}: jacket-cooled mixer"),
        ]  # fmt: skip
    if p == "coating":
        weight = electrode.coating_mass_per_side_kg_m2 * 100.0 if electrode else 20.0
        return [
            Param("coating_weight_mg_cm2", weight, 0.01 * weight, 2,
                  f"{_A}: mean from the cell design; 1 % sd keeps a +/-3 % spec at Cpk 1"),
            Param("dryer_temperature_c", 120.0 if cathode else 90.0, 2.0, 1,
                  f"{_A}: NMP needs a hotter dryer than water"),
        ]  # fmt: skip
    if p == "calendering":
        density = 2.4 if cathode else 1.6  # g/cm3, assumption: LFP / graphite electrodes
        foil_um = electrode.foil.thickness_m * 1e6 if electrode else 12.0
        weight = electrode.coating_mass_per_side_kg_m2 * 100.0 if electrode else 20.0
        thickness = foil_um + 2.0 * weight * 10.0 / density
        return [
            Param("thickness_um", thickness, 1.5, 1,
                  f"{_A}: foil + 2 x coat weight / density ({density} g/cm3); calender "
                  "accuracy about +/-2 um"),
            Param("line_load_kn_per_cm", 20.0, 0.5, 2, f"{_A}"),
        ]  # fmt: skip
    table: dict[str, list[Param]] = {
        "slitting": [Param("burr_um", 4.0, 1.2, 1, f"{_A}: burr < 10 um spec")],
        "electrode_drying": [Param("moisture_ppm", 200.0, 40.0, 0, f"{_A}: < 300 ppm spec")],
        "notching": [
            Param("burr_um", 5.0, 1.5, 1, f"{_A}: laser cut burr"),
            Param("tab_position_mm", 0.0, 0.1, 3, f"{_A}"),
        ],
        "stacking": [
            Param("alignment_mm", 0.0, 0.08, 3, "heimes2018: +/-0.2-0.3 mm taken as 3 sd"),
        ],
        "hot_pressing": [
            Param("pressure_mpa", 1.0, 0.02, 3, f"{_A}"),
            Param("temperature_c", 85.0, 1.0, 1, f"{_A}: below the separator's limit"),
        ],
        "xray_inspection": [Param("overhang_mm", 1.5, 0.1, 2, f"{_A}: 1.5 mm anode overhang")],
        "tab_welding": [Param("pull_force_n", 60.0, 5.0, 1, f"{_A}")],
        "cover_welding": [Param("weld_power_w", 2000.0, 30.0, 0, f"{_A}")],
        "casing": [Param("insertion_force_n", 150.0, 15.0, 0, f"{_A}")],
        "case_welding": [
            Param("weld_power_w", 3000.0, 40.0, 0, f"{_A}"),
            Param("seam_width_mm", 1.2, 0.05, 3, f"{_A}"),
        ],
        "leak_test": [
            Param(
                "leak_rate_mbar_l_s",
                2e-7,
                5e-8,
                9,
                f"inficon: 1e-6 mbar l/s limit; {_A}: good cells at a fifth of it",
            ),
        ],
        "cell_drying": [Param("moisture_ppm", 150.0, 30.0, 0, f"{_A}")],
        "electrolyte_filling": [
            Param(
                "fill_mass_g",
                _electrolyte_g(line),
                0.005 * _electrolyte_g(line),
                2,
                f"{_A}: mean from the cell design, 0.5 % sd dosing",
            ),
        ],
        "formation": [
            Param(
                "charge_capacity_ah",
                0.8 * line.cell.capacity_ah,
                0.01 * line.cell.capacity_ah,
                2,
                "heimes2018: first charge to 80 % SOC",
            ),
            Param("temperature_c", 45.0, 1.0, 1, f"{_A}: heated negative-pressure racks"),
        ],
        "seal_pin_welding": [Param("weld_power_w", 800.0, 15.0, 0, f"{_A}")],
        "aging": [
            Param(
                "k_mv_per_day",
                0.3,
                0.08,
                3,
                f"heimes2018: < 5 mV/week (0.71 mV/day) limit; {_A}: good cells near 0.3",
            ),
        ],
        "grading": [
            Param(
                "capacity_ah",
                1.015 * line.cell.capacity_ah,
                0.008 * line.cell.capacity_ah,
                2,
                f"{_A}: cells designed 1.5 % above rating, 0.8 % sd",
            ),
            Param("dcir_mohm", 0.20, 0.02, 4, "eve_lf105: 0.20 +/- 0.05 mOhm"),
        ],
        "eol_test": [
            Param(
                "ocv_v",
                3.29,
                0.004,
                4,
                f"{_A}: LFP shipped at 20-30 % SOC (heimes2018: 5-20 % SOC shipping)",
            ),
            Param("acir_mohm", 0.18, 0.015, 4, "eve_lf105"),
        ],
    }
    return table.get(p or "", [])


def _electrolyte_g(line: Line) -> float:
    design = line.cell.design
    if design is not None and design.electrolyte_mass_kg is not None:
        return design.electrolyte_mass_kg * 1000.0
    return 1.3 * line.cell.capacity_ah  # assumption: ~1.3 g/Ah for LFP prismatic cells


def draw_params(
    params: list[Param], ng: NDArray[np.bool_], rng: np.random.Generator
) -> dict[str, list[float]]:
    """One value per unit for each parameter; NG units have the first one 4 sd off."""
    n = ng.size
    out: dict[str, list[float]] = {}
    for i, prm in enumerate(params):
        values = rng.normal(prm.mean, prm.sd, n)
        if i == 0 and ng.any():
            values[ng] += 4.0 * prm.sd * rng.choice((-1.0, 1.0), int(ng.sum()))
        if prm.mean > 0:
            values = np.abs(values)
        out[prm.name] = np.round(values, prm.digits).tolist()
    return out


def step_cells_per_s(line: Line, step: Step) -> float:
    """Cells per scheduled second one step can pass (gigaline.plan.capacity's formula)."""
    return step_capacity_cells_per_h(line, step) / 3600.0


def cell_rate_per_s(line: Line) -> float:
    """Cell starts per second of the line: its slowest step (no blocking, no starving)."""
    return min(step_cells_per_s(line, s) for s in line.steps)


def formation_curve(
    capacity_ah: float, c_rate: float, soc_end: float, dt_s: float, k: float
) -> dict[str, list[float]]:
    """First-charge curve of an LFP cell at constant current (assumption: shape only).

    Constant current ``c_rate`` x capacity [A] from 0 to ``soc_end``; voltage rises from 2.9 V
    to the ~3.3-3.4 V LFP plateau: v = 2.9 + 0.45 (1 - exp(-12 soc)) + 0.08 soc, plus a
    cell-specific offset ``k`` [V]. ``heimes2018``: 0.1-0.5 C to 20-80 % SOC.
    """
    duration_s = soc_end / c_rate * 3600.0
    n = int(duration_s // dt_s) + 1
    soc = np.linspace(0.0, soc_end, n)
    voltage = 2.9 + 0.45 * (1.0 - np.exp(-12.0 * soc)) + 0.08 * soc + k
    current = np.full(n, c_rate * capacity_ah)
    return {"voltage_v": np.round(voltage, 4).tolist(), "current_a": current.tolist()}


def aging_ocv_curve(ocv0_v: float, k_mv_per_day: float, days: int) -> dict[str, list[float]]:
    """Daily OCV readings of a resting cell losing ``k_mv_per_day`` (linear self-discharge)."""
    t = np.arange(days + 1, dtype=np.float64)
    return {"ocv_v": np.round(ocv0_v - k_mv_per_day * 1e-3 * t, 5).tolist()}
