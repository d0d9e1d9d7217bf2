"""``geoquartier quartiers add / remove / show`` on a copy of the real registry, through
Typer's CliRunner: entries are written with comments and order kept, and every mistake
leaves the registry file byte-for-byte as it was."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import geopandas as gpd
import pytest
from osm_boundaries import features_of, write_boundary_relations
from shapely.geometry import box, shape
from typer.testing import CliRunner

from geoquartier.cli import app
from geoquartier.config import PROJECT_ROOT, data_dir
from geoquartier.layers.sources.boundary import area_km2, read_boundary
from geoquartier.registry import load_registry
from geoquartier.settings import reload_settings

REGISTRY = PROJECT_ROOT / "data" / "quartiers.toml"
PBF = data_dir() / "lauf_an_der_pegnitz" / "lauf_an_der_pegnitz_osm.osm.pbf"
MD = data_dir() / "neu_olvenstedt_magdeburg"
STADTTEILE = MD / "magdeburg_stadtteile_osm.geojson"
PART_OF_LAUF = box(11.2720, 49.5080, 11.2900, 49.5200)  # the old town around the Rathaus
runner = CliRunner()


def _geojson(path: Path, geometry) -> Path:
    feature = {"type": "Feature", "properties": {}, "geometry": geometry.__geo_interface__}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), "utf-8")
    return path


@pytest.fixture
def registry(tmp_path, monkeypatch):
    """A copy of the project's registry as GEOQUARTIER_REGISTRY."""
    target = tmp_path / "quartiers.toml"
    shutil.copyfile(REGISTRY, target)
    monkeypatch.setenv("GEOQUARTIER_REGISTRY", str(target))
    monkeypatch.setenv("GEOQUARTIER_WORKSPACE", str(tmp_path / "ws.gpkg"))
    reload_settings()
    return target


@pytest.fixture
def part(tmp_path):
    return _geojson(tmp_path / "lauf-mitte.geojson", PART_OF_LAUF)


def _add(*args: str):
    return runner.invoke(app, ["quartiers", "add", *args])


def _lauf_args(quartier: str, boundary: Path, *extra: str) -> list[str]:
    return [
        quartier,
        "--name",
        "Lauf Mitte",
        "--city",
        "Lauf an der Pegnitz",
        "--state",
        "DE-BY",
        "--boundary",
        str(boundary),
        "--osm",
        str(PBF),
        *extra,
    ]


def test_add_appends_the_entry_and_keeps_the_file(registry, part):
    before = registry.read_bytes()
    result = _add(
        *_lauf_args(
            "lauf-mitte",
            part,
            "--office",
            "Rathaus Lauf; Urlasstraße 22, 91207 Lauf an der Pegnitz; Mo-Fr 08:00-12:00; PH off",
            "--programme",
            "Soziale Stadt",
            "--population",
            "7200",
        )
    )
    assert result.exit_code == 0, result.output
    assert "added to" in result.output and "next: geoquartier import lauf-mitte" in result.output
    after = registry.read_bytes()
    assert after.startswith(before)  # everything before stays, byte for byte
    added = after[len(before) :].decode()
    assert "\n# ---" in added and "[quartiers.lauf-mitte]" in added
    specs = load_registry(registry)
    assert list(specs)[-1] == "lauf-mitte" and list(specs)[:-1] == list(load_registry(REGISTRY))
    spec = specs["lauf-mitte"]
    assert (spec.state, spec.programme, spec.population, spec.mode) == (
        "DE-BY",
        "Soziale Stadt",
        7200,
        "network",
    )
    assert spec.sources["boundary"] == "./lauf-mitte.geojson"  # beside the registry
    assert spec.sources["osm_extract"] == "lauf_an_der_pegnitz/lauf_an_der_pegnitz_osm.osm.pbf"
    assert spec.source_path("osm_extract") == PBF
    assert spec.boundary.equals(PART_OF_LAUF)
    office = spec.office_entries[0]
    assert office["id"] == "lauf-mitte-rathaus-lauf"
    assert office["opening_hours"] == "Mo-Fr 08:00-12:00; PH off"
    assert office["location"] == {"address": "Urlasstraße 22, 91207 Lauf an der Pegnitz"}
    listing = runner.invoke(app, ["quartiers"])
    assert listing.exit_code == 0 and "lauf-mitte       Lauf Mitte — Lauf an der Pegnitz" in (
        listing.output
    )
    assert listing.output.splitlines()[0].startswith("neu-olvenstedt   Neu Olvenstedt")


def test_add_then_remove_gives_back_the_same_bytes(registry, part):
    before = registry.read_bytes()
    assert _add(*_lauf_args("lauf-mitte", part)).exit_code == 0
    result = runner.invoke(app, ["quartiers", "remove", "lauf-mitte", "--yes"])
    assert result.exit_code == 0, result.output
    assert registry.read_bytes() == before


def test_boundary_elsewhere_is_stored_absolute_and_gpkg_is_reprojected(registry, tmp_path):
    elsewhere = tmp_path.parent / f"{tmp_path.name}-other"
    elsewhere.mkdir()
    gpkg = elsewhere / "part.gpkg"
    gpd.GeoDataFrame(geometry=[PART_OF_LAUF], crs=4326).to_crs(25832).to_file(gpkg)
    result = _add(*_lauf_args("lauf-gpkg", gpkg))
    assert result.exit_code == 0, result.output
    spec = load_registry(registry)["lauf-gpkg"]
    assert spec.sources["boundary"] == gpkg.resolve().as_posix()
    assert spec.boundary.symmetric_difference(PART_OF_LAUF).area < 1e-10


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    point = tmp_path / "point.geojson"
    point.write_text(
        '{"type": "Feature", "properties": {}, '
        '"geometry": {"type": "Point", "coordinates": [11.28, 49.51]}}',
        encoding="utf-8",
    )
    bowtie = tmp_path / "bowtie.geojson"
    bowtie.write_text(
        '{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": '
        "[[[11.27, 49.50], [11.29, 49.52], [11.29, 49.50], [11.27, 49.52], [11.27, 49.50]]]}}",
        encoding="utf-8",
    )
    grid = tmp_path / "grid.txt"
    grid.write_text("x", encoding="utf-8")
    return {"point": point, "bowtie": bowtie, "grid": grid}


BAD_ADDS = [
    ("unknown state", ["--state", "DE-XX"], "'DE-XX' is not a German state"),
    ("state without DE-", ["--state", "NW"], "not a German state"),
    ("id taken", ["@id", "lauf"], "'lauf' is already in the registry"),
    ("id not a slug", ["@id", "Lauf Mitte"], "is not a slug.*'lauf-mitte'"),
    ("boundary a point", ["--boundary", "@point"], "holds no Polygon.*found Point"),
    ("boundary invalid", ["--boundary", "@bowtie"], "not a valid polygon.*Self-intersection"),
    ("boundary missing", ["--boundary", "@missing"], "boundary file .*nowhere.geojson not found"),
    ("osm missing", ["--osm", "@missing-osm"], "--osm file .*nowhere.osm.pbf not found"),
    ("osm not osm", ["--osm", "@point"], "unknown OSM file type"),
    (
        "boundary outside the OSM file",
        ["--boundary", str(MD / "neu_olvenstedt_boundary_osm.geojson")],
        "lies outside the area of the OSM file",
    ),
    (
        "office hours invalid",
        ["--office", "Büro; Urlasstraße 22, Lauf; Montags 9 bis 12"],
        "opening hours 'Montags 9 bis 12' are not valid OSM opening_hours",
    ),
    ("office without name", ["--office", "; Urlasstraße 22, Lauf"], "give at least a name"),
    (
        "office address unreadable",
        ["--office", "Büro; irgendwo; Mo 10:00-12:00"],
        "address 'irgendwo' should look like",
    ),
    ("boundary and admin", ["--admin", "Lauf"], "either as --boundary FILE or as --admin NAME"),
    ("zensus wrong type", ["--zensus", "@grid"], "--zensus file .*grid.txt: expected"),
    ("population negative", ["--population", "-5"], "--population must be a whole number"),
]


@pytest.mark.parametrize(("case", "change", "message"), BAD_ADDS, ids=[c[0] for c in BAD_ADDS])
def test_every_mistake_is_one_line_and_leaves_the_file_untouched(
    registry, part, tmp_path, case, change, message
):
    files = _bad_files(tmp_path)
    files["missing"] = tmp_path / "nowhere.geojson"
    files["missing-osm"] = tmp_path / "nowhere.osm.pbf"
    args = _lauf_args("lauf-mitte", part)
    option, value = change
    value = str(files[value[1:]]) if value.startswith("@") else value
    if option == "@id":
        args[0] = value
    elif option in args:
        args[args.index(option) + 1] = value
    else:
        args += [option, value]
    before = registry.read_bytes()
    listing = sorted(p.name for p in registry.parent.iterdir())
    result = _add(*args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert __import__("re").search(message, lines[0]), lines[0]
    assert registry.read_bytes() == before
    assert sorted(p.name for p in registry.parent.iterdir()) == listing


def test_no_boundary_at_all_is_refused(registry):
    before = registry.read_bytes()
    args = ["q", "--name", "Q", "--city", "C", "--state", "DE-BY", "--osm", str(PBF)]
    result = _add(*args)
    assert result.exit_code == 2 and "--boundary FILE or as --admin NAME" in result.output
    assert registry.read_bytes() == before


def test_admin_boundary_of_a_clipped_extract_is_not_there(registry):
    """The Lauf extract is cut from a bigger file: the relation of the town has members
    outside it, so pyosmium builds no polygon for it."""
    before = registry.read_bytes()
    result = _add(
        "lauf-admin", "--name", "Lauf", "--city", "Lauf an der Pegnitz", "--state", "DE-BY",
        "--admin", "Lauf an der Pegnitz", "--osm", str(PBF),
    )  # fmt: skip
    assert result.exit_code == 2
    assert "no area named 'Lauf an der Pegnitz'" in result.output
    assert registry.read_bytes() == before


@pytest.fixture
def magdeburg_pbf(tmp_path):
    """The 40 real Magdeburg Stadtteil polygons as boundary relations (see osm_boundaries)."""
    return write_boundary_relations(features_of(STADTTEILE), tmp_path / "magdeburg.osm.pbf")


def _admin_args(quartier: str, osm_file: Path, *extra: str) -> list[str]:
    return [quartier, "--name", "Neu Olvenstedt", "--city", "Magdeburg", "--state", "DE-ST",
            "--osm", str(osm_file), *extra]  # fmt: skip


def test_admin_boundary_from_the_osm_file(registry, magdeburg_pbf):
    result = _add(*_admin_args("neu-olv", magdeburg_pbf, "--admin", "Neu Olvenstedt"))
    assert result.exit_code == 0, result.output
    assert "relation/33 (admin_level 10, 3.35 km²)" in result.output
    spec = load_registry(registry)["neu-olv"]
    assert spec.sources["boundary"] == "./boundaries/neu-olv.geojson"
    assert spec.boundary_quality == "official"
    official = read_boundary(MD / "neu_olvenstedt_boundary_osm.geojson")
    assert area_km2(spec.boundary) == pytest.approx(3.355, abs=0.001)
    assert spec.boundary.symmetric_difference(official).area / official.area < 1e-9
    written = json.loads((registry.parent / "boundaries" / "neu-olv.geojson").read_text("utf-8"))
    assert written["features"][0]["properties"]["source"].startswith("OpenStreetMap relation/33")


def test_several_areas_of_one_name_are_listed_and_can_be_chosen(registry, tmp_path):
    """SYNTHETIC naming: three real Magdeburg polygons (Neu Olvenstedt and Alt Olvenstedt,
    admin_level 10; Pechau, admin_level 9) are all written as 'Olvenstedt'."""
    features = features_of(STADTTEILE, ["Neu Olvenstedt", "Alt Olvenstedt", "Pechau"])
    for feature in features:
        feature["properties"]["name"] = "Olvenstedt"
    osm_file = write_boundary_relations(features, tmp_path / "olvenstedt.osm.pbf")
    before = registry.read_bytes()
    ambiguous = _add(*_admin_args("olv", osm_file, "--admin", "Olvenstedt"))
    assert ambiguous.exit_code == 2
    assert "3 areas named 'Olvenstedt'" in ambiguous.output
    assert "--admin-level N or --admin-id relation/ID" in ambiguous.output
    assert registry.read_bytes() == before
    assert not (registry.parent / "boundaries").exists()
    still = _add(*_admin_args("olv", osm_file, "--admin", "Olvenstedt", "--admin-level", "10"))
    assert still.exit_code == 2 and "2 areas named 'Olvenstedt'" in still.output
    by_level = _add(*_admin_args("olv", osm_file, "--admin", "Olvenstedt", "--admin-level", "9"))
    assert by_level.exit_code == 0, by_level.output
    pechau = shape(features[2]["geometry"])
    assert load_registry(registry)["olv"].boundary.symmetric_difference(pechau).area < 1e-12
    by_id = _add(
        *_admin_args("olv2", osm_file, "--admin", "Olvenstedt", "--admin-id", "relation/1")
    )
    assert by_id.exit_code == 0, by_id.output
    neu = shape(features[0]["geometry"])
    assert load_registry(registry)["olv2"].boundary.symmetric_difference(neu).area < 1e-12


def test_remove_takes_out_only_that_quartier_and_keeps_other_comments(registry):
    text = registry.read_text("utf-8")
    result = runner.invoke(app, ["quartiers", "remove", "lauf", "--yes"])
    assert result.exit_code == 0, result.output
    after = registry.read_text("utf-8")
    before_data, after_data = tomllib.loads(text), tomllib.loads(after)
    assert "lauf" not in after_data["quartiers"]
    assert after_data["quartiers"] == {
        k: v for k, v in before_data["quartiers"].items() if k != "lauf"
    }
    kept = [line for line in text.splitlines() if line.startswith("#")]
    assert [line for line in after.splitlines() if line.startswith("#")] == kept
    assert "# Demo quartiers: real towns" in after  # the comment that also covers dreieich
    assert "Stadtteilbüro Lauf (Demo)" not in after


def test_remove_first_and_last_quartier(registry):
    text = registry.read_text("utf-8")
    for quartier in ("neu-olvenstedt", "dreieich"):
        assert runner.invoke(app, ["quartiers", "remove", quartier, "--yes"]).exit_code == 0
    after = registry.read_text("utf-8")
    assert after.startswith(text.split("# ----")[0])  # the file's own header stays
    assert list(tomllib.loads(after)["quartiers"]) == [
        "alt-hamborn",
        "batenbrock",
        "obere-altstadt",
        "lauf",
    ]


def test_remove_asks_and_a_no_keeps_the_file(registry):
    before = registry.read_bytes()
    result = runner.invoke(app, ["quartiers", "remove", "batenbrock"], input="n\n")
    assert result.exit_code == 1 and "nothing removed" in result.output
    assert registry.read_bytes() == before
    unknown = runner.invoke(app, ["quartiers", "remove", "nowhere", "--yes"])
    assert unknown.exit_code == 2 and "unknown quartier 'nowhere'" in unknown.output
    assert registry.read_bytes() == before


def test_show_summarises_a_quartier(registry, part):
    assert (
        _add(*_lauf_args("lauf-mitte", part, "--office", "Büro; Urlasstraße 22, Lauf")).exit_code
        == 0
    )
    result = runner.invoke(app, ["quartiers", "show", "lauf-mitte"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("lauf-mitte — Lauf Mitte\n")
    assert f"boundary: {area_km2(PART_OF_LAUF):.2f} km² (planning_area)" in out
    assert "osm_extract: lauf_an_der_pegnitz/lauf_an_der_pegnitz_osm.osm.pbf" in out
    assert "(found)" in out
    assert "location: by address 'Urlasstraße 22, Lauf' (looked up at import)" in out
    assert "not imported yet — geoquartier import lauf-mitte" in out
    missing = runner.invoke(app, ["quartiers", "show", "nowhere"])
    assert missing.exit_code == 2 and "unknown quartier 'nowhere'" in missing.output
