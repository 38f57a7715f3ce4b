"""The family-planning demo: 海宁社区 as the source describes it — two zones, four pieces, ten
blocks — with the family-planning director, a community worker per zone, a group leader per
block (one of them joined in April), households, women of childbearing age and floating
residents in every block, and the year so far: daily work sheets on every official working day
(a few absences, leave requests with decisions), visits, check-ups (some women overdue),
floating-population changes, registrations cleared, the assessors' marks and a reward and a
penalty, and a draft run of the annual assessment. People and households are made up; the random generator is seeded, so the demo is the
same every time."""

import datetime as dt

from gridgov import workdays

PIECES = [("第一责任区", [("东片", 3), ("西片", 2)]), ("第二责任区", [("南片", 3), ("北片", 2)])]
TASKS = ["入户随访育龄妇女", "核实流动人口变动情况", "通知未查体人员按时查体", "清理漏管空挂人员信息", "发放计生宣传资料"]
PROGRESS = ["已全部完成", "完成入户，一户未遇，明日再访", "信息已核实并更新台账", "已通知到人，约定下周查体"]
ORIGINS = ["山东省临沂市", "河南省商丘市", "安徽省阜阳市", "江苏省徐州市"]
JUDGED = {"r2": 10, "r4": 10, "s1": 10, "s3": 10, "d1": 10, "d2": 5, "d3": 5}


def load(loader):
    rnd = loader.random
    community = loader.grid("HN", "海宁社区")
    director = loader.person("HN-ZR")
    loader.assign(director, "community_director", community)
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
                starts = loader.year_start if block_no != 7 else loader.year_start.replace(month=4, day=1)
                loader.assign(leader, "group_leader", block, starts_on=starts)
                leaders.append((leader, block, starts, _registers(loader, block, block_no)))
    yesterday = loader.today - dt.timedelta(days=1)
    for leader, block, starts, (rooms, women, floating) in leaders:
        leave = _leave(loader, director, leader, block, starts)
        for day in workdays.working_days_in(starts, yesterday):
            if day in leave or rnd.random() < 0.02:  # on leave, or an absence without leave
                continue
            visit = rnd.sample(rooms, rnd.randint(1, len(rooms)))
            loader.event("work_plan", block, loader.at(day, 8, rnd.choice((0, 5, 10))),
                         {"households": visit, "task": rnd.choice(TASKS)}, actor=leader)
            if rnd.random() < 0.99:
                loader.event("work_result", block, loader.at(day, 17, rnd.choice((0, 10, 20))),
                             {"households_done": rnd.randint(max(0, len(visit) - 1), len(visit)),
                              "progress": rnd.choice(PROGRESS)}, actor=leader)
        _visits_and_checkups(loader, leader, block, starts, yesterday, women)
        for person in floating[:1]:
            loader.event("floating_change", block, loader.at(yesterday - dt.timedelta(days=rnd.randint(5, 60)), 10),
                         {"change": rnd.choice(["details_changed", "moved_within"]),
                          "on": (yesterday - dt.timedelta(days=70)).isoformat()}, actor=leader, place=person)
        if rnd.random() < 0.5:
            loader.event("registration_cleared", block, loader.at(yesterday - dt.timedelta(days=rnd.randint(1, 25)), 15),
                         {"problem": rnd.choice(["unregistered", "nominal"]), "note": "核实后已清理"}, actor=leader)
        for key, top in JUDGED.items():
            loader.event("indicator_mark", block, loader.at(yesterday, 16),
                         {"indicator": key, "points": str(top - rnd.choice((0, 0, 0.5, 1, 1.5, 2))),
                          "reason": "年度考核评分"}, actor=director, subject=leader)
    loader.event("reward_penalty", leaders[0][1], loader.at(yesterday, 16),
                 {"indicator": "f2", "points": "2", "amount": "100.00", "reason": "区计生先进个人"},
                 actor=director, subject=leaders[0][0])
    loader.event("reward_penalty", leaders[3][1], loader.at(yesterday, 16),
                 {"indicator": "f3", "points": "3", "amount": "50.00", "reason": "台账漏报一户流动人口"},
                 actor=director, subject=leaders[3][0])
    loader.login("director", "supervisor", person=director)
    loader.login("staff", "field_staff", person=leaders[0][0])
    # The year so far, assessed: a draft run of the annual sheet, so the console and the salary
    # statements show results at once (computed again at year end).
    from gridgov.assessment import operations as runs

    loader.flush_events()
    # Each month's pay record, as the monthly job would have written on the 1st.
    from .salary import record_month

    month = loader.year_start.replace(day=1)
    while month <= loader.today:
        record_month(month)
        month = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    assessor = loader.login("assessor", "assessor")
    run = runs.create_run(sheet="family_planning.leader_year", period_start=loader.year_start, user=assessor,
                          note="年度考核草稿：截至昨日")
    runs.compute_now(run, assessor)


def _registers(loader, block, block_no):
    rnd = loader.random
    rooms, women, floating = [], [], []
    for h in range(1, 4):
        room = f"{block_no}号楼{rnd.randint(1, 3)}单元{rnd.randint(1, 6)}0{h}"
        code = f"HN-H{block_no:02d}{h}"
        many = rnd.choice((0, 1, 1, 2))
        loader.place("household", code, f"{room}户", block, address=f"海宁社区{room}", head=loader.person_name(),
                     members=rnd.randint(max(1, many), 6), women_of_childbearing_age=many, floating=h == 3)
        rooms.append(room)
        for w in range(many):
            checked = loader.year_start - dt.timedelta(days=rnd.randint(10, 200))
            women.append(loader.place("woman", f"{code}-W{w + 1}", loader.person_name(), block, household=code,
                                      birth_year=rnd.randint(1978, 2004), registered_on=loader.year_start.isoformat(),
                                      last_checkup_on=checked.isoformat()))
        if h == 3:
            floating.append(loader.place("floating", f"{code}-F1", loader.person_name(), block, household=code,
                                         origin=rnd.choice(ORIGINS), arrived_on=(loader.year_start - dt.timedelta(days=90)).isoformat()))
    return rooms, women, floating


def _leave(loader, director, leader, block, starts):
    """Two leave requests a year: the first approved, the second refused (the leader works)."""
    rnd = loader.random
    days = workdays.working_days_in(max(starts, loader.year_start.replace(month=5)), loader.today - dt.timedelta(days=30))
    first, second = sorted(rnd.sample(days, 2))
    loader.event("leave_request", block, loader.at(first - dt.timedelta(days=1), 17),
                 {"starts_on": first.isoformat(), "ends_on": first.isoformat(), "reason": "家中有事"}, actor=leader)
    loader.event("leave_request", block, loader.at(second - dt.timedelta(days=1), 17),
                 {"starts_on": second.isoformat(), "ends_on": second.isoformat(), "reason": "看病"}, actor=leader)
    loader.flush_events()  # the decisions name the requests' ids
    from gridgov.models import Event
    from gridgov.extensions import db
    from sqlalchemy import select

    ids = db.session.scalars(select(Event.id).where(Event.type == "family_planning.leave_request",
                                                    Event.actor_person_id == leader.id).order_by(Event.id)).all()
    for rid, approved, day in zip(ids, (True, False), (first, second)):
        loader.event("leave_decision", block, loader.at(day - dt.timedelta(days=1), 18),
                     {"request_id": rid, "approved": approved, "note": "" if approved else "工作安排紧，请调整"},
                     actor=director)
    return {first}


def _visits_and_checkups(loader, leader, block, starts, last, women):
    rnd = loader.random
    for i, woman in enumerate(women):
        day = starts + dt.timedelta(days=rnd.randint(3, 20))
        while day <= last:
            if rnd.random() < 0.92:
                loader.event("visit", block, loader.at(day, 10), {"note": "随访正常"}, actor=leader, place=woman)
            day += dt.timedelta(days=rnd.randint(26, 34))
        if rnd.random() < 0.75:  # the others are overdue: the monthly list
            on = last - dt.timedelta(days=rnd.randint(5, 110))
            loader.event("checkup", block, loader.at(on, 11), {"checked_on": on.isoformat()}, actor=leader, place=woman)
