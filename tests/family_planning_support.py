"""Helpers for the family_planning tests: a tenant with 海宁社区's four levels (community → zone →
piece → block), two blocks with a group leader each, a director, and logins of every role."""
from __future__ import annotations

import datetime as dt

from conftest import in_tenant

from gridgov.models import Assignment, Person, Place
from gridgov.operations import events, grids, registers

YEAR = dt.date(2025, 1, 1)


def at(day: dt.date, hour: int, minute: int = 0) -> str:
    return dt.datetime.combine(day, dt.time(hour, minute)).isoformat() + "+08:00"


def setup(app, factory, slug: str = "fp") -> dict:
    """The tenant and its people; returns ids, and logins {role: (user id, token)}."""
    tenant = factory.tenant(slug, plugins=["family_planning"], name="海宁社区")
    logins = {role: factory.user(f"{slug}-{role}", tenant, role)
              for role in ("tenant_admin", "assessor", "supervisor", "field_staff", "viewer")}
    with in_tenant(app, tenant):
        community = grids.create_grid(code="HN", name="海宁社区")
        zone = grids.create_grid(code="HN-1", name="第一责任区", parent_id=community.id)
        piece = grids.create_grid(code="HN-1-1", name="第一责任区东片", parent_id=zone.id)
        block1 = grids.create_grid(code="HN-1-1-1", name="第1责任块", parent_id=piece.id)
        block2 = grids.create_grid(code="HN-1-1-2", name="第2责任块", parent_id=piece.id)
        director = registers.create(Person, {"code": "ZR", "name": "张主任"})
        a = registers.create(Person, {"code": "A", "name": "王组长"})
        b = registers.create(Person, {"code": "B", "name": "李组长"})
        registers.create(Assignment, {"person_id": director.id, "role": "family_planning.community_director",
                                      "grid_id": community.id, "starts_on": YEAR})
        registers.create(Assignment, {"person_id": a.id, "role": "family_planning.group_leader",
                                      "grid_id": block1.id, "starts_on": YEAR})
        registers.create(Assignment, {"person_id": b.id, "role": "family_planning.group_leader",
                                      "grid_id": block2.id, "starts_on": dt.date(2025, 4, 15)})
        ids = {"tenant": tenant.id, "community": community.id, "zone": zone.id, "piece": piece.id,
               "block1": block1.id, "block2": block2.id, "director": director.id, "a": a.id, "b": b.id}
    return {"tenant": tenant, "ids": ids, "logins": logins}


def woman(app, tenant, grid_id: int, code: str, **attributes) -> int:
    with in_tenant(app, tenant):
        attrs = {"household": "H1", "birth_year": 1990, "registered_on": "2025-01-01", **attributes}
        return registers.create(Place, {"grid_id": grid_id, "kind": "family_planning.woman", "code": code,
                                        "name": f"育龄妇女{code}", "attributes": attrs}).id


def sheet(leader: int, grid: int, day: dt.date, kind: str = "plan", hour: int | None = None, **extra) -> dict:
    """A check-in (plan) or check-out (result) event body."""
    if kind == "plan":
        return {"type": "family_planning.work_plan", "grid_id": grid, "actor_person_id": leader,
                "occurred_at": at(day, hour if hour is not None else 8),
                "payload": {"households": ["1号楼101"], "task": "入户随访"}, **extra}
    return {"type": "family_planning.work_result", "grid_id": grid, "actor_person_id": leader,
            "occurred_at": at(day, hour if hour is not None else 17),
            "payload": {"households_done": 1, "progress": "已完成"}, **extra}


def record(app, tenant, items):
    with in_tenant(app, tenant):
        return events.record_batch(items)[0]
