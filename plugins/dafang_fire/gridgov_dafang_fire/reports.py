"""The Dafang reports (报表), rendered by the core as console pages, CSV, XLSX and JSON.

* ``headline`` / ``headline_quarter`` / ``headline_year`` (工作情况统计) — for a month, quarter
  or year and an optional area (``grid_id``: the county, a big grid, a small grid): per big grid
  and in total, units checked, hazards found and rectified, rectification orders, temporary
  seals, three-stops, penalty decisions, fines in ¥, detentions, publicity sessions.
* ``station_monthly`` (派出所月度网上监管) — each big grid's units checked in the month against
  its quota (setting ``station_monthly_quota``), and the one-vote veto (一票否决) of a big grid
  with a fatal fire that month.
* ``hazard_ledger`` (火灾隐患台账) — the hazard cases reported in a month, with their state,
  responsible unit, hand-offs and government listing deadline.
* ``grid_responsibility`` (网格责任体系) — every big and small grid and grid room with its first
  responsible person; grid rooms staffed otherwise than the settings (2 officers, 1 assistant)
  are flagged.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select

from gridgov.extensions import db
from gridgov.models import Assignment, Case, Event, Grid, Person, Place, Unit
from gridgov.models.cases import HandOff
from gridgov.operations import tenants as tenant_ops
from gridgov.operations.cases import STATES
from gridgov.operations.events import superseded_condition
from gridgov.plugins import Report
from gridgov.reports import Column, ReportTable, tenant_tz
from gridgov.tenancy import current_tenant_id

from .forms import MEASURES
from .hazards import CATEGORY

P = "dafang_fire."
FIRST_RESPONSIBLE = (P + "station_head", P + "village_director")


def settings() -> dict:
    from gridgov.models import Tenant

    return tenant_ops.get_settings(db.session.get(Tenant, current_tenant_id()), "dafang_fire")


def _bounds(request) -> tuple[dt.datetime, dt.datetime]:
    tz = ZoneInfo(tenant_tz())
    return (dt.datetime.combine(request.period_start, dt.time(), tz),
            dt.datetime.combine(request.period_end, dt.time(), tz))


def _grids() -> dict[int, Grid]:
    return {g.id: g for g in db.session.scalars(select(Grid))}


def _big_of(grid: Grid) -> int | None:
    """The big grid (level 1) a grid lies in, None for the county."""
    ids = grid.ancestor_ids + [grid.id]
    return ids[1] if len(ids) > 1 else None


def _area(request, grids) -> set[int]:
    if request.grid_id is None:
        return set(grids)
    return {g.id for g in grids.values() if request.grid_id in g.ancestor_ids + [g.id]}


def _events(types, start, end, area) -> list[Event]:
    return list(db.session.scalars(select(Event).where(
        Event.type.in_([P + t for t in types]), Event.occurred_at >= start, Event.occurred_at < end,
        Event.grid_id.in_(area), Event.voids_id.is_(None), ~superseded_condition()).order_by(Event.id)))


FIGURES = ["units_checked", "checks", "hazards_found", "rectified", *MEASURES, "fines", "people_detained",
           "publicity"]


def headline_figures(start, end, area, grids) -> dict[int | None, dict]:
    """{big grid id: figures}: what the headline report shows, per big grid of the area."""
    out: dict = defaultdict(lambda: {k: Decimal(0) if k == "fines" else 0 for k in FIGURES})
    units: dict = defaultdict(set)
    for e in _events(("fire_check", "enforcement", "publicity"), start, end, area):
        row = out[_big_of(grids[e.grid_id])]
        if e.type == P + "fire_check":
            row["checks"] += 1
            if e.place_id is not None:
                units[_big_of(grids[e.grid_id])].add(e.place_id)
        elif e.type == P + "publicity":
            row["publicity"] += 1
        else:
            measure = e.payload["measure"]
            row[measure] += 1
            if measure == "penalty_decision":
                row["fines"] += Decimal(str(e.payload["fine"]))
            if measure == "detention":
                row["people_detained"] += int(e.payload.get("people") or 0)
    for big, places in units.items():
        out[big]["units_checked"] = len(places)
    cases = db.session.execute(select(Case.grid_id, Case.reported_at, Case.closed_at).where(
        Case.category == CATEGORY, Case.grid_id.in_(area),
        or_(and_(Case.reported_at >= start, Case.reported_at < end),
            and_(Case.closed_at >= start, Case.closed_at < end)))).all()
    for grid_id, reported, closed in cases:
        row = out[_big_of(grids[grid_id])]
        if start <= reported < end:
            row["hazards_found"] += 1
        if closed is not None and start <= closed < end:
            row["rectified"] += 1
    return out


HEADLINE_COLUMNS = [
    Column("grid", "大网格", "Big grid"), Column("units_checked", "检查单位", "Units checked", "int"),
    Column("checks", "检查次数", "Checks", "int"), Column("hazards_found", "发现隐患", "Hazards found", "int"),
    Column("rectified", "整改隐患", "Hazards rectified", "int"),
    *[Column(k, zh, en, "int") for k, (zh, en) in MEASURES.items()],
    Column("fines", "罚款（元）", "Fines (¥)", "money"), Column("people_detained", "拘留人数", "People detained", "int"),
    Column("publicity", "宣传次数", "Publicity sessions", "int")]


def headline(request) -> ReportTable:
    grids = _grids()
    area = _area(request, grids)
    start, end = _bounds(request)
    figures = headline_figures(start, end, area, grids)
    bigs = sorted((g for g in grids.values() if g.level == 1 and (g.id in area or request.grid_id is None
                                                                  or g.id in grids[request.grid_id].ancestor_ids)),
                  key=lambda g: g.code)
    rows, total = [], {k: Decimal(0) if k == "fines" else 0 for k in FIGURES}
    keys = [g.id for g in bigs] + ([None] if None in figures else [])
    for key in keys:
        row = figures.get(key) or {k: Decimal(0) if k == "fines" else 0 for k in FIGURES}
        for k in FIGURES:
            total[k] += row[k]
        rows.append({"grid": grids[key].name if key else request.title("县级", "County"), **row})
    rows.append({"grid": request.title("合计", "Total"), **total})
    scope = grids[request.grid_id].name if request.grid_id else request.title("全县", "whole county")
    return ReportTable(title=request.title("消防安全网格化管理工作情况统计", "Fire-safety grid work: headline figures"),
                       subtitle=f"{request.period_start} – {request.period_end - dt.timedelta(days=1)} · {scope}",
                       columns=HEADLINE_COLUMNS, rows=rows)


def station_monthly(request) -> ReportTable:
    grids = _grids()
    area = _area(request, grids)
    start, end = _bounds(request)
    quota = settings()["station_monthly_quota"]
    figures = headline_figures(start, end, area, grids)
    fatal = Counter()
    for e in _events(("fatal_fire",), start, end, area):
        fatal[_big_of(grids[e.grid_id])] += int(e.payload["deaths"])
    stations = {u.grid_id: u.name for u in db.session.scalars(select(Unit).where(Unit.kind == "police_station"))}
    rows = []
    for g in sorted((grids[i] for i in stations if i in grids and i in area), key=lambda g: g.code):
        checked = figures[g.id]["units_checked"] if g.id in figures else 0
        veto = fatal[g.id] > 0
        rows.append({"station": stations[g.id], "grid": g.name, "units_checked": checked, "quota": quota,
                     "share": (Decimal(checked) / quota) if quota else None,
                     "met": request.title("是", "yes") if checked >= quota else request.title("否", "no"),
                     "deaths": fatal[g.id],
                     "veto": request.title("一票否决", "one-vote veto") if veto else ""})
    return ReportTable(
        title=request.title("派出所月度网上监管任务完成情况", "Police stations: monthly checks against the quota"),
        subtitle=request.period_start.strftime("%Y-%m"), rows=rows,
        notes=[request.title(f"每月任务量 {quota} 家；发生亡人火灾的大网格一票否决。",
                             f"Monthly quota {quota} units; a big grid with a fatal fire is vetoed.")],
        columns=[Column("station", "派出所", "Station"), Column("grid", "大网格", "Big grid"),
                 Column("units_checked", "检查单位", "Units checked", "int"), Column("quota", "任务量", "Quota", "int"),
                 Column("share", "完成率", "Share", "percent"), Column("met", "完成任务", "Quota met"),
                 Column("deaths", "亡人火灾死亡人数", "Deaths in fires", "int"),
                 Column("veto", "一票否决", "Veto")])


def hazard_ledger(request) -> ReportTable:
    grids = _grids()
    area = _area(request, grids)
    start, end = _bounds(request)
    en = request.locale.startswith("en")
    cases = list(db.session.scalars(select(Case).where(
        Case.category == CATEGORY, Case.grid_id.in_(area), Case.reported_at >= start, Case.reported_at < end)
        .order_by(Case.reported_at, Case.id)))
    units = {u.id: u.name for u in db.session.scalars(select(Unit))}
    places = {p.id: p.name for p in db.session.scalars(select(Place).where(
        Place.id.in_([c.place_id for c in cases if c.place_id])))} if cases else {}
    letters = defaultdict(list)
    for h in db.session.scalars(select(HandOff).where(HandOff.case_id.in_([c.id for c in cases]))):
        letters[h.case_id].append(f"{units.get(h.to_unit_id, '')} {h.letter_number}".strip())
    listed = {e.payload["case_number"]: e.payload["deadline"] for e in db.session.scalars(select(Event).where(
        Event.type == P + "government_listing", Event.voids_id.is_(None), ~superseded_condition()))}
    tz = ZoneInfo(tenant_tz())
    rows = [{"number": c.number, "reported": c.reported_at.astimezone(tz), "grid": grids[c.grid_id].name,
             "unit_place": places.get(c.place_id, ""), "description": c.description, "source": c.source,
             "state": STATES.get(c.state, (c.state, c.state))[1 if en else 0],
             "responsible": units.get(c.unit_id, ""), "handoffs": "；".join(letters[c.id]),
             "listed_until": dt.date.fromisoformat(listed[c.number]) if c.number in listed else None,
             "closed": c.closed_at.astimezone(tz) if c.closed_at else None} for c in cases]
    return ReportTable(title=request.title("火灾隐患台账", "Fire-hazard ledger"),
                       subtitle=request.period_start.strftime("%Y-%m"), rows=rows, columns=[
                           Column("number", "编号", "Number"), Column("reported", "发现时间", "Found", "datetime"),
                           Column("grid", "网格", "Grid"), Column("unit_place", "单位场所", "Unit or site"),
                           Column("description", "隐患内容", "Hazard"), Column("source", "来源", "Source"),
                           Column("state", "状态", "State"), Column("responsible", "责任单位", "Responsible unit"),
                           Column("handoffs", "移交记录", "Hand-offs"),
                           Column("listed_until", "挂牌督办期限", "Listed until", "date"),
                           Column("closed", "整改销案", "Closed", "datetime")])


def room_staffing() -> dict[int, tuple[int, int]]:
    """{grid room id: (officers, assistants)} as assigned today."""
    today = dt.datetime.now(ZoneInfo(tenant_tz())).date()
    rooms = [g.id for g in db.session.scalars(select(Grid).where(Grid.level == 3))]
    staff = Counter(db.session.execute(select(Assignment.grid_id, Assignment.role).where(
        Assignment.grid_id.in_(rooms), Assignment.starts_on <= today,
        or_(Assignment.ends_on.is_(None), Assignment.ends_on >= today))).all())
    return {r: (staff[(r, P + "area_officer")], staff[(r, P + "assistant")]) for r in rooms}


def misstaffed_rooms() -> list[Grid]:
    s = settings()
    wanted = (s["room_officers"], s["room_assistants"])
    return [db.session.get(Grid, r) for r, have in sorted(room_staffing().items()) if have != wanted]


def grid_responsibility(request) -> ReportTable:
    grids = _grids()
    area = _area(request, grids)
    today = dt.datetime.now(ZoneInfo(tenant_tz())).date()
    first = defaultdict(list)
    for grid_id, name in db.session.execute(select(Assignment.grid_id, Person.name).join(Person).where(
            Assignment.role.in_(FIRST_RESPONSIBLE), Assignment.starts_on <= today,
            or_(Assignment.ends_on.is_(None), Assignment.ends_on >= today))):
        first[grid_id].append(name)
    s = settings()
    staffing = room_staffing()
    levels = {1: ("大网格", "Big grid"), 2: ("小网格", "Small grid"), 3: ("网格工作室", "Grid room")}
    rows = []
    for g in sorted((grids[i] for i in area if grids[i].level in levels), key=lambda g: g.path):
        officers, assistants = staffing.get(g.id, (None, None))
        flag = ""
        if g.level == 3 and (officers, assistants) != (s["room_officers"], s["room_assistants"]):
            flag = request.title(f"配备不符：应{s['room_officers']}名民警、{s['room_assistants']}名协勤",
                                 f"staffed otherwise: {s['room_officers']} officers and {s['room_assistants']} assistants required")
        rows.append({"code": g.code, "grid": g.name, "level": request.title(*levels[g.level]),
                     "first_responsible": "、".join(first[g.id]) or (
                         "" if g.level == 3 else request.title("未明确", "none named")),
                     "officers": officers, "assistants": assistants, "flag": flag})
    flagged = sum(1 for r in rows if r["flag"])
    return ReportTable(title=request.title("消防安全网格责任体系", "Fire-safety grids and their responsible persons"),
                       rows=rows, notes=[request.title(f"配备不符的网格工作室：{flagged} 个",
                                                      f"Grid rooms staffed otherwise: {flagged}")],
                       columns=[Column("code", "编码", "Code"), Column("grid", "网格", "Grid"),
                                Column("level", "层级", "Level"),
                                Column("first_responsible", "第一责任人", "First responsible person"),
                                Column("officers", "民警", "Officers", "int"),
                                Column("assistants", "协勤", "Assistants", "int"), Column("flag", "提示", "Flag")])


REPORTS = [
    Report("headline", "消防工作情况统计（月）", "Fire-safety headline figures (month)", headline, needs="period",
           period_kind="month", description="检查单位、发现及整改隐患、责令改正、临时查封、三停、处罚、罚款、拘留。"),
    Report("headline_quarter", "消防工作情况统计（季度）", "Fire-safety headline figures (quarter)", headline,
           needs="period", period_kind="quarter"),
    Report("headline_year", "消防工作情况统计（年度）", "Fire-safety headline figures (year)", headline,
           needs="period", period_kind="year"),
    Report("station_monthly", "派出所月度网上监管任务", "Police stations' monthly quota", station_monthly,
           needs="period", period_kind="month", description="检查单位数对照每月任务量；亡人火灾一票否决。"),
    Report("hazard_ledger", "火灾隐患台账", "Fire-hazard ledger", hazard_ledger, needs="period", period_kind="month"),
    Report("grid_responsibility", "网格责任体系", "Grids and first responsible persons", grid_responsibility,
           needs="none", description="大网格、小网格、网格工作室及第一责任人；网格工作室人员配备不符的标出。"),
]
