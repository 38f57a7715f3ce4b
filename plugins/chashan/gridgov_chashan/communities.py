"""Sheet B: communities and their grid liaison staff (社区及网格挂点人员), 100 points a quarter,
one sheet per community (grids of level 1); an excellent community earns the quarter's award.

Every event counts for the community it happened in (its own grid or a grid below it).
Weekly items expect something on each working Friday of the quarter (a Friday that is a
holiday expects nothing): the letter and the meeting in the morning, the joint patrol in the
afternoon (setting ``check_time_of_day``); item 3 expects a supervision record and a meeting notice each month.
"""
from __future__ import annotations

from decimal import Decimal

from gridgov.assessment import Award, Evidence, ItemScore, SubjectScore, shortfall_steps
from gridgov.plugins import Sheet, SheetItem

from .days import dates, fridays, half_days, month_label, months
from .settings import HONOUR_LEVELS, INSPECTION_LEVELS, per_level

TEN, TWENTY, ZERO = Decimal(10), Decimal(20), Decimal(0)

ITEMS = (
    SheetItem("letter", "1 每周五上午交办函", "1 Friday escalation letter", TEN),
    SheetItem("signin", "2 周五上午调度会及签到", "2 Friday meeting with sign-in sheet", TEN),
    SheetItem("supervision", "3 日常监督记录及街道调度会通知", "3 Supervision records and street meeting notices", TEN),
    SheetItem("residents", "4 居民信息电子录入及更新", "4 Residents' information kept electronically", TEN,
              kind="judged"),
    SheetItem("joint_patrol", "5 周五下午街道挂点人员联合巡查", "5 Friday afternoon joint patrol", TEN),
    SheetItem("handling", "6 信息及时处理率及限时办结反馈率", "6 Handling rate", TEN),
    SheetItem("major", "7 重大事项及时上报街道（不封顶）", "7 Major matters reported to the street (no floor)", TEN),
    SheetItem("satisfaction", "8 网格工作满意度", "8 Satisfaction", TEN),
    SheetItem("leadership", "9 领导综合评价", "9 Leadership comprehensive evaluation", TWENTY, kind="judged"),
    SheetItem("honours", "10 奖励加分", "10 Honour bonus", role="bonus"),
    SheetItem("inspections", "11 惩罚扣分", "11 Inspection penalty", role="penalty"),
)


def _fridays_item(key, tally, done: set, due, per_miss, half: str) -> ItemScore:
    """10 − ``per_miss`` per working Friday without the event (in its half of the day, ``done``),
    floor 0 (扣完为止)."""
    missed = [d for d in due if d not in done]
    points = max(ZERO, TEN - per_miss * len(missed))
    rule = f"10 − {per_miss} × {len(missed)} missed of {len(due)} working Fridays{half}, floor 0"
    return ItemScore(key, points, rule, Evidence(event_ids=tally.event_ids, note=dates(missed)))


def _rate_item(key, rate, threshold_pp: Decimal, s, case_ids=(), event_ids=()) -> ItemScore:
    """10 at or above the threshold; −0.5 per 5 pp short (ceil), floor 0."""
    steps = shortfall_steps(rate.value, threshold_pp / 100, s["rate_step"] / 100)
    points = max(ZERO, TEN - s["rate_step_deduction"] * steps)
    shown = "nothing due (100 %)" if rate.nothing_due else f"{rate.numerator}/{rate.denominator} = {rate.percent} %"
    rule = f"{shown}; ≥ {threshold_pp} % → 10, − {s['rate_step_deduction']} × {steps} steps of {s['rate_step']} pp, floor 0"
    return ItemScore(key, points, rule, Evidence(event_ids=tuple(event_ids), case_ids=tuple(case_ids)),
                     nothing_due=rate.nothing_due)


def _judged(key, entries, sid) -> ItemScore:
    entry = entries.get(sid)
    rule = "entered by the leading group" if entry else "not entered: 0"
    return ItemScore(key, entry.points if entry else ZERO, rule, Evidence(judged=entry))


def _per_level_item(key, tallies, points, sid, levels, cap=None) -> ItemScore:
    parts, total, ids = [], ZERO, []
    for level in levels:
        tally = tallies[level]
        if tally[sid].count:
            parts.append(f"{levels[level][0]} {tally[sid].count} × {points[level]}")
            total += points[level] * tally[sid].count
            ids += tally[sid].event_ids
    if cap is not None and total > cap:
        parts.append(f"capped at {cap}")
        total = cap
    return ItemScore(key, total, "; ".join(parts) or "none", Evidence(event_ids=tuple(ids)))


def score(facts) -> dict:
    s = facts.settings
    working = facts.working_days()
    due = fridays(working)
    spans = months(facts.period_start, facts.period_end)
    weekly = facts.count_each(["chashan.escalation_letter", "chashan.signin_meeting", "chashan.joint_patrol"],
                              by="grid", half_days=True)
    letters, signins = weekly["chashan.escalation_letter"], weekly["chashan.signin_meeting"]
    joint = weekly["chashan.joint_patrol"]
    mornings = {"letter": half_days(facts, letters, False), "signin": half_days(facts, signins, False)}
    afternoons = half_days(facts, joint, True)
    am, pm = ("", "") if not s["check_time_of_day"] else (" (mornings)", " (afternoons)")
    monthly = facts.count_each(["chashan.supervision", "chashan.meeting_notice"], by="grid", daily=True)
    supervision, notices = monthly["chashan.supervision"], monthly["chashan.meeting_notice"]
    limit = s["major_matter_report_hours"] * 60
    late = facts.count("chashan.major_matter", by="grid", payload={"street_delay_minutes": (">", limit)})
    unreported = facts.count("chashan.major_matter", by="grid", payload={"reported_to_street": False})
    # per level in one query each: {level: {community: Tally}}
    honours = facts.count_by("chashan.honour", "level", HONOUR_LEVELS, by="grid")
    findings = facts.count_by("chashan.inspection_finding", "level", INSPECTION_LEVELS, by="grid")
    residents, leadership = facts.judged("residents"), facts.judged("leadership")
    satisfaction = facts.satisfaction_by_subject()
    disposal = facts.disposal_by_subject()
    bonus, penalty = per_level(s, "honour_bonus", HONOUR_LEVELS), per_level(s, "inspection_penalty", INSPECTION_LEVELS)
    miss = s["missed_deduction"]
    out = {}
    for sid in facts.subjects:
        lacking = [f"{month_label(a)} no supervision record" for a, b in spans
                   if not any(a <= d < b for d in supervision[sid].by_day)]
        lacking += [f"{month_label(a)} no meeting notice" for a, b in spans
                    if not any(a <= d < b for d in notices[sid].by_day)]
        handling = disposal[sid].on_time_disposal_rate
        late_cases = disposal[sid].late_case_ids if handling.numerator < handling.denominator else ()
        n_major = late[sid].count + unreported[sid].count
        out[sid] = SubjectScore(items=[
            _fridays_item("letter", letters[sid], mornings["letter"][sid], due, miss, am),
            _fridays_item("signin", signins[sid], mornings["signin"][sid], due, miss, am),
            ItemScore("supervision", max(ZERO, TEN - miss * len(lacking)),
                      f"10 − {miss} × {len(lacking)} months lacking a record or notice, floor 0",
                      Evidence(event_ids=supervision[sid].event_ids + notices[sid].event_ids, note="; ".join(lacking))),
            _judged("residents", residents, sid),
            _fridays_item("joint_patrol", joint[sid], afternoons[sid], due, miss, pm),
            _rate_item("handling", handling, s["handling_rate_threshold"], s, late_cases),
            ItemScore("major", TEN - s["major_matter_deduction"] * n_major,
                      f"10 − {s['major_matter_deduction']} × {n_major} late or unreported (limit "
                      f"{s['major_matter_report_hours']} h), no floor",
                      Evidence(event_ids=late[sid].event_ids + unreported[sid].event_ids)),
            _rate_item("satisfaction", satisfaction[sid].ratio, s["satisfaction_threshold"], s,
                       event_ids=satisfaction[sid].vote_ids),
            _judged("leadership", leadership, sid),
            _per_level_item("honours", honours, bonus, sid, HONOUR_LEVELS, s["honour_bonus_cap"]),
            _per_level_item("inspections", findings, penalty, sid, INSPECTION_LEVELS),
        ])
    return out


def excellent_award(standing, settings) -> list[Award]:
    """¥1000 (setting) for a community graded excellent in the quarter (评为优秀级社区)."""
    if standing.grade != "excellent":
        return []
    return [Award("excellent_community", "优秀社区季度奖励", "Excellent community award",
                  Decimal(settings["excellent_community_award"]))]


QUARTER = Sheet("community_quarter", "社区及网格挂点人员季度考核", "Community quarterly assessment", "grid", "quarter",
                items=ITEMS, score=score, awards=excellent_award, grid_levels=(1,),
                description="茶山 B：社区百分制，按季度考核、评等次、排名，优秀社区奖励1000元。")
