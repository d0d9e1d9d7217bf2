"""Declared schemas of the geoquartier layers.

Each layer is a GeoDataFrame in EPSG:4326 with the columns ``id`` (str, unique in the
layer) and ``quartier`` (str, the quartier slug) plus the fields declared here. A
:class:`Field` states the column's kind (which fixes its pandas dtype), whether it is
required, and for controlled fields the accepted vocabulary. ``LAYERS`` maps each layer
name to its :class:`LayerSchema`; :func:`geoquartier.layers.validate.validate` enforces it.

Controlled vocabularies (unknown values are rejected): ``services.category``,
``pois.category``, ``measures.status``, ``annotations.kind``, ``annotations.status``,
``quartiers.boundary_quality``, ``offices.location_quality`` and ``wheelchair``.
``kind`` of offices, measures and events is an open vocabulary (planners name their own
kinds of office, building measure and event: "Stadtteilwerkstatt", "Sanierung", ...);
it is free text, stripped, never empty.

The plausible area for coordinates is Germany with a margin (:data:`PLAUSIBLE_BOUNDS`):
the tool serves German neighbourhoods, and this catches swapped lon/lat, "null island"
points and projected coordinates (e.g. EPSG:25832 metres) labelled as EPSG:4326.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from geoquartier.vocabulary import (
    ANNOTATION_KINDS,
    ANNOTATION_SOURCES,
    ANNOTATION_STATUSES,
    LOCATION_QUALITIES,
    STORAGE_CRS,
    TIME_ZONE_NAME,
)

__all__ = ["LAYERS", "STORAGE_CRS", "LOCAL_TIMEZONE", "ANNOTATION_KINDS", "layer_schema"]

SCENARIOS_TABLE = "scenarios"
"""Table of the planning scenarios in the workspace GeoPackage (one row per scenario:
``id, quartier, title, ..., status``); written by :mod:`geoquartier.mobility.scenarios`,
read here to check the ``scenario_id`` of measures."""

LOCAL_TIMEZONE = TIME_ZONE_NAME
"""Naive datetimes in input are local time in this zone."""

WGS84_BOUNDS = (-180.0, -90.0, 180.0, 90.0)
"""Valid range of WGS84 longitude/latitude in degrees (min lon, min lat, max lon, max lat)."""

PLAUSIBLE_BOUNDS = (5.0, 47.0, 16.0, 55.5)
"""Plausible area in EPSG:4326 degrees: Germany (5.87-15.04 E, 47.27-55.06 N) with a margin."""

SERVICE_CATEGORIES = (
    "migration",
    "debt",
    "family",
    "youth",
    "seniors",
    "health",
    "addiction",
    "employment",
    "housing",
    "education",
    "disability",
    "general",
)
POI_CATEGORIES = (
    "grocery",
    "pharmacy",
    "doctors",
    "healthcare",
    "school",
    "kindergarten",
    "university",
    "park",
    "gym",
    "cafe",
)
WHEELCHAIR_VALUES = ("yes", "limited", "no", "designated")
MEASURE_STATUS = ("planned", "in_progress", "completed")
ANNOTATION_STATUS = ANNOTATION_STATUSES
BOUNDARY_QUALITY = ("official", "enclosing_district", "planning_area")
LOCATION_QUALITY = LOCATION_QUALITIES
GERMAN_STATES = (
    "DE-BB",
    "DE-BE",
    "DE-BW",
    "DE-BY",
    "DE-HB",
    "DE-HE",
    "DE-HH",
    "DE-MV",
    "DE-NI",
    "DE-NW",
    "DE-RP",
    "DE-SH",
    "DE-SL",
    "DE-SN",
    "DE-ST",
    "DE-TH",
)
"""ISO 3166-2 codes of the 16 German states (used for public holidays)."""

# Field kinds and the pandas dtype each has after validation (and after reading a store).
KIND_DTYPES: dict[str, object] = {
    "str": pd.StringDtype(),
    "int": pd.Int64Dtype(),
    "float": pd.Float64Dtype(),
    "bool": pd.BooleanDtype(),
    "datetime": pd.DatetimeTZDtype(unit="ms", tz="UTC"),
    "languages": object,  # a Python list of ISO 639-1 codes, or None
    "language": pd.StringDtype(),
    "opening_hours": pd.StringDtype(),
    "email": pd.StringDtype(),
    "state": pd.StringDtype(),
}


@dataclass(frozen=True)
class Field:
    """One column of a layer.

    ``kind`` is one of :data:`KIND_DTYPES`; ``vocabulary`` (for ``str`` fields) lists the
    accepted values; ``minimum`` bounds numbers; ``max_length`` bounds text length.
    """

    name: str
    kind: str = "str"
    required: bool = False
    vocabulary: tuple[str, ...] | None = None
    minimum: float | None = None
    max_length: int | None = None
    description: str = ""

    @property
    def dtype(self) -> object:
        """The pandas dtype of this column after validation."""
        return KIND_DTYPES[self.kind]


@dataclass(frozen=True)
class LayerSchema:
    """A layer: its name, accepted geometry types and fields (besides ``id``, ``quartier``)."""

    name: str
    geometry_types: tuple[str, ...]
    fields: tuple[Field, ...]
    description: str = ""
    base_fields: tuple[Field, ...] = field(
        default=(
            Field("id", required=True, description="unique in the layer"),
            Field("quartier", required=True, description="the quartier slug"),
        )
    )

    @property
    def all_fields(self) -> tuple[Field, ...]:
        """``id``, ``quartier`` and the layer's own fields, in column order."""
        return self.base_fields + self.fields

    @property
    def columns(self) -> list[str]:
        """Column names in order, without ``geometry``."""
        return [f.name for f in self.all_fields]

    def field(self, name: str) -> Field:
        """The field called ``name`` (KeyError if the layer has none)."""
        for f in self.all_fields:
            if f.name == name:
                return f
        raise KeyError(name)


POINT = ("Point",)
POLYGONAL = ("Polygon", "MultiPolygon")
ANY_GEOMETRY = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
)

_WHEELCHAIR = Field("wheelchair", vocabulary=WHEELCHAIR_VALUES, description="OSM wheelchair value")
_OPENING_HOURS = Field(
    "opening_hours", kind="opening_hours", description="OSM opening_hours syntax"
)
_LANGUAGES = Field("languages", kind="languages", description="ISO 639-1 codes")
_SOURCE = Field("source", description="origin, e.g. osm:node/123 or gtfs:stop/...")
_CONTACT = (Field("operator"), Field("address"), Field("phone"))
"""Who runs a place and how to reach it (offices and services)."""

LAYERS: dict[str, LayerSchema] = {
    s.name: s
    for s in (
        LayerSchema(
            "quartiers",
            POLYGONAL,
            (
                Field("name", required=True),
                Field("city", required=True),
                Field("state", kind="state", required=True, description="ISO 3166-2, e.g. DE-ST"),
                Field("population", kind="int", minimum=0),
                Field("population_source"),
                Field("programme"),
                Field("boundary_quality", required=True, vocabulary=BOUNDARY_QUALITY),
            ),
            "the quartier boundaries",
        ),
        LayerSchema(
            "offices",
            POINT,
            (
                Field("name", required=True),
                Field("kind", description="open vocabulary, e.g. Stadtteilbüro"),
                *_CONTACT,
                Field("email", kind="email"),
                _OPENING_HOURS,
                _LANGUAGES,
                _WHEELCHAIR,
                Field("location_quality", vocabulary=LOCATION_QUALITY),
                Field("location_note"),
            ),
            "neighbourhood management offices",
        ),
        LayerSchema(
            "services",
            POINT,
            (
                Field("name", required=True),
                Field("category", required=True, vocabulary=SERVICE_CATEGORIES),
                *_CONTACT,
                _OPENING_HOURS,
                _LANGUAGES,
                _WHEELCHAIR,
                _SOURCE,
            ),
            "advisory services",
        ),
        LayerSchema(
            "pois",
            POINT,
            (
                Field("name"),
                Field("category", required=True, vocabulary=POI_CATEGORIES),
                _OPENING_HOURS,
                _WHEELCHAIR,
                _SOURCE,
            ),
            "daily-needs places",
        ),
        LayerSchema(
            "stops",
            POINT,
            (Field("name", required=True), _WHEELCHAIR, _SOURCE),
            "public transport stops",
        ),
        LayerSchema(
            "buildings",
            POLYGONAL,
            (
                Field("building", description="OSM building value, e.g. yes, house"),
                Field("levels", kind="float", minimum=0),
                Field("residential", kind="bool"),
                Field("address"),
                _SOURCE,
            ),
            "building footprints",
        ),
        LayerSchema(
            "addresses",
            POINT,
            (
                Field("street"),
                Field("housenumber", required=True),
                Field("postcode"),
                Field("city"),
                _SOURCE,
            ),
            "address points",
        ),
        LayerSchema(
            "measures",
            ANY_GEOMETRY,
            (
                Field("name", required=True),
                Field("kind", description="open vocabulary, e.g. Sanierung, Grünfläche"),
                Field("status", required=True, vocabulary=MEASURE_STATUS),
                Field("start", kind="datetime"),
                Field("end", kind="datetime"),
                Field("cost_eur", kind="float", minimum=0),
                Field("funding"),
                Field("description"),
                Field(
                    "scenario_id",
                    description="a published planning scenario of the quartier that "
                    "describes the measure's effect (see docs/scenarios.md)",
                ),
            ),
            "building and urban-renewal measures",
        ),
        LayerSchema(
            "events",
            ("Point", "LineString", "Polygon"),
            (
                Field("title", required=True),
                Field("kind", description="open vocabulary, e.g. Stadtteilwerkstatt"),
                Field("start", kind="datetime", required=True),
                Field("end", kind="datetime"),
                Field("description"),
            ),
            "participation events",
        ),
        LayerSchema(
            "annotations",
            ("Point", "LineString", "Polygon"),
            (
                Field("kind", required=True, vocabulary=ANNOTATION_KINDS),
                Field("text", required=True, max_length=2000),
                Field("language", kind="language"),
                Field("event_id"),
                Field("status", required=True, vocabulary=ANNOTATION_STATUS),
                Field("created_at", kind="datetime"),
                Field("source", vocabulary=ANNOTATION_SOURCES, description="online or paper"),
                Field("grid_cell", description="grid square of the printed map, e.g. C4"),
            ),
            "residents' pins on the participation map",
        ),
        LayerSchema(
            "population",
            ("Polygon", "MultiPolygon", "Point"),
            (Field("residents", kind="int", required=True, minimum=0), _SOURCE),
            "residents per grid cell or point",
        ),
    )
}


@lru_cache(maxsize=1)
def iso639_1_codes() -> frozenset[str]:
    """The ISO 639-1 two-letter language codes, from the CLDR data shipped with Babel."""
    from babel import Locale

    return frozenset(code for code in Locale("en").languages if len(code) == 2 and code.isalpha())


def layer_schema(layer: str) -> LayerSchema:
    """The schema of ``layer``; raises ``GeoquartierError`` naming the known layers."""
    from geoquartier.errors import GeoquartierError

    try:
        return LAYERS[layer]
    except KeyError:
        raise GeoquartierError(
            f"unknown layer {layer!r}; known layers: {', '.join(LAYERS)}"
        ) from None
