"""Fixtures shared by every test module.

* Settings are read again before and after every test, so that a test that sets
  ``GEOQUARTIER_*`` variables (``monkeypatch.setenv`` + ``reload_settings()``) never leaks
  them into the next one.
* ``participation_backend``: a fresh participation database on SQLite and on PostgreSQL
  (see ``participation_backends``).
"""

from __future__ import annotations

import pytest

from geoquartier.settings import reload_settings

pytest_plugins = ("participation_backends",)


@pytest.fixture(autouse=True)
def _fresh_settings():
    reload_settings()
    yield
    reload_settings()


@pytest.fixture(scope="session")
def neu_olvenstedt_poi_counts() -> dict[str, int]:
    """Points of interest per category inside Neu Olvenstedt, as SOURCES.md counts them in
    the real amenity points (transit left out: the stops come from GTFS)."""
    return {"school": 17, "grocery": 10, "healthcare": 9, "park": 7, "pharmacy": 2, "cafe": 2}
