"""Case deadlines (办理时限): computing them, pausing them, and the overdue sweep.

Conventions, in one place:

* A deadline in ``hours`` is that many calendar hours after the clock starts.
* A deadline in ``working_days`` is the END of the n-th official working day after the local
  date (tenant time zone) on which the clock starts — :func:`gridgov.workdays.add_working_days`.
  A case accepted on Wednesday 30 September 2026 with 3 working days is due when Saturday
  10 October (a make-up working day) ends: 1–7 October is the National Day holiday.
* The accept clock (立案) starts at the report; the resolve (处置) and close (结案) clocks at
  the acceptance.
* A pause (挂起, waiting on someone outside) moves the resolve and close deadlines on resume:
  an hours deadline by the time spent waiting; a working-day deadline by the number of working
  days in (local date paused, local date resumed] — a pause that starts and ends on one day
  moves nothing, a pause from Monday to Wednesday moves the deadline by two working days.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .. import workdays
from ..extensions import db
from ..models import Assignment, Case, CaseReminder, Person, Tenant
from ..models.base import utcnow
from ..plugins import DEADLINE_STAGES, CaseCategory
from ..tenancy import current_tenant_id, platform_scope, tenant_scope

UTC = dt.timezone.utc
# The states in which each stage's clock is running (a waiting case's clock is paused).
RUNNING = {
    "accept": ("reported",),
    "resolve": ("accepted", "dispatched", "in_progress", "escalated", "handed_off", "reopened"),
    "close": ("accepted", "dispatched", "in_progress", "escalated", "handed_off", "reopened", "resolved", "verified"),
}
DUE_COLUMNS = {"accept": Case.accept_due_at, "resolve": Case.resolve_due_at, "close": Case.close_due_at}


def snapshot(category: CaseCategory, severity: str) -> dict:
    """The category's deadlines for one severity, as stored on the case."""
    out = {}
    for stage in DEADLINE_STAGES:
        dl = category.deadline(stage, severity)
        if dl is not None:
            out[stage] = {"amount": dl.amount, "unit": dl.unit}
    return out


def due_after(start: dt.datetime, spec: dict, tz: str) -> dt.datetime:
    """When a clock started at ``start`` runs out under ``spec`` ({"amount", "unit"})."""
    if spec["unit"] == "hours":
        return start + dt.timedelta(hours=spec["amount"])
    return workdays.add_working_days(start, spec["amount"], tz).astimezone(UTC)


def shifted(due: dt.datetime, spec: dict, paused_at: dt.datetime, resumed_at: dt.datetime, tz: str) -> dt.datetime:
    """``due`` moved by a pause from ``paused_at`` to ``resumed_at`` (see the module's rules)."""
    if spec["unit"] == "hours":
        return due + (resumed_at - paused_at)
    zone = ZoneInfo(tz)
    days = workdays.working_days_between(paused_at.astimezone(zone).date(), resumed_at.astimezone(zone).date())
    if days <= 0:
        return due
    # due is the midnight ending its day; count on from that day
    return workdays.add_working_days(due - dt.timedelta(microseconds=1), days, zone).astimezone(UTC)


@dataclasses.dataclass(frozen=True)
class SweepResult:
    flagged: int  # cases newly flagged overdue
    reminders: int  # reminders created


def _handlers(unit_ids: set[int], on: dt.date) -> dict[int, int]:
    """The first person (lowest assignment id) holding an assignment in each unit on ``on``."""
    if not unit_ids:
        return {}
    rows = db.session.execute(
        select(Assignment.unit_id, Assignment.person_id)
        .where(Assignment.unit_id.in_(unit_ids), Assignment.starts_on <= on,
               or_(Assignment.ends_on.is_(None), Assignment.ends_on >= on))
        .order_by(Assignment.id)
    ).all()
    found: dict[int, int] = {}
    for unit_id, person_id in rows:
        found.setdefault(unit_id, person_id)
    return found


def _insert_new(rows: list[dict]) -> int:
    """Insert reminders, skipping any (case, stage) that exists already — also one a concurrent
    sweep wrote a moment ago — so running the sweep twice writes nothing new."""
    if not rows:
        return 0
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[db.session.get_bind().dialect.name]
    stmt = dialect.insert(CaseReminder).on_conflict_do_nothing(index_elements=["tenant_id", "case_id", "stage"])
    return len(db.session.execute(stmt.returning(CaseReminder.id), rows).all())


def sweep_overdue(now: dt.datetime | None = None) -> SweepResult:
    """Flag the current tenant's cases whose running stage is past its deadline, and create one
    reminder per case and stage (催办) for whoever is responsible: the responsible unit and its
    handler (the person who started the case, else the unit's first assigned person) for the
    resolve and close stages; the supervising centre (no unit) for the accept stage.

    Idempotent: a second run flags nothing and creates nothing new. Flushes; the caller commits.
    """
    now = now or utcnow()
    tenant_id = current_tenant_id()
    tz = ZoneInfo(db.session.get(Tenant, tenant_id).timezone)
    flagged = 0
    pending: list[tuple[str, tuple]] = []
    for stage, states in RUNNING.items():
        column = DUE_COLUMNS[stage]
        late = and_(Case.state.in_(states), column.is_not(None), column < now)
        flagged += db.session.execute(
            update(Case).where(late, Case.overdue.is_(False)).values(overdue=True)
            .execution_options(synchronize_session="fetch")
        ).rowcount
        reminded = exists().where(CaseReminder.case_id == Case.id, CaseReminder.stage == stage)
        rows = db.session.execute(select(Case.id, Case.unit_id, Case.handler_person_id, column).where(late, ~reminded)).all()
        pending.extend((stage, row) for row in rows)
    handlers = _handlers({row[1] for stage, row in pending if stage != "accept" and row[1]}, now.astimezone(tz).date())
    people = {p.id: p.user_id for p in db.session.scalars(
        select(Person).where(Person.id.in_({row[2] or handlers.get(row[1]) for _, row in pending} - {None})))}
    reminders = []
    for stage, (case_id, unit_id, handler_id, due_at) in pending:
        person_id = None if stage == "accept" else (handler_id or handlers.get(unit_id))
        reminders.append({
            "tenant_id": tenant_id, "case_id": case_id, "stage": stage, "kind": "overdue", "due_at": due_at,
            "unit_id": None if stage == "accept" else unit_id, "person_id": person_id,
            "user_id": people.get(person_id), "created_at": now,
        })
    created = _insert_new(reminders)
    db.session.flush()
    return SweepResult(flagged=flagged, reminders=created)


def sweep_all_tenants(now: dt.datetime | None = None) -> dict[int, SweepResult]:
    """Run :func:`sweep_overdue` for every tenant, each in its own tenant scope (the scheduled
    job). Flushes; the caller commits."""
    now = now or utcnow()
    with platform_scope():
        tenant_ids = list(db.session.scalars(select(Tenant.id).order_by(Tenant.id)))
    results = {}
    for tenant_id in tenant_ids:
        with tenant_scope(tenant_id):
            results[tenant_id] = sweep_overdue(now)
    return results
