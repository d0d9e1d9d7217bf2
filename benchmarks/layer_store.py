"""Layer store benchmark: the GeoPackage (baseline) against PostGIS, on Lauf's real layers.

Imports Lauf an der Pegnitz from the real data into a temporary GeoPackage (offline),
then times on both backends, in the same process: replacing the quartier's rows of every
layer in one batch (``write_many``), reading every layer, reading the buildings within a
500 m box around the quartier's centre (``bbox``), and the change-counter check the
server makes on every request (``version``). Prints a markdown table with the median of
``--repeat`` runs and the ratio PostGIS / GeoPackage.

Usage::

    GEOQUARTIER_TEST_DATABASE_URL=postgresql://... python benchmarks/layer_store.py [--repeat 3]

``.ci/postgis start`` prints such a URL for a throw-away cluster. The benchmark works in
its own PostgreSQL schema, dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path


def _median_s(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _import_lauf(root: Path):
    from geoquartier.importer import import_quartier
    from geoquartier.layers.store import GeoPackageStore
    from geoquartier.registry import load_registry

    store = GeoPackageStore(root / "source.gpkg")
    import_quartier(load_registry()["lauf"], store, progress=False, online=False)
    return {layer: store.read(layer) for layer in store.layers()}


def _box_around(frames) -> tuple[float, float, float, float]:
    centre = frames["quartiers"].to_crs("EPSG:25832").geometry.iloc[0].centroid
    import geopandas as gpd
    from shapely.geometry import box

    metric = box(centre.x - 250, centre.y - 250, centre.x + 250, centre.y + 250)
    return tuple(gpd.GeoSeries([metric], crs="EPSG:25832").to_crs("EPSG:4326").total_bounds)


def _measure(store, frames, bbox, repeat: int) -> dict[str, float]:
    store.write_many(frames, quartier="lauf")  # first write creates the tables / file
    layers = list(frames)
    return {
        "write_many (replace Lauf, all layers)": _median_s(
            lambda: store.write_many(frames, quartier="lauf"), repeat
        ),
        "read every layer": _median_s(lambda: [store.read(layer) for layer in layers], repeat),
        "read buildings in a 500 m box": _median_s(
            lambda: store.read("buildings", bbox=bbox), repeat
        ),
        "version() x 100 (per-request check)": _median_s(
            lambda: [store.version() for _ in range(100)], repeat
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    url = os.environ.get("GEOQUARTIER_TEST_DATABASE_URL")
    if not url:
        raise SystemExit('set GEOQUARTIER_TEST_DATABASE_URL (e.g. eval "$(.ci/postgis start)")')

    import psycopg
    from psycopg import sql

    from geoquartier.layers.postgis import PostGISStore
    from geoquartier.layers.store import GeoPackageStore

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        frames = _import_lauf(root)
        bbox = _box_around(frames)
        rows = sum(len(gdf) for gdf in frames.values())
        baseline = _measure(GeoPackageStore(root / "bench.gpkg"), frames, bbox, args.repeat)
        try:
            postgis = _measure(PostGISStore(url, schema=schema), frames, bbox, args.repeat)
        finally:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
                )
    print(f"Lauf: {len(frames)} layers, {rows:,} features; median of {args.repeat} runs\n")
    print("| operation | GeoPackage (baseline) s | PostGIS s | PostGIS / GeoPackage |")
    print("|---|---:|---:|---:|")
    for name, base_s in baseline.items():
        print(f"| {name} | {base_s:.3f} | {postgis[name]:.3f} | {postgis[name] / base_s:.2f} |")


if __name__ == "__main__":
    main()
