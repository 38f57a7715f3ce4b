"""The zhanqian reports (报表), rendered by the core as console pages, CSV and XLSX:

* ``zhanqian.ranking`` — a month's ranking with every line of the sheet;
* ``zhanqian.quarter_rating`` — the quarterly rating (季评): each month's published total
  beside the quarter's;
* ``zhanqian.annual_summary`` — the annual summary (年总结): each quarter beside the year;
* ``zhanqian.archive_month`` / ``archive_quarter`` / ``archive_year`` — the evidence archive
  (考评档案, "作为考核评价的基本依据"): for a period and, with ``grid_id``, one community, every
  inspection, supervision, monthly check, honour, case and published monthly result.

The core's ``core.sheet`` report lists every sheet line by line with its evidence.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from gridgov.assessment.operations import current_published_runs
from gridgov.extensions import db
from gridgov.models import Case, Event, Grid, Person, Tenant
from gridgov.models.assessment import AssessmentResult
from gridgov.operations.events import superseded_condition
from gridgov.operations.grids import subtree_ids
from gridgov.plugins import Report
from gridgov.reports import Column, ReportRequest, ReportTable, grade_title
from gridgov.tenancy import current_tenant_id

from .sheets import MONTH, MONTH_ITEMS, QUARTER, YEAR

RANK = [Column("rank", "名次", "Rank", "int"), Column("subject", "社区", "Community")]
END = [Column("total", "总分", "Total", "decimal"), Column("grade", "等次", "Grade"), Column("flags", "标记", "Flags")]
MONTH_KEY, QUARTER_KEY = "zhanqian.community_month", "zhanqian.community_quarter"
EVENT_KINDS = {"zhanqian.inspection": ("网格排查", "Inspection"), "zhanqian.supervision": ("督查", "Supervision"),
               "zhanqian.monthly_check": ("每月检查考评", "Monthly check"),
               "zhanqian.honour": ("奖励加分依据", "Honour")}


def _results(request: ReportRequest) -> list[AssessmentResult]:
    query = select(AssessmentResult).where(AssessmentResult.run_id == request.run.id)
    if request.subject_id is not None:
        query = query.where(AssessmentResult.subject_id == request.subject_id)
    return list(db.session.scalars(query.order_by(AssessmentResult.rank, AssessmentResult.subject_id)))


def _row(request, sheet, r: AssessmentResult) -> dict:
    return {"rank": r.rank, "subject": r.subject_name, "total": r.total,
            "grade": grade_title(sheet, r.grade, request.locale), "flags": "; ".join(r.flags or [])}


def _title(request, sheet, zh: str, en: str) -> str:
    from gridgov.assessment.periods import period_label

    return f"{period_label(sheet.period_kind, request.run.period_start, request.locale)} " + request.title(zh, en)


def build_ranking(request: ReportRequest) -> ReportTable:
    items = [i for i in MONTH_ITEMS if i.key != "rectification"]
    rows = []
    for r in _results(request):
        lines = {line["key"]: line for line in r.items}
        row = _row(request, MONTH, r)
        row.update({i.key: lines[i.key]["points"] for i in items})
        row["open"] = ", ".join(f"#{c}" for c in lines["rectification"]["evidence"]["case_ids"])
        rows.append(row)
    columns = RANK + [Column(i.key, i.title_zh, i.title_en, "decimal") for i in items] + END[:2] + [
        Column("open", "整改未结案件", "Open rectifications"), END[2]]
    return ReportTable(_title(request, MONTH, "社区网格化管理考核排名", "community ranking"), columns, rows)


def _published_totals(sheet_key: str, start: dt.date, end: dt.date) -> dict[dt.date, dict[int, AssessmentResult]]:
    out = {}
    for run in current_published_runs(sheet_key, start, end):
        out[run.period_start] = {r.subject_id: r for r in db.session.scalars(
            select(AssessmentResult).where(AssessmentResult.run_id == run.id))}
    return out


def _roll_up_report(request: ReportRequest, sheet, source, periods: list[tuple[str, str, dt.date]], zh, en):
    found = _published_totals(source, request.run.period_start, request.run.period_end)
    rows = []
    for r in _results(request):
        row = _row(request, sheet, r)
        for key, _, start in periods:
            hit = found.get(start, {}).get(r.subject_id)
            row[key] = hit.total if hit else None
        rows.append(row)
    columns = RANK + [Column(key, title, title, "decimal") for key, title, _ in periods] + END
    return ReportTable(_title(request, sheet, zh, en), columns, rows,
                       notes=[request.title("空白：该期未公布考核", "Blank: that period was not published")])


def build_quarter(request: ReportRequest) -> ReportTable:
    start = request.run.period_start
    months = [start.replace(month=start.month + n) for n in range(3)]
    periods = [(f"m{n + 1}", request.title(f"{m.month}月", f"{m:%Y-%m}"), m) for n, m in enumerate(months)]
    return _roll_up_report(request, QUARTER, MONTH_KEY, periods, "社区季度评定", "community quarterly rating")


def build_year(request: ReportRequest) -> ReportTable:
    start = request.run.period_start
    periods = [(f"q{n + 1}", request.title(f"第{n + 1}季度", f"Q{n + 1}"), start.replace(month=3 * n + 1))
               for n in range(4)]
    return _roll_up_report(request, YEAR, QUARTER_KEY, periods, "社区年度总结", "community annual summary")


# -- the archive -------------------------------------------------------------------------------

def _communities(request: ReportRequest) -> list[Grid]:
    """Every community, or with ``grid_id`` the communities at or below that grid (a
    second-level grid names its community)."""
    query = select(Grid).where(Grid.level == 1)
    if request.grid_id is not None:
        grid = db.session.get(Grid, request.grid_id)
        while grid.level > 1:
            grid = grid.parent
        query = query.where(Grid.id.in_(subtree_ids(grid)))
    return list(db.session.scalars(query.order_by(Grid.path)))


def _payload_text(payload: dict) -> str:
    values = [" / ".join(v) if isinstance(v, list) else str(v) for v in (payload or {}).values()]
    return "; ".join(v for v in values if v not in ("", "None"))


def _event_rows(request, community, grids, start, end, names) -> list[dict]:
    """Inspections, supervisions, monthly checks and honours in the community's grids."""
    zh = request.locale == "zh"
    events = db.session.scalars(select(Event).where(
        Event.type.in_(list(EVENT_KINDS)), Event.grid_id.in_(list(grids)), Event.occurred_at >= start,
        Event.occurred_at < end, ~superseded_condition()).order_by(Event.occurred_at, Event.id))
    return [{"at": e.occurred_at, "community": community.name, "grid": grids[e.grid_id].name,
             "kind": EVENT_KINDS[e.type][0 if zh else 1], "ref": f"事件#{e.id}" if zh else f"event #{e.id}",
             "by": names.get(e.actor_person_id, ""), "detail": _payload_text(e.payload)} for e in events]


def _case_rows(request, community, grids, start, end, tz) -> list[dict]:
    """Cases (disposals and rectifications) reported, due or closed in the period."""
    zh = request.locale == "zh"
    cases = db.session.scalars(select(Case).where(Case.grid_id.in_(list(grids)), or_(
        Case.reported_at.between(start, end), Case.resolve_due_at.between(start, end),
        Case.closed_at.between(start, end))).order_by(Case.reported_at, Case.id))
    rows = []
    for c in cases:
        state = c.state + (f", resolved {c.resolved_at.astimezone(tz):%Y-%m-%d %H:%M}" if c.resolved_at else "")
        due = f"; due {c.resolve_due_at.astimezone(tz):%Y-%m-%d %H:%M}" if c.resolve_due_at else ""
        rectification = c.category == "zhanqian.rectification"
        kind = ("整改案件", "Rectification") if rectification else ("案件处置", "Case")
        rows.append({"at": c.reported_at, "community": community.name, "grid": grids[c.grid_id].name,
                     "kind": kind[0 if zh else 1], "ref": c.number, "by": "",
                     "detail": f"{c.description} ({state}{due})"})
    return rows


def _assessment_rows(request, community, tz) -> list[dict]:
    """The community's published monthly results of the period."""
    zh = request.locale == "zh"
    rows = []
    for month, results in _published_totals(MONTH_KEY, request.period_start, request.period_end).items():
        r = results.get(community.id)
        if r is not None:
            rows.append({"at": dt.datetime.combine(month, dt.time(0), tzinfo=tz), "community": community.name,
                         "grid": community.name, "kind": "月度考核" if zh else "Monthly assessment",
                         "ref": f"考核#{r.run_id}" if zh else f"run #{r.run_id}", "by": "",
                         "detail": f"{r.total} ({grade_title(MONTH, r.grade, request.locale)}, #{r.rank})"})
    return rows


def build_archive(request: ReportRequest) -> ReportTable:
    tz = ZoneInfo(db.session.get(Tenant, current_tenant_id()).timezone)
    start = dt.datetime.combine(request.period_start, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(request.period_end, dt.time(0), tzinfo=tz)
    names = dict(db.session.execute(select(Person.id, Person.name)).all())
    rows = []
    for community in _communities(request):
        grids = {g.id: g for g in db.session.scalars(select(Grid).where(Grid.id.in_(subtree_ids(community))))}
        rows += _event_rows(request, community, grids, start, end, names)
        rows += _case_rows(request, community, grids, start, end, tz)
        rows += _assessment_rows(request, community, tz)
    rows.sort(key=lambda row: (row["community"], row["at"]))
    columns = [Column("at", "时间", "When", "datetime"), Column("community", "社区", "Community"),
               Column("grid", "网格", "Grid"), Column("kind", "类别", "Kind"), Column("ref", "编号", "Reference"),
               Column("by", "人员", "By"), Column("detail", "内容", "Detail")]
    return ReportTable(request.title("网格化管理考评档案", "Assessment archive (evidence base)"), columns, rows,
                       subtitle=f"{request.period_start} – {request.period_end - dt.timedelta(days=1)}")


REPORTS = (
    Report("ranking", "社区月度考核排名（分项）", "Monthly community ranking by item", build_ranking,
           sheets=("zhanqian.community_month",), published_readers=True),
    Report("quarter_rating", "社区季度评定", "Quarterly community rating", build_quarter,
           sheets=("zhanqian.community_quarter",), published_readers=True),
    Report("annual_summary", "社区年度总结", "Annual community summary", build_year,
           sheets=("zhanqian.community_year",), published_readers=True),
    Report("archive_month", "考评档案（月）", "Assessment archive (month)", build_archive, needs="period",
           period_kind="month"),
    Report("archive_quarter", "考评档案（季度）", "Assessment archive (quarter)", build_archive, needs="period",
           period_kind="quarter"),
    Report("archive_year", "考评档案（年）", "Assessment archive (year)", build_archive, needs="period",
           period_kind="year"),
)
