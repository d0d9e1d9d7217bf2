"""The yearly budget of a quartier management by the standards text ("5 Schwerpunkte des
Quartiermanagements", section "Rahmenbedingungen"): each rule with its quoted source.

* staff: at least 2 full-time posts (VbE), paid by TVöD S11, about 45,000 € a year each;
* material costs: 3,500 € per post;
* project funds: 2 € per resident, at least 5,000 € per quartier;
* neighbourhood fund (Verfügungsfonds): 0.50 € per resident, at least 2,000 € per quartier
  where it has fewer than 5,000 residents.
"""

from __future__ import annotations

from dataclasses import dataclass

from geoquartier.errors import GeoquartierError

STANDARDS_SOURCE = (
    "Standards „5 Schwerpunkte des Quartiermanagements“, Abschnitt „Rahmenbedingungen“"
)
MIN_POSTS = 2
SALARY_EUR_PER_POST = 45_000.0
MATERIAL_EUR_PER_POST = 3_500.0
PROJECT_EUR_PER_RESIDENT = 2.0
PROJECT_MIN_EUR = 5_000.0
FUND_EUR_PER_RESIDENT = 0.50
FUND_MIN_EUR = 2_000.0
FUND_MIN_BELOW_RESIDENTS = 5_000

QUOTES = {
    "staff": "mindestens 2 VbE, davon 1 Fachkraft mit Hochschulabschluss Sozialwesen oder "
    "Stadt- und Raumplanung; Bezahlung nach TVÖD/S11 (ca. 45.000 Euro/pro Jahr)",
    "material": "Sachkosten: 3.500 Euro pro 1 VbE",
    "project": "Projektkosten: 2 Euro pro Bewohner, mindestens 5.000 Euro pro Quartier",
    "fund": "Verfügungsfonds: 0,50 Euro pro Bewohner, mindestens 2.000 Euro pro Quartier, "
    "wenn weniger als 5.000 Einwohner",
}
"""The rules word for word from the standards text (German)."""

LABELS = {
    "staff": "Staff",
    "material": "Material costs",
    "project": "Project funds",
    "fund": "Neighbourhood fund",
}
"""Catalog msgids of the budget items."""


@dataclass(frozen=True)
class BudgetLine:
    """One budget item: ``key`` (staff, material, project, fund), ``amount_eur`` a year,
    ``computed_eur`` before any minimum, whether the ``minimum_applied``, the rule quoted."""

    key: str
    amount_eur: float
    computed_eur: float
    minimum_applied: bool
    quote: str
    source: str = STANDARDS_SOURCE


def budget(residents: int, posts: int = MIN_POSTS) -> list[BudgetLine]:
    """The yearly budget lines for a quartier of ``residents`` with ``posts`` full-time
    posts (at least :data:`MIN_POSTS`)."""
    if residents is None or residents < 0:
        raise GeoquartierError(f"residents must be a number >= 0, got {residents!r}")
    if posts < MIN_POSTS:
        raise GeoquartierError(f"the standards ask for at least {MIN_POSTS} posts, got {posts}")
    project = PROJECT_EUR_PER_RESIDENT * residents
    fund = FUND_EUR_PER_RESIDENT * residents
    fund_min = FUND_MIN_EUR if residents < FUND_MIN_BELOW_RESIDENTS else 0.0
    return [
        BudgetLine(
            "staff",
            SALARY_EUR_PER_POST * posts,
            SALARY_EUR_PER_POST * posts,
            False,
            QUOTES["staff"],
        ),
        BudgetLine(
            "material",
            MATERIAL_EUR_PER_POST * posts,
            MATERIAL_EUR_PER_POST * posts,
            False,
            QUOTES["material"],
        ),
        BudgetLine(
            "project",
            max(project, PROJECT_MIN_EUR),
            project,
            project < PROJECT_MIN_EUR,
            QUOTES["project"],
        ),
        BudgetLine("fund", max(fund, fund_min), fund, fund < fund_min, QUOTES["fund"]),
    ]


def budget_total_eur(lines: list[BudgetLine]) -> float:
    """The sum of the budget lines (€ a year)."""
    return float(sum(line.amount_eur for line in lines))
