"""The Dafang demo, shaped like the county: 34 big grids (the fire brigade's and 33 township police
stations'), 378 small grids (Dafang town's 8 communities and 370 villages), the town's 19 grid
rooms (two officers and one assistant each), 103 key units and 2 key construction sites on the
brigade's list; the brigade chief the source names (左炜); two listed units in every grid room and
village. The year to date: the brigade's monthly focused sweep of its list; each station's checks
of its listed units (some stations keep to the monthly quota, some fall short); every month
hazard cases along the chain (rectified, handed to the brigade in writing, reported to the county
bureau and listed by the government with a deadline, reported by the public on 96119 or online),
the older ones closed, the recent ones still at their stage; enforcement measures, publicity
sessions, two fatal fires (the veto); the stations' monthly assessment published for every
complete month, the year's computed. Township names follow Dafang's; villages, units and people
are made up."""

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
    listed = _listed_units(loader, [(grid, officer) for grid, officer, *_ in rooms + villages])
    months = _months(loader)  # January to this month (the demo assumes it is not 1 January)
    _checks(loader, months, key_units, inspectors, listed)
    loader.login("staff", "field_staff", person=rooms[0][1])
    _activity(loader, months, key_units, inspectors, listed)
    loader.flush_events()
    _assess(loader, months)


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


def _places(loader, rows) -> list:
    """Register entries written in one flush: each row's attributes loaded and dumped through
    the kind's schema (:class:`UnitAttributes`, as the register's create does), the codes unique
    by construction, an audit entry each. The core has no batch path for places; one by one,
    the register's per-row checks and flushes took most of the demo's time."""
    from gridgov.extensions import db
    from gridgov.models import Place
    from gridgov.models.base import to_json_safe
    from gridgov.operations import audit

    from . import UnitAttributes

    schema = UnitAttributes()
    places = [Place(tenant_id=loader.tenant.id, kind=loader.key(kind), code=code, name=name, grid_id=grid.id,
                    address="", attributes=to_json_safe(schema.dump(schema.load(attributes))))
              for kind, code, name, grid, attributes in rows]
    db.session.add_all(places)
    db.session.flush()
    for place, (_, _, _, grid, _) in zip(places, rows):
        place.grid = grid
        audit.record("create", place, changes={"kind": place.kind, "code": place.code, "name": place.name,
                                               "grid_id": place.grid_id, "attributes": place.attributes})
    return places


def _key_units(loader, brigade_grid, rooms, villages):
    """The brigade's list: 103 key units — the named ones in Dafang town's grid rooms, the rest
    in the townships' seats (first villages) — and key construction sites."""
    named = [(name, category, rooms[(k * 7) % len(rooms)][0]) for k, (name, category) in enumerate(KEY_UNITS, 1)]
    seats = [grid for grid, _, v in villages if v == 1]
    others = [(f"{_locality(seats[k % len(seats)])}{KEY_CATEGORIES[k % len(KEY_CATEGORIES)]}{k // len(seats) + 1}号",
               KEY_CATEGORIES[k % len(KEY_CATEGORIES)], seats[k % len(seats)])
              for k in range(KEY_UNITS_TOTAL - len(named))]
    rows = [("key_unit", f"DF-ZD{k:03d}", name, grid,
             {"category": category, "responsible_person": loader.person_name(), "checked_by": "brigade"})
            for k, (name, category, grid) in enumerate(named + others, 1)]
    rows += [("construction_site", f"DF-GD{k:03d}", name, brigade_grid,
              {"category": "在建工程", "responsible_person": loader.person_name(), "checked_by": "brigade"})
             for k, name in enumerate(SITES, 1)]
    return _places(loader, rows)


def _listed_units(loader, grids):
    """Two units on the station's list in every grid room and village, with the officer who
    checks them: [(place, grid, officer, big grid id)]."""
    rows, owners = [], []
    for grid, officer in grids:
        for k, (name, category) in enumerate(loader.random.sample(LISTED, 2), 1):
            rows.append(("listed_unit", f"DF-LG-{grid.code}-{k}", f"{_locality(grid)}{name}", grid,
                         {"category": category, "responsible_person": loader.person_name(), "checked_by": "station"}))
            owners.append((grid, officer, (grid.ancestor_ids + [grid.id])[1]))
    return [(place, *owner) for place, owner in zip(_places(loader, rows), owners)]


def _months(loader):
    """[(first day of the month, its weekdays before today)] from January to this month."""
    import datetime as dt

    out, first = [], loader.year_start
    while first < loader.today:
        nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        days = [first + dt.timedelta(days=n) for n in range((min(nxt, loader.today) - first).days)]
        weekdays = [d for d in days if d.weekday() < 5]
        if weekdays:
            out.append((first, weekdays))
        first = nxt
    return out


def _checks(loader, months, key_units, inspectors, listed):
    """The brigade's focused sweep of its list on the first weekday of every month; each
    station's checks of its listed units, spread over the month's weekdays — a station keeps its
    own pace (some check every unit every month, some fall short of the quota)."""
    from collections import defaultdict

    rnd = loader.random
    by_station = defaultdict(list)
    for place, grid, officer, big in listed:
        by_station[big].append((place, grid, officer))
    pace = {big: rnd.choice((0.6, 0.75, 0.85, 0.9, 1.0, 1.0, 1.0)) for big in sorted(by_station)}
    for first, days in months:
        share = len(days) / 21
        for place in key_units:
            hazards = rnd.choice((0, 0, 1, 2))
            loader.event("fire_check", place.grid, loader.at(days[0], rnd.choice((9, 10, 14, 15))),
                         {"sweep": "monthly_focused", "hazards_found": hazards,
                          "note": rnd.choice(NOTES) if hazards else ""},
                         actor=rnd.choice(inspectors), place=place)
        for big, units in sorted(by_station.items()):
            count = min(len(units), round(len(units) * pace[big] * share * rnd.uniform(0.9, 1.05)))
            for place, grid, officer in rnd.sample(units, count):
                hazards = rnd.choice((0, 0, 0, 1, 2))
                loader.event("fire_check", grid, loader.at(rnd.choice(days), rnd.choice((9, 10, 15, 16))),
                             {"sweep": "daily", "hazards_found": hazards, "note": rnd.choice(NOTES) if hazards else ""},
                             actor=officer, place=place)


HAZARDS = ["消防车通道被占用", "自动喷水灭火系统瘫痪", "疏散楼梯堆放可燃物", "电气线路老化", "消防控制室无人值守",
           "安全出口上锁", "厨房排油烟管道未清洗", "易燃易爆品违规存放"]
# Each month's hazards and how far each goes: (step, days after the report) — a step is taken
# only once its day has come, so the recent months' cases are still on their way.
HAZARD_PLAN = (
    (("rectify", 0), ("resolve", 6), ("verify", 7), ("close", 8)),
    (("rectify", 0), ("resolve", 10), ("verify", 11), ("close", 12)),
    (("rectify", 0), ("resolve", 25), ("verify", 26), ("close", 27)),
    (("rectify", 0), ("brigade", 1), ("start", 5), ("resolve", 20), ("verify", 21), ("close", 22)),
    (("rectify", 0), ("brigade", 1), ("bureau", 2), ("listing", 3), ("start", 15), ("resolve", 70), ("verify", 71),
     ("close", 72)),
)
PUBLIC = (("hotline_96119", "楼下商铺夜间堆放液化气罐"), ("public_web", "小区消防栓无水"),
          ("hotline_96119", "出租屋电动车室内充电"), ("public_web", "网吧安全出口被锁"))
MEASURES = (("three_stops", {}), ("penalty_decision", {"fine": "5000.00"}), ("temporary_seal", {}),
            ("penalty_decision", {"fine": "30000.00"}), ("detention", {"people": 1}),
            ("penalty_decision", {"fine": "10000.00"}))
FATAL_FIRES = (("猫场镇", 3, 1, "民房火灾，一人死亡"), ("羊场镇", -2, 2, "村民自建房火灾，两人死亡"))


def _activity(loader, months, key_units, inspectors, listed):
    """Every month: hazard cases along the chain with their rectification orders, a public
    report, enforcement measures, publicity sessions; two fatal fires in villages."""
    import datetime as dt

    from sqlalchemy import select

    from gridgov.extensions import db
    from gridgov.models import User
    from gridgov.models.base import utcnow
    from gridgov.operations import cases as case_ops

    from . import hazards

    rnd = loader.random
    now = utcnow()
    admin = db.session.scalar(select(User).where(User.username == f"{loader.tenant.slug}-admin"))
    brigade = hazards.unit_of_kind(hazards.BRIGADE_KIND)
    n = 0
    for m, (first, days) in enumerate(months):
        year = first.year
        for k, plan in enumerate(HAZARD_PLAN):
            n += 1
            place, grid, *_ = rnd.choice(listed) if k != 2 else (rnd.choice(key_units), None)
            grid = grid or place.grid
            # this month's cases in its last days, so some are still on their way
            day = days[max(-len(days), -1 - k)] if m == len(months) - 1 else days[min(len(days) - 1, 2 * k)]
            at = loader.at(day, 10)
            case = hazards.report_hazard({"grid_id": grid.id, "place_id": place.id, "description": rnd.choice(HAZARDS),
                                          "reported_at": at.isoformat()}, actor=admin)
            case_ops.accept(case, actor=admin, at=at + dt.timedelta(hours=1))
            case_ops.dispatch(case, actor=admin, at=at + dt.timedelta(hours=2),
                              unit_id=brigade.id if place.attributes.get("checked_by") == "brigade" else None)
            for step, offset in plan:
                when = at + dt.timedelta(days=offset, hours=3)
                if when >= now:
                    break
                if step == "rectify":
                    case_ops.start(case, actor=admin, at=when, note="责令单位整改")
                    loader.event("enforcement", grid, when,
                                 {"measure": "rectification_order", "case_number": case.number,
                                  "document_number": f"大公（消）责改字〔{year}〕{n}号"}, actor=inspectors[0], place=place)
                elif step == "brigade":
                    if case.unit_id == brigade.id:
                        continue
                    hazards.refer_to_brigade(case, actor=admin, letter_number=f"大方派移〔{year}〕{n}号",
                                             letter_text=f"{place.name}{case.description}，派出所无法督促整改，书面移交消防大队。",
                                             at=when)
                elif step == "bureau":
                    hazards.report_to_bureau(case, actor=admin, letter_number=f"大消报〔{year}〕{n}号", at=when)
                    loader.event("enforcement", grid, when,
                                 {"measure": "temporary_seal", "case_number": case.number,
                                  "document_number": f"大公（消）临封字〔{year}〕{n}号"}, actor=inspectors[0], place=place)
                elif step == "listing":
                    loader.event("government_listing", grid, when,
                                 {"case_number": case.number, "document_number": f"大府督〔{year}〕{m + 1}号",
                                  "deadline": (when.date() + dt.timedelta(days=60)).isoformat()}, place=place)
                else:
                    getattr(case_ops, step)(case, actor=admin, at=when)
        source, text = PUBLIC[m % len(PUBLIC)]
        place, grid, *_ = rnd.choice(listed)
        at = loader.at(days[-1], 15)
        case = hazards.report_public_hazard({"source": source, "grid_id": grid.id, "description": text,
                                             "reporter_name": loader.person_name(), "reported_at": at.isoformat()},
                                            actor=admin, at=at + dt.timedelta(hours=1))
        if at + dt.timedelta(days=6) < now:
            for offset, step in enumerate(("start", "resolve", "verify", "close"), 2):
                getattr(case_ops, step)(case, actor=admin, at=at + dt.timedelta(days=offset))
        for k, (measure, extra) in enumerate(MEASURES[m % 3::3] if m % 2 else MEASURES[m % 3:m % 3 + 1]):
            place, grid, *_ = rnd.choice(listed)
            loader.event("enforcement", grid, loader.at(rnd.choice(days), 11),
                         {"measure": measure, "document_number": f"大公（消）{measure[:2]}字〔{year}〕{m + 1}-{k + 1}号",
                          **extra}, actor=inspectors[k % 2], place=place)
        for k in range(3):
            place, grid, *_ = rnd.choice(listed)
            loader.event("publicity", grid, loader.at(rnd.choice(days), 16),
                         {"topic": rnd.choice(("冬春火灾防控宣传", "消防安全进村入户", "“119”消防宣传月")),
                          "audience": rnd.randrange(30, 300)}, actor=inspectors[k % 2])
    from gridgov.models import Grid

    for township, month, deaths, note in FATAL_FIRES:
        first, days = months[max(-len(months), min(month, len(months) - 1))]
        big = db.session.scalar(select(Grid.id).where(Grid.name == f"{township}派出所大网格"))
        village = next(grid for _, grid, _, station in listed if station == big and grid.parent_id == big)
        loader.event("fatal_fire", village, loader.at(days[len(days) // 2], 3), {"deaths": deaths, "note": note})


def _assess(loader, months):
    """The stations' monthly assessment for every complete month, computed and published; the
    current month's and the year's computed (not yet published)."""
    from sqlalchemy import select

    from gridgov.assessment import operations as runs
    from gridgov.extensions import db
    from gridgov.models import User

    admin = db.session.scalar(select(User).where(User.username == f"{loader.tenant.slug}-admin"))
    for first, _ in months:
        run = runs.create_run(sheet="dafang_fire.station_month", period_start=first, user=admin,
                              note=f"{first.month}月网上监管考核")
        runs.compute_now(run, admin)
        if first.month != loader.today.month:
            runs.publish(run, admin)
    run = runs.create_run(sheet="dafang_fire.station_year", period_start=loader.year_start, user=admin,
                          note=f"{loader.year_start.year}年度考核（截至目前）")
    runs.compute_now(run, admin)
