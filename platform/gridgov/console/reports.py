"""Reports (报表) in the console: pick a report, then a run or a period (and an optional grid or
subject), read the table, download it as CSV or Excel.

``/admin/reports/?report=<key>&run_id=<id>`` (or ``&period_start=YYYY-MM-DD``), with optional
``grid_id`` and ``subject_id``; ``/admin/reports/download/?…&format=csv|xlsx`` answers the same
table as a file. Everything — the parameters, the run (of this tenant only), access — is
checked by :mod:`gridgov.reports`, the same code the API uses; a refusal is flashed with its
reason, never a server error. A report only reads, so every route is a GET.
"""
from __future__ import annotations

from decimal import Decimal

from flask import Response, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from .. import reports as core
from ..assessment import access
from ..extensions import db
from ..models import Grid
from ..models.assessment import PUBLISHED, AssessmentResult
from ..operations.errors import OperationError
from . import context
from .base import show_errors
from .helpers import is_english, title

PARAMS = ("report", "run_id", "period_start", "grid_id", "subject_id")
MAX_GRIDS = 500


def _me():
    return current_user._get_current_object()


def _locale() -> str:
    return "en" if is_english() else "zh"


def _params() -> dict:
    return {k: request.args.get(k, "").strip() for k in PARAMS}


def _runs(report, user) -> list:
    """The runs of the report the login may read: every run for a manager, published ones for
    the others of a ``published_readers`` report."""
    found = core.runs_for(report)
    if access.is_manager(user):
        return found
    if not report.published_readers:
        return []
    return [run for run in found if run.state == PUBLISHED]


def _grids() -> list[tuple[int, str]]:
    rows = db.session.execute(select(Grid.id, Grid.code, Grid.name).order_by(Grid.code).limit(MAX_GRIDS)).all()
    return [(gid, f"{name} ({code})") for gid, code, name in rows]


def _subjects(run) -> list[tuple[int, str]]:
    if run is None:
        return []
    rows = db.session.execute(select(AssessmentResult.subject_id, AssessmentResult.subject_name)
                              .where(AssessmentResult.run_id == run.id)
                              .order_by(AssessmentResult.subject_name, AssessmentResult.subject_id)).all()
    return [(sid, name or f"#{sid}") for sid, name in rows]


def _cell(value, kind: str) -> str:
    """A value as the page shows it: money as ``¥1,000.00`` / ``-¥50.00``, the rest as in CSV."""
    if kind == "money" and isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        amount = Decimal(value)
        return f"{'-' if amount < 0 else ''}¥{abs(amount):,.2f}"
    return core.text_value(value, kind, core.tenant_tz())


class ReportsView(BaseView):
    """报表: the report picker, the table, and its downloads."""

    console_scope = context.TENANT

    def is_accessible(self) -> bool:
        return context.allows(self)

    def inaccessible_callback(self, name, **kwargs):
        return context.deny(self)

    def _prepare(self, params: dict):
        """(report, request, error) — the report of ``?report=`` and a checked ReportRequest,
        or the refusal flashed and None."""
        user = _me()
        available = core.readable_reports(user)
        report = available.get(params["report"]) if params["report"] else None
        if params["report"] and report is None:
            known = core.reports().get(params["report"])
            if known is None:
                flash(gettext("Unknown report: %(key)s", key=params["report"]), "error")
            else:  # a report of the tenant this login may not read: say why
                try:
                    core.require_reader(user, known, None)
                except OperationError as exc:
                    show_errors(None, exc)
            return available, None, None
        if report is None:
            return available, None, None
        if report.needs == "run" and not params["run_id"]:
            return available, report, None
        if report.needs == "period" and not params["period_start"]:
            return available, report, None
        try:
            req = core.make_request(report, user, run_id=params["run_id"] or None,
                                    period_start=params["period_start"] or None, grid_id=params["grid_id"] or None,
                                    subject_id=params["subject_id"] or None, locale=_locale())
        except OperationError as exc:
            db.session.rollback()
            show_errors(None, exc)
            return available, report, None
        return available, report, req

    @expose("/")
    def index(self):
        params = _params()
        available, report, req = self._prepare(params)
        table = None
        if req is not None:
            table = core.build(report, req)
        run = req.run if req is not None else None
        runs = [(r.id, core.run_label(r, _locale())) for r in _runs(report, _me())] if report and report.needs == "run" else []
        return self.render(
            "console/report.html", reports=sorted(available.values(), key=lambda r: r.key), report=report,
            params=params, runs=runs, grids=_grids() if report else [], subjects=_subjects(run), table=table,
            cells=[[_cell(row.get(c.key), c.kind) for c in table.columns] for row in table.rows] if table else [],
            titles=[c.title(_locale()) for c in table.columns] if table else [],
            kinds=[c.kind for c in table.columns] if table else [],
            report_title=title(report) if report else "",
            download={fmt: url_for(".download", format=fmt, **{k: v for k, v in params.items() if v}) for fmt in ("csv", "xlsx")})

    @expose("/download/")
    def download(self):
        params = _params()
        fmt = request.args.get("format", "csv")
        if fmt not in ("csv", "xlsx"):
            flash(gettext("Unknown download format: %(format)s", format=fmt), "error")
            return redirect(url_for(".index", **{k: v for k, v in params.items() if v}))
        _, report, req = self._prepare(params)
        if req is None:
            if report is not None and not (params["run_id"] or params["period_start"]):
                flash(gettext("Choose a run or a period first."), "error")
            return redirect(url_for(".index", **{k: v for k, v in params.items() if v}))
        table = core.build(report, req)
        body = core.render(table, fmt, req.locale)
        response = Response(body, mimetype=core.CONTENT_TYPES[fmt].split(";")[0])
        if fmt == "csv":
            response.headers["Content-Type"] = core.CONTENT_TYPES["csv"]
        response.headers["Content-Disposition"] = core.content_disposition(core.filename(report, req, fmt))
        response.headers["Cache-Control"] = "private, no-store"
        return response


VIEWS = ((ReportsView, _l("Reports"), "reports"),)
