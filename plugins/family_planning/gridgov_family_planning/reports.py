"""The family-planning reports (rendered by the core: console page, CSV, XLSX, JSON).

* ``salary_statements`` — each leader's salary statement for a run of the annual sheet: months
  held, base paid monthly and withheld (at each month's pay record), score, grade, year-end
  payout, the year's pay;
* ``checkup_list`` — a month's list of women without a check-up for N months (月上报) with the
  cleared count (月清理) and registrations cleared (漏管空挂);
* ``visit_schedule`` — each woman's last visit and next visit due (定期上门随访), overdue first;
* ``work_summary`` — a month of daily work sheets per leader.

The check-up list and the visit schedule name women: personal data. A name (and household) is
shown only to a login the core's scope lets read that entry (its tenant role among the ``woman``
register's readers, :data:`.forms.READERS`, and for field staff the entry in their grids), and
each woman so shown is written to the audit log as a read (as the register API does); anyone
else gets the register codes only.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select

from gridgov import workdays
from gridgov.extensions import db
from gridgov.models import Assignment, Grid, Person, Tenant
from gridgov.models.assessment import AssessmentResult
from gridgov.operations import registers as register_ops
from gridgov.operations.tenants import get_settings, role_in
from gridgov.plugins import Report
from gridgov.reports import Column, ReportTable
from gridgov.tenancy import current_tenant_id

from . import registers
from .rules import tenant_zone
from .salary import LEADER, T, approved_leave_days, months_held, pay_records, recorded_pay, spans_held

ZERO = Decimal(0)


def _tenant():
    return db.session.get(Tenant, current_tenant_id())


def _names(ids) -> dict[int, str]:
    return dict(db.session.execute(select(Person.id, Person.name).where(Person.id.in_(list(ids)))).all()) if ids else {}


def _grid_names(ids) -> dict[int, str]:
    return dict(db.session.execute(select(Grid.id, Grid.name).where(Grid.id.in_(list(ids)))).all()) if ids else {}


def _readable(req, places) -> set[int]:
    """Ids of the personal entries among ``places`` the report's login may read (the core's
    scope: its tenant role among the kind's readers and, for field staff, in its grids)."""
    if req.user is None:
        return set()
    scope = register_ops.place_read_scope(role_in(req.user, _tenant()), req.user.id)
    return {p.id for p in places if scope.allows(p.kind, p.grid_id)}


# -- salary statements ---------------------------------------------------------------------------

def salary_statements(req) -> ReportTable:
    run = req.run
    settings = get_settings(_tenant(), "family_planning")
    query = select(AssessmentResult).where(AssessmentResult.run_id == run.id).order_by(AssessmentResult.rank,
                                                                                    AssessmentResult.subject_name)
    if req.subject_id:
        query = query.where(AssessmentResult.subject_id == req.subject_id)
    results = list(db.session.scalars(query))
    records = pay_records([r.subject_id for r in results], run.period_start.year, tenant_zone())
    rows, unrecorded = [], 0
    for r in results:
        spans = spans_held(r.subject_id, run.period_start, run.period_end)
        months = months_held(spans, run.period_start.year)
        base, withheld, missing = recorded_pay(settings, records[r.subject_id], months)
        unrecorded += len(missing)
        blocks = _grid_names({g for _, _, g in spans})
        rows.append({"leader": r.subject_name, "blocks": "、".join(sorted(blocks.values())), "months": len(months),
                     "base_paid": base, "withheld": withheld, "total": r.total, "grade": r.grade,
                     "payout": r.money, "year_pay": base + r.money})
    return ReportTable(
        title=req.title("居民小组长工资表", "Group leader salary statements"),
        subtitle=f"{run.period_start.year} · #{run.id}",
        columns=[Column("leader", "居民小组长", "Group leader"), Column("blocks", "责任块", "Blocks"),
                 Column("months", "在岗月数", "Months in post", "int"),
                 Column("base_paid", "基础工资（按月已发）", "Base pay (paid monthly)", "money"),
                 Column("withheld", "预留考核工资", "Withheld", "money"),
                 Column("total", "年终考核得分", "Annual score", "decimal"), Column("grade", "等次", "Grade"),
                 Column("payout", "年终发放", "Year-end payout", "money"),
                 Column("year_pay", "全年工资", "Year's pay", "money")],
        rows=rows,
        notes=[req.title("基础工资与预留工资按每月工资记录的金额（当月1日按当时设置记录）；"
                         f"年终发放 = 预留 × min(得分, {settings['payout_cap']})/{settings['payout_cap']} ± 奖惩金额",
                         "Base and withheld pay at each month's pay record (recorded on the 1st at the settings "
                         f"then); payout = withheld × min(score, {settings['payout_cap']})/{settings['payout_cap']} "
                         "± rewards/penalties")]
        + ([req.title(f"{unrecorded} 个在岗月尚无工资记录，按现行设置 ¥{settings['leader_monthly_base']}/"
                      f"¥{settings['leader_monthly_withheld']} 计",
                      f"{unrecorded} month(s) in post have no pay record yet and count at the current settings "
                      f"¥{settings['leader_monthly_base']}/¥{settings['leader_monthly_withheld']}")] if unrecorded else []))


# -- the four-month no-check-up list ---------------------------------------------------------------

def checkup_list(req) -> ReportTable:
    first = req.period_start.replace(day=1)
    settings = get_settings(_tenant(), "family_planning")
    months = settings["checkup_overdue_months"]
    month = registers.checkup_month(first, months, req.grid_id)
    shown = _readable(req, [w for w, _ in month["listed"]])
    blocks = _grid_names({w.grid_id for w, _ in month["listed"]})
    end = registers.month_end(first)
    rows = []
    for woman, last in month["listed"]:
        reader = woman.id in shown
        rows.append({"block": blocks.get(woman.grid_id, ""), "code": woman.code,
                     "name": woman.name if reader else "—",
                     "household": woman.attributes.get("household", "") if reader else "—",
                     "last_checkup": last, "months": ((end.year - last.year) * 12 + end.month - last.month) if last else None})
    if shown:
        register_ops.audit_place_reads([w for w, _ in month["listed"] if w.id in shown], "report family_planning.checkup_list")
        db.session.commit()  # the audit of a read stands even where the page itself commits nothing
    cleared = len(month["cleared"])
    notes = [req.title(f"本月上报 {len(rows)} 人（{months}个月未查体）；本月清理 {cleared} 人（上月上报 {month['previously_listed']} 人）；"
                       f"清理漏管空挂 {registers.registrations_cleared(first, tenant_zone())} 人",
                       f"Listed {len(rows)} (no check-up for {months} months); cleared {cleared} of last month's "
                       f"{month['previously_listed']}; unregistered/nominal registrations cleared "
                       f"{registers.registrations_cleared(first, tenant_zone())}")]
    if len(shown) < len(rows):
        notes.append(req.title("姓名为个人信息，仅向有权查阅的角色显示", "Names are personal data, shown to reader roles only"))
    return ReportTable(
        title=req.title(f"{months}个月未查体人员月报", f"Women without a check-up for {months} months"),
        subtitle=f"{first.year}-{first.month:02d}",
        columns=[Column("block", "责任块", "Block"), Column("code", "编号", "Code"), Column("name", "姓名", "Name"),
                 Column("household", "住户", "Household"), Column("last_checkup", "最近查体", "Last check-up", "date"),
                 Column("months", "未查体月数", "Months since", "int")],
        rows=rows, notes=notes)


# -- the daily work summary -------------------------------------------------------------------------

def work_summary(req) -> ReportTable:
    from gridgov.models import Event
    from gridgov.operations.events import superseded_condition

    first = req.period_start.replace(day=1)
    end = registers.month_end(first) + dt.timedelta(days=1)
    zone = tenant_zone()
    today = dt.datetime.now(zone).date()
    query = select(Assignment.person_id).where(Assignment.role == LEADER).distinct()
    people = sorted(set(db.session.scalars(query)))
    if req.subject_id:
        people = [p for p in people if p == req.subject_id]
    spans = {p: spans_held(p, first, end) for p in people}
    if req.grid_id:
        grid = db.session.get(Grid, req.grid_id)
        from gridgov.operations.grids import subtree_ids
        inside = set(db.session.scalars(subtree_ids(grid))) if grid else set()
        spans = {p: [s for s in v if s[2] in inside] for p, v in spans.items()}
    people = [p for p in people if spans[p]]
    leave = approved_leave_days(people, first, end)
    sheets = defaultdict(lambda: defaultdict(dict))
    if people:
        for person, typ, at, payload in db.session.execute(select(
                Event.actor_person_id, Event.type, Event.occurred_at, Event.payload).where(
                Event.type.in_([T + "work_plan", T + "work_result"]), Event.actor_person_id.in_(people),
                Event.occurred_at >= dt.datetime.combine(first, dt.time(), zone),
                Event.occurred_at < dt.datetime.combine(end, dt.time(), zone), ~superseded_condition())):
            sheets[person][at.astimezone(zone).date()][typ] = payload
    names, blocks = _names(people), _grid_names({g for v in spans.values() for _, _, g in v})
    rows = []
    for p in people:
        required = [d for a, b, _ in spans[p] for d in workdays.working_days_in(a, b)
                    if d not in leave[p] and d < today]  # days to come are not due yet
        days = sheets[p]
        rows.append({
            "leader": names.get(p, str(p)), "blocks": "、".join(sorted({blocks[g] for _, _, g in spans[p]})),
            "required": len(required), "checked_in": sum(1 for d in days if T + "work_plan" in days[d]),
            "checked_out": sum(1 for d in days if T + "work_result" in days[d]),
            "absent": sum(1 for d in required if T + "work_plan" not in days.get(d, {})),
            "leave": len(leave[p]),
            "planned": sum(len(v[T + "work_plan"]["households"]) for v in days.values() if T + "work_plan" in v),
            "done": sum(v[T + "work_result"]["households_done"] for v in days.values() if T + "work_result" in v),
        })
    return ReportTable(
        title=req.title("日工作单月汇总", "Daily work sheets: monthly summary"), subtitle=f"{first.year}-{first.month:02d}",
        columns=[Column("leader", "居民小组长", "Group leader"), Column("blocks", "责任块", "Blocks"),
                 Column("required", "应工作日", "Working days due", "int"),
                 Column("checked_in", "签到天数", "Days checked in", "int"),
                 Column("checked_out", "签退天数", "Days checked out", "int"),
                 Column("absent", "无假缺勤", "Absent without leave", "int"),
                 Column("leave", "请假天数", "Days on leave", "int"),
                 Column("planned", "计划走访户次", "Households planned", "int"),
                 Column("done", "完成户次", "Households done", "int")],
        rows=rows)


# -- the visit schedule ----------------------------------------------------------------------------

def visit_schedule(req) -> ReportTable:
    """Each resident woman's last visit and next visit due (every ``visit_interval_days``) as of
    the month's end; overdue ones first. Names for reader roles only, each shown one audited."""
    from gridgov.models import Event
    from gridgov.operations.events import superseded_condition

    first = req.period_start.replace(day=1)
    end = registers.month_end(first)
    interval = get_settings(_tenant(), "family_planning")["visit_interval_days"]
    women = [w for w in registers._women(req.grid_id) if w.attributes.get("status") != "moved_out"
             and w.attributes.get("registered_on", "") <= end.isoformat()]
    zone = tenant_zone()
    visits = defaultdict(list)
    if women:
        for place, at in db.session.execute(select(Event.place_id, Event.occurred_at).where(
                Event.type == T + "visit", Event.place_id.in_([w.id for w in women]), ~superseded_condition())):
            if at.astimezone(zone).date() <= end:
                visits[place].append(at.astimezone(zone).date())
    shown = _readable(req, women)
    blocks = _grid_names({w.grid_id for w in women})
    rows = []
    for w in women:
        due = registers.next_visit_due(w, interval, visits[w.id])
        rows.append({"block": blocks.get(w.grid_id, ""), "code": w.code, "name": w.name if w.id in shown else "—",
                     "last_visit": max(visits[w.id], default=None), "visits": len(visits[w.id]), "next_due": due,
                     "overdue": "逾期 overdue" if due <= end else ""})
    rows.sort(key=lambda r: (r["overdue"] == "", r["next_due"], r["code"]))
    if shown:
        register_ops.audit_place_reads([w for w in women if w.id in shown], "report family_planning.visit_schedule")
        db.session.commit()
    return ReportTable(
        title=req.title("育龄妇女随访计划", "Visit schedule of women of childbearing age"),
        subtitle=f"{first.year}-{first.month:02d}",
        columns=[Column("block", "责任块", "Block"), Column("code", "编号", "Code"), Column("name", "姓名", "Name"),
                 Column("visits", "累计随访次数", "Visits so far", "int"),
                 Column("last_visit", "最近随访", "Last visit", "date"), Column("next_due", "下次应访", "Next due", "date"),
                 Column("overdue", "状态", "Status")],
        rows=rows, notes=[req.title(f"随访周期 {interval} 天", f"A visit every {interval} days")])


REPORTS = [
    Report("salary_statements", "居民小组长工资表", "Group leader salary statements", salary_statements,
           needs="run", sheets=("family_planning.leader_year",),
           description="基础工资、预留工资与年终考核发放。"),
    Report("checkup_list", "4个月未查体人员月报", "Monthly list of women without a check-up", checkup_list,
           needs="period", period_kind="month", description="月上报、月清理。"),
    Report("visit_schedule", "育龄妇女随访计划", "Visit schedule of women of childbearing age", visit_schedule,
           needs="period", period_kind="month", description="定期上门随访：上次随访与下次应访日期。"),
    Report("work_summary", "日工作单月汇总", "Daily work sheets: monthly summary", work_summary,
           needs="period", period_kind="month", description="签到、签退、走访户次。"),
]
