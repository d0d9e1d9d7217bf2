"""Texts of the participation, moderation and report pages in de, en, tr, ro, bg.

Labels come from gettext catalogs ``api/participation/locale/<lang>/LC_MESSAGES/
participation.po`` (msgids in English), read with Babel. Pages are Jinja2 templates with
autoescaping on: every text from a resident, planner or catalog is escaped; data handed
to scripts goes through :func:`script_json`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2
from babel.messages.pofile import read_po
from markupsafe import Markup

from api.participation.settings import PAGE_LANGUAGES
from geoquartier.vocabulary import ANNOTATION_SOURCES, FEEDBACK_STATUSES

PACKAGE_DIR = Path(__file__).resolve().parent
LOCALE_DIR = PACKAGE_DIR / "locale"
TEMPLATE_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"
DOMAIN = "participation"
DEFAULT_LANGUAGE = "de"

LANGUAGE_NAMES = {
    "de": "Deutsch",
    "en": "English",
    "tr": "Türkçe",
    "ro": "Română",
    "bg": "Български",
}
"""Each page language in its own name (for the language switch)."""


FEEDBACK_MSGIDS = {s: s.replace("_", " ").capitalize() for s in FEEDBACK_STATUSES}
"""msgid of each public feedback status ("under_review" → "Under review")."""

SOURCE_MSGIDS = {s: s.capitalize() for s in ANNOTATION_SOURCES}
"""msgid of each source of a contribution ("paper" → "Paper")."""


def page_language(lang: str | None) -> str:
    """``lang`` if the pages speak it, else German (the offices' working language)."""
    lang = (lang or "").strip().lower()[:2]
    return lang if lang in PAGE_LANGUAGES else DEFAULT_LANGUAGE


def catalog_path(lang: str) -> Path:
    """The ``.po`` file of ``lang``."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def messages(lang: str) -> dict[str, str]:
    """msgid → translation for ``lang`` (cached)."""
    with catalog_path(lang).open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    return {m.id: m.string for m in catalog if m.id and m.string}


class Translator:
    """``tr("Send")`` → the label in the page language; a missing msgid raises KeyError."""

    def __init__(self, lang: str = DEFAULT_LANGUAGE):
        self.lang = page_language(lang)
        self._messages = messages(self.lang)

    def __call__(self, msgid: str, **values: Any) -> str:
        from geoquartier.maps.i18n import translate

        return translate(self._messages, msgid, values, catalog_path(self.lang))

    def all(self) -> dict[str, str]:
        """Every label of the catalog (handed to the page scripts)."""
        return dict(self._messages)


def script_json(value: Any) -> str:
    """JSON safe to embed inside ``<script>`` (``<``, ``>``, ``&``, U+2028/9 escaped)."""
    from geoquartier.maps.escape import script_json as _script_json

    return _script_json(value)


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja2 environment of the pages (autoescape on for every template)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static_text"] = static_text
    env.globals["asset_tags"] = asset_tags
    env.globals["base_script"] = base_script
    env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    return env


@functools.cache
def static_text(name: str) -> str:
    """A script or stylesheet of this package (``static/<name>``), for inlining."""
    text = (STATIC_DIR / name).read_text(encoding="utf-8")
    return text.replace("</script", "<\\/script")


def asset_tags(*bundles: str, nonce: str | None = None) -> Markup:
    """Inline ``<style>``/``<script>`` tags of Leaflet bundles (from ``node_modules``).

    With ``nonce`` every ``<script>`` tag carries it (for the Content-Security-Policy).
    """
    from geoquartier.maps.assets import inline_tags

    return Markup(inline_tags(tuple(bundles), nonce=nonce))


def base_script() -> str:
    """``geoquartier-base.js``, the script base shared with the maps, for inlining."""
    from geoquartier.maps.assets import BASE_SCRIPT, script_text

    return script_text(BASE_SCRIPT)


def page_config(lang: str, **values: Any) -> dict[str, Any]:
    """The config a page's scripts read (``#gq-config``), ``values`` added.

    Holds the shared vocabulary (:func:`geoquartier.vocabulary.page_constants`: kinds and
    their colours, statuses, time zone, tile URL), the kind labels and the date and time
    formats of ``lang``, the labels of the feedback states and of the sources (online,
    paper).
    """
    from geoquartier.maps.i18n import clock_config
    from geoquartier.vocabulary import page_constants

    tr = Translator(lang)
    constants = page_constants()
    labels = {kind: tr(kind.capitalize()) for kind in constants["kinds"]}
    feedback = {s: tr(FEEDBACK_MSGIDS[s]) for s in FEEDBACK_STATUSES}
    sources = {s: tr(SOURCE_MSGIDS[s]) for s in ANNOTATION_SOURCES}
    return {
        **constants,
        **clock_config(tr.lang),
        "lang": tr.lang,
        "kindLabels": labels,
        "feedbackLabels": feedback,
        "sourceLabels": sources,
        **values,
    }


def render(template: str, lang: str, **context: Any) -> str:
    """Render ``templates/<template>`` in ``lang`` with ``tr`` and ``i18n_json`` available."""
    tr = Translator(lang)
    return (
        environment()
        .get_template(template)
        .render(
            tr=tr,
            lang=tr.lang,
            languages=PAGE_LANGUAGES,
            i18n_json=script_json(tr.all()),
            **context,
        )
    )
