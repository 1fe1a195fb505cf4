"""The maths of the synthetic event stream (pure: numbers in, numbers out, no I/O).

Rates come from the line (machines, cycle times, speeds, availability); yields from the line's
``yield`` per step; measured parameters and NG reasons from the sourced reference data
``src/gigaline/model/reference/process_parameters.yaml`` (every number with its source or
assumption; docs/mes.md). Means follow the line's cell design where it fixes them (coating
weight, electrode thickness, electrolyte mass, capacity).

The curves below are shapes only (assumption): ``heimes2018_pem`` gives formation's first
charge at 0.1-0.5 C to 20-80 % SOC and aging up to 3 weeks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from gigaline.model import Line, Step
from gigaline.model.reference.process_parameters import (
    ByElectrode,
    ProcessParameters,
    load_process_parameters,
)
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
    #: an NG unit's first parameter lies this many sd from the mean
    ng_offset_sd: float = 4.0


def _reference() -> ProcessParameters:
    return load_process_parameters()


#: NG reason codes per process (process_parameters.yaml).
NG_REASONS: dict[str, tuple[str, ...]] = {
    name: spec.ng_reasons for name, spec in _reference().processes.items()
}


def _base(line: Line, step: Step, quantity: str) -> float:
    """The value of a ``mean_of`` quantity for one step of a line (its cell design, else the
    file's fallbacks)."""
    ref = _reference().fallbacks
    cell = line.cell
    design = cell.design
    electrode = design and step.electrode and getattr(design, step.electrode)
    weight = (
        electrode.coating_mass_per_side_kg_m2 * 100.0
        if electrode
        else ref.coating_weight_mg_cm2.value
    )
    if quantity == "coating_weight_mg_cm2":
        return float(weight)
    if quantity == "electrode_thickness_um":
        density = ref.electrode_density_g_cm3.of(step.electrode != "anode")
        foil_um = electrode.foil.thickness_m * 1e6 if electrode else ref.foil_thickness_um.value
        return float(foil_um + 2.0 * weight * 10.0 / density)
    if quantity == "electrolyte_g":
        if design is not None and design.electrolyte_mass_kg is not None:
            return float(design.electrolyte_mass_kg * 1000.0)
        return ref.electrolyte_g_per_ah.value * cell.capacity_ah
    if quantity == "capacity_ah":
        return float(cell.capacity_ah)
    raise ValueError(f"unknown quantity {quantity!r}")  # pragma: no cover - a Literal


def process_params(line: Line, step: Step) -> list[Param]:
    """The parameters a station of ``step`` reports, with their distributions
    (src/gigaline/model/reference/process_parameters.yaml)."""
    ref = _reference()
    spec = ref.processes.get(step.process or "")
    if spec is None:
        return []
    cathode = step.electrode != "anode"
    out = []
    for name, prm in spec.parameters.items():
        base = _base(line, step, prm.mean_of) if prm.mean_of is not None else None
        if base is not None:
            mean = prm.mean_factor * base
        else:
            assert prm.mean is not None  # the model's validator: mean or mean_of
            mean = prm.mean.of(cathode) if isinstance(prm.mean, ByElectrode) else prm.mean
        if prm.sd_of_base is not None:
            assert base is not None
            sd = prm.sd_of_base * base
        else:
            assert prm.sd is not None
            sd = prm.sd.of(cathode) if isinstance(prm.sd, ByElectrode) else prm.sd
        out.append(Param(name, float(mean), float(sd), prm.digits, prm.label,
                         ref.ng_offset_sd.value))  # fmt: skip
    return out


def draw_params(
    params: list[Param], ng: NDArray[np.bool_], rng: np.random.Generator
) -> dict[str, list[float]]:
    """One value per unit for each parameter; NG units have the first one ``ng_offset_sd`` sd
    off."""
    n = ng.size
    out: dict[str, list[float]] = {}
    for i, prm in enumerate(params):
        values = rng.normal(prm.mean, prm.sd, n)
        if i == 0 and ng.any():
            values[ng] += prm.ng_offset_sd * prm.sd * rng.choice((-1.0, 1.0), int(ng.sum()))
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
