"""A network quartier whose walk network is missing or cannot be built: the map is drawn
with estimated walking times and says why, in every language; a failed build is logged,
never swallowed. Lauf from the real data, with its walk extract replaced."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from geoquartier.maps import build_quartier_map
from geoquartier.maps.builder import NETWORK_NOTICES
from geoquartier.maps.data import NETWORK_FAILED, NETWORK_MISSING, collect_map_data
from geoquartier.maps.i18n import LANGUAGES, Translator
from geoquartier.registry import load_registry

try:
    from tests.test_maps_support import BUILT_AT, map_data, maps_store
except ImportError:  # pragma: no cover
    from test_maps_support import BUILT_AT, map_data, maps_store  # noqa: F401

LOGGER = "geoquartier.maps.data"


def _lauf_with_walk_network(path) -> object:
    spec = load_registry()["lauf"]
    return dataclasses.replace(spec, sources={**spec.sources, "walk_network": str(path)})


def _notices(data, lang: str) -> tuple[str, str]:
    """The notice as it appears in the page (HTML-escaped) and the whole page."""
    m = build_quartier_map(data, lang=lang, tile_url=None, built_at=BUILT_AT)
    page = m.get_root().render()
    notice = Translator(lang)(NETWORK_NOTICES[data.network_issue])
    return notice.replace("'", "&#x27;"), page


def _assert_estimated(data) -> None:
    assert data.method == "estimate"
    assert data.access is not None and len(data.access) == len(data.layer("population"))
    assert sorted(data.isochrones["minutes"].tolist()) == [5, 10, 15]


def test_unreadable_walk_extract_gives_an_estimate_map_that_says_why(maps_store, tmp_path, caplog):
    broken = tmp_path / "lauf_walk_osm.osm.bz2"
    broken.write_bytes(b"this is not bzip2-compressed OSM XML")
    spec = _lauf_with_walk_network(broken)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        data = collect_map_data(spec, maps_store)
    assert data.network_issue == NETWORK_FAILED
    _assert_estimated(data)
    [record] = [r for r in caplog.records if r.name == LOGGER]
    assert record.levelno == logging.WARNING
    assert "'lauf'" in record.getMessage() and "not a readable OSM file" in record.getMessage()
    assert str(broken) in record.getMessage()
    assert not record.exc_info  # a known failure: one line, no traceback
    for lang in LANGUAGES:
        notice, page = _notices(data, lang)
        # in the legend of each walking layer (isochrones, access), at the top of the legend
        # and of the list, and in the list's footer
        assert page.count(notice) == 5, lang
        assert str(broken) not in page  # the reason stays in the log, not on a public page
    german = _notices(data, "de")[1]
    assert "Fußwegenetz konnte beim Erstellen dieser Karte nicht berechnet werden" in german


def test_unexpected_error_while_building_is_logged_with_its_traceback(
    maps_store, monkeypatch, caplog
):
    def failing_network(spec):
        raise RuntimeError("graph has no nodes")

    monkeypatch.setattr("geoquartier.maps.data.network_for", failing_network)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        data = collect_map_data(load_registry()["lauf"], maps_store)
    assert data.network_issue == NETWORK_FAILED
    _assert_estimated(data)
    [record] = [r for r in caplog.records if r.name == LOGGER]
    assert record.levelno == logging.WARNING
    assert "RuntimeError: graph has no nodes" in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    notice, page = _notices(data, "en")
    assert "could not be built when this map was made" in notice and page.count(notice) == 5


def test_missing_walk_extract_falls_back_to_estimates_and_says_so(maps_store, tmp_path, caplog):
    spec = _lauf_with_walk_network(tmp_path / "nowhere_walk_osm.osm.bz2")
    with caplog.at_level(logging.INFO, logger=LOGGER):
        data = collect_map_data(spec, maps_store)
    assert data.network_issue == NETWORK_MISSING
    _assert_estimated(data)
    [record] = [r for r in caplog.records if r.name == LOGGER]
    assert record.levelno == logging.INFO and "not found" in record.getMessage()
    notice, page = _notices(data, "tr")
    assert notice == "Yürüme süreleri tahminidir: bu mahalle için yaya yolu ağı yok."
    assert page.count(notice) == 5


@pytest.mark.parametrize("quartier", ["neu-olvenstedt", "lauf"])
def test_estimate_quartier_and_working_network_show_no_notice(map_data, quartier):
    data = map_data(quartier)
    assert data.network_issue is None
    m = build_quartier_map(data, lang="en", tile_url=None, built_at=BUILT_AT)
    assert "Walking times are estimates:" not in m.get_root().render()
