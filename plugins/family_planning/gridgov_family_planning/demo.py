"""The family-planning demo: 海宁社区 as the source describes it — two zones, four pieces, ten
blocks — with the family-planning director, a community worker per zone, a group leader per
block, three households per block, and two weeks of daily work sheets and one leave request.
People and households are made up."""

import datetime as dt

PIECES = [("第一责任区", [("东片", 3), ("西片", 2)]), ("第二责任区", [("南片", 3), ("北片", 2)])]
TASKS = ["入户随访育龄妇女", "核实流动人口变动情况", "通知未查体人员按时查体", "清理漏管空挂人员信息", "发放计生宣传资料"]
PROGRESS = ["已全部完成", "完成入户，一户未遇，明日再访", "信息已核实并更新台账", "已通知到人，约定下周查体"]


def load(loader):
    community = loader.grid("HN", "海宁社区")
    loader.assign(loader.person("HN-ZR"), "community_director", community)
    leaders, block_no = [], 0
    for z, (zone_name, pieces) in enumerate(PIECES, 1):
        zone = loader.grid(f"HN-{z}", zone_name, community)
        loader.assign(loader.person(f"HN-GZZ{z}"), "community_worker", zone)
        for p, (piece_name, n_blocks) in enumerate(pieces, 1):
            piece = loader.grid(f"HN-{z}-{p}", f"{zone_name}{piece_name}", zone)
            for b in range(1, n_blocks + 1):
                block_no += 1
                block = loader.grid(f"HN-{z}-{p}-{b}", f"第{block_no}责任块", piece)
                leader = loader.person(f"HN-XZZ{block_no:02d}")
                loader.assign(leader, "group_leader", block)
                leaders.append((leader, block, _households(loader, block, block_no)))
    _work_sheets(loader, leaders)
    loader.login("staff", "field_staff", person=leaders[0][0])


def _households(loader, block, block_no):
    rnd = loader.random
    rooms = []
    for h in range(1, 4):
        room = f"{block_no}号楼{rnd.randint(1, 3)}单元{rnd.randint(1, 6)}0{h}"
        loader.place("household", f"HN-H{block_no:02d}{h}", f"{room}户", block, address=f"海宁社区{room}",
                     head=loader.person_name(), members=rnd.randint(1, 6),
                     women_of_childbearing_age=rnd.choice((0, 1, 1, 2)), floating=rnd.random() < 0.2)
        rooms.append(room)
    return rooms


def _work_sheets(loader, leaders):
    """A plan at check-in and a result at check-out on each weekday; one leader takes a day off."""
    rnd = loader.random
    days = loader.recent_weekdays(10)
    absent, leave_day = leaders[-1][0], days[-3]
    loader.event("leave_request", leaders[-1][1], loader.at(leave_day - dt.timedelta(days=1), 17),
                 {"starts_on": leave_day.isoformat(), "ends_on": leave_day.isoformat(), "reason": "家中有事"},
                 actor=absent)
    for day in days:
        for leader, block, rooms in leaders:
            if leader is absent and day == leave_day:
                continue
            visit = rnd.sample(rooms, rnd.randint(1, len(rooms)))
            loader.event("work_plan", block, loader.at(day, 8, rnd.choice((0, 5, 10))),
                         {"households": visit, "task": rnd.choice(TASKS)}, actor=leader)
            loader.event("work_result", block, loader.at(day, 17, rnd.choice((0, 10, 20))),
                         {"households_done": rnd.randint(max(0, len(visit) - 1), len(visit)),
                          "progress": rnd.choice(PROGRESS)}, actor=leader)
