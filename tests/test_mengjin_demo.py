"""The mengjin_fees demo tenant: a year (2026) of a county bureau's records, January to October
assessed and published on the three sheets, November open.

The module builds the mengjin demo tenant alone, once (its own app, on SQLite or on the
PostgreSQL named by GRIDGOV_TEST_DATABASE_URL); the tests read it."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from gridgov.extensions import db
from gridgov.models import Assignment, Case, Event, Person, Place
from gridgov.models.assessment import AssessmentResult, AssessmentRun
from gridgov.tenancy import tenant_scope

from conftest import loaded_demo

SHEETS = ("mengjin_fees.service_group", "mengjin_fees.branch_cadre", "mengjin_fees.grid_responsible")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with loaded_demo(tmp_path_factory, "mengjin_fees", official_calendar=True) as (app, tenant_id, _):
        yield app, tenant_id


@pytest.fixture
def scope(demo):
    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        yield
        db.session.rollback()


def results(sheet: str, month: int) -> list[AssessmentResult]:
    run = db.session.scalar(select(AssessmentRun).where(AssessmentRun.sheet == sheet,
                                                        AssessmentRun.period_start == dt.date(2026, month, 1)))
    return list(db.session.scalars(select(AssessmentResult).where(AssessmentResult.run_id == run.id)))


def line(result, key):
    return next(i for i in result.items if i["key"] == key)


def test_january_to_october_are_published_on_every_sheet_and_november_is_open(scope):
    runs = db.session.execute(select(AssessmentRun.sheet, AssessmentRun.period_start, AssessmentRun.state)).all()
    assert {(s, p.month) for s, p, state in runs if state == "published"} == \
        {(s, m) for s in SHEETS for m in range(1, 11)}
    assert not [r for r in runs if r[1].month == 11]


def test_every_rule_of_the_service_group_sheet_has_something_to_count(scope):
    year = [results("mengjin_fees.service_group", m)[0] for m in range(1, 11)]
    costly = {i["key"] for r in year for i in r.items if i["role"] == "penalty" and Decimal(i["points"]) > 0}
    assert {"licence_rate", "briefs", "late_replies", "statistics", "forms_supply", "finance_breach"} <= costly
    assert Decimal(line(year[1], "briefs")["points"]) == 1  # February: two briefs
    assert "月度考核" in line(year[8], "statistics")["evidence"]["note"]  # September's held on 8 October
    assert all(r.total == 100 - r.penalty for r in year)


def test_shao_jun_is_on_the_grid_responsible_sheet_not_the_cadres(scope):
    shao = db.session.scalar(select(Person.id).where(Person.name == "邵军"))
    assert shao in {r.subject_id for r in results("mengjin_fees.grid_responsible", 3)}
    assert shao not in {r.subject_id for r in results("mengjin_fees.branch_cadre", 3)}
    cadres = results("mengjin_fees.branch_cadre", 3)
    assert len(cadres) == 1 and "/ 50 = " in line(cadres[0], "percentage")["rule"]


def test_the_grid_sheet_shows_the_system_evidence_beside_each_duty(scope):
    res = results("mengjin_fees.grid_responsible", 4)[0]
    note = line(res, "patrol_register")["evidence"]["note"]
    assert "巡查" in note and "纸质与微机档案相符" in note and line(res, "patrol_register")["evidence"]["event_ids"]
    assert "平均处理时长" in line(res, "registration_complaints")["evidence"]["note"]
    assert line(res, "patrol_register")["evidence"]["judged"]["points"]


def test_the_register_and_the_year_of_records(scope):
    kinds = dict(db.session.execute(select(Place.kind, func.count()).group_by(Place.kind)).all())
    assert kinds["mengjin_fees.enterprise"] >= 12 and kinds["mengjin_fees.individual_business"] >= 36
    types = dict(db.session.execute(select(Event.type, func.count()).group_by(Event.type)).all())
    assert types["mengjin_fees.patrol"] > 1000 and types["mengjin_fees.weekly_statistics"] >= 40
    cats = dict(db.session.execute(select(Case.category, func.count()).group_by(Case.category)).all())
    assert cats["mengjin_fees.raised_problem"] >= 15 and cats["mengjin_fees.consumer_complaint"] >= 10
    override = db.session.scalar(select(Assignment.sheet_override).where(Assignment.sheet_override.is_not(None)))
    assert override == "mengjin_fees.grid_responsible"
