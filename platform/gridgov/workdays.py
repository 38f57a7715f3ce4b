"""Official working days of the Chinese calendar (法定工作日), for deadlines counted in working days.

The calendar is data the platform keeps (:mod:`gridgov.models.calendar`): only the exceptions to
Monday–Friday are stored — holidays on weekdays and make-up working days on weekends (调休上班).
The years the ``chinese-calendar`` package covers (2004–2026) are seeded by
:func:`seed_official_calendar`; a platform administrator enters each later year from the State
Council's notice with :func:`enter_year`. A year nobody has entered falls back to Monday–Friday:
:func:`year_source` answers ``"fallback"`` (the console shows a banner) and the log warns once per
year and process.

Each process caches a year's exceptions for ``CACHE_SECONDS``. :func:`enter_year` invalidates the
cache of its own process at once and again when its transaction ends; other processes (gunicorn
workers, RQ workers) see the new year within ``CACHE_SECONDS`` at the latest.
"""
from __future__ import annotations

import datetime as dt
import importlib.metadata
import logging
import time
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session

from .extensions import db
from .models.base import utcnow
from .models.calendar import CalendarDay, CalendarYear
from .operations import audit
from .operations.errors import Forbidden, OperationError
from .tenancy import platform_scope

log = logging.getLogger(__name__)
CACHE_SECONDS = 300
NAME_MAX = 64
_STALE_KEY = "gridgov_calendar_stale"
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class _Year:
    source: str  # official | entered | fallback
    exceptions: dict  # date -> is_working_day
    loaded_at: float


@dataclass
class _Cache:
    """One app's cached years; ``warned`` remembers the fallback years already logged."""

    years: dict = field(default_factory=dict)
    warned: set = field(default_factory=set)

    def invalidate(self, year: int | None = None) -> None:
        if year is None:
            self.years.clear()
        else:
            self.years.pop(year, None)


def _cache() -> _Cache:
    return current_app.extensions.setdefault("gridgov_workdays", _Cache())


def invalidate(year: int | None = None) -> None:
    """Forget the cached exceptions of ``year`` (all years when None) in this process."""
    _cache().invalidate(year)


def _year(year: int) -> _Year:
    cache = _cache()
    cached = cache.years.get(year)
    if cached is not None and time.monotonic() - cached.loaded_at < CACHE_SECONDS:
        return cached
    source = db.session.scalar(select(CalendarYear.source).where(CalendarYear.year == year))
    if source is None:
        if year not in cache.warned:
            cache.warned.add(year)
            log.warning("working-day calendar: no official schedule for %s; counting Monday–Friday "
                        "as working days until a platform administrator enters it", year)
        loaded = _Year("fallback", {}, time.monotonic())
    else:
        rows = db.session.execute(select(CalendarDay.day, CalendarDay.is_working_day).where(CalendarDay.year == year))
        loaded = _Year(source, {day: working for day, working in rows}, time.monotonic())
    cache.years[year] = loaded
    return loaded


def year_source(year: int) -> str:
    """``"official"`` (seeded from chinese-calendar), ``"entered"`` (by an administrator) or
    ``"fallback"`` (nobody entered it: Monday–Friday)."""
    return _year(year).source


def is_working_day(day: dt.date) -> bool:
    return _year(day.year).exceptions.get(day, day.weekday() < 5)


def add_working_days(start: dt.datetime, n: int, tz: ZoneInfo | str) -> dt.datetime:
    """The deadline ``n`` working days after ``start``: the END of the n-th working day after the
    local date of ``start`` in ``tz`` — local midnight starting the following day, as an aware
    datetime in ``tz``. ``n == 0`` is the end of the start's own local day."""
    if start.tzinfo is None:
        raise ValueError("start must be an aware datetime")
    if n < 0:
        raise ValueError("n must not be negative")
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    day = start.astimezone(zone).date()
    while n > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)


def _weekdays_through(day: dt.date) -> int:
    """Mondays–Fridays from 0001-01-01 (a Monday) to ``day`` inclusive."""
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


def working_days_between(a: dt.date, b: dt.date) -> int:
    """Working days in the half-open span (a, b]; negative when ``b`` is before ``a``.

    Counted arithmetically plus the stored exceptions, so a span of years costs one cached
    lookup per year, not one per day."""
    if b < a:
        return -working_days_between(b, a)
    count = _weekdays_through(b) - _weekdays_through(a)
    for year in range(a.year, b.year + 1):
        for day, working in _year(year).exceptions.items():
            if a < day <= b:
                count += int(working) - int(day.weekday() < 5)
    return count


def working_days_in(start: dt.date, end: dt.date) -> list[dt.date]:
    """The working days from ``start`` to ``end``, both included, in order."""
    days = []
    day = start
    while day <= end:
        if is_working_day(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def known_years() -> list[CalendarYear]:
    """Every year the platform has a schedule for, newest first (the console's list)."""
    return list(db.session.scalars(select(CalendarYear).order_by(CalendarYear.year.desc())))


def year_entries(year: int) -> list[CalendarDay]:
    """The stored exceptions of one year in date order (to show or pre-fill the entry form)."""
    return list(db.session.scalars(select(CalendarDay).where(CalendarDay.year == year).order_by(CalendarDay.day)))


def seed_official_calendar() -> list[int]:
    """Store every year the ``chinese-calendar`` package covers that the platform does not know
    yet (idempotent: a year already seeded or entered by hand is left alone). Flushes; the caller
    commits. Returns the years added."""
    import chinese_calendar
    from chinese_calendar import Holiday

    by_year: dict[int, list[CalendarDay]] = {}
    for day, holiday in chinese_calendar.holidays.items():
        if day.weekday() < 5:
            by_year.setdefault(day.year, []).append(
                CalendarDay(day=day, year=day.year, is_working_day=False, name=Holiday(holiday).chinese))
    for day, holiday in chinese_calendar.workdays.items():
        if day.weekday() >= 5:
            by_year.setdefault(day.year, []).append(
                CalendarDay(day=day, year=day.year, is_working_day=True, name=f"{Holiday(holiday).chinese}（调休上班）"))
    known = set(db.session.scalars(select(CalendarYear.year)))
    note = f"chinese-calendar {importlib.metadata.version('chinese-calendar')}"
    added = sorted(set(by_year) - known)
    for year in added:
        db.session.add(CalendarYear(year=year, source="official", note=note))
        db.session.flush()
        db.session.add_all(by_year[year])
    db.session.flush()
    for year in added:
        _mark_stale(year)
    return added


def _parse_entries(entries, field_name: str, year: int, want_weekend: bool, errors: dict) -> dict:
    """``[(date or ISO string, name), ...]`` → {date: name}; reasons go to ``errors[field_name]``."""
    reasons = []
    parsed: dict[dt.date, str] = {}
    for entry in entries or ():
        try:
            raw_day, name = entry
        except (TypeError, ValueError):
            reasons.append(f"{entry!r}: each entry is a (date, name) pair")
            continue
        try:
            day = raw_day if isinstance(raw_day, dt.date) and not isinstance(raw_day, dt.datetime) \
                else dt.date.fromisoformat(str(raw_day))
        except ValueError:
            reasons.append(f"{raw_day!r} is not a date (YYYY-MM-DD)")
            continue
        name = (name or "").strip() if isinstance(name, str) else ""
        weekend = day.weekday() >= 5
        if day.year != year:
            reasons.append(f"{day} is not in {year}")
        elif day in parsed:
            reasons.append(f"{day} is listed twice")
        elif weekend and not want_weekend:
            reasons.append(f"{day} is a {_WEEKDAY_NAMES[day.weekday()]}, a day off already: "
                           "list only the weekdays the holiday takes off")
        elif not weekend and want_weekend:
            reasons.append(f"{day} is a {_WEEKDAY_NAMES[day.weekday()]}, a working day already: "
                           "list only the weekend days worked (调休上班)")
        elif not name or len(name) > NAME_MAX:
            reasons.append(f"{day}: a name of 1–{NAME_MAX} characters is required (e.g. 国庆节)")
        else:
            parsed[day] = name
    if reasons:
        errors[field_name] = reasons
    return parsed


def enter_year(year: int, holidays, workdays, user, note: str = "") -> CalendarYear:
    """Enter (or replace) a year's official schedule: ``holidays`` are the weekdays off and
    ``workdays`` the weekend days worked, each ``[(date, name), ...]`` as published by the State
    Council. Holidays must be weekdays and make-up days weekend days, so no date can be both.
    ``user`` must be a platform administrator (None: the command line). Replaces the
    year's entries, audit-logged under platform scope. Flushes; the caller commits."""
    if user is not None and not getattr(user, "is_platform_admin", False):
        raise Forbidden({"user": ["only a platform administrator may enter the working-day calendar"]})
    errors: dict = {}
    if isinstance(year, bool) or not isinstance(year, int) or not 1949 <= year <= 2200:
        raise OperationError({"year": ["a year between 1949 and 2200"]})
    off = _parse_entries(holidays, "holidays", year, want_weekend=False, errors=errors)
    worked = _parse_entries(workdays, "workdays", year, want_weekend=True, errors=errors)
    if len((note or "").strip()) > 500:
        errors["note"] = ["at most 500 characters"]
    if errors:
        raise OperationError(errors)
    with platform_scope():
        row = db.session.get(CalendarYear, year)
        before = row.source if row is not None else "fallback"
        db.session.execute(delete(CalendarDay).where(CalendarDay.year == year))
        if row is None:
            row = CalendarYear(year=year)
            db.session.add(row)
        row.source, row.entered_at, row.note = "entered", utcnow(), (note or "").strip()
        row.entered_by_id = getattr(user, "id", None)
        db.session.flush()
        db.session.add_all([CalendarDay(day=d, year=year, is_working_day=False, name=n) for d, n in sorted(off.items())])
        db.session.add_all([CalendarDay(day=d, year=year, is_working_day=True, name=n) for d, n in sorted(worked.items())])
        audit.record("enter", object_type="CalendarYear", object_id=year, tenant_id=None, changes={
            "replaced": before,
            "holidays": {d.isoformat(): n for d, n in sorted(off.items())},
            "workdays": {d.isoformat(): n for d, n in sorted(worked.items())},
            "note": row.note,
        })
        db.session.flush()
    _mark_stale(year)
    return row


def _mark_stale(year: int) -> None:
    """Drop the year from this process's cache now and again when the transaction ends, so a
    concurrent read before the commit (or a rollback) cannot leave a wrong year cached."""
    cache = _cache()
    cache.invalidate(year)
    db.session.info.setdefault(_STALE_KEY, []).append((cache, year))


@event.listens_for(Session, "after_transaction_end")
def _invalidate_when_transaction_ends(session, transaction):
    if transaction.parent is None:
        for cache, year in session.info.pop(_STALE_KEY, ()):
            cache.invalidate(year)
