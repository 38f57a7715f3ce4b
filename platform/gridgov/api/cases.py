"""Cases (案件): report, list, read, the timeline and hand-off records, one POST per workflow step,
the overdue reminders (催办), and the case metrics (案件考核指标).

Every member reads. The steps are judged by :mod:`gridgov.operations.cases` against the caller's
tenant role and unit (a step the caller may not take is 403 naming ``action``, a step the state
does not allow 409), so this blueprint lets every role through to the operation.
"""
from __future__ import annotations

import datetime as dt
import inspect
from zoneinfo import ZoneInfo

from flask import g, url_for
from flask.views import MethodView
from sqlalchemy import select

from ..extensions import db
from ..metrics import RATE_TITLES, case_metrics
from ..models import TENANT_ROLES, Case, CaseReminder, Person, User
from ..operations import cases as case_ops
from ..operations import grids as grid_ops
from ..operations.errors import NotFound, OperationError
from . import listing
from .access import tenant_blueprint
from .case_schemas import (COUNTS, AcceptIn, CaseCategoryOut, CaseDetail, CaseIn, CasePage, CaseQuery, CloseIn,
                           HandOffIn, HandOffOut, MetricsOut, MetricsQuery, ReasonIn, ReminderOut, ReminderPage,
                           ReminderQuery, StepIn, TransitionOut, UnitStepIn, VerifyIn)
from .errors import fail

blp = tenant_blueprint("cases", "Cases (案件): report, the workflow from 立案 to 结案, reminders (催办), metrics.",
                       write_roles=frozenset(TENANT_ROLES))

# URL segment → (the step's operation, its body); close with special_reason is close_special.
STEPS = {
    "accept": (case_ops.accept, AcceptIn),
    "reject": (case_ops.reject, ReasonIn),
    "dispatch": (case_ops.dispatch, UnitStepIn),
    "start": (case_ops.start, StepIn),
    "wait": (case_ops.wait, ReasonIn),
    "resume": (case_ops.resume, StepIn),
    "resolve": (case_ops.resolve, StepIn),
    "verify": (case_ops.verify, VerifyIn),
    "reopen": (case_ops.reopen, ReasonIn),
    "escalate": (case_ops.escalate, UnitStepIn),
    "hand-off": (case_ops.hand_off, HandOffIn),
    "close": (case_ops.close, CloseIn),
}
# query parameter names for the fields case_metrics names
METRIC_PARAMS = {"start": "from", "end": "to", "grid": "grid_id", "unit": "unit_id"}


def _segment(action: str) -> str:
    return "close" if action == "close_special" else action.replace("_", "-")


def _endpoint(segment: str) -> str:
    return "case_" + segment.replace("-", "_")


def _detail(case: Case) -> Case:
    """The case, with the steps the caller may take now (``allowed_actions`` of CaseDetail)."""
    g.allowed_actions = [
        {"action": action, "title": {"zh": case_ops.TRANSITIONS[action].title_zh, "en": case_ops.TRANSITIONS[action].title_en},
         "url": url_for(f"cases.{_endpoint(_segment(action))}", slug=g.tenant.slug, case_id=case.id)}
        for action in case_ops.allowed_actions(case, g.api_user)]
    return case


@blp.route("/case-categories")
class CaseCategories(MethodView):
    @blp.response(200, CaseCategoryOut(many=True))
    def get(self):
        """The case categories of the tenant's plugins, with their deadlines per severity."""
        return list(g.tenant_plugins.case_categories.values())


@blp.route("/cases")
class Cases(MethodView):
    @blp.arguments(CaseQuery, location="query", error_status_code=400)
    @blp.response(200, CasePage)
    def get(self, args):
        """List cases, newest first; filters combine (state is repeatable)."""
        conditions = []
        if args.get("state"):
            conditions.append(Case.state.in_(args["state"]))
        for name in ("unit_id", "overdue", "category", "source"):
            if args.get(name) is not None:
                conditions.append(getattr(Case, name) == args[name])
        if args.get("grid_id") is not None:
            try:
                grid = grid_ops.get_grid(args["grid_id"])
            except NotFound:
                fail(400, {"grid_id": [f"no grid {args['grid_id']} in this tenant"]}, "query")
            conditions.append(Case.grid_id.in_(grid_ops.subtree_ids(grid)))
        return listing.page(Case, args, conditions, order_by=[Case.id.desc()])

    @blp.arguments(CaseIn)
    @blp.response(201, CaseDetail)
    @blp.alt_response(403, description="the caller's role may not report (names action)")
    def post(self, data):
        """Report a case (上报); staff reports need the role field_staff, supervisor or tenant_admin."""
        return _detail(case_ops.report_case(data, actor=g.api_user))


@blp.route("/cases/<int:case_id>")
class CaseItem(MethodView):
    @blp.response(200, CaseDetail)
    def get(self, case_id):
        """A case with its deadlines, closure type, pause, and the steps the caller may take now."""
        return _detail(case_ops.get_case(case_id))


@blp.route("/cases/by-number/<number>")
class CaseByNumber(MethodView):
    @blp.response(200, CaseDetail)
    def get(self, number):
        """A case by its number (e.g. 2026-000123), as on paper and on the phone."""
        if len(number) > 20 or not number.isprintable():
            raise NotFound("case")
        return _detail(case_ops.get_case_by_number(number))


def _actors(steps) -> dict:
    """Who took each step, with two queries for all of them."""
    user_ids = {s.actor_user_id for s in steps} - {None}
    person_ids = {s.actor_person_id for s in steps} - {None}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    people = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(person_ids)))} if person_ids else {}
    out = {}
    for s in steps:
        user, person = users.get(s.actor_user_id), people.get(s.actor_person_id)
        out[s.id] = {"user_id": s.actor_user_id, "username": user.username if user else None,
                     "display_name": user.display_name if user else None,
                     "person_id": s.actor_person_id, "person_name": person.name if person else None}
    return out


@blp.route("/cases/<int:case_id>/timeline")
class CaseTimeline(MethodView):
    @blp.response(200, TransitionOut(many=True))
    def get(self, case_id):
        """Every step of the case in order: action, states, actor, time, note."""
        steps = case_ops.timeline(case_ops.get_case(case_id))
        g.case_actors = _actors(steps)
        return steps


@blp.route("/cases/<int:case_id>/handoffs")
class CaseHandOffs(MethodView):
    @blp.response(200, HandOffOut(many=True))
    def get(self, case_id):
        """The written hand-off records (移交记录) of the case, oldest first."""
        return case_ops.handoffs(case_ops.get_case(case_id))


def _step_route(segment: str, step, body) -> None:
    """``POST /cases/<case_id>/<segment>``: take one step; answers the case as it is after it."""
    t = case_ops.TRANSITIONS[step.__name__]

    @blp.route(f"/cases/<int:case_id>/{segment}", methods=["POST"], endpoint=_endpoint(segment))
    @blp.arguments(body, required=any(f.required for f in body().fields.values()))  # else no body is fine
    @blp.response(200, CaseDetail)
    @blp.alt_response(409, description="the case's state does not allow this step (names action)")
    @blp.alt_response(403, description="the caller may not take this step (names action)")
    @blp.doc(summary=f"{t.title_en} ({t.title_zh})", description=inspect.getdoc(step))
    def take_step(data, case_id):
        case = case_ops.get_case(case_id)
        step(case, actor=g.api_user, **data)
        return _detail(case)


for _segment_name, (_step, _body) in STEPS.items():
    _step_route(_segment_name, _step, _body)


@blp.route("/reminders")
class Reminders(MethodView):
    @blp.arguments(ReminderQuery, location="query", error_status_code=400)
    @blp.response(200, ReminderPage)
    def get(self, args):
        """Overdue reminders (催办), oldest first: the caller's (mine=true), a unit's, or all."""
        conditions = []
        if args["mine"]:
            conditions.append(CaseReminder.user_id == g.api_user.id)
        if args.get("unit_id") is not None:
            conditions.append(CaseReminder.unit_id == args["unit_id"])
        if args["open"]:
            conditions.append(CaseReminder.acknowledged_at.is_(None))
        return listing.page(CaseReminder, args, conditions, order_by=[CaseReminder.id])


@blp.route("/reminders/<int:reminder_id>/acknowledge")
class ReminderAcknowledge(MethodView):
    @blp.response(200, ReminderOut)
    @blp.alt_response(403, description="the caller was not reminded, is no staff of the unit nor a supervisor")
    def post(self, reminder_id):
        """Mark a reminder read: the person reminded, staff of its unit, or a supervisor."""
        return case_ops.acknowledge_reminder(reminder_id, actor=g.api_user)


def _period(args) -> tuple:
    start, end = args.get("from_"), args.get("to")
    if (start is None) != (end is None):
        fail(400, {"from" if start is None else "to": ["give from and to together (or neither: this month)"]}, "query")
    if start is None:
        start = dt.datetime.now(ZoneInfo(g.tenant.timezone)).date().replace(day=1)
        end = (start + dt.timedelta(days=31)).replace(day=1)
    return start, end


@blp.route("/case-metrics")
class Metrics(MethodView):
    @blp.arguments(MetricsQuery, location="query", error_status_code=400)
    @blp.response(200, MetricsOut)
    def get(self, args):
        """The case metrics of a grid subtree and/or a unit for a period [from, to) (default: this
        month): the rates 有效上报率 … 返工率, counts, mean and 90th-percentile handling time."""
        start, end = _period(args)
        try:
            m = case_metrics(start=start, end=end, grid=args.get("grid_id"), unit=args.get("unit_id"))
        except OperationError as exc:
            fail(400, {METRIC_PARAMS.get(name, name): reasons for name, reasons in exc.errors.items()}, "query")
        rates = {key: {"key": key, "title": {"zh": RATE_TITLES[key][0], "en": RATE_TITLES[key][1]},
                       "numerator": rate.numerator, "denominator": rate.denominator, "percent": rate.percent,
                       "nothing_due": rate.nothing_due} for key, rate in m.rates().items()}
        return {"start": m.start, "end": m.end, "grid_id": args.get("grid_id"), "unit_id": args.get("unit_id"),
                "rates": rates, "counts": {name: getattr(m, name) for name in COUNTS},
                "mean_handling_seconds": m.mean_handling_seconds, "p90_handling_seconds": m.p90_handling_seconds}
