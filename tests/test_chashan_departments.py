"""Chashan sheet C — street departments' 100 points — and the annual ranking of communities
with the ¥200 award per attached staff member, shared first places and honour flags."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from chashan_support import Q4, World, line

from gridgov import workdays
from gridgov.extensions import db
from gridgov.jobs import inprocess
from gridgov.models import Tenant, Unit
from gridgov.operations import tenants as tenant_ops

Q3, YEAR = dt.date(2025, 7, 1), dt.date(2025, 1, 1)
PATROL = {"start": "15:00", "end": "16:00", "log": "巡查挂点网格"}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "GRIDGOV_JOB_RETRY_INTERVALS": "0"}


@pytest.fixture
def world(app, factory):
    w = World(app, factory)
    yield w
    inprocess.runner_for(app).wait(timeout=30)


def points(result, key) -> Decimal:
    return Decimal(line(result, key)["points"])


def mondays(start: dt.date, weeks: int) -> list[dt.date]:
    return [start + dt.timedelta(weeks=n) for n in range(weeks)]


def test_department_items_1_2_4_deduct_per_case_and_time(world):
    unit = {"subject_unit_id": world.units["K"]}
    day = dt.date(2025, 11, 4)
    bad = world.events("letter_handling", "X", [day, day], {"outcome": "unanswered", "summary": "未解决"}, **unit)
    world.events("letter_handling", "X", [day], {"outcome": "answered", "summary": "已说明原因"}, **unit)
    world.events("letter_handling", "X", [day], {"outcome": "settled", "summary": "已解决"}, **unit)
    lost = world.events("referral", "X", [day], {"status": "tracked", "summary": "待回复"}, **unit)
    lost += world.events("referral", "X", [day], {"status": "untracked", "summary": "未跟踪"}, **unit)
    world.events("referral", "X", [day], {"status": "replied", "summary": "已回复"}, **unit)
    halting = world.events("meeting_report", "X1", [day] * 3, {"fluent": False},
                           actor_person_id=world.people["k1"], **unit)
    world.events("meeting_report", "X1", [day], {"fluent": True}, actor_person_id=world.people["k2"], **unit)
    res = world.run("department_quarter", Q4)[world.units["K"]]
    assert (points(res, "letters"), points(res, "referrals"), points(res, "reports")) == (28, 28, 17)
    assert line(res, "letters")["evidence"]["event_ids"] == sorted(bad)
    assert line(res, "referrals")["evidence"]["event_ids"] == sorted(lost)
    assert line(res, "reports")["evidence"]["event_ids"] == sorted(halting)


def test_item_3_counts_member_weeks_without_a_patrol_and_the_holiday_week_counts_by_its_thursday(world):
    weeks = mondays(dt.date(2025, 9, 29), 13)  # the week of Thursday 2 October belongs to Q4
    k1, k2 = world.people["k1"], world.people["k2"]
    world.events("joint_patrol", "X1", [dt.date(2025, 9, 30)] + [m + dt.timedelta(days=4) for m in weeks[1:]],
                 PATROL, actor_person_id=k1)
    world.events("patrol", "X1", [m + dt.timedelta(days=2) for m in weeks[2:-1]], PATROL, actor_person_id=k2)
    res = world.run("department_quarter", Q4)[world.units["K"]]
    patrols = line(res, "patrols")
    assert points(res, "patrols") == 17  # k2 missed the first two weeks and the last
    assert "3 member-weeks missed (2 members, 13 weeks)" in patrols["rule"]
    assert "人员k2 2025-09-29" in patrols["evidence"]["note"] and "人员k1" not in patrols["evidence"]["note"]
    assert res.total == 97 and res.grade == "excellent"


def test_a_week_without_a_working_day_carries_no_patrol(world):
    with world.scope():
        assert workdays.working_days_in(dt.date(2026, 2, 16), dt.date(2026, 2, 22)) == []  # Spring Festival
    res = world.run("department_quarter", dt.date(2026, 1, 1))[world.units["K"]]
    assert "(2 members, 12 weeks)" in line(res, "patrols")["rule"]  # 13 Thursdays, one week all holiday


def test_the_department_floor_is_zero(world):
    world.events("meeting_report", "X1", [dt.date(2025, 11, 4)] * 25, {"fluent": False},
                 subject_unit_id=world.units["K"])
    res = world.run("department_quarter", Q4)[world.units["K"]]
    assert points(res, "reports") == 0 and points(res, "patrols") == 0


# -- the annual ranking ------------------------------------------------------------------------

def attach_department(world, community: str, members: list[str]) -> None:
    with world.scope():
        unit = Unit(code=f"K{community}", name=f"科室{community}", kind="department", grid_id=world.grids[community])
        db.session.add(unit)
        db.session.flush()
        for name in members:
            world.person(name, "chashan.street_liaison", unit_id=unit.id)


def quarters(world, leadership: dict[str, tuple[str, str]]) -> None:
    """Publish Q3 and Q4 of sheet B with the given leadership points per community."""
    for n, period in enumerate((Q3, Q4)):
        for community, given in leadership.items():
            world.judge("community_quarter", period, "leadership", world.grids[community], given[n])
        world.run("community_quarter", period, publish=True)


def test_the_first_community_of_the_year_earns_200_per_attached_staff_member(world):
    quarters(world, {"X": ("20", "10"), "Y": ("10", "10")})
    world.events("serious_failure", "X", [dt.date(2025, 12, 1)], {"summary": "重大失误"},
                 subject_person_id=world.people["k2"])
    res = world.run("community_year", YEAR)
    x, y = res[world.grids["X"]], res[world.grids["Y"]]
    # Q3 without records 47.5, Q4 49: X (67.5 + 59) / 2, Y (57.5 + 59) / 2
    assert (points(x, "quarters"), points(y, "quarters")) == (Decimal("63.3"), Decimal("58.3"))
    assert (x.rank, y.rank) == (1, 2)
    assert x.money == Decimal("400.00") and y.money == 0
    assert "优先参评先进 priority for honours" in x.flags and y.flags == []
    assert "人员k2: 取消年度评先资格 disqualified from annual honours" in x.flags
    assert "2025-07-01: 67.50" in line(x, "quarters")["rule"]


def test_communities_sharing_the_first_place_both_earn_the_award(world):
    attach_department(world, "Y", ["y1"])
    quarters(world, {"X": ("10", "10"), "Y": ("10", "10")})
    res = world.run("community_year", YEAR)
    x, y = res[world.grids["X"]], res[world.grids["Y"]]
    assert (x.rank, y.rank) == (1, 1) and x.total == y.total
    assert (x.money, y.money) == (Decimal("400.00"), Decimal("200.00"))


def test_the_annual_basis_can_be_the_sum_and_unpublished_quarters_do_not_count(world):
    quarters(world, {"X": ("20", "0")})
    world.judge("community_quarter", dt.date(2025, 4, 1), "leadership", world.grids["Y"], "20")
    world.run("community_quarter", dt.date(2025, 4, 1))  # computed, never published
    with world.scope():
        tenant_ops.update_settings(db.session.get(Tenant, world.tenant.id), "chashan",
                                   {"annual_ranking_basis": "sum_of_quarters"})
    res = world.run("community_year", YEAR)
    assert points(res[world.grids["X"]], "quarters") == Decimal("67.5") + 49
    assert points(res[world.grids["Y"]], "quarters") == Decimal("47.5") + 49


def test_the_annual_ranking_reads_the_published_correction_of_a_quarter(world):
    from gridgov.assessment import operations as runs
    from gridgov.models import User
    from gridgov.models.assessment import AssessmentRun
    from sqlalchemy import select

    quarters(world, {"X": ("0", "0"), "Y": ("0", "0")})
    world.judge("community_quarter", Q4, "leadership", world.grids["Y"], "20")
    with world.scope():
        user = db.session.get(User, world.judge_id)
        published = db.session.scalar(select(AssessmentRun).where(AssessmentRun.sheet == "chashan.community_quarter",
                                                                  AssessmentRun.period_start == Q4))
        correction = runs.correct(published, user, note="领导评分补录").id
        runs.compute(runs.get_run(correction), user)
    assert inprocess.runner_for(world.app).wait(timeout=60)
    with world.scope():
        runs.publish(runs.get_run(correction), db.session.get(User, world.judge_id))
    res = world.run("community_year", YEAR)
    y = res[world.grids["Y"]]
    assert points(y, "quarters") == Decimal("58.3") and y.rank == 1  # (47.5 + 69) / 2
    assert "runs " in line(y, "quarters")["evidence"]["note"] and str(correction) in line(y, "quarters")["evidence"]["note"]


def test_a_chashan_run_is_reproducible(world):
    from gridgov.models.assessment import AssessmentRun
    from sqlalchemy import select

    world.events("honour", "X", [dt.date(2025, 11, 5)], {"level": "national", "title": "全国文明社区"})
    first = world.run("community_quarter", Q4)
    again = world.run("community_quarter", Q4)
    with world.scope():
        prints = list(db.session.scalars(select(AssessmentRun.fingerprint).where(
            AssessmentRun.sheet == "chashan.community_quarter")))
    assert len(prints) == 2 and prints[0] == prints[1]
    assert [(r.total, r.items) for r in first.values()] == [(r.total, r.items) for r in again.values()]
    world.events("honour", "X", [dt.date(2025, 11, 6)], {"level": "county_city", "title": "区先进"})
    world.run("community_quarter", Q4)
    with world.scope():
        assert len(set(db.session.scalars(select(AssessmentRun.fingerprint)))) == 2
