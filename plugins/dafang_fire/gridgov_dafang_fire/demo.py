"""The Dafang demo, shaped like the county: 34 big grids (the fire brigade's and 33 township police
stations'), 378 small grids (Dafang town's 8 communities and 370 villages), the town's 19 grid
rooms (two officers and one assistant each), 103 key units and 2 key construction sites on the
brigade's list; the brigade chief the source names (左炜); listed units in every grid room and in
the first three villages of each township; a fortnight of checks with the hazard cases they found
(rectified, handed to the brigade, reported to the county bureau and listed by the government,
reported by the public on 96119), enforcement measures, publicity sessions and one fatal fire
(the veto). Township names follow Dafang's; villages, units and people are made up."""

COMMUNITIES = [("红旗社区", 3), ("顺德社区", 3), ("奢香社区", 2), ("慕俄格社区", 2), ("九驿社区", 3),
               ("北门社区", 2), ("南门社区", 2), ("东关社区", 2)]
FIRST_VILLAGES = {"双山镇": ["双山村", "新华村", "联合村"], "猫场镇": ["猫场村", "箐口村", "新春村"],
                  "羊场镇": ["羊场村", "红岩村", "平寨村"], "六龙镇": ["六龙村", "龙井村", "三合村"],
                  "东关乡": ["东关村", "茶园村", "坪子村"]}
OTHER_TOWNSHIPS = ["马场镇", "黄泥塘镇", "达溪镇", "瓢井镇", "长石镇", "对江镇", "竹园乡", "响水乡", "文阁乡",
                   "绿塘乡", "鼎新乡", "牛场乡", "小屯乡", "理化乡", "凤山乡", "安乐乡", "核桃乡", "八堡乡", "兴隆乡",
                   "果瓦乡", "大山乡", "雨冲乡", "黄泥乡", "大水乡", "沙厂乡", "普底乡", "百纳乡"]
VILLAGE_WORDS = ["新华", "联合", "红岩", "平寨", "龙井", "三合", "茶园", "坪子", "新春", "箐口", "白岩", "青山", "河坝",
                 "松林", "花园", "田坝"]
VILLAGES = 370  # 378 small grids less Dafang town's 8 communities
KEY_UNITS_TOTAL = 103
KEY_CATEGORIES = ["学校", "医疗机构", "商场市场", "宾馆饭店", "公共娱乐场所", "易燃易爆", "养老机构", "生产加工"]


def townships() -> list[tuple[str, list[str]]]:
    """The 33 townships other than Dafang town with their villages (370 in all, 11 or 12 each)."""
    names = list(FIRST_VILLAGES) + OTHER_TOWNSHIPS[:28]
    out = []
    for n, township in enumerate(names):
        count = VILLAGES // 32 + (1 if n < VILLAGES % 32 else 0)
        first = FIRST_VILLAGES.get(township, [])
        stem = township.removesuffix("镇").removesuffix("乡")
        rest = [f"{stem}{w}村" for w in VILLAGE_WORDS if f"{stem}{w}村" not in first]
        out.append((township, (first + [f"{stem}村"] + rest)[:count] if not first else (first + rest)[:count]))
    return out
KEY_UNITS = [("大方县人民医院", "医院"), ("大方县第一中学", "学校"), ("大方县客运站", "客运站"),
             ("奢香商贸城", "商场市场"), ("慕俄格宾馆", "宾馆饭店"), ("红旗加油站", "易燃易爆"),
             ("九驿网吧", "公共娱乐场所"), ("大方县老年公寓", "养老机构"), ("北门农贸市场", "商场市场"),
             ("大方县图书馆", "文博单位")]
SITES = ["奢香大道安置房项目", "大方县城北新区综合体"]
LISTED = [("超市", "商店"), ("小学", "学校"), ("卫生室", "医疗机构"), ("家具厂", "生产加工"), ("饭店", "餐饮")]
NOTES = ["灭火器过期，已责令更换", "疏散通道堆放杂物，已当场清理", "电气线路私拉乱接", "安全出口指示灯损坏", ""]


def load(loader):
    county = loader.grid("DF", "大方县")
    bureau = loader.unit("DF-GAJ", "大方县公安局", "public_security_bureau")
    brigade_grid = loader.grid("DF-00", "县消防大队大网格", county)
    brigade = loader.unit("DF-XFDD", "大方县消防大队", "fire_brigade", parent=bureau, grid=brigade_grid)
    loader.assign(loader.person("DF-XF01", "左炜"), "brigade_chief", unit=brigade)
    inspectors = [loader.person(f"DF-XF{n:02d}") for n in (2, 3)]
    for person in inspectors:
        loader.assign(person, "fire_inspector", unit=brigade)
    rooms = _dafang_town(loader, county, bureau)
    villages = [village for n, township in enumerate(townships(), 2)
                for village in _township(loader, county, bureau, n, *township)]
    key_units = _key_units(loader, brigade_grid, rooms, villages)
    listed = _listed_units(loader, rooms + [v for v in villages if v[2] <= 3])
    _checks(loader, key_units, inspectors, listed)
    loader.login("staff", "field_staff", person=rooms[0][1])
    _activity(loader, key_units, inspectors, listed)


def _locality(grid) -> str:
    """红旗 for 红旗社区第1网格工作室, 双山 for 双山村: the prefix of a local business's name."""
    return grid.name.split("第")[0].removesuffix("社区").removesuffix("村")


def _station(loader, county, bureau, n, township):
    big = loader.grid(f"DF-{n:02d}", f"{township}派出所大网格", county)
    loader.unit(f"DF-PCS{n:02d}", f"{township}派出所", "police_station", parent=bureau, grid=big)
    loader.assign(loader.person(f"DF-SZ{n:02d}"), "station_head", big)
    return big


def _dafang_town(loader, county, bureau):
    """Dafang town: 8 communities in 19 grid rooms of two officers and one assistant each."""
    big = _station(loader, county, bureau, 1, "大方镇")
    rooms = []
    for c, (name, n_rooms) in enumerate(COMMUNITIES, 1):
        community = loader.grid(f"DF-01-{c:02d}", name, big)
        loader.assign(loader.person(f"DF-01-{c:02d}-ZR"), "village_director", community)
        for r in range(1, n_rooms + 1):
            code = f"DF-01-{c:02d}-{r}"
            room = loader.grid(code, f"{name}第{r}网格工作室", community)
            officers = [loader.person(f"{code}-MJ{k}") for k in (1, 2)]
            for officer in officers:
                loader.assign(officer, "area_officer", room)
            loader.assign(loader.person(f"{code}-XQ"), "assistant", room)
            rooms.append((room, officers[0]))
    return rooms


def _township(loader, county, bureau, n, township, village_names):
    """A township station's big grid with its villages; one area officer covers them all. The
    villages' directors and assignments are written in two batches (the register's per-record
    checks would take a while for 370 villages, and these rows are made here, valid by
    construction)."""
    from gridgov.extensions import db
    from gridgov.models import Assignment, Person

    big = _station(loader, county, bureau, n, township)
    officer = loader.person(f"DF-{n:02d}-MJ")
    grids = [(v, loader.grid(f"DF-{n:02d}-{v:02d}", name, big)) for v, name in enumerate(village_names, 1)]
    directors = [Person(code=f"DF-{n:02d}-{v:02d}-ZR", name=loader.person_name(), phone="", attributes={})
                 for v, _ in grids]
    db.session.add_all(directors)
    db.session.flush()
    rows = []
    for (v, village), director in zip(grids, directors):
        rows += [Assignment(person_id=director.id, role=loader.key("village_director"), grid_id=village.id,
                            starts_on=loader.year_start),
                 Assignment(person_id=officer.id, role=loader.key("area_officer"), grid_id=village.id,
                            starts_on=loader.year_start)]
    db.session.add_all(rows)
    db.session.flush()
    return [(village, officer, v) for v, village in grids]


def _key_units(loader, brigade_grid, rooms, villages):
    """The brigade's list: 103 key units — the named ones in Dafang town's grid rooms, the rest
    in the townships' seats (first villages) — and key construction sites."""
    named = [(name, category, rooms[(k * 7) % len(rooms)][0]) for k, (name, category) in enumerate(KEY_UNITS, 1)]
    seats = [grid for grid, _, v in villages if v == 1]
    others = [(f"{_locality(seats[k % len(seats)])}{KEY_CATEGORIES[k % len(KEY_CATEGORIES)]}{k // len(seats) + 1}号",
               KEY_CATEGORIES[k % len(KEY_CATEGORIES)], seats[k % len(seats)])
              for k in range(KEY_UNITS_TOTAL - len(named))]
    places = [loader.place("key_unit", f"DF-ZD{k:03d}", name, grid, category=category,
                           responsible_person=loader.person_name(), checked_by="brigade")
              for k, (name, category, grid) in enumerate(named + others, 1)]
    places += [loader.place("construction_site", f"DF-GD{k:03d}", name, brigade_grid, category="在建工程",
                            responsible_person=loader.person_name(), checked_by="brigade")
               for k, name in enumerate(SITES, 1)]
    return places


def _listed_units(loader, grids):
    """Two units on the station's list in every grid room and village, with the officer who
    checks them."""
    listed = []
    for grid, officer, *_ in grids:
        for k, (name, category) in enumerate(loader.random.sample(LISTED, 2), 1):
            place = loader.place("listed_unit", f"DF-LG-{grid.code}-{k}", f"{_locality(grid)}{name}", grid,
                                 category=category, responsible_person=loader.person_name(), checked_by="station")
            listed.append((place, grid, officer))
    return listed


def _checks(loader, key_units, inspectors, listed):
    """The brigade's focused sweep of its list at the start of the fortnight; the grid rooms' and
    area officers' daily checks of the units they list."""
    rnd = loader.random
    days = loader.recent_weekdays(10)
    for place in key_units:
        hazards = rnd.choice((0, 0, 1, 2))
        loader.event("fire_check", place.grid, loader.at(days[0], rnd.choice((9, 10, 14, 15))),
                     {"sweep": "monthly_focused", "hazards_found": hazards,
                      "note": rnd.choice(NOTES) if hazards else ""},
                     actor=rnd.choice(inspectors), place=place)
    for day in days:
        for place, grid, officer in rnd.sample(listed, 6):
            hazards = rnd.choice((0, 0, 0, 1, 2))
            loader.event("fire_check", grid, loader.at(day, rnd.choice((9, 10, 15, 16))),
                         {"sweep": "daily", "hazards_found": hazards, "note": rnd.choice(NOTES) if hazards else ""},
                         actor=officer, place=place)


HAZARDS = ["消防车通道被占用", "自动喷水灭火系统瘫痪", "疏散楼梯堆放可燃物", "电气线路老化", "消防控制室无人值守",
           "安全出口上锁", "厨房排油烟管道未清洗", "易燃易爆品违规存放"]
# How far each demo hazard has got: the core's steps, then the source's hand-offs.
HAZARD_PLAN = ("closed", "closed", "closed", "in_progress", "brigade", "bureau", "closed", "brigade")


def _activity(loader, key_units, inspectors, listed):
    """Hazard cases along the chain, enforcement, publicity and a fatal fire, over the fortnight."""
    import datetime as dt

    from sqlalchemy import select

    from gridgov.extensions import db
    from gridgov.models import User
    from gridgov.operations import cases as case_ops

    from . import hazards

    admin = db.session.scalar(select(User).where(User.username == f"{loader.tenant.slug}-admin"))
    days = loader.recent_weekdays(10)
    brigade = hazards.unit_of_kind(hazards.BRIGADE_KIND)
    places = [(p, g) for p, g, _ in listed[:len(HAZARD_PLAN)]] + [(p, p.grid) for p in key_units[:10]]
    for k, step in enumerate(HAZARD_PLAN):
        place, grid = places[k]
        at = loader.at(days[k % 4], 10)
        case = hazards.report_hazard({"grid_id": grid.id, "place_id": place.id, "description": HAZARDS[k],
                                      "reported_at": at.isoformat()}, actor=admin)
        case_ops.accept(case, actor=admin, at=at + dt.timedelta(hours=1))
        case_ops.dispatch(case, actor=admin, at=at + dt.timedelta(hours=2),
                          unit_id=brigade.id if place.attributes.get("checked_by") == "brigade" else None)
        case_ops.start(case, actor=admin, at=at + dt.timedelta(hours=3), note="责令单位整改")
        loader.event("enforcement", grid, at + dt.timedelta(hours=3),
                     {"measure": "rectification_order", "document_number": f"大公（消）责改字〔{days[0].year}〕{k + 1}号",
                      "case_number": case.number}, actor=inspectors[0], place=place)
        if step == "closed":
            for n, action in enumerate(("resolve", "verify", "close"), 1):
                getattr(case_ops, action)(case, actor=admin, at=at + dt.timedelta(days=n + 1))
        elif step in ("brigade", "bureau"):
            if case.unit_id != brigade.id:
                hazards.refer_to_brigade(case, actor=admin, letter_number=f"大方派移〔{days[0].year}〕{k + 1}号",
                                         letter_text=f"{place.name}{HAZARDS[k]}，派出所无法督促整改，书面移交消防大队。",
                                         at=at + dt.timedelta(days=1))
            if step == "bureau":
                hazards.report_to_bureau(case, actor=admin, letter_number=f"大消报〔{days[0].year}〕{k + 1}号",
                                         at=at + dt.timedelta(days=2))
                loader.event("government_listing", grid, at + dt.timedelta(days=3),
                             {"case_number": case.number, "deadline": (days[0] + dt.timedelta(days=60)).isoformat(),
                              "document_number": f"大府督〔{days[0].year}〕1号"}, place=place)
                loader.event("enforcement", grid, at + dt.timedelta(days=2),
                             {"measure": "temporary_seal", "document_number": f"大公（消）临封字〔{days[0].year}〕1号",
                              "case_number": case.number}, actor=inspectors[0], place=place)
    for k, (source, text) in enumerate((("hotline_96119", "楼下商铺夜间堆放液化气罐"), ("public_web", "小区消防栓无水"))):
        place, grid = places[-1 - k]
        at = loader.at(days[5 + k], 15)
        hazards.report_public_hazard({"source": source, "grid_id": grid.id, "description": text,
                                      "reporter_name": loader.person_name(), "reported_at": at.isoformat()},
                                     actor=admin, at=at + dt.timedelta(hours=1))
    year = days[0].year
    measures = [("three_stops", {}), ("penalty_decision", {"fine": "5000.00"}),
                ("penalty_decision", {"fine": "30000.00"}), ("detention", {"people": 1}),
                ("temporary_seal", {})]
    for k, (measure, extra) in enumerate(measures):
        place, grid = places[3 + k]
        loader.event("enforcement", grid, loader.at(days[6 + k % 4], 11),
                     {"measure": measure, "document_number": f"大公（消）{measure[:2]}字〔{year}〕{k + 1}号", **extra},
                     actor=inspectors[k % 2], place=place)
    for k, (place, grid) in enumerate(places[:8]):
        loader.event("publicity", grid, loader.at(days[k % 10], 16),
                     {"topic": "冬春火灾防控宣传", "audience": 40 + 15 * k}, actor=inspectors[k % 2])
    township = next(g for g in _big_grids(loader) if g.name.startswith("羊场镇"))
    loader.event("fatal_fire", township, loader.at(days[7], 3), {"deaths": 1, "note": "民房火灾，一人死亡"})


def _big_grids(loader):
    from sqlalchemy import select

    from gridgov.extensions import db
    from gridgov.models import Grid

    return list(db.session.scalars(select(Grid).where(Grid.level == 1).order_by(Grid.code)))
