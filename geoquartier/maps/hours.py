"""Opening hours prepared for the browser: a year of open intervals and the weekly text.

The map must say "open now" / "opens Tuesday 10:00" for the moment it is *viewed*, not
the moment it was built. So the Python :class:`~geoquartier.layers.opening_hours.OpeningHours`
(which knows the state's public holidays) is evaluated here for the next 12 months and
the changes are embedded compactly; ``static/geoquartier-map.js`` finds the current
interval at view time.

Encoding (all times in minutes since 1970-01-01 UTC): ``{"t0": start, "s": "oco...",
"d": [gap1, gap2, ...]}`` — ``s[i]`` is the state (``o`` open, ``c`` closed, ``u`` unknown)
from change ``i`` (change 0 is ``t0``) until the next; ``d[i]`` the minutes from change
``i`` to change ``i+1``. The last state holds until the horizon ``t1``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from geoquartier.layers.opening_hours import OpeningHours
from geoquartier.maps.i18n import Translator
from geoquartier.vocabulary import TIME_ZONE

HORIZON_DAYS = 366
"""How far ahead the intervals are computed (days)."""

_STATE_CODE = {"open": "o", "closed": "c", "unknown": "u"}
_PH_OFF = re.compile(r"\bPH\s+(off|closed)\b")


def _epoch_min(at: datetime) -> int:
    return int(at.timestamp() // 60)


def encode_intervals(
    hours: OpeningHours, start: datetime, days: int = HORIZON_DAYS
) -> dict[str, object]:
    """The open/closed changes from ``start`` (aware) for ``days`` days, encoded for JS.

    Returns ``{"t0": minutes, "t1": minutes, "s": states, "d": gaps_min}`` as described in
    the module docstring; times are minutes since the Unix epoch (UTC).
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    start = start.astimezone(TIME_ZONE).replace(second=0, microsecond=0)
    end = start + timedelta(days=days)
    states = [_STATE_CODE[hours.state_at(start)]]
    gaps: list[int] = []
    cursor = start
    last = _epoch_min(start)
    while True:
        change = hours.next_change(cursor)
        if change is None or change >= end:
            break
        now = _epoch_min(change)
        gaps.append(now - last)
        last = now
        states.append(_STATE_CODE[hours.state_at(change)])
        cursor = change
    return {"t0": _epoch_min(start), "t1": _epoch_min(end), "s": "".join(states), "d": gaps}


def utc_offsets(start: datetime, days: int = HORIZON_DAYS) -> list[list[int]]:
    """UTC offsets of the local time zone (:data:`geoquartier.vocabulary.TIME_ZONE`) over
    the horizon: ``[[from_epoch_min, offset_min], ...]``.

    Lets the browser turn an epoch minute into local wall-clock time without relying on
    the viewer's own time zone.
    """
    cursor = start.astimezone(TIME_ZONE).replace(minute=0, second=0, microsecond=0)
    end = cursor + timedelta(days=days + 2)
    table: list[list[int]] = []
    previous = None
    step = timedelta(hours=1)
    while cursor <= end:
        offset = int(cursor.utcoffset().total_seconds() // 60)
        if offset != previous:
            table.append([_epoch_min(cursor), offset])
            previous = offset
        cursor = (cursor.astimezone(TIME_ZONE) + step).astimezone(TIME_ZONE)
    table[0][0] = -(2**31)
    return table


def weekly_lines(hours: OpeningHours, tr: Translator) -> list[tuple[str, str]]:
    """The regular week written out: ``[(weekday name, "10:00–13:00, 15:00–18:00"), ...]``.

    Weekday names and times come from Babel in ``tr``'s language; a closed day reads
    "closed"; public-holiday closing is added as a last line when the expression says so.
    """
    names = tr.weekday_names()
    lines: list[tuple[str, str]] = []
    for weekday, spans in hours.weekly():
        if not spans:
            text = tr("closed")
        else:
            text = ", ".join(
                f"{tr.time(b)}–{tr.time(e) if (e.hour, e.minute) != (0, 0) else '24:00'}"
                for b, e in spans
            )
        lines.append((names[weekday], text))
    if _PH_OFF.search(hours.expression):
        lines.append(("", tr("Public holidays: closed")))
    return lines
