"""Typed response models of the HTTP API (Pydantic).

Coordinates in every model are WGS84 longitude/latitude in degrees (EPSG:4326 / OGC
CRS84 axis order). Distances are metres (``distance_m``), times minutes (``walk_min``).
The GeoJSON models follow RFC 7946 and OGC API – Features Part 1.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


class ErrorBody(BaseModel):
    """Every error answer: a clear message and the HTTP status."""

    detail: str = Field(description="what is wrong, naming the parameter or resource")
    status: int = Field(description="the HTTP status code")


class Link(BaseModel):
    """A link (OGC API – Features / RFC 8288)."""

    href: str
    rel: str
    type: str | None = None
    title: str | None = None


class LandingPage(BaseModel):
    """The API landing page (OGC API – Features ``/``)."""

    title: str
    description: str
    links: list[Link]


class Conformance(BaseModel):
    """The conformance classes the API implements."""

    conformsTo: list[str]


class SpatialExtent(BaseModel):
    """Bounding boxes ``[min lon, min lat, max lon, max lat]`` in degrees (CRS84)."""

    bbox: list[list[float]]
    crs: str = CRS84


class Extent(BaseModel):
    """The extent of a collection."""

    spatial: SpatialExtent


class Collection(BaseModel):
    """One layer as an OGC API – Features collection."""

    id: str
    title: str
    description: str = ""
    links: list[Link]
    extent: Extent | None = None
    itemType: str = "feature"
    crs: list[str] = [CRS84]


class Collections(BaseModel):
    """The list of collections."""

    links: list[Link]
    collections: list[Collection]


class Geometry(BaseModel):
    """A GeoJSON geometry (coordinates in EPSG:4326 degrees)."""

    model_config = ConfigDict(extra="allow")

    type: str
    coordinates: Any = None


class Feature(BaseModel):
    """A GeoJSON feature."""

    type: Literal["Feature"] = "Feature"
    id: str | int | None = None
    geometry: Geometry | None
    properties: dict[str, Any] | None
    links: list[Link] | None = None


class FeatureCollection(BaseModel):
    """A GeoJSON feature collection, with OGC API – Features paging fields."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature]
    numberMatched: int | None = None
    numberReturned: int | None = None
    timeStamp: str | None = None
    links: list[Link] | None = None


class QuartierSummary(BaseModel):
    """A quartier known to the workspace, with links to its map and layers."""

    id: str
    name: str
    city: str | None = None
    state: str | None = None
    programme: str | None = None
    mode: str | None = Field(None, description="'network' (walk network) or 'estimate'")
    bbox: list[float] | None = Field(None, description="[min lon, min lat, max lon, max lat]")
    links: list[Link]


class QuartierList(BaseModel):
    """All quartiers in the workspace."""

    quartiers: list[QuartierSummary]
    links: list[Link]


class RouteProperties(BaseModel):
    """Properties of a walking route."""

    distance_m: float = Field(description="walking distance in metres, access legs included")
    walk_min: float = Field(description="walking time in minutes for the profile")
    streets: list[str] = Field(description="names of the streets walked, in order")
    profile: str
    quartier: str
    estimate: bool = Field(description="true when straight line x detour factor (no network)")


class RouteFeature(BaseModel):
    """A walking route as a GeoJSON LineString feature (EPSG:4326)."""

    type: Literal["Feature"] = "Feature"
    geometry: Geometry | None
    properties: RouteProperties


class NearestServiceProperties(BaseModel):
    """One service in the answer of ``/services/nearest``."""

    model_config = ConfigDict(extra="allow")

    rank: int
    id: str
    name: str | None = None
    category: str | None = None
    languages: list[str] | None = None
    operator: str | None = None
    address: str | None = None
    phone: str | None = None
    opening_hours: str | None = None
    wheelchair: str | None = None
    quartier: str
    distance_m: float
    walk_min: float
    open_at_time: bool | None = Field(
        description="open at the requested time; null when the opening hours are unknown"
    )
    next_opening: datetime | None = Field(
        description="when it next opens (now, if open); null when unknown or never"
    )
    estimate: bool
    route: RouteFeature | None = None


class NearestServiceFeature(BaseModel):
    """A service point with its walking time and route."""

    type: Literal["Feature"] = "Feature"
    id: str
    geometry: Geometry | None
    properties: NearestServiceProperties


class NearestServices(BaseModel):
    """Services ranked by walking time."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[NearestServiceFeature]
    quartier: str
    profile: str
    category: str | None
    language: str | None
    open_at: datetime
    numberReturned: int


class IsochroneCollection(BaseModel):
    """The area reachable on foot as GeoJSON features (EPSG:4326)."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature]
    quartier: str
    profile: str
    minutes: float
    estimate: bool
