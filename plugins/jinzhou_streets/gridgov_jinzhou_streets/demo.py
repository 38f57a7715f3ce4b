"""The Jinzhou demo: the full network of the source — 4 detachment regions, 12 brigade pieces
(three each) and 25 unit grid groups (two per brigade, three in one) of 3–5 people — the
evaluation office, and a representative subset of the 64 streets cut into sections, every
section in exactly one block, every block with at least one. Two weeks of violations found in
open and covert inspections. Street names are Jinzhou's; sections, widths and people are made up.
"""

from . import EIGHT_NOS, FOUR_NOS

ORDINALS = "一二三四五六七八九十"
DETACHMENTS = ["古塔东", "古塔西", "凌河南", "凌河北"]
# (street, grade, width in metres); the four level-2 streets come last.
STREETS = [
    ("解放路", 1, "40.0"), ("中央大街", 1, "30.0"), ("士英街", 1, "24.0"), ("北京路", 1, "32.0"),
    ("上海路", 1, "28.0"), ("延安路", 1, "22.0"), ("重庆路", 1, "26.0"), ("人民街", 1, "20.0"),
    ("云飞街", 1, "30.0"), ("洛阳路", 1, "24.0"), ("中山路", 1, "20.0"), ("南京路", 1, "18.0"),
    ("天津路", 1, "16.0"), ("广州街", 2, "14.0"), ("杭州街", 2, "12.0"), ("市府路", 2, "15.0"),
    ("惠安街", 2, "12.0"),
]
NOTES = ["当场责令整改", "拍照取证，限期整改", "已通知所在大队处理", "复查时仍未整改", ""]


def load(loader):
    city = loader.grid("JZ", "锦州市市管街路")
    office = loader.unit("JZ-KPC", "网格化管理考评处", "evaluation_office")
    evaluators = [loader.person(f"JZ-KP{n:02d}") for n in (1, 2, 3)]
    for person in evaluators:
        loader.assign(person, "evaluator", unit=office)
    blocks = []
    for d, region_name in enumerate(DETACHMENTS, 1):
        region = loader.grid(f"JZ-{d}", f"第{ORDINALS[d - 1]}网管支队（{region_name}区域）", city)
        detachment = loader.unit(f"JZ-ZD{d}", f"第{ORDINALS[d - 1]}网管支队", "detachment", grid=region)
        loader.assign(loader.person(f"JZ-ZD{d}-1"), "detachment_head", region)
        for b in range(1, 4):
            number = (d - 1) * 3 + b
            piece = loader.grid(f"JZ-{d}-{b}", f"第{_ordinal(number)}网管大队网片", region)
            loader.unit(f"JZ-DD{number:02d}", f"第{_ordinal(number)}网管大队", "brigade", parent=detachment, grid=piece)
            loader.assign(loader.person(f"JZ-DD{number:02d}-1"), "brigade_head", piece)
            for g in range(1, (3 if number == 12 else 2) + 1):
                blocks.append(_group(loader, piece, f"JZ-{d}-{b}-{g}", len(blocks) + 1))
    sections = _sections(loader, blocks)
    _violations(loader, sections, evaluators)
    loader.login("staff", "field_staff", person=blocks[0][1])


def _ordinal(n: int) -> str:
    return ORDINALS[n - 1] if n <= 10 else "十" + ORDINALS[n - 11]


def _group(loader, piece, code, number):
    """A unit grid group (单元网格小组): a leader and two to four members on one block."""
    block = loader.grid(code, f"第{number}单元网格小组", piece)
    leader = loader.person(f"{code}-1")
    loader.assign(leader, "group_leader", block)
    for m in range(2, loader.random.randint(3, 5) + 1):
        loader.assign(loader.person(f"{code}-{m}"), "group_member", block)
    return block, leader


def _sections(loader, blocks):
    """Cut the streets into sections between cross streets and deal them out to the blocks in
    turn, so every block holds one section at least."""
    rnd = loader.random
    names = [s[0] for s in STREETS]
    sections = []
    for street, grade, width in STREETS:
        cross = rnd.sample([n for n in names if n != street], 3)
        for k in range(2):
            block, _ = blocks[len(sections) % len(blocks)]
            code = f"JZ-LD{len(sections) + 1:03d}"
            place = loader.place("street_section", code, f"{street}（{cross[k]}—{cross[k + 1]}）", block,
                                 street=street, from_to=f"{cross[k]}—{cross[k + 1]}", width_m=width, grade=grade)
            sections.append((place, block, grade))
    return sections


def _violations(loader, sections, evaluators):
    rnd = loader.random
    for day in loader.recent_weekdays(10):
        for place, block, grade in rnd.sample(sections, 4):
            loader.event("violation", block, loader.at(day, rnd.choice((7, 10, 16, 19)), rnd.choice((0, 30))),
                         {"violation": rnd.choice(EIGHT_NOS if grade == 1 else FOUR_NOS),
                          "mode": rnd.choice(("open", "covert")), "note": rnd.choice(NOTES)},
                         actor=rnd.choice(evaluators), place=place)
