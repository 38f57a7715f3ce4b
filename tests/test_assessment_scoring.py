"""The engine's arithmetic without a database: SCHEMES.md rounding and shortfall steps,
periods, grades, shared ranks, vetoes and awards, and the checks on what a scoring function
returns."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gridgov.assessment import Award, ItemScore, SubjectScore, round_money, round_points, shortfall_steps
from gridgov.assessment.periods import period_bounds, period_label
from gridgov.assessment.scoring import ScoringError, outcome, rank_and_award
from gridgov.operations.errors import OperationError
from gridgov.plugins import Sheet, SheetItem

D = Decimal


@pytest.mark.parametrize("rate, threshold, steps", [
    ("0.949", "0.95", 1), ("0.95", "0.95", 0), ("1", "0.95", 0), ("0.90", "0.95", 1), ("0.8999", "0.95", 2),
    ("0", "0.90", 18),
])
def test_shortfall_steps_count_every_started_five_points(rate, threshold, steps):
    assert shortfall_steps(D(rate), D(threshold)) == steps


def test_rounding_is_half_up_to_one_decimal_for_points_and_to_the_fen_for_money():
    assert round_points(D(35) * D("0.9")) == D("31.5")
    assert round_points(D("33.25")) == D("33.3") and round_points(D("33.35")) == D("33.4")
    assert round_points(D(45) * D(2) / D(3)) == D("30.0")
    assert round_money(D("0.005")) == D("0.01") and str(round_money(D("-0.001"))) == "0.00"


@pytest.mark.parametrize("kind, start, end", [
    ("month", dt.date(2026, 12, 1), dt.date(2027, 1, 1)),
    ("half_month", dt.date(2026, 2, 1), dt.date(2026, 2, 16)),
    ("half_month", dt.date(2026, 2, 16), dt.date(2026, 3, 1)),
    ("quarter", dt.date(2026, 10, 1), dt.date(2027, 1, 1)),
    ("year", dt.date(2026, 1, 1), dt.date(2027, 1, 1)),
])
def test_periods(kind, start, end):
    assert period_bounds(kind, start) == (start, end)


@pytest.mark.parametrize("kind, start", [("month", dt.date(2026, 1, 2)), ("half_month", dt.date(2026, 1, 15)),
                                         ("quarter", dt.date(2026, 2, 1)), ("year", dt.date(2026, 7, 1))])
def test_a_period_must_begin_where_its_kind_begins(kind, start):
    with pytest.raises(OperationError) as caught:
        period_bounds(kind, start)
    assert "period_start" in caught.value.errors


def test_period_labels():
    assert period_label("quarter", dt.date(2026, 7, 1)) == "2026年第3季度"
    assert period_label("quarter", dt.date(2026, 7, 1), "en") == "2026 Q3"
    assert period_label("half_month", dt.date(2026, 11, 16)) == "2026年11月下半月"
    assert period_label("month", dt.date(2026, 11, 1), "en") == "2026-11"


def _award(standing, settings):
    return [Award("top", "第一名", "First", D(200))] if standing.eligible_rank == 1 else []


SHEET = Sheet("s", "表", "Sheet", "grid", "quarter",
              items=(SheetItem("a", "甲", "A", D(100)), SheetItem("b", "加分", "Bonus", role="bonus"),
                     SheetItem("c", "扣分", "Penalty", role="penalty")),
              score=lambda facts: {}, awards=_award)


def _scored(a, b="0", c="0", vetoes=()):
    return SubjectScore([ItemScore("a", D(a)), ItemScore("b", D(b)), ItemScore("c", D(c))], vetoes=list(vetoes))


def test_totals_grades_shared_ranks_and_awards_skip_the_vetoed():
    outcomes = [outcome(SHEET, 1, _scored("90", "10", "5", vetoes=["重大责任事故"])),  # 95, vetoed
                outcome(SHEET, 2, _scored("95")), outcome(SHEET, 3, _scored("95")),
                outcome(SHEET, 4, _scored("64.9")), outcome(SHEET, 5, _scored("-3", c="2"))]
    rank_and_award(SHEET, outcomes, {"grade_bands": {"excellent": "95", "good": "85", "pass": "65"}})
    table = [(o.subject_id, o.total, o.grade, o.rank, o.eligible_rank, o.money) for o in outcomes]
    assert table == [(1, D(95), "excellent", 1, None, 0), (2, D(95), "excellent", 1, 1, D(200)),
                     (3, D(95), "excellent", 1, 1, D(200)), (4, D("64.9"), "fail", 4, 3, 0),
                     (5, D(-5), "fail", 5, 4, 0)]


def test_awards_see_the_flags_line_money_and_context_the_scoring_passed():
    seen = []

    def per_head(standing, settings):
        seen.append(standing)
        return [Award("staff", "挂点人员奖励", "Staff award", D(settings["each"]) * standing.context["staff"])]

    sheet = Sheet("t", "表", "Sheet", "grid", "year", items=(SheetItem("a", "甲", "A", D(100)),),
                  score=lambda facts: {}, awards=per_head)
    scored = [SubjectScore([ItemScore("a", D(80), money=D("12.5"))], flags=["优先"], context={"staff": 3}),
              SubjectScore([ItemScore("a", D(70))])]
    outcomes = [outcome(sheet, 7, scored[0]), outcome(sheet, 8, SubjectScore(scored[1].items, context={"staff": 0}))]
    rank_and_award(sheet, outcomes, {"each": "200"})
    assert [(s.subject_id, s.flags, s.item_money, dict(s.context)) for s in seen] == [
        (7, ("优先",), D("12.50"), {"staff": 3}), (8, (), D(0), {"staff": 0})]
    assert (outcomes[0].money, outcomes[0].awards[0]["amount"], outcomes[1].money) == (D("612.50"), "600.00", 0)
    assert scored[1].context == {}


def test_what_a_scoring_function_returns_is_checked_against_the_sheet():
    with pytest.raises(ScoringError, match="declares"):
        outcome(SHEET, 1, SubjectScore([ItemScore("a", D(1))]))
    with pytest.raises(ScoringError, match="over its maximum"):
        outcome(SHEET, 1, _scored("100.5"))
