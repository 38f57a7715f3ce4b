"""Who may see and do what with assessments (保密与公开) — the checks the API, the console and
the CLI share.

* Assessors (考核员) and tenant administrators manage runs and enter judged items, and read
  every run in every state.
* Until a run is published nobody else reads it (保密: the assessment group only).
* Once published, each subject reads its own sheet and the ranking (公开): a person subject is
  the person linked to the login; a grid or unit subject is everyone assigned to that grid or
  unit during the period (the community director reads the community's sheet).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select

from ..extensions import db
from ..models import Assignment, Person, Tenant
from ..models.assessment import PUBLISHED, AssessmentResult, AssessmentRun
from ..operations.errors import Forbidden
from ..operations.tenants import role_in
from ..tenancy import current_tenant_id

MANAGER_ROLES = ("tenant_admin", "assessor")


def is_manager(user) -> bool:
    """An assessor or tenant administrator of the tenant in scope (platform admins count)."""
    return user is not None and role_in(user, db.session.get(Tenant, current_tenant_id())) in MANAGER_ROLES


def require_manager(user, action: str) -> None:
    if not is_manager(user):
        raise Forbidden({"_schema": [f"only assessors and tenant administrators may {action}"]})


def person_ids(user) -> list[int]:
    """The staff records (Person) linked to a login in this tenant."""
    if user is None:
        return []
    return list(db.session.scalars(select(Person.id).where(Person.user_id == user.id)))


def held_assignments(person_ids_: list[int], start: dt.date, end: dt.date):
    """SELECT of the assignments of these people overlapping ``[start, end)``."""
    return select(Assignment).where(
        Assignment.person_id.in_(person_ids_), Assignment.starts_on < end,
        or_(Assignment.ends_on.is_(None), Assignment.ends_on >= start))


def own_subject_ids(user, run: AssessmentRun, subject_kind: str) -> set[int]:
    """The subjects of a run's kind that this login is, or answers for."""
    people = person_ids(user)
    if not people:
        return set()
    if subject_kind == "person":
        return set(people)
    held = db.session.scalars(held_assignments(people, run.period_start, run.period_end))
    return {a.grid_id if subject_kind == "grid" else a.unit_id for a in held} - {None}


def _subject_kind(run: AssessmentRun) -> str:
    from .operations import sheet_for

    return sheet_for(run.sheet).subject_kind


def can_read_run(user, run: AssessmentRun) -> bool:
    """Managers always; after publication, the run's subjects (for its ranking)."""
    if is_manager(user):
        return True
    if run.state != PUBLISHED:
        return False
    mine = own_subject_ids(user, run, _subject_kind(run))
    return bool(mine) and db.session.scalar(select(AssessmentResult.id).where(
        AssessmentResult.run_id == run.id, AssessmentResult.subject_id.in_(mine)).limit(1)) is not None


def can_read_result(user, result: AssessmentResult) -> bool:
    """Managers always; after publication, the subject itself."""
    run = result.run
    if is_manager(user):
        return True
    return run.state == PUBLISHED and result.subject_id in own_subject_ids(user, run, _subject_kind(run))


def require_run_reader(user, run: AssessmentRun) -> None:
    if not can_read_run(user, run):
        reason = ("until it is published only assessors and administrators may read this assessment"
                  if run.state != PUBLISHED else "only the subjects of this assessment may read it")
        raise Forbidden({"_schema": [reason]})


def readable_results(user, run: AssessmentRun) -> list[AssessmentResult]:
    """The full sheets this login may read in a run: all for a manager, its own for a subject."""
    require_run_reader(user, run)
    query = select(AssessmentResult).where(AssessmentResult.run_id == run.id)
    if not is_manager(user):
        query = query.where(AssessmentResult.subject_id.in_(own_subject_ids(user, run, _subject_kind(run))))
    return list(db.session.scalars(query.order_by(AssessmentResult.rank, AssessmentResult.subject_id)))


def ranking(user, run: AssessmentRun) -> list[dict]:
    """The ranking (排名) of a run: rank, subject, total and grade — no line items."""
    require_run_reader(user, run)
    rows = db.session.scalars(select(AssessmentResult).where(AssessmentResult.run_id == run.id)
                              .order_by(AssessmentResult.rank, AssessmentResult.subject_id))
    return [{"rank": r.rank, "eligible_rank": r.eligible_rank, "subject_id": r.subject_id,
             "subject_name": r.subject_name, "total": r.total, "grade": r.grade, "vetoed": bool(r.vetoes)}
            for r in rows]
