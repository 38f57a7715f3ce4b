"""The Jinzhou demo: the full network of the source — 4 detachment regions, 12 brigade pieces
(three each) and 25 unit grid groups (two per brigade, three in one) of 3–5 people — the
evaluation office, and the 64 streets (60 level-1, 4 level-2) cut into five sections each, every
section in exactly one group; the streets are drawn as a made-up regular grid round Jinzhou's
centre (the map's demo geometry, not the real street plan). The first half of last year: violations found in open and covert
inspections by the office and the detachments (some outside the groups' rosters), each opened as
a case and walked through to closure (the last fortnight's still open), a one-vote veto on one
group, the twelve half-month runs and the two quarters published. Street names are partly
Jinzhou's, partly made up; sections, widths and people are made up.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from gridgov.assessment import operations as runs
from gridgov.extensions import db
from gridgov.models import Case
from gridgov.operations import cases as case_ops

from .network import open_cases
from .settings import EIGHT_NOS, FOUR_NOS

ORDINALS = "一二三四五六七八九十"
DETACHMENTS = ["古塔东", "古塔西", "凌河南", "凌河北"]
_REAL = ["解放路", "中央大街", "士英街", "北京路", "上海路", "延安路", "重庆路", "人民街", "云飞街", "洛阳路",
         "中山路", "南京路", "天津路"]
_MADE_UP = "凌河 古塔 太和 松山 紫荆 锦华 永安 长江 黄河 珠江 渤海 辽西 兴隆 光明 和平 友谊 胜利 建设 文化 科技 " \
           "健康 团结 幸福 新民 昌盛 锦绣 金秋 春晖 朝阳 玉泉 青年 红旗 前进 东风 迎宾 滨河 汇通 锦江 华夏 广场 " \
           "双桥 博物 商贸 汽车 五里 铁新 站前".split()
# (street, grade, width in metres): 60 level-1 streets, then the four level-2 ones.
STREETS = [(name, 1, f"{12 + (n * 7) % 29}.0") for n, name in
           enumerate((_REAL + [f"{m}路" for m in _MADE_UP])[:60])] + [
    ("广州街", 2, "14.0"), ("杭州街", 2, "12.0"), ("市府路", 2, "15.0"), ("惠安街", 2, "12.0")]
NOTES = ["当场责令整改", "拍照取证，限期整改", "已通知所在大队处理", "复查时仍未整改", ""]


def load(loader):
    year = loader.today.year - 1
    since = dt.date(year - 1, 1, 1)
    city = loader.grid("JZ", "锦州市市管街路")
    office = loader.unit("JZ-KPC", "网格化管理考评处", "evaluation_office")
    evaluators = [loader.person(f"JZ-KP{n:02d}") for n in (1, 2, 3)]
    for person in evaluators:
        loader.assign(person, "evaluator", unit=office, starts_on=since)
    blocks, heads = [], []
    for d, region_name in enumerate(DETACHMENTS, 1):
        region = loader.grid(f"JZ-{d}", f"第{ORDINALS[d - 1]}网管支队（{region_name}区域）", city)
        detachment = loader.unit(f"JZ-ZD{d}", f"第{ORDINALS[d - 1]}网管支队", "detachment", grid=region)
        head = loader.person(f"JZ-ZD{d}-1")
        loader.assign(head, "detachment_head", region, starts_on=since)
        heads.append(head)
        for b in range(1, 4):
            number = (d - 1) * 3 + b
            piece = loader.grid(f"JZ-{d}-{b}", f"第{_ordinal(number)}网管大队网片", region)
            loader.unit(f"JZ-DD{number:02d}", f"第{_ordinal(number)}网管大队", "brigade", parent=detachment, grid=piece)
            loader.assign(loader.person(f"JZ-DD{number:02d}-1"), "brigade_head", piece, starts_on=since)
            for g in range(1, (3 if number == 12 else 2) + 1):
                blocks.append(_group(loader, piece, f"JZ-{d}-{b}-{g}", len(blocks) + 1, since))
    sections = _sections(loader, blocks)
    assessor = loader.login("office", "assessor", person=evaluators[0])
    supervisor = loader.login("supervisor", "supervisor", person=evaluators[1])
    loader.login("staff", "field_staff", person=blocks[0][1])
    halves = [dt.date(year, m, day) for m in range(1, 7) for day in (1, 16)]
    _violations(loader, sections, evaluators + heads, dt.date(year, 1, 1), dt.date(year, 6, 30))
    loader.event("veto", blocks[5][0], loader.at(dt.date(year, 3, 20), 10),
                 {"reason": "隐瞒辖区违章建设，经查属实"}, actor=evaluators[0])
    loader.flush_events()
    open_cases()
    _walk_cases(loader, supervisor, dt.date(year, 6, 16))
    _runs(assessor, halves, year)


def _runs(user, halves, year):
    for sheet, starts in (("group_half_month", halves), ("group_quarter", [dt.date(year, 1, 1), dt.date(year, 4, 1)])):
        for start in starts:
            run = runs.create_run(sheet=f"jinzhou_streets.{sheet}", period_start=start, user=user)
            runs.compute_now(run, user)
            runs.publish(run, user)


def _walk_cases(loader, user, last_half):
    """discover → collect (accept) → handle (dispatch, start, resolve) → feedback (verify) →
    close; the last fortnight's cases are left at their stage."""
    rnd = loader.random
    for case in db.session.scalars(select(Case).where(Case.category == "jinzhou_streets.violation",
                                                      Case.state == "reported").order_by(Case.id)):
        at = case.reported_at
        if at.astimezone(loader.zone).date() >= last_half and rnd.random() < 0.6:
            continue
        for step, hours in (("accept", 2), ("dispatch", 3), ("start", 4), ("resolve", 30), ("verify", 40),
                            ("close", 48)):
            getattr(case_ops, step)(case, actor=user, at=at + dt.timedelta(hours=hours), note="演示数据")


def _ordinal(n: int) -> str:
    return ORDINALS[n - 1] if n <= 10 else "十" + ORDINALS[n - 11]


EARLY_ROSTER = [{"days": [1, 2, 3, 4, 5], "start": "06:00", "end": "18:00"},
                {"days": [6, 7], "start": "08:00", "end": "16:00"}]


def _group(loader, piece, code, number, since):
    """A unit grid group (单元网格小组): a leader and two to four members on one block; every
    third group works an early roster (弹性工作时间, grid attribute ``roster``: weekdays 6–18,
    weekends 8–16)."""
    roster = {"roster": EARLY_ROSTER} if number % 3 == 0 else {}
    block = loader.grid(code, f"第{number}单元网格小组", piece, **roster)
    leader = loader.person(f"{code}-1")
    loader.assign(leader, "group_leader", block, starts_on=since)
    for m in range(2, loader.random.randint(3, 5) + 1):
        loader.assign(loader.person(f"{code}-{m}"), "group_member", block, starts_on=since)
    return block, leader


# The map is made up: a regular street grid round Jinzhou's centre (not the real streets). Even
# streets run east–west, odd ones north–south, 32 each, about 400 m apart; each is cut into five
# sections at the cross streets CUTS, so the city is a 5 × 5 pattern of cells — one per block.
CENTRE = (121.127, 41.095)
STEP_LNG, STEP_LAT = 0.0048, 0.0036
CUTS = (0, 6, 12, 19, 25, 31)


def _point(col: float, row: float) -> list[float]:
    return [round(CENTRE[0] + (col - 15.5) * STEP_LNG, 6), round(CENTRE[1] + (15.5 - row) * STEP_LAT, 6)]


def _cell_order() -> list[tuple[int, int]]:
    """The 25 cells (column, row) in a snake down and up the columns, so consecutive blocks —
    one brigade's, one detachment's — lie side by side."""
    return [(c, r if c % 2 == 0 else 4 - r) for c in range(5) for r in range(5)]


def _sections(loader, blocks):
    """Cut the streets into sections between cross streets; a section belongs to the block of the
    cell its middle lies in, so every block holds sections of its own patch of the city."""
    rnd = loader.random
    ew = [s for n, s in enumerate(STREETS) if n % 2 == 0]
    ns = [s for n, s in enumerate(STREETS) if n % 2 == 1]
    cells = {cell: blocks[n] for n, cell in enumerate(_cell_order())}
    sections = []
    for n, (street, grade, width) in enumerate(STREETS):
        across, position = (ns, n // 2) if n % 2 == 0 else (ew, n // 2)
        for k in range(5):
            a, b = CUTS[k], CUTS[k + 1]
            middle = (a + b) / 2 + rnd.uniform(-0.25, 0.25)
            if n % 2 == 0:  # east–west: along the columns at this row
                line = [_point(a, position), _point(middle, position + rnd.uniform(-0.15, 0.15)), _point(b, position)]
                cell = (k, min(position * 5 // 32, 4))
            else:  # north–south: along the rows at this column
                line = [_point(position, a), _point(position + rnd.uniform(-0.15, 0.15), middle), _point(position, b)]
                cell = (min(position * 5 // 32, 4), k)
            block, _ = cells[cell]
            ends = f"{across[a][0]}—{across[b][0]}"
            code = f"JZ-LD{len(sections) + 1:03d}"
            place = loader.place("street_section", code, f"{street}（{ends}）", block, street=street, from_to=ends,
                                 width_m=width, grade=grade, line=line)
            sections.append((place, block, grade))
    return sections


def _violations(loader, sections, inspectors, first, last):
    """About two violations a weekday, at any hour from 6 to 21 (some outside the rosters)."""
    rnd = loader.random
    day = first
    while day <= last:
        if day.weekday() < 5:
            for place, block, grade in rnd.sample(sections, rnd.randint(0, 4)):
                inspector = rnd.choice(inspectors)
                loader.event("violation", block, loader.at(day, rnd.randint(6, 21), rnd.choice((0, 30))),
                             {"violation": rnd.choice(EIGHT_NOS if grade == 1 else FOUR_NOS),
                              "mode": rnd.choice(("open", "covert")), "note": rnd.choice(NOTES),
                              "by": "office" if inspector in inspectors[:3] else "detachment"},
                             actor=inspector, place=place)
        day += dt.timedelta(days=1)
