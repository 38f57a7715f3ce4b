"""The benchmark's data: a tenant with a realistic grid tree, and reproducible batches of events.

Setup is not what the benchmark measures, so the tree and the people are written with bulk
INSERTs under the platform scope (as a data migration would), not one operation per grid.
Events are generated batch by batch from a seeded random generator, so the baseline and the
batch path receive exactly the same rows without holding a million of them in memory.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import random

from sqlalchemy import insert, update

from gridgov.extensions import db
from gridgov.models import Grid, Person
from gridgov.models.base import utcnow
from gridgov.models.grids import PATH_SEP
from gridgov.operations import tenants as tenant_ops
from gridgov.operations.events import request_hash
from gridgov.tenancy import platform_scope

GRIDS_PER_COMMUNITY = 10  # a community (社区) grid and the ~9 unit grids (单元网格) below it
COMMUNITIES_PER_STREET = 100
CST = dt.timezone(dt.timedelta(hours=8))
YEAR_START = dt.datetime(2026, 1, 1, tzinfo=CST)
SECONDS_IN_YEAR = 365 * 24 * 3600
UPLOAD_DELAY = 2 * 24 * 3600  # events reach the service up to two days after they happen

PLACES = ["东门菜市场", "滨江小区3号楼", "幸福路与建设路口", "实验小学门前", "老旧小区12栋", "农贸市场北侧",
          "沿河步道", "城中村出租屋", "工地围挡外", "社区卫生服务站", "公交站台", "地下车库入口"]
ISSUES = ["占道经营", "垃圾堆放未清运", "电动车楼道充电", "井盖缺失", "违章搭建", "噪音扰民", "消防通道堵塞",
          "路灯损坏", "邻里纠纷", "流动摊贩", "积水", "广告牌松动"]
ACTIONS = ["当场劝导整改", "拍照上报街道", "联系物业处理", "通知城管中队", "登记后持续跟踪", "已协调双方调解"]
TAGS = ["环境卫生", "安全隐患", "矛盾纠纷", "消防", "市容秩序", "民生服务", "防汛"]
GAUGES = [f"SW-{n:03d}" for n in range(1, 41)]


@dataclasses.dataclass
class TenantTree:
    """What the benchmark needs to know about a generated tenant."""

    tenant_id: int
    grid_ids: list[int]
    people_ids: list[int]
    communities: list[tuple[int, int]]  # (community grid id, number of grids in its subtree)
    event_types: list[str]


def build_tenant(slug: str, n_grids: int, *, plugins=(), n_people: int = 200) -> TenantTree:
    """A district (区) → streets (街道) → communities (社区) → unit grids, ``n_grids`` in all."""
    tenant = tenant_ops.create_tenant(slug, f"基准测试 {slug}", plugins=plugins)
    db.session.flush()
    tid = tenant.id
    n_streets = max(1, round(n_grids / (GRIDS_PER_COMMUNITY * COMMUNITIES_PER_STREET)))
    n_communities = max(1, (n_grids - 1 - n_streets) // GRIDS_PER_COMMUNITY)
    n_units = n_grids - 1 - n_streets - n_communities
    with platform_scope():
        root = _insert_level(tid, [(None, "/", "D01", "城关区")])[0]
        streets = _insert_level(tid, [(root, f"/{root}/", f"D01-S{s:02d}", f"第{s}街道") for s in range(1, n_streets + 1)])
        community_rows = []
        for c in range(n_communities):
            street = streets[c % n_streets]
            community_rows.append((street, f"/{root}/{street}/", f"D01-S{c % n_streets + 1:02d}-C{c + 1:04d}", f"第{c + 1}社区"))
        communities = _insert_level(tid, community_rows)
        paths = {cid: f"{row[1]}{cid}/" for cid, row in zip(communities, community_rows)}
        unit_rows = []
        for u in range(n_units):
            cid = communities[u % n_communities]
            unit_rows.append((cid, paths[cid], f"{community_rows[u % n_communities][2]}-G{u // n_communities + 1:02d}", f"网格{u + 1}"))
        units = _insert_level(tid, unit_rows)
        people = list(db.session.scalars(insert(Person).returning(Person.id, sort_by_parameter_order=True), [
            {"tenant_id": tid, "code": f"P{p:05d}", "name": f"网格员{p}", "phone": f"1380000{p:04d}"}
            for p in range(1, n_people + 1)]))
    sizes = {cid: 1 for cid in communities}
    for u in range(n_units):
        sizes[communities[u % n_communities]] += 1
    types = ["core.note"] + (["example.water_level"] if "example" in plugins else [])
    return TenantTree(tid, [root, *streets, *communities, *units], people, list(sizes.items()), types)


def _insert_level(tenant_id: int, rows: list[tuple]) -> list[int]:
    """Insert one level of the tree, then set each row's materialised path from its new id."""
    if not rows:
        return []
    ids = list(db.session.scalars(insert(Grid).returning(Grid.id, sort_by_parameter_order=True), [
        {"tenant_id": tenant_id, "parent_id": parent, "code": code, "name": name,
         "level": parent_path.count(PATH_SEP) - 1, "path": ""}
        for parent, parent_path, code, name in rows]))
    db.session.execute(update(Grid), [{"id": gid, "path": f"{row[1]}{gid}/"} for gid, row in zip(ids, rows)])
    return ids


def event_batch(tree: TenantTree, seed: int, size: int, through_year: float) -> list[dict]:
    """``size`` events as a field app would submit them: ISO instants with an offset, an
    idempotency key each, a field note (现场记录) or — one in ten when the example plugin is on —
    a water-level reading (水位观测) with a Decimal level.

    A load walks through the year as the service would receive it: a batch sent at
    ``through_year`` (0 to 1) carries events of the two days before, on random grids."""
    rng = random.Random(seed)
    sent = YEAR_START + dt.timedelta(seconds=SECONDS_IN_YEAR * through_year)
    out = []
    for _ in range(size):
        at = sent - dt.timedelta(seconds=rng.randrange(UPLOAD_DELAY))
        item = {"type": "core.note", "occurred_at": at.isoformat(), "grid_id": rng.choice(tree.grid_ids),
                "actor_person_id": rng.choice(tree.people_ids), "idempotency_key": f"{rng.getrandbits(128):032x}"}
        if len(tree.event_types) > 1 and rng.random() < 0.1:
            item["type"] = "example.water_level"
            level = decimal.Decimal(rng.randrange(50, 900)) / 100
            item["payload"] = {"gauge": rng.choice(GAUGES), "level_m": str(level)}
        else:
            text = f"{rng.choice(PLACES)}{rng.choice(ISSUES)}，{rng.choice(ACTIONS)}。"
            if rng.random() < 0.3:
                text += f"{rng.choice(PLACES)}另有{rng.choice(ISSUES)}，{rng.choice(ACTIONS)}。"
            item["payload"] = {"text": text, "tags": rng.sample(TAGS, rng.randrange(0, 4))}
        out.append(item)
    return out


def stored_rows(tree: TenantTree, items: list[dict]) -> list[dict]:
    """The rows the batch path stores for ``items``, ready for a plain Core INSERT (the baseline)."""
    now = utcnow()
    return [{"tenant_id": tree.tenant_id, "type": item["type"],
             "occurred_at": dt.datetime.fromisoformat(item["occurred_at"]), "grid_id": item["grid_id"],
             "actor_person_id": item["actor_person_id"], "payload": item["payload"],
             "idempotency_key": item["idempotency_key"], "request_hash": request_hash(item),
             "recorded_at": now} for item in items]

