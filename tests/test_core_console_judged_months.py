"""评分录入 in the console for an item judged each month (``SheetItem(judged_per="month")``) of
a quarterly sheet: the form offers the months of the quarter, an entry is stored for the chosen
month, the list shows each entry's month, and an entry in one month does not replace another's.
Items judged once per period keep the period's start."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from assessment_support import AssessPlugin, World
from console_support import Console
from sqlalchemy import select

from gridgov import hookimpl
from gridgov.assessment import ItemScore, SubjectScore
from gridgov.extensions import db
from gridgov.models.assessment import Judgement
from gridgov.plugins import Sheet, SheetItem

JUDGED = "/admin/assessment-judgements/"
SHEET = "assesstest.grid_quarter"


def _score(facts):
    monthly = facts.judged_months("monthly")
    return {sid: SubjectScore(items=[ItemScore("monthly", sum((e[sid].points for e in monthly.values() if sid in e),
                                                              Decimal(0)))]) for sid in facts.subjects}


GRID_QUARTER = Sheet("grid_quarter", "社区季度考核", "Community quarterly assessment", "grid", "quarter",
                     items=(SheetItem("monthly", "月度评分", "Monthly judgement", Decimal(10), kind="judged",
                                      judged_per="month"),
                            SheetItem("quarterly", "季度评分", "Quarterly judgement", Decimal(10), kind="judged")),
                     score=_score, grid_levels=(1,))


class QuarterPlugin(AssessPlugin):
    @hookimpl
    def gridgov_assessment_sheets(self):
        return [*super().gridgov_assessment_sheets(), GRID_QUARTER]


@pytest.fixture
def app_config(app_config):
    return {**app_config, "GRIDGOV_EXTRA_PLUGINS": [("assesstest", QuarterPlugin())]}


@pytest.fixture
def world(app, factory):
    return World(app, factory)


def _judge(client) -> Console:
    console = Console(client)
    assert console.login("u-judge").status_code == 302
    return console


def _stored(world) -> list[tuple]:
    with world.scope():
        return [tuple(r) for r in db.session.execute(select(Judgement.item, Judgement.period_start, Judgement.points)
                                                     .order_by(Judgement.id))]


def test_a_monthly_item_is_entered_for_a_month_of_the_quarter(client, world):
    console = _judge(client)
    url = JUDGED + f"?sheet={SHEET}&period=2026-10-01"
    page = console.get(url).get_data(as_text=True)
    assert 'name="month"' in page and "月度评分 (0–10，按月)" in page and "季度评分 (0–10)" in page
    for month in ("2026-10-01", "2026-11-01", "2026-12-01"):
        assert f'value="{month}"' in page
    assert 'value="2027-01-01"' not in page and 'value="2026-09-01"' not in page
    a = world.grids["A"]
    for month, value in (("2026-11-01", "8"), ("2026-12-01", "9.5")):
        response = console.post(url, {"item": "monthly", "month": month, "subject_id": a, "points": value, "reason": "月评"})
        assert response.status_code == 302, response.get_data(as_text=True)
    # a once-per-quarter item keeps the quarter's start, whatever month is selected
    response = console.post(url, {"item": "quarterly", "month": "2026-12-01", "subject_id": a, "points": "7", "reason": "季评"})
    assert response.status_code == 302
    assert _stored(world) == [("monthly", dt.date(2026, 11, 1), Decimal("8")), ("monthly", dt.date(2026, 12, 1), Decimal("9.5")),
                              ("quarterly", dt.date(2026, 10, 1), Decimal("7"))]
    page = console.get(url).get_data(as_text=True)
    assert 'data-month="2026-11-01">2026年11月' in page and 'data-month="2026-12-01">2026年12月' in page
    assert page.count('class="counting"') == 3  # November's entry is not replaced by December's


def test_a_month_outside_the_quarter_or_none_is_refused_on_the_form(client, world):
    console = _judge(client)
    url = JUDGED + f"?sheet={SHEET}&period=2026-10-01"
    a = world.grids["A"]
    response = console.post(url, {"item": "monthly", "month": "2027-01-01", "subject_id": a, "points": "8", "reason": "x"})
    assert response.status_code == 200 and "is-invalid" in response.get_data(as_text=True)
    response = console.post(url, {"item": "monthly", "month": "", "subject_id": a, "points": "8", "reason": "x"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "请选择月份" in page
    assert _stored(world) == []


def test_a_sheet_without_monthly_items_shows_no_month(client, world):
    page = _judge(client).get(JUDGED + "?sheet=assesstest.grid_month&period=2026-11-01").get_data(as_text=True)
    assert 'name="month"' not in page and "领导评分 (0–60)" in page
