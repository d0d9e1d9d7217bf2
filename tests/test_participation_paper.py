"""Paper back to digital, through the API: staff type in contributions written on the
printed workshop map (by grid square or by a click on the map), add translations, and the
event report counts paper and online contributions apart. Also the step of the database
from schema version 2 to 3.

Runs on the shared test workspace (Lauf and Neu Olvenstedt imported from the real data):
the grid squares are those of the printed map made from the workspace's boundary.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import uuid

import pytest
import shapely
from shapely.geometry import Point, shape

from api.participation import store as store_module
from api.participation.store import PAPER_DECISION_REASON, ParticipationStore
from geoquartier.errors import GeoquartierError
from geoquartier.layers.store import GeoPackageStore
from geoquartier.registry import load_registry
from geoquartier.reports.workshop import print_frame

try:
    from tests.api_fixtures import api_client, api_workspace, bearer, create_event, lauf, store
except ModuleNotFoundError:  # tests/ itself is on sys.path
    from api_fixtures import api_client, api_workspace, bearer, create_event, lauf, store  # noqa: F401

PAPER_URL = "/moderation/annotations/paper"


@pytest.fixture(scope="module")
def staff(store):
    tag = uuid.uuid4().hex[:6]
    return {r: store.add_user(f"paper-{r}-{tag}", r)[1] for r in ("moderator", "planner", "jury")}


@pytest.fixture(scope="module")
def printed_boundary(api_workspace):
    """Lauf's row of the workspace's quartiers layer: what the printed map is made from."""
    return GeoPackageStore(api_workspace.gpkg).read("quartiers", quartier="lauf")


def _event(client, staff, boundary, title: str, **fields) -> str:
    """A Stadtteilwerkstatt at a point inside ``boundary`` (EPSG:4326); its id."""
    c = boundary.representative_point()
    location = {"lon": c.x, "lat": c.y}
    return create_event(
        client, staff["planner"], title, kind="Stadtteilwerkstatt", location=location, **fields
    )["id"]


def _paper(client, token: str, **fields):
    body = {"quartier": "lauf", "kind": "problem", "text": "Gehweg zu schmal", "language": "de"}
    body.update(fields)
    return client.post(PAPER_URL, json=body, headers=bearer(token))


@pytest.mark.parametrize("size,orientation", [("A3", "landscape"), ("A4", "portrait")])
def test_every_square_of_the_printed_grid_maps_back_to_itself(printed_boundary, size, orientation):
    from geoquartier.reports.svgmap import grid_cells

    frame = print_frame(printed_boundary, size, orientation)
    cells = grid_cells()
    assert len(cells) == 48 and cells[0] == "A1" and cells[-1] == "H6"
    for cell in cells:
        lon, lat = frame.cell_centre(cell)
        assert frame.grid_cell(lon, lat) == cell
        assert frame.cell_polygon(cell).contains(Point(lon, lat))
    # the squares tile the map frame (EPSG:25832) without gap or overlap
    area_m2 = sum(shapely.box(*frame.cell_bounds(c)).area for c in cells)
    frame_m2 = (frame.maxx - frame.minx) * (frame.maxy - frame.miny)
    assert abs(area_m2 - frame_m2) < 1e-6 * frame_m2
    assert frame.cell_bounds("A1")[0] == frame.minx and frame.cell_bounds("A1")[3] == frame.maxy
    assert frame.cell_centre(" c 4 ") == frame.cell_centre("C4")
    for wrong in ("I1", "A7", "A0", "44", "", "C", "CC4"):
        with pytest.raises(GeoquartierError, match="A1 to H6"):
            frame.cell_centre(wrong)


def test_grid_square_entry_lands_in_that_square_of_the_printed_map(
    api_client, staff, store, lauf, printed_boundary
):
    eid = _event(api_client, staff, lauf, "Werkstatt Papier")
    r = _paper(api_client, staff["moderator"], grid_cell="c4", event_id=eid)
    assert r.status_code == 201, r.text
    feature = r.json()
    props = feature["properties"]
    assert props["source"] == "paper" and props["grid_cell"] == "C4"
    assert props["status"] == "approved" and props["event_id"] == eid
    moderator = store.authenticate(staff["moderator"])
    assert props["entered_by"] == moderator.id
    # the point is the centre of C4 of the printed A3 landscape sheet
    frame = print_frame(printed_boundary, "A3", "landscape")
    point = shape(feature["geometry"])
    assert frame.cell_polygon("C4").contains(point)
    assert frame.grid_cell(point.x, point.y) == "C4"
    assert point.distance(Point(frame.cell_centre("C4"))) < 1e-9
    # the approval stands in the decision log: who, when, why
    log = api_client.get(
        f"/moderation/annotations/{feature['id']}/decisions", headers=bearer(staff["moderator"])
    ).json()["decisions"]
    assert [(d["decision"], d["previous"], d["user_name"]) for d in log] == [
        ("approved", "pending", moderator.name)
    ]
    assert log[0]["reason"] == PAPER_DECISION_REASON
    # public: the source and square, never who typed it in
    public = api_client.get("/quartiers/lauf/annotations", params={"event_id": eid}).json()
    (shown,) = public["features"]
    assert shown["properties"]["source"] == "paper" and shown["properties"]["grid_cell"] == "C4"
    assert "entered_by" not in shown["properties"] and "decided_by" not in shown["properties"]
    ogc = api_client.get("/collections/annotations/items", params={"limit": 1000}).json()
    item = next(
        f
        for f in ogc["features"]
        if f["id"] == feature["id"] or f["properties"].get("id") == feature["id"]
    )
    assert item["properties"]["source"] == "paper" and "entered_by" not in item["properties"]


def test_the_sheet_decides_where_a_square_is(api_client, staff, printed_boundary):
    a3 = _paper(api_client, staff["planner"], grid_cell="C4")
    a4 = _paper(api_client, staff["planner"], grid_cell="C4", size="A4", orientation="portrait")
    assert a3.status_code == a4.status_code == 201, (a3.text, a4.text)
    p3, p4 = shape(a3.json()["geometry"]), shape(a4.json()["geometry"])
    portrait = print_frame(printed_boundary, "A4", "portrait")
    assert portrait.cell_polygon("C4").contains(p4) and portrait.grid_cell(p4.x, p4.y) == "C4"
    assert p3.distance(p4) > 1e-4  # another sheet, another place
    grid = api_client.get("/quartiers/lauf/grid", params={"size": "A4", "orientation": "portrait"})
    cells = {f["properties"]["cell"]: f for f in grid.json()["features"]}
    assert len(cells) == 48 and {"A1", "H6"} <= set(cells)
    assert shape(cells["C4"]["geometry"]).contains(p4)


def test_click_on_the_map_places_a_point_without_square(api_client, staff, lauf):
    c = lauf.representative_point()
    r = _paper(
        api_client, staff["moderator"], geometry={"type": "Point", "coordinates": [c.x, c.y]}
    )
    assert r.status_code == 201, r.text
    props = r.json()["properties"]
    assert props["source"] == "paper" and props["grid_cell"] is None
    assert shapely.equals(shape(r.json()["geometry"]), Point(c.x, c.y))


def test_bad_entries_are_refused_naming_the_field_and_nothing_is_stored(
    api_client, staff, store, lauf
):
    before = store.count_annotations(quartier="lauf")
    c = lauf.representative_point()
    closed = _event(api_client, staff, lauf, "Werkstatt geschlossen")
    cases = {
        "grid_cell": {"grid_cell": "Z9"},
        "geometry": {"geometry": {"type": "Point", "coordinates": [13.4, 52.5]}},
        "event_id": {"grid_cell": "C4", "event_id": "no-such-event"},
        "quartier": {"grid_cell": "C4", "quartier": "atlantis"},
        "text": {"grid_cell": "C4", "text": "x" * 5000},
        "language": {"grid_cell": "C4", "language": "xx"},
    }
    for field, fields in cases.items():
        r = _paper(api_client, staff["moderator"], **fields)
        assert r.status_code == 422, (field, r.text)
        assert r.json()["detail"].startswith(f"{field}:"), (field, r.json()["detail"])
    assert "A1 to H6" in _paper(api_client, staff["moderator"], grid_cell="C7").json()["detail"]
    both = _paper(
        api_client,
        staff["moderator"],
        grid_cell="C4",
        geometry={"type": "Point", "coordinates": [c.x, c.y]},
    )
    assert both.status_code == 422 and "grid_cell" in both.text
    other = _event_of_neu_olvenstedt(api_client, staff)
    wrong = _paper(api_client, staff["moderator"], grid_cell="C4", event_id=other)
    assert wrong.status_code == 422 and wrong.json()["detail"].startswith("event_id:")
    huge = api_client.post(
        PAPER_URL,
        content=b'{"text": "' + b"x" * 70_000 + b'"}',
        headers={**bearer(staff["moderator"]), "Content-Type": "application/json"},
    )
    assert huge.status_code == 413
    assert store.count_annotations(quartier="lauf") == before
    # paper is typed in after the workshop: a closed event still takes it
    api_client.post(f"/events/{closed}/close", headers=bearer(staff["planner"]))
    late = _paper(api_client, staff["moderator"], grid_cell="B2", event_id=closed)
    assert late.status_code == 201, late.text


def _event_of_neu_olvenstedt(client, staff) -> str:
    olvenstedt = load_registry()["neu-olvenstedt"].boundary
    return _event(client, staff, olvenstedt, "Werkstatt Magdeburg", quartier="neu-olvenstedt")


def test_only_staff_may_type_in_or_translate(api_client, staff, store):
    aid = _paper(api_client, staff["moderator"], grid_cell="E5", language="tr").json()["id"]
    before = store.count_annotations()
    calls = [
        ("POST", PAPER_URL, {"quartier": "lauf", "kind": "idea", "text": "x", "grid_cell": "C4"}),
        ("PUT", f"/moderation/annotations/{aid}/translations/tr", {"text": "çeviri"}),
    ]
    for method, url, body in calls:
        assert api_client.request(method, url, json=body).status_code == 401
        wrong = bearer(staff["moderator"][:-4] + "AAAA")
        assert api_client.request(method, url, json=body, headers=wrong).status_code == 401
        jury = api_client.request(method, url, json=body, headers=bearer(staff["jury"]))
        assert jury.status_code == 403 and "moderator or planner" in jury.json()["detail"]
    assert store.count_annotations() == before
    assert store.translations([aid]) == {}


def test_translation_beside_the_original_in_the_report_escaped(api_client, staff, store, lauf):
    eid = _event(api_client, staff, lauf, "Werkstatt Übersetzung")
    c = lauf.representative_point()
    online = api_client.post(
        "/quartiers/lauf/annotations",
        json={
            "geometry": {"type": "Point", "coordinates": [c.x, c.y]},
            "kind": "question",
            "text": "Otobüs <b>neden</b> geç geliyor?",
            "language": "tr",
            "event_id": eid,
        },
    ).json()["id"]
    api_client.post(f"/moderation/annotations/{online}/approve", headers=bearer(staff["moderator"]))
    url = f"/moderation/annotations/{online}/translations/de"
    first = api_client.put(
        url, json={"text": "Warum kommt der Bus zu spät?"}, headers=bearer(staff["planner"])
    )
    assert first.status_code == 200, first.text
    text = "Warum kommt der <script>Bus</script> so spät?"
    again = api_client.put(url, json={"text": text}, headers=bearer(staff["moderator"]))
    assert again.status_code == 200 and again.json()["user_name"].startswith("paper-moderator")
    assert [t["text"] for t in store.translations([online])[online]] == [text]  # replaced
    same = api_client.put(
        f"/moderation/annotations/{online}/translations/tr",
        json={"text": "aynı"},
        headers=bearer(staff["moderator"]),
    )
    assert same.status_code == 422 and same.json()["detail"].startswith("language:")
    bad = api_client.put(
        f"/moderation/annotations/{online}/translations/xx",
        json={"text": "x"},
        headers=bearer(staff["moderator"]),
    )
    assert bad.status_code == 422 and bad.json()["detail"].startswith("language:")
    gone = api_client.put(
        "/moderation/annotations/nope/translations/de",
        json={"text": "x"},
        headers=bearer(staff["moderator"]),
    )
    assert gone.status_code == 404
    queue = api_client.get(
        "/moderation/annotations",
        params={"status": "approved", "event_id": eid},
        headers=bearer(staff["moderator"]),
    ).json()
    assert queue["features"][0]["properties"]["translations"][0]["text"] == text
    html = api_client.get(
        f"/events/{eid}/report.html?lang=en", headers=bearer(staff["planner"])
    ).text
    assert "<script>Bus</script>" not in html and "&lt;script&gt;Bus&lt;/script&gt;" in html
    assert "Otobüs &lt;b&gt;neden&lt;/b&gt; geç geliyor?" in html
    assert "Translation (German):" in html


def test_report_counts_paper_and_online_apart(api_client, staff, lauf):
    eid = _event(api_client, staff, lauf, "Werkstatt Zählung")
    c = lauf.representative_point()
    for i, kind in enumerate(("idea", "problem", "problem")):
        body = {
            "geometry": {"type": "Point", "coordinates": [c.x + 0.0002 * i, c.y]},
            "kind": kind,
            "text": f"online {i}",
            "event_id": eid,
        }
        assert api_client.post("/quartiers/lauf/annotations", json=body).status_code == 201
    for cell, kind in (("C4", "problem"), ("D3", "praise")):
        r = _paper(
            api_client,
            staff["moderator"],
            grid_cell=cell,
            kind=kind,
            event_id=eid,
            text=f"Papier {cell}",
        )
        assert r.status_code == 201
    plan = bearer(staff["planner"])
    doc = api_client.get(f"/events/{eid}/report.geojson", headers=plan).json()
    assert doc["counts_by_source"] == {
        "idea": {"online": 1, "paper": 0},
        "problem": {"online": 2, "paper": 1},
        "praise": {"online": 0, "paper": 1},
        "question": {"online": 0, "paper": 0},
    }
    html = api_client.get(f"/events/{eid}/report.html?lang=de", headers=plan).text
    table = html[html.index('id="sources"') : html.index("</table>", html.index('id="sources"'))]
    assert '<tr data-kind="problem"><th>Problem</th><td data-source="online">2</td>' in table
    assert '<tfoot><tr><th>Gesamt</th><td data-source="online">3</td>' in table
    assert '<td data-source="paper">2</td><td>5</td></tr></tfoot>' in table
    assert "Papier (Planquadrat C4)" in html and "Papier (Planquadrat D3)" in html
    raw = api_client.get(f"/events/{eid}/report.csv?lang=de", headers=plan).content
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header = rows[0]
    sources = sorted((r[header.index("Quelle")], r[header.index("Planquadrat")]) for r in rows[1:])
    assert sources == [("Papier", "C4"), ("Papier", "D3")]  # approved only by default


# -- storage -------------------------------------------------------------------------------------
def test_a_version_2_database_gains_source_and_grid_cell_and_keeps_its_rows(tmp_path, monkeypatch):
    path = tmp_path / "v2.sqlite"
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 2)
    old = ParticipationStore(path)
    user, _ = old.add_user("alt", "moderator")
    con = old._connect()
    con.execute(
        "INSERT INTO annotations (id, quartier, kind, text, language, status, created_at,"
        " geometry) VALUES ('a1', 'lauf', 'idea', 'Alte Idee', 'de', 'approved',"
        ' \'2026-01-01T00:00:00+00:00\', \'{"type":"Point","coordinates":[11.28,49.51]}\')'
    )
    old.close()
    columns = {r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(annotations)")}
    assert "redacted_at" in columns and "source" not in columns
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 2
    monkeypatch.undo()

    new = ParticipationStore(path)
    row = new.get_annotation("a1")
    assert row["text"] == "Alte Idee" and row["source"] == "online" and row["grid_cell"] is None
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 3
    assert new.user(user.id).name == "alt"
    assert new.translations(["a1"]) == {}
    assert list(new.approved_frame()["source"]) == ["online"]
    with pytest.raises(sqlite3.IntegrityError):  # the vocabulary holds in old databases too
        with new._write() as wcon:
            wcon.execute("UPDATE annotations SET source = 'fax' WHERE id = 'a1'")
    new.close()
