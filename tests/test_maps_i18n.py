"""The map catalogs: every msgid translated in all five languages, placeholders kept,
every label the code asks for present; Babel formats per locale."""

from __future__ import annotations

import re
import string
from datetime import time
from pathlib import Path

import pytest

from geoquartier.maps import i18n
from geoquartier.maps.i18n import LANGUAGES, Translator, load_catalog

MAPS_DIR = Path(i18n.__file__).resolve().parent


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _msgids(lang: str) -> dict[str, str]:
    return {m.id: m.string for m in load_catalog(lang) if m.id}


def test_all_catalogs_have_the_same_msgids():
    reference = set(_msgids("de"))
    assert len(reference) > 100
    for lang in LANGUAGES:
        assert set(_msgids(lang)) == reference, lang


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_msgid_is_translated_with_the_same_placeholders(lang):
    for msgid, msgstr in _msgids(lang).items():
        assert msgstr and msgstr.strip(), f"{lang}: {msgid!r} untranslated"
        assert _fields(msgstr) == _fields(msgid), f"{lang}: placeholders differ in {msgid!r}"


@pytest.mark.parametrize("lang", ["de", "tr", "ro", "bg"])
def test_translations_are_not_the_english_text(lang):
    messages = _msgids(lang)
    same = [m for m, s in messages.items() if s == m]
    # a few words are the same in both languages ("Status", "Park", "{weekday} {time}")
    assert len(same) < 0.1 * len(messages), same


def test_every_label_used_in_code_is_in_the_catalog():
    used: set[str] = set()
    pattern = re.compile(r"""\btr\(\s*(["'])((?:(?!\1).)+)\1""")
    for path in MAPS_DIR.glob("*.py"):
        used |= {m.group(2) for m in pattern.finditer(path.read_text(encoding="utf-8"))}
    from geoquartier.maps import builder, popups

    for mapping in ("WHEELCHAIR_LABELS", "MEASURE_STATUS_LABELS"):
        used |= set(getattr(popups, mapping).values())
    used |= set(builder.NETWORK_NOTICES.values())
    from geoquartier.layers.schema import ANNOTATION_KINDS, POI_CATEGORIES, SERVICE_CATEGORIES

    used |= set(SERVICE_CATEGORIES) | set(POI_CATEGORIES) | set(ANNOTATION_KINDS)
    assert len(used) > 60
    known = set(_msgids("en"))
    assert sorted(used - known) == []


def test_missing_msgid_raises():
    with pytest.raises(KeyError, match="no translation"):
        Translator("tr")("A label nobody translated")


def test_unknown_language_is_a_user_error():
    from geoquartier.errors import GeoquartierError

    with pytest.raises(GeoquartierError, match="de, en, tr, ro, bg"):
        Translator("fr")


def test_babel_formats_per_locale():
    assert Translator("de").weekday_names()[1] == "Dienstag"
    assert Translator("tr").weekday_names()[1] == "Salı"
    assert Translator("ro").weekday_names()[1] == "marți"
    assert Translator("bg").weekday_names()[1] == "вторник"
    assert Translator("en").time(time(15, 0)).startswith("3:00")
    assert Translator("de").time(time(15, 0)) == "15:00"
    assert Translator("de").number(11677) == "11.677"
    assert Translator("bg").number(11677) == "11\xa0677"
    assert Translator("tr").language_name("de") == "Almanca"
    assert Translator("de")("{minutes} min walk", minutes=7) == "7 Min. zu Fuß"


def test_label_and_colour_tables_cover_the_schema_vocabularies():
    from geoquartier.layers.schema import MEASURE_STATUS, WHEELCHAIR_VALUES
    from geoquartier.maps import popups, styles
    from geoquartier.vocabulary import ANNOTATION_KINDS

    assert tuple(popups.MEASURE_STATUS_LABELS) == MEASURE_STATUS
    assert tuple(styles.MEASURE_COLOURS) == MEASURE_STATUS
    assert tuple(popups.WHEELCHAIR_LABELS) == WHEELCHAIR_VALUES
    assert tuple(styles.ANNOTATION_COLOURS) == ANNOTATION_KINDS
    assert len(styles.annotation_classes()) == len(ANNOTATION_KINDS)
    assert len(styles.walk_classes()) == len(styles.WALK_CLASSES_MIN) + 2  # + longer, unreachable
