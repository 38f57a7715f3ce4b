"""Assessment (考核) in the console: runs, score sheets, judged inputs.

* 考核批次 (runs, ``/admin/assessment/``): the runs the login may read, filtered by sheet and
  period, with state, progress, fingerprint and correction links; assessors and tenant
  administrators create a run (sheet, period, note), compute it (a background job — in-process
  in the embedded default — whose progress the run page shows, refreshing itself while it
  runs), publish it (公布) and correct a published one (更正: a new run that supersedes it).
* The run page: the ranking (rank, subject, total, grade, money, vetoes and flags); each
  subject's sheet (``/sheet/``): every line with points of max, the rule applied, money,
  "nothing due", and the evidence — events and cases linking to their console pages, a judged
  entry with who entered it, when and why — then bonus, penalty, total, grade, rank, awards.
* 评分录入 (judged inputs, ``/admin/assessment-judgements/``): enter a judged item's points
  for one subject (range checks and recusal are the operation's, its refusals shown on the
  form), and the entries of a sheet and period with their history (the latest counts). An item
  judged each month (``judged_per="month"``) is entered for a month of the period, picked on
  the form.

Who sees what is :mod:`gridgov.assessment.access` — the same rules as the API: managers
(assessors, tenant administrators) everything; before publication nobody else; after it each
subject its own sheet and the ranking. Every write goes through
:mod:`gridgov.assessment.operations` / :mod:`gridgov.assessment.judging`; a refusal rolls back
and is flashed with its reason.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..assessment import access, judging
from ..assessment import operations as runs
from ..assessment.periods import period_bounds, period_label
from ..extensions import db
from ..models import JobRecord
from ..models.assessment import COMPUTED, DRAFT, PUBLISHED, RUN_STATES, AssessmentResult, AssessmentRun, Judgement
from ..models.jobs import FAILED, UNFINISHED
from ..operations.errors import NotFound, OperationError
from . import context
from .base import show_errors
from .helpers import is_english, local_time, tenant_zone, title

CATEGORY = _l("Assessment")
REFRESH_SECONDS = 3
LIST_LIMIT = 200  # runs on the list page, newest period first; the filters reach the rest
EVIDENCE_INLINE = 12  # more ids than this fold into a <details>
PERIOD_HELP = _l("The first day of the period: the 1st of a month (half-month: also the 16th), "
                 "of a quarter (1 Jan, 1 Apr, 1 Jul, 1 Oct) or 1 January for a year.")


def _me():
    return current_user._get_current_object()


def managing() -> bool:
    """An assessor or tenant administrator in the console's tenant (menus and buttons; the
    operations check again)."""
    return context.role() in access.MANAGER_ROLES


def _sheet_choices() -> list[SelectChoice]:
    return [SelectChoice(key, f"{title(sheet)} ({key})") for key, sheet in sorted(runs.sheets().items())]


# -- display ---------------------------------------------------------------------------------------

def locale() -> str:
    return "en" if is_english() else "zh"


def state_title(state: str) -> str:
    zh, en = RUN_STATES.get(state, (state, state))
    return en if is_english() else zh


def sheet_title(key: str) -> str:
    sheet = runs.sheets().get(key)
    return title(sheet) if sheet else key


def run_period(run: AssessmentRun) -> str:
    sheet = runs.sheets().get(run.sheet)
    if sheet is None:
        return f"{run.period_start.isoformat()} – {run.period_end.isoformat()}"
    return period_label(sheet.period_kind, run.period_start, locale())


def grade_title(sheet_key: str, grade: str | None) -> str:
    sheet = runs.sheets().get(sheet_key)
    band = next((b for b in sheet.grade_bands if b.key == grade), None) if sheet else None
    return title(band) if band else (grade or "")


def money(value) -> str:
    if value in (None, ""):
        return ""
    amount = Decimal(str(value))
    return f"{'-' if amount < 0 else ''}¥{abs(amount):,.2f}"


def points(value) -> str:
    """A Decimal or its string without a trailing ".00" ("35.5", "40", "-3")."""
    if value in (None, ""):
        return ""
    amount = Decimal(str(value))
    text = f"{amount:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def iso_time(value: str | None) -> str:
    try:
        return local_time(dt.datetime.fromisoformat(value)) if value else ""
    except (TypeError, ValueError):
        return value or ""


PROGRESS_NOTES = {"queued": _l("queued"), "counting facts": _l("counting facts"),
                  "grading and ranking": _l("grading and ranking"), "computed": _l("computed"),
                  "published": _l("published")}


def progress_note(note: str) -> str:
    """The engine's progress notes in the console's language (others as they are)."""
    return str(PROGRESS_NOTES.get(note, note or ""))


def item_title(entry: dict) -> str:
    return entry.get("title_en" if is_english() else "title_zh") or entry.get("key", "")


def award_title(award: dict) -> str:
    return award.get("title_en" if is_english() else "title_zh") or award.get("key", "")


def reports_url(run: AssessmentRun, report: str = "core.ranking", **args) -> str | None:
    """The reports page (报表) of a core report of the run, if the reports console is installed."""
    endpoint = next((e for e in ("console_reports.index", "reports.index") if e in current_app.view_functions), None)
    return url_for(endpoint, report=report, run_id=run.id, **args) if endpoint else None


def money_only(results) -> bool:
    """A cash ledger (茶山 A): every line of every sheet is money, no points — the points, totals
    and ranks (all 0 and 1) are left off the pages."""
    lines = [item for result in results for item in result.items]
    return bool(lines) and all(item.get("points") is None for item in lines)


def last_day(run: AssessmentRun) -> dt.date:
    return run.period_end - dt.timedelta(days=1)


SHOW = dict(state=state_title, sheet=sheet_title, period=run_period, last_day=last_day, progress=progress_note,
            grade=grade_title, money=money, points=points, time=local_time, iso_time=iso_time, item=item_title,
            award=award_title, inline=EVIDENCE_INLINE)


# -- forms -----------------------------------------------------------------------------------------

class RunForm(FlaskForm):
    sheet = SelectField(_l("Assessment sheet"), validators=[InputRequired()])
    period_start = DateField(_l("Period start"), validators=[InputRequired()], description=PERIOD_HELP)
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class CorrectForm(FlaskForm):
    note = TextAreaField(_l("Reason for the correction"), validators=[InputRequired(), Length(max=2000)])


class FilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    sheet = SelectField(_l("Assessment sheet"), validators=[Optional()])
    period = DateField(_l("Period start"), validators=[Optional()])


class JudgementForm(FlaskForm):
    item = SelectField(_l("Judged item"), validators=[InputRequired()])
    subject_id = SelectField(_l("Subject"), coerce=int, validators=[InputRequired()])
    month = SelectField(_l("Month"), validators=[Optional()],
                        description=_l("For an item judged each month: the month the points are for."))
    points = StringField(_l("Points"), validators=[InputRequired(), Length(max=20)])
    reason = TextAreaField(_l("Reason"), validators=[InputRequired(), Length(max=2000)])


# -- runs ------------------------------------------------------------------------------------------

def readable_runs(sheet: str | None, period) -> list[AssessmentRun]:
    user = _me()
    out = []
    for run in runs.list_runs(sheet=sheet, period_start=period):
        try:
            if access.can_read_run(user, run):
                out.append(run)
        except OperationError:  # the sheet's plugin is no longer enabled: managers only
            if access.is_manager(user):
                out.append(run)
    return out


def corrections(run_ids: list[int]) -> dict[int, int]:
    """{run id: id of the run correcting it} for the given runs, one query."""
    if not run_ids:
        return {}
    return dict(db.session.execute(select(AssessmentRun.supersedes_id, AssessmentRun.id)
                                   .where(AssessmentRun.supersedes_id.in_(run_ids))).all())


def running_job(run: AssessmentRun) -> JobRecord | None:
    """The run's job while it is queued or running (None once it ended)."""
    if run.job_id is None or run.state == PUBLISHED:
        return None
    job = db.session.get(JobRecord, run.job_id)
    return job if job is not None and job.state in UNFINISHED else None


def failed_job(run: AssessmentRun) -> JobRecord | None:
    """The run's last computation if it failed (the run keeps its earlier state and sheets)."""
    if run.job_id is None or run.state == PUBLISHED:
        return None
    job = db.session.get(JobRecord, run.job_id)
    return job if job is not None and job.state == FAILED else None


class AssessmentRunView(BaseView):
    """考核批次: the runs, a run's ranking and its subjects' sheets, and the run's steps."""

    console_scope = context.TENANT
    model = AssessmentRun  # the routes take a run id (?id=), like Flask-Admin's model views

    def is_accessible(self) -> bool:
        return context.allows(self)

    def inaccessible_callback(self, name, **kwargs):
        return context.deny(self)

    @staticmethod
    def _run() -> AssessmentRun:
        try:
            return runs.get_run(request.args.get("id"))
        except (NotFound, OperationError):
            abort(404)

    def _readable_run(self) -> AssessmentRun | None:
        """The run of ``?id=`` if the login may read it; else its reason is flashed and None."""
        run = self._run()
        try:
            if access.can_read_run(_me(), run):
                return run
        except OperationError:  # the sheet's plugin is no longer enabled: managers only
            pass
        if run.state != PUBLISHED:
            flash(gettext("Until it is published only assessors and administrators may read this assessment."), "error")
        else:
            flash(gettext("Only the subjects of this assessment may read it."), "error")
        return None

    # -- the list --------------------------------------------------------------------------------

    @expose("/")
    def index(self):
        return self._list(self._run_form())

    def _list(self, form: RunForm | None):
        filters = FilterForm(request.args)
        filters.sheet.choices = [SelectChoice("", gettext("Any"))] + _sheet_choices()
        sheet = filters.sheet.data if filters.sheet.data in runs.sheets() else None
        period = filters.period.data
        found = readable_runs(sheet, period)
        more = len(found) > LIST_LIMIT
        found = found[:LIST_LIMIT]
        jobs = {run.id: running_job(run) for run in found if run.state == DRAFT and run.job_id}
        return self.render("console/assessment_runs.html", runs=found, filters=filters, form=form,
                           manager=managing(), more=more, corrected=corrections([r.id for r in found]), jobs=jobs,
                           refresh=REFRESH_SECONDS if any(jobs.values()) else None, show=SHOW)

    def _run_form(self) -> RunForm | None:
        if not managing():
            return None
        form = RunForm()
        form.sheet.choices = _sheet_choices()
        return form

    @expose("/new/", methods=("POST",))
    def create(self):
        form = self._run_form()
        if form is None:
            flash(gettext("Only assessors and tenant administrators may create assessment runs."), "error")
            return redirect(url_for(".index"))
        if form.validate():
            try:
                run = runs.create_run(sheet=form.sheet.data, period_start=form.period_start.data, note=form.note.data or "",
                                      user=_me())
                db.session.commit()
                flash(gettext("Run %(id)s created: %(sheet)s, %(period)s. Compute it when the period's facts are in.",
                              id=run.id, sheet=sheet_title(run.sheet), period=run_period(run)), "success")
                return redirect(url_for(".run", id=run.id))
            except OperationError as exc:
                db.session.rollback()
                show_errors(form, exc)
        else:
            for name, errors in form.errors.items():
                label = form[name].label.text if name in form else name
                for error in errors:
                    flash(f"{label}: {error}", "error")
        return self._list(form)

    # -- one run ---------------------------------------------------------------------------------

    @expose("/run/")
    def run(self):
        run = self._readable_run()
        if run is None:
            return redirect(url_for(".index"))
        user = _me()
        manager = access.is_manager(user)
        sheets = {r.subject_id: r for r in access.readable_results(user, run)}
        rows = access.ranking(user, run)
        only_money = money_only(sheets.values())
        if only_money and not manager:  # a cash ledger ranks nothing: a subject sees its own lines
            rows = [row for row in rows if row["subject_id"] in sheets]
        job = running_job(run)
        correction = runs.superseded_by(run)
        form = None
        if manager and run.state == PUBLISHED and correction is None:
            form = CorrectForm()
        return self.render("console/assessment_run.html", run=run, rows=rows, sheets=sheets, manager=manager,
                           job=job, failed=failed_job(run), correction=correction, form=form,
                           refresh=REFRESH_SECONDS if job is not None else None, reports_url=reports_url(run),
                           money_only=only_money,
                           states={"draft": DRAFT, "computed": COMPUTED, "published": PUBLISHED}, show=SHOW)

    @expose("/sheet/")
    def sheet(self):
        """One subject's sheet (``?id=<run>&subject=<subject id>``)."""
        run = self._readable_run()
        if run is None:
            return redirect(url_for(".index"))
        result = db.session.scalar(select(AssessmentResult).where(
            AssessmentResult.run_id == run.id, AssessmentResult.subject_id == request.args.get("subject", type=int)))
        if result is None:
            abort(404)
        if not access.can_read_result(_me(), result):
            flash(gettext("Only the subject itself, assessors and administrators may read this sheet."), "error")
            return redirect(url_for(".run", id=run.id))
        return self.render("console/assessment_sheet.html", run=run, result=result, show=SHOW,
                           money_only=money_only([result]),
                           reports_url=reports_url(run, "core.sheet", subject_id=result.subject_id))

    # -- steps -----------------------------------------------------------------------------------

    def _step(self, change, done: str):
        run = self._run()
        try:
            outcome = change(run)
            db.session.commit()
            flash(done.format(id=run.id), "success")
            return outcome
        except OperationError as exc:
            db.session.rollback()
            show_errors(None, exc)
        return None

    @expose("/compute/", methods=("POST",))
    def compute(self):
        run = self._run()
        self._step(lambda r: runs.compute(r, _me()), gettext("Run {id}: computation queued."))
        return redirect(url_for(".run", id=run.id))

    @expose("/publish/", methods=("POST",))
    def publish(self):
        run = self._run()
        self._step(lambda r: runs.publish(r, _me()),
                   gettext("Run {id} published: its subjects may now read their sheets and the ranking."))
        return redirect(url_for(".run", id=run.id))

    @expose("/correct/", methods=("POST",))
    def correct(self):
        run = self._run()
        form = CorrectForm()
        if not form.validate():
            for error in form.note.errors:
                flash(f"{form.note.label.text}: {error}", "error")
            return redirect(url_for(".run", id=run.id))
        new = self._step(lambda r: runs.correct(r, _me(), note=form.note.data),
                         gettext("Correction of run {id} created; compute and publish it to replace the published run."))
        return redirect(url_for(".run", id=new.id if new is not None else run.id))


# -- judged inputs ---------------------------------------------------------------------------------

def current_period_start(kind: str, today: dt.date) -> dt.date:
    """The first day of the period of ``kind`` that holds ``today``."""
    if kind == "year":
        return today.replace(month=1, day=1)
    if kind == "quarter":
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    if kind == "half_month":
        return today.replace(day=16 if today.day >= 16 else 1)
    return today.replace(day=1)


def period_months(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first days of the months of the period [start, end)."""
    months, first = [], start.replace(day=1)
    while first < end:
        months.append(first)
        first = (first + dt.timedelta(days=32)).replace(day=1)
    return months


def subject_names(sheet, start, end, ids) -> dict[int, str]:
    """{id: name} of the sheet's default subjects and of any other subject named in ``ids``."""
    names = runs.default_subjects(sheet, start, end)
    missing = [i for i in ids if i not in names]
    if missing:
        model = runs.SUBJECT_MODELS[sheet.subject_kind]
        names.update(db.session.execute(select(model.id, model.name).where(model.id.in_(missing))).all())
    return names


class JudgementView(BaseView):
    """评分录入: judged items for a sheet and period, entered by assessors. An item judged each
    month (``SheetItem(judged_per="month")``) of a quarterly or yearly sheet is entered for a
    month of the period, chosen in the form (by default the current month, if in the period)."""

    console_scope = context.TENANT
    model = Judgement

    def is_accessible(self) -> bool:
        return context.allows(self) and managing()

    def inaccessible_callback(self, name, **kwargs):
        return context.deny(self)

    @expose("/", methods=("GET", "POST"))
    def index(self):
        filters = FilterForm(request.args)
        sheets = runs.sheets()
        judged_sheets = [c for c in _sheet_choices() if any(i.kind == "judged" for i in sheets[c.value].items)]
        filters.sheet.choices = judged_sheets
        key = filters.sheet.data if filters.sheet.data in sheets else (judged_sheets[0].value if judged_sheets else None)
        filters.sheet.data = key
        sheet = sheets.get(key)
        bounds, form, entries, names = None, None, [], {}
        monthly = {i.key for i in sheet.items if i.kind == "judged" and i.judged_per == "month"} if sheet else set()
        if sheet is not None and filters.period.data is None and not request.args.get("period"):
            filters.period.data = current_period_start(sheet.period_kind, dt.datetime.now(tenant_zone()).date())
        if sheet is not None and filters.period.data is not None:
            try:
                bounds = period_bounds(sheet.period_kind, filters.period.data)
            except OperationError as exc:
                show_errors(filters, exc)
        if bounds is not None:
            start, end = bounds
            form = JudgementForm()
            judged = [i for i in sheet.items if i.kind == "judged"]
            each_month = gettext(", each month")
            form.item.choices = [SelectChoice(i.key, f"{title(i)} ({points(i.min_points)}–{points(i.max_points)}"
                                                     f"{each_month if i.key in monthly else ''})")
                                 for i in judged]
            subjects = runs.default_subjects(sheet, start, end)
            form.subject_id.choices = [SelectChoice(sid, name) for sid, name in subjects.items()]
            months = period_months(start, end) if monthly else []
            form.month.choices = [SelectChoice(m.isoformat(), period_label("month", m, locale())) for m in months]
            if months and request.method == "GET":
                today = dt.datetime.now(tenant_zone()).date().replace(day=1)
                form.month.data = (today if today in months else months[0]).isoformat()
            if request.method == "POST" and self._enter(form, sheet.key, start, subjects, monthly):
                return redirect(url_for(".index", sheet=sheet.key, period=start.isoformat()))
            # the sheet's period's entries, and those of its months for the monthly items
            entries = list(db.session.scalars(select(Judgement).where(
                Judgement.sheet == sheet.key, Judgement.period_start >= start, Judgement.period_start < end,
                or_(Judgement.period_start == start, Judgement.item.in_(monthly))).order_by(Judgement.id.desc())))
            names = subject_names(sheet, start, end, {e.subject_id for e in entries})
        elif request.method == "POST":
            flash(gettext("Choose a sheet and a period first."), "error")

        def month_label(entry: Judgement) -> str:
            """The month of an entry of a monthly item; '' for one of the whole period."""
            return period_label("month", entry.period_start, locale()) if entry.item in monthly else ""

        latest = {}
        for entry in entries:  # newest first: the first of each (item, subject, month) counts
            latest.setdefault((entry.item, entry.subject_id, entry.period_start), entry.id)
        return self.render("console/assessment_judgements.html", filters=filters, sheet=sheet, bounds=bounds, form=form,
                           entries=entries, names=names, counting=set(latest.values()),
                           items={i.key: title(i) for i in sheet.items} if sheet else {},
                           period_label=period_label(sheet.period_kind, bounds[0], locale()) if bounds else "",
                           monthly=bool(form and form.month.choices), month_label=month_label, show=SHOW)

    @staticmethod
    def _enter(form: JudgementForm, sheet: str, start: dt.date, subjects: dict[int, str], monthly: set[str]) -> bool:
        """Enter the posted judgement — for the chosen month when the item is judged each month;
        True when it was saved. A refusal (range, recusal …) rolls back — a recusal is written to
        the audit log as the transaction ends — and is shown on the form."""
        if not form.validate():
            return False
        if form.item.data in monthly and not form.month.data:
            form.month.errors = [gettext("Choose the month: this item is judged each month.")]
            return False
        period = dt.date.fromisoformat(form.month.data) if form.item.data in monthly else start
        try:
            entry = judging.enter_judgement(sheet=sheet, period_start=period, item=form.item.data,
                                            subject_id=form.subject_id.data, points=form.points.data.strip(),
                                            reason=form.reason.data, user=_me())
            db.session.commit()
            flash(gettext("Entered %(points)s points for %(subject)s.", points=points(entry.points),
                          subject=subjects.get(entry.subject_id, entry.subject_id)), "success")
            return True
        except OperationError as exc:
            db.session.rollback()
            show_errors(form, exc)
        return False


VIEWS = ((AssessmentRunView, _l("Assessment runs"), "assessment"),
         (JudgementView, _l("Judged inputs"), "assessment-judgements"))
