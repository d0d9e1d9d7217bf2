"""Message catalogs and locale formatting for the maps (de, en, tr, ro, bg).

Every label of a map comes from a gettext catalog
``geoquartier/maps/locale/<lang>/LC_MESSAGES/geoquartier.po`` read with Babel
(``babel.messages.pofile.read_po``); msgids are English. Weekday and month names, numbers,
dates and times are formatted by Babel's CLDR locale data, never by hand. A msgid missing
from a catalog raises ``KeyError`` so an untranslated label cannot slip into a map.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date, datetime, time
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_time, get_day_names, get_month_names
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from geoquartier.errors import GeoquartierError
from geoquartier.vocabulary import DEFAULT_LANGUAGE, PAGE_LANGUAGES

LANGUAGES = PAGE_LANGUAGES
"""Languages of the maps (:data:`geoquartier.vocabulary.PAGE_LANGUAGES`); ``de`` is the
default."""

DOTTED_I_LANGUAGES = frozenset({"tr", "az"})
"""Languages whose upper case of ``i`` is ``İ`` (and of ``ı`` is ``I``)."""

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "geoquartier"


def check_language(lang: str) -> str:
    """``lang`` if it is one of :data:`LANGUAGES`, else a :class:`GeoquartierError`."""
    if lang not in LANGUAGES:
        raise GeoquartierError(
            f"unknown map language {lang!r}; choose one of {', '.join(LANGUAGES)}"
        )
    return lang


def catalog_path(lang: str) -> Path:
    """The ``.po`` file of ``lang``."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def load_catalog(lang: str) -> Catalog:
    """The parsed catalog of ``lang`` (cached)."""
    check_language(lang)
    with catalog_path(lang).open("rb") as fh:
        return read_po(fh, locale=lang, domain=DOMAIN)


def translate(
    messages: Mapping[str, str], msgid: str, values: Mapping[str, object], catalog: Path
) -> str:
    """The translation of ``msgid`` in ``messages`` with ``values`` filled in; a msgid
    missing from ``messages`` raises ``KeyError`` naming the ``catalog`` file."""
    try:
        text = messages[msgid]
    except KeyError:
        raise KeyError(f"msgid {msgid!r} has no translation in {catalog}") from None
    return text.format(**values) if values else text


class Translator:
    """Labels and locale formatting in one language.

    ``tr("Offices")`` returns the translation; ``tr("{minutes} min walk", minutes=5)``
    fills the placeholders after translating. Dates and times are local values (the time
    zone of :data:`geoquartier.vocabulary.TIME_ZONE`) formatted with Babel.
    """

    def __init__(self, lang: str = DEFAULT_LANGUAGE):
        self.lang = check_language(lang)
        self.locale = Locale.parse(lang)
        catalog = load_catalog(lang)
        self._messages = {m.id: m.string for m in catalog if m.id and m.string}

    def __call__(self, msgid: str, **values: object) -> str:
        return translate(self._messages, msgid, values, catalog_path(self.lang))

    def has(self, msgid: str) -> bool:
        """Whether ``msgid`` is in this language's catalog."""
        return msgid in self._messages

    # -- Babel formatting ---------------------------------------------------------------
    def weekday_names(self, width: str = "wide") -> list[str]:
        """Weekday names Monday..Sunday in this language (stand-alone form)."""
        names = get_day_names(width, context="stand-alone", locale=self.locale)
        return [names[i] for i in range(7)]

    def month_names(self, width: str = "abbreviated") -> list[str]:
        """Month names January..December (format context, as used inside dates)."""
        names = get_month_names(width, context="format", locale=self.locale)
        return [names[i] for i in range(1, 13)]

    def time(self, value: time | datetime) -> str:
        """A clock time in the locale's short format (``10:00``, ``10:00 AM``, ``10:00 ч.``)."""
        return format_time(value, "short", locale=self.locale)

    def date(self, value: date | datetime, fmt: str = "medium") -> str:
        """A date in the locale's format (``medium`` by default)."""
        return format_date(value, fmt, locale=self.locale)

    def number(self, value: float) -> str:
        """A number with the locale's grouping and decimal signs."""
        return format_decimal(value, locale=self.locale)

    def language_name(self, code: str) -> str:
        """Name of the language ``code`` (ISO 639-1) in this language; the code if unknown."""
        return self.locale.languages.get(code, code)

    def upper(self, value: str) -> str:
        """``value`` in upper case by this language's rules (Turkish: i → İ, ı → I)."""
        if self.lang in DOTTED_I_LANGUAGES:
            value = value.replace("i", "İ").replace("ı", "I")
        return value.upper()

    def capitalise(self, value: str) -> str:
        """``value`` with its first letter in upper case by this language's rules
        ("iş ve meslek" → "İş ve meslek" in Turkish); the rest unchanged."""
        return self.upper(value[:1]) + value[1:]

    def sentences(self, *parts: str) -> str:
        """Non-empty ``parts`` as sentences: each capitalised and ending with a full stop."""
        out = []
        for part in parts:
            part = part.strip()
            if part:
                out.append(self.capitalise(part) + ("" if part.endswith((".", "!", "?")) else "."))
        return " ".join(out)

    def autonym(self) -> str:
        """This language's own name (``Deutsch``, ``Türkçe``, ...)."""
        return self.capitalise(self.locale.get_display_name(self.locale) or self.lang)

    def patterns(self) -> dict[str, str]:
        """CLDR patterns the browser needs: short time and medium date (LDML syntax), and
        ``dateTime``, how the two are joined (``{1}`` the date, ``{0}`` the time)."""
        return {
            "time": self.locale.time_formats["short"].pattern,
            "date": self.locale.date_formats["medium"].pattern,
            "dateTime": str(self.locale.datetime_formats["medium"]),
        }

    def day_periods(self) -> list[str]:
        """The AM and PM markers of the locale."""
        periods = self.locale.day_periods["format"]["abbreviated"]
        return [periods.get("am", "AM"), periods.get("pm", "PM")]


def clock_config(lang: str) -> dict[str, object]:
    """Page-config entries for local dates and times in ``lang`` (``GQ.formatLocal``):
    weekday and month names, CLDR patterns and AM/PM markers."""
    tr = Translator(lang)
    return {
        "weekdays": tr.weekday_names(),
        "months": tr.month_names(),
        "patterns": tr.patterns(),
        "dayPeriods": tr.day_periods(),
    }
