"""The annual community ranking (年度排名): each community's published quarterly totals of
sheet B (the current published run of each quarter), combined by ``annual_ranking_basis``
(default: their mean). The first-ranked community — every one sharing the first place, a
vetoed community left out — earns ``annual_award_per_staff`` (¥200) for each street staff
member attached to it (the ``street_liaison`` members of the departments attached to its grid)
and the mark "priority for honours"; a staff member with a serious failure recorded in the year
is marked "disqualified from annual honours".

The ¥200 is an engine award (``awards``): the scoring passes the number of attached staff and
whether the community is first of the year in its ``SubjectScore.context``; the ``staff`` line
names the staff and the failures behind the flags.
"""
from __future__ import annotations

from decimal import Decimal

from gridgov.assessment import Award, Evidence, ItemScore, SubjectScore, round_points
from gridgov.plugins import Sheet, SheetItem

ZERO = Decimal(0)
ITEMS = (
    SheetItem("quarters", "季度考核得分", "Quarterly totals"),
    SheetItem("staff", "挂点街道人员", "Attached street staff"),
)


def _attached_staff(facts) -> dict[int, list[tuple[int, str]]]:
    """{community: [(person id, name)]} of the street liaison staff of the departments attached
    to each community during the year — three queries for all communities."""
    units = facts.attached_units(["department"])
    members = facts.members_by_subject(sorted({u for ids in units.values() for u in ids}),
                                       roles=["chashan.street_liaison"], kind="unit")
    people = {sid: sorted({p for unit in ids for p in members[unit]}) for sid, ids in units.items()}
    names = facts.person_names(p for ids in people.values() for p in ids)
    return {sid: [(p, names[p]) for p in ids] for sid, ids in people.items()}


def score(facts) -> dict:
    s = facts.settings
    results = facts.published_results("chashan.community_quarter")
    staff = _attached_staff(facts)
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
        basis = "mean" if s["annual_ranking_basis"] == "mean_of_quarters" else "sum"
        shown = ", ".join(f"{r.period_start.isoformat()}: {r.total}" for r in quarters) or "no published quarter"
        out[sid] = SubjectScore(items=[
            ItemScore("quarters", combined[sid], f"{basis} of {shown}",
                      Evidence(note=f"runs {', '.join(str(r.run_id) for r in quarters)}" if quarters else "")),
            ItemScore("staff", None,
                      f"{len(staff[sid])} attached staff; first of the year: ¥{s['annual_award_per_staff']} each"
                      if first else f"{len(staff[sid])} attached staff; not first of the year",
                      Evidence(event_ids=tuple(i for p, _ in staff[sid] for i in failing[p].event_ids),
                               note=", ".join(name for _, name in staff[sid]))),
        ], vetoes=vetoed[sid], flags=flags, context={"first_of_year": bool(first), "attached_staff": len(staff[sid])})
    return out


def staff_award(standing, settings) -> list[Award]:
    """¥200 (setting ``annual_award_per_staff``) for each staff member attached to the first
    community of the year (every one sharing the first place; a vetoed one gets no award)."""
    if not standing.context.get("first_of_year") or not standing.context.get("attached_staff"):
        return []
    return [Award("first_of_year_staff", "年度第一名社区挂点人员奖励", "Award for the staff of the first community",
                  Decimal(settings["annual_award_per_staff"]) * standing.context["attached_staff"])]


YEAR = Sheet("community_year", "社区网格化管理年度排名", "Community annual ranking", "grid", "year",
             items=ITEMS, score=score, awards=staff_award, grid_levels=(1,),
             description="茶山：四个季度考核得分的平均分排名，第一名社区挂点街道人员每人奖励200元。")
