"""The chashan demo tenant: a quarter (2026 Q3) of a street office's records, and that quarter's
assessment runs computed and published, so the console and the reports show results at once.

The module loads the demo once (its own app with the chashan plugin alone, on SQLite or on the
PostgreSQL named by GRIDGOV_TEST_DATABASE_URL); the tests read it, and the last one adds a
correction run.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from gridgov.assessment import access
from gridgov.assessment import operations as runs
from gridgov.extensions import db
from gridgov.jobs import inprocess
from gridgov.models import Assignment, Event, Grid, JobRecord, Person, Unit, User
from gridgov.models.assessment import AssessmentResult, AssessmentRun, Judgement
from gridgov.operations.errors import Forbidden
from gridgov.tenancy import platform_scope, tenant_scope

from conftest import loaded_demo

Q3 = dt.date(2026, 7, 1)
MONTHS = [dt.date(2026, 7, 1), dt.date(2026, 8, 1), dt.date(2026, 9, 1)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with loaded_demo(tmp_path_factory, "chashan") as (app, tenant_id, credentials):
        yield app, tenant_id, credentials


@pytest.fixture
def scope(demo):
    app, tenant_id, _ = demo
    with app.app_context(), tenant_scope(tenant_id):
        yield
        db.session.rollback()


def user(name: str) -> User:
    with platform_scope():
        return db.session.scalar(select(User).where(User.username == name))


def run_of(sheet: str, period: dt.date) -> AssessmentRun:
    return db.session.scalars(select(AssessmentRun).where(AssessmentRun.sheet == f"chashan.{sheet}",
                                                           AssessmentRun.period_start == period)
                              .order_by(AssessmentRun.id)).first()


def results(run: AssessmentRun) -> dict[str, AssessmentResult]:
    return {r.subject_name: r for r in db.session.scalars(select(AssessmentResult)
                                                          .where(AssessmentResult.run_id == run.id))}


def line(result: AssessmentResult, key: str) -> dict:
    return next(i for i in result.items if i["key"] == key)


def test_the_street_office_has_six_communities_thirty_grids_and_their_staff(demo, scope):
    levels = Counter(db.session.scalars(select(Grid.level)))
    assert [levels[n] for n in sorted(levels)] == [1, 6, 30]
    roles = Counter(db.session.execute(select(Assignment.role, Assignment.ends_on)).all())
    in_post = {role: n for (role, ends), n in roles.items() if ends is None}
    assert in_post["chashan.grid_director"] == 30  # one director per grid at the quarter's end
    assert roles[("chashan.grid_director", dt.date(2026, 8, 14))] == 1  # and one who handed over in August
    assert in_post["chashan.community_liaison"] == 12
    assert in_post["chashan.community_leading_group"] == 6
    departments = db.session.scalars(select(Unit).where(Unit.kind == "department")).all()
    assert len(departments) == 6 and all(d.grid_id is not None for d in departments)
    members = Counter(db.session.scalars(select(Assignment.unit_id).where(Assignment.role == "chashan.street_liaison")))
    assert all(members[d.id] == 2 for d in departments)
    # every grid's director is a different person, and every grid has one
    directors = dict(db.session.execute(select(Assignment.grid_id, func.count(Assignment.person_id.distinct()))
                                        .where(Assignment.role == "chashan.grid_director")
                                        .group_by(Assignment.grid_id)).all())
    assert len(directors) == 30


def test_the_quarter_holds_every_event_type_on_its_working_days(demo, scope):
    app, _, _ = demo
    types = set(db.session.scalars(select(Event.type).distinct()))
    declared = {k for k, t in app.extensions["gridgov_registry"].event_types.items() if t.plugin == "chashan"}
    assert types == declared
    first, last = db.session.execute(select(func.min(Event.occurred_at), func.max(Event.occurred_at))).one()
    assert first.date() >= dt.date(2026, 6, 30) and last.date() <= dt.date(2026, 9, 30)
    # no patrols on the Mid-autumn holiday Friday, patrols on the make-up working Sunday
    patrol_days = Counter(at.astimezone(dt.timezone(dt.timedelta(hours=8))).date() for at in
                          db.session.scalars(select(Event.occurred_at).where(Event.type == "chashan.patrol")))
    assert patrol_days[dt.date(2026, 9, 25)] == 0
    assert 0 < patrol_days[dt.date(2026, 9, 20)] < 30
    assert db.session.scalar(select(func.count()).select_from(Event)) > 3000
    # one community decided its directors' August reports afterwards: amending events
    amended = db.session.execute(select(Event.payload["accepted"].as_boolean(), Event.amends_id)
                                 .where(Event.type == "chashan.info_report", Event.amends_id.is_not(None))).all()
    assert amended and {accepted for accepted, _ in amended} == {True, False}
    originals = db.session.scalars(select(Event.payload).where(Event.id.in_([i for _, i in amended]))).all()
    assert all(p["accepted"] is None for p in originals)


def test_the_quarter_is_computed_and_published_and_the_annual_ranking_is_a_draft(demo, scope):
    for month in MONTHS:
        assert run_of("director_month", month).state == "published"
    for sheet in ("director_quarter", "community_quarter", "department_quarter"):
        run = run_of(sheet, Q3)
        assert run.state == "published" and run.fingerprint and run.published_by_id == user("chashan-assessor").id
    annual = run_of("community_year", dt.date(2026, 1, 1))
    assert annual.state == "computed" and annual.published_at is None


def test_directors_are_fined_for_missed_patrols_and_a_late_major_matter(demo, scope):
    quarter = results(run_of("director_quarter", Q3))
    assert len(quarter) == 31  # the 30 grids' directors and the one who handed over
    fined = [r for r in quarter.values() if Decimal(line(r, "f1")["money"]) < 0]
    assert fined
    assert any("2026-09-20" in line(r, "f1")["evidence"]["note"] for r in fined)  # the make-up Sunday
    assert all("2026-09-25" not in line(r, "f1")["evidence"]["note"] for r in quarter.values())  # the holiday
    late = [r for r in quarter.values() if Decimal(line(r, "f2")["money"]) < 0]
    assert len(late) == 2 and all(Decimal(line(r, "f2")["money"]) == Decimal("-50") for r in late)
    assert any(r.money < 0 for r in results(run_of("director_month", MONTHS[2])).values())  # a month's net below zero
    months = [results(run_of("director_month", m)) for m in MONTHS]
    for name, r in quarter.items():  # the settlement is the sum of the months
        assert r.money == sum((m[name].money for m in months if name in m), Decimal(0))


def test_the_director_login_has_exactly_twenty_valid_reports_in_july_and_another_has_nineteen(demo, scope):
    login = user("chashan-director")
    director = db.session.scalar(select(Person).where(Person.user_id == login.id))
    july = results(run_of("director_month", MONTHS[0]))
    mine = july[director.name]
    assert line(mine, "r2")["rule"].startswith("2026-07: 20 valid")
    assert Decimal(line(mine, "r2")["money"]) == Decimal(50)
    valid = db.session.scalar(select(func.count()).select_from(Event).where(
        Event.type == "chashan.info_report", Event.actor_person_id == director.id,
        Event.occurred_at >= dt.datetime(2026, 7, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        Event.occurred_at < dt.datetime(2026, 8, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        Event.payload["accepted"].as_boolean().is_(True)))
    assert valid == 20
    short = [r for r in july.values() if line(r, "r2")["rule"].startswith("2026-07: 19 valid")]
    assert short and all(Decimal(line(r, "r2")["money"]) == 0 for r in short)
    assert Decimal(line(results(run_of("director_month", MONTHS[2]))[director.name], "r2")["money"]) == 0


def test_one_community_is_excellent_with_its_award_and_one_fails(demo, scope):
    sheet = results(run_of("community_quarter", Q3))
    assert len(sheet) == 6
    excellent = sheet["茶山社区"]
    assert excellent.grade == "excellent" and excellent.rank == 1
    assert excellent.money == Decimal("1000.00")
    assert [(a["key"], Decimal(a["amount"])) for a in excellent.awards] == [("excellent_community", Decimal(1000))]
    failing = sheet["金竹社区"]
    assert failing.grade == "fail" and failing.total < 65 and failing.rank == 6 and failing.money == 0
    assert Decimal(line(failing, "major")["points"]) < 0  # item 7 has no floor
    assert Decimal(line(failing, "inspections")["points"]) == 20
    handling = line(failing, "handling")  # 5 of 8 cases resolved in time: 62.5 %, 7 steps short of 95 %
    assert Decimal(handling["points"]) == Decimal("6.5") and len(handling["evidence"]["case_ids"]) == 3
    assert Decimal(line(excellent, "handling")["points"]) == 10 and not line(excellent, "handling")["nothing_due"]
    assert [r.subject_name for r in sheet.values() if r.grade == "excellent"] == ["茶山社区"]
    assert {r.grade for r in sheet.values()} == {"excellent", "good", "pass", "fail"}
    judged = line(excellent, "leadership")["evidence"]["judged"]
    assert Decimal(judged["points"]) == 19 and judged["entered_by"] and judged["reason"]
    assert db.session.scalar(select(func.count()).select_from(Judgement)) == 12


def test_departments_lose_points_and_the_annual_draft_names_its_first_and_a_disqualified_member(demo, scope):
    departments = results(run_of("department_quarter", Q3))
    assert len(departments) == 6
    assert min(r.total for r in departments.values()) < 100 <= max(r.total for r in departments.values())
    assert any(Decimal(line(r, "patrols")["points"]) == 0 for r in departments.values())
    annual = results(run_of("community_year", dt.date(2026, 1, 1)))
    assert annual["茶山社区"].money == Decimal("400.00")  # ¥200 × its department's two members
    assert any("disqualified" in f for f in annual["金竹社区"].flags)


def test_the_director_reads_their_own_published_ledger_and_no_other_nor_the_draft(demo, scope):
    login = user("chashan-director")
    july = run_of("director_month", MONTHS[0])
    own = access.readable_results(login, july)
    assert [r.subject_id for r in own] == [db.session.scalar(select(Person.id).where(Person.user_id == login.id))]
    assert len(access.readable_results(user("chashan-assessor"), july)) == 30
    with pytest.raises(Forbidden):
        access.require_run_reader(login, run_of("community_year", dt.date(2026, 1, 1)))


def test_a_correction_of_the_published_quarter_gives_the_same_fingerprint(demo):
    app, tenant_id, _ = demo
    with app.app_context(), tenant_scope(tenant_id):
        assessor = user("chashan-assessor")
        published = run_of("community_quarter", Q3)
        before = {r.subject_id: (r.total, r.grade, r.rank, r.money) for r in results(published).values()}
        correction = runs.correct(published, assessor, note="复核")
        runs.compute(correction, assessor)
        correction_id, fingerprint = correction.id, published.fingerprint
        db.session.commit()
    assert inprocess.runner_for(app).wait(timeout=120)
    with app.app_context(), tenant_scope(tenant_id):
        correction = runs.get_run(correction_id)
        assert correction.state == "computed", db.session.get(JobRecord, correction.job_id).error
        assert correction.fingerprint == fingerprint
        assert {r.subject_id: (r.total, r.grade, r.rank, r.money) for r in results(correction).values()} == before
