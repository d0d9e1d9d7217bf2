"""QGIS styles stored inside a GeoPackage, so that a layer opens coloured in QGIS.

QGIS reads a layer's default style from the GeoPackage table ``layer_styles`` (one row per
style: ``f_table_name``, ``f_geometry_column``, ``styleName``, ``styleQML``,
``useAsDefault``, ...); the other styles of a layer are offered under Layer Properties →
Symbology → Style → Load Style → From Database. :func:`graduated_qml` writes a graduated
renderer as QML, :func:`write_layer_styles` stores styles in that table (created and
registered in ``gpkg_contents`` as QGIS does when missing).
"""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from geoquartier.errors import GeoquartierError

MISSING_VALUE = 1_000_000.0
"""Value a missing (NULL) attribute takes in :func:`graduated_qml`, so that features
without a value get a class (and a colour) of their own."""

OPEN_TOP = 999_999.0
"""Upper end of the last open class (``more than ...``) of :func:`graduated_qml`."""

LAYER_STYLES_DDL = """
CREATE TABLE IF NOT EXISTS layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256),
    f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT,
    useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
    update_time DATETIME DEFAULT CURRENT_TIMESTAMP
)"""
"""The ``layer_styles`` table as QGIS creates it in a GeoPackage."""


@dataclass(frozen=True)
class LayerStyle:
    """One QGIS style of a layer: its name, QML and a short description."""

    name: str
    qml: str
    description: str = ""


def _number(value: float) -> str:
    """A number as QGIS expressions and range bounds read it (no exponent)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _hex_to_qgis(colour: str) -> str:
    """``#rrggbb`` → QGIS colour ``r,g,b,255``."""
    text = colour.lstrip("#")
    if len(text) != 6:
        raise GeoquartierError(f"colour {colour!r}: expected #rrggbb")
    return ",".join(str(int(text[i : i + 2], 16)) for i in (0, 2, 4)) + ",255"


def _symbol(parent: ET.Element, name: str, colour: str, geometry_type: str) -> None:
    polygon = "Polygon" in geometry_type
    symbol = ET.SubElement(
        parent,
        "symbol",
        {"type": "fill" if polygon else "marker", "name": name, "alpha": "1"},
    )
    layer = ET.SubElement(
        symbol,
        "layer",
        {"class": "SimpleFill" if polygon else "SimpleMarker", "enabled": "1", "pass": "0"},
    )
    props = {"color": _hex_to_qgis(colour), "outline_color": "80,80,80,255"}
    if polygon:
        props |= {"style": "solid", "outline_width": "0.1", "outline_width_unit": "MM"}
    else:
        props |= {"name": "circle", "size": "2.2", "size_unit": "MM", "outline_width": "0.1"}
    for key, value in props.items():
        ET.SubElement(layer, "prop", {"k": key, "v": value})


def graduated_qml(
    column: str,
    bounds: Sequence[float],
    colours: Sequence[str],
    labels: Sequence[str],
    *,
    missing_colour: str,
    missing_label: str,
    geometry_type: str = "Point",
) -> str:
    """QML of a graduated renderer on ``column``: class ``i`` holds values up to
    ``bounds[i]`` (the first from 0), a last class everything above ``bounds[-1]``, and a
    class of its own the features without a value (``coalesce(column, MISSING_VALUE)``).

    ``colours`` and ``labels`` (``#rrggbb`` and legend texts) have ``len(bounds) + 1``
    entries; ``geometry_type`` (``Point`` or ``Polygon``...) chooses markers or fills.
    """
    if not (len(colours) == len(labels) == len(bounds) + 1):
        raise GeoquartierError("graduated_qml: need one colour and one label per class")
    root = ET.Element("qgis", {"version": "3.28.0", "styleCategories": "Symbology"})
    renderer = ET.SubElement(
        root,
        "renderer-v2",
        {
            "type": "graduatedSymbol",
            "attr": f'coalesce("{column}", {_number(MISSING_VALUE)})',
            "graduatedMethod": "GraduatedColor",
            "symbollevels": "0",
            "enableorderby": "0",
            "forceraster": "0",
        },
    )
    ranges = ET.SubElement(renderer, "ranges")
    symbols = ET.SubElement(renderer, "symbols")
    edges = [0.0, *map(float, bounds), OPEN_TOP]
    classes = list(zip(edges[:-1], edges[1:], colours, labels, strict=True))
    classes.append((MISSING_VALUE, MISSING_VALUE, missing_colour, missing_label))
    for i, (low, high, colour, label) in enumerate(classes):
        ET.SubElement(
            ranges,
            "range",
            {"lower": _number(low), "upper": _number(high), "symbol": str(i), "label": label},
        )
        _symbol(symbols, str(i), colour, geometry_type)
    ET.SubElement(root, "layerGeometryType").text = "2" if "Polygon" in geometry_type else "0"
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body


def write_layer_styles(
    gpkg: str | Path, table: str, styles: Sequence[LayerStyle], default: str
) -> None:
    """Store ``styles`` for the layer ``table`` of the GeoPackage ``gpkg`` in its
    ``layer_styles`` table (replacing the layer's earlier styles); the style named
    ``default`` is the one QGIS applies when the layer is opened."""
    path = Path(gpkg)
    if default not in {s.name for s in styles}:
        raise GeoquartierError(f"default style {default!r} is not among the styles given")
    con = sqlite3.connect(path)
    try:
        row = con.execute(
            "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (table,)
        ).fetchone()
        if row is None:
            raise GeoquartierError(f"{path.name}: no layer {table!r} with geometry")
        with con:
            con.execute(LAYER_STYLES_DDL)
            con.execute(
                "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier) "
                "VALUES ('layer_styles', 'attributes', 'layer_styles')"
            )
            con.execute("DELETE FROM layer_styles WHERE f_table_name = ?", (table,))
            con.executemany(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
                "owner, ui) VALUES ('', '', ?, ?, ?, ?, '', ?, ?, '', '')",
                [
                    (table, row[0], s.name, s.qml, int(s.name == default), s.description)
                    for s in styles
                ],
            )
    finally:
        con.close()
