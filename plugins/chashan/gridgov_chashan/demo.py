"""The Chashan demo: a street office, six communities of four to six grids, a director per grid,
community liaison staff, and six street departments (科室) each attached (挂点) to a community.
Two weeks of patrols, reports and meetings in the first community give the console something
to show. Names of places and people are made up."""
import datetime as dt

COMMUNITIES = [("茶山社区", 6), ("南岭社区", 5), ("东岙社区", 5), ("金竹社区", 4), ("新桥社区", 6), ("翠湖社区", 4)]
DEPARTMENTS = ["党政综合办公室", "综治维稳办公室", "城市管理科", "社会事务科", "经济发展科", "计划生育办公室"]
PATROL_LOGS = [
    "巡查辖区楼道及公共区域，未发现安全隐患。",
    "走访独居老人两户，了解生活情况，已登记。",
    "发现小区东门占道经营一处，当场劝导整改。",
    "检查电动车集中充电点，提醒住户不要楼道充电。",
    "配合物业清理堆放杂物，环境已恢复整洁。",
]
REPORTS = [
    ("environment", "3号楼后侧垃圾未及时清运"),
    ("disputes", "两户居民因漏水产生纠纷，已初步调解"),
    ("public_opinion", "居民反映小区路灯损坏，希望尽快维修"),
    ("public_order", "夜间发现可疑人员在车棚徘徊，已报告社区民警"),
    ("family_planning", "新迁入育龄妇女一名，已登记"),
]
MAJOR_MATTER = "小区南侧老旧围墙出现裂缝，有倒塌危险"


def load(loader):
    street = loader.grid("CS", "茶山街道")
    loader.unit("CS-BGS", "街道办公室", "street_office")
    communities, directors = [], []
    for i, (name, n_grids) in enumerate(COMMUNITIES, 1):
        community = loader.grid(f"CS-{i:02d}", name, street)
        communities.append(community)
        loader.unit(f"CS-SQ{i:02d}", f"{name}居委会", "community", grid=community)
        loader.assign(loader.person(f"CS-L{i:02d}0"), "community_leading_group", community)
        for k in (1, 2):
            loader.assign(loader.person(f"CS-L{i:02d}{k}"), "community_liaison", community)
        for j in range(1, n_grids + 1):
            grid = loader.grid(f"CS-{i:02d}-{j:02d}", f"{name}第{j}网格", community)
            director = loader.person(f"CS-D{i:02d}{j:02d}")
            loader.assign(director, "grid_director", grid)
            if i == 1:
                directors.append((director, grid))
    departments = []
    for d, (name, community) in enumerate(zip(DEPARTMENTS, communities), 1):
        department = loader.unit(f"CS-KS{d:02d}", name, "department", grid=community)
        staff = [loader.person(f"CS-K{d:02d}{k}") for k in (1, 2)]
        for person in staff:
            loader.assign(person, "street_liaison", unit=department)
        departments.append((department, staff))
    _recent_work(loader, directors)
    _community_work(loader, communities[0], directors, *departments[0])
    loader.login("staff", "field_staff", person=directors[0][0])


def _recent_work(loader, directors):
    """Two weeks of the first community's directors at work: a patrol every weekday (one missed
    now and then), a report every few days (most accepted), residents' questions answered, the
    Friday community meeting."""
    rnd = loader.random
    for day in loader.recent_weekdays(10):
        for director, grid in directors:
            if rnd.random() < 0.92:
                start = loader.at(day, rnd.choice((8, 9, 14, 15)), rnd.choice((0, 15, 30)))
                end = start + dt.timedelta(minutes=rnd.choice((60, 70, 75, 90, 120)))
                loader.event("patrol", grid, start, {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M"),
                                                     "log": rnd.choice(PATROL_LOGS)}, actor=director)
            if rnd.random() < 0.3:
                category, summary = rnd.choice(REPORTS)
                loader.event("info_report", grid, loader.at(day, 11, rnd.choice((0, 20, 40))),
                             {"category": category, "summary": summary, "accepted": rnd.random() < 0.85},
                             actor=director)
            if rnd.random() < 0.1:
                loader.event("resident_issue", grid, loader.at(day, 10), {
                    "summary": "居民咨询低保申请手续，已当面解释", "outcome": "explained",
                    "resident_confirmed": rnd.random() < 0.8}, actor=director)
            if day.weekday() == 4:
                loader.event("meeting_attendance", grid, loader.at(day, 9), {"meeting": "community_friday"},
                             actor=director)


def _community_work(loader, community, directors, department, staff):
    """The first community's own records over the same two weeks: the Friday letter, meeting
    and joint patrol, supervision and notices, a major matter reported late, an honour, an
    inspection finding, a hosted visit, and its attached department's handling and reports."""
    days = loader.recent_weekdays(10)
    first_grid, first_director = directors[0][1], directors[0][0]
    for day in days:
        if day.weekday() == 4:
            loader.event("escalation_letter", community, loader.at(day, 10), {"matters": 2, "summary": "路灯维修、围墙加固"})
            loader.event("signin_meeting", community, loader.at(day, 9), {"attendees": len(directors)})
            start = loader.at(day, 15)
            loader.event("joint_patrol", first_grid, start, {"start": "15:00", "end": "16:30", "log": "联合巡查辖区"},
                         actor=staff[0])
            loader.event("meeting_report", first_grid, loader.at(day, 16, 45), {"fluent": True},
                         actor=staff[0], subject_unit=department)
        if day.weekday() == 0:
            loader.event("meeting_attendance", first_grid, loader.at(day, 9), {"meeting": "street_first_monday"},
                         actor=first_director)
    loader.event("supervision", community, loader.at(days[1], 15), {"summary": "抽查网格日志，反馈两处记录不全"})
    loader.event("meeting_notice", community, loader.at(days[0], 16), {"summary": "通知参加街道网格工作调度会"})
    for director, grid in directors:
        loader.event("log_review", grid, loader.at(days[-1], 17), {"tidy": director is not first_director},
                     subject=director)
    found = loader.at(days[3], 16)
    loader.event("major_matter", first_grid, found, {
        "summary": MAJOR_MATTER, "discovered_at": found.isoformat(),
        "reported_to_community_at": (found + dt.timedelta(minutes=40)).isoformat(),
        "reported_to_street_at": (found + dt.timedelta(hours=5)).isoformat()}, actor=first_director)
    loader.event("hosted_visit", first_grid, loader.at(days[5], 10), {"kind": "study_visit", "visitor": "邻街道网格办"},
                 actor=first_director)
    loader.event("honour", community, loader.at(days[6], 10), {"level": "prefecture_city", "title": "市级文明社区"})
    loader.event("inspection_finding", community, loader.at(days[7], 10),
                 {"level": "county", "summary": "消防通道堆放杂物"})
    loader.event("letter_handling", community, loader.at(days[8], 10),
                 {"outcome": "unanswered", "summary": "围墙加固未解决也未说明原因"}, subject_unit=department)
    loader.event("referral", community, loader.at(days[8], 11), {"status": "tracked", "summary": "报区住建局，待回复"},
                 subject_unit=department)
    loader.event("serious_failure", community, loader.at(days[9], 10), {"summary": "重大事项未及时处置"},
                 subject=staff[1])
