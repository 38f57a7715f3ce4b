"""The working-day calendar (工作日历) in the console: the years and their sources, a year's
days, entering a year with ranges, errors on the form, and the fallback banner."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from console_cases_support import Browser
from sqlalchemy import select

from gridgov import workdays
from gridgov.extensions import db
from gridgov.models.calendar import CalendarDay
from gridgov.tenancy import platform_scope

NEXT_YEAR = dt.datetime.now(ZoneInfo("Asia/Shanghai")).year + 1


@pytest.fixture
def root(app, factory):
    with app.app_context(), platform_scope():
        workdays.seed_official_calendar()
        db.session.commit()
    return Browser(app, factory.user("root", platform_admin=True)[0])


def stored(app, year: int) -> dict:
    with app.app_context():
        rows = db.session.scalars(select(CalendarDay).where(CalendarDay.year == year).order_by(CalendarDay.day))
        return {row.day.isoformat(): (row.is_working_day, row.name) for row in rows}


def test_years_list_their_source(root):
    page = root.text("/admin/calendar/")
    assert 'data-year="2026"' in page and "官方（chinese-calendar）" in page
    assert f'data-year="{NEXT_YEAR}"' in page and "未录入：按周一至周五计算" in page
    page = root.text("/admin/calendar/year/?year=2026")
    assert "2026-10-01" in page and "国庆节" in page and "周四" in page
    assert "2026-09-20" in page and "调休上班" in page  # a make-up Sunday before National Day
    assert root.get("/admin/calendar/year/?year=1800").status_code == 404


def test_enter_a_year_with_ranges(app, root):
    holidays = f"{NEXT_YEAR}-10-01..{NEXT_YEAR}-10-07 国庆节\n\n# 元旦\n{NEXT_YEAR}-01-01 元旦"
    weekend = [d for d in (dt.date(NEXT_YEAR, 9, 25) + dt.timedelta(days=k) for k in range(7)) if d.weekday() >= 5][0]
    make_up = f"{weekend.isoformat()} 国庆节调休"
    page = root.follow("/admin/calendar/enter/", {"year": NEXT_YEAR, "holidays": holidays, "workdays": make_up,
                                                 "note": "国办发明电〔2026〕1号"})
    assert "已保存" in page
    days = stored(app, NEXT_YEAR)
    national_day = [dt.date(NEXT_YEAR, 10, d) for d in range(1, 8)]
    expected_off = {d.isoformat() for d in national_day if d.weekday() < 5}
    if dt.date(NEXT_YEAR, 1, 1).weekday() < 5:
        expected_off.add(f"{NEXT_YEAR}-01-01")
    assert {day for day, (working, _) in days.items() if not working} == expected_off
    assert days[weekend.isoformat()] == (True, "国庆节调休")
    with app.app_context():
        assert workdays.year_source(NEXT_YEAR) == "entered"
        assert workdays.is_working_day(weekend) and not workdays.is_working_day(min(dt.date.fromisoformat(d) for d in expected_off))
    form = root.text(f"/admin/calendar/enter/?year={NEXT_YEAR}")  # the form shows the stored year as ranges again
    assert f"{national_day[0].isoformat()}..{max(d for d in national_day if d.weekday() < 5).isoformat()} 国庆节" in form
    assert "国办发明电〔2026〕1号" in root.text("/admin/calendar/")


def test_errors_are_shown_on_the_form_and_nothing_is_stored(app, root):
    saturday = next(dt.date(NEXT_YEAR, 5, d) for d in range(1, 8) if dt.date(NEXT_YEAR, 5, d).weekday() == 5)
    monday = saturday + dt.timedelta(days=2)
    response = root.post("/admin/calendar/enter/?lang=en", {
        "year": NEXT_YEAR, "note": "",
        "holidays": f"{saturday.isoformat()} 劳动节\n{NEXT_YEAR}-13-01 不存在\nnonsense",
        "workdays": f"{monday.isoformat()} 劳动节调休"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "line 2: not a valid date" in page and "line 3: write a date or a range and a name" in page
    response = root.post("/admin/calendar/enter/?lang=en", {
        "year": NEXT_YEAR, "note": "", "holidays": f"{saturday.isoformat()} 劳动节", "workdays": f"{monday.isoformat()} 劳动节调休"})
    page = response.get_data(as_text=True)
    assert f"{saturday.isoformat()} is a Saturday, a day off already" in page
    assert f"{monday.isoformat()} is a Monday, a working day already" in page
    assert stored(app, NEXT_YEAR) == {}
    with app.app_context():
        assert workdays.year_source(NEXT_YEAR) == "fallback"


def test_only_platform_admins_see_the_calendar(app, factory):
    tenant = factory.tenant("alpha")
    admin = Browser(app, factory.user("alice", tenant=tenant)[0])
    assert admin.get("/admin/calendar/").status_code == 403
    assert admin.post("/admin/calendar/enter/", {"year": NEXT_YEAR, "holidays": "", "workdays": ""}).status_code == 403


def test_fallback_banner_until_the_years_are_entered(app, factory, root):
    tenant = factory.tenant("alpha", timezone="Asia/Shanghai")
    member = Browser(app, factory.user("alice", tenant=tenant, role="viewer")[0])
    this_year = NEXT_YEAR - 1
    with app.app_context():
        missing = [y for y in (this_year, NEXT_YEAR) if workdays.year_source(y) == "fallback"]
    assert NEXT_YEAR in missing  # chinese-calendar ends at 2026: next year is always to be entered
    page = member.text("/admin/")
    assert 'id="calendar-fallback"' in page and str(NEXT_YEAR) in page.split('id="calendar-fallback"')[1][:400]
    assert "/admin/calendar/enter/" not in page  # the link to enter it is the platform admin's
    assert "/admin/calendar/enter/" in root.text("/admin/")
    for year in missing:
        root.follow("/admin/calendar/enter/", {"year": year, "holidays": "", "workdays": "", "note": "test"})
    assert 'id="calendar-fallback"' not in member.text("/admin/")
