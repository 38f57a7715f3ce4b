"""The Zhanqian demo: the street's assessment leading group as the 2011 document names it, an
inspection group, five communities with four second-level grids each, a director per community
and a responsible person per grid — and last year's whole assessment, so every rule shows:

* every month: each grid's inspections (some grids fall short of the four a month), the
  directors' monthly checks, a problem per community handled as a case (some late,
  a few left open), supervisions whose findings become rectification cases (most closed within
  days, December's still open), at each quarter's end a 民意测评 survey per community with its votes, the leading
  group's evaluation of each community, and now and then a penalty or an honour (one community
  earns more than the +20 cap in one month);
* the twelve monthly runs published, May corrected after publication (a new linked run), the
  four quarterly ratings and the annual summary published;
* this month's inspections so far, for the live view.

Community and grid names, and everyone outside the leading group, are made up. Deterministic:
the loader's random generator is seeded with the plugin name.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from gridgov.assessment import judging
from gridgov.assessment import operations as runs
from gridgov.extensions import db
from gridgov.models.surveys import SurveyToken
from gridgov.operations import cases as case_ops
from gridgov.operations import events as event_ops
from gridgov.surveys import operations as surveys

from .rectification import feed_back

LEADER = "程光远"
DEPUTIES = ["崔海宾", "殷科"]
MEMBERS = ["李盾", "贺维华", "万旭春", "初显艳", "杨萌", "张龙", "于洪飞", "李晓娟"]
INSPECTORS = ["李盾", "杨萌", "于洪飞"]
COMMUNITIES = ["站前社区", "铁路社区", "春风社区", "光明社区", "兴隆社区"]
# How diligent each community's grids are: the chance a grid makes its four inspections.
DILIGENCE = [0.95, 0.85, 0.7, 0.9, 0.6]
NOTES = ["", "", "门店占道已督促清理", "绿地内垃圾已通知环卫", "井盖松动已报市政", "楼道堆物已劝导"]
PROBLEMS = ["门店占道经营", "绿地内垃圾堆积", "井盖松动", "楼道堆放杂物", "违规张贴小广告", "路灯损坏", "下水道堵塞"]
FINDINGS = ["网格公示牌信息未更新", "巡查台账记录不全", "背街小巷垃圾未及时清运", "沿街门店门前三包落实不到位",
            "居民楼道堆物未清理"]
HONOURS = [  # (month, community index, title, document, points)
    (4, 0, "区级文明社区", "区文明办〔{y}〕12号", "10"),
    (4, 0, "区级平安社区", "区综治办〔{y}〕8号", "8"),
    (4, 0, "网格化管理创新案例（区绩效办认定）", "区绩效办〔{y}〕5号", "6"),
    (9, 3, "区级卫生先进社区", "区爱卫办〔{y}〕21号", "5"),
    (11, 1, "网格员信息采集创新（区绩效办认定）", "区绩效办〔{y}〕17号", "4"),
]
PENALTIES = [(3, 4, "5", "网格问题长期未处置被区城管委通报"), (8, 2, "3", "督查反馈问题整改不到位造成不良影响")]


def load(loader):
    since = dt.date(loader.today.year - 1, 1, 1)  # everyone in post since last year
    street = loader.grid("ZQ", "站前街道")
    group = loader.unit("ZQ-KHLDXZ", "网格化城市管理考核工作领导小组", "leading_group")
    inspection = loader.unit("ZQ-DCZ", "督查组", "inspection_group", parent=group)
    people = {}
    for n, (name, role) in enumerate([(LEADER, "leading_group_leader")]
                                     + [(d, "leading_group_deputy") for d in DEPUTIES]
                                     + [(m, "leading_group_member") for m in MEMBERS], 1):
        people[name] = loader.person(f"ZQ-LD{n:02d}", name)
        loader.assign(people[name], role, unit=group, starts_on=since)
    for name in INSPECTORS:
        loader.assign(people[name], "inspector", unit=inspection, starts_on=since)
    communities = []
    for i, name in enumerate(COMMUNITIES, 1):
        community = loader.grid(f"ZQ-{i:02d}", name, street)
        loader.unit(f"ZQ-SQ{i:02d}", f"{name}居委会", "community", grid=community)
        director = loader.person(f"ZQ-SQZR{i:02d}")
        loader.assign(director, "community_director", community, starts_on=since)
        grids = []
        for j in range(1, 5):
            grid = loader.grid(f"ZQ-{i:02d}-{j:02d}", f"{name}第{j}二级网格", community)
            responsible = loader.person(f"ZQ-WG{i:02d}{j:02d}")
            loader.assign(responsible, "grid_responsible", grid, starts_on=since)
            grids.append((responsible, grid))
        communities.append((community, director, grids))
    # the leading group assesses (tenant role assessor); the office moves cases; a director and
    # a grid responsible person record their own forms
    leader = loader.login("leader", "assessor", person=people[LEADER])
    office = loader.login("office", "supervisor")
    loader.login("director", "field_staff", person=communities[0][1])
    loader.login("staff", "field_staff", person=communities[0][2][0][0])
    year = loader.today.year - 1
    months = [dt.date(year, m, 1) for m in range(1, 13)]
    for month in months:
        _month_of_forms(loader, month, communities, [people[n] for n in INSPECTORS])
    _this_month(loader, communities)
    loader.flush_events()
    feed_back()
    _cases(loader, office, communities, months)
    _surveys(loader, communities, months)
    _judgements(leader, communities, months)
    _runs(leader, year, months)


def _weekdays(month: dt.date) -> list[dt.date]:
    end = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return [month + dt.timedelta(days=n) for n in range((end - month).days)
            if (month + dt.timedelta(days=n)).weekday() < 5]


def _month_of_forms(loader, month, communities, inspectors):
    rnd = loader.random
    days = _weekdays(month)
    for index, (community, director, grids) in enumerate(communities):
        for responsible, grid in grids:
            n = rnd.randint(4, 6) if rnd.random() < DILIGENCE[index] else rnd.randint(1, 3)
            for day in sorted(rnd.sample(days, n)):
                problems = rnd.choice((0, 0, 1, 1, 2, 3))
                loader.event("inspection", grid, loader.at(day, rnd.choice((9, 10, 14, 15))),
                             {"problems_found": problems, "note": rnd.choice(NOTES) if problems else ""},
                             actor=responsible)
            loader.event("monthly_check", grid, loader.at(days[-2], 15),
                         {"running_well": rnd.random() < DILIGENCE[index], "note": "月度检查"}, actor=director)
        for _, _, title, document, points in [h for h in HONOURS if h[0] == month.month and h[1] == index]:
            loader.event("honour", community, loader.at(days[10], 10),
                         {"kind": "innovation" if "创新" in title else "honour", "level": "district",
                          "title": title, "document": document.format(y=month.year), "points": points})
    for k in range(2):  # a routine and a special supervision each month
        community, _, grids = communities[rnd.randrange(len(communities))]
        _, grid = rnd.choice(grids)
        findings = rnd.sample(FINDINGS, rnd.randint(0, 2))
        loader.event("supervision", grid, loader.at(days[5 + 8 * k], 10),
                     {"kind": ("routine", "special")[k], "findings": findings, "note": "督查组检查"},
                     actor=rnd.choice(inspectors))


def _this_month(loader, communities):
    """This month's inspections so far: the live view of the investigation rate."""
    rnd = loader.random
    days = [d for d in loader.recent_weekdays(10) if d.month == loader.today.month] or loader.recent_weekdays(3)
    for _, _, grids in communities:
        for responsible, grid in grids:
            for day in sorted(rnd.sample(days, min(len(days), rnd.randint(1, 4)))):
                loader.event("inspection", grid, loader.at(day, 9), {"problems_found": 0}, actor=responsible)


def _walk(case, office, steps, at):
    for step in steps:
        getattr(case_ops, step)(case, actor=office, at=at, note="演示数据")


def _cases(loader, office, communities, months):
    """A problem a month per community handled as a case: most resolved in a day or three, some
    late, a few still open; then the rectification cases fed back from the supervisions, closed within days except
    December's."""
    rnd = loader.random
    for month in months:
        days = _weekdays(month)
        for community, _, grids in communities:
            _, grid = rnd.choice(grids)
            reported = loader.at(rnd.choice(days[:-8]), 9)
            case = case_ops.report_case({"category": "core.general", "grid_id": grid.id,
                                         "description": rnd.choice(PROBLEMS), "address": grid.name,
                                         "reported_at": reported.isoformat()}, actor=office)
            fate = rnd.random()
            _walk(case, office, ("accept", "dispatch", "start"), reported + dt.timedelta(hours=1))
            if fate < 0.8:
                _walk(case, office, ("resolve",), reported + dt.timedelta(days=rnd.randint(1, 3)))
            elif fate < 0.95:
                _walk(case, office, ("resolve",), reported + dt.timedelta(days=12))  # late
    last = months[-1]
    for case in case_ops.list_cases(states=["reported"]):
        if case.category != "zhanqian.rectification" or case.reported_at.astimezone(loader.zone).date() >= last:
            continue
        _walk(case, office, ("accept", "dispatch", "start"), case.reported_at + dt.timedelta(hours=20))
        _walk(case, office, ("resolve", "verify", "close"), case.reported_at + dt.timedelta(days=4))


def _surveys(loader, communities, months):
    """A 民意测评 survey per community at the end of each quarter, two households per
    second-level grid; most satisfied, some never answer (they count against the rate). The
    other months have nothing sampled: 10 points, "nothing due"."""
    rnd = loader.random
    for month in months[2::3]:
        end = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        for index, (community, _, _) in enumerate(communities):
            survey = surveys.create_survey(title=f"{community.name}{month.month}月社区网格化管理民意测评表",
                                           grid_id=community.id, starts_on=month.replace(day=20), ends_on=end,
                                           per_grid=2)
            tokens = list(db.session.scalars(select(SurveyToken).where(SurveyToken.survey_id == survey.id)
                                             .order_by(SurveyToken.id)))
            answered = [t for t in tokens if rnd.random() < 0.9]
            votes = [{"type": surveys.VOTE_TYPE, "grid_id": t.grid_id, "occurred_at": loader.at(end, 16).isoformat(),
                      "idempotency_key": f"survey-vote:{t.id}",
                      "payload": {"survey_id": survey.id, "comment": "",
                                  "answer": "satisfied" if rnd.random() < DILIGENCE[index] + 0.05 else
                                  rnd.choice(("basically_satisfied", "dissatisfied"))}} for t in answered]
            ids, _ = event_ops.record_batch(votes) if votes else ([], [])
            for token, event_id in zip(answered, ids):
                db.session.execute(update(SurveyToken).where(SurveyToken.id == token.id)
                                   .values(used_at=loader.at(end, 16), event_id=event_id))
            survey.status = "closed"


def _judgements(leader, communities, months):
    """The leading group's evaluation of every community each month, and the year's penalties."""
    for month in months:
        for index, (community, _, _) in enumerate(communities):
            points = ("9.5", "9", "8", "8.5", "7")[index]
            judging.enter_judgement(sheet="zhanqian.community_month", period_start=month, item="leadership",
                                    subject_id=community.id, points=points, reason="领导小组月度综合评价", user=leader)
        for _, index, points, reason in [p for p in PENALTIES if p[0] == month.month]:
            judging.enter_judgement(sheet="zhanqian.community_month", period_start=month, item="penalty",
                                    subject_id=communities[index][0].id, points=points, reason=reason, user=leader)


def _runs(leader, year, months):
    """Publish the twelve months (May corrected after publication), the four quarters, the year."""
    def publish(sheet, start, note=""):
        run = runs.create_run(sheet=f"zhanqian.{sheet}", period_start=start, user=leader, note=note)
        runs.compute_now(run, leader)
        return runs.publish(run, leader)

    for month in months:
        published = publish("community_month", month)
        if month.month == 5:
            correction = runs.correct(published, leader, note="复核更正：补录督查整改情况")
            runs.compute_now(correction, leader)
            runs.publish(correction, leader)
    for quarter in (1, 4, 7, 10):
        publish("community_quarter", dt.date(year, quarter, 1))
    publish("community_year", dt.date(year, 1, 1))
