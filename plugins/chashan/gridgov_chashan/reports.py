"""The chashan reports (报表), built from stored runs — the core renders them (console page, CSV,
XLSX, API; see :mod:`gridgov.reports`):

* ``chashan.director_ledger`` 网格长月度奖惩台账 — a run of sheet A (monthly ledger, or the
  quarterly settlement): one row per reward and per fine with its date and evidence, a subtotal
  per director equal to the director's money in the run. A line paid per occasion (R3 resident
  issue, R4 hosted visit, R5 meeting, F1 missed day, F2 late major matter) is split into one row
  per occasion when the stored evidence names exactly as many events (or dates) as the amount
  holds; otherwise (settings changed since) it stays one row with all its evidence. Managers
  only: a director reads their own sheet on the assessment pages.
* ``chashan.community_ranking`` 社区季度考核排名 — a run of sheet B: rank, community, each item's
  points, bonus, penalty, total, grade, award (¥). Readable by everyone once published.
* ``chashan.department_sheets`` 街道科室季度考核明细 — a run of sheet C: per department, each
  item with points, maximum and the rule applied, and the department's total and grade.
* ``chashan.annual_summary`` 社区年度考核汇总 — a run of the annual ranking: rank, community,
  the four quarters' totals (from the quarter runs the annual run read), the annual figure, the
  ¥200-per-staff award and the honour flags. Readable by everyone once published.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from gridgov.assessment import operations as runs
from gridgov.extensions import db
from gridgov.models import Assignment, Event, Grid, Tenant
from gridgov.models.assessment import AssessmentResult
from gridgov.operations.grids import subtree_ids
from gridgov.operations.tenants import get_settings, registry
from gridgov.plugins import Report
from gridgov.reports import Column, ReportRequest, ReportTable, grade_title
from gridgov.tenancy import current_tenant_id

ZERO = Decimal(0)
CENT = Decimal("0.01")
DIRECTOR_SHEETS = ("chashan.director_month", "chashan.director_quarter")
COMMUNITY_SHEET = "chashan.community_quarter"
DEPARTMENT_SHEET = "chashan.department_quarter"
ANNUAL_SHEET = "chashan.community_year"
# Lines paid per occasion: item → the setting holding the amount per occasion (a fine negative).
PER_OCCASION = {"r3": ("reward_resident_issue", 1), "r4": ("reward_hosted_visit", 1), "r5": ("reward_meeting", 1),
                "f1": ("fine_missed_patrol", -1), "f2": ("fine_late_major_matter", -1)}
MONTH_PART = re.compile(r"^(\d{4})-(\d{2}): (.*) → ¥([+-]?\d+(?:\.\d+)?)$")
ISO_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
RUN_IDS = re.compile(r"\bruns? ([\d, ]+)")


# -- shared helpers -------------------------------------------------------------------------------


def _tenant() -> Tenant:
    return db.session.get(Tenant, current_tenant_id())


def _tz() -> ZoneInfo:
    return ZoneInfo(_tenant().timezone or "Asia/Shanghai")


def _sheet(request: ReportRequest):
    return runs.sheets().get(request.run.sheet)


def _dec(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number.quantize(CENT) if number.as_tuple().exponent >= -2 else number  # "10" → 10.00, exact


def _results(request: ReportRequest, subjects: set[int] | None = None) -> list[AssessmentResult]:
    query = select(AssessmentResult).where(AssessmentResult.run_id == request.run.id)
    if request.subject_id is not None:
        query = query.where(AssessmentResult.subject_id == request.subject_id)
    if subjects is not None:
        query = query.where(AssessmentResult.subject_id.in_(subjects))
    return list(db.session.scalars(query.order_by(AssessmentResult.rank, AssessmentResult.subject_id)))


def _grid_subtree(grid_id: int | None) -> set[int] | None:
    if grid_id is None:
        return None
    grid = db.session.get(Grid, grid_id)
    return set(db.session.scalars(subtree_ids(grid))) if grid is not None else set()


def _subtitle(request: ReportRequest, sheet) -> str:
    from gridgov.assessment.periods import period_label
    from gridgov.models.assessment import RUN_STATES

    period = period_label(sheet.period_kind, request.run.period_start, request.locale) if sheet else ""
    state = RUN_STATES.get(request.run.state, (request.run.state,) * 2)[1 if request.locale == "en" else 0]
    return f"{sheet.title(request.locale) if sheet else request.run.sheet} · {period} · {state} · " \
           f"{request.title('考核批次', 'run')} #{request.run.id}"


def _line(result: AssessmentResult, key: str) -> dict:
    return next((i for i in result.items or [] if i.get("key") == key), {})


def _item_title(sheet, entry: dict, locale: str) -> str:
    item = sheet.item(entry.get("key")) if sheet else None
    if item is not None:
        return item.title(locale)
    return entry.get("title_en" if locale == "en" else "title_zh") or entry.get("key", "")


def _flags(values) -> str:
    return "; ".join(str(v.get("title_zh") if isinstance(v, dict) else v) for v in values or [])


# -- 网格长月度奖惩台账 -------------------------------------------------------------------------------


def _event_facts(ids: set[int]) -> dict[int, tuple[str, dt.datetime]]:
    """{event id: (type, local time)} of the evidence events, one query."""
    if not ids:
        return {}
    tz = _tz()
    rows = db.session.execute(select(Event.id, Event.type, Event.occurred_at).where(Event.id.in_(sorted(ids)))).all()
    return {i: (t, at.astimezone(tz)) for i, t, at in rows}


def _type_title(key: str, locale: str) -> str:
    et = registry().for_tenant(_tenant()).event_types.get(key)
    return (et.title_en if locale == "en" else et.title_zh) if et else key


def _describe(ids, events: dict, locale: str, limit: int = 8) -> str:
    """``#12 居民问题 2025-11-12 09:00; #13 …`` (more than ``limit``: counted per type)."""
    ids = [i for i in ids if i in events]
    if len(ids) <= limit:
        return "; ".join(f"#{i} {_type_title(events[i][0], locale)} {events[i][1]:%Y-%m-%d %H:%M}" for i in ids)
    counts: dict[str, list[int]] = {}
    for i in ids:
        counts.setdefault(events[i][0], []).append(i)
    return "; ".join(f"{_type_title(t, locale)} × {len(v)} (#{v[0]}" + (f"–#{v[-1]})" if len(v) > 1 else ")")
                     for t, v in counts.items())


def _month_parts(entry: dict, money: Decimal, period_start: dt.date, period_end: dt.date):
    """[(first day of the month or None, words, amount)] from the stored rule ("2025-11: … →
    ¥+50.00; …"); the whole line as one part when the rule does not read so or does not add up."""
    parts = []
    for chunk in (entry.get("rule") or "").split("; "):
        match = MONTH_PART.match(chunk.strip())
        if not match:
            parts = None
            break
        year, month, words, amount = match.groups()
        parts.append((dt.date(int(year), int(month), 1), words, Decimal(amount)))
    if not parts or sum((p[2] for p in parts), ZERO) != money:
        return [(None, entry.get("rule") or "", money)]
    return parts


def _month_end(first: dt.date | None, request: ReportRequest) -> dt.date:
    if first is None:
        return request.run.period_end - dt.timedelta(days=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return min(following, request.run.period_end) - dt.timedelta(days=1)


def _occasions(key: str, amount: Decimal, first: dt.date | None, words: str, entry: dict, events: dict,
               settings: dict, request: ReportRequest):
    """[(date, amount, event ids)] — one per occasion — or None when the evidence does not say
    exactly which occasions the amount paid for."""
    if key not in PER_OCCASION:
        return None
    setting, sign = PER_OCCASION[key]
    unit = _dec(settings.get(setting))
    if not unit:
        return None
    unit = sign * unit
    count = amount / unit
    if count <= 0 or count != count.to_integral_value():
        return None
    count = int(count)
    start = first or request.run.period_start
    end = _month_end(first, request)
    evidence = entry.get("evidence") or {}
    in_month = sorted((events[i][1], i) for i in evidence.get("event_ids") or [] if i in events
                      and start <= events[i][1].date() <= end)
    if len(in_month) == count:
        return [(at.date(), unit, (i,)) for at, i in in_month]
    days = sorted({dt.date.fromisoformat(d) for d in ISO_DATE.findall(f"{words} {evidence.get('note') or ''}")
                   if start <= dt.date.fromisoformat(d) <= end})
    if len(days) == count:
        return [(day, unit, tuple(i for at, i in in_month if at.date() == day)) for day in days]
    return None


def _director_grids(person_ids: list[int], start: dt.date, end: dt.date) -> dict[int, list[int]]:
    rows = db.session.execute(select(Assignment.person_id, Assignment.grid_id).where(
        Assignment.person_id.in_(person_ids), Assignment.role == "chashan.grid_director",
        Assignment.grid_id.is_not(None), Assignment.starts_on < end,
        or_(Assignment.ends_on.is_(None), Assignment.ends_on >= start)).order_by(Assignment.starts_on)).all()
    out: dict[int, list[int]] = {}
    for person, grid in rows:
        if grid not in out.setdefault(person, []):
            out[person].append(grid)
    return out


def build_director_ledger(request: ReportRequest) -> ReportTable:
    sheet = _sheet(request)
    locale = request.locale
    settings = get_settings(_tenant(), "chashan")
    results = _results(request)
    grids_of = _director_grids([r.subject_id for r in results], request.run.period_start, request.run.period_end)
    subtree = _grid_subtree(request.grid_id)
    if subtree is not None:
        results = [r for r in results if set(grids_of.get(r.subject_id, [])) & subtree]
    grid_names = dict(db.session.execute(select(Grid.id, Grid.name).where(
        Grid.id.in_({g for v in grids_of.values() for g in v}))).all()) if grids_of else {}
    events = _event_facts({i for r in results for entry in r.items or []
                           for i in (entry.get("evidence") or {}).get("event_ids") or []})
    reward, fine = request.title("奖励", "Reward"), request.title("罚款", "Fine")
    rows, grand = [], ZERO
    for r in sorted(results, key=lambda r: (grid_names.get((grids_of.get(r.subject_id) or [0])[0], ""), r.subject_name)):
        who = r.subject_name or f"#{r.subject_id}"
        grid = "、".join(grid_names.get(g, f"#{g}") for g in grids_of.get(r.subject_id, []))
        for entry in r.items or []:
            money = _dec(entry.get("money")) or ZERO
            if not money:
                continue
            title = _item_title(sheet, entry, locale)
            for first, words, amount in _month_parts(entry, money, request.run.period_start, request.run.period_end):
                if not amount:
                    continue
                kind = reward if amount > 0 else fine
                split = _occasions(entry.get("key"), amount, first, words, entry, events, settings, request)
                if split:
                    for day, unit, ids in split:
                        rows.append({"director": who, "grid": grid, "date": day, "item": title, "kind": kind,
                                     "amount": unit, "evidence": _describe(ids, events, locale) or words,
                                     "rule": f"¥{unit:+.2f} × 1"})
                    continue
                evidence = entry.get("evidence") or {}
                shown = [_describe(evidence.get("event_ids") or [], events, locale)]
                if evidence.get("case_ids"):
                    shown.append(request.title("案件 ", "cases ") + ", ".join(f"#{i}" for i in evidence["case_ids"]))
                if evidence.get("note"):
                    shown.append(str(evidence["note"]))
                rows.append({"director": who, "grid": grid, "date": _month_end(first, request), "item": title,
                             "kind": kind, "amount": amount, "evidence": "; ".join(s for s in shown if s),
                             "rule": words})
        rows.append({"director": who, "grid": grid, "item": request.title("合计", "Total"),
                     "kind": request.title("小计", "Subtotal"), "amount": r.money})
        grand += r.money
    if len(results) > 1:
        rows.append({"director": request.title("全部网格室主任", "All directors"), "item": request.title("总计", "Grand total"),
                     "kind": request.title("总计", "Total"), "amount": grand})
    return ReportTable(
        title=request.title("网格长月度奖惩台账", "Grid director monthly ledger"), subtitle=_subtitle(request, sheet),
        columns=[Column("director", "网格室主任", "Director"), Column("grid", "网格", "Grid"),
                 Column("date", "日期", "Date", "date"), Column("item", "奖惩项目", "Item"),
                 Column("kind", "类别", "Kind"), Column("amount", "金额（元）", "Amount (CNY)", "money"),
                 Column("evidence", "依据", "Evidence"), Column("rule", "计算说明", "Rule")],
        rows=rows,
        notes=[request.title("奖励为正数，罚款为负数；按次计的奖惩每次一行，按月计的项目记于当月最后一天。",
                             "Rewards are positive, fines negative; per-occasion lines have one row per occasion, "
                             "monthly items are dated the month's last day.")])


# -- 社区季度考核排名 ---------------------------------------------------------------------------------


def build_community_ranking(request: ReportRequest) -> ReportTable:
    sheet = _sheet(request)
    locale = request.locale
    subtree = _grid_subtree(request.grid_id)
    results = _results(request, subtree)
    items = list(sheet.items) if sheet else []
    point_items = [i for i in items if i.role == "points"]
    columns = [Column("rank", "名次", "Rank", "int"), Column("community", "社区", "Community")]
    columns += [Column(f"item_{i.key}", i.title_zh, i.title_en, "decimal") for i in point_items]
    columns += [Column("bonus", "加分", "Bonus", "decimal"), Column("penalty", "扣分", "Penalty", "decimal"),
                Column("total", "总分", "Total", "decimal"), Column("grade", "等次", "Grade"),
                Column("award", "奖励（元）", "Award (CNY)", "money"), Column("vetoes", "一票否决", "Vetoes")]
    rows = []
    for r in results:
        row = {"rank": r.rank, "community": r.subject_name or f"#{r.subject_id}", "bonus": r.bonus,
               "penalty": r.penalty, "total": r.total, "grade": grade_title(sheet, r.grade, locale),
               "award": r.money, "vetoes": _flags(r.vetoes)}
        for item in point_items:
            row[f"item_{item.key}"] = _dec(_line(r, item.key).get("points"))
        rows.append(row)
    return ReportTable(
        title=request.title("社区季度考核排名", "Community quarterly ranking"), subtitle=_subtitle(request, sheet),
        columns=columns, rows=rows,
        notes=[request.title("总分 = 各项得分 + 加分 − 扣分；优秀社区奖励按设置发放。",
                             "Total = item points + bonus − penalty; an excellent community earns the set award.")])


# -- 街道科室季度考核明细 -------------------------------------------------------------------------------


def build_department_sheets(request: ReportRequest) -> ReportTable:
    sheet = _sheet(request)
    locale = request.locale
    results = _results(request)
    if request.grid_id is not None:
        from gridgov.models import Unit

        subtree = _grid_subtree(request.grid_id)
        attached = set(db.session.scalars(select(Unit.id).where(Unit.grid_id.in_(subtree)))) if subtree else set()
        results = [r for r in results if r.subject_id in attached]
    rows = []
    for r in sorted(results, key=lambda r: (r.rank, r.subject_name)):
        who = r.subject_name or f"#{r.subject_id}"
        for entry in r.items or []:
            rows.append({"department": who, "item": _item_title(sheet, entry, locale),
                         "points": _dec(entry.get("points")), "max_points": _dec(entry.get("max_points")),
                         "rule": entry.get("rule") or "", "evidence": _evidence_note(entry)})
        rows.append({"department": who, "item": request.title("总分", "Total"), "points": r.total,
                     "max_points": sum((_dec(e.get("max_points")) or ZERO for e in r.items or []), ZERO),
                     "rule": f"{request.title('名次', 'rank')} {r.rank} · {grade_title(sheet, r.grade, locale)}",
                     "evidence": _flags(r.vetoes)})
    return ReportTable(
        title=request.title("街道科室季度考核明细", "Street department quarterly sheets"),
        subtitle=_subtitle(request, sheet), rows=rows,
        columns=[Column("department", "科室", "Department"), Column("item", "考核项目", "Item"),
                 Column("points", "得分", "Points", "decimal"), Column("max_points", "满分", "Maximum", "decimal"),
                 Column("rule", "扣分说明", "Rule applied"), Column("evidence", "依据", "Evidence")])


def _evidence_note(entry: dict) -> str:
    evidence = entry.get("evidence") or {}
    parts = []
    if evidence.get("event_ids"):
        parts.append("事件 " + ", ".join(f"#{i}" for i in evidence["event_ids"]))
    if evidence.get("case_ids"):
        parts.append("案件 " + ", ".join(f"#{i}" for i in evidence["case_ids"]))
    if evidence.get("note"):
        parts.append(str(evidence["note"]))
    judged = evidence.get("judged") or {}
    if judged:
        parts.append(f"{judged.get('entered_by', '')}: {judged.get('reason', '')}".strip(": "))
    return "; ".join(parts)


# -- 社区年度考核汇总 ---------------------------------------------------------------------------------


def _quarter_totals(result: AssessmentResult, year: int) -> dict[int, Decimal]:
    """{quarter 1–4: total} from the quarter runs the annual run read (named in its evidence)."""
    note = (_line(result, "quarters").get("evidence") or {}).get("note") or ""
    match = RUN_IDS.search(note)
    run_ids = [int(x) for x in re.findall(r"\d+", match.group(1))] if match else []
    if not run_ids:
        return {}
    rows = db.session.execute(
        select(AssessmentResult.total, AssessmentResult.run_id)
        .where(AssessmentResult.run_id.in_(run_ids), AssessmentResult.subject_id == result.subject_id)).all()
    from gridgov.models.assessment import AssessmentRun

    starts = dict(db.session.execute(select(AssessmentRun.id, AssessmentRun.period_start)
                                     .where(AssessmentRun.id.in_(run_ids))).all())
    return {(starts[run_id].month - 1) // 3 + 1: total for total, run_id in rows
            if run_id in starts and starts[run_id].year == year}


def build_annual_summary(request: ReportRequest) -> ReportTable:
    sheet = _sheet(request)
    locale = request.locale
    results = _results(request, _grid_subtree(request.grid_id))
    year = request.run.period_start.year
    rows = []
    for r in results:
        quarters = _quarter_totals(r, year)
        row = {"rank": r.rank, "community": r.subject_name or f"#{r.subject_id}",
               "annual": _dec(_line(r, "quarters").get("points")), "total": r.total,
               "award": r.money,
               "flags": _flags(r.flags), "vetoes": _flags(r.vetoes)}
        for q in range(1, 5):
            row[f"q{q}"] = quarters.get(q)
        rows.append(row)
    settings = get_settings(_tenant(), "chashan")
    basis = settings.get("annual_ranking_basis", "mean_of_quarters")
    return ReportTable(
        title=request.title("社区年度考核汇总", "Community annual summary"), subtitle=_subtitle(request, sheet),
        columns=[Column("rank", "名次", "Rank", "int"), Column("community", "社区", "Community")]
        + [Column(f"q{q}", f"第{q}季度得分", f"Q{q} total", "decimal") for q in range(1, 5)]
        + [Column("annual", "年度得分", "Annual figure", "decimal"),
           Column("award", "挂点人员奖励（元）", "Staff award (CNY)", "money"),
           Column("flags", "评先评优", "Honours"), Column("vetoes", "一票否决", "Vetoes")],
        rows=rows,
        notes=[request.title(
            "年度得分为已公布季度得分的" + ("平均分" if basis == "mean_of_quarters" else "合计") + "；年度第一名社区的挂点街道人员每人奖励"
            f"{settings.get('annual_award_per_staff')}元。",
            "The annual figure is the " + ("mean" if basis == "mean_of_quarters" else "sum")
            + f" of the published quarters; the first community's attached staff earn ¥{settings.get('annual_award_per_staff')} each.")])


REPORTS = [
    Report("director_ledger", "网格长月度奖惩台账", "Grid director monthly ledger", build_director_ledger,
           needs="run", sheets=DIRECTOR_SHEETS, published_readers=False,
           description="每一笔奖励和罚款：日期、金额及依据，按网格室主任小计。"),
    Report("community_ranking", "社区季度考核排名", "Community quarterly ranking", build_community_ranking,
           needs="run", sheets=(COMMUNITY_SHEET,), published_readers=True,
           description="名次、各项得分、加分、扣分、总分、等次及奖励金额。"),
    Report("department_sheets", "街道科室季度考核明细", "Street department quarterly sheets", build_department_sheets,
           needs="run", sheets=(DEPARTMENT_SHEET,), published_readers=False,
           description="各科室每一考核项目的得分、满分及扣分说明。"),
    Report("annual_summary", "社区年度考核汇总", "Community annual summary", build_annual_summary,
           needs="run", sheets=(ANNUAL_SHEET,), published_readers=True,
           description="名次、四个季度得分、年度得分、挂点人员奖励及评先标记。"),
]
