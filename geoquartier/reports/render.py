"""HTML → PDF with WeasyPrint, offline; QR codes; the participation link; shared texts.

Documents are HTML pages with inline SVG, laid out by WeasyPrint with the DejaVu fonts
(Latin with Turkish and Romanian letters, Cyrillic). :func:`offline_url_fetcher` refuses
every URL that is not inline (``data:``), so making a document never touches the network.
"""

from __future__ import annotations

import functools
import logging
import warnings
from datetime import date
from pathlib import Path

import segno
from markupsafe import Markup

from geoquartier.errors import GeoquartierError

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

LOCAL_PUBLIC_URL = "http://127.0.0.1:8000"
"""Base of the participation link when ``GEOQUARTIER_PUBLIC_URL`` is not set."""
PARTICIPATION_PATH = "/participate/{quartier}"
"""Path of the participation page the QR codes open (``?event=ID`` is added for events)."""

FONT_FAMILY = '"DejaVu Sans", "DejaVu Sans Condensed", sans-serif'
"""Fonts of the documents (Debian package fonts-dejavu-core): Latin, Turkish, Romanian,
Cyrillic."""

OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"
ZENSUS_ATTRIBUTION = "Zensus 2022 © Statistisches Bundesamt (Destatis), dl-de/by-2.0"


class LocalPublicUrlWarning(UserWarning):
    """The QR code points to a local address because no public URL is configured."""


@functools.cache
def _environment():
    from jinja2 import Environment, FileSystemLoader

    return Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=True)


def template(name: str):
    """The Jinja2 template ``name`` of ``geoquartier/reports/templates`` (autoescaped)."""
    return _environment().get_template(name)


def offline_url_fetcher(url: str, *args, **kwargs):
    """WeasyPrint URL fetcher that serves only inline ``data:`` URLs and refuses the rest."""
    if not url.startswith("data:"):
        raise GeoquartierError(f"documents are made offline; refused to fetch {url!r}")
    from weasyprint import default_url_fetcher

    return default_url_fetcher(url, *args, **kwargs)


def write_pdf(html: str, path: Path | str | None = None) -> bytes:
    """Lay out ``html`` and return the PDF bytes; also write them to ``path`` when given
    (written whole at the end: nothing half-written on error)."""
    from weasyprint import HTML

    logging.getLogger("fontTools").setLevel(logging.WARNING)
    pdf = HTML(string=html, url_fetcher=offline_url_fetcher, base_url=".").write_pdf()
    if path is not None:
        Path(path).write_bytes(pdf)
    return pdf


def public_base_url() -> str:
    """The public base URL from the settings, or :data:`LOCAL_PUBLIC_URL` with a
    :class:`LocalPublicUrlWarning` when it is not configured."""
    from geoquartier.settings import get_settings

    base = get_settings().public_url
    if not base:
        warnings.warn(
            f"GEOQUARTIER_PUBLIC_URL is not set: the QR code points to the local address "
            f"{LOCAL_PUBLIC_URL}, which works only on this computer",
            LocalPublicUrlWarning,
            stacklevel=2,
        )
        return LOCAL_PUBLIC_URL
    return str(base).rstrip("/")


def participation_url(
    quartier_id: str, event_id: str | None = None, base_url: str | None = None
) -> str:
    """``{base}/quartiers/{id}/participate`` (``?event=ID`` for an event)."""
    from urllib.parse import quote

    base = (base_url or public_base_url()).rstrip("/")
    url = base + PARTICIPATION_PATH.format(quartier=quote(quartier_id, safe=""))
    return url + (f"?event={quote(event_id, safe='')}" if event_id else "")


def figure_svg(fig) -> str:
    """A Matplotlib figure as inline ``<svg>`` text (no XML prologue); closes the figure."""
    import io

    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    svg = buf.getvalue()
    return svg[svg.index("<svg") :]


def qr_svg(url: str) -> Markup:
    """A QR code of ``url`` as inline SVG that scales to its container (error level M)."""
    qr = segno.make(url, error="m", micro=False)
    return Markup(qr.svg_inline(scale=1, border=4, omitsize=True, svgclass="qr"))


def attribution(with_zensus: bool) -> str:
    """The data credits a document must carry."""
    return OSM_ATTRIBUTION + (f" · {ZENSUS_ATTRIBUTION}" if with_zensus else "")


def uses_zensus(population_source: object) -> bool:
    """Whether the quartier's residents come from the Zensus 2022 grid."""
    return "zensus" in str(population_source or "").lower()


def today() -> date:
    """The date printed on the documents (Europe/Berlin)."""
    from datetime import datetime

    from geoquartier.layers.opening_hours import TIMEZONE

    return datetime.now(TIMEZONE).date()


BASE_CSS = f"""
* {{ box-sizing: border-box; }}
html {{ font-family: {FONT_FAMILY}; color: #1b1b1b; }}
body {{ margin: 0; font-size: 9.5pt; line-height: 1.25; }}
h1 {{ font-size: 17pt; margin: 0 0 1mm 0; }}
h2 {{ font-size: 12pt; margin: 3mm 0 1.5mm 0; }}
.muted {{ color: #555; }}
.small {{ font-size: 9pt; }}
.qr {{ width: 100%; height: auto; }}
"""
