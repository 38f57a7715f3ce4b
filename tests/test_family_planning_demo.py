"""The family_planning demo tenant: 海宁社区 — one community, two zones, four pieces, ten blocks —
with a year of work, loaded once for the module (its own app, SQLite or the PostgreSQL of
GRIDGOV_TEST_DATABASE_URL), deterministic, and its annual run computed."""
from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from gridgov.extensions import db
from gridgov.models import Assignment, Event, Grid, Place
from gridgov.models.assessment import AssessmentResult, AssessmentRun
from gridgov.tenancy import tenant_scope

from conftest import loaded_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with loaded_demo(tmp_path_factory, "family_planning") as (app, tenant_id, credentials):
        yield app, tenant_id, credentials


def test_two_zones_four_pieces_ten_blocks(demo):
    app, tenant_id, _ = demo
    with app.app_context(), tenant_scope(tenant_id):
        depths = Counter(len(path.strip("/").split("/")) if path else 0
                         for path in db.session.scalars(select(Grid.path)))
        leaders = db.session.scalar(select(func.count()).select_from(Assignment).where(
            Assignment.role == "family_planning.group_leader"))
        kinds = dict(db.session.execute(select(Place.kind, func.count()).group_by(Place.kind)).all())
    assert sorted(depths.values()) == [1, 2, 4, 10]
    assert leaders == 10
    assert kinds["family_planning.household"] == 30 and kinds["family_planning.floating"] == 10
    assert kinds["family_planning.woman"] > 0


def test_a_year_of_work_that_keeps_the_rules(demo):
    app, tenant_id, _ = demo
    with app.app_context(), tenant_scope(tenant_id):
        types = dict(db.session.execute(select(Event.type, func.count()).group_by(Event.type)).all())
        months = db.session.scalars(select(Event.occurred_at).where(Event.type == "family_planning.work_plan")).all()
    assert types["family_planning.work_plan"] > 2000 and types["family_planning.work_result"] <= types["family_planning.work_plan"]
    assert len({m.month for m in months}) >= 10
    for kind in ("leave_request", "leave_decision", "visit", "checkup", "floating_change", "registration_cleared",
                 "indicator_mark", "reward_penalty"):
        assert types.get(f"family_planning.{kind}"), kind


def test_the_annual_run_is_computed_for_every_leader(demo):
    app, tenant_id, credentials = demo
    with app.app_context(), tenant_scope(tenant_id):
        run = db.session.scalar(select(AssessmentRun).where(AssessmentRun.sheet == "family_planning.leader_year"))
        results = db.session.scalars(select(AssessmentResult).where(AssessmentResult.run_id == run.id)).all()
    assert run.state == "computed" and len(results) == 10
    assert all(r.money > 0 for r in results)
    late = [r for r in results if "pool ¥2700.00 " in next(i for i in r.items if i["key"] == "payout")["rule"]]
    assert len(late) == 1  # block 7's leader joined in April: 9 months × ¥300 withheld
    assert {c["username"] for c in credentials} >= {"family-planning-admin", "family-planning-staff",
                                                     "family-planning-director"}
