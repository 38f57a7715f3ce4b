"""Bad input through the API: every refusal is JSON with a 4xx status, names the field and the
reason, and writes nothing. The suite runs with exceptions propagating (TESTING), so an input
that reached the last-resort 500 handler would fail these tests instead of passing quietly."""
import pytest
from sqlalchemy import select

from gridgov.extensions import db
from gridgov.models import AuditEntry, Event, Grid, Person, Place, Unit
from gridgov.tenancy import platform_scope

from api_support import TenantClient, assert_error, make_tree, note

BIG = 2**70


@pytest.fixture
def world(app, client, factory, api_admin):
    """alpha's tree and a person, and a grid of another tenant."""
    tree = make_tree(api_admin)
    person = api_admin.ok("POST", "people", {"code": "P1", "name": "王芳"})
    beta = factory.tenant("beta")
    _, token = factory.user("beta-admin", beta, "tenant_admin")
    foreign = TenantClient(client, token, beta.slug).ok("POST", "grids", {"code": "B", "name": "乙"})
    api_admin.ok("POST", "events", note(tree["g1"]["id"], "第一次", idempotency_key="used-key"))
    return {"g": tree["g1"]["id"], "person": person["id"], "foreign_grid": foreign["id"]}


def snapshot(app):
    with app.app_context(), platform_scope():
        return {m.__name__: db.session.scalar(select(db.func.count()).select_from(m))
                for m in (AuditEntry, Event, Grid, Person, Place, Unit)}


def _cases(w):
    g, foreign = w["g"], w["foreign_grid"]
    event = note(g)
    return [
        # (method, path, body or raw text, status, field, location)
        ("POST", "grids", "{not json", 400, "_schema", "json"),
        ("POST", "grids", '{"code": "X", "name": NaN}', 400, "_schema", "json"),
        ("POST", "grids", '{"code": "X", "name": "n", "attributes": {"n": 1e999}}', 400, "_schema", "json"),
        ("POST", "grids", {"code": "X", "name": "bad\u0000name"}, 400, "name", "json"),
        ("POST", "grids", {"code": "X", "name": "n", "attributes": {"k": "\ud800"}}, 400, "attributes.k", "json"),
        ("POST", "grids", [1, 2], 422, "_schema", "json"),
        ("POST", "grids", {"code": 12, "name": "n"}, 422, "code", "json"),
        ("POST", "grids", {"code": "X", "name": "n", "parent_id": "5"}, 422, "parent_id", "json"),
        ("POST", "grids", {"code": "X", "name": "n", "parent_id": True}, 422, "parent_id", "json"),
        ("POST", "grids", {"code": "X", "name": "n", "parent_id": BIG}, 422, "parent_id", "json"),
        ("POST", "grids", {"code": "X", "name": "n", "colour": "red"}, 422, "colour", "json"),
        ("POST", "grids", {"code": "X" * 65, "name": "n"}, 422, "code", "json"),
        ("POST", "grids", {"code": "X", "name": "n", "parent_id": foreign}, 422, "parent_id", "json"),
        ("POST", "grids", {"code": "X", "name": "n", "attributes": [1]}, 422, "attributes", "json"),
        ("PATCH", f"grids/{g}", {"name": None}, 422, "name", "json"),
        ("PATCH", f"grids/{g}", {"parent_id": foreign}, 422, "parent_id", "json"),
        ("POST", "units", {"code": "U", "name": "n", "grid_id": foreign}, 422, "grid_id", "json"),
        ("POST", "people", {"code": "P9", "name": "n" * 101}, 422, "name", "json"),
        ("POST", "assignments", {"person_id": w["person"], "role": "core.grid_worker", "grid_id": foreign,
                                 "starts_on": "2026-01-01"}, 422, "grid_id", "json"),
        ("POST", "places", {"grid_id": foreign, "kind": "core.generic", "code": "S", "name": "n"}, 422, "grid_id", "json"),
        ("POST", "events", "[", 400, "_schema", "json"),
        ("POST", "events", "", 400, "_schema", "json"),
        ("POST", "events", ["x"], 422, "_schema", "json"),
        ("POST", "events", {**event, "type": "core.nonsense"}, 422, "type", "json"),
        ("POST", "events", {**event, "type": None}, 422, "type", "json"),
        ("POST", "events", {**event, "grid_id": foreign}, 422, "grid_id", "json"),
        ("POST", "events", {**event, "grid_id": "12"}, 422, "grid_id", "json"),
        ("POST", "events", {**event, "grid_id": BIG}, 422, "grid_id", "json"),
        ("POST", "events", {**event, "actor_person_id": 999999}, 422, "actor_person_id", "json"),
        ("POST", "events", {**event, "occurred_at": "2026-05-01T08:00:00"}, 422, "occurred_at", "json"),
        ("POST", "events", {**event, "occurred_at": "yesterday"}, 422, "occurred_at", "json"),
        ("POST", "events", {**event, "occurred_at": 1746000000}, 422, "occurred_at", "json"),
        ("POST", "events", {**event, "weather": "sunny"}, 422, "weather", "json"),
        ("POST", "events", {**event, "payload": {"text": "x", "mood": 1}}, 422, "payload.mood", "json"),
        ("POST", "events", {**event, "payload": "text"}, 422, "payload", "json"),
        ("POST", "events", {**event, "idempotency_key": "k" * 129}, 422, "idempotency_key", "json"),
        ("POST", "events", {**event, "voids_id": 1}, 422, "voids_id", "json"),
        ("POST", "events", note(g, "第二次", idempotency_key="used-key"), 409, "idempotency_key", "json"),
        ("POST", "events/batch", {"events": [note(g, "第二次", idempotency_key="used-key")]}, 409,
         "events.0.idempotency_key", "json"),
        ("POST", "events/batch", {"events": [note(g, "a", idempotency_key="k2"), note(g, "b", idempotency_key="k2")]},
         409, "events.1.idempotency_key", "json"),
        ("POST", "events/batch", [event], 422, "_schema", "json"),
        ("POST", "events/batch", {"items": [event]}, 422, "items", "json"),
        ("POST", "events/batch", {}, 422, "events", "json"),
        ("POST", "events/batch", {"events": []}, 422, "events", "json"),
        ("POST", "events/batch", {"events": {"0": event}}, 422, "events", "json"),
        ("POST", "events/batch", {"events": [event, {**event, "occurred_at": "2026-05-01"}]}, 422, "events.1.occurred_at", "json"),
        ("POST", "events/batch", {"events": [event] * 1001}, 413, "events", "json"),
        ("GET", "events", {"from": "2026-05-01T08:00:00"}, 400, "from", "query"),
        ("GET", "events", {"to": "tomorrow"}, 400, "to", "query"),
        ("GET", "events", {"limit": "0"}, 400, "limit", "query"),
        ("GET", "events", {"limit": "many"}, 400, "limit", "query"),
        ("GET", "events", {"grid_id": foreign}, 400, "grid_id", "query"),
        ("GET", "events", {"person_id": str(BIG)}, 400, "person_id", "query"),
        ("GET", "events", {"include_superseded": "perhaps"}, 400, "include_superseded", "query"),
        ("GET", "events", {"type": "core.note\u0000"}, 400, "type", "query"),
        ("GET", "grids", {"page": "-1"}, 400, "page", "query"),
        ("GET", "grids", {"page_size": "100000"}, 400, "page_size", "query"),
        ("GET", "grids", {"parent_id": "abc"}, 400, "parent_id", "query"),
    ]


def test_bad_input_table(app, api_admin, world):
    before = snapshot(app)
    for method, path, body, status, field, location in _cases(world):
        if method == "GET":
            response = api_admin.get(path, query=body)
        elif isinstance(body, str):
            response = api_admin(method, path, data=body)
        else:
            response = api_admin(method, path, body)
        assert response.status_code < 500, (method, path, body)
        assert_error(response, status, field, location)
    assert snapshot(app) == before


def test_a_batch_with_one_bad_item_among_a_thousand_writes_nothing(app, api_admin, world):
    items = [note(world["g"], f"n{i}") for i in range(1000)]
    items[999] = {**items[999], "grid_id": world["foreign_grid"]}
    before = snapshot(app)
    assert_error(api_admin.post("events/batch", {"events": items}), 422, "events.999.grid_id")
    assert snapshot(app) == before
    assert api_admin.ok("POST", "events/batch", {"events": items[:999]})["created"] == 999


def test_an_oversized_body_is_413(app, api_admin, world):
    app.config["MAX_CONTENT_LENGTH"] = 2000
    response = api_admin.post("events/batch", {"events": [note(world["g"], "x" * 100) for _ in range(30)]})
    assert_error(response, 413)


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v1/tenants/alpha/grids/1/elsewhere"])
def test_unknown_paths_are_json_404_even_for_posts(client, api_admin, path):
    for method in ("GET", "POST", "DELETE"):
        assert_error(client.open(path, method=method, headers={"Authorization": f"Bearer {api_admin.token}"}), 404)


def test_wrong_method_is_json_405(api_admin, world):
    response = api_admin.put("grids", {})
    assert_error(response, 405)
    assert "POST" in response.headers["Allow"]
    assert_error(api_admin.post("events/1", {}), 405)


def test_not_found_names_no_field_but_says_what(api_admin):
    body = assert_error(api_admin.get("grids/424242"), 404)
    assert body["message"] == "grid not found"
    assert_error(api_admin.get("events/424242"), 404)


def test_the_last_resort_answers_json_500(app, client):
    """A route that fails on purpose, registered on this test's app only."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/api/v1/test-failure")
    def failing():
        raise RuntimeError("boom")

    response = client.get("/api/v1/test-failure")
    body = assert_error(response, 500)
    assert "boom" not in response.get_data(as_text=True) and body["message"]

