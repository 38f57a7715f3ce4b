"""Chashan sheet B — communities' 100 points: items 1–11, floors, the uncapped item 7, the ceil
rule for rates, working-day Fridays, bonus stacking, the ¥1000 award and ties."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from chashan_support import Q4, TZ, World, days_between, line

from gridgov import workdays
from gridgov.extensions import db
from gridgov.jobs import inprocess
from gridgov.metrics import Rate
from gridgov.models import Case, Tenant
from gridgov.operations import tenants as tenant_ops
from gridgov_chashan.communities import _rate_item
from gridgov_chashan.settings import Settings

QUARTER_DAYS = days_between(Q4, dt.date(2026, 1, 1))
HOLIDAY_FRIDAY = dt.date(2025, 10, 3)
# With nothing recorded: items 1, 2, 5 lose 12 Fridays × 0.5 (4 each), item 3 six months-lacks (7),
# items 6 and 8 have nothing due (10 each), item 7 nothing late (10), judged items 0.
EMPTY_TOTAL = Decimal(4 + 4 + 7 + 4 + 10 + 10 + 10)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "GRIDGOV_JOB_RETRY_INTERVALS": "0"}


@pytest.fixture
def world(app, factory):
    w = World(app, factory)
    yield w
    inprocess.runner_for(app).wait(timeout=30)


def fridays(world) -> list[dt.date]:
    with world.scope():
        return [d for d in QUARTER_DAYS if d.weekday() == 4 and workdays.is_working_day(d)]


def points(result, key) -> Decimal:
    return Decimal(line(result, key)["points"])


def full_marks(world, community: str) -> None:
    """Everything a community can do, for a total of 100 once judged 10 and 20."""
    days = fridays(world)
    world.events("escalation_letter", community, days, {"matters": 1})
    world.events("signin_meeting", community, days, {"attendees": 5})
    world.events("joint_patrol", community + "1", days, {"start": "15:00", "end": "16:00", "log": "联合巡查"}, hour=15)
    months = [dt.date(2025, m, 3) for m in (10, 11, 12)]
    world.events("supervision", community, months, {"summary": "检查日志"})
    world.events("meeting_notice", community, months, {"summary": "通知参会"})
    world.judge("community_quarter", Q4, "residents", world.grids[community], "10")
    world.judge("community_quarter", Q4, "leadership", world.grids[community], "20")


def test_a_friday_that_is_a_holiday_expects_no_letter_meeting_or_patrol(world):
    days = fridays(world)
    assert HOLIDAY_FRIDAY not in days and len(days) == 12
    full_marks(world, "X")
    res = world.run("community_quarter", Q4)[world.grids["X"]]
    for key in ("letter", "signin", "joint_patrol", "supervision"):
        assert points(res, key) == 10, key
    assert "0 missed of 12 working Fridays" in line(res, "letter")["rule"]
    assert res.total == 100 and res.grade == "excellent"


def test_missed_fridays_and_months_cost_half_a_point_each_down_to_zero(world):
    days = fridays(world)
    world.events("escalation_letter", "X", days[1:], {"matters": 1})
    world.events("supervision", "X", [dt.date(2025, 10, 3)], {"summary": "检查"})
    res = world.run("community_quarter", Q4)
    x, y = res[world.grids["X"]], res[world.grids["Y"]]
    assert points(x, "letter") == Decimal("9.5") and line(x, "letter")["evidence"]["note"] == days[0].isoformat()
    assert points(x, "supervision") == Decimal("7.5")  # 5 of 6 month-obligations lacking
    assert "2025-11 no supervision record" in line(x, "supervision")["evidence"]["note"]
    assert points(y, "letter") == 4 and y.total == EMPTY_TOTAL


def test_the_floor_of_an_item_is_zero(world):
    with world.scope():
        tenant_ops.update_settings(db.session.get(Tenant, world.tenant.id), "chashan", {"missed_deduction": "1"})
    res = world.run("community_quarter", Q4)[world.grids["X"]]
    assert points(res, "letter") == 0 and points(res, "signin") == 0 and points(res, "supervision") == 4


@pytest.mark.parametrize("rate, threshold, expected, steps", [
    (Rate(949, 1000), "95", "9.5", 1), (Rate(95, 100), "95", "10", 0), (Rate(9, 10), "95", "9.5", 1),
    (Rate(899, 1000), "95", "9.0", 2), (Rate(0, 0), "95", "10", 0), (Rate(0, 10), "90", "1.0", 18),
    (Rate(0, 1), "95", "0.5", 19)])
def test_a_rate_loses_half_a_point_per_started_5_points_short(rate, threshold, expected, steps):
    settings = Settings().load({})
    item = _rate_item("handling", rate, Decimal(threshold), settings)
    assert item.points == Decimal(expected) and f"× {steps} steps" in item.rule
    assert item.nothing_due == rate.nothing_due


def test_a_rate_item_floors_at_zero():
    item = _rate_item("satisfaction", Rate(1, 10), Decimal(90), Settings().load({"rate_step_deduction": "1"}))
    assert item.points == 0 and "× 16 steps" in item.rule


def add_cases(world, grid: str, on_time: int, late: int) -> list[int]:
    due = dt.datetime(2025, 11, 20, 17, tzinfo=TZ)
    with world.scope() as session:
        rows = [Case(number=f"{grid}-{n:06d}", category="core.general", grid_id=world.grids[grid], description="积水",
                     resolve_due_at=due, resolved_at=due - dt.timedelta(hours=1) if n < on_time
                     else (due + dt.timedelta(days=1) if n % 2 else None))
                for n in range(on_time + late)]
        session.add_all(rows)
        session.flush()
        return [r.id for r in rows[on_time:]]


def test_item_6_handling_rate_from_cases_at_95_and_90_percent(world):
    add_cases(world, "X1", 19, 1)
    lost = add_cases(world, "Y1", 18, 2)
    res = world.run("community_quarter", Q4)
    assert points(res[world.grids["X"]], "handling") == 10
    y = line(res[world.grids["Y"]], "handling")
    assert Decimal(y["points"]) == Decimal("9.5") and y["evidence"]["case_ids"] == sorted(lost)
    assert "18/20 = 90.00 %" in y["rule"]


def test_item_7_has_no_floor_and_can_drive_the_total_below_zero(world):
    found = dt.datetime(2025, 11, 12, 9, tzinfo=TZ)
    late = world.events("major_matter", "X1", [found.date()] * 9, {
        "summary": "围墙裂缝", "discovered_at": found.isoformat(),
        "reported_to_street_at": (found + dt.timedelta(hours=3)).isoformat()})
    unreported = world.events("major_matter", "X1", [found.date()], {"summary": "燃气泄漏",
                                                                   "discovered_at": found.isoformat()})
    world.events("major_matter", "X1", [found.date()], {
        "summary": "及时上报", "discovered_at": found.isoformat(),
        "reported_to_street_at": (found + dt.timedelta(hours=2)).isoformat()})
    res = world.run("community_quarter", Q4)[world.grids["X"]]
    assert points(res, "major") == -40 and "no floor" in line(res, "major")["rule"]
    assert line(res, "major")["evidence"]["event_ids"] == sorted(late + unreported)
    assert res.total == EMPTY_TOTAL - 50 == Decimal(-1) and res.grade == "fail"


def test_bonus_stacks_per_honour_and_the_cap_is_a_setting(world):
    world.events("honour", "X", [dt.date(2025, 11, 5)], {"level": "national", "title": "全国文明社区"})
    world.events("honour", "X1", [dt.date(2025, 11, 6)] * 2, {"level": "county_department", "title": "区先进网格"})
    world.events("honour", "X", [dt.date(2025, 11, 7)], {"level": "provincial", "title": "省级先进"})
    res = world.run("community_quarter", Q4)[world.grids["X"]]
    assert points(res, "honours") == 30 + 5 + 5 + 20 and res.bonus == 60
    assert res.total == EMPTY_TOTAL + 60  # no cap: above 100 is allowed
    assert len(line(res, "honours")["evidence"]["event_ids"]) == 4
    with world.scope():
        tenant_ops.update_settings(db.session.get(Tenant, world.tenant.id), "chashan", {"honour_bonus_cap": "35"})
    capped = world.run("community_quarter", Q4)[world.grids["X"]]
    assert points(capped, "honours") == 35 and "capped at 35" in line(capped, "honours")["rule"]


def test_inspection_findings_are_deducted_per_level(world):
    world.events("inspection_finding", "X", [dt.date(2025, 12, 1)], {"level": "provincial", "summary": "台账缺失"})
    world.events("inspection_finding", "X1", [dt.date(2025, 12, 2)] * 2, {"level": "county", "summary": "堆物"})
    res = world.run("community_quarter", Q4)[world.grids["X"]]
    assert points(res, "inspections") == 50 and res.penalty == 50 and res.total == EMPTY_TOTAL - 50


def test_judged_items_name_who_entered_them(world):
    world.judge("community_quarter", Q4, "leadership", world.grids["X"], "18.5")
    res = world.run("community_quarter", Q4)[world.grids["X"]]
    judged = line(res, "leadership")["evidence"]["judged"]
    assert points(res, "leadership") == Decimal("18.5") and judged["entered_by"] == "cs-judge"
    assert judged["reason"] == "领导小组评分" and line(res, "residents")["rule"] == "not entered: 0"


def test_an_excellent_community_earns_1000_and_equal_totals_share_a_rank(world):
    full_marks(world, "X")
    full_marks(world, "Y")
    res = world.run("community_quarter", Q4)
    x, y = res[world.grids["X"]], res[world.grids["Y"]]
    assert (x.total, x.grade, x.rank, x.money) == (100, "excellent", 1, Decimal("1000.00"))
    assert (y.total, y.rank, y.money) == (100, 1, Decimal("1000.00"))
    assert x.awards[0]["title_zh"] == "优秀社区季度奖励"


def test_below_excellent_no_award_and_ranks_follow_totals(world):
    full_marks(world, "X")
    world.judge("community_quarter", Q4, "leadership", world.grids["X"], "14.5")  # a newer entry counts: 94.5
    res = world.run("community_quarter", Q4)
    x, y = res[world.grids["X"]], res[world.grids["Y"]]
    assert (x.total, x.grade, x.rank, x.money) == (Decimal("94.5"), "good", 1, 0)
    assert (y.rank, y.grade) == (2, "fail")


def test_item_8_satisfaction_is_satisfied_votes_over_sampled_households(world):
    from gridgov import surveys
    from gridgov.surveys import operations as survey_ops

    with world.scope():
        today = survey_ops.local_today()
        quarter = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
        for community, satisfied in (("X", 8), ("Y", 9)):
            survey = survey_ops.create_survey(title="季度满意度测评", grid_id=world.grids[community], starts_on=today,
                                              ends_on=today, place_kind=None, per_grid=10)
            tokens = [plain for _, _, _, plain in survey_ops.links(survey)]
            answers = ["satisfied"] * satisfied + ["dissatisfied"] * (9 - satisfied)  # the tenth never answers
            for plain, choice in zip(tokens, answers):
                survey_ops.cast_vote(survey_ops.find_token(plain), choice)
        assert surveys.satisfaction_rate(world.grids["X"], quarter, today + dt.timedelta(days=1)).sampled == 10
    res = world.run("community_quarter", quarter)
    x, y = line(res[world.grids["X"]], "satisfaction"), line(res[world.grids["Y"]], "satisfaction")
    assert Decimal(x["points"]) == Decimal("9.0") and "8/10 = 80.00 %" in x["rule"] and "× 2 steps" in x["rule"]
    assert Decimal(y["points"]) == 10 and not y["nothing_due"]


def test_the_letter_and_meeting_are_friday_mornings_and_the_joint_patrol_friday_afternoons(world):
    days = fridays(world)
    world.events("escalation_letter", "X", days[:-1], {"matters": 1}, hour=10)
    world.events("escalation_letter", "X", days[-1:], {"matters": 1}, hour=14)  # afternoon: late
    world.events("joint_patrol", "X1", days[:-1], {"start": "15:00", "end": "16:00", "log": "联合巡查"}, hour=15)
    world.events("joint_patrol", "X1", days[-1:], {"start": "09:00", "end": "10:00", "log": "联合巡查"}, hour=9)
    res = world.run("community_quarter", Q4)[world.grids["X"]]
    assert points(res, "letter") == Decimal("9.5") and "(mornings)" in line(res, "letter")["rule"]
    assert points(res, "joint_patrol") == Decimal("9.5") and "(afternoons)" in line(res, "joint_patrol")["rule"]
    assert line(res, "letter")["evidence"]["note"] == days[-1].isoformat()
    with world.scope():
        tenant_ops.update_settings(db.session.get(Tenant, world.tenant.id), "chashan", {"check_time_of_day": False})
    res = world.run("community_quarter", Q4)[world.grids["X"]]
    assert points(res, "letter") == 10 and points(res, "joint_patrol") == 10
