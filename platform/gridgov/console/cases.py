"""Working cases (案件办理) in the console: the queues, the case page, the steps, reporting.

* The queue (案件队列) is per unit: a chosen unit, or by default the units where the login's
  person (``Person.user_id``) holds an assignment today. Tabs: 我的 (mine — the units' open
  cases, the cases awaiting the supervising centre for supervisors, and open overdue
  reminders), 超期 (overdue), 上报至本单位 (escalated or handed off to the unit) and, for
  supervisors and tenant admins, 全部在办 (every open case). Filters by state and category.
* The case page shows the case, its deadlines against the clock, attachments, hand-off records
  and the timeline, and one button per step :func:`gridgov.operations.cases.allowed_actions`
  offers the login; each opens the step's small form (:mod:`.case_forms`). A step the
  operations refuse shows their reason and changes nothing.

Everything is read and written through :mod:`gridgov.operations.cases` and
:mod:`gridgov.attachments`; the tenancy scope set for the request does the filtering.
"""
from __future__ import annotations

import datetime as dt
import heapq

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from ..attachments import list_attachments, save_attachment
from ..extensions import db
from ..models import Assignment, Case, Person
from ..operations import cases
from ..operations.errors import NotFound, OperationError
from . import context
from .base import show_errors
from .case_display import (STAGES, Names, action_title, actor, category_title, closure_title, current_deadline, deadlines,
                           reporter_kind_title, severity_title, source_title, state_title)
from .case_forms import STEPS, ReportForm, UploadForm, category_choices
from .fields import unit_rows
from .helpers import local_time, tenant_zone

PAGE, BATCH = 50, 200
OPEN_STATES = tuple(s for s in cases.STATES if s not in ("closed", "rejected"))
CENTRE_STATES = ("reported", "accepted", "resolved", "verified")  # the supervising centre's next step
HANDED_TO_US = ("escalated", "handed_off")
TABS = {
    "mine": _l("Mine"),
    "overdue": _l("Overdue"),
    "escalated": _l("Escalated to us"),
    "open": _l("All open"),
}


def is_supervisor() -> bool:
    return context.role() in cases.SUPERVISORS


def my_unit_ids() -> list[int]:
    """The units where the login's person holds an assignment today (tenant's local date)."""
    today = dt.datetime.now(tenant_zone()).date()
    return list(db.session.scalars(
        select(Assignment.unit_id).join(Person, Person.id == Assignment.person_id)
        .where(Person.user_id == current_user.id, Assignment.unit_id.is_not(None), Assignment.starts_on <= today,
               or_(Assignment.ends_on.is_(None), Assignment.ends_on >= today))
        .distinct().order_by(Assignment.unit_id)))


def _stream(query: dict, before_id):
    """The cases ``list_cases(**query)`` finds, newest first, fetched a batch at a time."""
    while True:
        batch = cases.list_cases(**query, before_id=before_id, limit=BATCH)
        yield from batch
        if len(batch) < BATCH:
            return
        before_id = batch[-1].id


def queue_page(queries: list[dict], *, category: str | None, before_id: int | None) -> tuple[list, int | None]:
    """One page of a queue: the cases the queries (``list_cases`` arguments) find, merged newest
    first, of ``category`` when given (filtered by the database); and the id the next page
    starts before (None: no more)."""
    if category:
        queries = [dict(q, category=category) for q in queries]
    merged = heapq.merge(*(_stream(q, before_id) for q in queries), key=lambda c: -c.id)
    page, last = [], None
    for case in merged:
        if case.id == last:  # the same case found by two queries
            continue
        last = case.id
        if len(page) == PAGE:
            return page, page[-1].id
        page.append(case)
    return page, None


def queue_queries(tab: str, unit_ids: list[int] | None, states: tuple[str, ...], centre: bool) -> list[dict]:
    """``list_cases`` arguments for a tab; ``unit_ids`` None means every unit; ``centre`` adds,
    to 我的, the cases awaiting the supervising centre's step."""
    def per_unit(**kw):
        return [dict(kw)] if unit_ids is None else [dict(kw, unit_id=u) for u in unit_ids]

    if tab == "overdue":
        queries = per_unit(states=states, overdue=True)
    elif tab == "escalated":
        queries = per_unit(states=[s for s in states if s in HANDED_TO_US])
    else:
        queries = per_unit(states=states)
    if tab == "mine" and centre:
        queries.append({"states": [s for s in states if s in CENTRE_STATES]})
    return [q for q in queries if q["states"]]


def queue_units(raw: str | None, units: dict, mine: list[int], every_by_default: bool):
    """The unit a queue is for: ``?unit=<id>``, ``?unit=all``, or by default the login's own
    units (every unit when it has none and ``every_by_default``). Returns (chosen, unit ids or
    None for every unit)."""
    if raw == "all":
        return "all", None
    if raw and raw.isdigit() and int(raw) in units:
        return int(raw), [int(raw)]
    return None, mine or (None if every_by_default else [])


SHOW = dict(state=state_title, category=category_title, severity=severity_title, source=source_title,
            reporter_kind=reporter_kind_title, closure=closure_title, action=action_title, time=local_time,
            deadline=current_deadline, actor=actor, stage=lambda stage: str(STAGES[stage][0]) if stage in STAGES else stage)


class CaseView(BaseView):
    console_scope = context.TENANT
    model = Case  # the routes take a case id (?id=), like Flask-Admin's model views

    def is_accessible(self) -> bool:
        return context.allows(self)

    def inaccessible_callback(self, name, **kwargs):
        return context.deny(self)

    # -- the queue --------------------------------------------------------------------------

    @expose("/")
    def index(self):
        supervisor = is_supervisor()
        tabs = {k: v for k, v in TABS.items() if k != "open" or supervisor}
        tab = request.args.get("tab") if request.args.get("tab") in tabs else "mine"
        units = dict(unit_rows())
        mine = my_unit_ids()
        chosen, unit_ids = queue_units(request.args.get("unit"), units, mine, every_by_default=supervisor and tab != "mine")
        tab_states = HANDED_TO_US if tab == "escalated" else OPEN_STATES
        state = request.args.get("state") if request.args.get("state") in tab_states else None
        queries = queue_queries(tab, unit_ids, (state,) if state else tab_states, centre=supervisor and not chosen)
        categories = category_choices()
        category = request.args.get("category") if request.args.get("category") in {c.value for c in categories} else None
        rows, next_before = queue_page(queries, category=category, before_id=request.args.get("before", type=int))
        reminders = self._reminders(unit_ids, centre=supervisor and not chosen) if tab == "mine" else []
        return self.render("console/cases.html", tabs=tabs, tab=tab, rows=rows, units=units, chosen=chosen, mine=mine,
                           unit_ids=unit_ids, state=state, states=[(s, state_title(s)) for s in tab_states],
                           categories=categories, category=category, next_before=next_before, reminders=reminders,
                           args={"tab": tab, "unit": chosen, "state": state, "category": category},
                           names=Names(unit_ids=[c.unit_id for c in rows] + [r.unit_id for r, _ in reminders]),
                           may_report=context.role() in cases.REPORTERS, show=SHOW)

    @staticmethod
    def _reminders(unit_ids: list[int] | None, centre: bool) -> list:
        """Open reminders for the login, the units (None: every unit) and — for a supervisor —
        the centre, each with its case."""
        if unit_ids is None:
            return [(r, cases.get_case(r.case_id)) for r in cases.list_reminders()]
        found = {r.id: r for r in cases.list_reminders(user_id=current_user.id)}
        for unit_id in unit_ids:
            found.update((r.id, r) for r in cases.list_reminders(unit_id=unit_id))
        if centre:
            found.update((r.id, r) for r in cases.list_reminders() if r.unit_id is None)
        return [(r, cases.get_case(r.case_id)) for r in sorted(found.values(), key=lambda r: r.due_at)]

    @expose("/reminder/", methods=("POST",))
    def acknowledge(self):
        """Acknowledge a reminder (``?id=`` its case, ``reminder=`` the reminder of that case)."""
        case = self._case()
        try:
            reminder = cases.acknowledge_reminder(request.args.get("reminder"), actor=current_user._get_current_object())
            if reminder.case_id != case.id:
                raise NotFound("reminder")
            db.session.commit()
            flash(gettext("Reminder acknowledged."), "success")
        except NotFound:
            db.session.rollback()
            abort(404)
        except OperationError as exc:
            db.session.rollback()
            show_errors(None, exc)
        return redirect(url_for(".index"))

    # -- one case -----------------------------------------------------------------------------

    @staticmethod
    def _case() -> Case:
        try:
            return cases.get_case(request.args.get("id"))
        except NotFound:
            abort(404)

    @expose("/case/")
    def case(self):
        case = self._case()
        steps = cases.timeline(case)
        handoffs = cases.handoffs(case)
        attachments = list_attachments("case", case.id)
        units = {case.unit_id} | {s.extra.get(k) for s in steps for k in ("from_unit_id", "to_unit_id")} \
            | {h.from_unit_id for h in handoffs} | {h.to_unit_id for h in handoffs}
        names = Names(unit_ids=units, person_ids=[case.handler_person_id, case.reporter_person_id]
                      + [s.actor_person_id for s in steps],
                      user_ids=[case.reporter_user_id] + [s.actor_user_id for s in steps] + [h.created_by_id for h in handoffs]
                      + [a.uploaded_by_id for a in attachments], place_ids=[case.place_id])
        actions = cases.allowed_actions(case, current_user._get_current_object())
        return self.render("console/case.html", case=case, steps=steps, handoffs=handoffs, attachments=attachments,
                           names=names, deadlines=deadlines(case), actions=[(a, action_title(a)) for a in actions],
                           upload_form=UploadForm() if context.role() in cases.REPORTERS else None,
                           attachment_names={a.id: a.filename for a in attachments},
                           show=SHOW)

    @expose("/step/", methods=("GET", "POST"))
    def step(self):
        """A step's form (GET) and the step itself (POST). The operations decide whether it may
        be taken; a refusal (403/409) returns to the case page with its reason, invalid input
        (422) stays on the form."""
        case = self._case()
        action = request.args.get("action")
        if action not in STEPS:
            abort(404)
        form_class, take = STEPS[action]
        form = form_class().fill_choices(case)
        if request.method == "GET" and action not in cases.allowed_actions(case, current_user._get_current_object()):
            flash(gettext("The step %(step)s is not available to you for this case now.", step=action_title(action)), "error")
            return redirect(url_for(".case", id=case.id))
        if request.method == "POST" and form.validate():
            try:
                take(case, form)
                db.session.commit()
                flash(gettext("%(step)s: case %(number)s is now %(state)s.", step=action_title(action), number=case.number,
                              state=state_title(case.state)), "success")
                return redirect(url_for(".case", id=case.id))
            except OperationError as exc:
                db.session.rollback()
                show_errors(form, exc)
                if exc.status in (403, 409):
                    return redirect(url_for(".case", id=case.id))
        return self.render("console/case_step.html", case=case, form=form, action=action, step_title=action_title(action),
                           state=state_title(case.state))

    @expose("/upload/", methods=("POST",))
    def upload(self):
        case = self._case()
        form = UploadForm()
        if context.role() not in cases.REPORTERS:
            flash(gettext("Your role may not add attachments."), "error")
        elif form.validate():
            try:
                upload = form.file.data
                save_attachment("case", case.id, upload.filename, upload, uploaded_by_id=current_user.id)
                db.session.commit()
                flash(gettext("File %(name)s attached.", name=upload.filename), "success")
            except OperationError as exc:
                db.session.rollback()
                show_errors(form, exc)
        else:
            for errors in form.errors.values():
                for error in errors:
                    flash(f"{form.file.label.text}: {error}", "error")
        return redirect(url_for(".case", id=case.id))

    # -- report ---------------------------------------------------------------------------------

    @expose("/report/", methods=("GET", "POST"))
    def report(self):
        if context.role() not in cases.REPORTERS:
            flash(gettext("Your role may not report cases."), "error")
            return redirect(url_for(".index"))
        form = ReportForm().fill_choices()
        if request.method == "POST" and form.validate():
            try:
                case = cases.report_case(form.values(), actor=current_user._get_current_object())
                db.session.commit()
                flash(gettext("Case %(number)s reported.", number=case.number), "success")
                return redirect(url_for(".case", id=case.id))
            except OperationError as exc:
                db.session.rollback()
                show_errors(form, exc)
        return self.render("console/case_report.html", form=form)


VIEWS = ((CaseView, _l("Cases"), "cases"),)
