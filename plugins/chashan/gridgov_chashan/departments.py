"""Sheet C: street departments and their liaison staff (街道科室及网格挂点人员), 100 points a
quarter, one sheet per department (units of kind ``department``, attached to a community grid).

Items 1, 2 and 4 count the department's own records (events naming it as subject unit); item 3
counts, for each member holding ``street_liaison`` in the department, the weeks of the quarter
with a working day but without a patrol by them (a joint patrol or a patrol they recorded).
"""
from __future__ import annotations

from decimal import Decimal

import datetime as dt

from gridgov.assessment import Evidence, ItemScore, SubjectScore
from gridgov.plugins import Sheet, SheetItem

ZERO = Decimal(0)

ITEMS = (
    SheetItem("letters", "1 交办函限时妥善解决", "1 Escalation letters settled in time", Decimal(30)),
    SheetItem("referrals", "2 上报上级事项跟踪回复", "2 Referred matters tracked to a final reply", Decimal(30)),
    SheetItem("patrols", "3 科室成员每周巡查挂点网格", "3 Weekly patrol of the attached grid", Decimal(20)),
    SheetItem("reports", "4 每周例会如实汇报", "4 Reporting at the weekly meeting", Decimal(20)),
)


def _deducted(key, maximum: int, tally, per: Decimal, what: str, note: str = "") -> ItemScore:
    points = max(ZERO, Decimal(maximum) - per * tally.count)
    return ItemScore(key, points, f"{maximum} − {per} × {tally.count} {what}, floor 0",
                     Evidence(event_ids=tally.event_ids, note=note))


def _weeks_with_work(facts) -> list[tuple]:
    """The period's weeks (by their Thursday) holding a working day — a week may begin or end
    outside the period, so the working days of the whole weeks are asked."""
    weeks = facts.weeks()
    if not weeks:
        return []
    working = set(facts.working_days(weeks[0][0], weeks[-1][1] + dt.timedelta(days=1)))
    return [(monday, sunday) for monday, sunday in weeks if any(monday <= d <= sunday for d in working)]


def score(facts) -> dict:
    per = facts.settings["department_deduction"]
    weeks = _weeks_with_work(facts)
    unanswered = facts.count("chashan.letter_handling", payload={"outcome": "unanswered"})
    untracked = facts.count("chashan.referral", payload={"status": ("!=", "replied")})
    halting = facts.count("chashan.meeting_report", payload={"fluent": False})
    members = facts.members_by_subject(roles=["chashan.street_liaison"])
    everyone = sorted({p for ids in members.values() for p in ids})
    patrols = facts.count(["chashan.joint_patrol", "chashan.patrol"], by="actor", daily=True, span="weeks",
                          people=everyone)
    names = facts.person_names(everyone)
    out = {}
    for sid in facts.subjects:
        missed, ids = [], []
        for person in members[sid]:
            days = patrols[person].by_day
            ids += patrols[person].event_ids
            missed += [f"{names.get(person, person)} {monday.isoformat()}" for monday, sunday in weeks
                       if not any(monday <= d <= sunday for d in days)]
        patrol_points = max(ZERO, Decimal(20) - per * len(missed))
        out[sid] = SubjectScore(items=[
            _deducted("letters", 30, unanswered[sid], per, "matters neither settled nor answered with a reason"),
            _deducted("referrals", 30, untracked[sid], per, "referred matters not tracked to a final reply"),
            ItemScore("patrols", patrol_points,
                      f"20 − {per} × {len(missed)} member-weeks missed ({len(members[sid])} members, "
                      f"{len(weeks)} weeks), floor 0",
                      Evidence(event_ids=tuple(ids), note="; ".join(missed))),
            _deducted("reports", 20, halting[sid], per, "times judged unable to report fluently"),
        ])
    return out


QUARTER = Sheet("department_quarter", "街道科室及网格挂点人员季度考核", "Street department quarterly assessment",
                "unit", "quarter", items=ITEMS, score=score, unit_kinds=("department",),
                description="茶山 C：街道科室百分制，按季度考核、评等次。")
