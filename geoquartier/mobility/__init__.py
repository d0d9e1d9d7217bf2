"""Walking accessibility (Nahmobilität) for a quartier.

Takes GeoDataFrames in EPSG:4326, works in EPSG:25832 (metres), returns GeoDataFrames in
EPSG:4326. The public API (see docs/mobility.md):

* networks: :class:`WalkNetwork` (``from_osm_file``, ``from_polygon``, ``from_graph``,
  ``load``/``save``), :class:`EstimateNetwork` (no network: straight line × detour
  factor), :func:`network_for` (the memoised network of a registry quartier);
* profiles: :data:`PROFILES` (standard, senior, wheelchair), :class:`Profile`;
* analysis: :func:`nearest_facilities`, :func:`node_distances`, :func:`coverage`,
  :func:`isochrones`, :func:`route`, :func:`routes_from` / :func:`route_tree` (one search
  from an origin to many destinations), :func:`residents_from_buildings`.

Every analysis function takes a ``WalkNetwork`` or an ``EstimateNetwork`` as first
argument and marks its results with ``method`` = ``network`` or ``estimate``.
"""

from geoquartier.mobility.coverage import coverage, residents_from_buildings
from geoquartier.mobility.estimate import DEFAULT_DETOUR_FACTOR, EstimateNetwork
from geoquartier.mobility.isochrones import isochrones
from geoquartier.mobility.nearest import nearest_facilities, node_distances
from geoquartier.mobility.network import WalkNetwork
from geoquartier.mobility.profiles import PROFILES, Profile, get_profile
from geoquartier.mobility.routing import Route, RouteTree, route, route_tree, routes_from
from geoquartier.mobility.snapping import DEFAULT_MAX_SNAP_M
from geoquartier.mobility.sources import network_for

__all__ = [
    "DEFAULT_DETOUR_FACTOR",
    "DEFAULT_MAX_SNAP_M",
    "PROFILES",
    "EstimateNetwork",
    "Profile",
    "Route",
    "RouteTree",
    "WalkNetwork",
    "coverage",
    "get_profile",
    "isochrones",
    "nearest_facilities",
    "network_for",
    "node_distances",
    "residents_from_buildings",
    "route",
    "route_tree",
    "routes_from",
]
