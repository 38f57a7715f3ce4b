"""Tenant isolation through the API: a member of tenant A walks every route under
``/api/v1/tenants/<slug>/`` — enumerated from ``app.url_map``, so a new route is walked, and a
new write route fails the walk until it is given a body here — against tenant B.

* With B's slug, every route answers 404 "tenant not found", as for a tenant that does not
  exist (the platform-only settings route answers 403 whatever the slug).
* With A's slug and B's object ids, every object route answers 404; every list holds A's rows
  only and counts only A's; filters naming B's objects find nothing (or are refused); a write
  naming B's objects — creating in A, or changing A's objects — is refused naming the field.
* Every table, snapshotted before and after: B's rows, and A's, are exactly as they were.
"""
import pytest
from sqlalchemy import select

from gridgov.extensions import db
from gridgov.models import ApiToken, Assignment, Event, Grid, Person, Place, Unit
from gridgov.tenancy import platform_scope

from api_support import TenantClient, make_tree, note

PREFIX = "/api/v1/tenants/<slug>/"
PLATFORM_ONLY = {"/api/v1/tenants/<slug>/settings/<plugin>"}
WALKED_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}
ID_ARGS = ("grid_id", "unit_id", "person_id", "assignment_id", "place_id", "event_id")
LISTS = {"grids": Grid, "units": Unit, "people": Person, "assignments": Assignment, "places": Place, "events": Event}
CATALOGUES = {"event-types", "roles", "place-kinds"}  # what plugins declare: no tenant rows
# query filters naming B's objects: (parameter, key of B's ids); the list must come back empty
LIST_FILTERS = {
    "grids": [("parent_id", "root_id")],
    "units": [("grid_id", "grid_id"), ("parent_id", "unit_id")],
    "people": [],
    "assignments": [("person_id", "person_id"), ("grid_id", "grid_id"), ("unit_id", "unit_id")],
    "places": [("grid_id", "grid_id")],
    "events": [("person_id", "person_id")],
}
REFUSED_FILTERS = {"events": [("grid_id", "grid_id")]}  # a filter that must name an existing object


def populate(api: TenantClient, code: str) -> dict:
    """One object of every kind, and a voided event, through the API."""
    tree = make_tree(api)
    grid = tree["g1"]["id"]
    unit = api.ok("POST", "units", {"code": f"{code}-U", "name": f"{code} 单位", "grid_id": grid})["id"]
    person = api.ok("POST", "people", {"code": f"{code}-P", "name": f"{code} 人"})["id"]
    assignment = api.ok("POST", "assignments", {"person_id": person, "role": "core.grid_worker", "grid_id": grid,
                                                "starts_on": "2026-01-01"})["id"]
    place = api.ok("POST", "places", {"grid_id": grid, "kind": "core.generic", "code": f"{code}-S", "name": "店"})["id"]
    event = api.ok("POST", "events", note(grid, f"{code} 记录", actor_person_id=person, place_id=place,
                                          subject_unit_id=unit, idempotency_key=f"{code}-key"))["id"]
    voided = api.ok("POST", "events", note(grid, f"{code} 作废的"))["id"]
    api.ok("POST", f"events/{voided}/void", {"reason": "测试"})
    return {"grid_id": grid, "root_id": tree["root"]["id"], "unit_id": unit, "person_id": person,
            "assignment_id": assignment, "place_id": place, "event_id": event}


@pytest.fixture
def world(client, factory):
    a, b = factory.tenant("tenant-a"), factory.tenant("tenant-b")
    _, b_token = factory.user("b-admin", b, "tenant_admin")
    b_ids = populate(TenantClient(client, b_token, b.slug), "B")
    b_ids["user_id"] = factory.user("b-member", b, "field_staff")[0]
    _, a_token = factory.user("a-admin", a, "tenant_admin")
    a_api = TenantClient(client, a_token, a.slug)
    return {"a": a_api, "a_tenant": a, "a_ids": populate(a_api, "A"), "b": b, "b_ids": b_ids, "b_token": b_token}


def snapshot(app) -> dict:
    """Every row of every table (token use times aside), as text."""
    with app.app_context(), platform_scope():
        return {table.name: sorted(repr(tuple(row)) for row in db.session.execute(select(table)))
                for table in db.metadata.sorted_tables if table is not ApiToken.__table__}


def row_ids(app, model, tenant_id: int) -> set:
    with app.app_context(), platform_scope():
        return set(db.session.scalars(select(model.id).where(model.tenant_id == tenant_id)))


def tenant_rules(app) -> list:
    return sorted((rule.rule, method) for rule in app.url_map.iter_rules() if rule.rule.startswith(PREFIX)
                  for method in sorted(rule.methods & WALKED_METHODS))


def fill(rule: str, slug: str, ids: dict) -> str:
    """The URL of ``rule`` for ``slug``, its object ids taken from ``ids`` by argument name."""
    url = rule.replace("<slug>", slug).replace("<plugin>", "core")
    for arg in ID_ARGS:
        url = url.replace(f"<int:{arg}>", str(ids[arg]))
    assert "<" not in url, f"the walk cannot fill {rule}: teach fill() its argument"
    return url


def write_bodies(a: dict, b: dict) -> dict:
    """Per write route: a body that would succeed in A but names B's objects, and the field the
    refusal must name (None: the route refuses before reading a body)."""
    return {
        ("grids", "POST"): ({"code": "N1", "name": "新", "parent_id": b["grid_id"]}, "parent_id"),
        ("grids/<int:grid_id>", "PATCH"): ({"parent_id": b["grid_id"]}, "parent_id"),
        ("units", "POST"): ({"code": "N2", "name": "新", "grid_id": b["grid_id"]}, "grid_id"),
        ("units/<int:unit_id>", "PATCH"): ({"parent_id": b["unit_id"]}, "parent_id"),
        ("people", "POST"): ({"code": "N3", "name": "新", "user_id": b["user_id"]}, "user_id"),
        ("people/<int:person_id>", "PATCH"): ({"user_id": b["user_id"]}, "user_id"),
        ("assignments", "POST"): ({"person_id": b["person_id"], "role": "core.grid_worker", "grid_id": a["grid_id"],
                                   "starts_on": "2026-02-01"}, "person_id"),
        ("assignments/<int:assignment_id>", "PATCH"): ({"grid_id": b["grid_id"]}, "grid_id"),
        ("places", "POST"): ({"grid_id": b["grid_id"], "kind": "core.generic", "code": "N4", "name": "新"}, "grid_id"),
        ("places/<int:place_id>", "PATCH"): ({"grid_id": b["grid_id"]}, "grid_id"),
        ("events", "POST"): (note(a["grid_id"], actor_person_id=b["person_id"]), "actor_person_id"),
        ("events/batch", "POST"): ({"events": [note(a["grid_id"]), note(a["grid_id"], place_id=b["place_id"])]},
                                   "events.1.place_id"),
        ("events/<int:event_id>/void", "POST"): ({"reason": "越权"}, None),
        ("settings/<plugin>", "PUT"): ({}, None),
    }


def named(response, field: str) -> bool:
    node = response.get_json()["errors"]["json"]
    for part in field.split("."):
        node = node[part]
    return bool(node)


def test_every_tenant_route_is_closed_to_a_member_of_another_tenant(app, world):
    api, a, b = world["a"], world["a_ids"], world["b_ids"]
    a_id, b_id = world["a_tenant"].id, world["b"].id
    bodies = write_bodies(a, b)
    rules = tenant_rules(app)
    shorts = {rule[len(PREFIX):] for rule, _ in rules}
    assert {"grids", "events", "events/batch", "grids/<int:grid_id>/subtree"} <= shorts
    assert {short for short, _ in bodies} <= shorts, "write_bodies() names a route that is gone"
    before = snapshot(app)

    for rule, method in rules:
        short = rule[len(PREFIX):]
        if method in {"POST", "PUT", "PATCH"}:
            assert (short, method) in bodies, f"{method} {rule} is not covered: give it a body in write_bodies()"
        body, field = bodies.get((short, method), (None, None))
        platform_only = rule in PLATFORM_ONLY
        context = (method, rule)

        # 1. B's slug: as if B did not exist
        response = api(method, fill(rule, world["b"].slug, b), body)
        assert response.status_code == (403 if platform_only else 404), context
        if method != "HEAD":
            assert response.get_json()["message"] == ("platform administrators only" if platform_only
                                                      else "tenant not found"), context

        # 2. A's slug, B's ids
        response = api(method, fill(rule, api.slug, b), body)
        text = response.get_data(as_text=True)
        if platform_only:
            assert response.status_code == 403, context
        elif "<int:" in rule:
            assert response.status_code == 404, (context, text)
            assert method == "HEAD" or response.get_json()["message"] in {f"{w} not found" for w in
                                                                          ("grid", "unit", "person", "assignment", "place", "event")}
        elif method == "HEAD":
            assert response.status_code == 200, context
        elif method == "GET":
            assert response.status_code == 200, (context, text)
            check_list(app, api, short, response.get_json(), a_id, b_id, b)
        else:
            assert response.status_code == 422 and named(response, field), (context, text)
        assert "B 记录" not in text and "B 人" not in text and "B 单位" not in text, context

        # 3. A's own object changed to name B's objects
        if method == "PATCH":
            response = api(method, fill(rule, api.slug, a), body)
            assert response.status_code == 422 and named(response, field), (context, response.get_data(as_text=True))

    assert snapshot(app) == before


def check_list(app, api: TenantClient, short: str, listed, a_id: int, b_id: int, b: dict) -> None:
    """A list holds A's rows only and counts A's rows only — unfiltered, and filtered by B's ids."""
    if short in CATALOGUES:
        assert listed, short
        return
    model = LISTS[short]  # a new list route must be added to LISTS
    ids = {item["id"] for item in listed["items"]}
    assert ids == row_ids(app, model, a_id) and not ids & row_ids(app, model, b_id), short
    if "total" in listed:
        assert listed["total"] == len(ids), short
    for param, key in LIST_FILTERS[short]:
        filtered = api.ok("GET", short, query={param: b[key]})
        assert filtered["items"] == [] and filtered.get("total", 0) == 0, (short, param)
    for param, key in REFUSED_FILTERS.get(short, []):
        response = api.get(short, query={param: b[key]})
        assert response.status_code == 400 and param in response.get_json()["errors"]["query"], (short, param)


def test_b_still_sees_its_own_rows(client, world):
    """The walk proved nothing leaks; this proves B's rows were there to leak."""
    b_api, b = TenantClient(client, world["b_token"], world["b"].slug), world["b_ids"]
    assert b_api.ok("GET", f"grids/{b['grid_id']}")["code"] == "R-01-001"
    assert b_api.ok("GET", f"events/{b['event_id']}")["payload"]["text"] == "B 记录"
    assert b_api.ok("GET", "people")["total"] == 1 and b_api.ok("GET", "events")["items"]
