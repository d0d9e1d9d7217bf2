"""Folium elements for offline maps: a page without CDN links and the layer elements.

Folium's :class:`folium.Map` and plugins link Leaflet, jQuery, Bootstrap and Font Awesome
from CDNs. :class:`OfflineMap` and :class:`OfflineMarkerCluster` declare no links, and
:class:`OfflinePage` (the root :class:`branca.element.Figure`) inlines the npm assets and
refuses to render if any element still asks for an external script or stylesheet — so a
saved map never makes a request.
"""

from __future__ import annotations

from typing import ClassVar

import folium
from branca.element import CssLink, Figure, JavascriptLink, MacroElement
from folium.map import Layer
from folium.plugins import MarkerCluster
from folium.template import Template

from geoquartier.maps.assets import BASE_SCRIPT, inline_tags, script_text, static_text
from geoquartier.maps.escape import script_json, text


class ExternalAssetError(RuntimeError):
    """An element of the map wants a script or stylesheet from the network."""


class OfflinePage(Figure):
    """Root of the page: ``<html lang>``, inlined assets, header, map and place list.

    ``head_html`` and ``aside_html`` must already be escaped HTML; ``config`` is embedded
    as JSON (``<script type="application/json" id="gq-config">``) for the page scripts
    (``static/geoquartier-base.js``, then ``static/geoquartier-map.js``).
    """

    _template = Template(
        "<!DOCTYPE html>\n"
        '<html lang="{{ this.lang }}">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>{{ this.page_title }}</title>\n"
        "{{ this.assets }}\n"
        '<script type="application/json" id="gq-config">{{ this.config_json }}</script>\n'
        "<style>{{ this.css }}</style>\n"
        "<script>{{ this.base_js }}</script>\n"
        "<script>{{ this.js }}</script>\n"
        "{{ this.header.render(**kwargs) }}\n"
        "</head>\n"
        "<body>\n"
        '<div class="gq-page">\n'
        "{{ this.head_html }}\n"
        '<main class="gq-map-wrap" id="gq-map" aria-label="{{ this.map_label }}">\n'
        "{{ this.html.render(**kwargs) }}\n"
        "</main>\n"
        "{{ this.aside_html }}\n"
        "</div>\n"
        "<script>\n{{ this.script.render(**kwargs) }}\n</script>\n"
        "</body>\n"
        "</html>\n"
    )

    def __init__(
        self,
        lang: str,
        title: str,
        map_label: str,
        head_html: str,
        aside_html: str,
        config: dict,
        bundles: tuple[str, ...] = ("leaflet", "markercluster"),
    ):
        super().__init__(width="100%", height="100%")
        self._name = "OfflinePage"
        self.lang = text(lang)
        self.page_title = text(title)
        self.map_label = text(map_label)
        self.head_html = head_html
        self.aside_html = aside_html
        self.config_json = script_json(config)
        self.assets = inline_tags(bundles)
        self.css = static_text("geoquartier-map.css")
        self.base_js = script_text(BASE_SCRIPT)  # GQ shared with the participation pages
        self.js = script_text("geoquartier-map.js")

    def render(self, **kwargs) -> str:
        for child in self._children.values():
            child.render(**kwargs)
        links = [
            (name, child.url)
            for name, child in self.header._children.items()
            if isinstance(child, (JavascriptLink, CssLink))
        ]
        if links:
            raise ExternalAssetError(
                "map elements ask for external assets, which a standalone map cannot load: "
                + ", ".join(f"{n} ({u})" for n, u in links)
            )
        return self._template.render(this=self, kwargs=kwargs)


class OfflineMap(folium.Map):
    """A :class:`folium.Map` without CDN links, zoomable on phones (no ``user-scalable=no``)."""

    default_js: ClassVar[list] = []
    default_css: ClassVar[list] = []

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <script>
                L_NO_TOUCH = {{ this.global_switches.no_touch |tojson}};
                L_DISABLE_3D = {{ this.global_switches.disable_3d|tojson }};
            </script>
        {% endmacro %}

        {% macro html(this, kwargs) %}
            <div class="folium-map" id={{ this.get_name()|tojson }}></div>
        {% endmacro %}

        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.map(
                {{ this.get_name()|tojson }},
                {
                    center: {{ this.location|tojson }},
                    crs: L.CRS.{{ this.crs }},
                    ...{{this.options|tojavascript}}
                }
            );
            GQ.map = {{ this.get_name() }};
            {{ this.get_name() }}.createPane('gqBase');
            {{ this.get_name() }}.getPane('gqBase').style.zIndex = 250;
            {%- if this.control_scale %}
            L.control.scale({imperial: false}).addTo({{ this.get_name() }});
            {%- endif %}
        {% endmacro %}
        """
    )


class OfflineMarkerCluster(MarkerCluster):
    """:class:`folium.plugins.MarkerCluster` using the inlined Leaflet.markercluster."""

    default_js: ClassVar[list] = []
    default_css: ClassVar[list] = []


class PointItems(MacroElement):
    """Markers drawn by the page script into the parent layer (a group or a cluster).

    ``items`` are dicts ``{id, lat, lon, t, p, g, c, a}`` with ``t`` the label (plain
    text), ``p`` the popup (escaped HTML); see ``GQ.points`` in ``static/geoquartier-map.js``.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            GQ.points({{ this._parent.get_name() }}, {{ this.key_json }}, {{ this.items_json }});
        {% endmacro %}
        """
    )

    def __init__(self, key: str, items: list[dict]):
        super().__init__()
        self._name = "PointItems"
        self.key_json = script_json(key)
        self.items_json = script_json(items)
        self.count = len(items)


class DataLayer(Layer):
    """A GeoJSON layer drawn by ``GQ.geojson`` (class styles, escaped popups in ``_p``/``_t``)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = GQ.geojson(
                {{ this.key_json }}, {{ this.data_json }}, {{ this.options_json }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        key: str,
        name: str,
        data: dict,
        options: dict,
        *,
        overlay: bool = True,
        show: bool = True,
        control: bool = True,
    ):
        super().__init__(name=name, overlay=overlay, control=control, show=show)
        self._name = "DataLayer"
        self.key = key
        self.key_json = script_json(key)
        self.data_json = script_json(data)
        self.options_json = script_json(options)
        self.count = len(data.get("features", []))


class PageStart(MacroElement):
    """Starts the page script once every layer exists: legend, opening status, basemap."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            GQ.start({{ this._parent.get_name() }});
            GQ.legend({{ this._parent.get_name() }}, {{ this.legend_json }});
            GQ.fit();
            GQ.basemap({{ this._parent.get_name() }},
                       {{ this.tiles.get_name() if this.tiles else 'null' }},
                       {{ this.vector.get_name() }}, "gq-tile-notice");
        {% endmacro %}
        """
    )

    def __init__(self, legend_html: str, tiles: Layer | None, vector: Layer):
        super().__init__()
        self._name = "PageStart"
        self.legend_json = script_json(legend_html)
        self.tiles = tiles
        self.vector = vector


__all__ = [
    "DataLayer",
    "ExternalAssetError",
    "OfflineMap",
    "OfflineMarkerCluster",
    "OfflinePage",
    "PageStart",
    "PointItems",
]
