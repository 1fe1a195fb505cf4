"""The process vocabulary: what a step does, in the words of the cell production chain.

A step's ``process`` links it to reference data (energy, floor area, labour and capital of the
matching BatPaC cost centre). The chain follows Heimes et al., *Lithium-ion battery cell
production process*, PEM RWTH Aachen and VDMA, 3rd ed. 2018, ISBN 978-3-947920-03-7.
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = ["ELECTRODE_PROCESSES", "PROCESSES", "Electrode"]

Electrode = Literal["cathode", "anode"]

#: Every process a step may name, with a one-line description for docs and errors.
PROCESSES: Final[dict[str, str]] = {
    "mixing": "slurry mixing (batch or continuous)",
    "coating": "coating and drying of the electrode web",
    "solvent_recovery": "NMP recovery from the dryer exhaust",
    "calendering": "calendering (roll pressing) of the coated web",
    "slitting": "slitting the web into electrode coils",
    "electrode_drying": "vacuum drying of electrode coils",
    "notching": "notching / die-cutting electrode sheets",
    "stacking": "stacking sheets and separator into a cell stack",
    "winding": "winding a jelly roll",
    "hot_pressing": "hot pressing the stack",
    "xray_inspection": "X-ray inspection of the stack or cell",
    "tab_welding": "ultrasonic pre-welding and tab welding",
    "cover_welding": "welding the tabs to the cover plate",
    "insulation_wrapping": "wrapping the core in insulation film",
    "casing": "inserting the core into the can",
    "case_welding": "laser welding the can to the cover",
    "leak_test": "helium leak test",
    "cell_drying": "vacuum oven drying of the assembled cell",
    "electrolyte_filling": "electrolyte filling",
    "wetting": "wetting rest after filling",
    "formation": "formation cycling (first charge)",
    "degassing": "degassing and second filling",
    "seal_pin_welding": "seal-pin laser welding",
    "aging": "aging (high- and room-temperature rest with OCV tracking)",
    "grading": "capacity grading (charge/discharge test)",
    "eol_test": "end-of-line OCV/IR test",
    "sorting": "sorting cells into grades",
    "packing": "packing and shipping",
}

#: Processes that work on one electrode and therefore belong to an electrode branch.
ELECTRODE_PROCESSES: Final[frozenset[str]] = frozenset(
    {
        "mixing",
        "coating",
        "solvent_recovery",
        "calendering",
        "slitting",
        "electrode_drying",
        "notching",
    }
)
