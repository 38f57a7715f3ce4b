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
from gridgov.models import ApiToken, AssessmentRun, Assignment, Case, CaseReminder, Event, Grid, Person, Place, Unit
from gridgov.operations.cases import sweep_overdue
from gridgov.tenancy import platform_scope, tenant_scope

from api_cases_support import PNG, upload
from api_support import TenantClient, make_tree, note
from assessment_support import AssessPlugin

PREFIX = "/api/v1/tenants/<slug>/"
PLATFORM_ONLY = {"/api/v1/tenants/<slug>/settings/<plugin>"}
WALKED_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}
ID_ARGS = ("grid_id", "unit_id", "person_id", "assignment_id", "place_id", "event_id", "case_id", "reminder_id",
           "run_id")
LISTS = {"grids": Grid, "units": Unit, "people": Person, "assignments": Assignment, "places": Place, "events": Event,
         "cases": Case, "reminders": CaseReminder, "assessment/runs": AssessmentRun}
CATALOGUES = {"event-types", "roles", "place-kinds", "case-categories", "assessment/sheets", "reports"}  # what plugins declare: no tenant rows
ALL_TIME = {"from": "2000-01-01", "to": "2100-01-01"}
# query filters naming B's objects: (parameter, key of B's ids); the list must come back empty
LIST_FILTERS = {
    "grids": [("parent_id", "root_id")],
    "units": [("grid_id", "grid_id"), ("parent_id", "unit_id")],
    "people": [],
    "assignments": [("person_id", "person_id"), ("grid_id", "grid_id"), ("unit_id", "unit_id")],
    "places": [("grid_id", "grid_id")],
    "events": [("person_id", "person_id")],
    "cases": [("unit_id", "unit_id")],
    "reminders": [("unit_id", "unit_id")],
    "assessment/runs": [],
}
# filters that must name an existing object
REFUSED_FILTERS = {"events": [("grid_id", "grid_id")], "cases": [("grid_id", "grid_id")],
                   "case-metrics": [("grid_id", "grid_id"), ("unit_id", "unit_id")]}


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
    case = populate_cases(api, code, grid, unit, place)
    for owner in (f"cases/{case['id']}", f"events/{event}"):
        uploaded = upload(api, f"{owner}/attachments", PNG, f"{code}.png")
        assert uploaded.status_code == 201, uploaded.get_data(as_text=True)
    run = api.ok("POST", "assessment/runs", {"sheet": SHEET, "period_start": "2026-11-01", "subject_ids": [grid]})["id"]
    api.ok("POST", "assessment/judgements", judgement(grid))
    return {"grid_id": grid, "root_id": tree["root"]["id"], "unit_id": unit, "person_id": person,
            "assignment_id": assignment, "place_id": place, "event_id": event, "case_id": case["id"],
            "case_number": case["number"], "run_id": run}


# assessment: a draft run and a judged input in each tenant (the sheet of tests/assessment_support.py)
SHEET = "assesstest.grid_month"


def judgement(grid: int) -> dict:
    return {"sheet": SHEET, "period_start": "2026-11-01", "item": "leadership", "subject_id": grid, "points": "50",
            "reason": "评定"}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "GRIDGOV_EXTRA_PLUGINS": [("assesstest", AssessPlugin())]}


def populate_cases(api: TenantClient, code: str, grid: int, unit: int, place: int) -> dict:
    """A case reported in January, accepted and dispatched to the unit (long overdue by now); B
    reports one more first, so B's case number is one A does not have."""
    january = "2026-01-05T09:{:02d}:00+08:00"
    if code == "B":
        api.ok("POST", "cases", {"category": "core.general", "grid_id": grid, "description": "B 先报的",
                                 "reported_at": january.format(0)})
    case = api.ok("POST", "cases", {"category": "core.general", "grid_id": grid, "place_id": place,
                                    "description": f"{code} 记录", "reported_at": january.format(1)})
    api.ok("POST", f"cases/{case['id']}/accept", {"at": january.format(2)}, status=200)
    api.ok("POST", f"cases/{case['id']}/dispatch", {"unit_id": unit, "at": january.format(3)}, status=200)
    return case


def sweep(app, tenant) -> int:
    """Run the overdue sweep in the tenant; the id of a reminder it made."""
    with app.app_context(), tenant_scope(tenant.id):
        assert sweep_overdue().reminders
        db.session.commit()
    return min(row_ids(app, CaseReminder, tenant.id))


@pytest.fixture
def world(app, client, factory):
    a, b = factory.tenant("tenant-a", plugins=["assesstest"]), factory.tenant("tenant-b", plugins=["assesstest"])
    _, b_token = factory.user("b-admin", b, "tenant_admin")
    b_ids = populate(TenantClient(client, b_token, b.slug), "B")
    b_ids["user_id"] = factory.user("b-member", b, "field_staff")[0]
    b_ids["reminder_id"] = sweep(app, b)
    _, a_token = factory.user("a-admin", a, "tenant_admin")
    a_api = TenantClient(client, a_token, a.slug)
    a_ids = populate(a_api, "A")
    a_ids["reminder_id"] = sweep(app, a)
    return {"a": a_api, "a_tenant": a, "a_ids": a_ids, "b": b, "b_ids": b_ids, "b_token": b_token}


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
    url = rule.replace("<slug>", slug).replace("<plugin>", "core").replace("<number>", ids["case_number"])
    url = url.replace("<key>", f"core.ranking?run_id={ids['run_id']}")  # a report over the tenant's run
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
        ("cases", "POST"): ({"category": "core.general", "grid_id": b["grid_id"], "description": "越权"}, "grid_id"),
        **{(f"cases/<int:case_id>/{step}", "POST"): ({}, None)
           for step in ("accept", "start", "resume", "resolve", "verify", "close")},
        **{(f"cases/<int:case_id>/{step}", "POST"): ({"reason": "越权"}, None) for step in ("reject", "wait", "reopen")},
        ("cases/<int:case_id>/dispatch", "POST"): ({"unit_id": b["unit_id"]}, "unit_id"),
        ("cases/<int:case_id>/escalate", "POST"): ({"unit_id": b["unit_id"]}, None),
        ("cases/<int:case_id>/hand-off", "POST"): ({"to_unit_id": b["unit_id"], "reason": "越权"}, "to_unit_id"),
        ("cases/<int:case_id>/attachments", "POST"): ({}, None),
        ("events/<int:event_id>/attachments", "POST"): ({}, None),
        ("reminders/<int:reminder_id>/acknowledge", "POST"): ({}, None),
        ("assessment/runs", "POST"): ({"sheet": SHEET, "period_start": "2026-11-01", "subject_ids": [b["grid_id"]]},
                                      "subject_ids"),
        ("assessment/judgements", "POST"): (judgement(b["grid_id"]), "subject_id"),
        **{(f"assessment/runs/<int:run_id>/{step}", "POST"): ({}, None) for step in ("compute", "publish", "correct")},
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
    assert {"grids", "events", "events/batch", "grids/<int:grid_id>/subtree", "cases", "cases/by-number/<number>",
            "cases/<int:case_id>/hand-off", "cases/<int:case_id>/attachments", "case-metrics", "reminders"} <= shorts
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
        elif "<" in short:
            assert response.status_code == 404, (context, text)
            assert method == "HEAD" or response.get_json()["message"] in {f"{w} not found" for w in (
                "grid", "unit", "person", "assignment", "place", "event", "case", "reminder", "assessment run")}
        elif method == "HEAD":
            assert response.status_code == 200, context
        elif method == "GET":
            assert response.status_code == 200, (context, text)
            check_list(app, api, short, response.get_json(), a_id, b_id, b)
        else:
            assert response.status_code == 422 and named(response, field), (context, text)
        assert "B 记录" not in text and "B 人" not in text and "B 单位" not in text, context

        # 3. A's own object changed (or moved on a step) to name B's objects
        if method == "PATCH" or (method == "POST" and field and "<" in short):
            response = api(method, fill(rule, api.slug, a), body)
            assert response.status_code == 422 and named(response, field), (context, response.get_data(as_text=True))

    assert snapshot(app) == before


def check_list(app, api: TenantClient, short: str, listed, a_id: int, b_id: int, b: dict) -> None:
    """A list holds A's rows only and counts A's rows only — unfiltered, and filtered by B's ids."""
    if short in CATALOGUES:
        assert listed, short
        return
    if short == "case-metrics":  # an aggregate: it counts A's cases only
        whole = api.ok("GET", short, query=ALL_TIME)["counts"]
        assert whole["reported"] == len(row_ids(app, Case, a_id)), short
    else:
        model = LISTS[short]  # a new list route must be added to LISTS
        ids = {item["id"] for item in listed["items"]}
        assert ids == row_ids(app, model, a_id) and not ids & row_ids(app, model, b_id), short
        if "total" in listed:
            assert listed["total"] == len(ids), short
        for param, key in LIST_FILTERS[short]:
            filtered = api.ok("GET", short, query={param: b[key]})
            assert filtered["items"] == [] and filtered.get("total", 0) == 0, (short, param)
    for param, key in REFUSED_FILTERS.get(short, []):
        response = api.get(short, query={param: b[key], **(ALL_TIME if short == "case-metrics" else {})})
        assert response.status_code == 400 and param in response.get_json()["errors"]["query"], (short, param)


def test_b_still_sees_its_own_rows(client, world):
    """The walk proved nothing leaks; this proves B's rows were there to leak."""
    b_api, b = TenantClient(client, world["b_token"], world["b"].slug), world["b_ids"]
    assert b_api.ok("GET", f"grids/{b['grid_id']}")["code"] == "R-01-001"
    assert b_api.ok("GET", f"events/{b['event_id']}")["payload"]["text"] == "B 记录"
    assert b_api.ok("GET", "people")["total"] == 1 and b_api.ok("GET", "events")["items"]
