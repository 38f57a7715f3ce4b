"""The days the chashan rules expect something on, from the official calendar (SCHEMES.md
conventions): working days, working Fridays, the first working Monday of each month; and the
half of the day ("周五上午", "周五下午") an event fell in."""
from __future__ import annotations

import datetime as dt

FRIDAY, MONDAY = 4, 0


def months(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The calendar months ``[first, next first)`` of the period ``[start, end)``."""
    out, first = [], start.replace(day=1)
    while first < end:
        following = (first + dt.timedelta(days=32)).replace(day=1)
        out.append((max(first, start), min(following, end)))
        first = following
    return out


def month_label(first: dt.date) -> str:
    return f"{first.year}-{first.month:02d}"


def fridays(working: list[dt.date]) -> list[dt.date]:
    """Fridays that are working days: a Friday that is a holiday carries no meeting or letter."""
    return [d for d in working if d.weekday() == FRIDAY]


def first_mondays(working: list[dt.date]) -> list[dt.date]:
    """The first Monday of each month that is a working day."""
    found: dict[tuple[int, int], dt.date] = {}
    for day in working:
        if day.weekday() == MONDAY:
            found.setdefault((day.year, day.month), day)
    return sorted(found.values())


def required_days(facts, working: list[dt.date]) -> list[dt.date]:
    """The days a director must patrol (setting ``required_patrol_days``)."""
    return facts.days() if facts.settings["required_patrol_days"] == "every_day" else working


def dates(days) -> str:
    return ", ".join(d.isoformat() for d in days)


def half_days(facts, tallies: dict, afternoon: bool) -> dict[int, set]:
    """{subject: local days with one of its events in the morning (before noon) or afternoon},
    from tallies counted with ``half_days=True``. With ``check_time_of_day`` off, any time of the
    day counts."""
    if not facts.settings["check_time_of_day"]:
        return {sid: set(t.by_day) for sid, t in tallies.items()}
    half = "pm" if afternoon else "am"
    return {sid: {day for (day, h), n in t.by_half_day.items() if h == half and n} for sid, t in tallies.items()}
