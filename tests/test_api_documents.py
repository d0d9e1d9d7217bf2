"""The document endpoints (api/documents.py): workshop map, flyer and report as PDF (and the
report as HTML) for the real Lauf and Neu Olvenstedt data, with participation counts."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient

from tests.api_fixtures import api_workspace  # noqa: F401  (fixture)

BASE = "https://qm.example.org"
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture(scope="module")
def client(api_workspace, tmp_path_factory):  # noqa: F811
    """A client on the API workspace with its own participation database holding three
    contributions (one approved online, one pending online, one entered from paper) and
    one event in Lauf."""
    from api.main import app
    from api.participation.store import open_store
    from tests.api_fixtures import settings_changed

    db = tmp_path_factory.mktemp("doc-api") / "p.sqlite"
    store = open_store(db)
    user, _ = store.add_user("moderation", "moderator")
    from shapely.geometry import Point

    point = Point(11.2790, 49.5105)
    first = store.add_annotation("lauf", point, "idea", "Mehr Bänke am Markt", "de")
    store.add_annotation("lauf", point, "problem", "Gehweg zu schmal", "de")
    store.decide(first["id"], "approved", user)
    from api.participation.store import PaperEntry

    paper = PaperEntry(user=user, grid_cell="C4")
    store.add_annotation("lauf", point, "praise", "Schöner Platz", "de", paper=paper)
    store.add_event("lauf", "Stadtteilspaziergang", "2026-12-05T10:00:00+01:00", point)
    with (
        settings_changed(workspace=api_workspace.gpkg, participation_db=db, public_url=BASE),
        TestClient(app, raise_server_exceptions=False) as c,
    ):
        yield c


def test_print_pdf_of_lauf(client):
    r = client.get("/quartiers/lauf/print.pdf", params={"size": "A4", "lang": "en"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    text = pdf_text(r.content)
    assert "Stadtteilbüro Lauf (Demo)" in text and "Workshop map: Lauf an der Pegnitz" in text


def test_flyer_pdf_in_turkish(client):
    r = client.get("/quartiers/neu-olvenstedt/flyer.pdf", params={"lang": "tr"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert "Büro für Stadtteilarbeit" in pdf_text(r.content)


def test_report_pdf_and_html_carry_participation_counts_not_texts(client):
    r = client.get("/quartiers/lauf/report.pdf")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    text = pdf_text(r.content)
    assert "Nahmobilitätsbericht: Lauf an der Pegnitz" in text
    assert "Beteiligung" in text and "Veranstaltungen: 1" in text
    assert "Beiträge nach Herkunft: online 2 · von Papier übertragen 1" in text
    assert "Gehweg zu schmal" not in text and "Mehr Bänke" not in text
    html = client.get("/quartiers/lauf/report.html", params={"lang": "en"})
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    page = html.text
    assert "Local mobility report" in page and "Events: 1" in page
    assert "Contributions by source: online 2 · entered from paper 1" in page
    # the idea row: pending 0, approved 1, rejected 0, total 1
    assert '<td class="num">0</td><td class="num">1</td><td class="num">0</td>' in page
    assert "Gehweg zu schmal" not in page
    assert "script-src" not in html.headers["content-security-policy"]


@pytest.mark.parametrize(
    "path, params",
    [
        ("/quartiers/lauf/print.pdf", {"size": "A5"}),
        ("/quartiers/lauf/print.pdf", {"orientation": "upright"}),
        ("/quartiers/lauf/flyer.pdf", {"lang": "fr"}),
    ],
)
def test_bad_options_answer_422(client, path, params):
    r = client.get(path, params=params)
    assert r.status_code == 422
    assert list(params)[0] in r.json()["detail"]


def test_unknown_or_missing_quartier_is_404_and_list_links_documents(client):
    assert client.get("/quartiers/nowhere/report.pdf").status_code == 404
    assert client.get("/quartiers/dreieich/flyer.pdf").status_code == 404  # not imported
    rows = {q["id"]: q for q in client.get("/quartiers").json()["quartiers"]}
    hrefs = {link["href"] for link in rows["lauf"]["links"]}
    assert f"{BASE}/quartiers/lauf/print.pdf" in hrefs
    assert f"{BASE}/quartiers/lauf/report.pdf" in hrefs
    assert f"{BASE}/quartiers/lauf/flyer.pdf?lang=de" in hrefs
