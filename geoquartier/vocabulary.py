"""Constants shared by every part of geoquartier, defined here once.

Python modules import them; the SQL constraints of the participation database are built
from them; the JavaScript of the pages reads them from the page configuration
(:func:`page_constants`). Layer vocabularies (service categories, wheelchair values, ...)
live with the layer schemas in :mod:`geoquartier.layers.schema`.
"""

from __future__ import annotations

from importlib import metadata
from zoneinfo import ZoneInfo

STORAGE_CRS = "EPSG:4326"
"""CRS of every stored layer (WGS84 longitude/latitude, degrees)."""

ANALYSIS_CRS = "EPSG:25832"
"""Metric CRS for analysis (ETRS89 / UTM zone 32N, metres)."""

TIME_ZONE_NAME = "Europe/Berlin"
"""Local time of every quartier; naive datetimes in input are local time in this zone."""

TIME_ZONE = ZoneInfo(TIME_ZONE_NAME)

TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
"""The online street map drawn under the offline vector basemap when it loads."""

TILE_ORIGIN = "https://tile.openstreetmap.org"
"""Origin of :data:`TILE_URL` (for the Content-Security-Policy)."""

ANNOTATION_KINDS = ("idea", "problem", "praise", "question")
"""Kinds of contribution a resident can choose."""

ANNOTATION_STATUSES = ("pending", "approved", "rejected")
"""Review states of a contribution; only ``approved`` is ever public."""

ANNOTATION_SOURCES = ("online", "paper")
"""How a contribution came in: sent online by a resident, or written on paper (e.g. on the
printed workshop map) and entered by staff."""

DECISIONS = ("approved", "rejected")
"""What a moderator can decide about a pending contribution."""

STAFF_ROLES = ("moderator", "planner", "jury")
"""Roles of staff accounts: moderators review contributions, planners run events, the jury
votes on proposals to the Verfügungsfonds."""

FEEDBACK_STATUSES = ("received", "under_review", "planned", "done", "declined")
"""Public status of an approved contribution: what the office does with it (the answer
residents see on the map and on their receipt)."""

APPLICANT_KINDS = ("resident", "initiative", "association")
"""Who applies for money from a Verfügungsfonds."""

FUND_DECISIONS = ("granted", "refused")
"""What the office decides about a Verfügungsfonds proposal."""

JURY_VOTES = ("yes", "no", "abstain")
"""A jury member's vote on a Verfügungsfonds proposal."""

EVENT_KINDS = (
    "Stadtteilwerkstatt",
    "Stadtteilspaziergang",
    "Stadtteilkonferenz",
    "Bürgerversammlung",
    "Infostand",
    "Online-Beteiligung",
)
"""Usual kinds of participation event (others are accepted as free text)."""

NETWORK_MODES = ("network", "estimate")
"""How a quartier's walking times are computed: on the walk network, or estimated from
straight-line distance (the registry's ``mode``)."""

LOCATION_QUALITIES = ("exact", "approximate")
"""How precisely a stored office point is known (the registry also accepts ``unknown``
for an office not placed yet)."""

PAGE_LANGUAGES = ("de", "en", "tr", "ro", "bg")
"""Languages of every page a resident or moderator sees."""

DEFAULT_LANGUAGE = "de"

ANNOTATION_COLOURS = {
    "idea": "#e08214",
    "problem": "#d7191c",
    "praise": "#1a9641",
    "question": "#2c7bb6",
}
"""One colour per kind of contribution, the same on every map and page."""

SCENARIO_COLOURS = {
    "gain": "#2166ac",
    "new": "#053061",
    "loss": "#d6604d",
    "lost": "#67001f",
    "edit": "#000000",
    "closed": "#b2182b",
}
"""Colours of a scenario on maps and pages: homes whose walk gets shorter (``gain``), that
reach a facility they could not reach before (``new``), whose walk gets longer (``loss``)
or that lose their route (``lost``); new ways and facilities (``edit``) and closed ones
(``closed``). A diverging blue–red scale, readable with red-green colour blindness."""


def _version() -> str:
    try:
        return metadata.version("geoquartier")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a plain checkout
        return "0+unknown"


VERSION = _version()
"""The installed version of geoquartier."""


def sql_in(values: tuple[str, ...]) -> str:
    """``values`` as the list of an SQL ``IN (...)`` constraint (single-quoted literals)."""
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def page_constants() -> dict[str, object]:
    """The constants the pages' JavaScript needs (JSON-serialisable)."""
    return {
        "kinds": list(ANNOTATION_KINDS),
        "kindColours": dict(ANNOTATION_COLOURS),
        "statuses": list(ANNOTATION_STATUSES),
        "timeZone": TIME_ZONE_NAME,
        "tileUrl": TILE_URL,
        "languages": list(PAGE_LANGUAGES),
        "version": VERSION,
    }
