"""The Mengjin demo: a year (2026) of a county bureau with three sub-bureaus and their grids, the
general office, the inspection group, the comprehensive service group, the branch association
with its cadres — 邵军 among them, assessed as a grid responsible person, as the source says — a
responsible person per grid and an economic household register graded by risk and credit.

Every rule of the three sheets has something to count: patrols on working days, market checks,
return visits, fee notices, licence inspections falling due month by month (some months short
of 80 %), the inspection group's violations, work briefs (a month with only two), the weekly
statistics (a week missed) and the monthly assessment (one month held late), problems raised
with the service group (some answered after 5 working days) and consumer complaints. January
to October are assessed — judged duties entered by the office, runs computed and published;
November is open, its assessment window running from the 25th. Apart from 邵军, names of
people, grids and businesses are made up; the same demo is built every time (seeded random).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from gridgov import workdays
from gridgov.assessment import operations as runs
from gridgov.extensions import db
from gridgov.models import User
from gridgov.models.assessment import Judgement
from gridgov.models.base import utcnow
from gridgov.operations import cases as case_ops

from .forms import MARKET_TOPICS
from .places import supervision_level
from .settings import VIOLATION_RULES
from .sheets import BRANCH_CADRE, GRID_ITEMS, GRID_RESPONSIBLE_SHEET, CADRE_ITEMS

YEAR = 2026
RECORDED_MONTHS = range(1, 12)   # January to November
ASSESSED_MONTHS = range(1, 11)   # January to October, published
SUB_BUREAUS = [
    ("城关分局", ["西街网格", "东街网格", "商贸城网格", "农贸市场网格", "新区网格", "火车站网格"]),
    ("会盟分局", ["会盟街网格", "扣马网格", "雷河网格"]),
    ("平乐分局", ["平乐街网格", "牡丹画院网格", "金村网格"]),
]
ENTERPRISES = ["商贸有限公司", "建材有限公司", "农业科技有限公司", "食品有限公司", "物流有限公司"]
SHOPS = [("超市", "零售"), ("小吃店", "餐饮"), ("五金店", "零售"), ("理发店", "服务"), ("药店", "医药零售"),
         ("服装店", "零售"), ("粮油店", "食品零售"), ("手机店", "零售")]
PREFIXES = "金鑫宏兴隆顺达华泰丰盛福康源鼎恒"
NOTES = ["", "", "督促商户落实门前三包", "检查市场消防通道，已畅通", "提醒商户亮照经营", "受理一起消费纠纷，已调解"]
PROBLEMS = ["经营户反映市场排水不畅", "网格责任人反映占道经营屡教不改", "上级交办：核查无照经营线索", "经营户咨询换照手续",
            "经营户反映收费标准不清", "网格责任人反映广告牌存在安全隐患"]
COMPLAINTS = ["购买过期食品投诉", "手机维修收费纠纷", "服装质量投诉", "缺斤短两投诉", "预付卡退费纠纷"]
VIOLATION_NOTES = {rule: zh for rule, (_, zh, _, _) in VIOLATION_RULES.items()}


def load(loader):
    Demo(loader).build()


class Demo:
    def __init__(self, loader):
        self.ld = loader
        self.rnd = loader.random
        self.office_user = db.session.scalar(select(User).where(User.username == f"{loader.slug}-admin"))

    def build(self):
        ld = self.ld
        county = ld.grid("MJ", "孟津县局辖区")
        office = ld.unit("MJ-ZHBGS", "综合办公室", "office", grid=county)
        inspectors = ld.unit("MJ-DCZ", "督察组", "inspection_group", grid=county)
        ld.assign(ld.person("MJ-BG01"), "office_staff", unit=office)
        self.inspectors = [ld.person(f"MJ-DC{n:02d}") for n in (1, 2)]
        for person in self.inspectors:
            ld.assign(person, "inspector", unit=inspectors)
        self.grids, self.areas = [], []
        for i, (name, grid_names) in enumerate(SUB_BUREAUS, 1):
            area = ld.grid(f"MJ-{i:02d}", name, county)
            bureau = ld.unit(f"MJ-FJ{i:02d}", name, "sub_bureau", grid=area)
            ld.assign(ld.person(f"MJ-FJLD{i:02d}"), "bureau_leader", unit=bureau)
            self.areas.append(area)
            for j, grid_name in enumerate(grid_names, 1):
                grid = ld.grid(f"MJ-{i:02d}-{j:02d}", grid_name, area)
                responsible = ld.person(f"MJ-WG{i:02d}{j:02d}")
                ld.assign(responsible, "grid_responsible", grid)
                self.grids.append((responsible, grid))
            if i == 1:
                self._service_group_and_branch(bureau, area)
        self.households = self._register()
        ld.login("staff", "field_staff", person=self.grids[0][0])
        for month in RECORDED_MONTHS:
            self._month(month)
        ld.flush_events()
        for month in ASSESSED_MONTHS:
            self._assess(dt.date(YEAR, month, 1))

    # -- the organisation and the register -------------------------------------------------------

    def _service_group_and_branch(self, bureau, area):
        ld = self.ld
        # The service group answers for its sub-bureau's grids (its register, its problems raised).
        self.service = ld.unit("MJ-ZHFWZ", "综合服务组", "service_group", parent=bureau, grid=area)
        self.service_staff = [ld.person(f"MJ-FW{n:02d}") for n in (1, 2, 3)]
        for person in self.service_staff:
            ld.assign(person, "service_staff", unit=self.service)
        branch = ld.unit("MJ-GXFH01", "个体劳动者协会城关分会", "branch_association", parent=bureau, grid=area)
        self.cadre = ld.person("MJ-FH01")
        ld.assign(self.cadre, "branch_cadre", unit=branch)
        self.shao = ld.person("MJ-FH02", "邵军")
        ld.assign(self.shao, "branch_cadre", unit=branch, sheet_override=GRID_RESPONSIBLE_SHEET)

    def _register(self):
        """Each grid's economic households: an enterprise or two and a few individual
        businesses (their licence inspections due in a month of the year); the market grids
        also hold their market. A few paper records do not match the computer's."""
        rnd, ld = self.rnd, self.ld
        out, n = [], 0
        for _, grid in self.grids:
            street = grid.name.removesuffix("网格")
            homes = [("enterprise", f"孟津{self._brand()}{rnd.choice(ENTERPRISES)}", "")
                     for _ in range(rnd.randint(1, 2))]
            homes += [("individual_business", f"{self._brand()}{shop}", industry)
                      for shop, industry in rnd.sample(SHOPS, rnd.randint(3, 5))]
            for kind, name, industry in homes:
                n += 1
                risk, credit = rnd.choice(("low", "low", "medium", "high")), rnd.choice(("A", "A", "B", "B", "C", "D"))
                place = ld.place(kind, f"MJ-JJ{n:04d}", name, grid, address=f"{street}{rnd.randint(1, 199)}号",
                                 registration_no=f"410322{600000000 + n:09d}", operator=ld.person_name(),
                                 industry=industry, risk_grade=risk, credit_grade=credit,
                                 paper_record_matches=rnd.random() > 0.1,
                                 licence_inspection_month=rnd.randint(1, 12) if kind == "individual_business" else None)
                out.append((grid, place, kind, supervision_level(risk, credit)))
            if "市场" in street or "商贸城" in street:
                ld.place("market", f"MJ-SC-{grid.code}", street, grid,
                         market_type="farm" if "农贸" in street else "general",
                         organiser=f"孟津{street}管理有限公司", stalls=rnd.randint(60, 240))
        return out

    def _brand(self) -> str:
        return self.rnd.choice(PREFIXES) + self.rnd.choice(PREFIXES)

    # -- a month of records ----------------------------------------------------------------------

    def _month(self, month: int):
        first = dt.date(YEAR, month, 1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        working = [d for d in workdays.working_days_in(first, last) if d < self.ld.today]  # nothing ahead of today
        if not working:
            return
        self._field_work(working)
        self._service_group_records(month, first, working)
        self._cases(month, working)

    def _field_work(self, working):
        ld, rnd = self.ld, self.rnd
        people = self.grids + [(self.shao, self.grids[2][1])]  # 邵军 patrols the 商贸城 grid with its person
        for day in working:
            for person, grid in people:
                if rnd.random() < (0.75 if person is not self.shao else 0.3):
                    ld.event("patrol", grid, ld.at(day, rnd.choice((9, 10, 15)), rnd.choice((0, 30))),
                             {"households_visited": rnd.randint(3, 15), "note": rnd.choice(NOTES)}, actor=person)
        for person, grid in self.grids:
            homes = [h for h in self.households if h[0] is grid]
            for _ in range(rnd.randint(0, 2)):
                ld.event("market_check", grid, ld.at(rnd.choice(working), 10),
                         {"topic": rnd.choice(list(MARKET_TOPICS)), "problems_found": rnd.randint(0, 3)}, actor=person)
            for _, place, _, level in homes:
                if level == "key" or rnd.random() < 0.2:
                    ld.event("return_visit", grid, ld.at(rnd.choice(working), 14), {"note": "回访"},
                             actor=person, place=place)
            for _, place, _, _ in rnd.sample(homes, min(2, len(homes))):
                ld.event("fee_notice", grid, ld.at(rnd.choice(working), 11), {"paid": rnd.random() < 0.8},
                         actor=person, place=place)

    def _service_group_records(self, month: int, first: dt.date, working):
        ld, rnd = self.ld, self.rnd
        area = self.areas[0]
        staff = self.service_staff
        # Licence inspections of the 城关 individual businesses due this month (May: only half done).
        due = [(g, p) for g, p, kind, _ in self.households
               if kind == "individual_business" and p.attributes.get("licence_inspection_month") == month]
        for grid, place in due:
            if rnd.random() < (0.5 if month == 5 else 0.9):
                ld.event("licence_inspection", grid, ld.at(rnd.choice(working), 10), {"result": "passed"},
                         actor=rnd.choice(staff), place=place)
        # The inspection group's findings: none to three a month, a finance breach in August.
        for _ in range(rnd.choice((0, 1, 1, 2, 3))):
            rule = rnd.choice([r for r in VIOLATION_RULES if r != "finance_breach"])
            ld.event("violation", area, ld.at(rnd.choice(working), 16), {"rule": rule, "note": VIOLATION_NOTES[rule]},
                     actor=rnd.choice(self.inspectors), subject_unit=self.service)
        if month == 8:
            ld.event("violation", area, ld.at(working[3], 16),
                     {"rule": "finance_breach", "note": "罚没款未按规定及时上缴"}, actor=self.inspectors[0],
                     subject_unit=self.service)
        # Work briefs: three or four a month, two in February (Spring Festival).
        for day in rnd.sample(working, 2 if month == 2 else rnd.choice((3, 4))):
            ld.event("work_brief", area, ld.at(day, 17), {"title": f"{month}月工作简报", "summary": "网格监管工作动态"},
                     actor=rnd.choice(staff), subject_unit=self.service)
        # Weekly statistics on each week's last working day (one week of June forgotten).
        weeks: dict = {}
        for day in working:
            weeks[day.isocalendar()[:2]] = day
        for n, day in enumerate(sorted(weeks.values())):
            if month == 6 and n == 1:
                continue
            ld.event("weekly_statistics", area, ld.at(day, 16), {"patrols": rnd.randint(40, 80),
                                                                 "complaints": rnd.randint(0, 4)},
                     actor=staff[0], subject_unit=self.service)
        # The monthly assessment between the 25th and the 30th (September's held late, on 8 October).
        if month <= 10:
            day = dt.date(YEAR, 10, 8) if month == 9 else first.replace(day=rnd.choice((26, 27, 28)))
            ld.event("monthly_assessment", area, ld.at(day, 15), {"note": f"{month}月网格责任人工作量考核"},
                     actor=staff[0], subject_unit=self.service)

    def _cases(self, month: int, working):
        """Problems raised with the service group (a few answered late) and consumer complaints."""
        rnd = self.rnd
        now = dt.datetime.now(self.ld.zone)
        for n in range(1 + month % 2):
            grid = rnd.choice(self.grids[:6])[1]
            days = 7 if (month in (4, 9) and n == 0) else rnd.choice((1, 2, 3, 4))  # two answered late
            self._case("raised_problem", grid, rnd.choice(working[:-8] or working), rnd.choice(PROBLEMS), days, now)
        for _ in range(1):
            grid = rnd.choice(self.grids)[1]
            self._case("consumer_complaint", grid, rnd.choice(working), rnd.choice(COMPLAINTS),
                       rnd.choice((1, 2, 3, 5, 9)), now)

    def _case(self, category, grid, day, text, days_to_answer, now):
        ld = self.ld
        at = ld.at(day, 9)
        case = case_ops.report_case({"category": f"mengjin_fees.{category}", "grid_id": grid.id, "description": text,
                                     "address": grid.name, "reported_at": at.isoformat(), "source": "other"},
                                    actor=self.office_user)
        case_ops.accept(case, actor=self.office_user, at=at + dt.timedelta(hours=1), note="受理")
        unit = self.service.id if category == "raised_problem" else None  # complaints: the grid's sub-bureau
        case_ops.dispatch(case, actor=self.office_user, unit_id=unit, at=at + dt.timedelta(hours=2))
        case_ops.start(case, actor=self.office_user, at=at + dt.timedelta(hours=3))
        answered = workdays.add_working_days(at, days_to_answer, ld.zone) - dt.timedelta(hours=8)
        if answered < now:
            case_ops.resolve(case, actor=self.office_user, at=answered, note="已落实答复")

    # -- the office's monthly assessment ---------------------------------------------------------

    def _assess(self, month: dt.date):
        """The office's judged duties for the month, then the three runs computed and published."""
        rnd = self.rnd
        rows = []
        cadre_keys = [i.key for i in CADRE_ITEMS if i.kind == "judged"]
        rows += [self._judgement(BRANCH_CADRE.key, month, key, self.cadre.id, rnd.choice((7, 8, 8, 9, 9, 10)))
                 for key in cadre_keys]
        for person in [p for p, _ in self.grids] + [self.shao]:
            rows += [self._judgement("grid_responsible", month, item.key, person.id,
                                     rnd.choice((6, 7, 8, 8, 9, 9, 9, 10, 10))) for item in GRID_ITEMS]
        if month.month in (3, 7):  # forms not supplied to the patrol group in time
            rows.append(self._judgement("service_group", month, "forms_supply", self.service.id, 2,
                                        "巡查组所需文书表格未及时提供，影响检查"))
        db.session.add_all(rows)
        db.session.flush()
        for sheet in ("service_group", "branch_cadre", "grid_responsible"):
            run = runs.create_run(sheet=f"mengjin_fees.{sheet}", period_start=month, user=self.office_user,
                                  note=f"{month.month}月考核")
            runs.compute_now(run, self.office_user)
            runs.publish(run, self.office_user)

    def _judgement(self, sheet, month, item, subject_id, points, reason="综合办公室按月考核评分") -> Judgement:
        """A judged entry, written directly: the demo's thousand entries would take the
        judging operation's per-entry checks a long while, and the office answers for no grid
        (no recusal applies)."""
        return Judgement(sheet=f"mengjin_fees.{sheet}", period_start=month, item=item, subject_id=subject_id,
                         points=points, reason=reason, entered_by_id=self.office_user.id,
                         entered_by_name=self.office_user.display_name or self.office_user.username,
                         entered_at=utcnow())
