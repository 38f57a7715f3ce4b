"""Rules that look beyond one form: the ``check`` functions of the event types (see
``gridgov_event_types`` in the core's hookspecs). Each gets the validated event (a dict) and the
events of the same batch before it, runs inside the request's transaction and tenant scope, and
returns None or errors keyed by the field at fault.

* 签到: one check-in (``work_plan``) per leader and local day; a second is refused (amend the
  first instead).
* 签退: a check-out (``work_result``) needs that day's check-in, not after it; one per day.
* 请假: a decision names a pending leave request; nobody decides their own.
* 评分: a mark names a sub-item of the tenant's tree of the right kind, within its maximum; no
  assessor marks themselves (回避).
* 随访/查体: the event's place is a woman of childbearing age.
* 工资记录: one current ``monthly_pay`` per leader and month (amend it to correct), recorded by
  the scheduled job or a tenant administrator.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from sqlalchemy import bindparam, select

from gridgov.extensions import db
from gridgov.models import Event, Place, Tenant
from gridgov.operations.events import superseded_condition
from gridgov.operations.tenants import get_settings
from gridgov.tenancy import current_tenant_id

PLAN, RESULT = "family_planning.work_plan", "family_planning.work_result"
LEAVE, DECISION = "family_planning.leave_request", "family_planning.leave_decision"


def tenant_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(db.session.get(Tenant, current_tenant_id()).timezone)


def local_day(instant: dt.datetime, zone=None) -> dt.date:
    return instant.astimezone(zone or tenant_zone()).date()


def _day_bounds(day: dt.date, zone) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), zone)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)


_CURRENT = ~superseded_condition()  # built once: one alias, so the statement is compiled once
_SHEETS = select(Event.type, Event.occurred_at, Event.id).where(
    Event.type.in_([PLAN, RESULT]), Event.actor_person_id == bindparam("person"),
    Event.occurred_at >= bindparam("start"), Event.occurred_at < bindparam("end"), _CURRENT)


def _sheets_of_day(person_id: int, day: dt.date, zone, earlier: list[dict]) -> list[tuple[str, dt.datetime, object]]:
    """(type, occurred_at, event id or "batch") of the person's current check-ins and
    check-outs on ``day``: stored (voided or amended ones left out) and earlier in the batch."""
    start, end = _day_bounds(day, zone)
    stored = db.session.execute(_SHEETS, {"person": person_id, "start": start, "end": end}).all()
    batch = [(r["type"], r["occurred_at"], "batch") for r in earlier
             if r.get("actor_person_id") == person_id and r["type"] in (PLAN, RESULT) and not r.get("amends_id")
             and start <= r["occurred_at"] < end]
    return [tuple(s) for s in stored] + batch


def _leader(event: dict) -> dict | None:
    if event.get("actor_person_id") is None:
        return {"actor_person_id": ["a daily work sheet names the group leader (actor_person_id)"]}
    return None


def check_work_plan(event: dict, earlier: list[dict]):
    if (missing := _leader(event)) or event.get("amends_id"):
        return missing
    zone = tenant_zone()
    day = local_day(event["occurred_at"], zone)
    plans = [s for s in _sheets_of_day(event["actor_person_id"], day, zone, earlier) if s[0] == PLAN]
    if plans:
        which = f"event {plans[0][2]}" if plans[0][2] != "batch" else "earlier in this batch"
        return {"occurred_at": [f"already checked in (签到) on {day.isoformat()} ({which}); one check-in a day — "
                                f"amend it instead"]}
    return None


def check_work_result(event: dict, earlier: list[dict]):
    if (missing := _leader(event)) or event.get("amends_id"):
        return missing
    zone = tenant_zone()
    day = local_day(event["occurred_at"], zone)
    sheets = _sheets_of_day(event["actor_person_id"], day, zone, earlier)
    plans = [s for s in sheets if s[0] == PLAN]
    if not plans:
        return {"occurred_at": [f"no check-in (签到) on {day.isoformat()}: check in with the day's plan before "
                                f"checking out (签退)"]}
    if any(s[0] == RESULT for s in sheets):
        return {"occurred_at": [f"already checked out (签退) on {day.isoformat()}; amend that check-out instead"]}
    if event["occurred_at"] < min(s[1] for s in plans):
        return {"occurred_at": ["a check-out cannot be earlier than the day's check-in"]}
    return None


def check_leave_request(event: dict, earlier: list[dict]):
    if event.get("actor_person_id") is None:
        return {"actor_person_id": ["a leave request names who asks for leave (actor_person_id)"]}
    return None


def check_leave_decision(event: dict, earlier: list[dict]):
    request_id = event["payload"]["request_id"]
    request = db.session.execute(select(Event.type, Event.actor_person_id).where(Event.id == request_id)).first()
    if request is None or request.type != LEAVE:
        return {"payload": {"request_id": [f"no leave request {request_id} in this tenant"]}}
    if event.get("actor_person_id") is None:
        return {"actor_person_id": ["a decision names who decided (actor_person_id)"]}
    if event["actor_person_id"] == request.actor_person_id:
        return {"actor_person_id": ["nobody decides their own leave request"]}
    if not event.get("amends_id"):
        decided = db.session.scalar(select(Event.id).where(
            Event.type == DECISION, _CURRENT,
            Event.payload["request_id"].as_integer() == request_id).limit(1))
        in_batch = any(r["type"] == DECISION and r["payload"].get("request_id") == request_id for r in earlier)
        if decided or in_batch:
            return {"payload": {"request_id": [f"leave request {request_id} is decided already; amend that decision"]}}
    return None


def check_mark(event: dict, earlier: list[dict]):
    from .settings import indicators

    if event.get("subject_person_id") is None:
        return {"subject_person_id": ["a mark names the group leader it is for (subject_person_id)"]}
    if event.get("actor_person_id") is not None and event["actor_person_id"] == event["subject_person_id"]:
        return {"actor_person_id": ["an assessor does not mark themselves (回避)"]}
    tree = {i["key"]: i for i in indicators(get_settings(db.session.get(Tenant, current_tenant_id()), "family_planning"))}
    key, points = event["payload"]["indicator"], Decimal(event["payload"]["points"])
    allowed = ("judged",) if event["type"].endswith("indicator_mark") else ("bonus", "penalty")
    item = tree.get(key)
    if item is None or item["source"] not in allowed:
        fit = sorted(k for k, i in tree.items() if i["source"] in allowed)
        return {"payload": {"indicator": [f"not a {'/'.join(allowed)} sub-item of this tenant's tree; one of: "
                                          f"{', '.join(fit)}"]}}
    if item["source"] == "judged" and points > item["max_points"]:
        return {"payload": {"points": [f"at most {item['max_points']} for {key} ({item['title_zh']})"]}}
    return None


def check_on_woman(event: dict, earlier: list[dict]):
    place = event.get("place_id")
    kind = db.session.scalar(select(Place.kind).where(Place.id == place)) if place else None
    if kind != "family_planning.woman":
        return {"place_id": ["names the woman of childbearing age (a family_planning.woman place)"]}
    return None


PAY = "family_planning.monthly_pay"


def _recorder_role() -> str | None:
    """The tenant role of the login recording, or None outside a request (the scheduled job)."""
    from flask import g, has_request_context
    from flask_login import current_user

    from gridgov.operations.tenants import role_in

    if not has_request_context():
        return None
    user = getattr(g, "api_user", None) or (current_user if current_user.is_authenticated else None)
    return role_in(user, db.session.get(Tenant, current_tenant_id())) if user is not None else None


def check_monthly_pay(event: dict, earlier: list[dict]):
    role = _recorder_role()
    if role is not None and role != "tenant_admin":
        return {"type": [f"pay records are written by the monthly job or a tenant administrator, not role {role}"]}
    person, month = event.get("subject_person_id"), event["payload"]["month"]
    if person is None:
        return {"subject_person_id": ["a pay record names the group leader paid (subject_person_id)"]}
    if not event.get("amends_id"):
        stored = db.session.scalar(select(Event.id).where(Event.type == PAY, _CURRENT, Event.subject_person_id == person,
                                                          Event.payload["month"].as_string() == month).limit(1))
        in_batch = any(r["type"] == PAY and r.get("subject_person_id") == person and r["payload"].get("month") == month
                       for r in earlier)
        if stored or in_batch:
            return {"payload": {"month": [f"person {person} has a pay record for {month} already"
                                          f"{f' (event {stored})' if stored else ''}; amend it"]}}
    return None
