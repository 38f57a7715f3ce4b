"""The Zhanqian demo: the street's assessment leading group as the 2011 document names it, an
inspection group, five communities with four second-level grids each, a director per community
and a responsible person per grid, and this month's inspections. Community and grid names, and
everyone outside the leading group, are made up."""

LEADER = "程光远"
DEPUTIES = ["崔海宾", "殷科"]
MEMBERS = ["李盾", "贺维华", "万旭春", "初显艳", "杨萌", "张龙", "于洪飞", "李晓娟"]
INSPECTORS = ["李盾", "杨萌", "于洪飞"]
COMMUNITIES = ["站前社区", "铁路社区", "春风社区", "光明社区", "兴隆社区"]
NOTES = ["", "", "门店占道已督促清理", "绿地内垃圾已通知环卫", "井盖松动已报市政", "楼道堆物已劝导"]


def load(loader):
    street = loader.grid("ZQ", "站前街道")
    group = loader.unit("ZQ-KHLDXZ", "网格化城市管理考核工作领导小组", "leading_group")
    inspection = loader.unit("ZQ-DCZ", "督查组", "inspection_group", parent=group)
    people = {}
    for n, (name, role) in enumerate([(LEADER, "leading_group_leader")]
                                     + [(d, "leading_group_deputy") for d in DEPUTIES]
                                     + [(m, "leading_group_member") for m in MEMBERS], 1):
        people[name] = loader.person(f"ZQ-LD{n:02d}", name)
        loader.assign(people[name], role, unit=group)
    for name in INSPECTORS:
        loader.assign(people[name], "inspector", unit=inspection)
    grids = []
    for i, name in enumerate(COMMUNITIES, 1):
        community = loader.grid(f"ZQ-{i:02d}", name, street)
        loader.unit(f"ZQ-SQ{i:02d}", f"{name}居委会", "community", grid=community)
        director = loader.person(f"ZQ-SQZR{i:02d}")
        loader.assign(director, "community_director", community)
        loader.assign(director, "grid_responsible", community)
        for j in range(1, 5):
            grid = loader.grid(f"ZQ-{i:02d}-{j:02d}", f"{name}第{j}二级网格", community)
            responsible = loader.person(f"ZQ-WG{i:02d}{j:02d}")
            loader.assign(responsible, "grid_responsible", grid)
            grids.append((responsible, grid))
    _inspections(loader, grids)
    loader.login("staff", "field_staff", person=grids[0][0])


def _inspections(loader, grids):
    """Two to five inspections per grid over the last two weeks: some grids fall short of the
    four a month the scheme asks for."""
    rnd = loader.random
    days = loader.recent_weekdays(10)
    for responsible, grid in grids:
        for day in sorted(rnd.sample(days, rnd.randint(2, 5))):
            problems = rnd.choice((0, 0, 1, 1, 2, 3))
            loader.event("inspection", grid, loader.at(day, rnd.choice((9, 10, 14, 15))),
                         {"problems_found": problems, "note": rnd.choice(NOTES) if problems else ""},
                         actor=responsible)
