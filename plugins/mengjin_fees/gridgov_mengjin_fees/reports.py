"""The Mengjin reports (报表), rendered by the core as a console page, CSV, XLSX and JSON.

* ``mengjin_fees.monthly_summary`` (月度汇总) — for a month: every subject of the three sheets
  with its total, its share of the maximum (sheet B is out of 50), grade, rank and the run it
  comes from; a sheet not yet assessed that month is named in the notes.
* ``mengjin_fees.grid_evidence`` (网格责任人证据表) — for a run of sheet C: each person's ten
  judged duties beside the system's evidence, one row per duty.

Rankings and each sheet with its evidence are the core's ``core.ranking`` and ``core.sheet``
reports, which read any run of these sheets.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from gridgov.assessment.operations import current_published_runs, list_runs
from gridgov.extensions import db
from gridgov.models.assessment import COMPUTED, PUBLISHED, AssessmentResult
from gridgov.plugins import Report
from gridgov.reports import Column, ReportTable

from .sheets import GRID_RESPONSIBLE_SHEET, SHEETS

STATES = {PUBLISHED: ("已公布", "published"), COMPUTED: ("未公布", "not published")}


def month_runs(period_start) -> dict[str, object]:
    """{sheet key: the run a month's summary reads}: the published run no correction replaces,
    else the latest computed one (shown as not published), else none."""
    out = {}
    end = (period_start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    for sheet in SHEETS:
        key = f"mengjin_fees.{sheet.key}"
        published = current_published_runs(key, period_start, end)
        computed = [r for r in list_runs(sheet=key, period_start=period_start) if r.state == COMPUTED]
        out[key] = published[-1] if published else (computed[0] if computed else None)
    return out


def monthly_summary(request) -> ReportTable:
    en = request.locale.startswith("en")
    rows, notes = [], []
    runs = month_runs(request.period_start)
    for sheet in SHEETS:
        key = f"mengjin_fees.{sheet.key}"
        run = runs[key]
        if run is None:
            notes.append(("Not assessed yet: " if en else "尚未考核：") + sheet.title(request.locale))
            continue
        maximum = sum((i.max_points for i in sheet.items if i.role == "points" and i.max_points is not None),
                      Decimal(0))
        bands = {b.key: b.title(request.locale) for b in sheet.grade_bands}
        query = select(AssessmentResult).where(AssessmentResult.run_id == run.id)
        if request.subject_id is not None:
            query = query.where(AssessmentResult.subject_id == request.subject_id)
        for r in db.session.scalars(query.order_by(AssessmentResult.rank, AssessmentResult.subject_id)):
            rows.append({"sheet": sheet.title(request.locale), "subject": r.subject_name, "total": r.total,
                         "maximum": maximum, "share": (r.total / maximum) if maximum else None,
                         "grade": bands.get(r.grade, r.grade), "rank": r.rank, "run": run.id,
                         "state": STATES.get(run.state, (run.state, run.state))[1 if en else 0]})
    return ReportTable(title=request.title("孟津月度考核汇总", "Mengjin monthly summary"),
                       subtitle=request.period_start.strftime("%Y-%m"), rows=rows, notes=notes, columns=[
                           Column("sheet", "考核表", "Sheet"), Column("subject", "考核对象", "Subject"),
                           Column("total", "得分", "Score", "decimal"), Column("maximum", "满分", "Maximum", "decimal"),
                           Column("share", "得分率", "Share", "percent"), Column("grade", "等次", "Grade"),
                           Column("rank", "名次", "Rank", "int"), Column("run", "考核批次", "Run", "int"),
                           Column("state", "状态", "State")])


def grid_evidence(request) -> ReportTable:
    rows = []
    query = select(AssessmentResult).where(AssessmentResult.run_id == request.run.id)
    if request.subject_id is not None:
        query = query.where(AssessmentResult.subject_id == request.subject_id)
    en = request.locale.startswith("en")
    for r in db.session.scalars(query.order_by(AssessmentResult.rank, AssessmentResult.subject_id)):
        for item in r.items:
            judged = item["evidence"].get("judged") or {}
            rows.append({"subject": r.subject_name, "item": item["title_en" if en else "title_zh"],
                         "points": Decimal(item["points"]), "evidence": item["evidence"].get("note", ""),
                         "events": len(item["evidence"].get("event_ids", [])),
                         "cases": len(item["evidence"].get("case_ids", [])),
                         "judged_by": judged.get("entered_by", ""), "reason": judged.get("reason", "")})
    return ReportTable(title=request.title("网格责任人考核及系统证据", "Grid responsible persons: duties and evidence"),
                       subtitle=request.period_start.strftime("%Y-%m") if request.period_start else "", rows=rows,
                       columns=[Column("subject", "网格责任人", "Person"), Column("item", "考核项目", "Duty"),
                                Column("points", "得分", "Points", "decimal"),
                                Column("evidence", "系统证据", "System evidence"),
                                Column("events", "记录数", "Records", "int"), Column("cases", "案件数", "Cases", "int"),
                                Column("judged_by", "评分人", "Judged by"), Column("reason", "理由", "Reason")])


REPORTS = [
    Report("monthly_summary", "孟津月度考核汇总", "Mengjin monthly summary", monthly_summary, needs="period",
           period_kind="month", description="三张考核表当月得分、得分率、等次、名次。"),
    Report("grid_evidence", "网格责任人考核及系统证据", "Grid responsible persons and their evidence", grid_evidence,
           needs="run", sheets=(GRID_RESPONSIBLE_SHEET,), description="十项职责评分与巡查、经济户口、投诉处理等系统证据对照。"),
]
