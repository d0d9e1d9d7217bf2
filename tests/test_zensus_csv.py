"""The Destatis Zensus 2022 grid CSV (GITTER_ID_100m;x_mp_100m;y_mp_100m;Einwohner).

The test writes the CSV from the real Magdeburg cells of the shared data
(``magdeburg_zensus2022_bevoelkerung_100m_epsg3035.geojson``, 4,531 cells) in the
download format: the same cell ids, the cell centres in EPSG:3035, the residents. Neu
Olvenstedt must give what the GeoJSON path gives: 179 cells, 11,677 residents.
"""

from __future__ import annotations

import zipfile

import geopandas as gpd
import pytest
from typer.testing import CliRunner

from geoquartier.cli import app
from geoquartier.config import data_dir
from geoquartier.errors import GeoquartierError
from geoquartier.layers.sources import zensus
from geoquartier.layers.sources.boundary import read_boundary
from geoquartier.layers.store import GeoPackageStore

MD = data_dir() / "neu_olvenstedt_magdeburg"
GRID = MD / "magdeburg_zensus2022_bevoelkerung_100m_epsg3035.geojson"
BOUNDARY = MD / "neu_olvenstedt_boundary_osm.geojson"
HEADER = "GITTER_ID_100m;x_mp_100m;y_mp_100m;Einwohner"


@pytest.fixture(scope="module")
def cells():
    return gpd.read_file(GRID)


def _rows(cells) -> list[str]:
    return [
        f"{gid};{int(x0) + 50};{int(y0) + 50};{int(n)}"
        for gid, x0, y0, n in zip(
            cells["grid_id"], cells["xmin"], cells["ymin"], cells["einwohner"], strict=True
        )
    ]


@pytest.fixture(scope="module")
def csv_path(cells, tmp_path_factory):
    path = tmp_path_factory.mktemp("zensus") / "Zensus2022_Bevoelkerungszahl_100m-Gitter.csv"
    path.write_text("\n".join([HEADER, *_rows(cells)]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def boundary():
    return read_boundary(BOUNDARY)


def test_geojson_path_gives_179_cells_and_11677_residents(boundary):
    grid = zensus.read_zensus_grid(GRID, "neu-olvenstedt", boundary)
    assert (len(grid), int(grid["residents"].sum())) == (179, 11677)


def test_csv_gives_the_same_cells_as_the_geojson(csv_path, boundary):
    from_csv = zensus.read_zensus_csv(csv_path, "neu-olvenstedt", boundary, chunk_rows=500)
    assert (len(from_csv), int(from_csv["residents"].sum())) == (179, 11677)
    assert from_csv.attrs["rows_read"] == 4531  # every chunk of the file was read
    assert from_csv.attrs["suppressed_cells"] == 0
    grid = zensus.read_zensus_grid(GRID, "neu-olvenstedt", boundary)
    assert set(from_csv["id"]) == set(grid["id"])
    squares = from_csv.set_index("id").geometry.to_crs(3035)
    original = grid.set_index("id").geometry.to_crs(3035)
    worst = max(squares[i].symmetric_difference(original[i]).area for i in original.index)
    assert worst < 1e-3  # m²: the same 100 m squares
    assert from_csv.crs.to_epsg() == 4326


def test_suppressed_and_bracketed_values(cells, boundary, tmp_path):
    """Destatis marks: '–' (not published), empty, '.', and KLAMMERN (limited reliability).
    SYNTHETIC variation of the real file: the values of four real Neu Olvenstedt cells
    are replaced by these marks to test how they are read."""
    inside = zensus.read_zensus_grid(GRID, "q", boundary)
    ids = [s.removeprefix("zensus2022:") for s in inside["source"][:4]]
    header = HEADER + ";werterlaeuternde_Zeichen"
    marks = {ids[0]: ("–", ""), ids[1]: ("", ""), ids[2]: (".", ""), ids[3]: ("7", "KLAMMERN")}
    lines = [header]
    for row in _rows(cells):
        gid = row.split(";")[0]
        value, flag = marks.get(gid, (row.rsplit(";", 1)[1], ""))
        lines.append(f"{row.rsplit(';', 1)[0]};{value};{flag}")
    path = tmp_path / "grid.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    read = zensus.read_zensus_csv(path, "q", boundary)
    assert len(read) == 179 - 3
    assert read.attrs["suppressed_cells"] == 3
    assert read.attrs["uncertain_cells"] == 1
    assert int(read.loc[read["source"] == f"zensus2022:{ids[3]}", "residents"].iloc[0]) == 7


def test_zip_download_and_ids_without_coordinates(cells, boundary, csv_path, tmp_path):
    archive = tmp_path / "Zensus2022_Bevoelkerungszahl.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(csv_path, "Zensus2022_Bevoelkerungszahl_100m-Gitter.csv")
    from_zip = zensus.read_zensus_csv(archive, "q", boundary)
    assert (len(from_zip), int(from_zip["residents"].sum())) == (179, 11677)
    ids_only = tmp_path / "ids.csv"
    ids_only.write_text(
        "GITTER_ID_100m;Einwohner\n"
        + "\n".join(
            f"{g};{int(n)}" for g, n in zip(cells["grid_id"], cells["einwohner"], strict=True)
        )
        + "\n",
        encoding="utf-8",
    )
    from_ids = zensus.read_zensus_csv(ids_only, "q", boundary)
    assert (len(from_ids), int(from_ids["residents"].sum())) == (179, 11677)


def test_wrong_csv_names_the_columns(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a;b;c\n1;2;3\n", encoding="utf-8")
    with pytest.raises(GeoquartierError, match=r"other\.csv: not a Zensus 2022 grid CSV.*a, b, c"):
        zensus.read_zensus_csv(path, "q")


def test_import_zensus_cli_reads_the_csv(csv_path, tmp_path):
    workspace = tmp_path / "ws.gpkg"
    result = CliRunner().invoke(
        app,
        [
            "import-zensus",
            str(csv_path),
            "--quartier",
            "neu-olvenstedt",
            "--boundary",
            str(BOUNDARY),
            "--workspace",
            str(workspace),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "179 grid cells, 11,677 residents" in result.output
    stored = GeoPackageStore(workspace).read("population", quartier="neu-olvenstedt")
    assert int(stored["residents"].sum()) == 11677


def test_registry_zensus_csv_source_in_the_pipeline(csv_path, tmp_path):
    from geoquartier.importer import import_quartier
    from geoquartier.registry import load_registry

    registry = tmp_path / "quartiers.toml"
    registry.write_text(
        '[quartiers.no]\nname = "Neu Olvenstedt"\ncity = "Magdeburg"\nstate = "DE-ST"\n'
        'mode = "estimate"\n[quartiers.no.sources]\n'
        f'boundary = "{BOUNDARY.as_posix()}"\nzensus_csv = "./{csv_path.name}"\n',
        encoding="utf-8",
    )
    (tmp_path / csv_path.name).write_bytes(csv_path.read_bytes())
    spec = load_registry(registry)["no"]
    summary = import_quartier(spec, GeoPackageStore(tmp_path / "ws.gpkg"), progress=False)
    assert summary.residents == 11677
    assert summary.counts["population"] == 179
