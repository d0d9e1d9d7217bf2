"""Benchmark of reading the Destatis Zensus 2022 grid CSV for one quartier.

The Destatis 100 m population CSV covers all of Germany (~3.1 million rows). The shared
data holds only Magdeburg's 4,531 real cells, so the scale file is SYNTHETIC: those rows
repeated with shifted coordinates (and ids) until it has about as many rows as the real
file; one copy stays in place, so Neu Olvenstedt's 179 real cells are in it. It is
written to a temporary folder and deleted afterwards.

Compared, in the same run, on the same file, for the Neu Olvenstedt boundary:

* geoquartier ``read_zensus_csv``: pandas chunks of 250,000 rows, bounding-box filter per
  chunk, squares built only for the cells kept;
* baseline: ``pandas.read_csv`` of the whole file at once (numeric columns), then the
  same filter and squares — what one writes first.

    python benchmarks/zensus_csv.py [--copies 684]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geoquartier.config import STORAGE_CRS, data_dir
from geoquartier.layers.sources.boundary import read_boundary
from geoquartier.layers.sources.zensus import ZENSUS_CRS, read_zensus_csv

MD = data_dir() / "neu_olvenstedt_magdeburg"


def write_scale_file(target: Path, copies: int) -> int:
    """Write the SYNTHETIC scale file; returns its number of data rows."""
    cells = gpd.read_file(MD / "magdeburg_zensus2022_bevoelkerung_100m_epsg3035.geojson")
    rows = list(
        zip(cells["xmin"].astype(int), cells["ymin"].astype(int), cells["einwohner"], strict=True)
    )
    count = 0
    with target.open("w", encoding="utf-8") as out:
        out.write("GITTER_ID_100m;x_mp_100m;y_mp_100m;Einwohner\n")
        for k in range(copies):
            dx, dy = (k % 30) * 20_000, (k // 30) * 20_000  # k = 0: the real place
            lines = [
                f"CRS3035RES100mN{y + dy}E{x + dx};{x + dx + 50};{y + dy + 50};{int(n)}\n"
                for x, y, n in rows
            ]
            out.writelines(lines)
            count += len(lines)
    return count


def baseline(path: Path, boundary) -> gpd.GeoDataFrame:
    """Whole file into memory, then bounding box, centre-in-polygon, squares."""
    table = pd.read_csv(path, sep=";")
    area = gpd.GeoSeries([boundary], crs=STORAGE_CRS).to_crs(ZENSUS_CRS).iloc[0]
    minx, miny, maxx, maxy = area.bounds
    x, y = table["x_mp_100m"], table["y_mp_100m"]
    table = table[(x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)]
    table = table[shapely.contains_xy(area, table["x_mp_100m"], table["y_mp_100m"])]
    squares = shapely.box(
        table["x_mp_100m"] - 50,
        table["y_mp_100m"] - 50,
        table["x_mp_100m"] + 50,
        table["y_mp_100m"] + 50,
    )
    return gpd.GeoDataFrame(table, geometry=squares, crs=ZENSUS_CRS).to_crs(STORAGE_CRS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=684, help="copies of the Magdeburg rows")
    args = parser.parse_args()
    boundary = read_boundary(MD / "neu_olvenstedt_boundary_osm.geojson")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scale_SYNTHETIC.csv"
        rows = write_scale_file(path, args.copies)
        size_mb = path.stat().st_size / 1e6
        start = time.perf_counter()
        ours = read_zensus_csv(path, "neu-olvenstedt", boundary)
        ours_s = time.perf_counter() - start
        start = time.perf_counter()
        base = baseline(path, boundary)
        base_s = time.perf_counter() - start
    assert len(ours) == len(base) == 179 and int(ours["residents"].sum()) == 11677
    print(f"Zensus CSV, SYNTHETIC scale file: {rows:,} rows, {size_mb:.0f} MB; Neu Olvenstedt")
    print("| reader | cells | residents | seconds | ratio to baseline |")
    print("|---|---:|---:|---:|---:|")
    table = [
        ("pandas.read_csv whole file (baseline)", base, "Einwohner", base_s),
        ("geoquartier read_zensus_csv (chunks)", ours, "residents", ours_s),
    ]
    for name, frame, column, seconds in table:
        ratio = base_s / seconds
        residents = int(frame[column].sum())
        print(f"| {name} | {len(frame)} | {residents:,} | {seconds:.2f} | {ratio:.2f}× |")


if __name__ == "__main__":
    main()
