"""Transit stops from a GTFS feed (``stops.txt`` in a zip file or a folder).

The ``stops`` layer holds the GTFS *stop points*: rows with ``location_type`` 0 or
empty, the places where passengers board (a bus stop pole, a tram platform). Stations
(``location_type`` 1), entrances (2), generic nodes (3) and boarding areas (4) are left
out: a station only groups its stop points, and walking access is measured to the point
where one boards. ``wheelchair_boarding`` becomes ``wheelchair``: 1 → ``yes``, 2 → ``no``,
0/empty → the parent station's value, else empty (unknown).

``id`` is ``<quartier>:gtfs-<stop_id>`` and ``source`` ``gtfs:<feed file name>:<stop_id>``.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from geoquartier.errors import GeoquartierError
from geoquartier.layers.sources._common import frame, require_file, text

REQUIRED_COLUMNS = ("stop_id", "stop_name", "stop_lat", "stop_lon")
_WHEELCHAIR = {"1": "yes", "2": "no"}


def read_stops_table(path: str | Path) -> pd.DataFrame:
    """``stops.txt`` of a GTFS feed (zip file or folder) as a table of strings."""
    path = require_file(path, "GTFS feed")
    try:
        if path.is_dir():
            raw = require_file(path / "stops.txt", "GTFS stops.txt").read_bytes()
        else:
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist() if n.rsplit("/", 1)[-1] == "stops.txt"]
                if not names:
                    raise GeoquartierError(f"{path}: the GTFS zip holds no stops.txt")
                raw = archive.read(names[0])
    except zipfile.BadZipFile as exc:
        raise GeoquartierError(f"{path}: not a GTFS zip file or folder ({exc})") from exc
    table = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    table.columns = [c.strip() for c in table.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise GeoquartierError(f"{path}: stops.txt lacks the column(s) {', '.join(missing)}")
    return table


def read_gtfs_stops(
    path: str | Path, quartier: str, boundary: BaseGeometry | None = None
) -> gpd.GeoDataFrame:
    """The ``stops`` layer (points, EPSG:4326 — GTFS coordinates are WGS84) from a GTFS
    feed; ``boundary`` (EPSG:4326) keeps the stop points inside it (None keeps all)."""
    path = Path(path)
    table = read_stops_table(path)
    kind = table["location_type"].str.strip() if "location_type" in table else ""
    parents = {}
    if "wheelchair_boarding" in table:
        parents = dict(zip(table["stop_id"], table["wheelchair_boarding"].str.strip(), strict=True))
    points = table[(kind == "") | (kind == "0")] if "location_type" in table else table
    records = []
    for i, row in enumerate(points.to_dict("records")):
        try:
            lon, lat = float(row["stop_lon"]), float(row["stop_lat"])
        except ValueError:
            raise GeoquartierError(
                f"{path}: stops.txt row {i + 2} (stop_id {row['stop_id']!r}) has no valid "
                f"stop_lat/stop_lon ({row['stop_lat']!r}, {row['stop_lon']!r})"
            ) from None
        boarding = (row.get("wheelchair_boarding") or "").strip()
        if boarding in ("", "0"):
            boarding = parents.get((row.get("parent_station") or "").strip(), "")
        records.append(
            {
                "id": f"{quartier}:gtfs-{row['stop_id']}",
                "quartier": quartier,
                "name": text(row["stop_name"]) or row["stop_id"],
                "wheelchair": _WHEELCHAIR.get(boarding),
                "source": f"gtfs:{path.name}:{row['stop_id']}",
                "geometry": Point(lon, lat),
            }
        )
    stops = frame(records, "stops")
    if boundary is not None:
        stops = stops[stops.within(boundary)].reset_index(drop=True)
    return stops
