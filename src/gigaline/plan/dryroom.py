"""Energy of a dry room's air treatment from its size, dew point and air flows.

The structure follows the Argonne dry-room process model (Ahmed, Nelson, Dees, *J. Power
Sources* 326, 490, 2016): outdoor make-up air is quenched on a cooling coil, mixed with return
air and dried on a desiccant wheel whose regeneration air is heated; fans move the air and a
chiller removes the heat. Steady state, one year, parameters in ``energy.yaml`` (``dry_room``).

Moisture balance [kg water/s]. Make-up air :math:`\\dot m_{mu}` (``makeup_air_changes_per_h``
x volume x air density) leaves the coil at humidity ratio :math:`W_c` (its dew point) and the
room at :math:`W_r` (the room's dew point); people and other sources add :math:`G`. The wheel
must remove

.. math:: M = \\dot m_{mu} (W_c - W_r) + G

and the air it dries leaves it at :math:`W_o` (``wheel_outlet_dew_point_c``). Taking all
make-up air and as much return air as needed, the process flow through the wheel is

.. math:: \\dot m_w = \\max\\left(\\dot m_{mu},\\; \\frac{G}{W_r - W_o}\\right)

(balance of the mixed stream: :math:`\\dot m_w (W_{in} - W_o) = M`). Regeneration air
:math:`\\dot m_{rg} = r \\dot m_w` (face ratio :math:`r`) is heated from outdoor temperature to
:math:`T_{rg}`, and picks up :math:`M / \\dot m_{rg}` of water per kg (reported, to check):

.. math:: Q_{rg} = \\dot m_{rg} c_p (T_{rg} - T_o) (1 - \\eta_{hr})   \\quad\\text{[heat]}

Electricity: supply fan :math:`\\dot V_s \\Delta p_s / \\eta_f` (``supply_air_changes_per_h``),
regeneration fan likewise, and a chiller (COP) for the coil
:math:`\\dot m_{mu} \\max(0, h_o - h_c)`, the heat of adsorption :math:`M h_{ads}` released into
the process air and the fan heat. The room runs all year (it must stay dry over stops); the
people's moisture is their labour hours x ``moisture_per_person_kg_per_h`` spread over the year.
Machine heat inside the room and reheating are left out (the machines' energy is counted in
their own centres).
"""

from __future__ import annotations

from dataclasses import dataclass

from gigaline.model.reference import DryRoomParameters
from gigaline.plan.capacity import CALENDAR_H_PER_YEAR
from gigaline.plan.errors import PlanInputError
from gigaline.plan.psychrometrics import enthalpy_kj_per_kg, humidity_ratio_at_dew_point

__all__ = ["AIR_DENSITY_KG_PER_M3", "DryRoomEnergy", "dry_room_energy"]

#: Density of air at about 20 C and 101.3 kPa [kg/m^3] (ASHRAE Fundamentals 2017, ch. 1).
AIR_DENSITY_KG_PER_M3 = 1.2
_AIR_CP = 1.006  # kJ/(kg K), ASHRAE Fundamentals 2017


@dataclass(frozen=True)
class DryRoomEnergy:
    """Air flows, moisture and power of a dry room; energies per year [kWh/yr]."""

    volume_m3: float
    people: float
    makeup_kg_per_s: float
    wheel_kg_per_s: float
    regeneration_kg_per_s: float
    moisture_removed_kg_per_h: float
    regeneration_pickup_kg_per_kg: float
    regeneration_kw: float
    fans_kw: float
    chiller_kw: float
    electricity_kwh: float
    heat_kwh: float

    @property
    def power_kw(self) -> float:
        """Average power drawn [kW]: regeneration heat + fans + chiller electricity."""
        return self.regeneration_kw + self.fans_kw + self.chiller_kw


def dry_room_energy(
    floor_m2: float, labour_h_per_year: float, p: DryRoomParameters
) -> DryRoomEnergy:
    """Energy of a dry room of ``floor_m2`` [m^2] staffed ``labour_h_per_year`` [h/yr]."""
    if floor_m2 <= 0 or labour_h_per_year < 0:
        raise PlanInputError(
            f"a dry room needs a positive floor area and labour hours >= 0 "
            f"(got {floor_m2!r} m2, {labour_h_per_year!r} h/yr)"
        )
    volume = floor_m2 * p.ceiling_height_m
    w_room = humidity_ratio_at_dew_point(p.dew_point_c)
    w_out = humidity_ratio_at_dew_point(p.wheel_outlet_dew_point_c)
    w_coil = humidity_ratio_at_dew_point(p.coil_dew_point_c)
    w_outdoor = humidity_ratio_at_dew_point(p.outdoor_dew_point_c)
    if not w_out < w_room:
        raise PlanInputError("the wheel outlet must be drier than the room (dew points)")

    people = labour_h_per_year / CALENDAR_H_PER_YEAR
    g_kg_s = people * p.moisture_per_person_kg_per_h + floor_m2 * p.other_moisture_kg_per_h_per_m2
    g_kg_s /= 3600.0
    makeup = AIR_DENSITY_KG_PER_M3 * volume * p.makeup_air_changes_per_h / 3600.0
    moisture = makeup * max(0.0, min(w_coil, w_outdoor) - w_room) + g_kg_s
    wheel = max(makeup, g_kg_s / (w_room - w_out))
    regen = p.regeneration_flow_ratio * wheel
    regen_kw = (
        regen
        * _AIR_CP
        * max(0.0, p.regeneration_temperature_c - p.outdoor_temperature_c)
        * (1.0 - p.regeneration_heat_recovery)
    )

    supply_m3_s = volume * p.supply_air_changes_per_h / 3600.0
    regen_m3_s = regen / AIR_DENSITY_KG_PER_M3
    fans_kw = (
        supply_m3_s * p.supply_fan_pressure_pa + regen_m3_s * p.regeneration_fan_pressure_pa
    ) / (p.fan_efficiency * 1000.0)
    h_out = enthalpy_kj_per_kg(p.outdoor_temperature_c, w_outdoor)
    t_coil = max(p.coil_dew_point_c, 0.0)
    h_coil = enthalpy_kj_per_kg(t_coil, min(w_coil, w_outdoor))
    cooling_kw = makeup * max(0.0, h_out - h_coil) + moisture * p.heat_of_adsorption_kj_per_kg
    cooling_kw += fans_kw
    chiller_kw = cooling_kw / p.chiller_cop

    hours = CALENDAR_H_PER_YEAR
    return DryRoomEnergy(
        volume_m3=volume,
        people=people,
        makeup_kg_per_s=makeup,
        wheel_kg_per_s=wheel,
        regeneration_kg_per_s=regen,
        moisture_removed_kg_per_h=moisture * 3600.0,
        regeneration_pickup_kg_per_kg=moisture / regen,
        regeneration_kw=regen_kw,
        fans_kw=fans_kw,
        chiller_kw=chiller_kw,
        electricity_kwh=(fans_kw + chiller_kw) * hours,
        heat_kwh=regen_kw * hours,
    )
