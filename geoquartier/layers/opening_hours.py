"""OpenStreetMap ``opening_hours`` with the public holidays of a German state.

Parsing and evaluation use the maintained ``opening-hours-py`` library (import name
``opening_hours``). Its own holiday calendar knows only nation-wide holidays per country,
while German public holidays differ by state (Fronleichnam in NW but not in ST,
Reformationstag in ST but not in NW, ...). So the state's calendar comes from the
``holidays`` package (``holidays.Germany(subdiv="NW")``) and is applied around the library:

* The expression is evaluated by a library instance that has *no* holiday calendar, so
  ``PH`` never matches. That is exact on every day that is not a holiday of the state.
* On a holiday of the state, the day is evaluated by a second instance in which every
  ``PH`` of the expression is replaced by that day's weekday (``PH,Su off`` on a Thursday
  becomes ``Th,Su off``). Evaluated on that one day only, this is exactly "today is PH".
* ``next_change`` walks forward day by day across holidays, using the matching instance
  for each day, and reports a change at midnight where the switch of instance changes the
  state.

Limits (documented, not silent): an overnight span that starts on a holiday and runs into
the next day is evaluated on the next day as if the holiday were a normal day; holiday
offsets (``PH +1 day``) cannot be rewritten, so such expressions fall back to the library's
nation-wide German calendar. ``SH`` (school holidays) is never matched.

Times: the zone is Europe/Berlin. Naive datetimes are local time and results are then
naive local times; aware datetimes give aware results in Europe/Berlin.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays
import opening_hours as _oh

from geoquartier.vocabulary import TIME_ZONE

TIMEZONE = TIME_ZONE
"""Local time zone of every quartier."""

HORIZON_DAYS = 3 * 366
"""``next_change`` looks this many days ahead at most, then answers ``None``."""

_WEEKDAY_TOKENS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_PH = re.compile(r"\bPH\b")
_PH_OFFSET = re.compile(r"\bPH\s*[+-]?\s*\d+\s*days?\b")
_PH_BEFORE_WEEKDAY = re.compile(r"\bPH\s+(?=(?:Mo|Tu|We|Th|Fr|Sa|Su)\b)")


def normalise_state(state: str) -> str:
    """``"NW"``, ``"nw"`` or ``"DE-NW"`` -> ``"NW"``; ``ValueError`` for an unknown state."""
    code = str(state).strip().upper()
    code = code.removeprefix("DE-")
    if code not in _german_states():
        raise ValueError(
            f"unknown German state {state!r}; expected one of "
            + ", ".join(f"DE-{s}" for s in sorted(_german_states()))
        )
    return code


@lru_cache(maxsize=1)
def _german_states() -> frozenset[str]:
    return frozenset(s for s in holidays.Germany.subdivisions if len(s) == 2)


@lru_cache(maxsize=32)
def _state_calendar(state: str) -> holidays.HolidayBase:
    return holidays.Germany(subdiv=state)


@lru_cache(maxsize=256)
def _holidays_in_year(state: str, year: int) -> tuple[date, ...]:
    return tuple(sorted(holidays.Germany(subdiv=state, years=year)))


def _parse(expression: str, country: str | None = None) -> _oh.OpeningHours:
    return _oh.OpeningHours(
        expression,
        timezone=TIMEZONE,
        country=country,
        auto_country=False,
        auto_timezone=False,
    )


def validate_opening_hours(expression: object) -> str | None:
    """Check OSM ``opening_hours`` syntax: ``None`` if valid, else the error text (one line)."""
    if not isinstance(expression, str) or not expression.strip():
        return "empty or not text"
    return _syntax_error(expression.strip())


@lru_cache(maxsize=4096)
def _syntax_error(expression: str) -> str | None:
    try:
        _parse(expression)
    except (_oh.ParserError, SyntaxError, ValueError) as exc:
        return _one_line(str(exc))
    return None


def _one_line(text: str) -> str:
    """The library's multi-line parser message as one line: position and expectation."""
    pos = re.search(r"-->\s*(\d+):(\d+)", text)
    hint = re.search(r"=\s*(.+)", text)
    parts = ["invalid opening_hours syntax"]
    if pos:
        parts.append(f"at character {pos.group(2)}")
    if hint:
        parts.append(f"({hint.group(1).strip()})")
    return " ".join(parts)


def _outside_quotes(expression: str, pattern: re.Pattern[str], repl: str) -> str:
    """Apply ``pattern.sub(repl)`` to the parts of ``expression`` not inside "comments"."""
    parts = expression.split('"')
    for i in range(0, len(parts), 2):
        parts[i] = pattern.sub(repl, parts[i])
    return '"'.join(parts)


class OpeningHours:
    """An OSM ``opening_hours`` expression evaluated with one German state's holidays.

    ``state`` is the state as ISO 3166-2 (``"DE-NW"``) or its two letters (``"NW"``).
    Invalid syntax raises ``ValueError``. Times are Europe/Berlin; see the module notes.
    """

    def __init__(self, expression: str, state: str = "DE-NW"):
        error = validate_opening_hours(expression)
        if error is not None:
            raise ValueError(f"{expression!r}: {error}")
        self.expression = expression.strip()
        self.state = normalise_state(state)
        self._calendar = _state_calendar(self.state)
        unquoted = "".join(self.expression.split('"')[0::2])
        self._uses_ph = bool(_PH.search(unquoted))
        self._national_fallback = bool(_PH_OFFSET.search(unquoted))
        if self._national_fallback:
            self._base = _parse(self.expression, country="DE")
        else:
            self._base = _parse(self.expression)
        self._variants: dict[int, _oh.OpeningHours] = {}

    def __repr__(self) -> str:
        return f"OpeningHours({self.expression!r}, state='DE-{self.state}')"

    # -- holiday handling -------------------------------------------------------------
    def is_holiday(self, day: date) -> bool:
        """Whether ``day`` is a public holiday in the state."""
        return day in self._calendar

    def holiday_name(self, day: date) -> str | None:
        """Name of the state's public holiday on ``day`` (English), or ``None``."""
        return self._calendar.get(day)

    def _instance_for(self, day: date) -> _oh.OpeningHours:
        if not self._uses_ph or self._national_fallback or not self.is_holiday(day):
            return self._base
        weekday = day.weekday()
        if weekday not in self._variants:
            token = _WEEKDAY_TOKENS[weekday]
            text = _outside_quotes(self.expression, _PH_BEFORE_WEEKDAY, f"{token},")
            text = _outside_quotes(text, _PH, token)
            self._variants[weekday] = _parse(text)
        return self._variants[weekday]

    # -- time handling ----------------------------------------------------------------
    @staticmethod
    def _local(at: datetime) -> tuple[datetime, bool]:
        if not isinstance(at, datetime):
            raise TypeError(f"expected a datetime, got {type(at).__name__}")
        if at.tzinfo is None:
            return at.replace(tzinfo=TIMEZONE), True
        return at.astimezone(TIMEZONE), False

    @staticmethod
    def _midnight(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=TIMEZONE)

    def state_at(self, at: datetime) -> str:
        """``"open"``, ``"closed"`` or ``"unknown"`` at ``at`` (naive = local time)."""
        local, _ = self._local(at)
        inst = self._instance_for(local.date())
        if inst.is_open(local):
            return "open"
        if inst.is_unknown(local):
            return "unknown"
        return "closed"

    def is_open(self, at: datetime) -> bool:
        """Whether the place is open at ``at`` (naive = Europe/Berlin local time)."""
        return self.state_at(at) == "open"

    def next_change(self, after: datetime) -> datetime | None:
        """First moment after ``after`` at which the open/closed state changes.

        Naive ``after`` gives a naive local result; aware gives aware Europe/Berlin.
        ``None`` if the state never changes within :data:`HORIZON_DAYS`.
        """
        local, naive = self._local(after)
        found = self._next_change_local(local)
        if found is None:
            return None
        found = found.astimezone(TIMEZONE)
        return found.replace(tzinfo=None) if naive else found

    def _next_change_local(self, start: datetime) -> datetime | None:
        current = self.state_at(start)
        limit = start + timedelta(days=HORIZON_DAYS)
        cursor = start
        while cursor < limit:
            day = cursor.date()
            inst = self._instance_for(day)
            if inst is self._base:
                # run on the base instance until the next holiday of the state
                holiday = self._next_holiday(day, limit.date()) if self._uses_ph else None
                stop = self._midnight(holiday) if holiday is not None else limit
                change = self._first_change(inst, cursor, stop, current)
                if change is not None:
                    return change
                if holiday is None:
                    return None
                cursor = stop
            else:
                stop = self._midnight(day + timedelta(days=1))
                change = self._first_change(inst, cursor, stop, current)
                if change is not None:
                    return change
                cursor = stop
            if self.state_at(cursor) != current:
                return cursor
        return None

    def _first_change(
        self, inst: _oh.OpeningHours, start: datetime, stop: datetime, current: str
    ) -> datetime | None:
        for begin, end, state, _comment in inst.intervals(start, stop):
            name = _state_name(state)
            if name != current and begin > start:
                return begin
            if end is None or end >= stop:
                break
        return None

    def _next_holiday(self, day: date, until: date) -> date | None:
        for year in range(day.year, until.year + 1):
            for h in self._calendar_for_year(year):
                if day < h <= until:
                    return h
        return None

    def _calendar_for_year(self, year: int) -> tuple[date, ...]:
        return _holidays_in_year(self.state, year)

    # -- rendering --------------------------------------------------------------------
    def weekly(self, week_of: date | None = None) -> list[tuple[int, list[tuple[time, time]]]]:
        """The regular weekly schedule: ``[(weekday 0=Mon..6=Sun, [(open, close), ...]), ...]``.

        Evaluated for the Monday-to-Sunday week containing ``week_of`` (default: today)
        without public holidays, in local time. Spans crossing midnight are split at
        midnight; a span that runs to the end of the day closes at ``time(0, 0)``
        (read: 24:00).
        """
        day0 = week_of or datetime.now(TIMEZONE).date()
        monday = day0 - timedelta(days=day0.weekday())
        out: list[tuple[int, list[tuple[time, time]]]] = []
        for wd in range(7):
            d = monday + timedelta(days=wd)
            start, stop = self._midnight(d), self._midnight(d + timedelta(days=1))
            spans: list[tuple[time, time]] = []
            for begin, end, state, _comment in self._base.intervals(start, stop):
                if _state_name(state) == "open":
                    b = max(begin, start)
                    e = min(end, stop) if end is not None else stop
                    spans.append(
                        (
                            b.timetz().replace(tzinfo=None),
                            e.timetz().replace(tzinfo=None) if e < stop else time(0),
                        )
                    )
                if end is None or end >= stop:
                    break
            out.append((wd, spans))
        return out


def _state_name(state: object) -> str:
    name = getattr(state, "name", str(state)).lower()
    return {"open": "open", "closed": "closed"}.get(name, "unknown")
