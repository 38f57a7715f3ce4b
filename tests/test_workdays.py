"""The working-day calendar (gridgov.workdays): official years, entered years, the fallback."""
import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from gridgov import workdays
from gridgov.extensions import db
from gridgov.models import AuditEntry, CalendarDay, CalendarYear, User
from gridgov.operations.errors import Forbidden, OperationError
from gridgov.tenancy import platform_scope

D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def seeded(app):
    with app.app_context():
        added = workdays.seed_official_calendar()
        db.session.commit()
    assert added == list(range(2004, 2027))
    return app


@pytest.fixture
def admin(app, factory):
    user_id, _ = factory.user("calendar-admin", platform_admin=True)
    return user_id


def at(y, m, d, hh=9, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def test_seeding_is_idempotent_and_stores_only_exceptions(seeded):
    with seeded.app_context():
        assert workdays.seed_official_calendar() == []
        days = {d.day: d for d in workdays.year_entries(2026)}
        # weekend holidays (2026-10-03, a Saturday) change nothing and are not stored
        assert D(2026, 10, 3) not in days
        assert days[D(2026, 10, 1)].name == "国庆节" and not days[D(2026, 10, 1)].is_working_day
        assert days[D(2026, 10, 10)].is_working_day and "调休上班" in days[D(2026, 10, 10)].name
        assert all(d.is_working_day == (d.day.weekday() >= 5) for d in days.values())
        assert [y.year for y in workdays.known_years()][:2] == [2026, 2025]
        assert workdays.year_source(2026) == "official"


def test_national_day_and_mid_autumn_2026(seeded):
    with seeded.app_context():
        # 中秋 Fri 25 Sep off; 国庆 Thu 1 – Wed 7 Oct off; Sun 20 Sep and Sat 10 Oct are worked
        assert not workdays.is_working_day(D(2026, 9, 25))
        assert workdays.is_working_day(D(2026, 9, 20))
        assert [d for d in (D(2026, 10, 1) + dt.timedelta(i) for i in range(7)) if workdays.is_working_day(d)] == []
        assert workdays.is_working_day(D(2026, 10, 8))
        assert workdays.is_working_day(D(2026, 10, 10))  # the make-up Saturday
        assert not workdays.is_working_day(D(2026, 10, 11))
        assert workdays.working_days_in(D(2026, 9, 28), D(2026, 10, 11)) == [
            D(2026, 9, 28), D(2026, 9, 29), D(2026, 9, 30), D(2026, 10, 8), D(2026, 10, 9), D(2026, 10, 10)]


def test_deadlines_across_national_day(seeded):
    with seeded.app_context():
        # reported Wed 30 Sep: the 1st working day after is Thu 8 Oct, the 3rd the make-up Sat 10 Oct
        assert workdays.add_working_days(at(2026, 9, 30, 16), 1, SHANGHAI) == at(2026, 10, 9, 0)
        assert workdays.add_working_days(at(2026, 9, 30, 16), 3, "Asia/Shanghai") == at(2026, 10, 11, 0)
        assert workdays.add_working_days(at(2026, 9, 30, 16), 4, SHANGHAI) == at(2026, 10, 13, 0)
        # the local date counts, not the UTC one: 23:30 on 30 Sep in Shanghai is 15:30 UTC
        utc_start = at(2026, 9, 30, 23, 30).astimezone(dt.timezone.utc)
        deadline = workdays.add_working_days(utc_start, 1, SHANGHAI)
        assert deadline == at(2026, 10, 9, 0) and deadline.tzinfo == SHANGHAI
        # a report on a holiday: the clock starts on the next working day
        assert workdays.add_working_days(at(2026, 10, 2), 1, SHANGHAI) == at(2026, 10, 9, 0)
        assert workdays.add_working_days(at(2026, 10, 2), 0, SHANGHAI) == at(2026, 10, 3, 0)
        assert workdays.working_days_between(D(2026, 9, 30), D(2026, 10, 10)) == 3
        assert workdays.working_days_between(D(2026, 10, 10), D(2026, 9, 30)) == -3
        with pytest.raises(ValueError):
            workdays.add_working_days(dt.datetime(2026, 9, 30, 9), 1, SHANGHAI)


def test_spring_festival_2026(seeded):
    with seeded.app_context():
        # 春节 Sun 15 – Mon 23 Feb off; Sat 14 Feb and Sat 28 Feb worked
        assert workdays.is_working_day(D(2026, 2, 14))
        assert not any(workdays.is_working_day(D(2026, 2, d)) for d in range(15, 24))
        assert workdays.is_working_day(D(2026, 2, 28))
        assert workdays.add_working_days(at(2026, 2, 13, 17), 2, SHANGHAI) == at(2026, 2, 25, 0)
        # February 2026: 20 weekdays, 6 of them off, 2 Saturdays worked
        assert workdays.working_days_between(D(2026, 1, 31), D(2026, 2, 28)) == 16
        assert len(workdays.working_days_in(D(2026, 2, 1), D(2026, 2, 28))) == 16


def test_between_agrees_with_day_by_day_over_years(seeded):
    with seeded.app_context():
        a, b = D(2023, 12, 17), D(2026, 3, 3)
        assert workdays.working_days_between(a, b) == len(workdays.working_days_in(a + dt.timedelta(1), b))


def test_unknown_year_falls_back_with_one_warning(seeded, caplog):
    with seeded.app_context(), caplog.at_level(logging.WARNING, logger="gridgov.workdays"):
        assert workdays.year_source(2027) == "fallback"
        assert workdays.is_working_day(D(2027, 10, 1))  # a Friday: nobody entered 国庆 2027
        assert not workdays.is_working_day(D(2027, 10, 2))
        assert workdays.add_working_days(at(2027, 9, 30), 1, SHANGHAI) == at(2027, 10, 2, 0)
    warnings = [r for r in caplog.records if "2027" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING


NATIONAL_DAY_2027 = [(D(2027, 10, d), "国庆节") for d in (1, 4, 5, 6, 7)]


def test_a_year_entered_by_hand_overrides_the_fallback(seeded, admin):
    with seeded.app_context():
        assert workdays.is_working_day(D(2027, 10, 4))  # cached as fallback first
        user = db.session.get(User, admin)
        workdays.enter_year(2027, NATIONAL_DAY_2027 + [("2027-09-15", "中秋节")],
                            [(D(2027, 9, 26), "国庆节（调休上班）"), ("2027-10-09", "国庆节（调休上班）")],
                            user, note="国办发明电〔2026〕X号")
        db.session.commit()
        assert workdays.year_source(2027) == "entered"
        assert not workdays.is_working_day(D(2027, 10, 4))
        assert workdays.is_working_day(D(2027, 10, 9))
        # Thu 30 Sep 2027: Fri 1 Oct off, weekend, Mon–Thu 4–7 off, Fri 8 and make-up Sat 9 worked
        assert workdays.add_working_days(at(2027, 9, 30), 2, SHANGHAI) == at(2027, 10, 10, 0)
        row = db.session.get(CalendarYear, 2027)
        assert (row.source, row.entered_by_id, row.note) == ("entered", admin, "国办发明电〔2026〕X号")
        with platform_scope():
            entry = db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "CalendarYear")).one()
        assert entry.object_id == 2027 and entry.tenant_id is None and entry.username == ""
        assert entry.changes["holidays"]["2027-10-01"] == "国庆节" and entry.changes["replaced"] == "fallback"


def test_entering_a_year_again_replaces_it(seeded, admin):
    with seeded.app_context():
        user = db.session.get(User, admin)
        workdays.enter_year(2027, NATIONAL_DAY_2027, [], user)
        db.session.commit()
        workdays.enter_year(2027, [(D(2027, 10, 1), "国庆节")], [], user)
        db.session.commit()
        assert [(d.day, d.name) for d in workdays.year_entries(2027)] == [(D(2027, 10, 1), "国庆节")]
        assert workdays.is_working_day(D(2027, 10, 4))
        # an official year corrected by hand becomes "entered" and seeding leaves it alone
        workdays.enter_year(2026, [(D(2026, 10, 1), "国庆节")], [], user)
        db.session.commit()
        assert workdays.seed_official_calendar() == []
        assert workdays.year_source(2026) == "entered" and workdays.is_working_day(D(2026, 10, 2))


def test_a_rolled_back_entry_leaves_no_stale_cache(seeded, admin):
    with seeded.app_context():
        workdays.enter_year(2027, NATIONAL_DAY_2027, [], db.session.get(User, admin))
        assert not workdays.is_working_day(D(2027, 10, 4))  # read inside the transaction
        db.session.rollback()
        assert workdays.year_source(2027) == "fallback"
        assert workdays.is_working_day(D(2027, 10, 4))


@pytest.mark.parametrize("holidays, workdays_, field, reason", [
    ([(D(2028, 10, 2), "国庆节")], [], "holidays", "not in 2027"),
    ([(D(2027, 10, 2), "国庆节")], [], "holidays", "Saturday, a day off already"),
    ([(D(2027, 10, 1), "国庆节"), ("2027-10-01", "国庆节")], [], "holidays", "listed twice"),
    ([(D(2027, 10, 1), "  ")], [], "holidays", "name of 1–64 characters"),
    ([("2027-13-01", "国庆节")], [], "holidays", "is not a date"),
    ([D(2027, 10, 1)], [], "holidays", "(date, name) pair"),
    ([], [(D(2027, 10, 8), "调休上班")], "workdays", "Friday, a working day already"),
    ([(D(2027, 10, 1), "国庆节")], [(D(2027, 10, 1), "调休上班")], "workdays", "a working day already"),
])
def test_validation_names_the_field(seeded, admin, holidays, workdays_, field, reason):
    with seeded.app_context():
        with pytest.raises(OperationError) as info:
            workdays.enter_year(2027, holidays, workdays_, db.session.get(User, admin))
        assert any(reason in r for r in info.value.errors[field]), info.value.errors
        assert db.session.get(CalendarYear, 2027) is None


def test_bad_year_and_non_admin_are_refused(seeded, factory):
    user_id, _ = factory.user("clerk")
    with seeded.app_context():
        admin_user = User(username="x", is_platform_admin=True)
        with pytest.raises(OperationError) as info:
            workdays.enter_year("2027", [], [], admin_user)
        assert "year" in info.value.errors
        with pytest.raises(Forbidden):
            workdays.enter_year(2027, NATIONAL_DAY_2027, [], db.session.get(User, user_id))
        assert workdays.year_source(2027) == "fallback"
