"""The Chashan demo: a street office (茶山街道) with six communities of four to six grids (30 grids),
a grid room director (网格室主任) per grid, community liaison staff (社区网格挂点人员) and a member of
each community's assessment leading group, and six street departments (科室) each attached (挂点)
to a community with two street liaison members.

The demo holds the whole third quarter of 2026 (1 July – 30 September, the official calendar:
the Mid-autumn Friday 25 September is a holiday, Sunday 20 September a make-up working day) —
every record the three sheets count — and the quarter's assessment runs computed and published:
the monthly director ledgers (A), their quarterly settlement, the communities' sheet (B) and the
departments' sheet (C). The annual ranking of 2026 is computed and left unpublished, a draft
for the assessors.

What the results show (seeded, the same every time):

* 茶山社区 excellent (优秀) with its ¥1000 award (a city honour on top of a full sheet);
  金竹社区 fails (不合格): missed Fridays, three major matters late to the street (item 7 below
  zero), cases resolved late or never (item 6, 62.5 %) and a prefecture-level inspection
  finding; the others good or pass;
* directors' fines for missed patrol days (some forgot the make-up Sunday) and one major matter
  reported late to the community; a director with exactly 20 valid reports in July (the ``director``
  login, who reads their own published ledgers), another with 19; short patrols that add up to
  the hour, and one that does not; an untidy log; a director who took over a grid in August;
  a community that decides its directors' reports afterwards (amending events);
* a department whose members skipped the weekly patrol, left letters unanswered and referrals
  untracked, and a staff member with a serious failure (disqualified from annual honours).

Names of places and people are made up. Everything goes through the operations the API calls:
the registers, the event batch path, the case workflow, judged inputs by an assessor who answers
for no grid, and the runs (computed in the loader's transaction with :func:`gridgov.assessment.operations.compute_now`).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from gridgov import workdays
from gridgov.assessment import judging
from gridgov.assessment import operations as runs
from gridgov.extensions import db
from gridgov.models import Event, Unit, User
from gridgov.operations import events as event_ops

YEAR_START = dt.date(2026, 1, 1)
QUARTER = dt.date(2026, 7, 1)
QUARTER_END = dt.date(2026, 10, 1)
MONTHS = (dt.date(2026, 7, 1), dt.date(2026, 8, 1), dt.date(2026, 9, 1))

COMMUNITIES = [("茶山社区", 6), ("南岭社区", 5), ("东岙社区", 5), ("金竹社区", 4), ("新桥社区", 6), ("翠湖社区", 4)]
DEPARTMENTS = ["党政综合办公室", "综治维稳办公室", "城市管理科", "社会事务科", "经济发展科", "计划生育办公室"]

# Per community (in COMMUNITIES order): working Fridays (by index, 0–11) without the morning
# letter, without the morning meeting, without the afternoon joint patrol; months (0–2) without
# a supervision record, without the meeting notice; the judged items (residents 0–10,
# leadership 0–20); honours and inspection findings (level, title, month index).
PLANS = [
    dict(letter=(), signin=(), joint=(), supervision=(), notice=(), residents="9.5", leadership="19",
         honours=[("prefecture_city", "市级文明社区", 1)], findings=[]),
    dict(letter=(2, 7), signin=(5,), joint=(), supervision=(), notice=(), residents="8.5", leadership="16",
         honours=[], findings=[]),
    dict(letter=(1, 6, 10), signin=(3, 9), joint=(0, 4, 8, 11), supervision=(2,), notice=(), residents="7",
         leadership="15", honours=[], findings=[("county", "楼道电动车充电线私拉乱接", 1)]),
    dict(letter=(0, 2, 3, 5, 6, 8, 9, 11), signin=(1, 3, 4, 7, 9, 10), joint=(0, 1, 2, 4, 5, 6, 7, 8, 10, 11),
         supervision=(1, 2), notice=(2,), residents="5", leadership="11", honours=[],
         findings=[("prefecture", "农贸市场周边占道经营反弹，台账缺失", 2)]),
    dict(letter=(4,), signin=(), joint=(), supervision=(), notice=(), residents="8", leadership="14",
         honours=[], findings=[]),
    dict(letter=(), signin=(2, 6, 9), joint=(1, 3, 5, 7, 9, 11), supervision=(), notice=(), residents="6",
         leadership="12", honours=[("provincial_department", "省级平安社区示范点", 2)],
         findings=[("county", "消防通道堆放杂物", 0)]),
]
# The letter that one community sent on a Friday afternoon: too late for item 1 (counted missed).
AFTERNOON_LETTER = (2, 6)

PATROL_LOGS = [
    "巡查辖区楼道及公共区域，未发现安全隐患。",
    "走访独居老人两户，了解生活情况，已登记。",
    "发现小区东门占道经营一处，当场劝导整改。",
    "检查电动车集中充电点，提醒住户不要楼道充电。",
    "配合物业清理堆放杂物，环境已恢复整洁。",
    "巡查沿街商铺门前三包落实情况，均已整改。",
    "查看出租房屋登记情况，新增租户两户已登记。",
]
REPORTS = [
    ("environment", "3号楼后侧垃圾未及时清运"),
    ("disputes", "两户居民因漏水产生纠纷，已初步调解"),
    ("public_opinion", "居民反映小区路灯损坏，希望尽快维修"),
    ("public_order", "夜间发现可疑人员在车棚徘徊，已报告社区民警"),
    ("family_planning", "新迁入育龄妇女一名，已登记"),
    ("party_building", "楼栋党员志愿服务队开展清洁活动"),
]
ISSUES = [("居民咨询低保申请手续，已当面解释", "explained"), ("楼道灯不亮，已联系物业更换", "solved"),
          ("咨询医保缴费时间，已告知", "explained"), ("下水道反味，已协调疏通", "solved")]
# Major matters (重大事项): (community, grid, day, hour, minutes to the community, to the street or None).
MAJOR_MATTERS = [
    (1, 3, dt.date(2026, 7, 14), 15, 30, 70, "小区南侧老旧围墙出现裂缝，有倒塌危险"),
    (2, 2, dt.date(2026, 8, 5), 10, 180, 210, "地下车库积水漫过配电箱"),
    (3, 1, dt.date(2026, 9, 2), 9, 50, 240, "两户居民冲突升级，有人受伤"),
    (4, 1, dt.date(2026, 7, 21), 14, 150, 360, "沿街门面燃气泄漏"),
    (4, 2, dt.date(2026, 8, 19), 16, 60, None, "工地塔吊倾斜"),
    (4, 3, dt.date(2026, 9, 15), 10, 30, 300, "群租房聚集人员闹事"),
    (5, 4, dt.date(2026, 8, 26), 11, 20, 45, "河道护栏损毁，儿童落水险情"),
    (6, 2, dt.date(2026, 7, 29), 20, 40, 95, "暴雨致老旧平房漏雨严重，需转移住户"),
]
# Hosted inspections and study visits: (community, grid, day, kind, visitor).
VISITS = [(1, 1, dt.date(2026, 7, 22), "inspection", "区网格化管理办公室"),
          (1, 2, dt.date(2026, 8, 12), "study_visit", "邻街道网格办"), (1, 2, dt.date(2026, 9, 9), "inspection", "市综治办"),
          (2, 1, dt.date(2026, 8, 20), "study_visit", "外省考察团"), (5, 3, dt.date(2026, 9, 16), "inspection", "区民政局")]
# Per department (in DEPARTMENTS order): letter matters neither settled nor answered, answered
# with a reason, referrals not replied (tracked / untracked), weekly reports judged not fluent
# (by week index), and (member, week index) patrols missed besides the community's own.
DEPARTMENT_PLANS = [
    dict(unanswered=0, answered=1, tracked=0, untracked=0, halting=(), skipped=()),
    dict(unanswered=0, answered=2, tracked=1, untracked=0, halting=(6,), skipped=((1, 3),)),
    dict(unanswered=1, answered=1, tracked=0, untracked=1, halting=(), skipped=((0, 7), (1, 7))),
    dict(unanswered=3, answered=0, tracked=1, untracked=1, halting=(2, 5, 9, 12), skipped=()),
    dict(unanswered=0, answered=0, tracked=0, untracked=0, halting=(), skipped=()),
    dict(unanswered=1, answered=1, tracked=0, untracked=0, halting=(10,), skipped=((0, 12),)),
]
# The community (新桥社区) that decides its directors' August reports afterwards: each report is
# recorded undecided, and the community's decision amends it (an amending event replaces it).
DECIDED_LATER = (5, 1)
STAFF_CHANGE = (5, 6, dt.date(2026, 8, 14), dt.date(2026, 8, 17))  # grid 05-06: leaves, successor starts
# Cases (案件) reported in each community's grids over the quarter, for item 6 (the handling
# rate): (cases, resolved after their deadline, never resolved). The rest are resolved in hours.
CASE_PLANS = [(6, 0, 0), (5, 0, 0), (10, 1, 0), (8, 2, 1), (6, 0, 0), (4, 0, 0)]
CASE_PROBLEMS = ("楼道堆放杂物，堵塞消防通道", "路灯损坏，夜间无照明", "下水道堵塞，污水外溢", "商户占道经营",
                 "夜间施工噪音扰民", "邻里漏水纠纷", "违规张贴小广告", "生活垃圾清运不及时")


def load(loader):
    workdays.seed_official_calendar()  # the quarter is scored on the official calendar
    demo = _Quarter(loader)
    demo.registers()
    demo.directors_work()
    demo.communities_work()
    demo.departments_work()
    loader.flush_events()
    demo.decide_reports()
    demo.cases()
    demo.assess()


class _Quarter:
    def __init__(self, loader):
        self.loader = loader
        self.rnd = loader.random
        self.decisions: dict[int, int] = {}  # director → reports to accept among those decided later
        self.working = workdays.working_days_in(QUARTER, QUARTER_END - dt.timedelta(days=1))
        self.fridays = [d for d in self.working if d.weekday() == 4]
        self.first_mondays = sorted({(d.year, d.month): d for d in reversed(self.working)
                                     if d.weekday() == 0}.values())
        # weeks by their Monday, kept when their Thursday is in the quarter and a day is working
        mondays = sorted({d - dt.timedelta(days=d.weekday()) for d in self.working})
        self.weeks = [m for m in mondays if QUARTER <= m + dt.timedelta(days=3) < QUARTER_END]

    def assign(self, person, role, grid=None, unit=None, starts_on=YEAR_START, ends_on=None):
        self.loader.assign(person, role, grid, unit, starts_on=starts_on, ends_on=ends_on)

    # -- the registers ------------------------------------------------------------------------

    def registers(self):
        ld = self.loader
        street = ld.grid("CS", "茶山街道")
        office = ld.unit("CS-BGS", "街道办公室", "street_office")
        self.communities, self.directors, self.liaisons = [], [], []
        for i, (name, n_grids) in enumerate(COMMUNITIES, 1):
            community = ld.grid(f"CS-{i:02d}", name, street)
            self.communities.append(community)
            ld.unit(f"CS-SQ{i:02d}", f"{name}居委会", "community", grid=community)
            self.assign(ld.person(f"CS-L{i:02d}0"), "community_leading_group", community)
            liaisons = [ld.person(f"CS-L{i:02d}{k}") for k in (1, 2)]
            for person in liaisons:
                self.assign(person, "community_liaison", community)
            self.liaisons.append(liaisons)
            grids = []
            for j in range(1, n_grids + 1):
                grid = ld.grid(f"CS-{i:02d}-{j:02d}", f"{name}第{j}网格", community)
                director = ld.person(f"CS-D{i:02d}{j:02d}")
                if (i, j) == STAFF_CHANGE[:2]:
                    self.assign(director, "grid_director", grid, ends_on=STAFF_CHANGE[2])
                    successor = ld.person(f"CS-D{i:02d}{j:02d}B")
                    self.assign(successor, "grid_director", grid, starts_on=STAFF_CHANGE[3])
                    grids.append((grid, [(director, None, STAFF_CHANGE[2]), (successor, STAFF_CHANGE[3], None)]))
                else:
                    self.assign(director, "grid_director", grid)
                    grids.append((grid, [(director, None, None)]))
            self.directors.append(grids)
        self.departments = []
        for d, (name, community) in enumerate(zip(DEPARTMENTS, self.communities), 1):
            department = ld.unit(f"CS-KS{d:02d}", name, "department", grid=community)
            staff = [ld.person(f"CS-K{d:02d}{k}") for k in (1, 2)]
            for person in staff:
                self.assign(person, "street_liaison", unit=department)
            self.departments.append((department, staff))
        # The assessment office's assessor belongs to the street office, answers for no grid.
        examiner = ld.person("CS-KH01")
        self.assign(examiner, "street_liaison", unit=office)
        self.assessor = ld.login("assessor", "assessor", person=examiner)
        ld.login("staff", "field_staff", person=self.directors[0][0][1][0][0])
        self.director_user = ld.login("director", "field_staff", person=self.directors[0][1][1][0][0])

    # -- sheet A: the directors' days -----------------------------------------------------------

    def at(self, day, hour, minute=0):
        return self.loader.at(day, hour, minute)

    def directors_work(self):
        for c, grids in enumerate(self.directors, 1):
            for j, (grid, holders) in enumerate(grids, 1):
                for director, starts, ends in holders:
                    days = [d for d in self.working if (starts is None or d >= starts) and (ends is None or d <= ends)]
                    self._director(c, j, grid, director, days)
        for c, j, day, hour, to_community, to_street, summary in MAJOR_MATTERS:
            grid, holders = self.directors[c - 1][j - 1]
            found = self.at(day, hour)
            self.loader.event("major_matter", grid, found, {
                "summary": summary, "discovered_at": found.isoformat(),
                "reported_to_community_at": (found + dt.timedelta(minutes=to_community)).isoformat(),
                "reported_to_street_at": (found + dt.timedelta(minutes=to_street)).isoformat() if to_street else None,
            }, actor=holders[0][0])
        for c, j, day, kind, visitor in VISITS:
            grid, holders = self.directors[c - 1][j - 1]
            self.loader.event("hosted_visit", grid, self.at(day, 10), {"kind": kind, "visitor": visitor},
                              actor=holders[0][0])

    def _director(self, c: int, j: int, grid, director, days):
        ld, rnd = self.loader, self.rnd
        careless = c == 4
        miss_rate = 0.04 if careless else 0.008
        forgot_sunday = careless or rnd.random() < 0.3
        for day in days:
            if day.weekday() == 6 and forgot_sunday:  # the make-up working Sunday
                continue
            if (c, j) != (1, 1) and rnd.random() < miss_rate:
                continue
            roll = rnd.random()
            if roll < 0.03:  # two short rounds that add up to the hour
                self._patrol(grid, director, day, 8, 30, 35)
                self._patrol(grid, director, day, 15, 0, 30)
            elif roll < 0.036 and (c, j) != (1, 1):  # one short round: the month's R1 is lost
                self._patrol(grid, director, day, 9, 0, 40)
            else:
                self._patrol(grid, director, day, rnd.choice((8, 9, 14, 15)), rnd.choice((0, 15, 30)),
                             rnd.choice((60, 65, 70, 75, 90, 120)))
        for m, first in enumerate(MONTHS):
            month = [d for d in days if d.month == first.month]
            if not month:
                continue
            valid = self._valid_reports(c, j, m)
            rejected = rnd.choice((0, 1, 2, 3))
            undecided = (c, m) == DECIDED_LATER
            if undecided:
                self.decisions[director.id] = valid
            for n in range(valid + rejected):
                category, summary = rnd.choice(REPORTS)
                ld.event("info_report", grid, self.at(rnd.choice(month), rnd.choice((11, 16)), rnd.choice((0, 20, 40))),
                         {"category": category, "summary": summary, "accepted": None if undecided else n < valid},
                         actor=director)
            for _ in range(rnd.choice((0, 1, 1, 2, 3))):
                summary, outcome = rnd.choice(ISSUES)
                ld.event("resident_issue", grid, self.at(rnd.choice(month), 10, 30),
                         {"summary": summary, "outcome": outcome, "resident_confirmed": rnd.random() < 0.85},
                         actor=director)
            tidy = not ((c, j, m) == (3, 2, 1) or (careless and j == 4))
            ld.event("log_review", grid, self.at(month[-1], 17), {"tidy": tidy, "note": "" if tidy else "日志记录过简"},
                     subject=director, actor=self.liaisons[c - 1][0])
        absent = 0.25 if careless else 0.05
        for day in days:
            if day in self.fridays and ((c, j) == (1, 1) or rnd.random() > absent):
                ld.event("meeting_attendance", grid, self.at(day, 8, 50), {"meeting": "community_friday"},
                         actor=director)
            if day in self.first_mondays and ((c, j) == (1, 1) or rnd.random() > absent):
                ld.event("meeting_attendance", grid, self.at(day, 9, 20), {"meeting": "street_first_monday"},
                         actor=director)

    def _valid_reports(self, c: int, j: int, month: int) -> int:
        if (c, j) == (1, 1):
            return 24
        if (c, j) == (1, 2):  # the ``director`` login: exactly the 20 needed in July, short in September
            return (20, 23, 19)[month]
        if (c, j) == (1, 3) and month == 0:  # one short of the reward
            return 19
        return self.rnd.choice((8, 12, 15, 18, 21, 22, 25) if c != 4 else (6, 9, 12, 21))

    def _patrol(self, grid, director, day, hour, minute, minutes, type_="patrol"):
        start = self.at(day, hour, minute)
        end = start + dt.timedelta(minutes=minutes)
        self.loader.event(type_, grid, start, {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M"),
                                               "log": self.rnd.choice(PATROL_LOGS)}, actor=director)

    # -- sheet B: the communities' Fridays and months ---------------------------------------------

    def communities_work(self):
        ld = self.loader
        for c, (community, plan) in enumerate(zip(self.communities, PLANS), 1):
            writer, second = self.liaisons[c - 1]
            grids = self.directors[c - 1]
            for f, friday in enumerate(self.fridays):
                if f not in plan["letter"]:
                    ld.event("escalation_letter", community, self.at(friday, 10, 30),
                             {"matters": self.rnd.choice((1, 2, 3)), "summary": "路灯维修、围墙加固、占道经营"}, actor=writer)
                elif (c, f) == AFTERNOON_LETTER:
                    ld.event("escalation_letter", community, self.at(friday, 15),
                             {"matters": 1, "summary": "下午补交：楼道堆物清理"}, actor=writer)
                if f not in plan["signin"]:
                    ld.event("signin_meeting", community, self.at(friday, 9), {"attendees": len(grids)}, actor=writer)
            for m, first in enumerate(MONTHS):
                month = [d for d in self.working if d.month == first.month]
                if m not in plan["supervision"]:
                    ld.event("supervision", community, self.at(month[8], 15),
                             {"summary": "抽查网格日志及巡查记录，反馈两处记录不全"}, actor=second)
                if m not in plan["notice"]:
                    ld.event("meeting_notice", community, self.at(month[0], 8, 10),
                             {"summary": "通知参加街道网格工作调度会（本月第一个星期一上午）"}, actor=second)
            for level, title, m in plan["honours"]:
                ld.event("honour", community, self.at(MONTHS[m] + dt.timedelta(days=14), 10),
                         {"level": level, "title": title})
            for level, summary, m in plan["findings"]:
                ld.event("inspection_finding", community, self.at(MONTHS[m] + dt.timedelta(days=20), 10),
                         {"level": level, "summary": summary})

    # -- sheet C: the departments' weeks ------------------------------------------------------------

    def departments_work(self):
        ld, rnd = self.loader, self.rnd
        for d, ((department, staff), plan) in enumerate(zip(self.departments, DEPARTMENT_PLANS)):
            community, grids = self.communities[d], self.directors[d]
            joint_missed = PLANS[d]["joint"]
            for w, monday in enumerate(self.weeks):
                week = [x for x in self.working if monday <= x < monday + dt.timedelta(days=7)]
                fridays = [x for x in week if x in self.fridays]
                day = fridays[0] if fridays else week[-1]
                grid = grids[w % len(grids)][0]
                for k, member in enumerate(staff):
                    if (k, w) in plan["skipped"] or (fridays and self.fridays.index(day) in joint_missed):
                        continue
                    self._patrol(grid, member, day, 14, 30, 90, "joint_patrol")
                ld.event("meeting_report", community, self.at(week[0], 9, 30),
                         {"fluent": w not in plan["halting"], "note": "" if w not in plan["halting"] else "情况不熟悉"},
                         actor=staff[w % 2], subject_unit=department)
            outcomes = ["unanswered"] * plan["unanswered"] + ["answered"] * plan["answered"]
            outcomes += ["settled"] * (6 - len(outcomes))
            for n, outcome in enumerate(outcomes):
                ld.event("letter_handling", community, self.at(self.fridays[2 * n] + dt.timedelta(days=4), 16),
                         {"outcome": outcome, "summary": rnd.choice(("路灯维修", "围墙加固", "占道经营整治", "垃圾清运"))},
                         actor=staff[n % 2], subject_unit=department)
            statuses = ["tracked"] * plan["tracked"] + ["untracked"] * plan["untracked"]
            statuses += ["replied"] * (3 - len(statuses))
            for n, status in enumerate(statuses):
                ld.event("referral", community, self.at(MONTHS[n] + dt.timedelta(days=9), 11),
                         {"status": status, "summary": "报区住建局：老旧小区改造"}, actor=staff[0], subject_unit=department)
        failing = self.departments[3][1][1]
        ld.event("serious_failure", self.communities[3], self.at(dt.date(2026, 8, 20), 10),
                 {"summary": "工地塔吊倾斜未跟踪上报，延误处置"}, subject=failing)

    def decide_reports(self):
        """The community's decisions on the reports recorded undecided: for each director, the
        first of them (by time) accepted as valid up to the director's count, the rest rejected —
        amending events, through the event batch path."""
        rows = db.session.execute(select(Event).where(
            Event.type == "chashan.info_report", Event.actor_person_id.in_(list(self.decisions)),
            Event.payload["accepted"].as_string().is_(None)).order_by(Event.occurred_at, Event.id)).scalars().all()
        accepted: dict[int, int] = {}
        amendments = []
        for report in rows:
            n = accepted[report.actor_person_id] = accepted.get(report.actor_person_id, 0) + 1
            amendments.append({
                "type": report.type, "grid_id": report.grid_id, "occurred_at": report.occurred_at.isoformat(),
                "actor_person_id": report.actor_person_id, "amends_id": report.id,
                "payload": {**report.payload, "accepted": n <= self.decisions[report.actor_person_id]}})
        for start in range(0, len(amendments), event_ops.MAX_BATCH):
            event_ops.record_batch(amendments[start:start + event_ops.MAX_BATCH])

    # -- item 6: cases handled in time, or not -------------------------------------------------------

    def cases(self):
        """Each community's cases, reported, accepted, dispatched to its residents' committee,
        taken up and (mostly) resolved — every step through the case workflow's operations, by
        the tenant administrator, at the quarter's times."""
        from gridgov.operations import cases as case_ops

        actor = db.session.scalar(select(User).where(User.username == f"{self.loader.slug}-admin"))
        days = [d for d in self.working if d < dt.date(2026, 9, 10)]
        for c, (n, late, open_) in enumerate(CASE_PLANS):
            committee = db.session.scalar(select(Unit).where(Unit.code == f"CS-SQ{c + 1:02d}"))
            grids = self.directors[c]
            for k in range(n):
                grid = grids[k % len(grids)][0]
                reported = self.at(self.rnd.choice(days), 9, self.rnd.choice((0, 20, 40)))
                case = case_ops.report_case({"category": "core.general", "grid_id": grid.id,
                                             "description": self.rnd.choice(CASE_PROBLEMS), "address": grid.name,
                                             "reported_at": reported.isoformat()}, actor=actor)
                at = reported + dt.timedelta(minutes=30)
                case_ops.accept(case, actor=actor, at=at, note="演示数据")
                case_ops.dispatch(case, actor=actor, unit_id=committee.id, at=at + dt.timedelta(minutes=30))
                case_ops.start(case, actor=actor, at=at + dt.timedelta(hours=1))
                if k < open_:
                    continue
                done = at + (dt.timedelta(days=30) if k < open_ + late else dt.timedelta(hours=4))
                case_ops.resolve(case, actor=actor, at=done, note="已处置")

    # -- the judged items and the runs ------------------------------------------------------------

    def assess(self):
        sheet = "chashan.community_quarter"
        for community, plan in zip(self.communities, PLANS):
            judging.enter_judgement(sheet=sheet, period_start=QUARTER, item="residents", subject_id=community.id,
                                    points=plan["residents"], reason="抽查居民信息电子台账：录入及更新情况",
                                    user=self.assessor)
            judging.enter_judgement(sheet=sheet, period_start=QUARTER, item="leadership", subject_id=community.id,
                                    points=plan["leadership"], reason="社区网格化管理领导综合评分表",
                                    user=self.assessor)
        for month in MONTHS:
            self.run("chashan.director_month", month, publish=True)
        for key in ("chashan.director_quarter", "chashan.community_quarter", "chashan.department_quarter"):
            self.run(key, QUARTER, publish=True)
        self.run("chashan.community_year", YEAR_START, publish=False,
                 note="年度排名草稿：仅第三季度已公布（供考核组审阅）")

    def run(self, sheet: str, period: dt.date, publish: bool, note: str = ""):
        run = runs.create_run(sheet=sheet, period_start=period, user=self.assessor, note=note)
        runs.compute_now(run, self.assessor)
        if publish:
            runs.publish(run, self.assessor)
        return run
