"""Assessment (考核): the tenant's sheets, runs (create, compute as a job, publish, correct), the
score sheets and the ranking, and judged inputs (评分录入).

Thin over :mod:`gridgov.assessment`: the operations decide who may do what (assessors and
tenant administrators manage; recusal refuses with 403 naming ``subject_id``), and
:mod:`gridgov.assessment.access` who may read what (保密 until published, then each subject its
own sheet and the ranking), so every role is let through to them.
"""
from __future__ import annotations

from flask import g
from flask.views import MethodView
from marshmallow import Schema, fields

from ..assessment import access, judging
from ..assessment import operations as runs
from ..assessment.periods import period_label
from ..models import TENANT_ROLES
from .access import tenant_blueprint

blp = tenant_blueprint("assessment", "Assessment (考核): sheets, runs, score sheets, rankings, judged inputs.",
                       write_roles=frozenset(TENANT_ROLES))
Points = fields.Decimal(as_string=True)


class SheetItemOut(Schema):
    key = fields.String()
    title_zh = fields.String()
    title_en = fields.String()
    max_points = fields.Decimal(as_string=True, allow_none=True)
    min_points = fields.Decimal(as_string=True)
    kind = fields.String(metadata={"description": "computed or judged"})
    role = fields.String(metadata={"description": "points, bonus or penalty"})


class GradeBandOut(Schema):
    key = fields.String()
    title_zh = fields.String()
    title_en = fields.String()
    minimum = fields.Decimal(as_string=True, allow_none=True)


class SheetOut(Schema):
    key = fields.String()
    title_zh = fields.String()
    title_en = fields.String()
    subject_kind = fields.String()
    period_kind = fields.String()
    items = fields.List(fields.Nested(SheetItemOut))
    grade_bands = fields.List(fields.Nested(GradeBandOut))


class RunIn(Schema):
    sheet = fields.String(required=True)
    period_start = fields.String(required=True, metadata={"description": "first day of the period, YYYY-MM-DD"})
    subject_ids = fields.List(fields.Integer(strict=True), load_default=None, allow_none=True,
                              metadata={"description": "null: the sheet's default subjects"})
    note = fields.String(load_default="")


class CorrectIn(Schema):
    note = fields.String(load_default="")


class RunOut(Schema):
    id = fields.Integer()
    sheet = fields.String()
    period_start = fields.Date()
    period_end = fields.Date(metadata={"description": "exclusive"})
    period = fields.Function(lambda run: _label(run))
    state = fields.String()
    subject_ids = fields.List(fields.Integer(), allow_none=True)
    scheme_version = fields.String()
    fingerprint = fields.String(allow_none=True)
    progress = fields.Integer()
    progress_note = fields.String()
    computations = fields.Integer()
    job_id = fields.Integer(allow_none=True)
    supersedes_id = fields.Integer(allow_none=True)
    superseded_by_id = fields.Function(lambda run: getattr(runs.superseded_by(run), "id", None))
    note = fields.String()
    created_at = fields.DateTime()
    computed_at = fields.DateTime(allow_none=True)
    published_at = fields.DateTime(allow_none=True)


class RunPage(Schema):
    items = fields.List(fields.Nested(RunOut))


class ResultOut(Schema):
    subject_id = fields.Integer()
    subject_name = fields.String()
    items = fields.Raw(metadata={"description": "line items: points, max, rule, evidence, money"})
    base = Points
    bonus = Points
    penalty = Points
    total = Points
    grade = fields.String()
    rank = fields.Integer()
    eligible_rank = fields.Integer(allow_none=True)
    money = fields.Decimal(as_string=True)
    awards = fields.Raw()
    vetoes = fields.List(fields.String())
    flags = fields.List(fields.String())


class RankingOut(Schema):
    rank = fields.Integer()
    eligible_rank = fields.Integer(allow_none=True)
    subject_id = fields.Integer()
    subject_name = fields.String()
    total = Points
    grade = fields.String()
    vetoed = fields.Boolean()


class JudgementIn(Schema):
    sheet = fields.String(required=True)
    period_start = fields.String(required=True)
    item = fields.String(required=True)
    subject_id = fields.Integer(required=True, strict=True)
    points = fields.Raw(required=True, metadata={"description": "a decimal as a string or a number"})
    reason = fields.String(required=True)


class JudgementOut(Schema):
    id = fields.Integer()
    sheet = fields.String()
    period_start = fields.Date()
    item = fields.String()
    subject_id = fields.Integer()
    points = Points
    reason = fields.String()
    entered_by_name = fields.String()
    entered_at = fields.DateTime()


def _label(run) -> str | None:
    """``2026年第3季度`` (None if the sheet's plugin is no longer enabled)."""
    sheet = runs.sheets().get(run.sheet)
    return period_label(sheet.period_kind, run.period_start) if sheet else None


@blp.route("/assessment/sheets")
class Sheets(MethodView):
    @blp.response(200, SheetOut(many=True))
    def get(self):
        """The assessment sheets of the tenant's plugins."""
        return list(runs.sheets().values())


@blp.route("/assessment/runs")
class Runs(MethodView):
    @blp.response(200, RunPage)
    def get(self):
        """The runs this login may read, newest period first: all for assessors and
        administrators, else the published runs it is a subject of."""
        return {"items": [run for run in runs.list_runs() if access.can_read_run(g.api_user, run)]}

    @blp.arguments(RunIn)
    @blp.response(201, RunOut)
    def post(self, data):
        """Create a draft run of a sheet for a period."""
        return runs.create_run(user=g.api_user, **data)


@blp.route("/assessment/runs/<int:run_id>")
class RunItem(MethodView):
    @blp.response(200, RunOut)
    def get(self, run_id):
        run = runs.get_run(run_id)
        access.require_run_reader(g.api_user, run)
        return run


@blp.route("/assessment/runs/<int:run_id>/compute")
class RunCompute(MethodView):
    @blp.response(202, RunOut, description="queued as a background job (job_id); progress on the run")
    def post(self, run_id):
        """Compute (or compute again) a run that is not published, as a background job."""
        run = runs.get_run(run_id)
        runs.compute(run, g.api_user)
        return run


@blp.route("/assessment/runs/<int:run_id>/publish")
class RunPublish(MethodView):
    @blp.response(200, RunOut)
    def post(self, run_id):
        """Publish a computed run: frozen from now on, readable by its subjects."""
        return runs.publish(runs.get_run(run_id), g.api_user)


@blp.route("/assessment/runs/<int:run_id>/correct")
class RunCorrect(MethodView):
    @blp.arguments(CorrectIn)
    @blp.response(201, RunOut, description="the new draft run that supersedes the published one")
    def post(self, data, run_id):
        """Correct a published run: a new draft run linked to it by supersedes_id."""
        return runs.correct(runs.get_run(run_id), g.api_user, note=data["note"])


@blp.route("/assessment/runs/<int:run_id>/results")
class RunResults(MethodView):
    @blp.response(200, ResultOut(many=True))
    def get(self, run_id):
        """The score sheets this login may read: all for a manager, its own for a subject."""
        return access.readable_results(g.api_user, runs.get_run(run_id))


@blp.route("/assessment/runs/<int:run_id>/ranking")
class RunRanking(MethodView):
    @blp.response(200, RankingOut(many=True))
    def get(self, run_id):
        """The ranking (排名): rank, subject, total and grade."""
        return access.ranking(g.api_user, runs.get_run(run_id))


@blp.route("/assessment/judgements")
class Judgements(MethodView):
    @blp.arguments(JudgementIn)
    @blp.response(201, JudgementOut)
    def post(self, data):
        """Enter the points of a judged item for one subject (a newer entry replaces it)."""
        return judging.enter_judgement(user=g.api_user, **data)
