"""Judged inputs (评分录入): an assessor's points for a judged item, with recusal (回避).

An entry is validated against the item's range and needs a reason. An assessor may not judge a
subject they answer for: a grid they are assigned to or that lies below one they are assigned
to, a unit they belong to or whose grid lies so, a person working in such a grid, or themselves
(站前: "an inspector may not inspect or score a grid they are responsible for, nor any grid
below it"). A refused attempt is refused with a message naming the grid, and written to the
audit log in a transaction of its own when the caller's transaction ends (the caller rolls its
own back on the error, and on SQLite a second writer could not run before that).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from flask import has_request_context, request
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import AuditEntry, Grid, Unit
from ..models.assessment import Judgement
from ..models.base import to_json_safe, utcnow
from ..operations import audit
from ..operations.errors import Forbidden, OperationError
from ..tenancy import current_tenant_id
from .access import held_assignments, person_ids, require_manager
from .operations import named_subjects, sheet_for
from .periods import parse_period_start, period_bounds


REFUSALS = "gridgov_assessment_refusals"


class RecusalRefused(Forbidden):
    """The assessor answers for the subject being judged (回避)."""


def _points(value, item) -> Decimal:
    try:
        points = Decimal(str(value)) if not isinstance(value, (bool, float)) and value is not None else None
    except InvalidOperation:
        points = None
    if points is None or not points.is_finite():
        raise OperationError({"points": ["a decimal number, e.g. \"8.5\""]})
    if not item.min_points <= points <= item.max_points:
        raise OperationError({"points": [f"must be between {item.min_points} and {item.max_points} for item {item.key}"]})
    if points != points.quantize(Decimal("0.01")):
        raise OperationError({"points": ["at most two decimal places"]})
    return points


def _subject_grids(kind: str, subject_id: int, start: dt.date, end: dt.date) -> list[Grid]:
    """The grids a subject stands for, for recusal."""
    if kind == "grid":
        ids = [subject_id]
    elif kind == "unit":
        ids = [db.session.scalar(select(Unit.grid_id).where(Unit.id == subject_id))]
    else:
        ids = [a.grid_id for a in db.session.scalars(held_assignments([subject_id], start, end))]
    ids = [i for i in ids if i is not None]
    return list(db.session.scalars(select(Grid).where(Grid.id.in_(ids)))) if ids else []


def recusal_reason(user, kind: str, subject_id: int, start: dt.date, end: dt.date) -> str | None:
    """Why ``user`` may not judge this subject for ``[start, end)``, or None if they may."""
    people = person_ids(user)
    if not people:
        return None
    if kind == "person" and subject_id in people:
        return "you may not judge yourself"
    held = list(db.session.scalars(held_assignments(people, start, end)))
    if kind == "unit" and any(a.unit_id == subject_id for a in held):
        return "you belong to the unit being judged"
    mine = list(db.session.scalars(select(Grid).where(Grid.id.in_([a.grid_id for a in held if a.grid_id]))))
    for grid in _subject_grids(kind, subject_id, start, end):
        for own in mine:
            if grid.path.startswith(own.path):
                where = "the grid being judged" if own.id == grid.id else f"a grid above {grid.code} {grid.name}"
                return f"you are responsible for {own.code} {own.name}, {where}"
    return None


def _log_refusal(user, changes: dict) -> None:
    """Keep a refused attempt for the audit log; it is written when the transaction ends."""
    db.session.info.setdefault(REFUSALS, []).append(dict(
        tenant_id=current_tenant_id(), at=utcnow(), user_id=user.id, username=user.username,
        remote_addr=(request.remote_addr or "") if has_request_context() else "cli", action="recusal",
        object_type="Judgement", object_id=None, changes=to_json_safe(changes)))


@event.listens_for(Session, "after_transaction_end")
def _write_refusals(session, transaction) -> None:
    """Write the refusals of a transaction that ended — committed or rolled back, as a refused
    request is — in a transaction of their own, once the caller's has released its locks."""
    if transaction.parent is not None or not session.info.get(REFUSALS):
        return
    rows = session.info.pop(REFUSALS)
    with db.engine.begin() as conn:
        conn.execute(insert(AuditEntry.__table__), rows)


def enter_judgement(*, sheet: str, period_start, item: str, subject_id, points, reason: str, user) -> Judgement:
    """Enter (or replace, by a newer entry) the points of a judged item for one subject."""
    require_manager(user, "enter judged items")
    decl = sheet_for(sheet)
    declared = decl.item(item) if isinstance(item, str) else None
    if declared is None or declared.kind != "judged":
        judged = [i.key for i in decl.items if i.kind == "judged"]
        raise OperationError({"item": [f"not a judged item of {decl.key}; judged items: {', '.join(judged) or 'none'}"]})
    # an item judged monthly inside a quarter or year is entered for its month
    start, end = period_bounds(declared.judged_per or decl.period_kind, parse_period_start(period_start))
    if isinstance(subject_id, bool) or not isinstance(subject_id, int):
        raise OperationError({"subject_id": ["an integer id"]})
    name = named_subjects(decl, [subject_id], "subject_id")[subject_id]
    value = _points(points, declared)
    if not isinstance(reason, str) or not reason.strip():
        raise OperationError({"reason": ["required: say why (it is shown on the sheet)"]})
    refusal = recusal_reason(user, decl.subject_kind, subject_id, start, end)
    if refusal is not None:
        _log_refusal(user, {"sheet": decl.key, "period_start": start, "item": item, "subject_id": subject_id,
                            "subject": name, "points": str(value), "refused": refusal})
        raise RecusalRefused({"subject_id": [f"recusal (回避): {refusal}; another assessor must judge {name}"]})
    entry = Judgement(tenant_id=current_tenant_id(), sheet=decl.key, period_start=start, item=item,
                      subject_id=subject_id, points=value, reason=reason.strip()[:2000], entered_by_id=user.id,
                      entered_by_name=getattr(user, "display_name", "") or user.username)
    db.session.add(entry)
    db.session.flush()
    audit.record("judge", entry, changes={"sheet": decl.key, "period_start": start, "item": item,
                                          "subject_id": subject_id, "points": value, "reason": entry.reason})
    return entry
