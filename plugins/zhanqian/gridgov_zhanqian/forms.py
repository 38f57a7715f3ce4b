"""The zhanqian forms (event types) and the checks that enforce the discipline on them.

* ``inspection`` 网格排查 — a grid's own investigation round by its responsible person; counted
  for the investigation rate (排查率, item 1a).
* ``supervision`` 督查 — a routine (常规) or special (专项) inspection by the inspection group
  (督查组) or the leading group. Each finding listed is fed back to the community and becomes a
  rectification case (:mod:`.rectification`). **Recusal (回避):** an inspector may not inspect a
  grid they are responsible for, nor any grid below it ("不参与对本人负责网格(含下级网格)的督查"):
  the event is refused with a message naming the grid, and the attempt is written to the audit
  log (action ``recusal``), as the engine does for a refused judgement.
* ``monthly_check`` 每月检查考评 — a community director's monthly check of one of the
  community's second-level grids ("各社区主任负责考核二级网格运转情况"). Only a director of the
  grid's own community may record it: the director assesses their own level, never another
  community's grids. It is the community's own management check, archived as evidence; it is
  not a 督查 and is never a score on the street's sheet (see the recusal decision in
  docs/plugins/zhanqian.md).
* ``honour`` 奖励加分依据 — a district-level-or-higher honour, or innovation recognised by the
  district performance office, with its points and document (item 4, capped by ``bonus_cap``).
"""
from __future__ import annotations

import datetime as dt

from flask import has_request_context, request
from marshmallow import Schema, fields, validate
from sqlalchemy import or_, select

from gridgov.assessment import judging
from gridgov.extensions import db
from gridgov.models import Assignment, Grid
from gridgov.models.base import to_json_safe, utcnow
from gridgov.operations.audit import current_actor
from gridgov.plugins import EventType
from gridgov.tenancy import current_tenant_id

NOTE = validate.Length(max=2000)
SUPERVISION_KINDS = {"routine": "常规检查 Routine", "special": "专项检查 Special"}
HONOUR_LEVELS = {"district": "区级", "city": "市级", "province": "省级", "national": "国家级"}
HONOUR_KINDS = {"honour": "区级以上荣誉 Honour", "innovation": "创新工作（区绩效办认定） Recognised innovation"}


class InspectionPayload(Schema):
    """One inspection of a grid (网格排查): what was checked and how many problems were found."""

    problems_found = fields.Integer(required=True, validate=validate.Range(min=0, max=1000))
    note = fields.String(load_default="", validate=NOTE)


class SupervisionPayload(Schema):
    """A supervisory inspection (督查) of a grid; ``findings`` are fed back to the community,
    one rectification case each."""

    kind = fields.String(load_default="routine", validate=validate.OneOf(list(SUPERVISION_KINDS)))
    findings = fields.List(fields.String(validate=validate.Length(min=1, max=500)), load_default=list,
                           validate=validate.Length(max=50))
    note = fields.String(load_default="", validate=NOTE)


class MonthlyCheckPayload(Schema):
    """A community director's monthly check of a second-level grid: how it runs, in words."""

    running_well = fields.Boolean(required=True)
    note = fields.String(load_default="", validate=NOTE)


class HonourPayload(Schema):
    """An honour or recognised innovation of a community, entered by the leading group."""

    kind = fields.String(required=True, validate=validate.OneOf(list(HONOUR_KINDS)))
    level = fields.String(required=True, validate=validate.OneOf(list(HONOUR_LEVELS)))
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    document = fields.String(required=True, validate=validate.Length(min=1, max=200))  # 文号
    points = fields.Decimal(required=True, as_string=True, places=1, validate=validate.Range(min=0, max=20))


def _local_day(event: dict) -> dt.date:
    return event["occurred_at"].astimezone(_tz()).date()


def _tz():
    from zoneinfo import ZoneInfo

    from gridgov.models import Tenant

    return ZoneInfo(db.session.get(Tenant, current_tenant_id()).timezone)


def _held(person_id: int, day: dt.date, role: str | None = None) -> list[Grid]:
    """The grids ``person_id`` is assigned to on ``day`` (with ``role``, if given)."""
    query = select(Grid).join(Assignment, Assignment.grid_id == Grid.id).where(
        Assignment.person_id == person_id, Assignment.starts_on <= day,
        or_(Assignment.ends_on.is_(None), Assignment.ends_on >= day))
    if role is not None:
        query = query.where(Assignment.role == role)
    return list(db.session.scalars(query))


def _log_refusal(event: dict, reason: str) -> None:
    """Keep the refused attempt for the audit log: written by the engine's refusal writer in a
    transaction of its own once the refused request's transaction has been rolled back."""
    user = current_actor()
    db.session.info.setdefault(judging.REFUSALS, []).append(dict(
        tenant_id=current_tenant_id(), at=utcnow(), user_id=getattr(user, "id", None),
        username=getattr(user, "username", "") or "",
        remote_addr=(request.remote_addr or "") if has_request_context() else "cli", action="recusal",
        object_type="Event", object_id=None,
        changes=to_json_safe({"type": event["type"], "grid_id": event["grid_id"],
                              "actor_person_id": event.get("actor_person_id"),
                              "occurred_at": event["occurred_at"], "refused": reason})))


def recusal_reason(person_id: int, grid: Grid, day: dt.date) -> str | None:
    """Why ``person_id`` may not inspect ``grid`` on ``day`` (回避), or None: they are assigned to
    that grid or to a grid above it."""
    for own in _held(person_id, day):
        if grid.path.startswith(own.path):
            where = "the grid inspected" if own.id == grid.id else f"a grid above {grid.code} {grid.name}"
            return f"you are responsible for {own.code} {own.name}, {where}"
    return None


def check_supervision(event: dict, earlier: list) -> dict | None:
    """督查: an inspector is named, and does not inspect their own grid or any below it."""
    if event.get("actor_person_id") is None:
        return {"actor_person_id": ["required: the inspector (督查组成员) who inspected"]}
    grid = db.session.get(Grid, event["grid_id"]) if event.get("grid_id") is not None else None
    if grid is None:
        return {"grid_id": ["required: the grid inspected"]}
    reason = recusal_reason(event["actor_person_id"], grid, _local_day(event))
    if reason is None:
        return None
    _log_refusal(event, reason)
    return {"actor_person_id": [f"recusal (回避): {reason}; another member of the inspection group must inspect it"]}


def check_monthly_check(event: dict, earlier: list) -> dict | None:
    """每月检查考评: recorded by a director of the community the checked second-level grid
    belongs to."""
    if event.get("actor_person_id") is None:
        return {"actor_person_id": ["required: the community director (社区主任) who checked"]}
    grid = db.session.get(Grid, event["grid_id"]) if event.get("grid_id") is not None else None
    if grid is None:
        return {"grid_id": ["required: the second-level grid checked"]}
    communities = _held(event["actor_person_id"], _local_day(event), role="zhanqian.community_director")
    if grid.level != 2 or grid.parent_id not in {c.id for c in communities}:
        own = ", ".join(f"{c.code} {c.name}" for c in communities) or "none"
        reason = (f"a community director checks only the second-level grids of their own community "
                  f"(yours: {own}); {grid.code} {grid.name} is not one of them")
        _log_refusal(event, reason)
        return {"grid_id": [reason]}
    return None


EVENT_TYPES = (
    EventType("inspection", "网格排查", "Grid inspection", InspectionPayload,
              description="网格责任人对本网格的排查，计入排查率。"),
    EventType("supervision", "督查", "Supervisory inspection", SupervisionPayload,
              description="督查组常规检查或专项检查；每条发现问题反馈社区并立整改案件。督查组成员回避本人负责网格（含下级网格）。",
              check=check_supervision),
    EventType("monthly_check", "每月检查考评", "Monthly check", MonthlyCheckPayload,
              description="社区主任对本社区二级网格运转情况的每月检查考评。", check=check_monthly_check),
    EventType("honour", "奖励加分依据", "Honour or recognised innovation", HonourPayload,
              description="区级以上荣誉或区绩效办认定的创新工作，附文号与加分。"),
)
