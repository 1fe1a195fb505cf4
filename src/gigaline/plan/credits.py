"""Production credits per kWh of good cells: the US 45X credit by country and year.

26 USC 45X pays 35 USD per kWh of battery cells and 10 USD per kWh of battery modules produced
in the United States and sold after 2022; for components sold after 2029 the amount falls to
75 % (2030), 50 % (2031), 25 % (2032) and nothing after. A battery cell must store at least
12 Wh (45X(c)(5)); its energy density (at least 100 Wh/L) is not checked, the line file having
no cell volume. The plan applies the scheme of the plant's country to its start year (a later
phase: its own year); schemes and amounts are in ``model/reference/incentives.yaml``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gigaline.model.reference import CreditScheme

__all__ = ["Credits", "credit_schedule", "production_credits"]


@dataclass(frozen=True)
class Credits:
    """The credits one kWh of good cells earns [USD/kWh], and why (or why not)."""

    scheme: str | None
    country: str | None
    year: int | None
    share: float
    cell_usd_per_kwh: float
    module_usd_per_kwh: float
    note: str

    @property
    def usd_per_kwh(self) -> float:
        """Cell and module credits together [USD/kWh]."""
        return self.cell_usd_per_kwh + self.module_usd_per_kwh


def _none(country: str | None, year: int | None, note: str) -> Credits:
    return Credits(None, country, year, 0.0, 0.0, 0.0, note)


def production_credits(
    country: str | None,
    year: int | None,
    modules: bool,
    cell_kwh: float,
    schemes: Sequence[CreditScheme],
) -> Credits:
    """Credits per kWh for a plant in ``country`` producing in ``year``; ``modules`` when it
    also builds its cells into modules."""
    if country is None:
        return _none(None, year, "no site.country in the line file: no production credit applied")
    scheme = next((s for s in schemes if country in s.countries), None)
    if scheme is None:
        return _none(country, year, f"no production credit is modelled for country {country}")
    if year is None:
        return _none(
            country, None, f"{scheme.id}: no site.start_year in the line file, so none applied"
        )
    if cell_kwh < scheme.min_cell_kwh:
        return _none(
            country,
            year,
            f"{scheme.id}: a cell of {cell_kwh * 1000:.1f} Wh is below the "
            f"{scheme.min_cell_kwh * 1000:.0f} Wh of a battery cell",
        )
    share = scheme.share(year)
    module = scheme.module_usd_per_kwh * share if modules else 0.0
    note = f"{scheme.name}, {share:.0%} of the full amount in {year}"
    if modules:
        note += "; module amount added (check the integrated-component rules)"
    return Credits(scheme.id, country, year, share, scheme.cell_usd_per_kwh * share, module, note)


def credit_schedule(
    country: str | None,
    start_year: int | None,
    modules: bool,
    cell_kwh: float,
    schemes: Sequence[CreditScheme],
) -> list[tuple[int, float]]:
    """``(year, USD/kWh)`` from the start year to the first year without credit (at most 15
    years); empty without a scheme, country or start year."""
    out: list[tuple[int, float]] = []
    if start_year is None:
        return out
    for year in range(start_year, start_year + 15):
        c = production_credits(country, year, modules, cell_kwh, schemes)
        if c.scheme is None:
            break
        out.append((year, c.usd_per_kwh))
        if c.usd_per_kwh == 0.0:
            break
    return out
