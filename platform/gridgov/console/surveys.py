"""Satisfaction surveys (满意度测评) in the console.

The tenant administrator creates a survey (a grid subtree, a period, the question, and how to
sample households) — its one-time links are issued at once — prints the list of links
(``/links/``: one line per household, a plain page to print), and may close a survey early.
The details page shows the survey's satisfaction rate by grid with each community's subtree
total; ``/rates/`` shows the rate of any subtree over the surveys that end in a period. The
rules are :mod:`gridgov.surveys`; this module only shows them.
"""
from __future__ import annotations

import datetime as dt

from flask import abort, flash, g, render_template, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..models.surveys import DEFAULT_QUESTION, SURVEY_STATES, Survey
from ..operations.errors import NotFound, OperationError
from ..surveys import operations as survey_ops
from ..operations.grids import get_grid
from ..surveys.rates import SatisfactionCounts, counts_by_grid, counts_by_survey, subtree_table
from . import context
from .base import TenantScopedModelView, apply, fmt_time, show_errors
from .fields import NONE_LABEL, IdSelectField, grid_rows
from .helpers import is_english, registry, tenant_zone, title

LABELS = {
    "id": _l("ID"), "title": _l("Title"), "grid": _l("Grid"), "grid_id": _l("Grid"), "starts_on": _l("Starts on"),
    "ends_on": _l("Ends on"), "question": _l("Question"), "status": _l("Status"), "place_kind": _l("Households sampled from"),
    "per_grid": _l("Households per grid"), "created_at": _l("Created at"), "closed_at": _l("Closed at"),
    "sampled": _l("Sampled"), "answered": _l("Answered"), "rate": _l("Satisfaction rate"),
    "approval_rate": _l("Satisfied or basically satisfied"),
}


class SurveyForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    grid_id = IdSelectField(_l("Grid"))
    starts_on = DateField(_l("Starts on"), validators=[InputRequired()])
    ends_on = DateField(_l("Ends on"), validators=[InputRequired()])
    question = TextAreaField(_l("Question"), default=DEFAULT_QUESTION, validators=[Optional(), Length(max=1000)])
    place_kind = SelectField(_l("Households sampled from"), description=_l(
        "A register kind of households: each grid's households of that kind are sampled. Without one, "
        "each grid at the bottom of the tree gets the given number of links for households chosen on the spot."))
    per_grid = IntegerField(_l("Households per grid"), validators=[Optional(), NumberRange(1, survey_ops.MAX_PER_GRID)],
                            description=_l("Empty with a register kind: every household of that kind."))


class SurveyEditForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    starts_on = DateField(_l("Starts on"), validators=[InputRequired()])
    ends_on = DateField(_l("Ends on"), validators=[InputRequired()])
    question = TextAreaField(_l("Question"), validators=[Optional(), Length(max=1000)])


class RatesForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    grid = IdSelectField(_l("Grid"), optional=True)
    start = DateField(_l("From"))
    end = DateField(_l("To (included)"))


def percent(rate) -> str:
    text = f"{rate.percent}%"
    return f"{text} ({gettext('nothing due')})" if rate.nothing_due else text


def _counts(model) -> SatisfactionCounts:
    return g.get("survey_counts", {}).get(model.id, SatisfactionCounts())


def _fmt_status(view, ctx, model, name):
    zh, en = SURVEY_STATES.get(model.status, (model.status, model.status))
    return en if is_english() else zh


def _fmt_count(view, ctx, model, name):
    return getattr(_counts(model), name)


def _fmt_rate(view, ctx, model, name):
    return percent(getattr(_counts(model), name))


def _fmt_place_kind(view, ctx, model, name):
    kind = registry().place_kinds.get(model.place_kind) if model.place_kind else None
    return f"{title(kind)} ({model.place_kind})" if kind else (model.place_kind or "")


class SurveyView(TenantScopedModelView):
    form = SurveyForm
    allow_delete = False
    column_list = ("title", "grid", "starts_on", "ends_on", "status", "sampled", "answered", "rate", "approval_rate")
    column_details_list = ("id", "title", "grid", "starts_on", "ends_on", "question", "status", "place_kind", "per_grid",
                           "created_at", "closed_at")
    column_labels = LABELS
    column_default_sort = ("ends_on", True)
    column_sortable_list = ("title", "starts_on", "ends_on", "status")
    column_searchable_list = ("title",)
    column_formatters = {"status": _fmt_status, "sampled": _fmt_count, "answered": _fmt_count, "rate": _fmt_rate,
                         "approval_rate": _fmt_rate, "place_kind": _fmt_place_kind, "created_at": fmt_time,
                         "closed_at": fmt_time}
    column_formatters_detail = column_formatters
    details_template = "surveys/details.html"
    list_template = "surveys/list.html"

    def get_edit_form(self):
        return SurveyEditForm

    def prepare_form(self, form, obj=None):
        if "grid_id" in form:
            form.grid_id.set_rows(grid_rows())
            kinds = registry().for_tenant(context.current().tenant).place_kinds
            form.place_kind.choices = [SelectChoice("", NONE_LABEL)] + [
                SelectChoice(key, f"{title(kind)} ({key})") for key, kind in sorted(kinds.items())]
            if not form.is_submitted():
                form.place_kind.data = next((key for key in sorted(kinds) if "household" in key), "")
        return form

    def create_object(self, values):
        values["place_kind"] = values.get("place_kind") or None
        survey = survey_ops.create_survey(**values, actor=current_user)
        issued = counts_by_survey([survey.id])[survey.id].sampled
        flash(gettext("%(count)s links were issued; print them from the survey's details page.", count=issued), "info")
        return survey

    def update_object(self, obj, values):
        return survey_ops.update_survey(obj, **values)

    def get_list(self, *args, **kwargs):
        count, rows = super().get_list(*args, **kwargs)
        g.survey_counts = counts_by_survey(s.id for s in rows)
        return count, rows

    def is_action_allowed(self, name):
        return self.may_write() and super().is_action_allowed(name)

    @action("close", _l("Close"), _l("Close the selected surveys? Their links will no longer take answers."))
    def action_close(self, ids):
        def close_all():
            closed = 0
            for survey_id in ids:
                try:
                    survey = survey_ops.get_survey(survey_id)
                except NotFound:
                    continue
                if survey.status != "closed":
                    survey_ops.close_survey(survey)
                    closed += 1
            return closed

        closed = apply(None, close_all)
        if closed is not False:
            flash(gettext("%(count)s surveys were closed.", count=closed), "success")

    def render(self, template, **kwargs):
        if template == self.details_template:
            survey = kwargs["model"]
            kwargs.update(table=subtree_table(survey.grid, counts_by_grid(survey=survey)), percent=percent,
                          may_write=self.may_write())
        return super().render(template, **kwargs)

    @expose("/links/")
    def links_view(self):
        """The printable list of links: one line per sampled household, in tree order."""
        survey = self.get_one(request.args.get("id"))
        if not self.may_write():
            abort(403)
        lines = [(token, grid, place, url_for("surveys.vote", token=plain, _external=True))
                 for token, grid, place, plain in survey_ops.links(survey)]
        return render_template("surveys/links.html", survey=survey, lines=lines)

    @expose("/rates/")
    def rates_view(self):
        """满意率 of a subtree (the whole tenant by default) over the surveys ending in a period."""
        today = dt.datetime.now(tenant_zone()).date()
        form = RatesForm(request.args, data={"start": today.replace(month=1, day=1), "end": today.replace(month=12, day=31)})
        form.grid.set_rows(grid_rows())
        table = None
        if form.validate():
            try:
                grid = get_grid(form.grid.data) if form.grid.data else None
                counts = counts_by_grid(grid=grid, start=form.start.data, end=form.end.data + dt.timedelta(days=1))
                table = subtree_table(grid, counts)
            except OperationError as exc:
                show_errors(form, exc)
        return self.render("surveys/rates.html", form=form, table=table, percent=percent)


VIEWS = ((SurveyView, Survey, _l("Satisfaction surveys"), "surveys"),)
