"""Reference data shipped with gigaline: sources, the BatPaC v5 baseline plant, energy use,
economics, materials and published benchmarks.

The data live in YAML files next to this module, each number with a ``source`` (an id of
``sources.yaml``) or an ``assumption`` that gives its reasoning; a mapping's label covers every
number inside it. :func:`load_reference` reads them once into frozen dataclasses that the
planner uses. ``python -m gigaline.model.reference`` prints ``docs/sources.md``.

Files:

- ``sources.yaml``: the registry (citation, DOI or URL, what it supports, strength);
- ``batpac_v5_baseline.yaml``: baseline volumes R0 and per cost centre capital C0, direct
  labour, land and exponents p for ``C = C0 (R / R0)^p`` (Knehr et al., BatPaC v5.0, 2022);
- ``energy.yaml``: kWh per kWh of cell by chemistry (Degen et al. 2023) and its split over
  energy centres (Degen & Schütte 2022);
- ``energy.yaml`` also holds the parameters of the dryer and dry-room physics;
- ``capex.yaml``: unit prices per machine by process, installation and utilities factors,
  building and dry-room cost per m2;
- ``incentives.yaml``: production credits by country and year (US 45X);
- ``economics.yaml``: labour rate, energy prices, depreciation lives, BatPaC overhead rates;
- ``materials.yaml``: specific capacities, densities, prices, slurry solids, NMP recovery;
- ``benchmarks.yaml``: published figures a plan is compared with.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

import yaml

from gigaline.model.reference.parameters import (
    CapexReference,
    CreditScheme,
    DryerParameters,
    DryRoomParameters,
    SolventParameters,
    _value,
    capex_reference,
    credit_schemes,
    dry_room_parameters,
    dryer_parameters,
)

__all__ = [
    "FILES",
    "Baseline",
    "CapexReference",
    "CostCentre",
    "CreditScheme",
    "DryRoomParameters",
    "DryerParameters",
    "Economics",
    "EnergyCentre",
    "EnergyReference",
    "Reference",
    "SolventParameters",
    "Source",
    "iter_numbers",
    "load_reference",
    "raw",
    "sources_markdown",
]

#: The reference data files, in the order docs list them.
FILES: Final[tuple[str, ...]] = (
    "sources.yaml",
    "batpac_v5_baseline.yaml",
    "energy.yaml",
    "capex.yaml",
    "incentives.yaml",
    "economics.yaml",
    "materials.yaml",
    "benchmarks.yaml",
    "process_parameters.yaml",
)


@dataclass(frozen=True)
class Source:
    """One entry of the sources registry."""

    id: str
    citation: str
    supports: str
    strength: str
    year: int | None
    doi: str | None = None
    url: str | None = None
    via: str | None = None

    @property
    def link(self) -> str | None:
        """``https://doi.org/<doi>`` when there is a DOI, else the URL."""
        return f"https://doi.org/{self.doi}" if self.doi else self.url


@dataclass(frozen=True)
class CostCentre:
    """One BatPaC cost centre of the baseline plant.

    ``driver`` names the baseline volume that sizes it (``Baseline.volumes``; ``dry_room`` is
    the larger of the cell and electrode-area ratios). ``processes`` (and ``electrode``, when
    set) say which line steps it covers. Capital [USD], direct labour [h/yr], land [m^2] at the
    baseline volume, each scaled with its exponent ``p_*``.
    """

    id: str
    name: str
    driver: str
    processes: tuple[str, ...]
    electrode: str | None
    capital_usd: float
    labour_h_per_year: float
    land_m2: float
    p_capital: float
    p_labour: float
    p_land: float
    label: str


@dataclass(frozen=True)
class Baseline:
    """The BatPaC v5 baseline plant (50 GWh/yr) that capex, labour and area scale from."""

    name: str
    source: str
    operating_hours_per_year: float
    volumes: Mapping[str, float]
    cost_centres: tuple[CostCentre, ...]

    def centre(self, centre_id: str) -> CostCentre:
        """The cost centre with this id."""
        for c in self.cost_centres:
            if c.id == centre_id:
                return c
        raise KeyError(centre_id)


@dataclass(frozen=True)
class EnergyCentre:
    """Electricity and heat of one energy centre [kWh per kg of good cell]."""

    id: str
    name: str
    processes: tuple[str, ...]
    electricity_kwh_per_kg: float
    heat_kwh_per_kg: float


@dataclass(frozen=True)
class EnergyReference:
    """Energy use of cell production: totals per chemistry (Degen et al. 2023) and the split
    over energy centres (Degen & Schütte 2022, per kg of cell)."""

    reference_cell_kwh_per_kg: float
    reference_total_kwh_per_kwh: float
    chemistry_total_kwh_per_kwh: Mapping[str, float]
    centres: tuple[EnergyCentre, ...]

    def total_kwh_per_kwh(self, chemistry: str) -> float:
        """kWh per kWh of cell for ``chemistry`` (case-insensitive), else the default."""
        table = {k.lower(): v for k, v in self.chemistry_total_kwh_per_kwh.items()}
        return table.get(chemistry.lower(), table["default"])


@dataclass(frozen=True)
class Economics:
    """Prices, rates and BatPaC overhead rates for the cost per kWh (USD)."""

    price_year: int
    labour_usd_per_h: float
    indirect_staff_per_direct: float
    hours_per_fte_per_year: float
    electricity_usd_per_kwh: float
    heat_usd_per_kwh: float
    equipment_life_years: float
    building_life_years: float
    variable_overhead_of_labour: float
    variable_overhead_of_depreciation: float
    gsa_of_labour_and_variable_overhead: float
    gsa_of_depreciation: float
    rnd_of_depreciation: float


@dataclass(frozen=True)
class Reference:
    """All reference data, as the planner uses them."""

    sources: Mapping[str, Source]
    baseline: Baseline
    energy: EnergyReference
    economics: Economics
    properties: Mapping[str, Mapping[str, float]]
    prices: Mapping[str, Mapping[str, float]]
    material_price_year: int
    nmp_per_kg_cathode_active: float
    slurry_solids_fraction: Mapping[str, float]
    default_solvent: Mapping[str, str]
    nmp_recovery: float
    dryer: DryerParameters
    dry_room: DryRoomParameters
    energy_difference_reasons: Mapping[str, str]
    capex: CapexReference
    credit_schemes: tuple[CreditScheme, ...]
    benchmarks: Mapping[str, Any]


def raw(name: str) -> Any:
    """The parsed content of one reference file (a name from :data:`FILES`)."""
    return _raw(name)


@functools.cache
def _raw(name: str) -> Any:
    if name not in FILES:
        raise KeyError(f"no reference file {name!r}; files are {', '.join(FILES)}")
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)


def _label(entry: Mapping[str, Any]) -> str:
    if "source" in entry:
        return str(entry["source"])
    return "assumption: " + str(entry["assumption"])


def _centre(d: Mapping[str, Any]) -> CostCentre:
    p = d["p"]
    return CostCentre(
        id=d["id"],
        name=d["name"],
        driver=d["driver"],
        processes=tuple(d["processes"]),
        electrode=d.get("electrode"),
        capital_usd=float(d["capital_usd"]),
        labour_h_per_year=float(d["labour_h_per_year"]),
        land_m2=float(d["land_m2"]),
        p_capital=float(p["capital"]),
        p_labour=float(p["labour"]),
        p_land=float(p["land"]),
        label=_label(d),
    )


@functools.cache
def load_reference() -> Reference:
    """Read every reference file once (cached) into a :class:`Reference`."""
    src = _raw("sources.yaml")["sources"]
    sources = {
        k: Source(
            id=k,
            citation=" ".join(str(v["citation"]).split()),
            supports=" ".join(str(v["supports"]).split()),
            strength=v["strength"],
            year=v["year"] if isinstance(v["year"], int) else None,
            doi=v.get("doi"),
            url=v.get("url"),
            via=v.get("via"),
        )
        for k, v in src.items()
    }
    b = _raw("batpac_v5_baseline.yaml")
    baseline = Baseline(
        name=b["name"],
        source=b["source"],
        operating_hours_per_year=_value(b["operating_hours_per_year"]),
        volumes={k: _value(v) for k, v in b["volumes"].items()},
        cost_centres=tuple(_centre(c) for c in b["cost_centres"]),
    )
    e = _raw("energy.yaml")
    energy = EnergyReference(
        reference_cell_kwh_per_kg=_value(e["reference_cell_kwh_per_kg"]),
        reference_total_kwh_per_kwh=_value(e["reference_total_kwh_per_kwh"]),
        chemistry_total_kwh_per_kwh={
            k: _value(v) for k, v in e["chemistry_total_kwh_per_kwh"].items()
        },
        centres=tuple(
            EnergyCentre(
                id=c["id"],
                name=c["name"],
                processes=tuple(c["processes"]),
                electricity_kwh_per_kg=float(c["electricity_kwh_per_kg"]),
                heat_kwh_per_kg=float(c["heat_kwh_per_kg"]),
            )
            for c in e["centres"]
        ),
    )
    econ = {k: _value(v) for k, v in _raw("economics.yaml").items()}
    year = int(econ.pop("price_year"))
    economics = Economics(price_year=year, **econ)
    m = _raw("materials.yaml")
    properties = {
        k: {pk: float(pv) for pk, pv in v.items() if _is_number(pv)}
        for k, v in m["properties"].items()
    }
    prices = {
        k: {pk: float(pv) for pk, pv in v.items() if _is_number(pv)}
        for k, v in m["prices_usd"].items()
    }
    return Reference(
        sources=sources,
        baseline=baseline,
        energy=energy,
        economics=economics,
        properties=properties,
        prices=prices,
        material_price_year=int(_value(m["price_year"])),
        nmp_per_kg_cathode_active=_value(m["nmp_per_kg_cathode_active"]),
        slurry_solids_fraction={k: _value(v) for k, v in m["slurry_solids_fraction"].items()},
        default_solvent={
            k: str(v) for k, v in m["default_solvent"].items() if k in ("cathode", "anode")
        },
        nmp_recovery=_value(m["nmp_recovery"]),
        dryer=dryer_parameters(e),
        dry_room=dry_room_parameters(e),
        energy_difference_reasons={
            k: " ".join(str(v).split())
            for k, v in e["difference_reasons"].items()
            if k not in ("source", "note")
        },
        capex=capex_reference(_raw("capex.yaml")),
        credit_schemes=credit_schemes(_raw("incentives.yaml")),
        benchmarks=_raw("benchmarks.yaml"),
    )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def iter_numbers(
    node: Any, path: tuple[str | int, ...] = (), label: str | None = None
) -> Iterator[tuple[tuple[str | int, ...], float, str | None]]:
    """Every number in a parsed reference file, with its path and the label covering it.

    The label is the nearest enclosing ``source`` (``"<id>"``) or ``assumption``
    (``"assumption: ..."``); ``None`` when no enclosing mapping carries one.
    """
    if isinstance(node, Mapping):
        if "source" in node:
            label = str(node["source"])
        elif "assumption" in node:
            label = "assumption: " + str(node["assumption"])
        for k, v in node.items():
            yield from iter_numbers(v, (*path, k), label)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from iter_numbers(v, (*path, i), label)
    elif _is_number(node):
        yield path, float(node), label


def sources_markdown() -> str:
    """``docs/sources.md``: the registry as a Markdown table, generated from sources.yaml."""
    ref = load_reference()
    lines = [
        "# Sources of gigaline's reference data",
        "",
        "Generated from `src/gigaline/model/reference/sources.yaml` by",
        "`python -m gigaline.model.reference > docs/sources.md`; do not edit by hand.",
        "",
        "Every number in the reference data (`src/gigaline/model/reference/*.yaml`) and in",
        "`examples/abf-lfp-20gwh.yaml` names one of these ids or carries an explicit",
        "`assumption: <reasoning>`. Strength: *primary* (peer-reviewed paper, official model or",
        "report, datasheet), *secondary* (trade press, a public port of a primary model),",
        "*weak* (vendor blog or anonymous page: a range check only). Year: of publication, or of",
        "the figures where a port carries older data; *undated* for a page that gives none.",
        "",
        "| id | source | year | supports | strength |",
        "| --- | --- | --- | --- | --- |",
    ]
    for s in ref.sources.values():
        link = s.link
        cite = s.citation + (f" <{link}>" if link else "")
        if s.via:
            cite += f" (read via {' '.join(s.via.split())})"
        year = str(s.year) if s.year is not None else "undated"
        lines.append(f"| `{s.id}` | {_md(cite)} | {year} | {_md(s.supports)} | {s.strength} |")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")
