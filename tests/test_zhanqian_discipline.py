"""The zhanqian discipline: recusal on supervisions (督查) and judgements, the director's
monthly check of their own community only, confidentiality until publication, published
records frozen, and rectification tracked to closure."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from zhanqian_support import APRIL, MARCH, World, at, line

from gridgov.assessment import access, judging
from gridgov.assessment import operations as runs
from gridgov.extensions import db
from gridgov.models import AuditEntry, Case, Person
from gridgov.operations import cases as case_ops
from gridgov.operations import tenants as tenant_ops
from gridgov.operations.errors import Forbidden, OperationError
from gridgov_zhanqian.rectification import feed_back


@pytest.fixture
def world(app, factory):
    return World(app, factory)


def refusals(world) -> list[AuditEntry]:
    with world.scope():
        rows = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "recusal")
                                  .order_by(AuditEntry.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def refused(world, type_, grid, actor, payload) -> dict:
    with pytest.raises(OperationError) as caught:
        world.events(type_, grid, [dt.date(2026, 3, 5)], payload, actor=actor)
    return caught.value.errors["events"][0]


def test_an_inspector_may_not_inspect_their_own_grid_and_the_attempt_is_logged(world):
    errors = refused(world, "supervision", "B1", "inspector", {"findings": ["x"]})
    assert "recusal (回避)" in errors["actor_person_id"][0] and "B1 网格B1" in errors["actor_person_id"][0]
    logged = refusals(world)
    assert len(logged) == 1 and logged[0].object_type == "Event"
    assert logged[0].changes["grid_id"] == world.grids["B1"] and "responsible for B1" in logged[0].changes["refused"]
    with world.scope():
        assert not db.session.scalars(select(Case)).all()  # nothing half-written
    # the grid above B1 and another community's grid are not theirs
    assert world.events("supervision", "B", [dt.date(2026, 3, 5)], {}, actor="inspector")
    assert world.events("supervision", "A1", [dt.date(2026, 3, 5)], {}, actor="inspector")


def test_a_community_director_may_not_inspect_a_second_level_grid_below_their_community(world):
    errors = refused(world, "supervision", "A2", "director", {})
    message = errors["actor_person_id"][0]
    assert "a grid above A2 网格A2" in message and "responsible for A 社区A" in message
    assert len(refusals(world)) == 1
    assert "required" in refused(world, "supervision", "A2", None, {})["actor_person_id"][0]


def test_a_director_assessor_may_not_score_their_own_community(world, factory):
    uid, _ = factory.user("zq-director2", world.tenant, "assessor")
    with world.scope():
        world.ids["director2"] = uid
        world.person("director2", "zhanqian.community_director", grid_id=world.grids["B"], login="director2")
        db.session.commit()
    with world.scope(), pytest.raises(judging.RecusalRefused) as caught:
        judging.enter_judgement(sheet="zhanqian.community_month", period_start=MARCH, item="leadership",
                                subject_id=world.grids["B"], points="10", reason="自评", user=world.user("director2"))
    assert "社区B" in caught.value.errors["subject_id"][0]
    assert refusals(world)[-1].object_type == "Judgement"
    with world.scope():  # the other community is theirs to judge
        judging.enter_judgement(sheet="zhanqian.community_month", period_start=MARCH, item="leadership",
                                subject_id=world.grids["A"], points="9", reason="评定", user=world.user("director2"))
    # a director logged in as field staff is no assessor at all
    with world.scope(), pytest.raises(Forbidden):
        judging.enter_judgement(sheet="zhanqian.community_month", period_start=MARCH, item="leadership",
                                subject_id=world.grids["B"], points="9", reason="x", user=world.user("director_login"))


def test_a_director_checks_only_their_own_communitys_second_level_grids(world):
    assert world.events("monthly_check", "A1", [dt.date(2026, 3, 25)], {"running_well": True}, actor="director")
    errors = refused(world, "monthly_check", "B1", "director", {"running_well": False})
    assert "own community" in errors["grid_id"][0]
    assert "own community" in refused(world, "monthly_check", "A", "director", {"running_well": True})["grid_id"][0]
    assert "own community" in refused(world, "monthly_check", "A1", "leader", {"running_well": True})["grid_id"][0]
    assert len(refusals(world)) == 3


def test_results_are_confidential_until_published_then_each_community_reads_its_own(world):
    world.run()
    with world.scope():
        run = runs.list_runs(sheet="zhanqian.community_month")[0]
        director = world.user("director_login")
        assert not access.can_read_run(director, run)
        runs.publish(run, world.user("judge"))
        db.session.commit()
        assert access.can_read_run(director, run)
        assert [r.subject_id for r in access.readable_results(director, run)] == [world.grids["A"]]
        with pytest.raises(OperationError):
            runs.compute_now(run, world.user("judge"))  # published: never changes
        correction = runs.correct(run, world.user("judge"), note="补录")
        assert correction.id != run.id


def test_rectification_is_tracked_to_closure(world):
    world.events("supervision", "A1", [dt.date(2026, 3, 5)], {"findings": ["楼道堆物"]}, actor="leader")
    with world.scope():
        (case_id,) = feed_back()
        db.session.commit()
    assert line(world.run()["A"], "rectification")["evidence"]["case_ids"] == [case_id]
    with world.scope():
        office = world.user("office")
        case = db.session.get(Case, case_id)
        assert case.category == "zhanqian.rectification" and case.source == "inspection"
        for step in ("accept", "dispatch", "start", "resolve", "verify", "close"):
            getattr(case_ops, step)(case, actor=office, at=at(dt.date(2026, 4, 7), 10))
        assert case.unit.kind == "community"
        db.session.commit()
    assert line(world.run()["A"], "rectification")["evidence"]["case_ids"] == [case_id]  # March: still open
    april = world.run(period=APRIL)["A"]
    assert line(april, "rectification")["evidence"]["case_ids"] == [] and not april.flags


def test_a_voided_supervision_feeds_nothing_back(world):
    from gridgov.operations import events as event_ops

    (event_id,) = world.events("supervision", "A1", [dt.date(2026, 3, 5)], {"findings": ["x"]}, actor="leader")
    with world.scope():
        event_ops.void(event_ops.get_event(event_id), "录错")
        assert feed_back() == []


def test_findings_are_fed_back_by_a_scheduled_job_of_every_tenant(app, world):
    import importlib

    job = app.extensions["gridgov_registry"].scheduled_jobs["zhanqian.feed_back"]
    assert job.per_tenant and job.cron == "*/10 * * * *"
    module, _, name = job.func_path.rpartition(".")
    assert getattr(importlib.import_module(module), name) is feed_back
    world.events("supervision", "A2", [dt.date(2026, 3, 5)], {"findings": ["a", "b"]}, actor="inspector")
    with world.scope():
        assert len(feed_back()) == 2
        db.session.commit()
    with world.scope():
        cases = db.session.scalars(select(Case).order_by(Case.id)).all()
        assert [c.source_ref for c in cases] == [f"督查{cases[0].source_ref[2:].split('-')[0]}-{n}" for n in (1, 2)]
        assert {c.grid_id for c in cases} == {world.grids["A2"]} and all(c.state == "reported" for c in cases)


def test_a_supervision_or_check_without_a_grid_names_the_field(world):
    from gridgov.operations import events as event_ops

    for type_ in ("supervision", "monthly_check"):
        with world.scope(), pytest.raises(OperationError) as caught:
            event_ops.record({"type": f"zhanqian.{type_}", "occurred_at": at(MARCH).isoformat(),
                              "actor_person_id": world.people["director"], "payload": {"running_well": True}}
                             if type_ == "monthly_check" else
                             {"type": f"zhanqian.{type_}", "occurred_at": at(MARCH).isoformat(),
                              "actor_person_id": world.people["leader"], "payload": {}})
        assert "grid_id" in caught.value.errors, caught.value.errors
