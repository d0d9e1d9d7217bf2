"""Opening hours with state public holidays, using the Stadtteilbüro Alt-Hamborn hours.

The seed text gives: Dienstag 10:00-13:00, Mittwoch 15:00-18:00, Donnerstag 10:00-13:00.
Duisburg is in Nordrhein-Westfalen (NW).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import holidays
import pytest

from geoquartier.layers.opening_hours import OpeningHours, normalise_state, validate_opening_hours

ALT_HAMBORN = "Tu,Th 10:00-13:00; We 15:00-18:00; PH off"
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture()
def hamborn() -> OpeningHours:
    return OpeningHours(ALT_HAMBORN, state="NW")


def test_open_and_closed_on_a_normal_week(hamborn):
    # 2026-06-09 is a Tuesday without a holiday
    assert hamborn.is_open(datetime(2026, 6, 9, 11, 0))
    assert not hamborn.is_open(datetime(2026, 6, 9, 13, 30))
    assert not hamborn.is_open(datetime(2026, 6, 9, 9, 59))
    assert hamborn.is_open(datetime(2026, 6, 10, 15, 0))  # Wednesday afternoon
    assert not hamborn.is_open(datetime(2026, 6, 10, 11, 0))  # Wednesday morning
    assert not hamborn.is_open(datetime(2026, 6, 12, 11, 0))  # Friday


def test_next_change_from_monday_is_tuesday_ten(hamborn):
    assert hamborn.next_change(datetime(2026, 6, 8, 9, 0)) == datetime(2026, 6, 9, 10, 0)
    assert hamborn.next_change(datetime(2026, 6, 9, 11, 0)) == datetime(2026, 6, 9, 13, 0)
    assert hamborn.next_change(datetime(2026, 6, 9, 13, 0)) == datetime(2026, 6, 10, 15, 0)


def test_fronleichnam_closed_in_nw_open_in_st(hamborn):
    day = date(2026, 6, 4)  # Fronleichnam, a Thursday
    assert day.weekday() == 3
    assert day in holidays.Germany(subdiv="NW") and day not in holidays.Germany(subdiv="ST")
    assert hamborn.is_holiday(day)
    assert not hamborn.is_open(datetime(2026, 6, 4, 11, 0))
    st = OpeningHours(ALT_HAMBORN, state="DE-ST")
    assert st.is_open(datetime(2026, 6, 4, 11, 0))
    # from Wednesday evening the next opening skips the holiday in NW only
    assert hamborn.next_change(datetime(2026, 6, 3, 18, 30)) == datetime(2026, 6, 9, 10, 0)
    assert st.next_change(datetime(2026, 6, 3, 18, 30)) == datetime(2026, 6, 4, 10, 0)


def test_allerheiligen_on_a_wednesday(hamborn):
    assert date(2028, 11, 1).weekday() == 2
    assert not hamborn.is_open(datetime(2028, 11, 1, 16, 0))
    assert hamborn.next_change(datetime(2028, 10, 31, 13, 30)) == datetime(2028, 11, 2, 10, 0)
    assert OpeningHours(ALT_HAMBORN, "ST").is_open(datetime(2028, 11, 1, 16, 0))


def test_reformationstag_in_st_not_nw():
    # 2028-10-31 is a Tuesday: Reformationstag is a holiday in ST, not in NW
    assert date(2028, 10, 31).weekday() == 1
    assert OpeningHours(ALT_HAMBORN, "NW").is_open(datetime(2028, 10, 31, 11, 0))
    assert not OpeningHours(ALT_HAMBORN, "ST").is_open(datetime(2028, 10, 31, 11, 0))


def test_nationwide_holiday_and_ph_open_rule():
    # Christmas Day 2029 is a Tuesday; "PH 11:00-12:00" opens on holidays only then
    expr = "Tu 10:00-13:00; PH 11:00-12:00"
    oh = OpeningHours(expr, "NW")
    assert not oh.is_open(datetime(2029, 12, 25, 10, 30))
    assert oh.is_open(datetime(2029, 12, 25, 11, 30))
    assert oh.next_change(datetime(2029, 12, 25, 10, 0)) == datetime(2029, 12, 25, 11, 0)
    assert oh.is_open(datetime(2029, 12, 18, 10, 30))  # the Tuesday before


def test_aware_datetimes_are_converted_to_berlin(hamborn):
    at = datetime(2026, 6, 9, 8, 30, tzinfo=UTC)  # 10:30 in Berlin (CEST)
    assert hamborn.is_open(at)
    change = hamborn.next_change(datetime(2026, 6, 8, 7, 0, tzinfo=UTC))
    assert change == datetime(2026, 6, 9, 10, 0, tzinfo=BERLIN)
    assert change.tzinfo is not None and change.utcoffset().total_seconds() == 7200


def test_next_change_none_when_always_open():
    assert OpeningHours("24/7", "NW").next_change(datetime(2026, 6, 8)) is None
    # with PH off, the next change is midnight of the next holiday
    oh = OpeningHours("24/7; PH off", "NW")
    assert oh.next_change(datetime(2026, 6, 1, 12, 0)) == datetime(2026, 6, 4, 0, 0)
    assert oh.next_change(datetime(2026, 6, 4, 12, 0)) == datetime(2026, 6, 5, 0, 0)


def test_weekly_schedule(hamborn):
    week = hamborn.weekly(date(2026, 6, 3))
    assert [wd for wd, _ in week] == list(range(7))
    assert week[1] == (1, [(time(10), time(13))])
    assert week[2] == (2, [(time(15), time(18))])
    assert week[3] == (3, [(time(10), time(13))])
    assert all(spans == [] for wd, spans in week if wd in (0, 4, 5, 6))
    # the regular week ignores holidays: Fronleichnam week still shows Thursday
    night = OpeningHours("Fr 22:00-02:00", "NW").weekly(date(2026, 6, 3))
    assert night[4] == (4, [(time(22), time(0))]) and night[5] == (5, [(time(0), time(2))])


def test_invalid_syntax_raises_value_error():
    with pytest.raises(ValueError, match="opening_hours syntax"):
        OpeningHours("Di 10-13 Uhr", "NW")
    assert validate_opening_hours("Tu,Th 10:00-13:00") is None
    assert "character" in validate_opening_hours("Mo-Fr 07:00-20:00; Sa-So 08:00-20:00")
    assert validate_opening_hours("") is not None


def test_state_codes():
    assert normalise_state("DE-NW") == "NW" and normalise_state("st") == "ST"
    with pytest.raises(ValueError, match="DE-BY"):
        OpeningHours(ALT_HAMBORN, "Ruhrgebiet")
