"""The Dafang reports (报表), rendered by the core as console pages, CSV, XLSX and JSON.

* ``headline`` / ``headline_quarter`` / ``headline_year`` (工作情况统计) — for a month, quarter
  or year and an optional area (``grid_id``: the county, a big grid, a small grid, a grid room —
  the grid and its whole subtree, a path range): per big grid and in total, units checked,
  hazards found and rectified, rectification orders, temporary seals, three-stops, penalty
  decisions, fines in ¥, detentions, publicity sessions — counted by the database in grouped
  queries (:func:`headline_figures`), never a loop over events.
* ``station_monthly`` (派出所月度网上监管) — each big grid's units checked in the month against
  its quota (setting ``station_monthly_quota``), and the one-vote veto (一票否决) of a big grid
  with a fatal fire that month (the quick view; the assessment of record is the sheet
  ``station_month`` of :mod:`.sheets`).
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

from sqlalchemy import Float, Integer, Numeric, and_, case, cast, distinct, func, or_, select
from sqlalchemy.orm import aliased

from gridgov.extensions import db
from gridgov.models import Assignment, Case, Event, Grid, Person, Place, Unit
from gridgov.models.cases import HandOff
from gridgov.models.grids import PATH_END
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


def _area(request, grids) -> set[int]:
    if request.grid_id is None:
        return set(grids)
    return {g.id for g in grids.values() if request.grid_id in g.ancestor_ids + [g.id]}


FIGURES = ["units_checked", "checks", "hazards_found", "rectified", *MEASURES, "fines", "people_detained",
           "publicity"]


def _zero() -> dict:
    return {k: Decimal(0) if k == "fines" else 0 for k in FIGURES}


def _big_grid_pairs(area_root: int | None):
    """SQL: (grid_id, big_id) for every grid of the area — ``area_root``'s subtree (a path range,
    one indexed query), the whole tenant when None — with the big grid (level 1) it lies in;
    ``big_id`` NULL for the county itself."""
    place, big, root = aliased(Grid), aliased(Grid), aliased(Grid)
    query = select(place.id.label("grid_id"), big.id.label("big_id")).select_from(place).outerjoin(
        big, and_(big.level == 1, place.path >= big.path, place.path < big.path + PATH_END))
    if area_root is not None:
        query = query.join(root, and_(root.id == area_root, place.path >= root.path,
                                      place.path < root.path + PATH_END))
    return query.subquery()


def _cents(element):
    """A payload amount (decimal string) as SQL, exact: NUMERIC on PostgreSQL, elsewhere an
    INTEGER count of fen (summed without float error)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(element.as_string(), Numeric(16, 2))
    return cast(func.round(cast(element.as_string(), Float) * 100), Integer)


def _yuan(value) -> Decimal:
    if value is None:
        return Decimal("0.00")
    if db.session.get_bind().dialect.name == "postgresql":
        return Decimal(value).quantize(Decimal("0.01"))
    return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))


def headline_figures(start, end, area_root: int | None) -> dict[int | None, dict]:
    """{big grid id (None: the county itself): figures} for the events and hazard cases of the
    area (the subtree of ``area_root``, or everything) in ``[start, end)``, counted by the
    database: one grouped query for the events, one for the cases. Units checked = distinct
    units (places) checked; the other figures count records dated in the period."""
    pairs = _big_grid_pairs(area_root)
    out: dict = defaultdict(_zero)
    enforcement = Event.type == P + "enforcement"
    live = [Event.occurred_at >= start, Event.occurred_at < end, Event.voids_id.is_(None), ~superseded_condition()]
    kinds = (P + "fire_check", P + "enforcement", P + "publicity")
    # the rows' fields first (a derived table), then one GROUP BY over plain columns
    inner = (select(pairs.c.big_id.label("big"), Event.type.label("kind"), Event.id.label("eid"),
                    Event.place_id.label("place"),
                    case((enforcement, Event.payload["measure"].as_string()), else_="").label("measure"),
                    case((enforcement, _cents(Event.payload["fine"]))).label("fine"),
                    case((enforcement, cast(Event.payload["people"].as_string(), Integer))).label("people"))
             .join(pairs, pairs.c.grid_id == Event.grid_id).where(Event.type.in_(kinds), *live).subquery())
    groups = (inner.c.big, inner.c.kind, inner.c.measure)
    rows = db.session.execute(select(*groups, func.count(inner.c.eid), func.count(distinct(inner.c.place)),
                                     func.sum(inner.c.fine), func.sum(inner.c.people)).group_by(*groups)).all()
    for big, kind, what, count, places, fines, people in rows:
        row = out[big]
        if kind == P + "fire_check":
            row["checks"] += count
            row["units_checked"] += places  # a place lies in one grid, hence in one big grid
        elif kind == P + "publicity":
            row["publicity"] += count
        elif what in MEASURES:
            row[what] += count
            row["fines"] += _yuan(fines) if what == "penalty_decision" else 0
            row["people_detained"] += int(people or 0) if what == "detention" else 0
    found = and_(Case.reported_at >= start, Case.reported_at < end)
    closed = and_(Case.closed_at >= start, Case.closed_at < end)
    for big, n_found, n_closed in db.session.execute(
            select(pairs.c.big_id, func.sum(case((found, 1), else_=0)), func.sum(case((closed, 1), else_=0)))
            .join(pairs, pairs.c.grid_id == Case.grid_id)
            .where(Case.category == CATEGORY, or_(found, closed)).group_by(pairs.c.big_id)):
        out[big]["hazards_found"] += int(n_found or 0)
        out[big]["rectified"] += int(n_closed or 0)
    return out


def fatal_fires(start, end, area_root: int | None) -> Counter:
    """{big grid id: deaths in fatal fires in [start, end)} for the area, counted by the database."""
    pairs = _big_grid_pairs(area_root)
    rows = db.session.execute(
        select(pairs.c.big_id, func.sum(cast(Event.payload["deaths"].as_string(), Integer)))
        .join(pairs, pairs.c.grid_id == Event.grid_id)
        .where(Event.type == P + "fatal_fire", Event.occurred_at >= start, Event.occurred_at < end,
               Event.voids_id.is_(None), ~superseded_condition()).group_by(pairs.c.big_id)).all()
    return Counter({big: int(n or 0) for big, n in rows})


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
    figures = headline_figures(start, end, request.grid_id)
    bigs = sorted((g for g in grids.values() if g.level == 1 and (g.id in area or request.grid_id is None
                                                                  or g.id in grids[request.grid_id].ancestor_ids)),
                  key=lambda g: g.code)
    rows, total = [], _zero()
    keys = [g.id for g in bigs] + ([None] if None in figures else [])
    for key in keys:
        row = figures.get(key) or _zero()
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
    figures = headline_figures(start, end, request.grid_id)
    fatal = fatal_fires(start, end, request.grid_id)
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
