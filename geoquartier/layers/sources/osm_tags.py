"""The one table that maps OpenStreetMap tags to geoquartier categories.

Every OSM feature read by :mod:`geoquartier.layers.sources.osm` is classified here, and
nowhere else: into an advisory-service category (layer ``services``), a daily-needs
category (layer ``pois``), a transit stop (layer ``stops``), a building (layer
``buildings``, with the residential flag) and an address (layer ``addresses``). The
tables are module-level constants; ``docs/import.md`` prints the same tables for
planners. Rules are tried top to bottom and the first match wins.

A rule is a dict of tag conditions that must all hold: a string value means equality, a
tuple means "one of", ``True`` means "tag present". For multi-valued OSM tags
(``social_facility:for=senior;disabled``, ``counselling=family;debt``) a condition holds
if any of the ``;``-separated values matches.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

TagCondition = str | tuple[str, ...] | bool
Rule = tuple[dict[str, TagCondition], str]

# ----------------------------------------------------------------------------------------
# Advisory services (layer "services"): social counselling and neighbourhood services.
# ----------------------------------------------------------------------------------------
SERVICE_RULES: tuple[Rule, ...] = (
    # Counselling centres (Beratungsstellen), by topic.
    (
        {"healthcare": "counselling", "counselling": ("addiction", "drugs", "alcohol", "gambling")},
        "addiction",
    ),
    ({"healthcare": "counselling", "counselling": "debt"}, "debt"),
    (
        {"healthcare": "counselling", "counselling": ("immigrant", "migration", "refugee")},
        "migration",
    ),
    (
        {
            "healthcare": "counselling",
            "counselling": (
                "family",
                "couple",
                "marriage",
                "child_guidance",
                "antenatal",
                "pregnancy",
                "sexual",
                "parenting",
            ),
        },
        "family",
    ),
    ({"healthcare": "counselling", "counselling": ("education", "school", "career")}, "education"),
    ({"healthcare": "counselling", "counselling": ("homeless", "housing")}, "housing"),
    (
        {
            "healthcare": "counselling",
            "counselling": ("nutrition", "rehabilitation", "psychiatry", "mental_health", "crisis"),
        },
        "health",
    ),
    ({"healthcare": "counselling"}, "general"),
    # Employment: Agentur für Arbeit, Jobcenter (often also tagged amenity=social_facility).
    ({"office": "employment_agency"}, "employment"),
    ({"government": ("employment_agency", "employment", "social_security")}, "employment"),
    ({"amenity": "job_centre"}, "employment"),
    # Social facilities, by the group they serve (social_facility:for).
    (
        {"amenity": "social_facility", "social_facility:for": ("migrant", "refugee", "immigrant")},
        "migration",
    ),
    (
        {
            "amenity": "social_facility",
            "social_facility:for": ("drug_addicted", "alcohol_addicted", "addicted"),
        },
        "addiction",
    ),
    ({"amenity": "social_facility", "social_facility:for": ("senior", "elderly")}, "seniors"),
    (
        {
            "amenity": "social_facility",
            "social_facility:for": ("juvenile", "child", "youth", "orphan"),
        },
        "youth",
    ),
    (
        {
            "amenity": "social_facility",
            "social_facility:for": ("disabled", "mental_health", "handicapped"),
        },
        "disability",
    ),
    ({"amenity": "social_facility", "social_facility:for": ("homeless",)}, "housing"),
    (
        {
            "amenity": "social_facility",
            "social_facility:for": ("family", "single_parent", "woman", "women", "victim"),
        },
        "family",
    ),
    ({"amenity": "social_facility", "social_facility:for": ("unemployed",)}, "employment"),
    # Social facilities without social_facility:for, by their kind.
    (
        {
            "amenity": "social_facility",
            "social_facility": ("nursing_home", "assisted_living", "ambulatory_care", "day_care"),
        },
        "seniors",
    ),
    ({"amenity": "social_facility", "social_facility": "workshop"}, "disability"),
    ({"amenity": "social_facility", "social_facility": "shelter"}, "housing"),
    (
        {"amenity": "social_facility"},
        "general",
    ),  # outreach, food_bank, soup_kitchen, group_home, ...
    # Employment: Agentur für Arbeit, Jobcenter.
    ({"office": "employment_agency"}, "employment"),
    ({"government": ("employment_agency", "employment", "social_security")}, "employment"),
    ({"amenity": "job_centre"}, "employment"),
    # Youth and family centres.
    ({"amenity": "community_centre", "community_centre": ("youth_centre", "youth")}, "youth"),
    (
        {"amenity": "community_centre", "community_centre:for": ("juvenile", "child", "youth")},
        "youth",
    ),
    ({"amenity": "community_centre", "community_centre:for": ("senior",)}, "seniors"),
    ({"amenity": "community_centre", "community_centre": ("family_centre",)}, "family"),
    ({"amenity": "youth_centre"}, "youth"),
    # Neighbourhood centres, associations and NGOs: general first contact.
    ({"amenity": ("community_centre", "social_centre")}, "general"),
    ({"office": ("ngo", "association", "charity", "foundation")}, "general"),
    ({"government": ("social_services", "social_welfare")}, "general"),
    # Education advice and integration/language courses.
    ({"office": "educational_institution"}, "education"),
    ({"amenity": "language_school"}, "education"),
)
"""OSM tags → ``services.category``; first match wins."""

# ----------------------------------------------------------------------------------------
# Daily needs (layer "pois").
# ----------------------------------------------------------------------------------------
POI_RULES: tuple[Rule, ...] = (
    (
        {
            "shop": (
                "supermarket",
                "convenience",
                "greengrocer",
                "bakery",
                "butcher",
                "grocery",
                "deli",
                "organic",
                "health_food",
                "frozen_food",
            )
        },
        "grocery",
    ),
    ({"amenity": "pharmacy"}, "pharmacy"),
    ({"healthcare": "pharmacy"}, "pharmacy"),
    ({"amenity": ("doctors", "dentist")}, "doctors"),
    ({"healthcare": ("doctor", "dentist")}, "doctors"),
    ({"amenity": ("hospital", "clinic")}, "healthcare"),
    (
        {
            "healthcare": (
                "hospital",
                "clinic",
                "centre",
                "physiotherapist",
                "speech_therapist",
                "occupational_therapist",
                "psychotherapist",
                "midwife",
                "rehabilitation",
                "nurse",
                "dialysis",
            )
        },
        "healthcare",
    ),
    ({"amenity": "school"}, "school"),
    ({"amenity": ("kindergarten", "childcare")}, "kindergarten"),
    ({"amenity": ("university", "college")}, "university"),
    ({"leisure": "park"}, "park"),
    ({"leisure": ("fitness_centre", "sports_centre")}, "gym"),
    ({"amenity": "cafe"}, "cafe"),
)
"""OSM tags → ``pois.category``; first match wins. A feature may be both a service and a
POI (e.g. a clinic with a counselling centre); it then appears in both layers."""

# ----------------------------------------------------------------------------------------
# Transit stops (layer "stops").
# ----------------------------------------------------------------------------------------
STOP_RULES: tuple[dict[str, TagCondition], ...] = (
    {"highway": "bus_stop"},
    {"public_transport": ("platform", "station")},
    {"railway": ("station", "halt", "tram_stop")},
)
"""A feature matching any of these is a stop. ``public_transport=stop_position`` (the
point on the carriageway where the vehicle halts) is left out: it duplicates the
platform or ``highway=bus_stop`` where passengers wait, which is what walking access
needs."""

# ----------------------------------------------------------------------------------------
# Buildings (layer "buildings") and the residential flag.
# ----------------------------------------------------------------------------------------
RESIDENTIAL_BUILDINGS: frozenset[str] = frozenset(
    {
        "house",
        "residential",
        "apartments",
        "detached",
        "semidetached_house",
        "terrace",
        "dormitory",
        "bungalow",
        "farm",
        "static_caravan",
        "houseboat",
    }
)
"""``building=*`` values that are residential."""

NOT_A_BUILDING: frozenset[str] = frozenset({"no", "demolished", "razed", "destroyed"})
"""``building=*`` values that say there is no building; such features are skipped."""

NON_RESIDENTIAL_USE_KEYS: tuple[str, ...] = (
    "amenity",
    "shop",
    "office",
    "craft",
    "tourism",
    "industrial",
    "healthcare",
    "leisure",
    "man_made",
    "historic",
    "public_transport",
    "railway",
)
"""A ``building=yes`` that carries one of these keys is used for something else."""

DEFAULT_LEVELS = 2.0
"""Full storeys assumed where ``building:levels`` is not tagged (residential buildings in
German towns are mostly one- and two-family houses with one or two full storeys)."""

# ----------------------------------------------------------------------------------------
# What to ask OSM for: the union of every key used above (Overpass and extract alike).
# ----------------------------------------------------------------------------------------
QUERY_TAGS: dict[str, bool | list[str]] = {
    "building": True,
    "amenity": True,
    "shop": True,
    "healthcare": True,
    "office": True,
    "government": True,
    "social_facility": True,
    "leisure": ["park", "fitness_centre", "sports_centre"],
    "highway": ["bus_stop"],
    "public_transport": ["platform", "station"],
    "railway": ["station", "halt", "tram_stop"],
    "addr:housenumber": True,
}
"""Tags passed to OSMnx (``features_from_xml`` / ``features_from_polygon``)."""


def _values(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return [v.strip() for v in str(value).split(";") if v.strip()]


def matches(tags: Mapping[str, Any], conditions: Mapping[str, TagCondition]) -> bool:
    """True if ``tags`` (an OSM tag mapping; missing/NaN = absent) meets every condition."""
    for key, condition in conditions.items():
        values = _values(tags.get(key))
        if not values:
            return False
        if condition is True:
            continue
        accepted = (condition,) if isinstance(condition, str) else condition
        if not any(v in accepted for v in values):
            return False
    return True


def service_category(tags: Mapping[str, Any]) -> str | None:
    """The ``services.category`` of an OSM feature, or None if it is no advisory service."""
    for conditions, category in SERVICE_RULES:
        if matches(tags, conditions):
            return category
    return None


def poi_category(tags: Mapping[str, Any]) -> str | None:
    """The ``pois.category`` of an OSM feature, or None if it is no daily-needs place."""
    for conditions, category in POI_RULES:
        if matches(tags, conditions):
            return category
    return None


def is_stop(tags: Mapping[str, Any]) -> bool:
    """True if the OSM feature is a transit stop where passengers board."""
    return any(matches(tags, conditions) for conditions in STOP_RULES)


def building_value(tags: Mapping[str, Any]) -> str | None:
    """The ``building=*`` value, or None if the feature is no building."""
    values = _values(tags.get("building"))
    if not values or values[0] in NOT_A_BUILDING:
        return None
    return values[0]


def is_residential(tags: Mapping[str, Any], has_address_point: bool = False) -> bool:
    """Residential flag of a building.

    True for the values in :data:`RESIDENTIAL_BUILDINGS`; also for ``building=yes`` with
    an address (its own ``addr:housenumber``, or ``has_address_point``: an address node
    lies inside it) and no tag of another use (:data:`NON_RESIDENTIAL_USE_KEYS`), because
    in German OSM data most untyped buildings with a house number are homes, while sheds,
    garages and outbuildings carry none.
    """
    value = building_value(tags)
    if value is None:
        return False
    if value in RESIDENTIAL_BUILDINGS:
        return True
    if value != "yes" or not (has_address_point or _values(tags.get("addr:housenumber"))):
        return False
    return not any(_values(tags.get(key)) for key in NON_RESIDENTIAL_USE_KEYS)


def levels(tags: Mapping[str, Any]) -> float | None:
    """``building:levels`` as a number (first value, decimal comma allowed), or None."""
    for raw in _values(tags.get("building:levels")):
        try:
            number = float(raw.replace(",", "."))
        except ValueError:
            continue
        if 0 <= number < 200:
            return number
    return None


def languages(tags: Mapping[str, Any]) -> list[str]:
    """ISO 639-1 codes from ``language:xx=yes`` tags (sorted), e.g. ``["de", "tr"]``."""
    codes = []
    for key, value in tags.items():
        if key.startswith("language:") and _values(value)[:1] == ["yes"]:
            code = key.split(":", 1)[1].lower()
            if len(code) == 2 and code.isalpha():
                codes.append(code)
    return sorted(set(codes))
