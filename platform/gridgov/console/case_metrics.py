"""Case metrics (案件指标) in the console: :func:`gridgov.metrics.case_metrics` for a grid subtree
or a unit and a period, shown with the names digital urban management uses (有效上报率 …
返工率), the counts behind each rate, and the mean and 90th-percentile handling time.

The period is entered as two dates, both included, in the tenant's time zone; the metrics take
it half-open, so the end date's following midnight is passed on.
"""
from __future__ import annotations

import datetime as dt

from flask import request
from flask_admin import BaseView, expose
from flask_babel import gettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField

from ..metrics import RATE_TITLES, case_metrics
from ..operations.errors import OperationError
from . import context
from .base import show_errors
from .case_display import duration
from .case_forms import pair_title
from .fields import IdSelectField, grid_rows, unit_rows
from .helpers import is_english, tenant_zone

COUNTS = (
    ("reported", _l("Reported")), ("valid", _l("Valid reports")), ("accepted", _l("Accepted")),
    ("accepted_on_time", _l("Accepted in time")), ("due_for_disposal", _l("Due for disposal")),
    ("disposed", _l("Disposed")), ("disposed_on_time", _l("Disposed in time")),
    ("accepted_closed", _l("Accepted and closed")), ("closed", _l("Closed")), ("closed_normal", _l("Closed in time")),
    ("closed_overdue", _l("Closed late")), ("closed_special", _l("Special closures")),
    ("resolutions", _l("Resolve steps")), ("reopenings", _l("Reopen steps")), ("overdue", _l("Overdue")),
    ("escalated", _l("Escalated")), ("handed_off", _l("Handed off")),
)


class MetricsForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    grid = IdSelectField(_l("Grid"), optional=True)
    unit = IdSelectField(_l("Unit"), optional=True)
    start = DateField(_l("From"))
    end = DateField(_l("To (included)"))


class CaseMetricsView(BaseView):
    console_scope = context.TENANT

    def is_accessible(self) -> bool:
        return context.allows(self)

    def inaccessible_callback(self, name, **kwargs):
        return context.deny(self)

    @expose("/")
    def index(self):
        today = dt.datetime.now(tenant_zone()).date()
        form = MetricsForm(request.args, data={"start": today.replace(day=1), "end": today})
        form.grid.set_rows(grid_rows())
        form.unit.set_rows(unit_rows())
        metrics = None
        if form.validate():
            try:
                metrics = case_metrics(start=form.start.data, end=form.end.data + dt.timedelta(days=1),
                                       grid=form.grid.data, unit=form.unit.data)
            except OperationError as exc:
                show_errors(form, exc)
        rates = [(name, pair_title(RATE_TITLES[name]), RATE_TITLES[name], rate) for name, rate in metrics.rates().items()] \
            if metrics else []
        counts = [(str(label), getattr(metrics, name)) for name, label in COUNTS] if metrics else []
        handling = {}
        if metrics and metrics.mean_handling_seconds is not None:
            handling = {"mean": duration(metrics.mean_handling_seconds), "p90": duration(metrics.p90_handling_seconds)}
        return self.render("console/case_metrics.html", form=form, metrics=metrics, rates=rates, counts=counts,
                           handling=handling, english=is_english(), nothing_due=gettext("nothing due"))


VIEWS = ((CaseMetricsView, _l("Case metrics"), "case-metrics"),)
