"""The annual community ranking (年度排名): each community's published quarterly totals of
sheet B (the current published run of each quarter), combined by ``annual_ranking_basis``
(default: their mean). The first-ranked community — every one sharing the first place, a
vetoed community left out — earns ``annual_award_per_staff`` (¥200) for each street staff
member attached to it (the ``street_liaison`` members of the departments attached to its grid)
and the mark "priority for honours"; a staff member with a serious failure recorded in the year
is marked "disqualified from annual honours".

The ¥200 is a money line of the score, not an engine award: an award only sees the subject's
standing, not how many staff are attached to it.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import or_, select

from gridgov.assessment import Evidence, ItemScore, SubjectScore, round_points
from gridgov.extensions import db
from gridgov.models import Assignment, Person, Unit
from gridgov.plugins import Sheet, SheetItem

ZERO = Decimal(0)
ITEMS = (
    SheetItem("quarters", "季度考核得分", "Quarterly totals"),
    SheetItem("award", "年度第一名挂点人员奖励", "Award for the staff of the first community"),
)


def _attached_staff(facts, community: int) -> list[tuple[int, str]]:
    """(person id, name) of the street liaison staff of the departments attached to the community."""
    units = list(db.session.scalars(select(Unit.id).where(Unit.grid_id == community, Unit.kind == "department")
                                    .order_by(Unit.id)))
    facts.log.append(["chashan.attached_units", community, units])
    people = sorted({p for unit in units for p in _unit_members(facts, unit)})
    names = dict(db.session.execute(select(Person.id, Person.name).where(Person.id.in_(people))).all()) if people else {}
    return [(p, names[p]) for p in people]


def _unit_members(facts, unit: int) -> list[int]:
    """Street liaison members of a department during the year (Facts.members answers only for
    the run's own subject kind, grids here, so this asks the assignments directly)."""
    last = facts.period_end - dt.timedelta(days=1)
    ids = sorted(set(db.session.scalars(select(Assignment.person_id).where(
        Assignment.unit_id == unit, Assignment.role == "chashan.street_liaison", Assignment.starts_on <= last,
        or_(Assignment.ends_on.is_(None), Assignment.ends_on >= facts.period_start)))))
    facts.log.append(["chashan.unit_members", unit, ids])
    return ids


def score(facts) -> dict:
    s = facts.settings
    results = facts.published_results("chashan.community_quarter")
    staff = {sid: _attached_staff(facts, sid) for sid in facts.subjects}
    failing = facts.count("chashan.serious_failure", by="subject", people=sorted({p for v in staff.values() for p, _ in v}))
    combined = {}
    for sid in facts.subjects:
        totals = [r.total for r in results.get(sid, [])]
        if not totals:
            combined[sid] = ZERO
        elif s["annual_ranking_basis"] == "sum_of_quarters":
            combined[sid] = sum(totals, ZERO)
        else:
            combined[sid] = round_points(sum(totals, ZERO) / len(totals))
    vetoed = {sid: sorted({v for r in results.get(sid, []) for v in r.vetoes}) for sid in facts.subjects}
    eligible = [combined[sid] for sid in facts.subjects if results.get(sid) and not vetoed[sid]]
    best = max(eligible) if eligible else None
    out = {}
    for sid in facts.subjects:
        quarters = results.get(sid, [])
        first = best is not None and quarters and not vetoed[sid] and combined[sid] == best
        flags = ["优先参评先进 priority for honours"] if first else []
        failed = [name for p, name in staff[sid] if failing[p].count]
        flags += [f"{name}: 取消年度评先资格 disqualified from annual honours" for name in failed]
        award = s["annual_award_per_staff"] * len(staff[sid]) if first else ZERO
        basis = "mean" if s["annual_ranking_basis"] == "mean_of_quarters" else "sum"
        shown = ", ".join(f"{r.period_start.isoformat()}: {r.total}" for r in quarters) or "no published quarter"
        out[sid] = SubjectScore(items=[
            ItemScore("quarters", combined[sid], f"{basis} of {shown}",
                      Evidence(note=f"runs {', '.join(str(r.run_id) for r in quarters)}" if quarters else "")),
            ItemScore("award", None,
                      f"first of the year: ¥{s['annual_award_per_staff']} × {len(staff[sid])} attached staff" if first
                      else "not first of the year",
                      Evidence(event_ids=tuple(i for p, _ in staff[sid] for i in failing[p].event_ids),
                               note=", ".join(name for _, name in staff[sid])), money=award),
        ], vetoes=vetoed[sid], flags=flags)
    return out


YEAR = Sheet("community_year", "社区网格化管理年度排名", "Community annual ranking", "grid", "year",
             items=ITEMS, score=score, grid_levels=(1,),
             description="茶山：四个季度考核得分的平均分排名，第一名社区挂点街道人员每人奖励200元。")
