"""Sheet A: grid room directors' cash (网格室主任奖惩), computed per month, settled per quarter.

The same seven lines (R1–R5 rewards, F1–F2 fines) make the monthly ledger
(``chashan.director_month``) and the quarterly settlement (``chashan.director_quarter``): each
line sums the months of the period and says in its rule what each month earned or cost, so a
month's net, even a negative one, is the monthly ledger's total money.

A meeting pays once on its day: the community meeting on a working Friday morning, the street
meeting on the morning of the first working Monday of the month (the morning is checked unless
``check_time_of_day`` is off); an attendance recorded on another day earns nothing.

Attribution: patrols and major matters belong to the grid the director is assigned to (events in
it); reports, resident issues, hosted visits and meetings are the director's own (the actor);
the log judgement names the director (its subject). A day's patrols add up: two
half-hour patrols make the hour. Patrols are owed only on required days the
director was in post (their ``grid_director`` assignment), so a director who starts mid-month
is not fined for the days before.
"""
from __future__ import annotations

from decimal import Decimal

from gridgov.assessment import Evidence, ItemScore, SubjectScore
from gridgov.plugins import GradeBand, Sheet, SheetItem

from .days import dates, first_mondays, fridays, half_days, month_label, months, required_days

ITEMS = (
    SheetItem("r1", "R1 每天巡查不少于1小时且网格日志工整详细", "R1 Daily patrol of at least 1 h and a tidy log"),
    SheetItem("r2", "R2 每月有效信息20条以上", "R2 At least 20 valid reports in the month"),
    SheetItem("r3", "R3 居民意见和问题自主解释解决并得到认可", "R3 Resident issues settled and confirmed"),
    SheetItem("r4", "R4 接受上级检查及参观学习", "R4 Inspections and study visits hosted"),
    SheetItem("r5", "R5 参加周五社区调度会及每月第一个星期一街道调度会", "R5 Friday and first-Monday meetings attended"),
    SheetItem("f1", "F1 漏巡", "F1 Missed patrol days"),
    SheetItem("f2", "F2 重大事项未及时上报社区", "F2 Major matters not reported in time"),
)


def _by_month(tally, spans) -> list[int]:
    return [sum(n for d, n in tally.by_day.items() if first <= d < end) for first, end in spans]


def _line(key: str, amounts: list[Decimal], spans, words: list[str], evidence: Evidence) -> ItemScore:
    parts = [f"{month_label(first)}: {text} → ¥{amount:+.2f}" for (first, _), text, amount in zip(spans, words, amounts)]
    return ItemScore(key, None, "; ".join(parts), evidence, money=sum(amounts, Decimal(0)))


def _in_post(day, spans) -> bool:
    return any(starts <= day and (ends is None or day <= ends) for starts, ends in spans)


def score(facts) -> dict:
    s = facts.settings
    spans = months(facts.period_start, facts.period_end)
    working = facts.working_days()
    required = required_days(facts, working)
    fridays_due, mondays_due = set(fridays(working)), set(first_mondays(working))
    minimum = s["patrol_minimum_minutes"]
    # a day's patrols add up; every patrol carries its minutes (the form computes them), so the
    # days of the sum are the days with a patrol — one scan of the patrols, not two
    minutes = facts.sum("chashan.patrol", "minutes", by="grid", daily=True)
    tidy = facts.count("chashan.log_review", daily=True, payload={"tidy": True})
    untidy = facts.count("chashan.log_review", daily=True, payload={"tidy": False})
    valid = facts.count("chashan.info_report", by="actor", daily=True, payload={"accepted": True})
    issues = facts.count("chashan.resident_issue", by="actor", daily=True, payload={"resident_confirmed": True})
    visits = facts.count("chashan.hosted_visit", by="actor", daily=True)
    attendance = facts.count_by("chashan.meeting_attendance", "meeting", ["community_friday", "street_first_monday"],
                                by="actor", half_days=True)
    friday, monday = attendance["community_friday"], attendance["street_first_monday"]
    mornings = {"friday": half_days(facts, friday, False), "monday": half_days(facts, monday, False)}
    limit = s["major_matter_report_hours"] * 60
    late = facts.count("chashan.major_matter", by="grid", daily=True, payload={"community_delay_minutes": (">", limit)})
    unreported = facts.count("chashan.major_matter", by="grid", daily=True,
                             payload={"reported_to_community": False})
    duty = facts.assignment_spans(MONTH.roles)  # owed only while in post
    out = {}
    for sid in facts.subjects:
        owed = [d for d in required if _in_post(d, duty.get(sid, ()))]
        r1, r1_words, f1, f1_words = [], [], [], []
        for first, end in spans:
            due = [d for d in owed if first <= d < end]
            missed = [d for d in due if not minutes[sid].by_day.get(d)]
            short = [d for d in due if d not in missed and minutes[sid].by_day.get(d, 0) < minimum]
            judged = _by_month(tidy[sid], [(first, end)])[0] and not _by_month(untidy[sid], [(first, end)])[0]
            earned = bool(due) and not missed and not short and judged
            r1.append(s["reward_patrol_log"] if earned else Decimal(0))
            r1_words.append(f"{len(due) - len(missed) - len(short)}/{len(due)} days ≥ {s['patrol_minimum_minutes']} min"
                            + (", log judged tidy" if judged else ", log not judged tidy")
                            + (f"; short: {dates(short)}" if short else ""))
            f1.append(-s["fine_missed_patrol"] * len(missed))
            f1_words.append(f"{len(missed)} missed" + (f" ({dates(missed)})" if missed else ""))
        counts = _by_month(valid[sid], spans)
        r2 = [s["reward_reports"] if n >= s["valid_reports_minimum"] else Decimal(0) for n in counts]
        r3n, r4n = _by_month(issues[sid], spans), _by_month(visits[sid], spans)
        attended = sorted({d for d in mornings["friday"][sid] if d in fridays_due}
                          | {d for d in mornings["monday"][sid] if d in mondays_due})
        meetings = [len([d for d in attended if first <= d < end]) for first, end in spans]
        f2n = [a + b for a, b in zip(_by_month(late[sid], spans), _by_month(unreported[sid], spans))]
        out[sid] = SubjectScore(items=[
            _line("r1", r1, spans, r1_words, Evidence(event_ids=minutes[sid].event_ids + tidy[sid].event_ids
                                                      + untidy[sid].event_ids)),
            _line("r2", r2, spans, [f"{n} valid (≥ {s['valid_reports_minimum']} needed)" for n in counts],
                  Evidence(event_ids=valid[sid].event_ids)),
            _line("r3", [s["reward_resident_issue"] * n for n in r3n], spans, [f"{n} confirmed" for n in r3n],
                  Evidence(event_ids=issues[sid].event_ids)),
            _line("r4", [s["reward_hosted_visit"] * n for n in r4n], spans, [f"{n} hosted" for n in r4n],
                  Evidence(event_ids=visits[sid].event_ids)),
            _line("r5", [s["reward_meeting"] * n for n in meetings], spans,
                  [f"{n} meetings ({dates(d for d in attended if a <= d < b)})" for n, (a, b) in zip(meetings, spans)],
                  Evidence(event_ids=friday[sid].event_ids + monday[sid].event_ids)),
            _line("f1", f1, spans, f1_words, Evidence(note=dates(d for d in owed if not minutes[sid].by_day.get(d)))),
            _line("f2", [-s["fine_late_major_matter"] * n for n in f2n], spans,
                  [f"{n} late or unreported (limit {s['major_matter_report_hours']} h)" for n in f2n],
                  Evidence(event_ids=late[sid].event_ids + unreported[sid].event_ids)),
        ])
    return out


# A cash ledger has no points to grade: one band, so no director reads "fail" beside money.
LEDGER = (GradeBand("ledger", "奖惩台账", "Ledger", None),)
MONTH = Sheet("director_month", "网格室主任月度奖惩台账", "Grid room director monthly ledger", "person", "month",
              items=ITEMS, score=score, roles=("chashan.grid_director",), bands_setting=None, grade_bands=LEDGER,
              description="茶山 A：网格室主任按月奖惩（元），可为负数。")
QUARTER = Sheet("director_quarter", "网格室主任季度奖惩结算", "Grid room director quarterly settlement", "person",
                "quarter", items=ITEMS, score=score, roles=("chashan.grid_director",), bands_setting=None,
                grade_bands=LEDGER,
                description="茶山 A：三个月的奖惩按季度汇总结算。")
