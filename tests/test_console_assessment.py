"""Assessment (考核) in the console: the runs list, a run's steps (create, compute as a job,
publish, correct) through forms with CSRF on, the ranking and a subject's sheet with its
evidence, judged inputs (range errors, recusal written to the audit log, history), who may
read what (保密 until published, then each subject its own sheet), and English on request.

Built on the throwaway ``assesstest`` plugin of tests/assessment_support.py."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from assessment_support import NOVEMBER, TZ, AssessPlugin, World, at, weekdays
from console_support import Console
from sqlalchemy import func, select

from gridgov.assessment import judging
from gridgov.extensions import db
from gridgov.jobs import inprocess
from gridgov.models import AuditEntry, Case, JobRecord, Tenant
from gridgov.operations import tenants as tenant_ops
from gridgov.models.assessment import AssessmentRun, Judgement

WORKDAYS = weekdays(NOVEMBER, dt.date(2026, 12, 1))
SHEET = "assesstest.grid_month"
RUNS, JUDGED = "/admin/assessment/", "/admin/assessment-judgements/"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "GRIDGOV_EXTRA_PLUGINS": [("assesstest", AssessPlugin())], "GRIDGOV_JOB_RETRY_INTERVALS": "0"}


@pytest.fixture
def world(app, factory):
    w = World(app, factory)
    w.patrols("A1", WORKDAYS)
    w.patrols("C", WORKDAYS)
    w.events([{"type": "assesstest.veto", "grid_id": w.grids["C1"], "occurred_at": at(WORKDAYS[3])}])
    for grid, points in [("A", "55"), ("B", "50"), ("C", "55")]:
        with w.scope():
            judging.enter_judgement(sheet=SHEET, period_start="2026-11-01", item="leadership", subject_id=w.grids[grid],
                                    points=points, reason="综合表现", user=w.user("judge"))
    yield w
    inprocess.runner_for(app).wait(timeout=30)


def login(client, name: str) -> Console:
    console = Console(client)
    assert console.login(f"u-{name}").status_code == 302
    return console


def text(response) -> str:
    return response.get_data(as_text=True)


def run_ids(world) -> list[int]:
    with world.scope():
        return list(db.session.scalars(select(AssessmentRun.id).order_by(AssessmentRun.id)))


def run_row(world, run_id) -> AssessmentRun:
    with world.scope():
        run = db.session.get(AssessmentRun, run_id)
        db.session.expunge(run)
        return run


def create(console, period="2026-11-01", note="十一月"):
    return console.post(RUNS + "new/", {"sheet": SHEET, "period_start": period, "note": note})


def computed(app, console, run_id) -> None:
    response = console.post(RUNS + "compute/", query_string={"id": run_id})
    assert response.status_code == 302 and response.location.endswith(f"/admin/assessment/run/?id={run_id}")
    assert inprocess.runner_for(app).wait(timeout=30)


def published_run(app, world) -> int:
    console = login(app.test_client(), "judge")
    create(console)
    run_id = run_ids(world)[-1]
    computed(app, console, run_id)
    assert console.post(RUNS + "publish/", query_string={"id": run_id}).status_code == 302
    assert run_row(world, run_id).state == "published"
    return run_id


# -- the runs: create, compute, publish, correct --------------------------------------------------

def test_an_assessor_creates_computes_publishes_and_corrects_a_run(app, client, world):
    console = login(client, "judge")
    page = text(console.get(RUNS))
    assert "考核批次" in page and "新建批次" in page and 'name="csrf_token"' in page
    assert "社区月度考核 (assesstest.grid_month)" in page  # the tenant's sheets in the form

    response = create(console)
    [run_id] = run_ids(world)
    assert response.status_code == 302 and response.location.endswith(f"/admin/assessment/run/?id={run_id}")
    page = text(console.get(response.location))
    assert "2026年11月" in page and "草稿" in page and 'data-action="compute"' in page and 'data-action="publish"' not in page
    assert "尚无结果：请计算此批次。" in page
    assert "十一月" in page

    computed(app, console, run_id)
    page = text(console.get(RUNS + "run/", query_string={"id": run_id}))
    assert "已计算" in page and "data-action=\"publish\"" in page and "confirm(" in page
    ranking = page[page.index('id="ranking"'):]
    rows = re.findall(r'data-subject="(\d+)"', ranking)
    assert [int(r) for r in rows] == [world.grids["A"], world.grids["C"], world.grids["B"]]  # 95, 95 (vetoed), 50
    assert "优秀" in ranking and "不合格" in ranking and "¥1,000.00" in ranking and "veto recorded" in ranking
    fingerprint = run_row(world, run_id).fingerprint
    assert fingerprint[:16] in page
    report = re.search(r'id="reports-link" href="([^"]+)"|href="([^"]+)" id="reports-link"', page)
    link = (report.group(1) or report.group(2)).replace("&amp;", "&")
    assert link.startswith("/admin/reports/?") and "report=core.ranking" in link and f"run_id={run_id}" in link
    assert console.get(link).status_code == 200

    listing = text(console.get(RUNS))
    assert "已计算" in listing and fingerprint[:12] in listing and "http-equiv=\"refresh\"" not in listing

    assert console.post(RUNS + "publish/", query_string={"id": run_id}).status_code == 302
    page = text(console.get(RUNS + "run/", query_string={"id": run_id}))
    assert "已公布" in page and 'id="correct"' in page and 'data-action="compute"' not in page
    assert run_row(world, run_id).published_at is not None

    # refusals name their reason and change nothing
    console.post(RUNS + "publish/", query_string={"id": run_id})
    page = text(console.get(RUNS))
    assert f"run {run_id} is published and frozen: it cannot be published again" in page
    console.post(RUNS + "compute/", query_string={"id": run_id})
    assert "it cannot be computed again" in text(console.get(RUNS))
    console.post(RUNS + "correct/", {"note": ""}, query_string={"id": run_id})
    assert "更正原因" in text(console.get(RUNS)) and run_ids(world) == [run_id]

    response = console.post(RUNS + "correct/", {"note": "漏录一次巡查"}, query_string={"id": run_id})
    [_, new_id] = run_ids(world)
    assert response.location.endswith(f"/admin/assessment/run/?id={new_id}")
    new = run_row(world, new_id)
    assert (new.supersedes_id, new.state, new.note) == (run_id, "draft", "漏录一次巡查")
    page = text(console.get(response.location))
    assert f'id="supersedes">#{run_id}<' in page
    old = text(console.get(RUNS + "run/", query_string={"id": run_id}))
    assert f'id="superseded-by">#{new_id}<' in old and 'id="correct"' not in old
    console.post(RUNS + "correct/", {"note": "again"}, query_string={"id": run_id})
    assert f"run {run_id} is already corrected by run {new_id}" in text(console.get(RUNS))
    listing = text(console.get(RUNS))
    assert f"更正自 <a href=\"/admin/assessment/run/?id={run_id}\">" in listing
    assert f"已被更正 <a href=\"/admin/assessment/run/?id={new_id}\">" in listing
    # a draft correction cannot be published before it is computed
    console.post(RUNS + "publish/", query_string={"id": new_id})
    assert f"run {new_id} is draft: compute it before publishing" in text(console.get(RUNS))
    with world.scope():
        actions = list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "AssessmentRun")
                                          .order_by(AuditEntry.id)))
    assert actions == ["create", "compute", "publish", "correct"]


def test_a_bad_period_stays_on_the_form_and_nothing_is_created(client, world):
    console = login(client, "judge")
    response = create(console, period="2026-11-05")
    page = text(response)
    assert response.status_code == 200 and "a month period begins on the 1st of a month" in page
    assert "is-invalid" in page or "invalid-feedback" in page or "help-block" in page
    assert run_ids(world) == []
    response = console.post(RUNS + "new/", {"sheet": "nope.sheet", "period_start": "2026-11-01"})
    assert response.status_code == 200 and run_ids(world) == []
    # without a CSRF token the form is refused too
    response = client.post(RUNS + "new/", data={"sheet": SHEET, "period_start": "2026-11-01"})
    assert run_ids(world) == []


def test_filters_by_sheet_and_period(app, client, world):
    console = login(client, "judge")
    create(console)
    create(console, period="2026-10-01")
    november, october = run_ids(world)
    page = text(console.get(RUNS, query_string={"period": "2026-10-01"}))
    assert f'data-run="{october}"' in page and f'data-run="{november}"' not in page
    page = text(console.get(RUNS, query_string={"sheet": "assesstest.person_month"}))
    assert 'data-run="' not in page
    page = text(console.get(RUNS, query_string={"sheet": SHEET}))
    assert f'data-run="{october}"' in page and f'data-run="{november}"' in page


def test_progress_of_a_running_job_and_the_page_refreshes_itself(client, world):
    console = login(client, "judge")
    create(console)
    [run_id] = run_ids(world)
    with world.scope():  # a job the worker has started and not finished
        job = JobRecord(tenant_id=world.tenant.id, rq_job_id="console-test", backend="inprocess", func_path="x:y",
                        state="started")
        db.session.add(job)
        db.session.flush()
        run = db.session.get(AssessmentRun, run_id)
        run.job_id, run.progress, run.progress_note = job.id, 40, "counting facts"
        db.session.commit()
    for url in (RUNS, RUNS + f"run/?id={run_id}"):
        page = text(console.get(url))
        assert '<meta http-equiv="refresh" content="3">' in page
        assert 'style="width: 40%"' in page and "统计数据" in page


def test_a_subjects_sheet_shows_every_line_with_its_evidence(app, client, world):
    console = login(client, "judge")
    create(console)
    [run_id] = run_ids(world)
    computed(app, console, run_id)
    page = text(console.get(RUNS + "sheet/", query_string={"id": run_id, "subject": world.grids["A"]}))
    assert "社区A" in page and "巡查" in page and "40 / 40" in page and "40 − 2 × 0 missed working days, floor 0" in page
    links = re.findall(r'href="/admin/events/details/\?id=(\d+)"', page)
    assert len(links) == len(WORKDAYS)
    assert "<details>" in page  # many events fold away
    assert "由 u-judge 于" in page and "综合表现" in page and "55 / 60" in page
    assert "优秀奖励" in page and "¥1,000.00" in page and "优秀" in page
    # the event link leads to the console's event page
    assert console.get(f"/admin/events/details/?id={links[0]}").status_code == 200
    vetoed = text(console.get(RUNS + "sheet/", query_string={"id": run_id, "subject": world.grids["C"]}))
    assert "veto recorded" in vetoed
    assert console.get(RUNS + "sheet/", query_string={"id": run_id, "subject": 999999}).status_code == 404


def test_case_evidence_and_money_lines_of_a_person_ledger(app, client, world):
    """A half-month ledger (money-only lines): cases behind lost points link to the case page."""
    me = world.people["dirA"]
    world.events([{"type": "assesstest.report", "grid_id": world.grids["A"], "actor_person_id": me,
                   "occurred_at": at(d), "payload": {"accepted": True}} for d in WORKDAYS[:3]])
    with world.scope() as session:
        late = Case(number="2026-000001", category="core.general", grid_id=world.grids["A1"], description="积水",
                    resolve_due_at=dt.datetime(2026, 11, 5, 17, tzinfo=TZ))
        session.add(late)
        session.flush()
        late_id = late.id
    console = login(client, "judge")
    response = console.post(RUNS + "new/", {"sheet": "assesstest.person_month", "period_start": "2026-11-01"})
    assert response.status_code == 302
    [run_id] = run_ids(world)
    computed(app, console, run_id)
    page = text(console.get(RUNS + "run/", query_string={"id": run_id}))
    assert "2026年11月上半月" in page and "人员dirA" in page
    page = text(console.get(RUNS + "sheet/", query_string={"id": run_id, "subject": me}))
    assert f'href="/admin/cases/case/?id={late_id}"' in page and "9 / 10" in page
    assert "¥30.00" in page and "−1 per case not disposed in time" in page
    assert console.get(f"/admin/cases/case/?id={late_id}").status_code == 200


# -- judged inputs ---------------------------------------------------------------------------------

def test_judged_entry_in_range_out_of_range_and_history(client, world):
    console = login(client, "judge")
    url = JUDGED + f"?sheet={SHEET}&period=2026-11-01"
    page = text(console.get(url))
    assert "评分录入" in page and "领导评分 (0–60)" in page and "社区A" in page
    with world.scope():
        before = db.session.scalar(select(func.count()).select_from(Judgement))
    response = console.post(url, {"item": "leadership", "subject_id": world.grids["A"], "points": "61", "reason": "太高"})
    page = text(response)
    assert response.status_code == 200 and "must be between 0 and 60 for item leadership" in page
    response = console.post(url, {"item": "leadership", "subject_id": world.grids["A"], "points": "abc", "reason": "x"})
    assert 'a decimal number, e.g. &#34;8.5&#34;' in text(response) or "a decimal number" in text(response)
    with world.scope():
        assert db.session.scalar(select(func.count()).select_from(Judgement)) == before
    response = console.post(url, {"item": "leadership", "subject_id": world.grids["A"], "points": "58.5", "reason": "复评"})
    assert response.status_code == 302
    page = text(console.get(response.location))
    assert "58.5" in page and "复评" in page
    with world.scope():
        rows = db.session.execute(select(Judgement.id, Judgement.points)
                                  .where(Judgement.subject_id == world.grids["A"]).order_by(Judgement.id)).all()
    assert [r.points for r in rows] == [Decimal("55"), Decimal("58.5")]
    assert f'data-entry="{rows[1].id}" class="counting"' in page
    assert f'data-entry="{rows[0].id}" class="text-muted superseded"' in page


def test_recusal_is_refused_with_a_clear_message_and_audited(client, world):
    console = login(client, "near")  # responsible for the street, above every community
    url = JUDGED + f"?sheet={SHEET}&period=2026-11-01"
    response = console.post(url, {"item": "leadership", "subject_id": world.grids["B"], "points": "40", "reason": "评分"})
    page = text(response)
    assert response.status_code == 200
    assert "recusal (回避): you are responsible for S 街道, a grid above B 社区B; another assessor must judge 社区B" in page
    with world.scope():
        assert db.session.scalar(select(func.count()).select_from(Judgement).where(
            Judgement.subject_id == world.grids["B"])) == 1  # only the fixture's
        refused = db.session.execute(select(AuditEntry.user_id, AuditEntry.object_type, AuditEntry.changes)
                                     .where(AuditEntry.action == "recusal")).all()
    assert len(refused) == 1 and refused[0].user_id == world.users["near"] and refused[0].object_type == "Judgement"
    assert refused[0].changes["subject"] == "社区B" and "a grid above B 社区B" in refused[0].changes["refused"]


def test_a_period_that_does_not_begin_a_period_is_named(client, world):
    console = login(client, "judge")
    page = text(console.get(JUDGED + f"?sheet={SHEET}&period=2026-11-03"))
    assert "a month period begins on the 1st of a month" in page and 'name="points"' not in page


# -- who may read what -----------------------------------------------------------------------------

def test_outsiders_do_not_read_a_draft_and_subjects_read_their_own_after_publication(app, client, factory, world):
    field, _ = factory.user("u-field", world.tenant, "field_staff")
    console = login(app.test_client(), "judge")
    create(console)
    [run_id] = run_ids(world)
    computed(app, console, run_id)

    for name in ("field", "dirA", "outsider"):
        reader = login(app.test_client(), name)
        assert f'data-run="{run_id}"' not in text(reader.get(RUNS))
        response = reader.get(RUNS + "run/", query_string={"id": run_id})
        assert response.status_code == 302
        page = text(reader.get(response.location))
        assert "公布之前只有考核员和管理员可以查看此考核。" in page
        assert "社区A" not in page
        assert reader.get(RUNS + "sheet/", query_string={"id": run_id, "subject": world.grids["A"]}).status_code == 302
        assert 'id="new-run"' not in page and "新建批次" not in page
        assert reader.get(JUDGED).status_code == 403  # not in their menu either
        reader.post(RUNS + "compute/", query_string={"id": run_id})
        assert "only assessors and tenant administrators may compute assessment runs" in text(reader.get(RUNS))
        reader.post(RUNS + "new/", {"sheet": SHEET, "period_start": "2026-10-01"})
        assert run_ids(world) == [run_id]

    assert console.post(RUNS + "publish/", query_string={"id": run_id}).status_code == 302
    director = login(app.test_client(), "dirA")
    assert f'data-run="{run_id}"' in text(director.get(RUNS))
    page = text(director.get(RUNS + "run/", query_string={"id": run_id}))
    assert "社区B" in page and "社区C" in page  # the ranking
    assert f'subject={world.grids["A"]}' in page and f'subject={world.grids["B"]}' not in page
    assert 'data-action="compute"' not in page and 'id="correct"' not in page
    own = director.get(RUNS + "sheet/", query_string={"id": run_id, "subject": world.grids["A"]})
    assert own.status_code == 200 and "巡查" in text(own)
    other = director.get(RUNS + "sheet/", query_string={"id": run_id, "subject": world.grids["B"]})
    assert other.status_code == 302
    assert "只有考核对象本人、考核员和管理员可以查看此考核明细。" in text(director.get(other.location))

    outsider = login(app.test_client(), "outsider")  # not a subject of this run
    response = outsider.get(RUNS + "run/", query_string={"id": run_id})
    assert response.status_code == 302
    assert "只有此考核的考核对象可以查看。" in text(outsider.get(response.location))
    response = outsider.get(RUNS + "run/", query_string={"id": run_id, "lang": "en"})
    assert "Only the subjects of this assessment may read it." in text(outsider.get(response.location))


def test_another_tenants_run_is_not_found(app, client, factory, world):
    other = factory.tenant("other", plugins=["assesstest"])
    factory.user("u-boss", other, "tenant_admin")
    run_id = published_run(app, world)
    boss = login(client, "boss")
    assert f'data-run="{run_id}"' not in text(boss.get(RUNS))
    for path in ("run/", "sheet/"):
        assert boss.get(RUNS + path, query_string={"id": run_id, "subject": world.grids["A"]}).status_code == 404
    for path in ("compute/", "publish/", "correct/"):
        assert boss.post(RUNS + path, {"note": "x"}, query_string={"id": run_id}).status_code == 404
    assert run_ids(world) == [run_id]


def test_english_on_request(app, client, world):
    run_id = published_run(app, world)
    console = login(client, "judge")
    page = text(console.get(RUNS + "run/", query_string={"id": run_id, "lang": "en"}))
    assert "Community monthly assessment" in page and "2026-11" in page and "Published" in page
    assert "Ranking" in page and "Excellent" in page and "Fail" in page and "社区月度考核" not in page
    page = text(console.get(RUNS + "sheet/", query_string={"id": run_id, "subject": world.grids["A"]}))
    assert "Patrol" in page and "Leadership score" in page and "Excellence award" in page and "Entered by u-judge" in page
    page = text(console.get(JUDGED + f"?sheet={SHEET}&period=2026-11-01"))
    assert "Judged inputs" in page and "Leadership score (0–60)" in page


def test_runs_of_a_plugin_since_disabled_stay_readable_to_managers_only(app, client, world):
    run_id = published_run(app, world)
    with world.scope():
        tenant_ops.update_tenant(db.session.get(Tenant, world.tenant.id), enabled_plugins=[])
    console = login(client, "judge")
    listing = text(console.get(RUNS))
    assert f'data-run="{run_id}"' in listing and SHEET in listing and "2026-11-01 – 2026-12-01" in listing
    page = console.get(RUNS + "run/", query_string={"id": run_id})
    assert page.status_code == 200 and "社区A" in text(page)
    sheet = console.get(RUNS + "sheet/", query_string={"id": run_id, "subject": world.grids["A"]})
    assert sheet.status_code == 200 and "40 / 40" in text(sheet)
    director = login(app.test_client(), "dirA")
    assert f'data-run="{run_id}"' not in text(director.get(RUNS))
    assert director.get(RUNS + "run/", query_string={"id": run_id}).status_code == 302


def test_a_failed_computation_is_shown_with_its_error(client, world):
    console = login(client, "judge")
    create(console)
    [run_id] = run_ids(world)
    with world.scope():
        job = JobRecord(tenant_id=world.tenant.id, rq_job_id="console-test-failed", backend="inprocess", func_path="x:y",
                        state="failed", error="ScoringError: item patrol gives 41 over its maximum 40")
        db.session.add(job)
        db.session.flush()
        db.session.get(AssessmentRun, run_id).job_id = job.id
        db.session.commit()
    page = text(console.get(RUNS + f"run/?id={run_id}"))
    assert 'id="job-failed"' in page and "上次计算失败" in page and "item patrol gives 41 over its maximum 40" in page
    assert "http-equiv=\"refresh\"" not in page and 'data-action="compute"' in page
