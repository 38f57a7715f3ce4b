"""The working-day calendar (工作日历) in the console, and its fallback banner.

Platform administrators see which years the platform knows and from where (seeded from
chinese-calendar, entered by hand, or not at all — the Monday–Friday fallback), each year's
holidays and make-up working days, and enter a year's official schedule from the State
Council's notice. The form takes one line per entry, a date or a range and the name::

    2027-10-01..2027-10-07 国庆节

:func:`gridgov.workdays.enter_year` is strict — a holiday must be a weekday, a make-up day a
weekend day — so weekend days are dropped from holiday *ranges* here (the notice's "10月1日至7日"
includes the weekend); a single date is passed on as typed, for the operation to judge.

Every console page shows a banner (:func:`fallback_years`) while the current or the next year
in the tenant's time zone has no schedule and deadlines fall back to Monday–Friday.
"""
from __future__ import annotations

import datetime as dt
import re

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from .. import workdays
from ..operations.errors import OperationError
from . import context
from .base import apply
from .helpers import tenant_zone

LINE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})(?:\s*(?:\.\.|~)\s*(\d{4}-\d{1,2}-\d{1,2}))?(?:\s+(.*))?$")
MAX_RANGE_DAYS = 31
SOURCES = {
    "official": _l("Official (chinese-calendar)"),
    "entered": _l("Entered by an administrator"),
    "fallback": _l("Not entered: Monday–Friday fallback"),
}


WEEKDAYS = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))


def weekday(day: dt.date) -> str:
    return str(WEEKDAYS[day.weekday()])


def source_title(source: str) -> str:
    return str(SOURCES.get(source, source))


def fallback_years() -> list[int]:
    """This year and next (tenant's time zone) when nobody has entered their schedule."""
    this_year = dt.datetime.now(tenant_zone()).year
    return [y for y in (this_year, this_year + 1) if workdays.year_source(y) == "fallback"]


def _day(text: str) -> dt.date:
    year, month, day = (int(part) for part in text.split("-"))
    return dt.date(year, month, day)


def parse_lines(text: str, field: str, drop_weekends: bool) -> list[tuple[dt.date, str]]:
    """``date[..date] name`` lines → (date, name) pairs; blank lines and ``#`` comments skipped.
    Raises OperationError naming ``field`` and each bad line."""
    entries, reasons = [], []
    for number, line in enumerate((text or "").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = LINE.match(line)
        if match is None:
            reasons.append(gettext("line %(n)s: write a date or a range and a name, e.g. 2027-10-01..2027-10-07 国庆节", n=number))
            continue
        try:
            first = _day(match[1])
            last = _day(match[2]) if match[2] else first
        except ValueError:
            reasons.append(gettext("line %(n)s: not a valid date", n=number))
            continue
        if last < first or (last - first).days >= MAX_RANGE_DAYS:
            reasons.append(gettext("line %(n)s: a range runs forward and spans at most %(max)s days", n=number, max=MAX_RANGE_DAYS))
            continue
        days = [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]
        if drop_weekends and match[2]:
            days = [d for d in days if d.weekday() < 5]
        entries.extend((d, (match[3] or "").strip()) for d in days)
    if reasons:
        raise OperationError({field: reasons})
    return entries


def as_lines(entries, join_over_weekends: bool) -> str:
    """Stored days back to form lines: runs of one name become ranges (holidays may run over a
    weekend, which the form drops again), so the form shows what it would enter."""
    runs: list[list] = []
    for entry in entries:
        if runs:
            first, last, name = runs[-1]
            gap = [last + dt.timedelta(days=k) for k in range(1, (entry.day - last).days)]
            if name == entry.name and (not gap or join_over_weekends and all(d.weekday() >= 5 for d in gap)):
                runs[-1][1] = entry.day
                continue
        runs.append([entry.day, entry.day, entry.name])
    return "\n".join(f"{a.isoformat()}{'..' + b.isoformat() if b != a else ''} {name}" for a, b, name in runs)


class CalendarForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(min=1949, max=2200)])
    holidays = TextAreaField(_l("Holidays (weekdays off)"), render_kw={"rows": 10, "class": "form-control text-monospace"},
                             description=_l("One per line: a date or a range and the name, e.g. 2027-10-01..2027-10-07 国庆节. "
                                            "Weekend days in a range are left out."))
    workdays = TextAreaField(_l("Make-up working days (调休上班)"), render_kw={"rows": 5, "class": "form-control text-monospace"},
                             description=_l("One per line: a weekend date that is worked, and the name, e.g. 2027-09-26 国庆节调休"))
    note = StringField(_l("Note (the notice it comes from)"), validators=[Optional(), Length(max=500)])


class CalendarView(BaseView):
    console_scope = context.PLATFORM

    def is_accessible(self) -> bool:
        return context.allows(self)

    def inaccessible_callback(self, name, **kwargs):
        return context.deny(self)

    @expose("/")
    def index(self):
        known = {row.year: row for row in workdays.known_years()}
        this_year = dt.datetime.now(tenant_zone()).year
        years = sorted(set(known) | {this_year, this_year + 1}, reverse=True)
        rows = [(y, known.get(y), source_title(known[y].source if y in known else "fallback")) for y in years]
        return self.render("console/calendar.html", rows=rows)

    @staticmethod
    def _year() -> int:
        year = request.args.get("year", type=int)
        if year is None or not 1949 <= year <= 2200:
            abort(404)
        return year

    @expose("/year/")
    def year(self):
        year = self._year()
        entries = workdays.year_entries(year)
        return self.render("console/calendar_year.html", year=year, source=workdays.year_source(year),
                           source_title=source_title(workdays.year_source(year)),
                           row=next((r for r in workdays.known_years() if r.year == year), None),
                           holidays=[e for e in entries if not e.is_working_day],
                           make_up=[e for e in entries if e.is_working_day], weekday=weekday)

    @expose("/enter/", methods=("GET", "POST"))
    def enter(self):
        form = CalendarForm()
        if request.method == "GET":
            year = request.args.get("year", type=int) or dt.datetime.now(tenant_zone()).year + 1
            entries = workdays.year_entries(year)
            form.year.data = year
            form.holidays.data = as_lines([e for e in entries if not e.is_working_day], join_over_weekends=True)
            form.workdays.data = as_lines([e for e in entries if e.is_working_day], join_over_weekends=False)
        elif form.validate():
            def enter():
                parsed, errors = {}, {}
                for field, drop_weekends in (("holidays", True), ("workdays", False)):
                    try:
                        parsed[field] = parse_lines(form[field].data, field, drop_weekends)
                    except OperationError as exc:
                        errors.update(exc.errors)
                if errors:
                    raise OperationError(errors)
                return workdays.enter_year(form.year.data, parsed["holidays"], parsed["workdays"],
                                           current_user._get_current_object(), note=form.note.data or "")

            if apply(form, enter) is not False:
                flash(gettext("The working-day calendar of %(year)s was saved.", year=form.year.data), "success")
                return redirect(url_for(".year", year=form.year.data))
        return self.render("console/calendar_enter.html", form=form)


VIEWS = ((CalendarView, _l("Working-day calendar"), "calendar"),)
