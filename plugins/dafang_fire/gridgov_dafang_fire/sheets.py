"""The dafang_fire assessment sheets (考核表): the police stations' online supervision (网上监管)
against their quota, with the fatal-fire one-vote veto (亡人火灾一票否决).

The source: "a monthly report per station to the county bureau, against each station's quota,
part of its performance targets" and "a fatal fire is a one-vote veto". It names neither the
points nor the grades; what a county fire brigade would do, and what these sheets do:

* subjects: the police stations (units of kind ``police_station``), each over the subtree of the
  big grid (大网格) it is attached to — its villages, communities and grid rooms;
* ``checks`` (max 100): 100 × min(units checked / quota, 1), to one decimal place, half up.
  Units checked = distinct units and sites (places) with a ``fire_check`` in the area in the
  period; quota = setting ``station_monthly_quota``. A quota of 0 gives the full 100 (nothing due);
* ``fatal_fire`` (penalty): a ``fatal_fire`` event anywhere in the station's area in the period
  vetoes the station (一票否决): the penalty line takes away every point earned, so the total is
  0 and the grade 不合格 (fail) whatever the checks, and the engine gives it no eligible rank.
  A fatal fire outside the period or outside the area does not count; a fire without deaths is
  not recorded as ``fatal_fire`` (the form needs at least one death);
* grades: the tenant's ``grade_bands`` (优秀 ≥ 95, 良好 ≥ 85, 合格 ≥ 65, 不合格 below).

``station_month`` runs every month. ``station_year`` runs over the calendar year: ``months``
(max 100) is the mean of the station's published monthly totals (months not published are left
out and flagged), and a fatal fire in any month of the year vetoes the year. Both go through
the engine's draft → computed → published; what the scoring read is logged into the run's
fingerprint.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import aliased

from gridgov.assessment import Evidence, ItemScore, SubjectScore, round_points
from gridgov.extensions import db
from gridgov.models import Event, Grid, Unit
from gridgov.models.grids import PATH_END
from gridgov.operations.events import superseded_condition
from gridgov.plugins import Sheet, SheetItem

P = "dafang_fire."
ZERO, HUNDRED = Decimal(0), Decimal(100)
STATION_KIND = "police_station"


def units_checked(facts) -> dict[int, int]:
    """{station unit id: distinct places checked in its big grid's subtree in the period}, one
    grouped query over every subject (logged into the run's fingerprint)."""
    subjects = sorted(facts.subjects)
    if not subjects:
        return {}
    place_grid, root = aliased(Grid), aliased(Grid)
    # the (grid, station) pairs first, a small derived table the events meet by one lookup each
    # (joined row by row, SQLite walks the path range of every grid for every event)
    pairs = (select(place_grid.id.label("grid_id"), Unit.id.label("sid")).select_from(place_grid)
             .join(root, and_(place_grid.path >= root.path, place_grid.path < root.path + PATH_END))
             .join(Unit, Unit.grid_id == root.id).where(Unit.id.in_(subjects)).distinct().subquery())
    kind = Event.type + "" if db.session.get_bind().dialect.name == "sqlite" else Event.type
    rows = db.session.execute(
        select(pairs.c.sid, func.count(distinct(Event.place_id))).select_from(Event)
        .join(pairs, pairs.c.grid_id == Event.grid_id)
        .where(kind == P + "fire_check", Event.place_id.is_not(None),
               Event.occurred_at >= facts.start, Event.occurred_at < facts.end, Event.voids_id.is_(None),
               ~superseded_condition())
        .group_by(pairs.c.sid)).all()
    found = {sid: 0 for sid in subjects} | {sid: int(n) for sid, n in rows}
    facts.log.append(["dafang_fire.units_checked", {str(k): v for k, v in sorted(found.items())}])
    return found


def fatal_fire_vetoes(facts) -> dict[int, tuple[list[str], tuple[int, ...]]]:
    """{station: (veto texts, fatal fire event ids)}: the fatal fires anywhere in the station's
    big grid (its subtree) in the period — counted and summed by the database."""
    fires = facts.count(P + "fatal_fire", by="grid")
    deaths = facts.sum(P + "fatal_fire", "deaths", by="grid")
    out = {}
    for sid in facts.subjects:
        fire = fires[sid]
        texts = [f"一票否决：辖区发生亡人火灾 {fire.count} 起，死亡 {deaths[sid].amount} 人 "
                 f"(one-vote veto: {fire.count} fatal fire(s), {deaths[sid].amount} dead)"] if fire.count else []
        out[sid] = (texts, fire.event_ids)
    return out


def _veto_line(vetoes: list[str], event_ids, points: Decimal) -> ItemScore:
    """The penalty line of the veto: every point earned taken away (total 0, grade fail)."""
    if vetoes:
        return ItemScore("fatal_fire", points, "一票否决，得分全部扣除 veto: every point taken away",
                         Evidence(event_ids=tuple(event_ids)))
    return ItemScore("fatal_fire", ZERO, "无亡人火灾 no fatal fire")


def score_month(facts) -> dict:
    quota = int(facts.settings["station_monthly_quota"])
    checked = units_checked(facts)
    checks = facts.count(P + "fire_check", by="grid")
    vetoed = fatal_fire_vetoes(facts)
    out = {}
    for sid in facts.subjects:
        n = checked.get(sid, 0)
        if quota:
            points = round_points(HUNDRED * min(Decimal(n) / quota, Decimal(1)))
            rule = f"100 × min({n} / {quota}, 1) 检查单位/任务量"
        else:
            points, rule = HUNDRED, "任务量为 0 quota 0"
        texts, fire_ids = vetoed[sid]
        line = ItemScore("checks", points, rule, Evidence(event_ids=checks[sid].event_ids), nothing_due=not quota)
        out[sid] = SubjectScore(items=[line, _veto_line(texts, fire_ids, points)], vetoes=texts,
                                flags=[] if n >= quota else [f"未完成任务量 quota not met: {n} / {quota}"],
                                context={"units_checked": n, "quota": quota})
    return out


def score_year(facts) -> dict:
    """The mean of the station's published monthly totals of the year; a fatal fire in any month
    of the year vetoes the year. Months not (yet) published are left out and flagged."""
    published = facts.published_results(P + "station_month")
    vetoed = fatal_fire_vetoes(facts)
    out = {}
    for sid in facts.subjects:
        totals = [r.total for r in published.get(sid, [])]
        points = round_points(sum(totals, ZERO) / len(totals)) if totals else ZERO
        line = ItemScore("months", points, f"{len(totals)} 个月已公布月度得分的平均 mean of {len(totals)} published month(s)")
        texts, fire_ids = vetoed[sid]
        missing = 12 - len(totals)
        out[sid] = SubjectScore(items=[line, _veto_line(texts, fire_ids, points)], vetoes=texts,
                                flags=[f"{missing} 个月未公布 {missing} month(s) not published"] if missing else [])
    return out


VETO = SheetItem("fatal_fire", "亡人火灾一票否决", "Fatal fire: one-vote veto", role="penalty")
STATION_MONTH = Sheet("station_month", "派出所月度网上监管考核", "Police station: monthly online supervision", "unit",
                      "month", items=(SheetItem("checks", "检查单位完成任务量", "Units checked against the quota", HUNDRED),
                                      VETO),
                      score=score_month, unit_kinds=(STATION_KIND,),
                      description="每月：检查单位数对照任务量计分（满分100）；辖区发生亡人火灾一票否决。")
STATION_YEAR = Sheet("station_year", "派出所年度消防工作考核", "Police station: yearly fire-safety assessment", "unit",
                     "year", items=(SheetItem("months", "月度考核平均分", "Mean of the published months", HUNDRED), VETO),
                     score=score_year, unit_kinds=(STATION_KIND,),
                     description="全年：已公布月度考核得分的平均分；全年任一月辖区发生亡人火灾一票否决。")
SHEETS = (STATION_MONTH, STATION_YEAR)
