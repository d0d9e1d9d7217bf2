"""Fixtures shared by every test module.

* Settings are read again before and after every test, so that a test that sets
  ``GEOQUARTIER_*`` variables (``monkeypatch.setenv`` + ``reload_settings()``) never leaks
  them into the next one.
"""

from __future__ import annotations

import pytest

from geoquartier.settings import reload_settings


@pytest.fixture(autouse=True)
def _fresh_settings():
    reload_settings()
    yield
    reload_settings()
