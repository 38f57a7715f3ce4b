"""The jinzhou_streets sheets, one per unit grid group (grid level 3):

* ``group_half_month`` — the 100-point competition deduction (百分制竞赛扣分) of a half month:
  100 − Σ over the violations recorded on the group's sections of the item's deduction
  (settings ``deduction_<item>``), not floored; a violation found outside the group's rostered
  hours still counts (flagged). One line per standard item.
* ``group_quarter`` / ``group_year`` — the mean of the published half-month totals of the
  quarter / year (:meth:`Facts.published_results`); half months not published are left out and
  flagged.

One-vote veto (一票否决): a ``jinzhou_streets.veto`` event on a group grid (or on its brigade,
or naming a person) in the calendar year of the period vetoes the group on every sheet of that
year — the engine then gives it no eligible rank, so no selection names it.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select

from gridgov.assessment import Evidence, ItemScore, SubjectScore, round_points
from gridgov.extensions import db
from gridgov.models import Event
from gridgov.operations.events import superseded_condition
from gridgov.plugins import Sheet, SheetItem

from .network import VIOLATION
from .settings import VIOLATIONS

ZERO, HUNDRED = Decimal(0), Decimal(100)
VETO = "jinzhou_streets.veto"
ITEMS = tuple(SheetItem(k, f"扣分：{zh}", f"Deduction: {en}") for k, (zh, en) in VIOLATIONS.items())


def deduct(counts: dict[str, int], settings: dict) -> tuple[Decimal, dict[str, Decimal]]:
    """(total, {item: points deducted}); the total is 100 − Σ, not floored (a group with more
    than 100 points of violations shows how far it fell)."""
    lines = {k: round_points(settings[f"deduction_{k}"] * n) for k, n in counts.items()}
    return HUNDRED - sum(lines.values(), ZERO), lines


def violations(facts) -> dict[int, list[Event]]:
    found = defaultdict(list)
    subjects = list(facts.subjects)
    if subjects:
        for e in db.session.scalars(select(Event).where(
                Event.type == VIOLATION, Event.grid_id.in_(subjects), Event.occurred_at >= facts.start,
                Event.occurred_at < facts.end, ~superseded_condition()).order_by(Event.id)):
            found[e.grid_id].append(e)
    facts.log.append(["jinzhou_streets.violations", {str(k): [e.id for e in v] for k, v in found.items()}])
    return found


def vetoes(facts) -> dict[int, list[str]]:
    """{group: veto reasons} of the period's calendar year (tenant-local), as recorded when the
    run computes — a veto dated later in the year counts too, and a run computed before a veto
    was recorded keeps its results until it is computed again or corrected; a veto on a brigade
    grid covers its groups."""
    year = facts.period_start.year
    start = dt.datetime(year, 1, 1, tzinfo=facts.tz)  # the tenant's calendar year
    end = dt.datetime(year + 1, 1, 1, tzinfo=facts.tz)
    events = list(db.session.scalars(select(Event).where(
        Event.type == VETO, Event.occurred_at >= start, Event.occurred_at < end, ~superseded_condition())))
    out = defaultdict(list)
    from gridgov.models import Grid

    for sid in facts.subjects:
        grid = db.session.get(Grid, sid)
        for e in events:
            if e.grid_id in (sid, grid.parent_id) and e.subject_person_id is None:
                out[sid].append(f"一票否决 veto (event {e.id}): {e.payload.get('reason', '')}")
    return out


def score_half_month(facts) -> dict:
    s = facts.settings
    found, vetoed = violations(facts), vetoes(facts)
    out = {}
    for sid in facts.subjects:
        by_item = defaultdict(list)
        for e in found.get(sid, []):
            by_item[e.payload["violation"]].append(e.id)
        _, lines = deduct({k: len(v) for k, v in by_item.items()}, s)
        items = []
        for k in VIOLATIONS:
            ids = by_item.get(k, [])
            points = -lines.get(k, ZERO)
            items.append(ItemScore(k, points, f"{len(ids)} × {s[f'deduction_{k}']}", Evidence(event_ids=tuple(ids))))
        base = ItemScore("base", HUNDRED, "百分制 100-point standard")
        out[sid] = SubjectScore(items=[base, *items], vetoes=vetoed.get(sid, []))
    return out


def _roll_up(source: str):
    def score(facts) -> dict:
        published = facts.published_results(source)
        vetoed = vetoes(facts)
        out = {}
        for sid in facts.subjects:
            totals = [r.total for r in published.get(sid, [])]
            value = round_points(sum(totals, ZERO) / len(totals)) if totals else ZERO
            rule = f"mean of {len(totals)} published half month(s)"
            out[sid] = SubjectScore(items=[ItemScore("periods", value, rule)], vetoes=vetoed.get(sid, []),
                                    flags=[] if totals else ["无已公布半月考核 nothing published"])
        return out
    return score


BASE = SheetItem("base", "基础分", "Base", HUNDRED)
HALF_MONTH = Sheet("group_half_month", "单元网格小组半月百分制竞赛扣分", "Unit grid group half-month deduction",
                   "grid", "half_month", items=(BASE, *ITEMS), score=score_half_month, grid_levels=(3,),
                   description="每半月：100分减去各违章扣分；巡查通报。")
PERIODS = SheetItem("periods", "半月得分平均", "Mean of the published half months")
QUARTER = Sheet("group_quarter", "单元网格小组季度评比", "Unit grid group quarter", "grid", "quarter",
                items=(PERIODS,), score=_roll_up("jinzhou_streets.group_half_month"), grid_levels=(3,),
                description="季度评先选优：本季度已公布半月得分的平均分。")
YEAR = Sheet("group_year", "单元网格小组年度总分", "Unit grid group year", "grid", "year",
             items=(PERIODS,), score=_roll_up("jinzhou_streets.group_half_month"), grid_levels=(3,),
             description="年度：全年已公布半月得分的平均分。")
SHEETS = (HALF_MONTH, QUARTER, YEAR)
