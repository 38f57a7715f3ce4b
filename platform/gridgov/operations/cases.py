"""Cases (案件): report, the workflow from 立案 to 结案, and the lookups the queues need.

The workflow is the table :data:`TRANSITIONS` and nothing else: for each action, the states it
may start from, the state it leads to, the tenant roles (:data:`gridgov.models.TENANT_ROLES`)
that may take it, and whether the staff of the responsible unit may take it too (a login whose
:class:`Person` holds an :class:`Assignment` in ``case.unit_id`` on the day of the step).
A refused step raises :class:`Conflict` (409) when the state forbids it and :class:`Forbidden`
(403) when the actor may not take it, naming the action and the reason; bad input is 422.

Every step writes a :class:`CaseTransition` and an audit entry, and flushes; the caller commits.
Each step accepts ``at`` (an aware instant, not in the future and not before the case's last
step) for a paper record entered late (补录); it defaults to now. Deadlines are computed and
shifted in :mod:`gridgov.operations.case_deadlines`.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import Assignment, Attachment, Case, CaseCounter, CaseReminder, CaseTransition, Grid, HandOff, Person, Place, Tenant, Unit
from ..models.base import to_json_safe, utcnow
from ..models.cases import CASE_SOURCES, REPORTER_KINDS
from ..plugins import SEVERITIES, CaseCategory
from ..tenancy import current_tenant_id
from . import audit
from .case_deadlines import due_after, shifted, snapshot
from .case_deadlines import SweepResult, sweep_all_tenants, sweep_overdue  # noqa: F401  (the scheduled job's path)
from .common import get, ref
from .errors import Conflict, Forbidden, NotFound, OperationError
from .events import parse_instant
from .grids import subtree_ids
from .tenants import registry, role_in

STATES = {
    "reported": ("已上报", "Reported"),
    "accepted": ("已立案", "Accepted"),
    "rejected": ("不予立案", "Rejected"),
    "dispatched": ("已派遣", "Dispatched"),
    "in_progress": ("处置中", "In progress"),
    "waiting": ("挂起", "Waiting"),
    "escalated": ("已提级", "Escalated"),
    "handed_off": ("已移交", "Handed off"),
    "resolved": ("已处置", "Resolved"),
    "verified": ("已核查", "Verified"),
    "reopened": ("返工", "Reopened"),
    "closed": ("已结案", "Closed"),
}
SUPERVISORS = frozenset({"supervisor", "tenant_admin"})
REPORTERS = frozenset({"field_staff", "supervisor", "tenant_admin"})
HELD = frozenset({"dispatched", "in_progress", "escalated", "handed_off", "reopened"})  # a unit holds it
OPEN_ACCEPTED = HELD | {"accepted", "waiting", "resolved", "verified"}
CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclasses.dataclass(frozen=True)
class Transition:
    action: str
    title_zh: str
    title_en: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    unit_staff: bool = False  # staff of the responsible unit may take it too

    def title(self, locale: str = "zh") -> str:
        return self.title_en if str(locale).startswith("en") else self.title_zh


def _t(action, zh, en, sources, target, roles, unit_staff=False) -> Transition:
    return Transition(action, zh, en, frozenset(sources), target, roles, unit_staff)


# The workflow: action → (from states, to state, who). The one place it is written down.
TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    _t("report", "上报", "Report", (), "reported", REPORTERS),
    _t("accept", "立案", "Accept", {"reported"}, "accepted", SUPERVISORS),
    _t("reject", "不予立案", "Reject", {"reported"}, "rejected", SUPERVISORS),
    _t("dispatch", "派遣", "Dispatch", {"accepted"} | HELD - {"in_progress"}, "dispatched", SUPERVISORS),
    _t("start", "开始处置", "Start handling", HELD - {"in_progress"}, "in_progress", SUPERVISORS, True),
    _t("wait", "挂起", "Wait on someone outside", {"in_progress"}, "waiting", SUPERVISORS, True),
    _t("resume", "恢复处置", "Resume", {"waiting"}, "in_progress", SUPERVISORS, True),
    _t("escalate", "提级", "Escalate", HELD, "escalated", SUPERVISORS, True),
    _t("hand_off", "移交", "Hand off", HELD, "handed_off", SUPERVISORS, True),
    _t("resolve", "处置完毕", "Resolve", {"in_progress"}, "resolved", SUPERVISORS, True),
    _t("verify", "核查通过", "Verify", {"resolved"}, "verified", SUPERVISORS),
    _t("reopen", "返工", "Reopen", {"resolved", "verified", "closed"}, "reopened", SUPERVISORS),
    _t("close", "结案", "Close", {"verified"}, "closed", SUPERVISORS),
    _t("close_special", "特殊结案", "Special closure", OPEN_ACCEPTED, "closed", SUPERVISORS),
)}
REPORT_FIELDS = ("category", "severity", "grid_id", "place_id", "latitude", "longitude", "address", "description",
                 "source", "source_ref", "reporter_kind", "reporter_person_id", "reporter_name", "reporter_contact",
                 "reported_at", "note")


# -- helpers ------------------------------------------------------------------------------------

def _tenant() -> Tenant:
    return db.session.get(Tenant, current_tenant_id())


def categories() -> dict[str, CaseCategory]:
    """The case categories of the current tenant's enabled plugins."""
    return registry().for_tenant(_tenant()).case_categories


def _text(value, field: str, *, required: bool = False, max_len: int = 4000) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise OperationError({field: ["must be text"]})
    value = value.strip()
    if required and not value:
        raise OperationError({field: ["required"]})
    if len(value) > max_len:
        raise OperationError({field: [f"at most {max_len} characters"]})
    return value


def _person_of(user) -> Person | None:
    if user is None:
        return None
    return db.session.scalar(select(Person).where(Person.user_id == user.id).order_by(Person.id).limit(1))


def is_unit_staff(user, unit_id: int | None, on: dt.date) -> bool:
    """Whether ``user`` is linked to a person holding an assignment in the unit on ``on``."""
    if user is None or unit_id is None:
        return False
    query = (select(Assignment.id).join(Person, Person.id == Assignment.person_id)
             .where(Person.user_id == user.id, Assignment.unit_id == unit_id, Assignment.starts_on <= on,
                    or_(Assignment.ends_on.is_(None), Assignment.ends_on >= on)).limit(1))
    return db.session.scalar(query) is not None


def _local_date(when: dt.datetime) -> dt.date:
    return when.astimezone(ZoneInfo(_tenant().timezone)).date()


def _permitted(t: Transition, case: Case | None, actor, when: dt.datetime) -> bool:
    if actor is None:
        return False
    role = role_in(actor, _tenant())
    if role in t.roles:
        return True
    return (t.unit_staff and role not in (None, "viewer") and case is not None
            and is_unit_staff(actor, case.unit_id, _local_date(when)))


def _refuse_role(t: Transition, actor) -> Forbidden:
    who = "an anonymous caller" if actor is None else f"role {role_in(actor, _tenant()) or 'none (not a member)'}"
    allowed = ", ".join(sorted(t.roles)) + (" or staff of the responsible unit" if t.unit_staff else "")
    return Forbidden({"action": [f"{t.action} ({t.title_zh}): {who} may not take this step; allowed: {allowed}"]})


def _instant(at, case: Case | None) -> dt.datetime:
    now = utcnow()
    if at is None:  # never before the last step, even one stamped a little ahead of this clock
        return max(now, case.last_transition_at) if case is not None else now
    when = parse_instant(at, "at")
    if when > now + CLOCK_SKEW:
        raise OperationError({"at": ["must not be in the future"]})
    if case is not None and when < case.last_transition_at:
        raise OperationError({"at": [f"must not be before the case's last step ({case.last_transition_at.isoformat()})"]})
    return when.astimezone(dt.timezone.utc)


def _begin(case: Case, action: str, actor, at) -> tuple[Transition, dt.datetime]:
    """Check the state (409), the instant ``at`` (422), then the actor on that day (403)."""
    t = TRANSITIONS[action]
    if case.state not in t.sources:
        raise Conflict({"action": [
            f"{t.action} ({t.title_zh}) is not possible for case {case.number} in state {case.state} "
            f"({STATES[case.state][0]}); it is possible from: {', '.join(sorted(t.sources))}"]})
    when = _instant(at, case)
    if not _permitted(t, case, actor, when):
        raise _refuse_role(t, actor)
    return t, when


def _finish(case: Case, t: Transition, actor, when: dt.datetime, note: str, extra: dict | None = None) -> CaseTransition:
    """Move the case to the transition's target; record the step and the audit entry; flush."""
    extra = to_json_safe(extra or {})
    from_state = None if t.action == "report" else case.state
    case.state = t.target
    case.last_transition_at = when
    person = _person_of(actor)
    step = CaseTransition(case_id=case.id, action=t.action, from_state=from_state, to_state=t.target,
                          actor_user_id=getattr(actor, "id", None), actor_person_id=person.id if person else None,
                          at=when, recorded_at=utcnow(), note=note, extra=extra)
    db.session.add(step)
    db.session.flush()
    _audit(t.action, case, actor, {"number": case.number, "state": [from_state, t.target], "note": note, **extra})
    return step


def _audit(action: str, obj, actor, changes: dict) -> None:
    entry = audit.record(action, obj, changes=changes)
    if entry.user_id is None and actor is not None:  # outside a request (CLI, jobs, tests)
        entry.user_id, entry.username = actor.id, actor.username
    db.session.flush()


def _guarded(step_function):
    """Run a step without autoflush (its changes are written together by :func:`_finish`) and
    turn a concurrent change of the case (the ``version`` check) into a 409."""
    @functools.wraps(step_function)
    def run(case: Case, **kwargs):
        number = case.number
        try:
            with db.session.no_autoflush:
                return step_function(case, **kwargs)
        except StaleDataError:
            raise Conflict({"action": [f"{step_function.__name__}: case {number} was changed by someone else "
                                       "meanwhile; reload it and try again"]})
    return run


def _late(when: dt.datetime, due: dt.datetime | None) -> bool:
    return due is not None and when > due


# -- reading ------------------------------------------------------------------------------------

def get_case(case_id) -> Case:
    return get(Case, case_id, "case")


def get_case_by_number(number: str) -> Case:
    case = db.session.scalar(select(Case).where(Case.number == str(number)))
    if case is None:
        raise NotFound("case")
    return case


def timeline(case: Case) -> list[CaseTransition]:
    return list(db.session.scalars(select(CaseTransition).where(CaseTransition.case_id == case.id).order_by(CaseTransition.id)))


def handoffs(case: Case) -> list[HandOff]:
    return list(db.session.scalars(select(HandOff).where(HandOff.case_id == case.id).order_by(HandOff.id)))


def list_cases(*, unit_id: int | None = None, states=None, overdue: bool | None = None, grid: Grid | None = None,
               category: str | None = None, limit: int = 50, before_id: int | None = None) -> list[Case]:
    """Newest first, for the queues (a unit's cases, the overdue ones, those escalated to a unit),
    of one ``category`` when given; page with ``before_id`` = the last id of the previous page."""
    query = select(Case).order_by(Case.id.desc()).limit(max(1, min(int(limit), 500)))
    if unit_id is not None:
        query = query.where(Case.unit_id == unit_id)
    if category is not None:
        query = query.where(Case.category == category)
    if states:
        query = query.where(Case.state.in_(list(states)))
    if overdue is not None:
        query = query.where(Case.overdue.is_(bool(overdue)))
    if grid is not None:
        query = query.where(Case.grid_id.in_(subtree_ids(grid)))
    if before_id is not None:
        query = query.where(Case.id < int(before_id))
    return list(db.session.scalars(query))


def allowed_actions(case: Case, actor) -> list[str]:
    """The steps ``actor`` may take on ``case`` now (the console's buttons)."""
    now = utcnow()
    out = []
    for t in TRANSITIONS.values():
        if case.state not in t.sources or not _permitted(t, case, actor, now):
            continue
        if t.action == "wait" and not _pauses(case):
            continue
        out.append(t.action)
    return out


# -- report ---------------------------------------------------------------------------------

def _coordinate(value, field: str, limit: int) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise OperationError({field: ["must be a number"]})
    if not number.is_finite() or not -limit <= number <= limit:
        raise OperationError({field: [f"must lie between -{limit} and {limit}"]})
    return number.quantize(Decimal("0.000001"))


def _next_number(year: int) -> str:
    """The next readable number of the tenant's year. The counter row's UPDATE takes a row lock
    held to commit, so concurrent reports are numbered one after the other; the first report of a
    year inserts the row, and a concurrent first insert that loses the race retries the UPDATE."""
    for _ in range(3):
        last = db.session.scalar(
            update(CaseCounter).where(CaseCounter.year == year).values(last=CaseCounter.last + 1)
            .returning(CaseCounter.last).execution_options(synchronize_session=False))
        if last is not None:
            return f"{year}-{last:06d}"
        try:
            with db.session.begin_nested():
                db.session.execute(insert(CaseCounter), [{"tenant_id": current_tenant_id(), "year": year, "last": 1}])
            return f"{year}-{1:06d}"
        except IntegrityError:
            continue
    raise Conflict({"number": ["could not allocate a case number; try again"]})


def report_case(values: dict, *, actor=None) -> Case:
    """Report a problem (上报): a new case in state ``reported`` with its accept deadline.

    ``values``: ``category`` (required, a key of :func:`categories`), ``severity`` (default
    ``normal``), ``grid_id`` (required unless ``place_id`` gives it), ``place_id``,
    ``latitude``/``longitude`` (together), ``address``, ``description`` (required),
    ``source`` (:data:`CASE_SOURCES`), ``source_ref`` (a hotline's work-order number),
    ``reporter_kind`` (staff/resident/system; default staff with an actor, else resident),
    ``reporter_person_id``, ``reporter_name``, ``reporter_contact``, ``reported_at`` (default
    now), ``note``.
    ``actor`` None is a public channel (Open311, public web): the reporter is a resident or a
    system. Staff reports need a login with a role of :data:`REPORTERS`.
    """
    t = TRANSITIONS["report"]
    if not isinstance(values, dict):
        raise OperationError({"_schema": ["a case must be a JSON object"]})
    unknown = set(values) - set(REPORT_FIELDS)
    if unknown:
        raise OperationError({f: ["unknown field"] for f in sorted(unknown)})
    kind = values.get("reporter_kind") or ("staff" if actor is not None else "resident")
    if kind not in REPORTER_KINDS:
        raise OperationError({"reporter_kind": [f"one of {', '.join(REPORTER_KINDS)}"]})
    if actor is not None and not _permitted(t, None, actor, utcnow()):
        raise _refuse_role(t, actor)
    if actor is None and kind == "staff":
        raise Forbidden({"reporter_kind": ["a staff report needs a signed-in user"]})
    errors: dict = {}
    cats = categories()
    category = cats.get(values.get("category"))
    if category is None:
        errors["category"] = [f"unknown case category {values.get('category')!r} for this tenant; one of: {', '.join(sorted(cats))}"]
    severity = values.get("severity") or "normal"
    if severity not in SEVERITIES:
        errors["severity"] = [f"one of {', '.join(SEVERITIES)}"]
    source = values.get("source") or ("patrol" if kind == "staff" else "other")
    if source not in CASE_SOURCES:
        errors["source"] = [f"one of {', '.join(CASE_SOURCES)}"]
    if errors:
        raise OperationError(errors)
    place = ref(Place, values.get("place_id"), "place_id")
    grid_id = values.get("grid_id", place.grid_id if place else None)
    if grid_id is None:
        raise OperationError({"grid_id": ["required"]})
    grid = ref(Grid, grid_id, "grid_id")
    if place is not None and place.grid_id != grid.id and not place.grid.path.startswith(grid.path):
        raise OperationError({"place_id": [f"place {place.id} is not in grid {grid.code} or below it"]})
    lat, lon = values.get("latitude"), values.get("longitude")
    if (lat is None) != (lon is None):
        raise OperationError({"latitude" if lat is None else "longitude": ["give latitude and longitude together"]})
    if lat is not None:
        lat, lon = _coordinate(lat, "latitude", 90), _coordinate(lon, "longitude", 180)
    reporter_person = ref(Person, values.get("reporter_person_id"), "reporter_person_id")
    if reporter_person is None and kind == "staff":
        reporter_person = _person_of(actor)
    when = _instant(values.get("reported_at"), None)
    fields = dict(
        description=_text(values.get("description"), "description", required=True),
        address=_text(values.get("address"), "address", max_len=300),
        source_ref=_text(values.get("source_ref"), "source_ref", max_len=128) or None,
        reporter_name=_text(values.get("reporter_name"), "reporter_name", max_len=100),
        reporter_contact=_text(values.get("reporter_contact"), "reporter_contact", max_len=100),
    )
    note = _text(values.get("note"), "note")
    tz = _tenant().timezone
    deadlines = snapshot(category, severity)
    case = Case(tenant_id=current_tenant_id(), number=_next_number(when.astimezone(ZoneInfo(tz)).year),
                category=category.key, severity=severity, grid_id=grid.id, place_id=place.id if place else None,
                latitude=lat, longitude=lon, source=source, reporter_kind=kind,
                reporter_user_id=getattr(actor, "id", None), reporter_person_id=reporter_person.id if reporter_person else None,
                state="reported", deadlines=deadlines, accept_due_at=due_after(when, deadlines["accept"], tz),
                reported_at=when, last_transition_at=when, **fields)
    db.session.add(case)
    db.session.flush()
    _finish(case, t, actor, when, note, {"category": category.key, "severity": severity, "source": source,
                                          "accept_due_at": case.accept_due_at})
    return case


# -- the steps --------------------------------------------------------------------------------

@_guarded
def accept(case: Case, *, actor, category: str | None = None, severity: str | None = None, note: str = "", at=None) -> Case:
    """立案: the supervising centre accepts the report, confirming (or correcting) its category and
    severity; the resolve and close clocks start now."""
    t, when = _begin(case, "accept", actor, at)
    note = _text(note, "note")
    deadlines = case.deadlines
    if category is not None or severity is not None:
        cats = categories()
        cat = cats.get(category or case.category)
        if cat is None:
            raise OperationError({"category": [f"unknown case category {category or case.category!r}; one of: {', '.join(sorted(cats))}"]})
        if (severity or case.severity) not in SEVERITIES:
            raise OperationError({"severity": [f"one of {', '.join(SEVERITIES)}"]})
        case.category, case.severity = cat.key, severity or case.severity
        deadlines = {**snapshot(cat, case.severity), "accept": case.deadlines["accept"]}
        case.deadlines = deadlines
    tz = _tenant().timezone
    case.accepted_at = when
    case.resolve_due_at = due_after(when, deadlines["resolve"], tz)
    case.close_due_at = due_after(when, deadlines["close"], tz) if "close" in deadlines else None
    case.overdue = case.overdue or _late(when, case.accept_due_at)
    _finish(case, t, actor, when, note, {"category": case.category, "severity": case.severity,
                                         "resolve_due_at": case.resolve_due_at, "close_due_at": case.close_due_at})
    return case


@_guarded
def reject(case: Case, *, actor, reason: str, at=None) -> Case:
    """不予立案: the report is not a case (duplicate, outside the remit, not a problem)."""
    t, when = _begin(case, "reject", actor, at)
    case.reject_reason = _text(reason, "reason", required=True)
    case.overdue = case.overdue or _late(when, case.accept_due_at)
    _finish(case, t, actor, when, case.reject_reason)
    return case


def _nearest_units(grid: Grid, *, include_self: bool, kind: str | None = None) -> tuple[int | None, list[Unit]]:
    """The units attached to the nearest grid (itself first when ``include_self``, then its
    ancestors, deepest first) that has any; one query."""
    ids = grid.ancestor_ids + ([grid.id] if include_self else [])
    if not ids:
        return None, []
    query = select(Unit).where(Unit.grid_id.in_(ids)).order_by(Unit.id)
    if kind:
        query = query.where(Unit.kind == kind)
    units = list(db.session.scalars(query))
    for grid_id in reversed(ids):
        here = [u for u in units if u.grid_id == grid_id]
        if here:
            return grid_id, here
    return None, []


def _assign(case: Case, unit: Unit) -> None:
    """Make ``unit`` responsible (both the column and the relationship, so neither reads stale);
    the new unit names its own handler when it starts."""
    case.unit, case.unit_id, case.handler_person_id = unit, unit.id, None


def _pick(candidates: list[Unit], unit_id, where: str) -> Unit:
    if unit_id is not None:
        for unit in candidates:
            if unit.id == unit_id:
                return unit
        raise OperationError({"unit_id": [f"not a unit of {where}: one of {', '.join(f'{u.id} {u.name}' for u in candidates)}"]})
    if len(candidates) > 1:
        raise OperationError({"unit_id": [f"{where} has several units; choose one of {', '.join(f'{u.id} {u.name}' for u in candidates)}"]})
    return candidates[0]


@_guarded
def dispatch(case: Case, *, actor, unit_id: int | None = None, note: str = "", at=None) -> Case:
    """派遣: hand the case to the unit that is to handle it. Without ``unit_id``, the unit
    attached to the case's grid (or the nearest grid above it) — of the category's
    ``handling_unit_kind`` when it names one — if there is exactly one."""
    t, when = _begin(case, "dispatch", actor, at)
    note = _text(note, "note")
    if unit_id is not None:
        unit = ref(Unit, unit_id, "unit_id")
    else:
        cat = categories().get(case.category)
        kind = cat.handling_unit_kind if cat else None
        grid_id, candidates = _nearest_units(case.grid, include_self=True, kind=kind)
        if not candidates:
            raise OperationError({"unit_id": [f"required: no unit{' of kind ' + kind if kind else ''} is attached to "
                                              f"grid {case.grid.code} or a grid above it"]})
        unit = _pick(candidates, None, f"grid {grid_id}")
    from_unit = case.unit_id
    _assign(case, unit)
    case.dispatched_at = when
    _finish(case, t, actor, when, note, {"from_unit_id": from_unit, "to_unit_id": unit.id})
    return case


@_guarded
def start(case: Case, *, actor, note: str = "", at=None) -> Case:
    """开始处置: the responsible unit takes the case up; the actor becomes its handler when they
    are staff of that unit."""
    t, when = _begin(case, "start", actor, at)
    note = _text(note, "note")
    person = _person_of(actor) if is_unit_staff(actor, case.unit_id, _local_date(when)) else None
    case.handler_person_id = person.id if person else None
    _finish(case, t, actor, when, note, {"handler_person_id": case.handler_person_id})
    return case


def _pauses(case: Case) -> bool:
    cat = categories().get(case.category)
    return bool(cat and cat.pauses_when_waiting)


@_guarded
def wait(case: Case, *, actor, reason: str, at=None) -> Case:
    """挂起: the case waits on someone outside (a party, another authority); its deadlines pause.
    Only for categories that pause (``pauses_when_waiting``)."""
    t, when = _begin(case, "wait", actor, at)
    reason = _text(reason, "reason", required=True)
    if not _pauses(case):
        raise Conflict({"action": [f"wait ({t.title_zh}): cases of category {case.category} do not pause their deadlines"]})
    case.paused_at = when
    _finish(case, t, actor, when, reason)
    return case


def _end_pause(case: Case, when: dt.datetime) -> dict:
    """Add the pause to ``paused_seconds`` and move the resolve and close deadlines."""
    if case.paused_at is None:
        return {}
    tz = _tenant().timezone
    seconds = int((when - case.paused_at).total_seconds())
    case.paused_seconds = (case.paused_seconds or 0) + seconds
    for stage in ("resolve", "close"):
        due = getattr(case, f"{stage}_due_at")
        if due is not None:
            setattr(case, f"{stage}_due_at", shifted(due, case.deadlines[stage], case.paused_at, when, tz))
    case.paused_at = None
    return {"paused_seconds": seconds, "resolve_due_at": case.resolve_due_at, "close_due_at": case.close_due_at}


@_guarded
def resume(case: Case, *, actor, note: str = "", at=None) -> Case:
    """恢复处置: the wait is over; the deadlines move by the pause (see case_deadlines)."""
    t, when = _begin(case, "resume", actor, at)
    note = _text(note, "note")
    _finish(case, t, actor, when, note, _end_pause(case, when))
    return case


@_guarded
def escalate(case: Case, *, actor, unit_id: int | None = None, note: str = "", at=None) -> Case:
    """提级 (小事不出网格, 急事不出社区, 大事不出街道): pass the case to the unit attached to the
    parent grid — of the responsible unit's grid, or of the case's grid when the unit is attached
    to none. A parent without a unit is skipped for the nearest grid above that has one; where
    that grid has several units, ``unit_id`` chooses. Refused at the root of the tree."""
    t, when = _begin(case, "escalate", actor, at)
    note = _text(note, "note")
    unit = db.session.get(Unit, case.unit_id) if case.unit_id else None  # not case.unit: unit_id moves
    base = unit.grid if unit is not None and unit.grid is not None else case.grid
    if not base.ancestor_ids:
        raise Conflict({"action": [f"escalate ({t.title_zh}): grid {base.code} {base.name} is the root of the grid tree; "
                                   "there is no higher grid to escalate to — hand the case off instead"]})
    grid_id, candidates = _nearest_units(base, include_self=False)
    if not candidates:
        raise Conflict({"action": [f"escalate ({t.title_zh}): no unit is attached to any grid above {base.code} {base.name}; "
                                   "attach one (挂点) or hand the case off"]})
    unit = _pick(candidates, unit_id, f"grid {grid_id}")
    from_unit = case.unit_id
    _assign(case, unit)
    case.escalation_count = (case.escalation_count or 0) + 1
    _finish(case, t, actor, when, note, {"from_unit_id": from_unit, "to_unit_id": unit.id, "grid_id": grid_id})
    return case


def _letters(case: Case, attachment_ids) -> list[int]:
    """The scanned letters of a hand-off: ids of attachments of this case (so of this tenant)."""
    if not isinstance(attachment_ids, (list, tuple)) or any(isinstance(a, bool) or not isinstance(a, int) for a in attachment_ids):
        raise OperationError({"attachment_ids": ["a list of attachment ids"]})
    ids = list(dict.fromkeys(attachment_ids))
    found = set(db.session.scalars(select(Attachment.id).where(
        Attachment.id.in_(ids), Attachment.owner_kind == "case", Attachment.owner_id == case.id))) if ids else set()
    missing = [str(a) for a in ids if a not in found]
    if missing:
        raise OperationError({"attachment_ids": [f"not attachments of case {case.number}: {', '.join(missing)}"]})
    return ids


@_guarded
def hand_off(case: Case, *, actor, to_unit_id: int, reason: str, letter_number: str = "", letter_text: str = "",
             attachment_ids=(), note: str = "", at=None) -> HandOff:
    """移交: hand the case to another unit with a written record (移交记录/交办函) — e.g. 大方:
    a police station hands a serious fire hazard to the brigade."""
    t, when = _begin(case, "hand_off", actor, at)
    to_unit = ref(Unit, to_unit_id, "to_unit_id")
    if to_unit is None:
        raise OperationError({"to_unit_id": ["required"]})
    if to_unit.id == case.unit_id:
        raise OperationError({"to_unit_id": [f"{to_unit.name} is already responsible for the case"]})
    reason = _text(reason, "reason", required=True)
    letter_number = _text(letter_number, "letter_number", max_len=64)
    letter_text = _text(letter_text, "letter_text", max_len=20000)
    note = _text(note, "note")
    attachment_ids = _letters(case, attachment_ids)
    from_unit = case.unit_id
    _assign(case, to_unit)
    case.handoff_count = (case.handoff_count or 0) + 1
    step = _finish(case, t, actor, when, note or reason, {"from_unit_id": from_unit, "to_unit_id": to_unit.id,
                                                           "letter_number": letter_number})
    record = HandOff(case_id=case.id, transition_id=step.id, from_unit_id=from_unit, to_unit_id=to_unit.id,
                     letter_number=letter_number, letter_text=letter_text, reason=reason,
                     attachment_ids=attachment_ids, created_by_id=getattr(actor, "id", None), at=when)
    db.session.add(record)
    db.session.flush()
    return record


@_guarded
def resolve(case: Case, *, actor, note: str = "", at=None) -> Case:
    """处置完毕: the unit reports the problem dealt with; verification follows."""
    t, when = _begin(case, "resolve", actor, at)
    note = _text(note, "note")
    case.resolved_at = when
    case.overdue = case.overdue or _late(when, case.resolve_due_at)
    _finish(case, t, actor, when, note, {"late": _late(when, case.resolve_due_at)})
    return case


@_guarded
def verify(case: Case, *, actor, passed: bool = True, note: str = "", at=None) -> Case:
    """核查: the supervising centre checks on the spot. Passed → ``verified``; failed → the
    case is reopened (返工) with ``note`` as the reason."""
    if not passed:
        return reopen(case, actor=actor, reason=note, at=at)
    t, when = _begin(case, "verify", actor, at)
    note = _text(note, "note")
    case.verified_at = when
    _finish(case, t, actor, when, note)
    return case


@_guarded
def reopen(case: Case, *, actor, reason: str, at=None) -> Case:
    """返工: the resolution did not hold (failed verification, or a complaint after closure).
    The unit keeps the case; its deadlines stay as they were — reopening grants no extra time."""
    t, when = _begin(case, "reopen", actor, at)
    reason = _text(reason, "reason", required=True)
    previous = {"resolved_at": case.resolved_at, "closed_at": case.closed_at, "closure_type": case.closure_type}
    case.resolved_at = case.verified_at = case.closed_at = None
    case.closure_type, case.closure_reason, case.handling_seconds = None, "", None
    case.reopen_count = (case.reopen_count or 0) + 1
    _finish(case, t, actor, when, reason, {"previous": previous})
    return case


def closure_type(case: Case, when: dt.datetime) -> str:
    """超时结案 when the case was resolved after its resolve deadline or is closed after its close
    deadline; 正常结案 otherwise (特殊结案 is chosen, never computed)."""
    resolved = case.resolved_at or when
    return "overdue" if _late(resolved, case.resolve_due_at) or _late(when, case.close_due_at) else "normal"


@_guarded
def close(case: Case, *, actor, special_reason: str | None = None, note: str = "", at=None) -> Case:
    """结案. A verified case closes with its computed type (正常结案 / 超时结案). With
    ``special_reason`` it is a 特殊结案 — possible from any accepted, unclosed state (a problem
    that cannot be handled: history, outside any remit, the party gone)."""
    action = "close_special" if special_reason is not None else "close"
    t, when = _begin(case, action, actor, at)
    note = _text(note, "note")
    extra = _end_pause(case, when)
    if special_reason is not None:
        case.closure_type, case.closure_reason = "special", _text(special_reason, "special_reason", required=True)
    else:
        case.closure_type = closure_type(case, when)
    case.closed_at = when
    case.handling_seconds = int((when - case.reported_at).total_seconds()) - (case.paused_seconds or 0)
    case.overdue = case.overdue or case.closure_type == "overdue"
    _finish(case, t, actor, when, note or case.closure_reason,
            {**extra, "closure_type": case.closure_type, "handling_seconds": case.handling_seconds})
    return case


# -- reminders ----------------------------------------------------------------------------------

def list_reminders(*, unit_id: int | None = None, user_id: int | None = None, open_only: bool = True) -> list[CaseReminder]:
    query = select(CaseReminder).order_by(CaseReminder.id)
    if unit_id is not None:
        query = query.where(CaseReminder.unit_id == unit_id)
    if user_id is not None:
        query = query.where(CaseReminder.user_id == user_id)
    if open_only:
        query = query.where(CaseReminder.acknowledged_at.is_(None))
    return list(db.session.scalars(query))


def acknowledge_reminder(reminder_id, *, actor) -> CaseReminder:
    """Mark a reminder read: by its person's login, staff of its unit, or a supervisor."""
    reminder = get(CaseReminder, reminder_id, "reminder")
    now = utcnow()
    allowed = actor is not None and (role_in(actor, _tenant()) in SUPERVISORS or reminder.user_id == actor.id
               or is_unit_staff(actor, reminder.unit_id, _local_date(now)))
    if not allowed:
        raise Forbidden({"reminder": ["only the person reminded, staff of the unit or a supervisor may acknowledge it"]})
    if reminder.acknowledged_at is None:
        reminder.acknowledged_at, reminder.acknowledged_by_id = now, actor.id
        _audit("acknowledge", reminder, actor, {"case_id": reminder.case_id, "stage": reminder.stage})
    return reminder
