"""The event documentation for the funder (api/participation/event_documentation.py and
event_pdf.py) on the real Lauf data: staff enter organiser, attendance, ... (validated,
staff only), the PDF renders on A4 with the quartier's name, the facts, the approved
contributions numbered on the map and in the table, Turkish and Cyrillic text, the staff
translations, and nothing is fetched from the network."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import LineString, Point

from tests.api_fixtures import api_workspace  # noqa: F401  (fixture)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

TURKISH = "Kaldırım çok dar, çocuk arabasıyla geçilmiyor"
CYRILLIC = "Кога ще има нова пейка на площада?"
TRANSLATION = "Wann gibt es eine neue Bank am Platz?"
FIELDS = {
    "organiser": "Stadtteilbüro Lauf & Nachbarschaftsverein",
    "programme": "10:00 Treffpunkt Marktplatz\n10:30 Rundgang",
    "funding": "Verfügungsfonds 2026",
    "attendance": 23,
    "method": "Stadtteilspaziergang mit drei Stationen",
    "duration_min": 120,
    "summary": "Viele Hinweise zu schmalen Gehwegen <b>und</b> fehlenden Bänken.",
    "next_steps": "Prüfung durch das Tiefbauamt bis März.",
}


def pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture(scope="module")
def setup(api_workspace, tmp_path_factory):  # noqa: F811
    """A client on the API workspace with its own participation database: a walk in Lauf
    with four approved contributions (de, tr, bg, ro), one pending, a planner, a
    moderator, a jury member, and a staff translation of the Bulgarian one."""
    from api.main import app
    from api.participation.store import open_store
    from tests.api_fixtures import settings_changed

    db = tmp_path_factory.mktemp("eventdoc") / "p.sqlite"
    store = open_store(db)
    planner, planner_token = store.add_user("planerin", "planner")
    _, moderator_token = store.add_user("moderation", "moderator")
    _, jury_token = store.add_user("jury", "jury")
    walk = LineString([(11.2760, 49.5090), (11.2830, 49.5120)])
    event = store.add_event("lauf", "Spaziergang <Altstadt>", "2026-12-05T10:00:00+01:00", walk)
    texts = [
        ("idea", "Mehr Bänke am Markt", "de"),
        ("problem", TURKISH, "tr"),
        ("question", CYRILLIC, "bg"),
        ("praise", "Parcul este foarte frumos", "ro"),
    ]
    ids = []
    for i, (kind, text, lang) in enumerate(texts):
        point = Point(11.2790 + 0.002 * i, 49.5105 + 0.001 * i)
        row = store.add_annotation("lauf", point, kind, text, lang, event_id=event["id"])
        store.decide(row["id"], "approved", planner)
        ids.append(row["id"])
    store.add_annotation("lauf", Point(11.28, 49.51), "idea", "noch nicht geprüft", "de",
                         event_id=event["id"])  # fmt: skip
    with store._write() as con:  # the staff translations table, as another feature makes it
        con.execute(
            "CREATE TABLE IF NOT EXISTS annotation_translations (annotation_id TEXT, "
            "language TEXT, text TEXT, user_id TEXT, created_at TEXT)"
        )
        con.execute(
            "INSERT INTO annotation_translations VALUES (?, 'de', ?, ?, '2026-12-06T10:00:00Z')",
            (ids[2], TRANSLATION, planner.id),
        )
    with (
        settings_changed(workspace=api_workspace.gpkg, participation_db=db),
        TestClient(app, raise_server_exceptions=False) as client,
    ):
        yield {
            "client": client,
            "store": store,
            "gpkg": api_workspace.gpkg,
            "event": event,
            "ids": ids,
            "planner": {"Authorization": f"Bearer {planner_token}"},
            "moderator": {"Authorization": f"Bearer {moderator_token}"},
            "jury": {"Authorization": f"Bearer {jury_token}"},
        }


def _doc_url(setup) -> str:
    return f"/events/{setup['event']['id']}/documentation"


def test_documentation_is_staff_only(setup):
    client, url = setup["client"], _doc_url(setup)
    assert client.get(url).status_code == 401
    assert client.put(url, json=FIELDS).status_code == 401
    assert client.put(url, json=FIELDS, headers=setup["jury"]).status_code == 403
    assert client.get(url, headers=setup["jury"]).status_code == 403
    pdf = f"/events/{setup['event']['id']}/report.pdf"
    assert client.get(pdf).status_code == 401
    assert client.get(pdf, headers=setup["jury"]).status_code == 403
    assert client.get(pdf, params={"uid": "x", "exp": 1, "sig": "0" * 64}).status_code == 401
    missing = client.put("/events/nope/documentation", json=FIELDS, headers=setup["planner"])
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "change",
    [
        {"attendance": -1},
        {"attendance": "12"},
        {"attendance": 12.5},
        {"attendance": True},
        {"duration_min": -5},
        {"duration_min": 7 * 24 * 60 + 1},
        {"organiser": "x" * 201},
        {"summary": "x" * 4001},
        {"budget": 100},
    ],
)
def test_documentation_fields_are_validated(setup, change):
    r = setup["client"].put(_doc_url(setup), json=FIELDS | change, headers=setup["moderator"])
    assert r.status_code == 422, r.text
    field = next(iter(change))
    assert field in r.text


def test_documentation_is_stored_cleaned_and_replaced(setup):
    client, url = setup["client"], _doc_url(setup)
    body = FIELDS | {"organiser": "  Büro\u0007 für\n Stadtteilarbeit ", "method": "   "}
    r = client.put(url, json=body, headers=setup["moderator"])
    assert r.status_code == 200, r.text
    assert r.json()["organiser"] == "Büro für Stadtteilarbeit"
    assert r.json()["method"] is None
    assert r.json()["attendance"] == 23
    r = client.put(url, json=FIELDS, headers=setup["planner"])
    got = client.get(url, headers=setup["moderator"]).json()
    assert {k: got[k] for k in FIELDS} == FIELDS
    assert got["updated_at"]


def test_event_pdf_renders_on_a4_with_the_facts(setup, tmp_path):
    client = setup["client"]
    client.put(_doc_url(setup), json=FIELDS, headers=setup["planner"])
    r = client.get(f"/events/{setup['event']['id']}/report.pdf", headers=setup["planner"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    text = pdf_text(r.content)
    for expected in (
        "Lauf an der Pegnitz",
        "Stadtteilbüro Lauf & Nachbarschaftsverein",
        "23 Personen",
        "120 Minuten",
        "Verfügungsfonds 2026",
        "Spaziergang <Altstadt>",
        "Nächste Schritte",
        "Prüfung durch das Tiefbauamt",
        "<b>und</b>",  # the planner's text is shown as text, never as markup
        TURKISH,
        CYRILLIC,
        f"Übersetzt (Deutsch): {TRANSLATION}",
        "05.12.2026, 10:00",  # local time of the event
        "Exportiert am",
    ):
        assert expected in text, expected
    assert "noch nicht geprüft" not in text  # pending: counted, not listed
    _check_pages(r.content, tmp_path)


def _check_pages(pdf: bytes, tmp_path) -> None:
    """Every page is A4 portrait and rasterises with pdftoppm to a page with content."""
    from PIL import Image
    from pypdf import PdfReader

    for page in PdfReader(io.BytesIO(pdf)).pages:
        width_pt, height_pt = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width_pt - 595.3) < 1 and abs(height_pt - 841.9) < 1
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (Debian package poppler-utils) is not installed")
    src = tmp_path / "doku.pdf"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(src), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p*.png"))
    assert len(pages) >= 1
    first = Image.open(pages[0]).convert("L")
    assert first.getextrema()[0] < 100  # something dark is drawn
    for png in pages:  # nothing runs into the right margin (15 mm; the outer 10 mm checked)
        image = Image.open(png).convert("L")
        width, height = image.size
        margin = image.crop((width - round(width * 10 / 210), 0, width, height))
        assert margin.getextrema()[0] > 200, png.name


def test_long_texts_stay_inside_the_page(setup, tmp_path):
    from api.participation.documentation_store import set_documentation
    from api.participation.event_documentation import event_report_pdf
    from geoquartier.layers.store import GeoPackageStore
    from geoquartier.registry import load_registry

    store = setup["store"]
    event = store.add_event("lauf", "W" * 200, "2026-12-08T18:00:00+01:00", Point(11.28, 49.51))
    row = store.add_annotation("lauf", Point(11.279, 49.5105), "idea", "x" * 900, "de",
                               event_id=event["id"])  # fmt: skip
    store.decide(row["id"], "approved", store.list_users()[0])
    fields = {"organiser": "O" * 200, "programme": "Zeile\n" * 60, "summary": "Wort " * 800}
    set_documentation(store, event["id"], store.list_users()[0], fields)
    spec, layers = load_registry()["lauf"], GeoPackageStore(setup["gpkg"])
    pdf = event_report_pdf(store, event, spec, layers, lang="bg")
    text = pdf_text(pdf)
    assert text.count("O") >= 200 and "Обобщение" in text
    _check_pages(pdf, tmp_path)


def test_contributions_are_numbered_alike_on_map_and_in_table(setup):
    from api.participation.event_pdf import documentation_map_svg, event_documentation_html
    from api.participation.i18n import Translator
    from api.participation.report import export_rows
    from geoquartier.layers.store import GeoPackageStore
    from geoquartier.registry import load_registry
    from geoquartier.reports.data import base_map_data

    store, event = setup["store"], setup["event"]
    rows = store.list_annotations(event_id=event["id"])
    approved = export_rows(rows)
    base = base_map_data(load_registry()["lauf"], GeoPackageStore(setup["gpkg"]))
    svg = documentation_map_svg(base, event, approved, Translator("de"))
    numbers = sorted(int(n) for n in re.findall(r'font-weight="bold" fill="#fff"[^>]*>(\d+)<', svg))
    assert numbers == [1, 2, 3, 4]
    assert base.streets is not None and len(base.streets) > 100  # the footpath base map
    html = event_documentation_html(event, rows, base, lang="tr")
    for number, row in enumerate(approved, start=1):
        assert f">{number}</span></td><td>" in html
        assert row["id"] not in html  # ids are not printed
    assert "Spaziergang &lt;Altstadt&gt;" in html


def test_pdf_link_on_the_html_report_and_signed_link(setup):
    client, event_id = setup["client"], setup["event"]["id"]
    link = client.get(f"/events/{event_id}/report-link", headers=setup["moderator"]).json()
    page = client.get(link["url"])
    assert page.status_code == 200
    assert f"/events/{event_id}/report.pdf?lang=de&amp;" in page.text
    r = client.get(f"/events/{event_id}/report.pdf?lang=bg&{link['query']}")
    assert r.status_code == 200, r.text
    assert "Документация" in pdf_text(r.content) or "Документиране" in pdf_text(r.content)


def test_event_pdf_fetches_nothing(setup, monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("the event documentation tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    from api.participation.event_documentation import event_report_pdf
    from geoquartier.layers.store import GeoPackageStore
    from geoquartier.registry import load_registry

    spec, layers = load_registry()["lauf"], GeoPackageStore(setup["gpkg"])
    pdf = event_report_pdf(setup["store"], setup["event"], spec, layers, lang="ro")
    assert "Parcul este foarte frumos" in pdf_text(pdf)


def test_translations_are_empty_for_contributions_without_any(tmp_path):
    from api.participation.documentation_store import translations_by_annotation
    from api.participation.store import open_store

    assert translations_by_annotation(open_store(tmp_path / "empty.sqlite"), ["a", "b"]) == {}


def test_deleting_the_event_deletes_its_documentation(setup):
    from api.participation.documentation_store import get_documentation

    client, store = setup["client"], setup["store"]
    event = store.add_event("lauf", "kurz", "2026-12-07T10:00:00+01:00", Point(11.28, 49.51))
    url = f"/events/{event['id']}/documentation"
    assert client.put(url, json={"attendance": 4}, headers=setup["planner"]).status_code == 200
    assert client.delete(f"/events/{event['id']}", headers=setup["planner"]).status_code == 200
    assert get_documentation(store, event["id"]) is None


@pytest.mark.parametrize(
    "catalog",
    [
        "api/participation/locale/{lang}/LC_MESSAGES/participation.po",
        "geoquartier/reports/locale/{lang}/LC_MESSAGES/documents.po",
    ],
)
def test_page_and_document_catalogs_translate_every_msgid(catalog):
    import string
    from pathlib import Path

    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    catalogs = {}
    for lang in ("de", "en", "tr", "ro", "bg"):
        with (root / catalog.format(lang=lang)).open("rb") as fh:
            catalogs[lang] = {m.id: m.string for m in read_po(fh) if m.id}
    for lang, messages in catalogs.items():
        assert set(messages) == set(catalogs["de"]), lang
        for msgid, text in messages.items():
            assert text.strip() and fields(text) == fields(msgid), (lang, msgid)
    new = ("Attendance", "Next steps") if "participation" in catalog else ("Steps", "Ways")
    assert all(msgid in catalogs["bg"] for msgid in new)


def test_cli_documents_an_event_and_writes_the_pdf(setup, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    import geoquartier.cli  # noqa: F401
    from geoquartier.cli.app import app
    from geoquartier.settings import reload_settings

    store = setup["store"]
    monkeypatch.setenv("GEOQUARTIER_PARTICIPATION_DB", str(store.path))
    monkeypatch.setenv("GEOQUARTIER_WORKSPACE", str(setup["gpkg"]))
    reload_settings()
    event = store.add_event(
        "lauf", "CLI-Werkstatt", "2026-12-09T17:00:00+01:00", Point(11.28, 49.51)
    )
    runner = CliRunner()
    bad = runner.invoke(app, ["events", "document", event["id"], "--attendance", "-2"])
    assert bad.exit_code == 2 and "attendance" in bad.output
    ok = runner.invoke(
        app, ["events", "document", event["id"], "--attendance", "17", "--organiser", "QM Lauf"]
    )
    assert ok.exit_code == 0, ok.output
    assert "attendance" in ok.output and "organiser" in ok.output
    more = runner.invoke(app, ["events", "document", event["id"], "--method", "World Café"])
    assert more.exit_code == 0, more.output
    out = tmp_path / "doku.pdf"
    made = runner.invoke(app, ["events", "report", event["id"], "-o", str(out), "--lang", "tr"])
    assert made.exit_code == 0, made.output
    assert "doku.pdf" in made.output and "CLI-Werkstatt" in made.output
    text = pdf_text(out.read_bytes())
    assert "QM Lauf" in text and "17 kişi" in text and "World Café" in text  # merged fields
    wrong = runner.invoke(app, ["events", "report", event["id"], "-o", str(tmp_path / "x.txt")])
    assert wrong.exit_code == 2 and not (tmp_path / "x.txt").exists()
    reload_settings()
