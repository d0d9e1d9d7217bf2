"""Interactive quartier maps (Folium): offline standalone HTML in de, en, tr, ro and bg.

* :func:`gather_map_data` — what a quartier's map shows (layers and walking results) as a
  :class:`MapData`, read from the workspace and computed with :mod:`geoquartier.mobility`;
* :func:`build_quartier_map` — the map of a :class:`MapData` as a :class:`folium.Map`
  (draws only; one function per layer in :mod:`geoquartier.maps.draw` and
  :mod:`geoquartier.maps.places`);
* :func:`save_map` — write it as one HTML file that needs no network (:func:`map_html`:
  the same page as text);
* :func:`build_all_maps` — the demo quartiers' maps in every language.

See docs/maps.md.
"""

from geoquartier.maps.batch import build_all_maps, build_quartier_maps, map_filename
from geoquartier.maps.builder import OSM_TILE_URL, build_quartier_map, map_html, save_map
from geoquartier.maps.data import MapData, collect_map_data, gather_map_data
from geoquartier.maps.i18n import LANGUAGES, Translator

__all__ = [
    "LANGUAGES",
    "OSM_TILE_URL",
    "MapData",
    "Translator",
    "build_all_maps",
    "build_quartier_map",
    "build_quartier_maps",
    "collect_map_data",
    "gather_map_data",
    "map_filename",
    "map_html",
    "save_map",
]
