"""The zhanqian monthly sheet, quarterly rating and annual summary: every rule of SCHEMES.md
(section zhanqian) and its edges, on a small tenant (tests/zhanqian_support.py)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from zhanqian_support import APRIL, JUNE, MARCH, MAY, Q2, World, at, line

from gridgov.extensions import db
from gridgov.models import Tenant
from gridgov.operations import tenants as tenant_ops
from gridgov.operations.errors import OperationError
from gridgov_zhanqian.sheets import capped_bonus, investigation_rate, roll_up


@pytest.fixture
def world(app, factory):
    return World(app, factory)


def settings(world, **values):
    with world.scope():
        tenant_ops.update_settings(db.session.get(Tenant, world.tenant.id), "zhanqian", values)
        db.session.commit()


# -- 1a investigation rate ----------------------------------------------------------------------

def test_three_of_four_required_inspections_and_no_making_up_from_another_grid(world):
    world.inspections("A1", 3)
    world.inspections("A2", 6)  # two extra do not make up for A1's missing one
    a = world.run()["A"]
    item = line(a, "investigation")
    assert item["points"] == "30.6"  # 35 × 7/8 = 30.625 → 30.6 (half up, one decimal)
    assert "7/8" in item["rule"] and "A1 3/4" in item["evidence"]["note"]
    assert len(item["evidence"]["event_ids"]) == 9


def test_the_required_inspections_are_a_setting(world):
    world.inspections("A1", 3)
    world.inspections("A2", 3)
    settings(world, required_inspections_per_month=3)
    assert line(world.run()["A"], "investigation")["points"] == "35.0"


def test_investigation_rate_rule():
    assert investigation_rate({1: 5, 2: 0}, 4).numerator == 4
    assert investigation_rate({1: 5, 2: 0}, 4).denominator == 8


# -- 1b disposal rate ---------------------------------------------------------------------------

def test_disposal_rate_counts_cases_due_in_the_month_disposed_by_their_deadline(world):
    # core.general resolves within its deadline; reported early in March, due in March
    on_time = world.case("A1", at(dt.date(2026, 3, 2)), resolved=at(dt.date(2026, 3, 3)))
    late = world.case("A2", at(dt.date(2026, 3, 2)), resolved=at(dt.date(2026, 3, 31), 20))
    still_open = world.case("A2", at(dt.date(2026, 3, 2)))
    item = line(world.run()["A"], "disposal")
    assert item["points"] == "15.0"  # 45 × 1/3
    assert item["evidence"]["case_ids"] == sorted([late, still_open]) and on_time not in item["evidence"]["case_ids"]


def test_a_rate_with_nothing_due_counts_as_full_and_says_so(world):
    b = world.run()["B"]
    for key, full in (("disposal", "45"), ("satisfaction", "10")):
        item = line(b, key)
        assert item["points"] == full and item["nothing_due"] and "nothing due" in item["rule"]


# -- 3, 4, 5 judged and entered items -------------------------------------------------------------

def test_leadership_evaluation_is_judged_within_zero_to_ten(world):
    world.judge("leadership", "A", "8.5")
    with pytest.raises(OperationError) as caught:
        world.judge("leadership", "A", "10.5")
    assert "points" in caught.value.errors
    with pytest.raises(OperationError):
        world.judge("leadership", "A", "-1")
    a = world.run()["A"]
    leadership = line(a, "leadership")
    assert Decimal(leadership["points"]) == Decimal("8.5") and leadership["evidence"]["judged"]["reason"]


def test_penalty_is_entered_with_a_reason_and_deducted(world):
    with pytest.raises(OperationError) as caught:
        world.judge("penalty", "A", "3", reason=" ")
    assert "reason" in caught.value.errors
    world.judge("penalty", "A", "3", reason="占道经营被区里通报")
    a = world.run()["A"]
    assert Decimal(line(a, "penalty")["points"]) == 3 and "通报" in line(a, "penalty")["rule"]
    assert a.penalty == Decimal(3)


def test_the_honour_bonus_is_capped_at_twenty(world):
    for points in ("10", "8", "6"):
        world.events("honour", "A", [dt.date(2026, 3, 10)], {"kind": "honour", "level": "district",
                                                            "title": "区级文明社区", "document": "区文明办〔2026〕3号",
                                                            "points": points})
    a = world.run()["A"]
    bonus = line(a, "bonus")
    assert bonus["points"] == "20.0" and "capped at 20" in bonus["rule"] and len(bonus["evidence"]["event_ids"]) == 3
    assert a.bonus == Decimal(20)
    assert capped_bonus(Decimal(11), Decimal(20)) == (Decimal(11), False)


def test_the_total_and_the_four_grades(world):
    for g in ("A1", "A2", "B1", "B2"):
        world.inspections(g, 4)
    world.judge("leadership", "A", "10")
    world.judge("leadership", "B", "0")
    results = world.run()
    assert results["A"].total == Decimal(100) and results["A"].grade == "excellent" and results["A"].rank == 1
    assert results["B"].total == Decimal(90) and results["B"].grade == "good"
    settings(world, grade_bands={"good": "91"})
    assert world.run()["B"].grade == "pass"


# -- rectification -------------------------------------------------------------------------------

def test_a_finding_becomes_a_rectification_case_shown_open_on_the_sheet_until_closed(world):
    from gridgov_zhanqian.rectification import feed_back

    world.events("supervision", "A1", [dt.date(2026, 3, 5)],
                 {"kind": "special", "findings": ["绿地垃圾未清", "井盖松动"]}, actor="leader")
    with world.scope():
        new = feed_back()
        assert feed_back() == []  # never twice
        db.session.commit()
    assert len(new) == 2
    a = world.run()["A"]
    rect = line(a, "rectification")
    assert rect["evidence"]["case_ids"] == sorted(new) and rect["points"] is None
    assert any("open rectifications" in f for f in a.flags)
    assert not line(world.run()["B"], "rectification")["evidence"]["case_ids"]


# -- quarter and year ----------------------------------------------------------------------------

def test_the_quarter_is_the_mean_of_its_published_months_and_a_missing_month_is_flagged(world):
    for month, n in ((APRIL, 4), (MAY, 2)):
        for g in ("A1", "A2"):
            world.inspections(g, n, month)
        world.run(period=month, publish=True)  # A: 90 then 72.5; B: 55 and 55
    world.run(period=MAY)  # a computed but unpublished run does not count
    q = world.run("community_quarter", Q2)
    item = line(q["A"], "periods")
    assert item["points"] == "81.3"  # (90 + 72.5) / 2 = 81.25 → 81.3
    assert "2026-06" in item["rule"] and any("2026-06" in f for f in q["A"].flags)
    settings(world, missing_period="zero")
    assert line(world.run("community_quarter", Q2)["A"], "periods")["points"] == "54.2"  # 162.5 / 3
    settings(world, missing_period="skip", quarter_rollup="lowest")
    assert line(world.run("community_quarter", Q2)["A"], "periods")["points"] == "72.5"


def test_the_year_is_built_from_the_published_quarters(world):
    for g in ("A1", "A2"):
        world.inspections(g, 4, JUNE)
    world.run(period=JUNE, publish=True)
    world.run("community_quarter", Q2, publish=True)
    year = world.run("community_year", dt.date(2026, 1, 1))
    item = line(year["A"], "periods")
    assert item["points"] == "90.0" and "left out" in item["rule"]


def test_roll_up_rules():
    assert roll_up([Decimal(90), None, Decimal(80)], "mean", "skip") == (Decimal(85), [1])
    assert roll_up([Decimal(90), None, Decimal(81)], "mean", "zero") == (Decimal("57.0"), [1])
    assert roll_up([None, None], "mean", "skip") == (Decimal(0), [0, 1])


# -- 2 public satisfaction -----------------------------------------------------------------------

def test_satisfaction_is_satisfied_over_sampled_from_the_core_survey(world):
    """A survey of this month (votes are cast today); a household that never answers counts
    against the rate."""
    from sqlalchemy import select

    from gridgov.models.surveys import SurveyToken
    from gridgov.surveys import operations as surveys

    with world.scope():
        now = dt.datetime.now(at(MARCH).tzinfo).date()
        month = now.replace(day=1)
        survey = surveys.create_survey(title="民意测评", grid_id=world.grids["A"], starts_on=month,
                                       ends_on=(month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1),
                                       per_grid=2)
        tokens = db.session.scalars(select(SurveyToken).where(SurveyToken.survey_id == survey.id)
                                    .order_by(SurveyToken.id)).all()
        for token, answer in zip(tokens, ("satisfied", "satisfied", "dissatisfied")):  # the 4th never answers
            surveys.cast_vote(token, answer)
        db.session.commit()
    item = line(world.run(period=month)["A"], "satisfaction")
    assert item["points"] == "5.0" and "2/4" in item["rule"] and len(item["evidence"]["event_ids"]) == 3
