"""Reports (报表): the reports of the tenant's plugins, and one report as JSON, CSV or XLSX.

Thin over :mod:`gridgov.reports` — the same checks as the console: the parameters against the
report (``run_id`` for a report over a run, ``period_start`` for one over a period; a bad one
is a 400 naming the query field), the run of this tenant only (404 otherwise), and access
(assessors and tenant administrators always; others only a ``published_readers`` report of a
published run — 403).
"""
from __future__ import annotations

from flask import Response, g
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from .. import reports as core
from ..operations.errors import NotFound, OperationError
from .access import tenant_blueprint
from .errors import fail
from .schemas import QueryId

blp = tenant_blueprint("reports", "Reports (报表): tables of runs and periods as JSON, CSV (UTF-8 with BOM) or XLSX.")


class ReportInfoOut(Schema):
    key = fields.String()
    title_zh = fields.String()
    title_en = fields.String()
    needs = fields.String(metadata={"description": "run: give run_id; period: give period_start; none"})
    sheets = fields.List(fields.String(), metadata={"description": "the sheets whose runs it reads (empty: any)"})
    period_kind = fields.String(allow_none=True)
    published_readers = fields.Boolean(metadata={"description": "readable by every member once the run is published"})
    description = fields.String()
    plugin = fields.String()


class ReportQuery(Schema):
    run_id = QueryId(metadata={"description": "the assessment run (for needs=run)"})
    period_start = fields.String(validate=validate.Length(max=10),
                                 metadata={"description": "first day of the period, YYYY-MM-DD (for needs=period)"})
    grid_id = QueryId(metadata={"description": "optional grid filter"})
    subject_id = QueryId(metadata={"description": "optional subject filter"})
    format = fields.String(load_default="json", validate=validate.OneOf(core.FORMATS),
                           metadata={"description": "json, csv (UTF-8 with BOM) or xlsx"})
    lang = fields.String(load_default="zh", validate=validate.Length(max=10),
                         metadata={"description": "zh (default) or en: the column titles of csv/xlsx"})


class ColumnOut(Schema):
    key = fields.String()
    title = fields.String()
    title_zh = fields.String()
    title_en = fields.String()
    kind = fields.String(metadata={"description": "text, int, decimal, money, percent, date, datetime"})


class ReportOut(Schema):
    key = fields.String()
    title = fields.String()
    subtitle = fields.String()
    notes = fields.List(fields.String())
    columns = fields.List(fields.Nested(ColumnOut))
    rows = fields.List(fields.Dict(), metadata={"description": "by column key; decimals and money as strings"})


@blp.route("/reports")
class Reports(MethodView):
    @blp.response(200, ReportInfoOut(many=True))
    def get(self):
        """The reports this login may open: all for assessors and administrators, else those
        readable once published."""
        return sorted(core.readable_reports(g.api_user).values(), key=lambda r: r.key)


@blp.route("/reports/<key>")
class ReportItem(MethodView):
    @blp.arguments(ReportQuery, location="query", error_status_code=400)
    @blp.response(200, ReportOut, description="format=csv: text/csv; format=xlsx: an Excel workbook")
    def get(self, args, key):
        """One report: ``format=json`` (default), ``csv`` or ``xlsx`` (a download named after
        the report and its period)."""
        report = core.reports().get(key)
        if report is None:
            raise NotFound("report")
        locale = "en" if str(args.get("lang", "")).startswith("en") else "zh"
        try:
            request = core.make_request(report, g.api_user, run_id=args.get("run_id"),
                                        period_start=args.get("period_start"), grid_id=args.get("grid_id"),
                                        subject_id=args.get("subject_id"), locale=locale)
        except OperationError as exc:
            if exc.status in (403, 404):
                raise
            fail(400, exc.errors, "query")
        table = core.build(report, request)
        fmt = args["format"]
        if fmt == "json":
            return {"key": report.key, **core.to_json(table, locale)}
        response = Response(core.render(table, fmt, locale), content_type=core.CONTENT_TYPES[fmt])
        response.headers["Content-Disposition"] = core.content_disposition(core.filename(report, request, fmt))
        response.headers["Cache-Control"] = "private, no-store"
        return response
