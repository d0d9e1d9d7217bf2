"""Labels of the printed documents in de, en, tr, ro and bg.

The documents reuse the map catalog (:mod:`geoquartier.maps.i18n`: category names, "Opening
hours", "closed", ...) and add their own gettext catalog
``geoquartier/reports/locale/<lang>/LC_MESSAGES/documents.po`` read with Babel. A msgid
missing from both raises ``KeyError``, as for the maps.
"""

from __future__ import annotations

import functools
from pathlib import Path

from babel.messages.pofile import read_po

from geoquartier.maps.i18n import LANGUAGES, Translator, check_language

__all__ = ["LANGUAGES", "DocTranslator", "check_language", "documents_catalog_path"]

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "documents"


def documents_catalog_path(lang: str) -> Path:
    """The ``.po`` file of the documents in ``lang``."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def _document_messages(lang: str) -> dict[str, str]:
    check_language(lang)
    with documents_catalog_path(lang).open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    return {m.id: m.string for m in catalog if m.id and m.string}


class DocTranslator(Translator):
    """A :class:`~geoquartier.maps.i18n.Translator` that also knows the document labels."""

    def __init__(self, lang: str):
        super().__init__(lang)
        self._messages = {**self._messages, **_document_messages(self.lang)}
