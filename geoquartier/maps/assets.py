"""Leaflet and plugin assets, read from the npm packages and inlined into the page.

The packages are pinned in ``package.json`` / ``package-lock.json`` at the project root and
installed with ``npm ci`` into ``node_modules/``. Nothing is fetched at view time: scripts
and stylesheets are inlined, and the images the stylesheets reference become ``data:``
URIs, so a saved map opens from ``file://`` with no network at all.

The location of ``node_modules`` can be set with ``GEOQUARTIER_NODE_MODULES``.
"""

from __future__ import annotations

import base64
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from geoquartier.config import PROJECT_ROOT
from geoquartier.errors import DataMissingError
from geoquartier.settings import get_settings

STATIC_DIR = Path(__file__).resolve().parent / "static"
"""This package's own JavaScript and CSS (opening-hours clock, tile fallback, layout)."""

_MIME = {".png": "image/png", ".svg": "image/svg+xml", ".gif": "image/gif"}


@dataclass(frozen=True)
class Asset:
    """One script or stylesheet of an npm package: ``package`` and its ``path`` inside it."""

    package: str
    path: str
    kind: str  # "js" or "css"


LEAFLET = (Asset("leaflet", "dist/leaflet.css", "css"), Asset("leaflet", "dist/leaflet.js", "js"))
MARKERCLUSTER = (
    Asset("leaflet.markercluster", "dist/MarkerCluster.css", "css"),
    Asset("leaflet.markercluster", "dist/MarkerCluster.Default.css", "css"),
    Asset("leaflet.markercluster", "dist/leaflet.markercluster.js", "js"),
)
DRAW = (
    Asset("leaflet-draw", "dist/leaflet.draw.css", "css"),
    Asset("leaflet-draw", "dist/leaflet.draw.js", "js"),
)
BUNDLES = {"leaflet": LEAFLET, "markercluster": MARKERCLUSTER, "draw": DRAW}
"""Asset bundles by name; ``leaflet`` must come first in a page."""


def node_modules_dir() -> Path:
    """The ``node_modules`` folder holding the map assets (``npm ci`` at the project root)."""
    return get_settings().node_modules_dir


def _package_file(package: str, path: str) -> Path:
    root = node_modules_dir()
    file = root / package / path
    if not file.is_file():
        raise DataMissingError(
            f"map asset {package}/{path} not found in {root}: run 'npm ci' in {PROJECT_ROOT} "
            "(or set GEOQUARTIER_NODE_MODULES)"
        )
    return file


def data_uri(file: Path) -> str:
    """The file as a ``data:`` URI (base64), for images referenced by inlined CSS."""
    mime = _MIME.get(file.suffix.lower())
    if mime is None:
        raise ValueError(f"no MIME type known for {file.name}")
    return f"data:{mime};base64,{base64.b64encode(file.read_bytes()).decode('ascii')}"


_CSS_URL = re.compile(r"url\(\s*(['\"]?)([^'\")]+)\1\s*\)")
_SOURCE_MAP = re.compile(r"^\s*/[/*][#@]\s*sourceMappingURL=.*$", re.MULTILINE)


def _inline_css_urls(css: str, base: Path) -> str:
    def repl(match: re.Match) -> str:
        target = match.group(2)
        if target.startswith(("data:", "#")):
            return match.group(0)
        file = (base / target).resolve()
        if not file.is_file():
            raise DataMissingError(f"image {target} referenced by {base} not found")
        return f'url("{data_uri(file)}")'

    return _CSS_URL.sub(repl, css)


@functools.cache
def asset_text(asset: Asset) -> str:
    """The asset's text, ready to inline: source-map comments removed, CSS images as data URIs."""
    file = _package_file(asset.package, asset.path)
    text = _SOURCE_MAP.sub("", file.read_text(encoding="utf-8"))
    if asset.kind == "css":
        text = _inline_css_urls(text, file.parent)
    return text


@functools.cache
def leaflet_default_icon_script() -> str:
    """JS that points Leaflet's default marker icon at inlined images (no path detection)."""
    images = _package_file("leaflet", "dist/images/marker-icon.png").parent
    return (
        "L.Icon.Default.imagePath='';L.Icon.Default.mergeOptions({"
        f"iconUrl:'{data_uri(images / 'marker-icon.png')}',"
        f"iconRetinaUrl:'{data_uri(images / 'marker-icon-2x.png')}',"
        f"shadowUrl:'{data_uri(images / 'marker-shadow.png')}'}});"
    )


def static_text(name: str) -> str:
    """Text of one of this package's own static files (``static/<name>``)."""
    return (STATIC_DIR / name).read_text(encoding="utf-8")


def _script_safe(text: str) -> str:
    # A library never legitimately contains "</script" inside an inline script; guard anyway.
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)


def inline_tags(bundles: tuple[str, ...] = ("leaflet", "markercluster")) -> str:
    """``<style>`` and ``<script>`` tags with the named bundles inlined, in order."""
    unknown = [b for b in bundles if b not in BUNDLES]
    if unknown:
        raise ValueError(f"unknown asset bundle(s) {unknown}; known: {sorted(BUNDLES)}")
    parts: list[str] = []
    for name in bundles:
        for asset in BUNDLES[name]:
            text = asset_text(asset)
            if asset.kind == "css":
                parts.append(f'<style data-asset="{asset.package}/{asset.path}">\n{text}\n</style>')
            else:
                tag = f'<script data-asset="{asset.package}/{asset.path}">'
                parts.append(f"{tag}\n{_script_safe(text)}\n</script>")
        if name == "leaflet":
            parts.append(f"<script>{leaflet_default_icon_script()}</script>")
    return "\n".join(parts)
