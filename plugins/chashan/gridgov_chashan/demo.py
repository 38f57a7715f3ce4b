"""The Chashan demo: a street office, six communities of four to six grids, a director per grid,
community liaison staff, and six street departments (科室) each attached (挂点) to a community.
Two weeks of patrols, reports and meetings in the first community give the console something
to show. Names of places and people are made up."""

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
    ("environment", "3号楼后侧垃圾未及时清运", False),
    ("disputes", "两户居民因漏水产生纠纷，已初步调解", False),
    ("public_opinion", "居民反映小区路灯损坏，希望尽快维修", False),
    ("public_order", "夜间发现可疑人员在车棚徘徊，已报告社区民警", False),
    ("family_planning", "新迁入育龄妇女一名，已登记", False),
    ("public_order", "小区南侧老旧围墙出现裂缝，有倒塌危险", True),
]


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
    for d, (name, community) in enumerate(zip(DEPARTMENTS, communities), 1):
        department = loader.unit(f"CS-KS{d:02d}", name, "department", grid=community)
        for k in (1, 2):
            loader.assign(loader.person(f"CS-K{d:02d}{k}"), "street_liaison", unit=department)
    _recent_work(loader, directors)
    loader.login("staff", "field_staff", person=directors[0][0])


def _recent_work(loader, directors):
    """Two weeks of the first community's directors at work: a patrol every weekday (one missed
    now and then), a report every few days, the Friday community meeting."""
    rnd = loader.random
    for day in loader.recent_weekdays(10):
        for director, grid in directors:
            if rnd.random() < 0.92:
                loader.event("patrol", grid, loader.at(day, rnd.choice((8, 9, 14, 15)), rnd.choice((0, 15, 30))),
                             {"minutes": rnd.choice((60, 70, 75, 90, 120)), "log": rnd.choice(PATROL_LOGS)},
                             actor=director)
            if rnd.random() < 0.3:
                category, summary, major = rnd.choice(REPORTS)
                loader.event("info_report", grid, loader.at(day, 11, rnd.choice((0, 20, 40))),
                             {"category": category, "summary": summary, "major": major}, actor=director)
            if day.weekday() == 4:
                loader.event("meeting_attendance", grid, loader.at(day, 9), {"meeting": "community_friday"},
                             actor=director)
