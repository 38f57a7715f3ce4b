"""Chashan sheet A — grid room directors' cash (R1–R5, F1–F2), per month and per quarter."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from chashan_support import NOVEMBER, OCTOBER, Q4, World, at, days_between, line

from gridgov import workdays
from gridgov.jobs import inprocess

OCT_DAYS = days_between(OCTOBER, NOVEMBER)
NOV_DAYS = days_between(NOVEMBER, dt.date(2025, 12, 1))


@pytest.fixture
def app_config(app_config):
    return {**app_config, "GRIDGOV_JOB_RETRY_INTERVALS": "0"}


@pytest.fixture
def world(app, factory):
    w = World(app, factory)
    yield w
    inprocess.runner_for(app).wait(timeout=30)


def working(days):
    return [d for d in days if workdays.is_working_day(d)]


def money(result, key) -> Decimal:
    return Decimal(line(result, key)["money"])


def tidy(world, director, day, value=True):
    return world.events("log_review", director[1:] + "1", [day], {"tidy": value},
                        subject_person_id=world.people[director])


def test_r1_every_working_day_patrolled_with_a_tidy_log_earns_50_and_holidays_are_not_required(world):
    with world.scope():
        october = working(OCT_DAYS)
    assert dt.date(2025, 10, 3) not in october and dt.date(2025, 10, 11) in october  # holiday, make-up Saturday
    ids = world.patrols("X1", october)
    review = tidy(world, "dX", dt.date(2025, 10, 31))
    res = world.run("director_month", OCTOBER)[world.people["dX"]]
    assert money(res, "r1") == 50 and money(res, "f1") == 0
    assert set(line(res, "r1")["evidence"]["event_ids"]) == set(ids + review)
    assert res.money == Decimal("50.00")


def test_a_month_with_a_missed_patrol_day_is_fined_and_its_net_can_be_negative(world):
    with world.scope():
        october = working(OCT_DAYS)
    missed = october[4]
    world.patrols("X1", [d for d in october if d != missed])
    tidy(world, "dX", dt.date(2025, 10, 31))
    res = world.run("director_month", OCTOBER)
    mine = res[world.people["dX"]]
    assert money(mine, "r1") == 0 and money(mine, "f1") == -50
    assert line(mine, "f1")["evidence"]["note"] == missed.isoformat()
    assert mine.money == Decimal("-50.00")
    other = res[world.people["dY"]]  # no patrol at all
    assert money(other, "f1") == -50 * len(october) and other.money == Decimal(-50 * len(october))


def test_a_director_owes_patrols_only_while_in_post(world):
    with world.scope():
        october = working(OCT_DAYS)
        world.person("dNew", "chashan.grid_director", starts_on=dt.date(2025, 10, 20), grid_id=world.grids["Y1"])
    in_post = [d for d in october if d >= dt.date(2025, 10, 20)]
    world.patrols("Y1", in_post[1:])
    res = world.run("director_month", OCTOBER)
    new, old = res[world.people["dNew"]], res[world.people["dY"]]
    assert money(new, "f1") == -50 and line(new, "f1")["evidence"]["note"] == in_post[0].isoformat()
    assert money(old, "f1") == -50 * (len(october) - len(in_post) + 1)


def test_r1_needs_the_minimum_minutes_and_a_tidy_log_but_a_short_patrol_is_not_a_missed_day(world):
    with world.scope():
        october = working(OCT_DAYS)
    world.patrols("X1", october[1:])
    world.patrols("X1", october[:1], minutes=45)
    world.patrols("Y1", october)
    tidy(world, "dX", dt.date(2025, 10, 31))
    tidy(world, "dY", dt.date(2025, 10, 31), value=False)
    res = world.run("director_month", OCTOBER)
    x, y = res[world.people["dX"]], res[world.people["dY"]]
    assert (money(x, "r1"), money(x, "f1")) == (0, 0) and "short: " + october[0].isoformat() in line(x, "r1")["rule"]
    assert (money(y, "r1"), money(y, "f1")) == (0, 0) and "not judged tidy" in line(y, "r1")["rule"]


def test_r1_adds_up_the_patrols_of_a_day(world):
    with world.scope():
        october = working(OCT_DAYS)
    world.patrols("X1", october[1:])
    halves = world.patrols("X1", october[:1], minutes=30) + world.patrols("X1", october[:1], minutes=30)
    world.patrols("Y1", october[1:])
    world.patrols("Y1", october[:1], minutes=30)
    tidy(world, "dX", dt.date(2025, 10, 31))
    tidy(world, "dY", dt.date(2025, 10, 31))
    res = world.run("director_month", OCTOBER)
    x, y = res[world.people["dX"]], res[world.people["dY"]]
    assert money(x, "r1") == 50 and set(halves) <= set(line(x, "r1")["evidence"]["event_ids"])
    assert money(y, "r1") == 0 and money(y, "f1") == 0


def test_patrol_days_every_day_setting_requires_weekends_too(world):
    from gridgov.models import Tenant
    from gridgov.operations import tenants as tenant_ops
    from gridgov.extensions import db

    with world.scope():
        tenant_ops.update_settings(db.session.get(Tenant, world.tenant.id), "chashan",
                                   {"required_patrol_days": "every_day"})
        october = working(OCT_DAYS)
    world.patrols("X1", october)
    res = world.run("director_month", OCTOBER)[world.people["dX"]]
    assert money(res, "f1") == -50 * (len(OCT_DAYS) - len(october))


@pytest.mark.parametrize("valid, reward", [(20, 50), (19, 0)])
def test_r2_exactly_20_valid_reports_earn_50_rejected_and_undecided_do_not_count(world, valid, reward):
    day = dt.date(2025, 11, 10)
    report = {"category": "environment", "summary": "垃圾未清运"}
    actor = {"actor_person_id": world.people["dX"]}
    counted = world.events("info_report", "X1", [day] * valid, {**report, "accepted": True}, **actor)
    world.events("info_report", "X1", [day] * 3, {**report, "accepted": False}, **actor)
    world.events("info_report", "X1", [day] * 2, report, **actor)
    res = world.run("director_month", NOVEMBER)[world.people["dX"]]
    assert money(res, "r2") == reward
    assert line(res, "r2")["evidence"]["event_ids"] == sorted(counted)
    assert f"{valid} valid (≥ 20 needed)" in line(res, "r2")["rule"]


def test_r3_r4_r5_count_confirmed_issues_hosted_visits_and_meetings(world):
    actor = {"actor_person_id": world.people["dX"]}
    day = dt.date(2025, 11, 12)
    world.events("resident_issue", "X1", [day, day], {"summary": "咨询", "outcome": "explained",
                                                     "resident_confirmed": True}, **actor)
    world.events("resident_issue", "X1", [day], {"summary": "咨询", "outcome": "solved",
                                                "resident_confirmed": False}, **actor)
    world.events("hosted_visit", "X1", [day], {"kind": "inspection", "visitor": "区网格办"}, **actor)
    fridays = [dt.date(2025, 11, d) for d in (7, 14, 21, 28)]
    world.events("meeting_attendance", "X1", fridays, {"meeting": "community_friday"}, **actor)
    world.events("meeting_attendance", "X1", [dt.date(2025, 11, 3)], {"meeting": "street_first_monday"}, **actor)
    world.events("meeting_attendance", "X1", [fridays[0]], {"meeting": "community_friday"}, **actor)  # twice: once
    world.events("meeting_attendance", "X1", [day], {"meeting": "community_friday"}, **actor)  # a Wednesday
    world.events("meeting_attendance", "X1", [dt.date(2025, 11, 10)], {"meeting": "street_first_monday"}, **actor)
    res = world.run("director_month", NOVEMBER)[world.people["dX"]]
    assert (money(res, "r3"), money(res, "r4"), money(res, "r5")) == (20, 50, 100)


def test_r5_the_street_meeting_is_on_the_first_working_monday_when_the_first_monday_is_a_holiday(world):
    actor = {"actor_person_id": world.people["dX"]}
    with world.scope():
        assert not workdays.is_working_day(dt.date(2025, 10, 6))
    world.events("meeting_attendance", "X1", [dt.date(2025, 10, 13)], {"meeting": "street_first_monday"}, **actor)
    world.events("meeting_attendance", "X1", [dt.date(2025, 10, 3)], {"meeting": "community_friday"}, **actor)
    world.events("meeting_attendance", "X1", [dt.date(2025, 10, 10)], {"meeting": "community_friday"}, hour=15,
                 **actor)  # an afternoon: not the morning meeting
    res = world.run("director_month", OCTOBER)[world.people["dX"]]
    assert money(res, "r5") == 20 and "1 meetings (2025-10-13)" in line(res, "r5")["rule"]


def test_f2_a_major_matter_late_or_unreported_to_the_community_is_fined(world):
    day = dt.date(2025, 11, 12)
    found = at(day, 9)

    def matter(minutes):
        payload = {"summary": "围墙裂缝", "discovered_at": found}
        if minutes is not None:
            payload["reported_to_community_at"] = (dt.datetime.fromisoformat(found)
                                                   + dt.timedelta(minutes=minutes)).isoformat()
        return world.events("major_matter", "X1", [day], payload)

    matter(120)  # exactly two hours: in time
    late = matter(121) + matter(None)
    res = world.run("director_month", NOVEMBER)[world.people["dX"]]
    assert money(res, "f2") == -100 and line(res, "f2")["evidence"]["event_ids"] == sorted(late)


def test_the_quarter_settles_the_three_months_and_names_each(world):
    with world.scope():
        october, november = working(OCT_DAYS), working(NOV_DAYS)
    world.patrols("X1", october + november)
    tidy(world, "dX", dt.date(2025, 10, 31))
    tidy(world, "dX", dt.date(2025, 11, 28))
    res = world.run("director_quarter", Q4)[world.people["dX"]]
    with world.scope():
        december = len(working(days_between(dt.date(2025, 12, 1), dt.date(2026, 1, 1))))
    assert money(res, "r1") == 100 and money(res, "f1") == -50 * december
    assert res.money == Decimal(100 - 50 * december)
    assert line(res, "r1")["rule"].count("→ ¥+50.00") == 2 and "2025-12" in line(res, "f1")["rule"]
    assert res.grade == "ledger"
