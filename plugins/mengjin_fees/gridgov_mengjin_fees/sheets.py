"""The three monthly sheets of the Mengjin method, assessed by the general office (综合办公室).

* A — the comprehensive service group (综合服务组), units of kind ``service_group``: 100 points
  less each deduction of SCHEMES.md, floored at 0 (扣完为止, setting
  ``service_group_floor_at_zero``). Every line names the records that cost its points.
* B — branch association cadres (分会干部): five duties judged 0–10, out of 50, shown as points
  and as a percentage; graded on the 50-point thresholds (setting ``cadre_grade_bands``).
* C — grid responsible persons (网格责任人), and anyone whose assignment names this sheet in
  ``sheet_override`` (邵军, a cadre assessed as a grid responsible person): ten duties judged
  0–10, each beside the system's own evidence for it.
"""
from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from gridgov import workdays
from gridgov.assessment import Evidence, ItemScore, SubjectScore, Tally, shortfall_steps
from gridgov.extensions import db
from gridgov.models import Case, Event, Grid, Unit
from gridgov.models.grids import PATH_END
from gridgov.operations.events import superseded_condition
from gridgov.plugins import Sheet, SheetItem

from .forms import CONSUMER_COMPLAINT, MARKET_TOPICS, RAISED_PROBLEM
from .places import INDIVIDUAL, SUPERVISION_LEVELS, register
from .settings import CADRE_BANDS, VIOLATION_RULES, deduction_field

ZERO, TEN, HUNDRED = Decimal(0), Decimal(10), Decimal(100)
NS = "mengjin_fees."
SERVICE_GROUP_SHEET = NS + "service_group"
BRANCH_CADRE_SHEET = NS + "branch_cadre"
GRID_RESPONSIBLE_SHEET = NS + "grid_responsible"


def _penalty(key, zh, en, **kw) -> SheetItem:
    return SheetItem(key, zh, en, role="penalty", **kw)


# -- sheet A: the comprehensive service group ---------------------------------------------------

SERVICE_ITEMS = (
    SheetItem("base", "基础分", "Starting score", HUNDRED),
    _penalty("complaint_verified", "1 刁难、拖延或未一次性告知引起投诉（每次扣2分）", "1 Verified complaints"),
    _penalty("licence_rate", "1 个体验照率低于80%（每差一户扣1分）", "1 Licence inspection rate below 80 %"),
    _penalty("info_late", "2 未按时收集上报工作情况", "2 Work information reported late"),
    _penalty("handover_missed", "2 交接工作延误或遗漏", "2 Hand-over delayed or missed"),
    _penalty("document_unregistered", "3 文件未按规定登记", "3 Documents not registered"),
    _penalty("document_lost", "3 遗失文件", "3 Documents lost"),
    _penalty("seal_misused", "3 印章使用和管理不当（扣3分）", "3 Seal misused"),
    _penalty("letter_unregistered", "4 来信来电来访错登、漏登", "4 Letters, calls, visits not registered"),
    _penalty("letter_unhandled", "4 来信来电来访不落实或延期上报", "4 Letters, calls, visits not acted on"),
    _penalty("finance_breach", "5 违反财务管理规定（扣5分）", "5 Finance rules breached"),
    _penalty("complaint_315_unreported", "6 “3.15”申诉未按规定收集上报", "6 \"3.15\" complaints not reported"),
    _penalty("forms_supply", "7 未及时为巡查组提供文书表格（视情况扣分）", "7 Forms not supplied in time (judged)",
             max_points=TEN, kind="judged"),
    _penalty("briefs", "8 每月工作简报不少于3篇（每少一篇扣1分）", "8 Fewer than 3 work briefs"),
    _penalty("no_targets", "9 未制定工作目标或责任书", "9 No work targets or responsibility letters"),
    _penalty("training_missed", "10 未组织政治、业务学习和培训", "10 Study or training not organised"),
    _penalty("late_replies", "11 反映问题5个工作日内未落实答复", "11 Problems not answered within 5 working days"),
    _penalty("statistics", "12 每周工作量统计、每月25至30日考核未完成（每次扣2分）",
             "12 Weekly statistics or the monthly assessment (25th–30th) not done"),
    SheetItem("floor", "扣完为止（总分不低于0）", "Floor at 0 (扣完为止)", role="bonus"),
)


def split_by(facts, tallies: dict, field: str, values) -> dict:
    """{value: {subject: Tally}}: the subjects' events of one count split by a payload field.
    One count and one read of the (few) counted events' payloads, instead of a count per
    value; the payloads read are written to the facts log."""
    ids = sorted({i for t in tallies.values() for i in t.event_ids})
    found = dict(db.session.execute(select(Event.id, Event.payload).where(Event.id.in_(ids))).all()) if ids else {}
    value_of = {i: (found.get(i) or {}).get(field) for i in ids}
    facts.log.append(["mengjin_fees.split_by", field, sorted(value_of.items())])
    return {v: {sid: Tally(len(m := tuple(i for i in t.event_ids if value_of[i] == v)), m)
                for sid, t in tallies.items()} for v in values}


def _unit_grids(facts) -> dict[int, int | None]:
    """{service group: the grid it is attached to (挂点), or None}."""
    rows = dict(db.session.execute(select(Unit.id, Unit.grid_id).where(Unit.id.in_(list(facts.subjects)))).all())
    facts.log.append(["mengjin_fees.unit_grids", {str(k): v for k, v in sorted(rows.items())}])
    return {sid: rows.get(sid) for sid in facts.subjects}


def _licence_inspected(facts, place_ids: list[int]) -> dict[int, int]:
    """{household: a licence inspection event} done this year up to the period's end."""
    if not place_ids:
        return {}
    year_start = facts.period_start.replace(month=1, day=1)
    start = dt.datetime.combine(year_start, dt.time(0), tzinfo=facts.tz)
    rows = db.session.execute(select(Event.place_id, Event.id).where(
        Event.type == NS + "licence_inspection", Event.place_id.in_(place_ids), Event.occurred_at >= start,
        Event.occurred_at < facts.end, ~superseded_condition()).order_by(Event.id)).all()
    found: dict[int, int] = {}
    for place_id, event_id in rows:
        found.setdefault(place_id, event_id)
    facts.log.append(["mengjin_fees.licence_inspected", sorted(found.items())])
    return found


def licence_item(facts, due_ids) -> ItemScore:
    """1b: the individual businesses whose licence inspection falls due in the period's month
    (register attribute ``licence_inspection_month``, in the unit's grid subtree: ``due_ids``)
    against those inspected by its end; below the rate, ceil(rate × due) − done households
    short, each −1."""
    s = facts.settings
    done = _licence_inspected(facts, list(due_ids))
    required = s["licence_inspection_rate"] * len(due_ids) / HUNDRED
    short = shortfall_steps(Decimal(len(done)), required, Decimal(1))  # households: ceil(required − done)
    if not due_ids:
        return ItemScore("licence_rate", ZERO, "nothing due (100 %)", nothing_due=True)
    rate = (Decimal(len(done)) * 100 / len(due_ids)).quantize(Decimal("0.1"))
    rule = (f"{len(done)}/{len(due_ids)} inspected = {rate} %; ≥ {s['licence_inspection_rate']} % required: "
            f"{short} households short × {s['deduct_licence_shortfall']}")
    missing = [str(i) for i in due_ids if i not in done]
    return ItemScore("licence_rate", s["deduct_licence_shortfall"] * short, rule,
                     Evidence(event_ids=tuple(sorted(done.values())),
                              note=f"未验照户（place id）: {', '.join(missing)}" if missing else ""))


def late_reply_case_ids(facts, unit_id: int, grid_id: int | None) -> tuple[list[int], list[str]]:
    """11: problems raised with the service group (cases of ``raised_problem`` handled by it, or
    not yet dispatched in its grids) whose reply deadline — ``reply_working_days`` working days
    of the official calendar after the day raised — passed in the period with no reply
    (resolution) before it. A miss counts in the month its deadline passes."""
    n = facts.settings["reply_working_days"]
    earliest = facts.start - dt.timedelta(days=2 * n + 21)  # the longest holiday cannot stretch further
    mine = Case.unit_id == unit_id
    if grid_id is not None:
        place, root = aliased(Grid), aliased(Grid)
        in_grid = select(place.id).join(root, and_(root.id == grid_id, place.path >= root.path,
                                                   place.path < root.path + PATH_END))
        mine = or_(mine, and_(Case.unit_id.is_(None), Case.grid_id.in_(in_grid)))
    rows = db.session.execute(select(Case.id, Case.number, Case.reported_at, Case.resolved_at).where(
        Case.category == RAISED_PROBLEM, Case.state != "rejected", Case.reported_at >= earliest,
        Case.reported_at < facts.end, mine).order_by(Case.id)).all()
    now = dt.datetime.now(dt.timezone.utc)
    late, notes = [], []
    for case_id, number, reported, resolved in rows:
        deadline = workdays.add_working_days(reported, n, facts.tz)
        if not facts.start < deadline <= facts.end or deadline > now:
            continue  # counted in another month, or not yet due
        if resolved is None or resolved > deadline:
            late.append(case_id)
            notes.append(f"{number} 限{deadline.astimezone(facts.tz).date() - dt.timedelta(days=1)}")
    facts.log.append(["mengjin_fees.late_replies", unit_id, grid_id, n, late])
    return late, notes


def _week_days(facts) -> list[tuple[dt.date, dt.date]]:
    """The period's weeks (ISO: by their Thursday) that hold a working day."""
    weeks = facts.weeks()
    working = set(facts.working_days(weeks[0][0], weeks[-1][1] + dt.timedelta(days=1))) if weeks else set()
    return [(monday, sunday) for monday, sunday in weeks if any(monday <= d <= sunday for d in working)]


def assessment_window(settings, month_start: dt.date) -> tuple[dt.date, dt.date]:
    """The monthly assessment window of ``month_start``'s month: the 25th to the 30th by default,
    the last day of a shorter month standing in for a day it lacks."""
    last = calendar.monthrange(month_start.year, month_start.month)[1]
    first_day = min(settings["assessment_window_start"], last)
    last_day = min(settings["assessment_window_end"], last)
    return month_start.replace(day=first_day), month_start.replace(day=last_day)


def statistics_item(facts, sid, weeks, weekly, monthly) -> ItemScore:
    """12: a week (with a working day) without the weekly statistics, and a month without the
    monthly assessment recorded inside its window, each −2."""
    per = facts.settings["deduct_missed_statistics"]
    missed = [f"{monday.isoformat()}周" for monday, sunday in weeks
              if not any(monday <= d <= sunday for d in weekly[sid].by_day)]
    first, last = assessment_window(facts.settings, facts.period_start)
    in_window = [d for d in monthly[sid].by_day if first <= d <= last]
    if not in_window:
        missed.append(f"月度考核（{first.day}日至{last.day}日）")
    rule = (f"{per} × {len(missed)} missed ({len(weeks)} weeks with a working day, "
            f"monthly assessment {first.isoformat()}–{last.isoformat()})")
    return ItemScore("statistics", per * len(missed), rule,
                     Evidence(event_ids=weekly[sid].event_ids + monthly[sid].event_ids, note="; ".join(missed)))


def score_service_group(facts) -> dict:
    s = facts.settings
    grids = _unit_grids(facts)
    due = facts.places(INDIVIDUAL, attributes={"licence_inspection_month": facts.period_start.month})
    violations = split_by(facts, facts.count(NS + "violation"), "rule", VIOLATION_RULES)
    briefs = facts.count(NS + "work_brief")
    weeks = _week_days(facts)
    weekly = facts.count(NS + "weekly_statistics", daily=True, span="weeks")
    monthly = facts.count(NS + "monthly_assessment", daily=True)
    judged = facts.judged("forms_supply")
    out = {}
    for sid in facts.subjects:
        items = [ItemScore("base", HUNDRED, "starts at 100")]
        for rule in VIOLATION_RULES:
            tally, per = violations[rule][sid], s[deduction_field(rule)]
            items.append(ItemScore(rule, per * tally.count, f"{per} × {tally.count} recorded",
                                   Evidence(event_ids=tally.event_ids)))
        grid = grids[sid]
        items.append(licence_item(facts, due[sid].place_ids))
        entry = judged.get(sid)
        items.append(ItemScore("forms_supply", entry.points if entry else ZERO,
                               "judged by the office, with reason" if entry else "none entered",
                               Evidence(judged=entry)))
        missing = max(0, s["briefs_per_month"] - briefs[sid].count)
        items.append(ItemScore("briefs", s["deduct_missing_brief"] * missing,
                               f"{briefs[sid].count} of {s['briefs_per_month']} briefs: {missing} missing × "
                               f"{s['deduct_missing_brief']}", Evidence(event_ids=briefs[sid].event_ids)))
        late, notes = late_reply_case_ids(facts, sid, grid)
        items.append(ItemScore("late_replies", s["deduct_late_reply"] * len(late),
                               f"{s['deduct_late_reply']} × {len(late)} not answered within "
                               f"{s['reply_working_days']} working days", Evidence(case_ids=tuple(late),
                                                                                   note="; ".join(notes))))
        items.append(statistics_item(facts, sid, weeks, weekly, monthly))
        left = HUNDRED - sum((i.points for i in items[1:]), ZERO)
        floor = -left if left < 0 and s["service_group_floor_at_zero"] else ZERO
        items.append(ItemScore("floor", floor, f"扣完为止: {left} → 0" if floor else "not needed"))
        out[sid] = SubjectScore(items=items)
    return out


SERVICE_GROUP = Sheet("service_group", "综合服务组月度考核", "Comprehensive service group monthly assessment",
                      "unit", "month", items=SERVICE_ITEMS, score=score_service_group, unit_kinds=("service_group",),
                      description="孟津 A：综合服务组百分制，按违规记录、验照率、简报、答复时限、统计考核扣分，扣完为止。")


# -- sheet B: branch association cadres ------------------------------------------------------------

CADRE_ITEMS = (
    SheetItem("support", "1 帮助支持组长、理事开展工作，发挥个协“三自”作用", "1 Support group leaders; self-help role",
              TEN, kind="judged"),
    SheetItem("study", "2 组织个体户学习及各项有益活动", "2 Organise study and activities", TEN, kind="judged"),
    SheetItem("tasks", "3 完成区个协布置的各项工作任务", "3 Finish the tasks assigned", TEN, kind="judged"),
    SheetItem("records", "4 分会管理资料齐全，按时报送报表", "4 Complete records, reports on time", TEN, kind="judged"),
    SheetItem("fees", "5 完成会费收取工作", "5 Collect membership fees", TEN, kind="judged"),
    SheetItem("percentage", "得分率（满分50分）", "Share of the 50 points"),
)


def _judged(key, entries, sid, evidence: Evidence = Evidence()) -> ItemScore:
    entry = entries.get(sid)
    rule = f"judged by {entry.entered_by}" if entry else "not entered: 0"
    return ItemScore(key, entry.points if entry else ZERO, rule,
                     Evidence(evidence.event_ids, evidence.case_ids, entry, evidence.note))


def plain(value: Decimal) -> str:
    """Points as people write them: 36, 36.5 (not 36.00)."""
    text = f"{Decimal(value):.1f}"
    return text[:-2] if text.endswith(".0") else text


def score_branch_cadre(facts) -> dict:
    keys = [i.key for i in CADRE_ITEMS if i.kind == "judged"]
    judged = {key: facts.judged(key) for key in keys}
    out = {}
    for sid in facts.subjects:
        items = [_judged(key, judged[key], sid) for key in keys]
        total = sum((i.points for i in items), ZERO)
        percent = (total * 100 / 50).quantize(Decimal("0.1"))
        items.append(ItemScore("percentage", None, f"{plain(total)} / 50 = {percent} %"))
        out[sid] = SubjectScore(items=items)
    return out


BRANCH_CADRE = Sheet("branch_cadre", "分会干部月度考核", "Branch association cadre monthly assessment", "person",
                     "month", items=CADRE_ITEMS, score=score_branch_cadre, roles=(NS + "branch_cadre",),
                     grade_bands=CADRE_BANDS, bands_setting="cadre_grade_bands",
                     description="孟津 B：分会干部五项职责各10分，满分50分，并折算百分比。")


# -- sheet C: grid responsible persons -----------------------------------------------------------

GRID_ITEMS = (
    SheetItem("patrol_register", "1 网格巡查及“经济户口”纸质与微机台账相符", "1 Patrols; register on paper matching the computer",
              TEN, kind="judged"),
    SheetItem("market_safety", "2 市场消防、食品安全检查及责任书", "2 Market fire and food safety", TEN, kind="judged"),
    SheetItem("market_rectification", "3 市场整治", "3 Market rectification", TEN, kind="judged"),
    SheetItem("red_shield", "4 红盾护农行动", "4 \"Red Shield\" farm-market work", TEN, kind="judged"),
    SheetItem("honest_market", "5 诚信市场创建", "5 Honest-market creation", TEN, kind="judged"),
    SheetItem("graded_supervision", "6 四访四知四做到，按风险度、信用度分类分级监管", "6 Risk- and credit-graded supervision",
              TEN, kind="judged"),
    SheetItem("registration_complaints", "7 登记、验照、案件及消费投诉受理", "7 Registration, inspection, complaints",
              TEN, kind="judged"),
    SheetItem("lawful_procedure", "8 依法行政，及时处理申（投）诉", "8 Lawful procedure, complaints handled in time",
              TEN, kind="judged"),
    SheetItem("four_clears", "9 “四个清楚”及相关台账", "9 The \"four clears\" registers", TEN, kind="judged"),
    SheetItem("fees_tasks", "10 督促按时交纳规费，完成交办任务", "10 Fees urged; assigned tasks", TEN, kind="judged"),
)


def complaints(facts, grid_ids: list[int]) -> dict[int, list[tuple]]:
    """{grid: consumer complaints reported in the period in it or below}, one query:
    (id, number, reported_at, resolved_at, resolve_due_at) each."""
    out: dict[int, list[tuple]] = {g: [] for g in grid_ids}
    if grid_ids:
        place, root = aliased(Grid), aliased(Grid)
        rows = db.session.execute(
            select(root.id, Case.id, Case.number, Case.reported_at, Case.resolved_at, Case.resolve_due_at)
            .join(place, place.id == Case.grid_id)
            .join(root, and_(root.id.in_(grid_ids), place.path >= root.path, place.path < root.path + PATH_END))
            .where(Case.category == CONSUMER_COMPLAINT, Case.reported_at >= facts.start, Case.reported_at < facts.end)
            .order_by(root.id, Case.id)).all()
        for root_id, *row in rows:
            out[root_id].append(tuple(row))
    facts.log.append(["mengjin_fees.complaints", {str(g): [[r[0], r[2].isoformat(), r[3].isoformat() if r[3] else None]
                                                          for r in rows] for g, rows in out.items()}])
    return out


def complaint_evidence(rows) -> dict:
    """Received, resolved, resolved late or still open past the deadline, mean handling hours."""
    resolved = [r for r in rows if r[3] is not None]
    late = [r for r in rows if r[4] is not None and (r[3] or dt.datetime.max.replace(tzinfo=dt.timezone.utc)) > r[4]
            and (r[3] is not None or r[4] < dt.datetime.now(dt.timezone.utc))]
    hours = [Decimal((r[3] - r[2]).total_seconds()) / 3600 for r in resolved]
    mean = (sum(hours, ZERO) / len(hours)).quantize(Decimal("0.1")) if hours else None
    return {"received": len(rows), "resolved": len(resolved), "late": len(late), "mean_hours": mean,
            "ids": tuple(r[0] for r in rows), "late_ids": tuple(r[0] for r in late)}


def _households(registers: dict, grid_ids: list[int]) -> list:
    seen, out = set(), []
    for g in grid_ids:
        for h in registers.get(g, []):
            if h.id not in seen:
                seen.add(h.id)
                out.append(h)
    return out


def _pct(part: int, whole: int) -> str:
    return "—" if not whole else f"{(Decimal(part) * 100 / whole).quantize(Decimal('0.1'))} %"


def grid_evidence(facts) -> dict[int, dict[str, Evidence]]:
    """{subject: {item: the system's evidence}} for sheet C: patrols in the person's grids (and
    by them), the register of those grids (paper and computer records matching, grades,
    industries), market checks by topic, licence inspections, return visits, fee notices and
    consumer complaints with their handling times."""
    grids = {sid: facts.subject_grids(sid) for sid in facts.subjects}
    every_grid = sorted({g for ids in grids.values() for g in ids})
    registers = register(facts, every_grid)
    cases = complaints(facts, every_grid)
    patrols = facts.count(NS + "patrol", by="grid")
    own = facts.count(NS + "patrol", by="actor")
    topics = split_by(facts, facts.count(NS + "market_check", by="grid"), "topic", MARKET_TOPICS)
    inspections = facts.count(NS + "licence_inspection", by="grid")
    visits = facts.count(NS + "return_visit", by="grid")
    fees = facts.count(NS + "fee_notice", by="grid")
    paid = split_by(facts, fees, "paid", (True,))[True]
    out = {}
    for sid in facts.subjects:
        homes = _households(registers, grids[sid])
        matching = sum(1 for h in homes if h.paper_matches)
        levels = {k: sum(1 for h in homes if h.supervision == k) for k in SUPERVISION_LEVELS}
        industries = {h.industry for h in homes if h.industry}
        c = complaint_evidence(sorted({row for g in grids[sid] for row in cases[g]}))

        def checks(*names):
            ids = tuple(i for n in names for i in topics[n][sid].event_ids)
            return ids, "；".join(f"{MARKET_TOPICS[n]} {topics[n][sid].count} 次" for n in names)

        where = "（未分配网格）" if not grids[sid] else ""
        safety_ids, safety_note = checks("fire_safety", "food_safety", "responsibility")
        fix_ids, fix_note = checks("rectification")
        red_ids, red_note = checks("red_shield")
        honest_ids, honest_note = checks("honest_market")
        mean = "—" if c["mean_hours"] is None else f"{c['mean_hours']} 小时"
        out[sid] = {
            "patrol_register": Evidence(
                event_ids=patrols[sid].event_ids + own[sid].event_ids,
                note=f"责任网格内巡查 {patrols[sid].count} 次{where}，本人记录 {own[sid].count} 次；经济户口 {len(homes)} 户，"
                     f"纸质与微机档案相符 {matching} 户（{_pct(matching, len(homes))}）"),
            "market_safety": Evidence(event_ids=safety_ids, note=safety_note),
            "market_rectification": Evidence(event_ids=fix_ids, note=fix_note),
            "red_shield": Evidence(event_ids=red_ids, note=red_note),
            "honest_market": Evidence(event_ids=honest_ids, note=honest_note),
            "graded_supervision": Evidence(
                event_ids=visits[sid].event_ids,
                note="；".join(f"{SUPERVISION_LEVELS[k]} {n} 户" for k, n in levels.items())
                     + f"；回访 {visits[sid].count} 次"),
            "registration_complaints": Evidence(
                event_ids=inspections[sid].event_ids, case_ids=c["ids"],
                note=f"验照 {inspections[sid].count} 户次；受理消费投诉 {c['received']} 件，已处理 {c['resolved']} 件，"
                     f"平均处理时长 {mean}"),
            "lawful_procedure": Evidence(
                case_ids=c["late_ids"],
                note=f"消费投诉 {c['received']} 件，超过处置时限 {c['late']} 件"),
            "four_clears": Evidence(note=f"经济户口 {len(homes)} 户，行业 {len(industries)} 个，"
                                         f"已登记行业 {sum(1 for h in homes if h.industry)} 户"),
            "fees_tasks": Evidence(event_ids=fees[sid].event_ids,
                                   note=f"督促交纳规费 {fees[sid].count} 次，已交纳 {paid[sid].count} 次"),
        }
    return out


def score_grid_responsible(facts) -> dict:
    evidence = grid_evidence(facts)
    judged = {item.key: facts.judged(item.key) for item in GRID_ITEMS}
    return {sid: SubjectScore(items=[_judged(item.key, judged[item.key], sid, evidence[sid][item.key])
                                     for item in GRID_ITEMS])
            for sid in facts.subjects}


GRID_RESPONSIBLE = Sheet("grid_responsible", "网格责任人月度考核", "Grid responsible person monthly assessment",
                         "person", "month", items=GRID_ITEMS, score=score_grid_responsible,
                         roles=(NS + "grid_responsible",),
                         description="孟津 C：网格责任人十项职责各10分，每项旁列系统证据（巡查、经济户口、投诉处理）。")

SHEETS = [SERVICE_GROUP, BRANCH_CADRE, GRID_RESPONSIBLE]
