"""The paper documents (workshop map, flyer, report) on the real Lauf and Neu Olvenstedt data:
the PDFs render, carry the right text in each language, the QR code decodes to the
participation link, the grid squares are right, the budget follows the standards text, and
nothing is fetched from the network."""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest
from pyproj import Transformer
from test_maps_support import imported_workspace

from geoquartier.errors import GeoquartierError
from geoquartier.layers.store import GeoPackageStore
from geoquartier.registry import load_registry
from geoquartier.reports.data import collect_document_data
from geoquartier.reports.render import offline_url_fetcher, participation_url
from geoquartier.reports.svgmap import MapFrame
from geoquartier.reports.workshop import page_layout, workshop_map_pdf

DOC_QUARTIERS = ("lauf", "neu-olvenstedt")
BASE = "https://quartier.example.org"
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="session")
def doc_store(tmp_path_factory) -> GeoPackageStore:
    """A workspace with Lauf and Neu Olvenstedt imported by the real pipeline."""
    return imported_workspace(tmp_path_factory.mktemp("docs-ws"), DOC_QUARTIERS)


@cache
def _data(store_path: str, quartier: str):
    return collect_document_data(load_registry()[quartier], GeoPackageStore(store_path))


@pytest.fixture(scope="session")
def doc_data(doc_store):
    return lambda quartier: _data(str(doc_store.path), quartier)


def pdf_text(pdf: bytes) -> str:
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def rasterise(pdf: bytes, tmp_path: Path, dpi: int = 150) -> list[Path]:
    """PNG pages of ``pdf`` made by pdftoppm (poppler-utils)."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (Debian package poppler-utils) is not installed")
    src = tmp_path / "doc.pdf"
    src.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(src), str(tmp_path / "page")], check=True
    )
    return sorted(tmp_path.glob("page*.png"))


def decoded_qr(png: Path) -> list[str]:
    import zxingcpp
    from PIL import Image

    return [r.text for r in zxingcpp.read_barcodes(Image.open(png))]


def test_workshop_map_renders_with_text_and_qr(doc_data, tmp_path):
    data = doc_data("lauf")
    out = tmp_path / "werkstatt.pdf"
    pdf = workshop_map_pdf(
        data, out, lang="de", size="A3", orientation="landscape", event_id="w-7", base_url=BASE
    )
    assert out.read_bytes() == pdf and pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Werkstattkarte: Lauf an der Pegnitz" in text
    assert "Stadtteilbüro Lauf (Demo)" in text
    assert "Dienstag 10:00–13:00" in text and "Feiertags geschlossen" in text
    assert "Diakonie - Suchtberatungsstelle" in text  # an advisory service from OSM
    assert "© OpenStreetMap contributors" in text
    assert "C4: Gehweg zu schmal" in text
    pages = rasterise(pdf, tmp_path)
    assert len(pages) == 1  # the whole map on one sheet
    assert decoded_qr(pages[0]) == [f"{BASE}/participate/lauf?event=w-7"]


@pytest.mark.parametrize(
    "lang,size,orientation,samples",
    [
        ("tr", "A4", "landscape", ["Atölye haritası", "Salı 10:00–13:00", "Almanca, Türkçe"]),
        ("bg", "A4", "portrait", ["Работна карта", "вторник", "Офиси и консултантски услуги"]),
        ("ro", "A3", "portrait", ["Hartă de atelier", "marți", "Scanați și participați online"]),
    ],
)
def test_workshop_map_in_other_languages(doc_data, tmp_path, lang, size, orientation, samples):
    pdf = workshop_map_pdf(
        doc_data("lauf"), lang=lang, size=size, orientation=orientation, base_url=BASE
    )
    text = pdf_text(pdf)
    for sample in samples:
        assert sample in text
    pages = rasterise(pdf, tmp_path, dpi=120)
    assert len(pages) == 1
    assert decoded_qr(pages[0]) == [f"{BASE}/participate/lauf"]


def test_workshop_map_of_a_quartier_without_network_names_zensus(doc_data):
    data = doc_data("neu-olvenstedt")
    assert data.method == "estimate" and data.streets is None
    text = pdf_text(workshop_map_pdf(data, lang="en", size="A4", base_url=BASE))
    assert "Büro für Stadtteilarbeit" in text
    assert "Zensus 2022" in text and "© OpenStreetMap contributors" in text
    # no footpaths or buildings in the data: the transit stops give the orientation
    assert "Transit stops" in text and "Scharnhorstring" in text
    assert "Magdeburg, Scharnhorstring" not in text


def test_grid_cell_of_known_points(doc_data):
    layout = page_layout("A3", "landscape")
    frame = MapFrame.fit(doc_data("lauf").layers["quartiers"], layout.map_w, layout.map_h)
    to_lonlat = Transformer.from_crs("EPSG:25832", "EPSG:4326", always_xy=True)
    cell_w = (frame.maxx - frame.minx) / 8
    cell_h = (frame.maxy - frame.miny) / 6
    # the centre of column C (3rd), row 4, back to lon/lat
    lon, lat = to_lonlat.transform(frame.minx + 2.5 * cell_w, frame.maxy - 3.5 * cell_h)
    assert frame.grid_cell(lon, lat) == "C4"
    lon, lat = to_lonlat.transform(frame.minx + 1, frame.maxy - 1)
    assert frame.grid_cell(lon, lat) == "A1"
    lon, lat = to_lonlat.transform(frame.maxx - 1, frame.miny + 1)
    assert frame.grid_cell(lon, lat) == "H6"
    assert frame.grid_cell(11.0, 50.0) is None  # far outside
    # the Rathaus of Lauf (the demo office) lies in the old town, column D, row 3
    office = doc_data("lauf").placed("offices").geometry.iloc[0]
    assert frame.grid_cell(office.x, office.y) == "D3"
    # the frame keeps the true scale: same mm per metre in both directions
    assert frame.width_mm / (frame.maxx - frame.minx) == pytest.approx(
        frame.height_mm / (frame.maxy - frame.miny), rel=1e-9
    )


def test_participation_url_and_local_default(monkeypatch):
    from geoquartier.reports.render import LocalPublicUrlWarning
    from geoquartier.settings import reload_settings

    assert participation_url("lauf", None, BASE + "/") == f"{BASE}/participate/lauf"
    monkeypatch.delenv("GEOQUARTIER_PUBLIC_URL", raising=False)
    reload_settings()
    with pytest.warns(LocalPublicUrlWarning, match="local address"):
        url = participation_url("neu-olvenstedt", "e 1")
    assert url == "http://127.0.0.1:8000/participate/neu-olvenstedt?event=e%201"
    monkeypatch.setenv("GEOQUARTIER_PUBLIC_URL", "https://qm.example.de")
    reload_settings()
    assert participation_url("lauf") == "https://qm.example.de/participate/lauf"


def test_nothing_is_fetched_from_the_network(doc_data, monkeypatch):
    import socket

    from geoquartier.reports.render import write_pdf

    def refuse(*args, **kwargs):
        raise AssertionError("a document tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    with pytest.raises(GeoquartierError, match="offline"):
        offline_url_fetcher("https://tile.openstreetmap.org/1/1/1.png")
    html = '<p>x</p><img src="https://example.org/logo.png"><link rel="stylesheet" href="http://x/y.css">'
    assert write_pdf(html).startswith(b"%PDF")  # the external resources are skipped
    # a whole document with the walk network and every layer, sockets closed
    assert workshop_map_pdf(doc_data("lauf"), lang="de", base_url=BASE).startswith(b"%PDF")


def test_bad_page_options_are_user_errors():
    with pytest.raises(GeoquartierError, match="A3, A4"):
        page_layout("A5", "landscape")
    with pytest.raises(GeoquartierError, match="landscape, portrait"):
        page_layout("A4", "upright")


def test_flyer_in_romanian_lists_office_and_services(doc_data, tmp_path):
    from datetime import datetime

    from geoquartier.layers.opening_hours import TIMEZONE
    from geoquartier.reports.flyer import flyer_pdf

    saturday = datetime(2026, 11, 21, 12, 0, tzinfo=TIMEZONE)
    pdf = flyer_pdf(doc_data("lauf"), lang="ro", base_url=BASE, now=saturday)
    text = pdf_text(pdf)
    assert "Ce oferim în Lauf an der Pegnitz" in text
    assert "Stadtteilbüro Lauf (Demo)" in text and "Urlasstraße 22" in text
    assert "marți 10:00–13:00" in text
    # closed on Saturday: the next opening is Tuesday 24 November at 10:00
    assert "Următoarea deschidere: marți, 24 nov. 2026 10:00" in text
    assert "Diakonie - Suchtberatungsstelle" in text
    from geoquartier.reports.i18n import DocTranslator
    from geoquartier.reports.texts import next_opening_text

    tuesday_11h = datetime(2026, 11, 24, 11, 0, tzinfo=TIMEZONE)  # open now: the next is Wed
    hours = "Tu 10:00-13:00; We 15:00-18:00; Th 10:00-13:00; PH off"
    tr = DocTranslator("en")
    assert next_opening_text(hours, "DE-BY", tr, tuesday_11h).startswith("Wednesday, ")
    assert next_opening_text(None, "DE-BY", tr, tuesday_11h) is None
    assert "min de mers pe jos de la birou" not in text  # network times, not estimates
    assert "min pe jos de la birou" in text
    pages = rasterise(pdf, tmp_path, dpi=120)
    assert len(pages) == 2
    assert decoded_qr(pages[0]) == [f"{BASE}/participate/lauf"]


def test_flyer_without_network_says_about(doc_data):
    from geoquartier.reports.flyer import flyer_pdf, walk_text
    from geoquartier.reports.i18n import DocTranslator

    text = pdf_text(flyer_pdf(doc_data("neu-olvenstedt"), lang="bg", base_url=BASE))
    assert "Какво предлагаме в Neu Olvenstedt" in text
    assert "Büro für Stadtteilarbeit" in text and "Scharnhorstring 38" in text
    assert "Няма консултантски услуги в данните." in text
    tr = DocTranslator("de")
    assert walk_text(6.4, "estimate", tr) == "ca. 6 Min. zu Fuß vom Büro"
    assert walk_text(None, "network", tr) == ""


def test_budget_of_neu_olvenstedt_follows_the_standards():
    from geoquartier.reports.budget import budget, budget_total_eur

    lines = {line.key: line for line in budget(11_677)}
    assert lines["staff"].amount_eur == 90_000  # 2 posts × 45,000 €
    assert lines["material"].amount_eur == 7_000  # 3,500 € per post
    assert lines["project"].amount_eur == 23_354  # 2 € × 11,677
    assert lines["fund"].amount_eur == 5_838.5  # 0.50 € × 11,677, no minimum above 5,000
    assert not any(line.minimum_applied for line in lines.values())
    assert budget_total_eur(list(lines.values())) == 126_192.5
    assert "mindestens 5.000 Euro pro Quartier" in lines["project"].quote
    assert "Rahmenbedingungen" in lines["fund"].source


@pytest.mark.parametrize(
    "residents,project_eur,fund_eur,project_min,fund_min",
    [
        (3_000, 6_000, 2_000, False, True),  # fund: 1,500 € < minimum 2,000 €
        (2_000, 5_000, 2_000, True, True),  # both minimums
        (4_999, 9_998, 2_499.5, False, False),  # fund above its minimum
        (5_000, 10_000, 2_500, False, False),
    ],
)
def test_budget_minimums_for_small_quartiers(
    residents, project_eur, fund_eur, project_min, fund_min
):
    from geoquartier.reports.budget import budget

    lines = {line.key: line for line in budget(residents)}
    assert lines["project"].amount_eur == project_eur
    assert lines["project"].minimum_applied is project_min
    assert lines["fund"].amount_eur == fund_eur
    assert lines["fund"].minimum_applied is fund_min
    with pytest.raises(GeoquartierError, match="at least 2 posts"):
        budget(residents, posts=1)


def test_report_of_neu_olvenstedt(doc_data, tmp_path):
    from geoquartier.reports.report import write_report

    data = doc_data("neu-olvenstedt")
    pdf_path = write_report(data, tmp_path / "nahmobilitaet.pdf", lang="de")
    text = pdf_text(pdf_path.read_bytes())
    assert "Nahmobilitätsbericht: Neu Olvenstedt" in text
    assert "11.677" in text and "Zensus 2022" in text
    assert "126.192,50 €" in text and "23.354,00 €" in text
    assert "Apotheke" in text and "Rollstuhl" in text  # a category and a profile
    assert "Schätzung" in text or "Luftlinie" in text  # estimate mode is said
    pages = rasterise(pdf_path.read_bytes(), tmp_path, dpi=60)
    assert len(pages) >= 2  # profile, access tables and chart, budget, measures
    html = write_report(data, tmp_path / "r.html", lang="en").read_text(encoding="utf-8")
    assert "<svg" in html  # the access chart
    assert "Local mobility report: Neu Olvenstedt" in html
    assert re.search(r"(?:src|href)=\"https?:", html) is None  # nothing to fetch


def test_cli_print_writes_pdf_and_summary(doc_store, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import geoquartier.cli  # noqa: F401  (registers the commands)
    from geoquartier.cli.app import app
    from geoquartier.settings import reload_settings

    monkeypatch.setenv("GEOQUARTIER_WORKSPACE", str(doc_store.path))
    monkeypatch.setenv("GEOQUARTIER_PUBLIC_URL", BASE)
    reload_settings()
    out = tmp_path / "werkstatt.pdf"
    res = CliRunner().invoke(app, ["print", "lauf", "--size", "A4", "--lang", "en", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "workshop map of Lauf" in res.output and "7 advisory service(s)" in res.output
    assert out.read_bytes().startswith(b"%PDF")
    bad = CliRunner().invoke(app, ["flyer", "lauf", "--lang", "fr", "-o", str(tmp_path / "f.pdf")])
    assert bad.exit_code != 0 and not (tmp_path / "f.pdf").exists()


def test_cli_flyer_and_report_write_their_files(doc_store, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import geoquartier.cli  # noqa: F401  (registers the commands)
    from geoquartier.cli.app import app
    from geoquartier.settings import reload_settings

    monkeypatch.setenv("GEOQUARTIER_WORKSPACE", str(doc_store.path))
    reload_settings()
    monkeypatch.delenv("GEOQUARTIER_PUBLIC_URL", raising=False)
    reload_settings()
    runner = CliRunner()
    flyer = tmp_path / "angebote-tr.pdf"
    res = runner.invoke(app, ["flyer", "neu-olvenstedt", "--lang", "tr", "-o", str(flyer)])
    assert res.exit_code == 0, res.output
    assert "warning: GEOQUARTIER_PUBLIC_URL is not set" in res.output
    assert "Büro für Stadtteilarbeit" in pdf_text(flyer.read_bytes())
    report = tmp_path / "nahmobilitaet.html"
    res = runner.invoke(app, ["report", "neu-olvenstedt", "-o", str(report)])
    assert res.exit_code == 0, res.output
    assert "11,677 residents" in res.output and "126,192 €/year" in res.output
    assert "Nahmobilitätsbericht" in report.read_text(encoding="utf-8")
    res = runner.invoke(app, ["report", "neu-olvenstedt", "-o", str(tmp_path / "r.docx")])
    assert res.exit_code != 0 and "must end in .pdf or .html" in res.output
