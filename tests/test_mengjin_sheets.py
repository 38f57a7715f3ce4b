"""Mengjin sheets A (service group), B (branch cadres) and C (grid responsible persons): every
rule of SCHEMES.md and its edges, on a small tenant (tests/mengjin_support.py)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from mengjin_support import OCTOBER, SEPTEMBER, World, at, line

from gridgov.extensions import db
from gridgov.models import Tenant
from gridgov.operations import tenants as tenant_ops
from gridgov.operations.errors import OperationError


@pytest.fixture
def world(app, factory):
    return World(app, factory)


def points(result, key) -> Decimal:
    return Decimal(line(result, key)["points"])


def weekly_statistics(world, month_weeks):
    """The weekly statistics on the Wednesday of each given Monday's week."""
    return world.service("weekly_statistics", [m + dt.timedelta(days=2) for m in month_weeks])


OCTOBER_WEEKS = [dt.date(2025, 9, 29) + dt.timedelta(weeks=n) for n in range(5)]  # Thursdays 2, 9, … 30 October


def a_clean_october(world):
    """Everything sheet A expects in October 2025, so a test adds only what it checks."""
    weekly_statistics(world, OCTOBER_WEEKS)
    world.service("monthly_assessment", [dt.date(2025, 10, 27)])
    world.service("work_brief", [dt.date(2025, 10, 13), dt.date(2025, 10, 14), dt.date(2025, 10, 15)],
                  {"title": "简报"})


# -- sheet A: the service group ------------------------------------------------------------------

def test_a_clean_month_is_100_and_each_recorded_violation_costs_its_points(world):
    a_clean_october(world)
    s = world.units["S"]
    assert world.run("service_group", OCTOBER)[s].total == 100
    day = dt.date(2025, 10, 16)
    seal = world.service("violation", [day], {"rule": "seal_misused", "note": "印章外借未登记"})
    complaints = world.service("violation", [day, day], {"rule": "complaint_verified", "note": "未一次性告知"})
    world.service("violation", [day], {"rule": "finance_breach", "note": "罚没款未及时上缴"})
    world.service("violation", [day], {"rule": "training_missed", "note": "未组织业务学习"})
    res = world.run("service_group", OCTOBER)[s]
    assert (points(res, "seal_misused"), points(res, "complaint_verified"), points(res, "finance_breach"),
            points(res, "training_missed")) == (3, 4, 5, 1)
    assert line(res, "seal_misused")["evidence"]["event_ids"] == seal
    assert line(res, "complaint_verified")["evidence"]["event_ids"] == sorted(complaints)
    assert res.total == 100 - 13 and res.grade == "good"


def test_the_deduction_per_rule_is_a_setting(world):
    a_clean_october(world)
    world.service("violation", [dt.date(2025, 10, 16)], {"rule": "seal_misused", "note": "印章使用不当"})
    world.settings(deduct_seal_misused="5")
    res = world.run("service_group", OCTOBER)[world.units["S"]]
    assert points(res, "seal_misused") == 5 and res.total == 95


def test_a_violation_must_name_the_service_group_and_a_known_rule(world):
    with pytest.raises(OperationError) as exc:
        world.events("violation", "A", [dt.date(2025, 10, 16)], {"rule": "seal_misused", "note": "x"})
    assert "subject_unit_id" in str(exc.value.errors)
    with pytest.raises(OperationError) as exc:
        world.service("violation", [dt.date(2025, 10, 16)], {"rule": "napping", "note": "x"})
    assert "rule" in str(exc.value.errors)


@pytest.mark.parametrize("due, done, short", [(10, 7, 1), (10, 8, 0), (3, 2, 1), (5, 4, 0), (6, 3, 2), (15, 11, 1)])
def test_licence_inspection_rate_households_short_is_ceil_of_80_percent_of_due_less_done(world, due, done, short):
    a_clean_october(world)
    for n in range(due):
        world.household(f"h{n}", "A1" if n % 2 else "A2", licence_inspection_month=10)
    world.household("other-month", "A1", licence_inspection_month=11)
    world.household("ent", "A1", kind="enterprise", licence_inspection_month=10)  # not an individual business
    for n in range(done):
        world.events("licence_inspection", "A1", [dt.date(2025, 10, 20)], {"result": "passed"},
                     place_id=world.places[f"h{n}"])
    res = world.run("service_group", OCTOBER)[world.units["S"]]
    assert points(res, "licence_rate") == short
    assert f"{done}/{due} inspected" in line(res, "licence_rate")["rule"]


def test_licence_inspections_earlier_in_the_year_count_and_last_years_do_not(world):
    a_clean_october(world)
    for n in range(5):
        world.household(f"h{n}", "A1", licence_inspection_month=10)
    world.events("licence_inspection", "A1", [dt.date(2025, 3, 3)], {"result": "passed"}, place_id=world.places["h0"])
    world.events("licence_inspection", "A1", [dt.date(2024, 10, 8)], {"result": "passed"}, place_id=world.places["h1"])
    world.events("licence_inspection", "A1", [dt.date(2025, 10, 9)] * 3, {"result": "renewed"},
                 place_id=world.places["h2"])  # the same household three times is one household
    res = world.run("service_group", OCTOBER)[world.units["S"]]
    assert "2/5 inspected" in line(res, "licence_rate")["rule"] and points(res, "licence_rate") == 2
    assert str(world.places["h1"]) in line(res, "licence_rate")["evidence"]["note"]


def test_licence_rate_with_nothing_due_is_nothing_due(world):
    a_clean_october(world)
    res = world.run("service_group", OCTOBER)[world.units["S"]]
    assert points(res, "licence_rate") == 0 and line(res, "licence_rate")["nothing_due"]


def test_a_licence_inspection_names_its_household(world):
    with pytest.raises(OperationError) as exc:
        world.events("licence_inspection", "A1", [dt.date(2025, 10, 9)], {"result": "passed"})
    assert "place_id" in str(exc.value.errors)


def test_fewer_than_three_briefs_cost_a_point_each_and_the_number_is_a_setting(world):
    weekly_statistics(world, OCTOBER_WEEKS)
    world.service("monthly_assessment", [dt.date(2025, 10, 27)])
    brief = world.service("work_brief", [dt.date(2025, 10, 13)], {"title": "简报"})
    res = world.run("service_group", OCTOBER)[world.units["S"]]
    assert points(res, "briefs") == 2 and line(res, "briefs")["evidence"]["event_ids"] == brief
    world.settings(briefs_per_month=1)
    assert points(world.run("service_group", OCTOBER)[world.units["S"]], "briefs") == 0


def test_a_reply_later_than_5_working_days_counts_in_the_month_its_deadline_passes(world):
    """Raised on Monday 29 September 2025: the 5th working day after it is Monday 13 October
    (30 Sep; 1–8 Oct National Day; 9, 10, Saturday 11 (make-up), 13)."""
    a_clean_october(world)
    weekly_statistics(world, [dt.date(2025, 9, 1) + dt.timedelta(weeks=n) for n in range(4)])
    world.service("monthly_assessment", [dt.date(2025, 9, 26)])
    world.service("work_brief", [dt.date(2025, 9, 10)] * 3, {"title": "简报"})
    raised = at(dt.date(2025, 9, 29), 10)
    in_time = world.case("raised_problem", "A1", raised, at(dt.date(2025, 10, 13), 17))
    late = world.case("raised_problem", "A1", raised, at(dt.date(2025, 10, 14), 9))
    never = world.case("raised_problem", "A2", raised)
    undispatched = world.case("raised_problem", "A2", raised, unit=None)  # in the group's grids, not yet dispatched
    elsewhere = world.case("raised_problem", "A1", raised, unit="F")  # another unit's problem
    september_late = world.case("raised_problem", "A1", at(dt.date(2025, 9, 15)), at(dt.date(2025, 9, 30), 9))
    s = world.units["S"]
    october = world.run("service_group", OCTOBER)[s]
    assert line(october, "late_replies")["evidence"]["case_ids"] == sorted([late, never, undispatched])
    assert points(october, "late_replies") == 3
    assert in_time not in line(october, "late_replies")["evidence"]["case_ids"]
    assert elsewhere not in line(october, "late_replies")["evidence"]["case_ids"]
    september = world.run("service_group", SEPTEMBER)[s]
    assert line(september, "late_replies")["evidence"]["case_ids"] == [september_late]
    world.settings(reply_working_days=6)  # Tuesday 14 October is then in time
    october = world.run("service_group", OCTOBER)[s]
    assert late not in line(october, "late_replies")["evidence"]["case_ids"]


def test_weekly_statistics_and_the_monthly_assessment_in_its_window_cost_2_each_when_missed(world):
    world.service("work_brief", [dt.date(2025, 10, 13)] * 3, {"title": "简报"})
    weekly = weekly_statistics(world, OCTOBER_WEEKS[:3])  # the last two weeks missed
    world.service("monthly_assessment", [dt.date(2025, 10, 24)])  # the 24th: before the window
    res = world.run("service_group", OCTOBER)[world.units["S"]]
    stats = line(res, "statistics")
    assert points(res, "statistics") == 6  # two weeks and the assessment
    assert "2025-10-20周" in stats["evidence"]["note"] and "月度考核（25日至30日）" in stats["evidence"]["note"]
    assert set(weekly) <= set(stats["evidence"]["event_ids"])
    assert "5 weeks with a working day" in stats["rule"]
    world.settings(assessment_window_start=24)
    assert points(world.run("service_group", OCTOBER)[world.units["S"]], "statistics") == 4


def test_a_week_without_a_working_day_expects_no_statistics_and_february_closes_the_window_on_the_28th(world):
    """February 2026: Thursdays 5, 12, 19, 26; the week of the 19th is all Spring Festival."""
    febs = [dt.date(2026, 2, 2) + dt.timedelta(weeks=n) for n in range(4)]
    weekly_statistics(world, [febs[0], febs[1], febs[3]])
    world.service("monthly_assessment", [dt.date(2026, 2, 28)])
    res = world.run("service_group", dt.date(2026, 2, 1))[world.units["S"]]
    assert points(res, "statistics") == 0
    assert "3 weeks with a working day" in line(res, "statistics")["rule"]
    assert "2026-02-25–2026-02-28" in line(res, "statistics")["rule"]


def test_the_score_floors_at_zero_and_the_floor_is_a_setting(world):
    a_clean_october(world)
    world.service("violation", [dt.date(2025, 10, 16)] * 21, {"rule": "finance_breach", "note": "违规收费"})
    s = world.units["S"]
    res = world.run("service_group", OCTOBER)[s]
    assert points(res, "finance_breach") == 105 and points(res, "floor") == 5 and res.total == 0
    assert "扣完为止" in line(res, "floor")["rule"]
    world.settings(service_group_floor_at_zero=False)
    res = world.run("service_group", OCTOBER)[s]
    assert points(res, "floor") == 0 and res.total == -5


def test_forms_not_supplied_is_judged_with_its_reason(world):
    a_clean_october(world)
    world.judge("service_group", OCTOBER, "forms_supply", world.units["S"], 3, "巡查组文书未及时提供")
    res = world.run("service_group", OCTOBER)[world.units["S"]]
    assert points(res, "forms_supply") == 3 and res.total == 97
    assert line(res, "forms_supply")["evidence"]["judged"]["reason"] == "巡查组文书未及时提供"
    with pytest.raises(OperationError):
        world.judge("service_group", OCTOBER, "forms_supply", world.units["S"], 11)


# -- sheet B: branch cadres ---------------------------------------------------------------------

def test_cadres_five_duties_out_of_50_with_the_percentage_and_grades_of_50(world):
    c = world.people["c"]
    for item, value in (("support", 10), ("study", 9), ("tasks", 8), ("records", 9)):
        world.judge("branch_cadre", OCTOBER, item, c, value)
    res = world.run("branch_cadre", OCTOBER)
    assert set(res) == {c}  # 邵军 is on sheet C
    assert res[c].total == 36 and line(res[c], "fees")["rule"] == "not entered: 0"
    assert line(res[c], "percentage")["points"] is None and line(res[c], "percentage")["rule"] == "36 / 50 = 72.0 %"
    assert res[c].grade == "pass"  # 36 ≥ 32.5, < 42.5
    world.judge("branch_cadre", OCTOBER, "fees", c, 10)
    res = world.run("branch_cadre", OCTOBER)[c]
    assert (res.total, res.grade, line(res, "percentage")["rule"]) == (46, "good", "46 / 50 = 92.0 %")


# -- sheet C: grid responsible persons ----------------------------------------------------------

def test_shao_jun_is_assessed_as_a_grid_responsible_person(world):
    res = world.run("grid_responsible", OCTOBER)
    assert set(res) == {world.people["shao"], world.people["r1"], world.people["r2"]}
    shao = res[world.people["shao"]]
    assert "（未分配网格）" in line(shao, "patrol_register")["evidence"]["note"]


def test_each_duty_shows_the_systems_evidence_beside_the_judged_points(world):
    r1 = world.people["r1"]
    days = [dt.date(2025, 10, 9), dt.date(2025, 10, 10), dt.date(2025, 10, 13)]
    mine = world.events("patrol", "A1", days, {"households_visited": 5}, actor_person_id=r1)
    world.events("patrol", "A2", days, {"households_visited": 5}, actor_person_id=world.people["r2"])
    world.household("p1", "A1", paper_record_matches=True, risk_grade="high", industry="餐饮")
    world.household("p2", "A1", paper_record_matches=False, credit_grade="B", industry="零售")
    world.household("p3", "A1", kind="enterprise", industry="零售")
    world.household("p4", "A2")
    fire = world.events("market_check", "A1", days[:2], {"topic": "fire_safety"}, actor_person_id=r1)
    red = world.events("market_check", "A1", days[:1], {"topic": "red_shield"}, actor_person_id=r1)
    visit = world.events("return_visit", "A1", days[:1], {}, place_id=world.places["p1"])
    world.events("fee_notice", "A1", days[:2], {"paid": True})
    world.events("fee_notice", "A1", days[:1], {"paid": False})
    quick = world.case("consumer_complaint", "A1", at(days[0], 9), at(days[0], 15), unit="F")
    slow = world.case("consumer_complaint", "A1", at(days[1], 9), at(days[1] + dt.timedelta(days=20), 9), unit="F")
    world.judge("grid_responsible", OCTOBER, "patrol_register", r1, 8, "台账基本相符")
    res = world.run("grid_responsible", OCTOBER)[r1]
    patrol = line(res, "patrol_register")
    assert points(res, "patrol_register") == 8 and patrol["evidence"]["judged"]["reason"] == "台账基本相符"
    assert patrol["evidence"]["event_ids"] == sorted(mine)
    assert "责任网格内巡查 3 次" in patrol["evidence"]["note"] and "经济户口 3 户" in patrol["evidence"]["note"]
    assert "纸质与微机档案相符 2 户（66.7 %）" in patrol["evidence"]["note"]
    assert line(res, "market_safety")["evidence"]["event_ids"] == sorted(fire)
    assert line(res, "red_shield")["evidence"]["event_ids"] == red
    graded = line(res, "graded_supervision")["evidence"]
    assert graded["event_ids"] == visit and "重点监管 1 户" in graded["note"] and "常规监管 1 户" in graded["note"]
    complaints = line(res, "registration_complaints")["evidence"]
    assert complaints["case_ids"] == sorted([quick, slow]) and "受理消费投诉 2 件，已处理 2 件" in complaints["note"]
    assert "平均处理时长 243.0 小时" in complaints["note"]  # (6 + 480) / 2
    assert line(res, "lawful_procedure")["evidence"]["case_ids"] == [slow]
    assert "行业 2 个" in line(res, "four_clears")["evidence"]["note"]
    assert "督促交纳规费 3 次，已交纳 2 次" in line(res, "fees_tasks")["evidence"]["note"]
    assert points(res, "market_safety") == 0 and line(res, "market_safety")["rule"] == "not entered: 0"


def test_a_run_is_a_pure_function_of_the_facts(world):
    a_clean_october(world)
    world.service("violation", [dt.date(2025, 10, 16)], {"rule": "document_lost", "note": "遗失文件"})
    first = world.run("service_group", OCTOBER)[world.units["S"]]
    second = world.run("service_group", OCTOBER)[world.units["S"]]
    assert first.items == second.items and first.total == second.total == 99


# -- settings -----------------------------------------------------------------------------------

def test_settings_refuse_a_window_ending_before_it_starts_and_a_rate_above_100(world):
    with world.app.app_context():
        tenant = db.session.get(Tenant, world.tenant.id)
        with pytest.raises(OperationError) as exc:
            tenant_ops.update_settings(tenant, "mengjin_fees", {"assessment_window_start": "28",
                                                                "assessment_window_end": "26"})
        assert "assessment_window_end" in exc.value.errors
        with pytest.raises(OperationError) as exc:
            tenant_ops.update_settings(tenant, "mengjin_fees", {"licence_inspection_rate": "120"})
        assert "licence_inspection_rate" in exc.value.errors
        settings = tenant_ops.get_settings(tenant, "mengjin_fees")
    assert (settings["reply_working_days"], settings["deduct_seal_misused"], settings["cadre_grade_bands"]["good"]) == \
        (5, Decimal(3), Decimal("42.5"))
