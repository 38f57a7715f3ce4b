"""Assessment runs: create, compute (as a background job), publish, correct, read.

The state machine is draft → computed → published. Computing may be repeated while a run is
not published (a judged input came in late); a published run is frozen — the model refuses any
change — and a correction is a new draft run that ``supersedes`` it. Operations flush, never
commit; the job's writes commit when it returns (:mod:`gridgov.jobs.runner`).
"""
from __future__ import annotations

import contextlib
import gc
import hashlib
import json
from zoneinfo import ZoneInfo

from sqlalchemy import delete, exists, insert, or_, select, update
from sqlalchemy.orm import aliased

from ..extensions import db
from ..jobs import enqueue
from ..models import Assignment, Grid, Person, Tenant, Unit
from ..models.assessment import COMPUTED, DRAFT, PUBLISHED, AssessmentResult, AssessmentRun
from ..models.base import json_default, to_json_safe, utcnow
from ..models.jobs import JobRecord
from ..operations import audit
from ..operations.common import get
from ..operations.errors import Conflict, OperationError
from ..operations.tenants import get_settings, registry
from ..plugins import Sheet
from ..tenancy import current_tenant_id
from .access import require_manager
from .facts import Facts
from .periods import parse_period_start, period_bounds
from .scoring import outcome, rank_and_award

SUBJECT_MODELS = {"person": Person, "grid": Grid, "unit": Unit}


def _tenant() -> Tenant:
    return db.session.get(Tenant, current_tenant_id())


def sheets() -> dict[str, Sheet]:
    """The sheets the tenant in scope can run (its enabled plugins')."""
    return registry().for_tenant(_tenant()).sheets


def sheet_for(key, field: str = "sheet") -> Sheet:
    sheet = sheets().get(key) if isinstance(key, str) else None
    if sheet is None:
        raise OperationError({field: [f"unknown assessment sheet {key!r} for this tenant"]})
    return sheet


def plugin_settings(sheet: Sheet) -> dict:
    """The sheet's plugin settings for the tenant, defaults filled ({} if it keeps none)."""
    if sheet.plugin not in registry().settings_schemas:
        return {}
    return get_settings(_tenant(), sheet.plugin)


def default_subjects(sheet: Sheet, start, end) -> dict[int, str]:
    """{id: name} of the sheet's subjects for ``[start, end)`` (see :class:`gridgov.plugins.Sheet`)."""
    if sheet.subject_kind == "person":
        held = (Assignment.starts_on < end) & or_(Assignment.ends_on.is_(None), Assignment.ends_on >= start)
        mine = or_(Assignment.sheet_override == sheet.key,
                   Assignment.role.in_(sheet.roles) & Assignment.sheet_override.is_(None))
        rows = db.session.execute(select(Person.id, Person.name).join(Assignment, Assignment.person_id == Person.id)
                                  .where(held, mine).distinct())
    elif sheet.subject_kind == "grid":
        query = select(Grid.id, Grid.name)
        rows = db.session.execute(query.where(Grid.level.in_(sheet.grid_levels)) if sheet.grid_levels else query)
    else:
        query = select(Unit.id, Unit.name)
        rows = db.session.execute(query.where(Unit.kind.in_(sheet.unit_kinds)) if sheet.unit_kinds else query)
    return dict(sorted(rows.all()))


def named_subjects(sheet: Sheet, ids: list[int], field: str = "subject_ids") -> dict[int, str]:
    """{id: name} of the given subjects; an error on ``field`` for an id not of the sheet's kind."""
    model = SUBJECT_MODELS[sheet.subject_kind]
    found = dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())
    missing = sorted(set(ids) - set(found))
    if missing:
        raise OperationError({field: [f"no {sheet.subject_kind} {', '.join(map(str, missing))} in this tenant"]})
    return dict(sorted(found.items()))


def _check_subject_ids(value) -> list[int] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value or any(isinstance(v, bool) or not isinstance(v, int) for v in value):
        raise OperationError({"subject_ids": ["a non-empty list of ids, or null for the sheet's default subjects"]})
    return sorted(set(value))


def create_run(*, sheet: str, period_start, user, subject_ids=None, note: str = "") -> AssessmentRun:
    """A draft run of ``sheet`` for the period beginning ``period_start``."""
    require_manager(user, "create assessment runs")
    decl = sheet_for(sheet)
    start, end = period_bounds(decl.period_kind, parse_period_start(period_start))
    ids = _check_subject_ids(subject_ids)
    if ids is not None:
        named_subjects(decl, ids)
    run = AssessmentRun(tenant_id=current_tenant_id(), sheet=decl.key, period_start=start, period_end=end,
                        state=DRAFT, subject_ids=ids, note=str(note or "")[:2000], created_by_id=user.id)
    db.session.add(run)
    db.session.flush()
    audit.record("create", run, changes={"sheet": decl.key, "period_start": start, "subject_ids": ids})
    return run


def get_run(run_id) -> AssessmentRun:
    return get(AssessmentRun, run_id, "assessment run")


def list_runs(*, sheet: str | None = None, period_start=None) -> list[AssessmentRun]:
    query = select(AssessmentRun)
    if sheet is not None:
        query = query.where(AssessmentRun.sheet == sheet)
    if period_start is not None:
        query = query.where(AssessmentRun.period_start == parse_period_start(period_start))
    return list(db.session.scalars(query.order_by(AssessmentRun.period_start.desc(), AssessmentRun.id.desc())))


def current_published_runs(sheet: str, start, end) -> list[AssessmentRun]:
    """The published runs of ``sheet`` for periods beginning in ``[start, end)`` that no
    published correction replaces — one per period — oldest period first."""
    later = aliased(AssessmentRun)
    replaced = exists().where(later.supersedes_id == AssessmentRun.id, later.state == PUBLISHED)
    return list(db.session.scalars(select(AssessmentRun).where(
        AssessmentRun.sheet == sheet, AssessmentRun.state == PUBLISHED, AssessmentRun.period_start >= start,
        AssessmentRun.period_start < end, ~replaced).order_by(AssessmentRun.period_start, AssessmentRun.id)))


def superseded_by(run: AssessmentRun) -> AssessmentRun | None:
    """The correction that replaces this run, if one was made."""
    return db.session.scalar(select(AssessmentRun).where(AssessmentRun.supersedes_id == run.id))


def _refuse_if_published(run: AssessmentRun, action: str) -> None:
    if run.state == PUBLISHED:
        raise Conflict({"state": [f"run {run.id} is published and frozen: it cannot {action}; "
                                  "make a correction (a new run that supersedes it)"]})


def compute(run: AssessmentRun, user) -> JobRecord:
    """Queue the computation of a draft or computed run as a background job."""
    require_manager(user, "compute assessment runs")
    _refuse_if_published(run, "be computed again")
    run.computations += 1
    run.progress, run.progress_note = 0, "queued"
    job = enqueue(compute_job, run.id, tenant_id=run.tenant_id, title=f"assessment {run.sheet} #{run.id}",
                  job_id=f"assessment-run:{run.tenant_id}:{run.id}:{run.computations}")
    run.job_id = job.id
    audit.record("compute", run, changes={"computation": run.computations})
    db.session.flush()
    return job


def _progress(run: AssessmentRun, percent: int, note: str) -> None:
    """Record progress in its own short transaction, so the console sees it while the job runs."""
    with db.engine.begin() as conn:
        conn.execute(update(AssessmentRun.__table__).where(
            AssessmentRun.__table__.c.id == run.id, AssessmentRun.__table__.c.tenant_id == run.tenant_id)
            .values(progress=percent, progress_note=note))


def compute_now(run: AssessmentRun, user) -> AssessmentRun:
    """Compute a draft or computed run in the caller's transaction, without a job (the demo
    loader, scripts): the same scoring as :func:`compute_job`, without progress reports — nobody
    watches, and on SQLite a second connection could not write while the caller holds the lock."""
    require_manager(user, "compute assessment runs")
    _refuse_if_published(run, "be computed again")
    run.computations += 1
    audit.record("compute", run, changes={"computation": run.computations})
    compute_job(run.id, report_progress=False)
    return run


def compute_job(run_id: int, report_progress: bool = True) -> None:
    """The background job: score the run's subjects from the period's facts and store the sheets.

    A pure function of (scheme version, tenant settings, facts): the fingerprint hashes these,
    and an unchanged period gives the same sheets and the same fingerprint."""
    progress = _progress if report_progress else (lambda *args: None)
    run = get_run(run_id)
    if run.state == PUBLISHED:  # published while this job was queued: frozen, nothing to do
        return
    sheet = sheet_for(run.sheet)
    tenant = _tenant()
    subjects = (named_subjects(sheet, run.subject_ids) if run.subject_ids is not None
                else default_subjects(sheet, run.period_start, run.period_end))
    settings = plugin_settings(sheet)
    progress(run, 10, "counting facts")
    facts = Facts(sheet, run.period_start, run.period_end, subjects, settings, ZoneInfo(tenant.timezone))
    with _cyclic_gc_paused():
        _score_and_store(run, sheet, tenant, settings, subjects, facts, progress)


@contextlib.contextmanager
def _cyclic_gc_paused():
    """Pause Python's cyclic garbage collector while a run is counted, scored and stored: the
    facts are millions of small acyclic objects (event ids, days, tallies), which reference
    counting frees; each full collection would walk all of them again (a quarter of a
    thousand directors' run time). What cycles the run leaves are collected when it resumes."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _score_and_store(run, sheet, tenant, settings, subjects, facts, progress) -> None:
    scored = sheet.score(facts) if subjects else {}
    if set(scored) != set(subjects):
        raise OperationError({"sheet": [f"{sheet.key} scored subjects {sorted(scored)}, the run has {sorted(subjects)}"]})
    progress(run, 70, "grading and ranking")
    outcomes = [outcome(sheet, sid, scored[sid]) for sid in subjects]
    rank_and_award(sheet, outcomes, settings)
    db.session.execute(delete(AssessmentResult).where(AssessmentResult.run_id == run.id))
    # one bulk INSERT (an executemany; the tenant of every row is checked by gridgov.tenancy), not
    # a thousand ORM objects; the items are JSON already (scoring.outcome writes them so)
    rows = [dict(tenant_id=run.tenant_id, run_id=run.id, subject_id=o.subject_id, subject_name=subjects[o.subject_id],
                 items=o.items, base=o.base, bonus=o.bonus, penalty=o.penalty, total=o.total, grade=o.grade,
                 rank=o.rank, eligible_rank=o.eligible_rank, money=o.money, awards=to_json_safe(o.awards),
                 vetoes=list(o.vetoes), flags=list(o.flags)) for o in outcomes]
    if rows:
        db.session.execute(insert(AssessmentResult), rows)
    run.scheme_version = registry().info[sheet.plugin].version
    run.fingerprint = fingerprint(run, sheet, tenant, settings, subjects, facts.log)
    run.state, run.computed_at, run.progress, run.progress_note = COMPUTED, utcnow(), 100, "computed"
    db.session.flush()


def fingerprint(run: AssessmentRun, sheet: Sheet, tenant: Tenant, settings: dict, subjects: dict, log: list) -> str:
    """SHA-256 of everything a run's sheets depend on."""
    document = {
        "scheme": [sheet.plugin, registry().info[sheet.plugin].version], "sheet": sheet.key,
        "period": [run.period_start, run.period_end], "timezone": tenant.timezone,
        "settings": to_json_safe(settings), "subjects": {str(k): v for k, v in subjects.items()}, "facts": log,
    }
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=json_default)
    return hashlib.sha256(text.encode()).hexdigest()


def publish(run: AssessmentRun, user) -> AssessmentRun:
    """Publish a computed run (公布): its subjects may read it, and it never changes again."""
    require_manager(user, "publish assessment runs")
    _refuse_if_published(run, "be published again")
    if run.state != COMPUTED:
        raise Conflict({"state": [f"run {run.id} is {run.state}: compute it before publishing"]})
    standing = [r for r in current_published_runs(run.sheet, run.period_start, run.period_end)
                if r.period_start == run.period_start and r.id != run.supersedes_id]
    if standing:
        raise Conflict({"state": [f"run {standing[0].id} of this sheet and period is published: "
                                  "publish a correction of it instead"]})
    run.state, run.published_at, run.published_by_id = PUBLISHED, utcnow(), user.id
    run.progress_note = "published"
    audit.record("publish", run, changes={"fingerprint": run.fingerprint, "supersedes_id": run.supersedes_id})
    db.session.flush()
    return run


def correct(run: AssessmentRun, user, note: str = "") -> AssessmentRun:
    """A correction (更正) of a published run: a new draft run of the same sheet, period and
    subjects, linked by ``supersedes_id``. A run is corrected at most once (correct the
    correction after publishing it)."""
    require_manager(user, "correct assessment runs")
    if run.state != PUBLISHED:
        raise Conflict({"state": [f"run {run.id} is {run.state}: only a published run is corrected; compute it again instead"]})
    existing = superseded_by(run)
    if existing is not None:
        raise Conflict({"supersedes_id": [f"run {run.id} is already corrected by run {existing.id}"]})
    new = AssessmentRun(tenant_id=run.tenant_id, sheet=run.sheet, period_start=run.period_start,
                        period_end=run.period_end, state=DRAFT, subject_ids=run.subject_ids, supersedes_id=run.id,
                        note=str(note or "")[:2000], created_by_id=user.id)
    db.session.add(new)
    db.session.flush()
    audit.record("correct", new, changes={"supersedes_id": run.id, "note": new.note})
    return new
