"""The zhanqian sheets: the community's 100-point month (月考), the quarterly rating built from
the published months (季评) and the annual summary built from the published quarters (年总结).
One sheet per community (grids of level 1); every rule of SCHEMES.md, section zhanqian, is a
function here, and every number a tenant may tune is read from :mod:`.settings`.

Month (``zhanqian.community_month``), out of 100 plus bonus minus penalty:

=====  ===============================================================  ===================
1a     排查率 investigation rate: Σ over the community's second-level        35 × rate
       grids of min(inspections, required) / Σ required
1b     处置率 disposal rate: cases due in the month disposed by their         45 × rate
       deadline / cases due (open ones count as not disposed)
2      民意满意率: satisfied / sampled in the 民意测评 surveys ending in      10 × rate
       the month
3      领导评价 leadership evaluation, judged by the leading group            0–10
4      奖励加分: Σ points of the month's honours, capped at ``bonus_cap``     + ≤ 20
5      惩罚扣分: judged by the leading group, with the reason                − entered
—      整改 open rectifications at the month's end (case ids; no points)
=====  ===============================================================  ===================

A product is rounded to one decimal, half up; a rate with nothing due counts as 100 % and the
line says "nothing due".
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from gridgov.assessment import Evidence, ItemScore, SubjectScore, round_points
from gridgov.extensions import db
from gridgov.metrics import Rate
from gridgov.models import Event, Grid
from gridgov.operations.events import superseded_condition
from gridgov.plugins import Sheet, SheetItem

from .rectification import open_rectifications

ZERO, TEN, HUNDRED = Decimal(0), Decimal(10), Decimal(100)
WEIGHTS = {"investigation": Decimal(35), "disposal": Decimal(45), "satisfaction": TEN}
INSPECTION, HONOUR = "zhanqian.inspection", "zhanqian.honour"

MONTH_ITEMS = (
    SheetItem("investigation", "1a 排查率", "1a Investigation rate", WEIGHTS["investigation"]),
    SheetItem("disposal", "1b 处置率", "1b Disposal rate", WEIGHTS["disposal"]),
    SheetItem("satisfaction", "2 民意满意率", "2 Public satisfaction", WEIGHTS["satisfaction"]),
    SheetItem("leadership", "3 领导评价", "3 Leadership evaluation", TEN, kind="judged"),
    SheetItem("bonus", "4 奖励加分", "4 Honour bonus", role="bonus"),
    SheetItem("penalty", "5 惩罚扣分", "5 Penalty", HUNDRED, kind="judged", role="penalty"),
    SheetItem("rectification", "整改未结案件", "Open rectifications"),
)


# -- the rules ---------------------------------------------------------------------------------

def rate_line(key: str, rate: Rate, evidence: Evidence = Evidence(), what: str = "") -> ItemScore:
    """``weight × rate``, one decimal half up; nothing due → the full weight, "nothing due"."""
    weight = WEIGHTS[key]
    if rate.nothing_due:
        return ItemScore(key, weight, f"nothing due ({what}): 100 % → {weight}", evidence, nothing_due=True)
    points = round_points(weight * rate.value)
    return ItemScore(key, points, f"{weight} × {rate.numerator}/{rate.denominator} {what} = {points}", evidence)


def investigation_rate(done: dict[int, int], required: int) -> Rate:
    """Σ min(done, required) / Σ required over the grids: extra inspections of one grid do not
    make up for another."""
    return Rate(sum(min(n, required) for n in done.values()), required * len(done))


def capped_bonus(total: Decimal, cap: Decimal) -> tuple[Decimal, bool]:
    """The month's honour points, at most ``cap`` ("加分上限为20分"); whether the cap bit."""
    return (cap, True) if total > cap else (total, False)


def judged_line(key: str, entry, missing: str) -> ItemScore:
    if entry is None:
        return ItemScore(key, ZERO, missing)
    return ItemScore(key, entry.points, f"entered by {entry.entered_by}: {entry.reason}", Evidence(judged=entry))


def roll_up(totals: list[Decimal | None], how: str, missing: str) -> tuple[Decimal, list[int]]:
    """Months into a quarter, quarters into a year. ``totals`` holds None for a period without
    a published run; ``missing`` "skip" leaves it out, "zero" counts it as 0. Returns the
    rolled-up total (one decimal, half up) and the indexes of the missing periods."""
    gaps = [n for n, t in enumerate(totals) if t is None]
    counted = [t for t in totals if t is not None] if missing == "skip" else [t or ZERO for t in totals]
    if not counted:
        return ZERO, gaps
    value = min(counted) if how == "lowest" else sum(counted, ZERO) / len(counted)
    return round_points(value), gaps


# -- what the month reads ----------------------------------------------------------------------

def second_level_grids(facts) -> dict[int, list[Grid]]:
    """{community: its second-level grids}; a community without any answers for itself."""
    children = {c: [] for c in facts.subjects}
    for grid in db.session.scalars(select(Grid).where(Grid.parent_id.in_(list(children))).order_by(Grid.path)):
        children[grid.parent_id].append(grid)
    found = {c: grids or [db.session.get(Grid, c)] for c, grids in children.items()}
    facts.log.append(["zhanqian.second_level_grids", {str(c): [g.id for g in gs] for c, gs in found.items()}])
    return found


def inspections_per_grid(facts, grid_ids: list[int]) -> dict[int, list[int]]:
    """{grid: ids of its standing inspection events in the period} — one query for all grids
    (Facts counts per subject, and the subjects here are the communities, not their grids)."""
    found = {g: [] for g in grid_ids}
    rows = db.session.execute(select(Event.grid_id, Event.id).where(
        Event.type == INSPECTION, Event.grid_id.in_(grid_ids), Event.occurred_at >= facts.start,
        Event.occurred_at < facts.end, ~superseded_condition()).order_by(Event.id)) if grid_ids else []
    for grid_id, event_id in rows:
        found[grid_id].append(event_id)
    facts.log.append(["zhanqian.inspections_per_grid", {str(g): ids for g, ids in found.items()}])
    return found


def satisfaction(facts) -> dict[int, tuple[Rate, tuple[int, ...]]]:
    """{community: satisfied / sampled} of the 民意测评 surveys of its grids ending in the
    period (a household sampled that did not answer counts against the rate), with the votes."""
    counts = facts.satisfaction_by_subject()
    return {sid: (Rate(s.satisfied, s.sampled), tuple(s.vote_ids)) for sid, s in counts.items()}


# -- the sheets --------------------------------------------------------------------------------

def investigation_line(grids: list[Grid], done: dict[int, list[int]], required: int) -> ItemScore:
    counts = {g.id: len(done[g.id]) for g in grids}
    short = [f"{g.code} {counts[g.id]}/{required}" for g in grids if counts[g.id] < required]
    evidence = Evidence(event_ids=tuple(i for g in grids for i in done[g.id]),
                        note=("short: " + ", ".join(short)) if short else "every grid inspected enough")
    return rate_line("investigation", investigation_rate(counts, required), evidence,
                     f"inspections counted ({len(grids)} grids × {required})")


def disposal_line(facts, community: int) -> ItemScore:
    rate = facts.case_metrics(grid=community).on_time_disposal_rate
    lost = facts.undisposed_case_ids(grid=community, on_time=True) if rate.numerator < rate.denominator else []
    return rate_line("disposal", rate, Evidence(case_ids=tuple(lost)), "cases disposed by their deadline")


def bonus_line(honours, cap: Decimal) -> ItemScore:
    bonus, capped = capped_bonus(honours.amount, cap)
    rule = f"{honours.count} honour(s): {round_points(honours.amount)}" if honours.count else "no honour"
    if capped:
        rule += f", capped at {cap}"
    return ItemScore("bonus", round_points(bonus), rule, Evidence(event_ids=honours.event_ids))


def rectification_line(facts, community: int) -> tuple[ItemScore, list[str]]:
    """The line (no points) and the flag for the rectifications open at the period's end."""
    cases = open_rectifications(community, facts.end)
    facts.log.append(["zhanqian.open_rectifications", community, [c.id for c in cases]])
    numbers = ", ".join(c.number for c in cases)
    rule = f"{len(cases)} open at the month's end" + (f": {numbers}" if numbers else "")
    flags = [f"整改未结 open rectifications: {numbers}"] if cases else []
    return ItemScore("rectification", None, rule, Evidence(case_ids=tuple(c.id for c in cases))), flags


def score_month(facts) -> dict:
    s = facts.settings
    grids = second_level_grids(facts)
    done = inspections_per_grid(facts, [g.id for gs in grids.values() for g in gs])
    honours = facts.sum(HONOUR, "points", by="subject")
    leadership, penalty = facts.judged("leadership"), facts.judged("penalty")
    surveys = satisfaction(facts)
    out = {}
    for sid in facts.subjects:
        votes, vote_ids = surveys[sid]
        rectification, flags = rectification_line(facts, sid)
        out[sid] = SubjectScore(items=[
            investigation_line(grids[sid], done, s["required_inspections_per_month"]),
            disposal_line(facts, sid),
            rate_line("satisfaction", votes, Evidence(event_ids=vote_ids), "satisfied of sampled"),
            judged_line("leadership", leadership.get(sid), "not entered: 0"),
            bonus_line(honours[sid], s["bonus_cap"]),
            judged_line("penalty", penalty.get(sid), "none entered"),
            rectification,
        ], flags=flags)
    return out


def _labels(kind: str, start: dt.date) -> list[dt.date]:
    if kind == "quarter":
        return [start.replace(month=start.month + n) for n in range(3)]
    return [start.replace(month=m) for m in (1, 4, 7, 10)]


def _roll_up_score(source: str, kind: str, how_setting: str):
    def score(facts) -> dict:
        s = facts.settings
        published = facts.published_results(source)
        periods = _labels(kind, facts.period_start)
        out = {}
        for sid in facts.subjects:
            by_start = {r.period_start: r for r in published.get(sid, [])}
            totals = [by_start[p].total if p in by_start else None for p in periods]
            value, gaps = roll_up(totals, s[how_setting], s["missing_period"])
            shown = ", ".join(f"{p:%Y-%m}: {'—' if t is None else t}" for p, t in zip(periods, totals))
            missing = [f"{periods[n]:%Y-%m}" for n in gaps]
            rule = f"{s[how_setting]} of {shown}"
            if missing:
                how = "left out" if s["missing_period"] == "skip" else "counted as 0"
                rule += f"; missing {', '.join(missing)} {how}"
            runs = ", ".join(str(by_start[p].run_id) for p in periods if p in by_start)
            note = f"runs {runs}" if runs else "no run"
            out[sid] = SubjectScore(items=[ItemScore("periods", value, rule, Evidence(note=note))],
                                    flags=[f"缺少已公布考核 not published: {', '.join(missing)}"] if missing else [])
        return out
    return score


MONTH = Sheet("community_month", "站前社区网格化管理月度考核", "Community monthly assessment", "grid", "month",
              items=MONTH_ITEMS, score=score_month, grid_levels=(1,),
              description="月考：排查率35分、处置率45分、民意满意率10分、领导评价10分，奖励加分（上限20分），惩罚扣分。")
QUARTER = Sheet("community_quarter", "站前社区网格化管理季度评定", "Community quarterly rating", "grid", "quarter",
                items=(SheetItem("periods", "季度评分（由月度得分）", "Quarter from its published months"),),
                score=_roll_up_score("zhanqian.community_month", "quarter", "quarter_rollup"), grid_levels=(1,),
                description="季评：本季度已公布的月度考核得分的平均分（设置可改）。")
YEAR = Sheet("community_year", "站前社区网格化管理年度总结", "Community annual summary", "grid", "year",
             items=(SheetItem("periods", "年度评分（由季度评分）", "Year from its published quarters"),),
             score=_roll_up_score("zhanqian.community_quarter", "year", "annual_rollup"), grid_levels=(1,),
             description="年总结：四个季度已公布评定得分的平均分（设置可改）。")
SHEETS = (MONTH, QUARTER, YEAR)
