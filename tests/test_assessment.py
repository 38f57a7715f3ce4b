"""The assessment engine (gridgov.assessment) through a throwaway plugin's sheet
(tests/assessment_support.py): runs as background jobs, the state machine, frozen published
runs and corrections, ranks with ties and vetoes, grade bands from settings, judged inputs with
range checks and recusal, confidentiality, and the fingerprint."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from assessment_support import NOVEMBER, AssessPlugin, World, at, weekdays
from sqlalchemy import select

from zoneinfo import ZoneInfo

from gridgov import create_app
from gridgov.assessment import Facts
from gridgov.assessment import judging
from gridgov.assessment import operations as runs
from gridgov.assessment.access import can_read_run, ranking, readable_results
from gridgov.extensions import db
from gridgov.jobs import inprocess
from gridgov.models import AuditEntry, JobRecord
from gridgov.models.assessment import AssessmentResult, AssessmentRun, FrozenRunError
from gridgov.operations import tenants as tenant_ops
from gridgov.operations.errors import Conflict, Forbidden, OperationError
from gridgov.plugins import PluginError, Sheet, SheetItem

WORKDAYS = weekdays(NOVEMBER, dt.date(2026, 12, 1))  # no holiday in November 2026


@pytest.fixture
def app_config(app_config):
    return {**app_config, "GRIDGOV_EXTRA_PLUGINS": [("assesstest", AssessPlugin())], "GRIDGOV_JOB_RETRY_INTERVALS": "0"}


@pytest.fixture
def world(app, factory):
    w = World(app, factory)
    yield w
    inprocess.runner_for(app).wait(timeout=30)


@pytest.fixture
def scored(world):
    """A: patrols every working day, judged 55 → 95; B: nothing but a short patrol → judged 50;
    C: patrols every working day, judged 55 → 95, but vetoed."""
    world.patrols("A1", WORKDAYS)
    world.patrols("B1", WORKDAYS[:1], minutes=30)
    world.patrols("C", WORKDAYS)
    world.events([{"type": "assesstest.veto", "grid_id": world.grids["C1"], "occurred_at": at(WORKDAYS[3])}])
    for grid, points in [("A", "55"), ("B", "50"), ("C", "55")]:
        judge(world, "judge", grid, points)
    return world


def judge(world, user, grid, points, reason="综合表现"):
    with world.scope():
        return judging.enter_judgement(sheet="assesstest.grid_month", period_start="2026-11-01", item="leadership",
                                       subject_id=world.grids[grid], points=points, reason=reason,
                                       user=world.user(user)).id


def new_run(world, **kw) -> int:
    with world.scope():
        return runs.create_run(**{"sheet": "assesstest.grid_month", "period_start": NOVEMBER, "user": world.user("judge"),
                                  **kw}).id


def compute(world, run_id) -> int:
    """Compute through the job queue and wait for it; returns the job record's id."""
    with world.scope():
        job = runs.compute(runs.get_run(run_id), world.user("judge"))
        job_id = job.id
    assert inprocess.runner_for(world.app).wait(timeout=30)
    return job_id


def results(world, run_id) -> dict[str, AssessmentResult]:
    names = {v: k for k, v in world.grids.items()}
    with world.scope():
        rows = db.session.scalars(select(AssessmentResult).where(AssessmentResult.run_id == run_id)).all()
        for row in rows:
            db.session.expunge(row)
    return {names[r.subject_id]: r for r in rows}


def run_row(world, run_id) -> AssessmentRun:
    with world.scope():
        run = runs.get_run(run_id)
        db.session.expunge(run)
        return run


def publish(world, run_id):
    with world.scope():
        runs.publish(runs.get_run(run_id), world.user("judge"))


# -- computing through the job queue ------------------------------------------------------------

def test_a_run_is_computed_by_a_background_job_with_its_progress(scored):
    run_id = new_run(scored)
    job_id = compute(scored, run_id)
    run = run_row(scored, run_id)
    assert (run.state, run.progress, run.progress_note, run.job_id) == ("computed", 100, "computed", job_id)
    assert len(run.fingerprint) == 64 and run.scheme_version == "1.0"
    with scored.scope():
        assert db.session.get(JobRecord, job_id).state == "finished"
    res = results(scored, run_id)
    assert set(res) == {"A", "B", "C"}  # the default subjects: grids of level 1
    a = res["A"]
    assert (a.base, a.bonus, a.penalty, a.total, a.grade) == (Decimal(95), 0, 0, Decimal(95), "excellent")
    patrol, leadership = a.items[0], a.items[1]
    assert (patrol["key"], Decimal(patrol["points"]), patrol["max_points"]) == ("patrol", 40, "40")
    assert len(patrol["evidence"]["event_ids"]) == len(WORKDAYS)
    assert leadership["evidence"]["judged"]["reason"] == "综合表现"
    assert leadership["evidence"]["judged"]["entered_by"] == "u-judge"
    b = res["B"]  # a 30-minute patrol is not a patrol day (setting patrol_minutes = 60)
    assert (Decimal(b.items[0]["points"]), b.total, b.grade) == (Decimal(0), Decimal(50), "fail")
    assert b.items[0]["evidence"]["event_ids"] == []


def test_equal_totals_share_a_rank_and_a_vetoed_subject_keeps_its_score_but_no_award(scored):
    run_id = new_run(scored)
    compute(scored, run_id)
    res = results(scored, run_id)
    assert [(k, res[k].total, res[k].rank) for k in "ACB"] == [("A", 95, 1), ("C", 95, 1), ("B", 50, 3)]
    assert res["C"].vetoes == ["veto recorded"] and res["C"].grade == "excellent"
    assert (res["A"].eligible_rank, res["C"].eligible_rank, res["B"].eligible_rank) == (1, None, 2)
    assert res["A"].money == Decimal("1000.00") and res["A"].awards[0]["key"] == "excellent"
    assert res["C"].money == 0 and res["C"].awards == []


def test_bonus_and_penalty_items_and_their_evidence(scored):
    honour = scored.events([{"type": "assesstest.honour", "grid_id": scored.grids["B1"], "occurred_at": at(WORKDAYS[2])}])
    complaints = scored.events([{"type": "assesstest.complaint", "grid_id": scored.grids["B"], "occurred_at": at(d)}
                                for d in WORKDAYS[:2]])
    # a complaint in a grid below B does not name B itself (by="subject")
    scored.events([{"type": "assesstest.complaint", "grid_id": scored.grids["B1"], "occurred_at": at(WORKDAYS[0])}])
    run_id = new_run(scored)
    compute(scored, run_id)
    b = results(scored, run_id)["B"]
    assert (b.base, b.bonus, b.penalty, b.total) == (Decimal(50), Decimal(5), Decimal(6), Decimal(49))
    assert b.items[2]["evidence"]["event_ids"] == honour
    assert b.items[3]["evidence"]["event_ids"] == sorted(complaints)


def test_voided_events_and_events_outside_the_period_do_not_count(scored):
    extra = scored.events([{"type": "assesstest.honour", "grid_id": scored.grids["A"], "occurred_at": at(d)}
                           for d in (WORKDAYS[0], dt.date(2026, 12, 1), dt.date(2026, 10, 31))])
    scored.events([{"type": "core.void", "grid_id": scored.grids["A"], "occurred_at": at(WORKDAYS[1]),
                    "voids_id": extra[0], "payload": {"reason": "重复"}}])
    # 00:30 on 1 December in Shanghai is still 30 November in UTC: it belongs to December
    scored.events([{"type": "assesstest.honour", "grid_id": scored.grids["A"],
                    "occurred_at": "2026-12-01T00:30:00+08:00"}])
    run_id = new_run(scored)
    compute(scored, run_id)
    assert results(scored, run_id)["A"].bonus == 0


def test_a_missed_working_day_costs_points_and_weekends_are_not_required(world):
    world.patrols("A1", WORKDAYS[1:])
    world.patrols("B1", WORKDAYS + [dt.date(2026, 11, 7)])  # a Saturday patrol earns nothing extra
    run_id = new_run(world, subject_ids=[world.grids["A"], world.grids["B"]])
    compute(world, run_id)
    res = results(world, run_id)
    assert (res["A"].total, res["B"].total) == (Decimal(38), Decimal(40))
    assert "1 missed working days" in res["A"].items[0]["rule"]
    assert set(res) == {"A", "B"}


def test_grade_bands_come_from_the_tenant_settings(scored):
    with scored.scope():
        tenant = db.session.get(type(scored.tenant), scored.tenant.id)
        tenant_ops.update_settings(tenant, "assesstest", {"grade_bands": {"excellent": "96", "good": "85", "pass": "50"}})
    run_id = new_run(scored)
    compute(scored, run_id)
    res = results(scored, run_id)
    assert (res["A"].grade, res["B"].grade) == ("good", "pass")
    assert res["A"].awards == [] and res["A"].money == 0


@pytest.mark.parametrize("bands, message", [({"superb": "99"}, "unknown grade band"),
                                            ({"excellent": "80"}, "must fall"), ({"pass": "abc"}, "Not a valid")])
def test_grade_band_settings_are_validated(world, bands, message):
    with world.scope():
        tenant = db.session.get(type(world.tenant), world.tenant.id)
        with pytest.raises(OperationError, match=message) as caught:
            tenant_ops.update_settings(tenant, "assesstest", {"grade_bands": bands})
    assert "grade_bands" in caught.value.errors


# -- state machine, frozen runs, corrections ------------------------------------------------------

def test_state_machine_and_frozen_published_run(scored):
    run_id = new_run(scored)
    with scored.scope(), pytest.raises(Conflict, match="compute it before publishing"):
        runs.publish(runs.get_run(run_id), scored.user("judge"))
    compute(scored, run_id)
    compute(scored, run_id)  # a computed run may be computed again
    assert run_row(scored, run_id).computations == 2
    publish(scored, run_id)
    before = results(scored, run_id)
    with scored.scope():
        run = runs.get_run(run_id)
        with pytest.raises(Conflict, match="published and frozen"):
            runs.compute(run, scored.user("judge"))
        with pytest.raises(Conflict, match="published and frozen"):
            runs.publish(run, scored.user("judge"))
    with scored.scope() as session:  # below the operations, the model refuses too
        runs.get_run(run_id).note = "changed"
        with pytest.raises(FrozenRunError):
            session.flush()
        session.rollback()
    with scored.scope() as session:
        row = session.scalars(select(AssessmentResult).where(AssessmentResult.run_id == run_id)).first()
        row.total = Decimal(100)
        with pytest.raises(FrozenRunError):
            session.flush()
        session.rollback()
    with scored.scope() as session:
        session.delete(session.scalars(select(AssessmentResult).where(AssessmentResult.run_id == run_id)).first())
        with pytest.raises(FrozenRunError):
            session.flush()
        session.rollback()
    after = results(scored, run_id)
    assert {k: (v.total, v.items) for k, v in before.items()} == {k: (v.total, v.items) for k, v in after.items()}


def test_a_correction_supersedes_a_published_run_and_keeps_the_link(scored):
    run_id = new_run(scored)
    with scored.scope(), pytest.raises(Conflict, match="only a published run is corrected"):
        runs.correct(runs.get_run(run_id), scored.user("judge"))
    compute(scored, run_id)
    publish(scored, run_id)
    old_fingerprint = run_row(scored, run_id).fingerprint
    judge(scored, "judge", "B", "60", reason="复核后更正")
    with scored.scope():
        correction = runs.correct(runs.get_run(run_id), scored.user("judge"), note="B 复核")
        new_id = correction.id
        with pytest.raises(Conflict, match=f"already corrected by run {new_id}"):
            runs.correct(runs.get_run(run_id), scored.user("judge"))
    compute(scored, new_id)
    publish(scored, new_id)
    new = run_row(scored, new_id)
    assert (new.supersedes_id, new.state, new.sheet, new.period_start) == (run_id, "published", "assesstest.grid_month", NOVEMBER)
    assert new.fingerprint != old_fingerprint
    with scored.scope():
        assert runs.superseded_by(runs.get_run(run_id)).id == new_id
        assert runs.superseded_by(runs.get_run(new_id)) is None
    assert results(scored, run_id)["B"].total == 50  # the published original is untouched
    assert results(scored, new_id)["B"].total == 60
    assert results(scored, new_id)["B"].items[1]["evidence"]["judged"]["reason"] == "复核后更正"


# -- judged inputs and recusal ------------------------------------------------------------------

@pytest.mark.parametrize("points, item, reason, field", [
    ("60.5", "leadership", "x", "points"),
    ("-1", "leadership", "x", "points"),
    ("abc", "leadership", "x", "points"),
    (None, "leadership", "x", "points"),
    ("10.125", "leadership", "x", "points"),
    ("10", "patrol", "x", "item"),
    ("10", "leadership", " ", "reason"),
])
def test_judged_input_is_validated_against_the_item(world, points, item, reason, field):
    with world.scope(), pytest.raises(OperationError) as caught:
        judging.enter_judgement(sheet="assesstest.grid_month", period_start="2026-11-01", item=item,
                                subject_id=world.grids["A"], points=points, reason=reason, user=world.user("judge"))
    assert field in caught.value.errors


def test_judged_input_needs_an_assessor_a_real_subject_and_a_period_start(world):
    with world.scope():
        with pytest.raises(Forbidden, match="only assessors and tenant administrators"):
            judging.enter_judgement(sheet="assesstest.grid_month", period_start="2026-11-01", item="leadership",
                                    subject_id=world.grids["A"], points="5", reason="x", user=world.user("dirA"))
        with pytest.raises(OperationError) as caught:
            judging.enter_judgement(sheet="assesstest.grid_month", period_start="2026-11-02", item="leadership",
                                    subject_id=world.grids["A"], points="5", reason="x", user=world.user("judge"))
        assert "period_start" in caught.value.errors
        with pytest.raises(OperationError) as caught:
            judging.enter_judgement(sheet="assesstest.grid_month", period_start="2026-11-01", item="leadership",
                                    subject_id=999999, points="5", reason="x", user=world.user("judge"))
        assert "subject_id" in caught.value.errors


def test_recusal_refuses_an_assessor_responsible_for_the_grid_or_above_and_logs_it(world):
    with world.scope():
        with pytest.raises(judging.RecusalRefused, match="responsible for S 街道, a grid above A 社区A") as caught:
            judging.enter_judgement(sheet="assesstest.grid_month", period_start="2026-11-01", item="leadership",
                                    subject_id=world.grids["A"], points="50", reason="x", user=world.user("near"))
        assert caught.value.status == 403 and "subject_id" in caught.value.errors
    with world.scope():
        logged = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "recusal")).all()
        assert len(logged) == 1 and logged[0].username == "u-near"
        assert logged[0].changes["subject_id"] == world.grids["A"] and "responsible for S" in logged[0].changes["refused"]
    # an assessor of a grid *below* A is not responsible for A, nor for B
    assert judge(world, "below", "A", "40")
    assert judge(world, "below", "B", "40")


def test_recusal_for_the_grid_itself(world):
    with world.scope():
        tenant = db.session.get(type(world.tenant), world.tenant.id)
        tenant_ops.add_membership(tenant, world.user("dirA"), "assessor")
        with pytest.raises(judging.RecusalRefused, match="A 社区A, the grid being judged"):
            judging.enter_judgement(sheet="assesstest.grid_month", period_start="2026-11-01", item="leadership",
                                    subject_id=world.grids["A"], points="50", reason="x", user=world.user("dirA"))


def test_recusal_for_a_person_subject_and_for_oneself(world):
    def conduct(user, person):
        return judging.enter_judgement(sheet="assesstest.person_month", period_start="2026-11-16", item="conduct",
                                       subject_id=world.people[person], points="4", reason="x", user=world.user(user))

    with world.scope():
        with pytest.raises(judging.RecusalRefused, match="a grid above A 社区A"):
            conduct("near", "dirA")
        tenant = db.session.get(type(world.tenant), world.tenant.id)
        tenant_ops.add_membership(tenant, world.user("dirA"), "assessor")
        with pytest.raises(judging.RecusalRefused, match="you may not judge yourself"):
            conduct("dirA", "dirA")
        assert conduct("below", "dirA").points == Decimal(4)  # A1 lies below A: not responsible for its director
        with pytest.raises(judging.RecusalRefused, match="A 社区A, a grid above A1"):
            conduct("dirA", "below")  # the director of A answers for A1, where "below" works


def test_recusal_for_a_unit_subject(world):
    from gridgov.models import Assignment, Unit

    with world.scope() as session:
        office = Unit(code="UA", name="社区A办公室", grid_id=world.grids["A"])
        other = Unit(code="UX", name="科室")
        session.add_all([office, other])
        session.flush()
        session.add(Assignment(person_id=world.people["below"], role="core.unit_staff", unit_id=other.id,
                               starts_on=dt.date(2026, 1, 1)))
        session.flush()
        span = (NOVEMBER, dt.date(2026, 12, 1))
        assert "a grid above A 社区A" in judging.recusal_reason(world.user("near"), "unit", office.id, *span)
        assert judging.recusal_reason(world.user("below"), "unit", other.id, *span) == "you belong to the unit being judged"
        assert judging.recusal_reason(world.user("below"), "unit", office.id, *span) is None
        assert judging.recusal_reason(world.user("judge"), "unit", office.id, *span) is None  # no staff record


def test_the_latest_judged_entry_counts_and_entries_are_append_only(world):
    judge(world, "judge", "A", "20")
    latest = judge(world, "judge", "A", "30", reason="更正")
    run_id = new_run(world, subject_ids=[world.grids["A"]])
    compute(world, run_id)
    leadership = results(world, run_id)["A"].items[1]
    assert (Decimal(leadership["points"]), leadership["evidence"]["judged"]["id"]) == (Decimal(30), latest)
    with world.scope() as session:
        from gridgov.models.assessment import Judgement

        session.get(Judgement, latest).points = Decimal(1)
        with pytest.raises(FrozenRunError):
            session.flush()
        session.rollback()


# -- confidentiality ----------------------------------------------------------------------------

def test_only_assessors_and_admins_read_a_run_until_it_is_published(scored):
    run_id = new_run(scored)
    compute(scored, run_id)
    with scored.scope():
        run = runs.get_run(run_id)
        for name in ("judge", "admin"):
            assert can_read_run(scored.user(name), run)
            assert len(readable_results(scored.user(name), run)) == 3
        for name in ("dirA", "outsider"):
            assert not can_read_run(scored.user(name), run)
            with pytest.raises(Forbidden, match="until it is published"):
                readable_results(scored.user(name), run)
            with pytest.raises(Forbidden):
                ranking(scored.user(name), run)
    publish(scored, run_id)
    with scored.scope():
        run = runs.get_run(run_id)
        own = readable_results(scored.user("dirA"), run)  # the director of A: A's sheet only
        assert [r.subject_id for r in own] == [scored.grids["A"]]
        table = ranking(scored.user("dirA"), run)
        assert [(r["subject_name"], r["rank"]) for r in table] == [("社区A", 1), ("社区C", 1), ("社区B", 3)]
        assert "items" not in table[0]
        with pytest.raises(Forbidden, match="only the subjects"):
            readable_results(scored.user("outsider"), run)


def test_managing_runs_needs_an_assessor(world):
    with world.scope(), pytest.raises(Forbidden):
        runs.create_run(sheet="assesstest.grid_month", period_start=NOVEMBER, user=world.user("dirA"))


def test_create_run_validates_sheet_period_and_subjects(world):
    with world.scope():
        for kw, field in [({"sheet": "nope.sheet"}, "sheet"), ({"period_start": "2026-11-16"}, "period_start"),
                          ({"period_start": "11/2026"}, "period_start"), ({"subject_ids": []}, "subject_ids"),
                          ({"subject_ids": [world.grids["A"], 999999]}, "subject_ids")]:
            args = {"sheet": "assesstest.grid_month", "period_start": NOVEMBER, "user": world.user("judge"), **kw}
            with pytest.raises(OperationError) as caught:
                runs.create_run(**args)
            assert field in caught.value.errors, kw


# -- reproducibility ----------------------------------------------------------------------------

def test_an_unchanged_period_gives_identical_results_and_fingerprint(scored):
    first, second = new_run(scored), new_run(scored)
    compute(scored, first)
    compute(scored, second)
    a, b = run_row(scored, first), run_row(scored, second)
    assert a.fingerprint == b.fingerprint
    strip = lambda rs: {k: (v.items, v.total, v.grade, v.rank, v.money, v.vetoes) for k, v in rs.items()}  # noqa: E731
    assert strip(results(scored, first)) == strip(results(scored, second))
    compute(scored, first)  # computing again gives the same fingerprint too
    assert run_row(scored, first).fingerprint == a.fingerprint


@pytest.mark.parametrize("change", ["event", "judgement", "setting"])
def test_the_fingerprint_changes_when_a_fact_changes(scored, change):
    run_id = new_run(scored)
    compute(scored, run_id)
    before = run_row(scored, run_id).fingerprint
    if change == "event":
        scored.events([{"type": "assesstest.honour", "grid_id": scored.grids["B"], "occurred_at": at(WORKDAYS[5])}])
    elif change == "judgement":
        judge(scored, "judge", "B", "50", reason="same points, new entry")
    else:
        with scored.scope():
            tenant_ops.update_settings(db.session.get(type(scored.tenant), scored.tenant.id), "assesstest",
                                       {"excellent_award": "1200"})
    compute(scored, run_id)
    assert run_row(scored, run_id).fingerprint != before


# -- the hook and the registry ------------------------------------------------------------------

def test_gridgov_assessment_sheets_are_namespaced_and_filtered_by_tenant(app, factory, world):
    registry = app.extensions["gridgov_registry"]
    sheet = registry.sheets["assesstest.grid_month"]
    assert (sheet.plugin, sheet.subject_kind, sheet.period_kind) == ("assesstest", "grid", "month")
    other = factory.tenant("plain")
    assert "assesstest.grid_month" in registry.for_tenant(world.tenant).sheets
    assert "assesstest.grid_month" not in registry.for_tenant(other).sheets


def _sheet(**kw):
    base = dict(key="s", title_zh="表", title_en="Sheet", subject_kind="grid", period_kind="month",
                items=(SheetItem("a", "甲", "A", Decimal(10)),), score=lambda facts: {})
    return Sheet(**{**base, **kw})


class _Declares:
    def __init__(self, *sheets):
        self.sheets = sheets

    from gridgov import hookimpl as _hookimpl

    @_hookimpl
    def gridgov_plugin_info(self):
        from gridgov.plugins import PluginInfo

        return PluginInfo("坏", "Bad", "0")

    @_hookimpl
    def gridgov_assessment_sheets(self):
        return list(self.sheets)


@pytest.mark.parametrize("sheets, message", [
    ((_sheet(), _sheet()), "declared twice"),
    ((_sheet(key="other.s"),), "another plugin's namespace"),
    ((_sheet(subject_kind="street"),), "subject_kind"),
    ((_sheet(period_kind="week"),), "period_kind"),
    ((_sheet(items=(SheetItem("a", "甲", "A"), SheetItem("a", "乙", "B"))),), "distinct keys"),
    ((_sheet(items=(SheetItem("j", "评", "J", kind="judged"),)),), "judged item"),
    ((_sheet(items=(SheetItem("a", "甲", "A", role="extra"),)),), "role"),
    ((_sheet(grade_bands=()),), "grade bands"),
])
def test_bad_sheets_are_refused_at_start_up(app_config, sheets, message):
    config = {**app_config, "GRIDGOV_EXTRA_PLUGINS": [("bad", _Declares(*sheets))]}
    with pytest.raises(PluginError, match=message):
        create_app(config)


def test_one_current_published_run_per_period_and_the_year_reads_the_current_ones(scored):
    first = new_run(scored)
    compute(scored, first)
    publish(scored, first)
    second = new_run(scored)
    compute(scored, second)
    with scored.scope(), pytest.raises(Conflict, match=f"run {first} of this sheet and period is published"):
        runs.publish(runs.get_run(second), scored.user("judge"))
    october = new_run(scored, period_start="2026-10-01")
    compute(scored, october)
    publish(scored, october)
    judge(scored, "judge", "B", "60")
    with scored.scope():
        fix = runs.correct(runs.get_run(first), scored.user("judge")).id
    compute(scored, fix)
    publish(scored, fix)
    year = Sheet("y", "年度", "Year", "grid", "year", items=(SheetItem("a", "甲", "A"),), score=lambda f: {})
    with scored.scope():
        facts = Facts(year, dt.date(2026, 1, 1), dt.date(2027, 1, 1), {scored.grids[g]: g for g in "ABC"}, {},
                      ZoneInfo("Asia/Shanghai"))
        found = facts.published_results("assesstest.grid_month")
    b = found[scored.grids["B"]]
    assert [(r.run_id, r.period_start, r.total) for r in b] == [(october, dt.date(2026, 10, 1), Decimal(0)),
                                                               (fix, NOVEMBER, Decimal(60))]
    assert found[scored.grids["C"]][1].vetoes == ("veto recorded",)
    assert [r.money for r in found[scored.grids["A"]]] == [Decimal(0), Decimal(1000)]  # excellent in November
    assert facts.log[-1][0] == "published_results"
