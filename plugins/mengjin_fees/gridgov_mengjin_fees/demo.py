"""The Mengjin demo: the county bureau with three sub-bureaus and their grids, the general
office, the inspection group, the comprehensive service group, the branch association with its
cadres — 邵军 among them, assessed as a grid responsible person, as the source says — a
responsible person per grid, an economic household register and two weeks of patrols. Apart
from 邵军, names of people, grids and businesses are made up."""

from . import GRID_RESPONSIBLE_SHEET

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


def load(loader):
    county = loader.grid("MJ", "孟津县局辖区")
    office = loader.unit("MJ-ZHBGS", "综合办公室", "office")
    inspectors = loader.unit("MJ-DCZ", "督察组", "inspection_group")
    loader.assign(loader.person("MJ-BG01"), "office_staff", unit=office)
    for n in (1, 2):
        loader.assign(loader.person(f"MJ-DC{n:02d}"), "inspector", unit=inspectors)
    grids = []
    for i, (name, grid_names) in enumerate(SUB_BUREAUS, 1):
        area = loader.grid(f"MJ-{i:02d}", name, county)
        bureau = loader.unit(f"MJ-FJ{i:02d}", name, "sub_bureau", grid=area)
        loader.assign(loader.person(f"MJ-FJLD{i:02d}"), "bureau_leader", unit=bureau)
        for j, grid_name in enumerate(grid_names, 1):
            grid = loader.grid(f"MJ-{i:02d}-{j:02d}", grid_name, area)
            responsible = loader.person(f"MJ-WG{i:02d}{j:02d}")
            loader.assign(responsible, "grid_responsible", grid)
            grids.append((responsible, grid))
        if i == 1:
            _service_group_and_branch(loader, bureau)
    _register(loader, grids)
    _patrols(loader, grids)
    loader.login("staff", "field_staff", person=grids[0][0])


def _service_group_and_branch(loader, bureau):
    service = loader.unit("MJ-ZHFWZ", "综合服务组", "service_group", parent=bureau)
    for n in (1, 2, 3):
        loader.assign(loader.person(f"MJ-FW{n:02d}"), "service_staff", unit=service)
    branch = loader.unit("MJ-GXFH01", "个体劳动者协会城关分会", "branch_association", parent=bureau)
    loader.assign(loader.person("MJ-FH01"), "branch_cadre", unit=branch)
    shao = loader.person("MJ-FH02", "邵军")
    loader.assign(shao, "branch_cadre", unit=branch, sheet_override=GRID_RESPONSIBLE_SHEET)


def _register(loader, grids):
    """Each grid's economic households: an enterprise or two and a few individual businesses;
    the market grids also hold their market."""
    rnd = loader.random
    n = 0
    for _, grid in grids:
        street = grid.name.removesuffix("网格")
        households = [("enterprise", f"孟津{_brand(rnd)}{rnd.choice(ENTERPRISES)}", "")
                      for _ in range(rnd.randint(1, 2))]
        households += [("individual_business", f"{_brand(rnd)}{shop}", industry)
                       for shop, industry in rnd.sample(SHOPS, rnd.randint(2, 4))]
        for kind, name, industry in households:
            n += 1
            loader.place(kind, f"MJ-JJ{n:04d}", name, grid, address=f"{street}{rnd.randint(1, 199)}号",
                         registration_no=f"410322{600000000 + n:09d}", operator=loader.person_name(),
                         industry=industry, risk_grade=rnd.choice(("low", "low", "medium", "high")),
                         credit_grade=rnd.choice(("A", "A", "B", "B", "C", "D")))
        if "市场" in street or "商贸城" in street:
            loader.place("market", f"MJ-SC-{grid.code}", street, grid,
                         market_type="farm" if "农贸" in street else "general",
                         organiser=f"孟津{street}管理有限公司", stalls=rnd.randint(60, 240))


def _brand(rnd) -> str:
    return rnd.choice(PREFIXES) + rnd.choice(PREFIXES)


def _patrols(loader, grids):
    rnd = loader.random
    for day in loader.recent_weekdays(10):
        for responsible, grid in grids:
            if rnd.random() < 0.7:
                loader.event("patrol", grid, loader.at(day, rnd.choice((9, 10, 15)), rnd.choice((0, 30))),
                             {"households_visited": rnd.randint(3, 15), "note": rnd.choice(NOTES)},
                             actor=responsible)
