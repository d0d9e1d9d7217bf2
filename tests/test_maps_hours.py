"""Opening intervals embedded for the browser agree with the Python OpeningHours, holidays
of the quartier's state included; weekly text per weekday in the chosen language."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from geoquartier.layers.opening_hours import TIMEZONE, OpeningHours
from geoquartier.maps.hours import encode_intervals, utc_offsets, weekly_lines
from geoquartier.maps.i18n import Translator

try:
    from tests.test_maps_support import BUILT_AT
except ImportError:  # pragma: no cover
    from test_maps_support import BUILT_AT

LAUF_OFFICE = "Tu 10:00-13:00; We 15:00-18:00; Th 10:00-13:00; PH off"


def _state_at(encoded: dict, at: datetime) -> str:
    """Decode like static/geoquartier-map.js (GQ.status)."""
    now = int(at.timestamp() // 60)
    t, i = encoded["t0"], 0
    while i < len(encoded["d"]) and t + encoded["d"][i] <= now:
        t += encoded["d"][i]
        i += 1
    return {"o": "open", "c": "closed", "u": "unknown"}[encoded["s"][i]]


@pytest.mark.parametrize(
    "expression,state",
    [
        (LAUF_OFFICE, "DE-BY"),
        ("Mo 16:00-19:00; Th 09:00-12:00; Fr 16:00-18:00; PH off", "DE-HE"),
        ("Mo-Fr 08:00-12:30,13:30-18:00; Sa 09:00-13:00; PH off", "DE-ST"),
    ],
)
def test_encoded_intervals_match_opening_hours(expression, state):
    hours = OpeningHours(expression, state=state)
    encoded = encode_intervals(hours, BUILT_AT)
    assert encoded["t1"] - encoded["t0"] == 366 * 24 * 60
    at = BUILT_AT
    checked = 0
    while at < BUILT_AT + timedelta(days=366):
        assert _state_at(encoded, at) == hours.state_at(at), (expression, at)
        at += timedelta(minutes=97)  # not aligned with the hours: hits every time of day
        checked += 1
    assert checked > 5000


def test_state_holidays_are_honoured():
    epiphany = datetime(
        2027, 1, 6, 16, 0, tzinfo=TIMEZONE
    )  # a Wednesday; a holiday in Bavaria only
    bavaria = encode_intervals(OpeningHours(LAUF_OFFICE, state="DE-BY"), BUILT_AT)
    nrw = encode_intervals(OpeningHours(LAUF_OFFICE, state="DE-NW"), BUILT_AT)
    assert _state_at(bavaria, epiphany) == "closed"
    assert _state_at(nrw, epiphany) == "open"


def test_utc_offsets_cover_daylight_saving():
    table = utc_offsets(BUILT_AT)
    assert [off for _, off in table] == [60, 120, 60]
    spring = datetime(2027, 3, 28, 3, 0, tzinfo=TIMEZONE)
    assert table[1][0] == int(spring.timestamp() // 60)


def test_weekly_lines_in_each_language():
    hours = OpeningHours(LAUF_OFFICE, state="DE-BY")
    de = weekly_lines(hours, Translator("de"))
    assert de[0] == ("Montag", "geschlossen")
    assert de[1] == ("Dienstag", "10:00–13:00")
    assert de[-1] == ("", "Feiertags geschlossen")
    tr = weekly_lines(hours, Translator("tr"))
    assert tr[2] == ("Çarşamba", "15:00–18:00")
    assert weekly_lines(hours, Translator("en"))[1] == ("Tuesday", "10:00\u202fAM–1:00\u202fPM")
    assert weekly_lines(hours, Translator("bg"))[3][0] == "четвъртък"
