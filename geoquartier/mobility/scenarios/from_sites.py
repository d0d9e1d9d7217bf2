"""A ready draft scenario from a stored location result (``geoquartier locate``).

Each chosen site of a stored locate run (:mod:`geoquartier.mobility.planning_results`)
becomes one ``facility_add`` edit of the run's category at the site's point (EPSG:4326,
the candidate's point exactly as the model used it), named
``Neuer Standort <rank> (Vorschlag)``. What the model does not know is assumed and
stated (docs/planning.md, "From sites to a scenario"):

* ``languages``: German only (:data:`DEFAULT_SITE_LANGUAGES`) — a planner adds others;
* ``opening_hours``: none (unknown) unless given — supply figures then list the new
  site as "hours unknown" instead of guessing;
* ``wheelchair``: ``yes`` (:data:`DEFAULT_SITE_WHEELCHAIR`) — a new public contact point
  is planned step-free; the walking profiles reach it as they reach every facility.

Comparing the scenario (:func:`geoquartier.mobility.scenarios.compare`) for the run's
category, profile and T gives the run's "residents newly within T" as "after − before".
"""

from __future__ import annotations

from geoquartier.errors import GeoquartierError
from geoquartier.mobility.planning_results import StoredRun, load_run
from geoquartier.mobility.scenarios.model import Scenario
from geoquartier.mobility.scenarios.storage import save_scenario

DEFAULT_SITE_LANGUAGES = ("de",)
"""Languages assumed for a proposed site (ISO 639-1)."""
DEFAULT_SITE_WHEELCHAIR = "yes"
"""``wheelchair`` assumed for a proposed site (OSM value)."""
SITE_NAME = "Neuer Standort {rank} (Vorschlag)"
"""Name of the facility a proposed site becomes."""


def scenario_from_run(
    run: StoredRun,
    title: str | None = None,
    *,
    author: str = "",
    languages=DEFAULT_SITE_LANGUAGES,
    opening_hours: str | None = None,
    wheelchair: str | None = DEFAULT_SITE_WHEELCHAIR,
) -> Scenario:
    """A draft :class:`Scenario` with one ``facility_add`` per site of ``run`` (a stored
    ``locate`` run; its site points are EPSG:4326), in rank order. ``title`` defaults to
    one naming the run; nothing is stored."""
    if run.kind != "locate":
        raise GeoquartierError(f"run {run.run_id}: only a locate result has sites, not {run.kind}")
    sites = run.features
    if sites is None or sites.empty:
        raise GeoquartierError(f"run {run.run_id}: the stored result has no sites")
    category = run.summary.get("category") or sites["category"].iloc[0]
    if not isinstance(category, str) or not category:
        raise GeoquartierError(f"run {run.run_id}: the stored result names no category")
    scenario = Scenario(
        run.quartier,
        title or default_title(run),
        description=_description(run),
        author=author,
    )
    for row in sites.sort_values("rank", kind="stable").itertuples():
        params = {
            "category": category,
            "name": SITE_NAME.format(rank=int(row.rank)),
            "layer": _layer(category),
            "languages": list(languages or []),
            "wheelchair": wheelchair,
            "opening_hours": opening_hours,
        }
        scenario.add(
            "facility_add", row.geometry, **{k: v for k, v in params.items() if v not in (None, [])}
        )
    return scenario


def scenario_from_sites(path, quartier: str, ref: str | None = None, title=None, **options):
    """Make and store (in the workspace GeoPackage ``path``) the draft scenario of the
    stored locate run ``ref`` (name or run id; None: the most recent) of ``quartier``.
    ``options``: the keyword arguments of :func:`scenario_from_run`. Returns the
    :class:`Scenario`."""
    run = load_run(path, quartier, "locate", ref)
    if run is None:
        which = f"named or with run id {ref!r}" if ref else "at all"
        raise GeoquartierError(f"quartier {quartier!r} has no stored locate result {which}")
    scenario = scenario_from_run(run, title, **options)
    save_scenario(path, scenario)
    return scenario


def default_title(run: StoredRun) -> str:
    """E.g. ``2 neue Standorte office (senior, 10 min) – Ergebnis latest``."""
    s = run.summary
    n = len(run.features) if run.features is not None else s.get("sites", 0)
    what = "neuer Standort" if n == 1 else "neue Standorte"
    return (
        f"{n} {what} {s.get('category') or ''} ({s.get('profile')}, "
        f"{float(s.get('minutes') or 0):g} min) – Ergebnis {run.name}"
    ).replace("  ", " ")


def _layer(category: str) -> str:
    """The base layer a facility of ``category`` belongs to."""
    from geoquartier.layers.schema import POI_CATEGORIES

    if category == "office":
        return "offices"
    return "pois" if category in POI_CATEGORIES else "services"


def _description(run: StoredRun) -> str:
    return (
        f"Aus dem Standortergebnis {run.name!r} (run {run.run_id}, {run.created}) "
        f"erzeugt: {run.text}"
    )
