"""Units, people, assignments and places through the API: create, read, list with filters,
change, delete, and the refusals their operations make (named fields, 4xx)."""
import pytest

from gridgov.models import AuditEntry, Person

from api_support import assert_error, count, make_tree, note


@pytest.fixture
def tree(api_admin):
    return make_tree(api_admin)


def test_units_crud_and_filters(api_admin, tree):
    street = api_admin.ok("POST", "units", {"code": "U1", "name": "综治办", "kind": "department"})
    office = api_admin.ok("POST", "units", {"code": "U2", "name": "一社区居委会", "kind": "community",
                                        "parent_id": street["id"], "grid_id": tree["c1"]["id"]})
    assert office["parent_id"] == street["id"] and office["grid_id"] == tree["c1"]["id"]
    assert api_admin.ok("GET", "units")["total"] == 2
    assert [u["code"] for u in api_admin.ok("GET", "units", query={"kind": "community"})["items"]] == ["U2"]
    assert [u["code"] for u in api_admin.ok("GET", "units", query={"grid_id": tree["c1"]["id"]})["items"]] == ["U2"]
    changed = api_admin.ok("PATCH", f"units/{office['id']}", {"name": "一社区", "grid_id": None})
    assert changed["name"] == "一社区" and changed["grid_id"] is None and changed["code"] == "U2"
    assert api_admin.ok("GET", f"units/{office['id']}")["name"] == "一社区"
    assert api_admin.delete(f"units/{office['id']}").status_code == 204
    assert_error(api_admin.get(f"units/{office['id']}"), 404)


def test_people_crud_and_a_login_link(app, api_admin, api_tenant, factory):
    member_id, _ = factory.user("wang", api_tenant, "field_staff")
    outsider_id, _ = factory.user("stranger")
    person = api_admin.ok("POST", "people", {"code": "P001", "name": "王芳", "phone": "13800000000", "user_id": member_id})
    assert person["user_id"] == member_id
    assert_error(api_admin.post("people", {"code": "P002", "name": "李", "user_id": outsider_id}), 422, "user_id")
    assert_error(api_admin.post("people", {"code": "P001", "name": "重复"}), 409, "code")
    assert api_admin.ok("GET", "people", query={"code": "P001"})["items"][0]["name"] == "王芳"
    assert api_admin.ok("PATCH", f"people/{person['id']}", {"phone": ""})["phone"] == ""
    assert api_admin.delete(f"people/{person['id']}").status_code == 204
    with app.app_context():
        assert count(Person, api_tenant.id) == 0
        assert count(AuditEntry) > 0


def test_a_person_with_history_is_not_deleted(api_admin, tree):
    person = api_admin.ok("POST", "people", {"code": "P1", "name": "张伟"})
    api_admin.ok("POST", "events", note(tree["g1"]["id"], actor_person_id=person["id"]))
    assert_error(api_admin.delete(f"people/{person['id']}"), 409, "_schema")
    assert api_admin.ok("GET", f"people/{person['id']}")["name"] == "张伟"


def test_assignments_crud_and_role_rules(api_admin, tree):
    person = api_admin.ok("POST", "people", {"code": "P1", "name": "张伟"})
    unit = api_admin.ok("POST", "units", {"code": "U1", "name": "综治办"})
    held = api_admin.ok("POST", "assignments", {"person_id": person["id"], "role": "core.grid_worker",
                                            "grid_id": tree["g1"]["id"], "starts_on": "2026-01-01"})
    assert held["ends_on"] is None and held["starts_on"] == "2026-01-01"
    api_admin.ok("POST", "assignments", {"person_id": person["id"], "role": "core.unit_staff", "unit_id": unit["id"],
                                     "starts_on": "2026-01-01", "ends_on": "2026-12-31", "sheet_override": "core.x"})
    assert api_admin.ok("GET", "assignments", query={"person_id": person["id"]})["total"] == 2
    assert [a["role"] for a in api_admin.ok("GET", "assignments", query={"grid_id": tree["g1"]["id"]})["items"]] == ["core.grid_worker"]
    ended = api_admin.ok("PATCH", f"assignments/{held['id']}", {"ends_on": "2026-06-30"})
    assert ended["ends_on"] == "2026-06-30"
    assert_error(api_admin.patch(f"assignments/{held['id']}", {"ends_on": "2025-01-01"}), 422, "ends_on")
    assert_error(api_admin.post("assignments", {"person_id": person["id"], "role": "nobody.knows",
                                            "grid_id": tree["g1"]["id"], "starts_on": "2026-01-01"}), 422, "role")
    assert_error(api_admin.post("assignments", {"person_id": person["id"], "role": "core.grid_worker",
                                            "grid_id": tree["g1"]["id"], "unit_id": unit["id"],
                                            "starts_on": "2026-01-01"}), 422, "grid_id")
    assert_error(api_admin.post("assignments", {"person_id": person["id"], "role": "core.grid_worker",
                                            "unit_id": unit["id"], "starts_on": "2026-01-01"}), 422, "grid_id")
    assert_error(api_admin.post("assignments", {"person_id": person["id"], "role": "core.grid_worker",
                                            "grid_id": tree["g1"]["id"], "starts_on": "1 May"}), 422, "starts_on")
    assert api_admin.delete(f"assignments/{held['id']}").status_code == 204
    assert api_admin.ok("GET", "assignments")["total"] == 1


def test_places_crud_with_kind_schema(api_admin, tree):
    place = api_admin.ok("POST", "places", {"grid_id": tree["g1"]["id"], "kind": "core.generic", "code": "S-001",
                                        "name": "好又多超市", "address": "茶山路1号", "attributes": {"note": "24小时"},
                                        "geometry": {"type": "Point", "coordinates": [113.86, 22.95]}})
    assert place["attributes"] == {"note": "24小时"} and place["geometry"]["type"] == "Point"
    assert_error(api_admin.post("places", {"grid_id": tree["g1"]["id"], "kind": "core.generic", "code": "S-002",
                                       "name": "x", "attributes": {"colour": "red"}}), 422, "attributes.colour")
    assert_error(api_admin.post("places", {"grid_id": tree["g1"]["id"], "kind": "core.nope", "code": "S-002",
                                       "name": "x"}), 422, "kind")
    assert_error(api_admin.post("places", {"grid_id": tree["g1"]["id"], "kind": "core.generic", "code": "S-002",
                                       "name": "x", "geometry": {"type": "Blob"}}), 422, "geometry")
    assert_error(api_admin.post("places", {"grid_id": tree["g1"]["id"], "kind": "core.generic", "code": "S-001",
                                       "name": "dup"}), 409, "code")
    moved = api_admin.ok("PATCH", f"places/{place['id']}", {"grid_id": tree["c2"]["id"]})
    assert moved["grid_id"] == tree["c2"]["id"]
    assert api_admin.ok("GET", "places", query={"grid_id": tree["c2"]["id"]})["total"] == 1
    assert api_admin.ok("GET", "places", query={"kind": "core.generic", "code": "S-001"})["items"][0]["id"] == place["id"]
    assert api_admin.delete(f"places/{place['id']}").status_code == 204
    assert api_admin.ok("GET", "places")["total"] == 0


@pytest.mark.parametrize("path", ["units", "people", "assignments", "places"])
def test_missing_required_fields_are_named(api_admin, path):
    response = api_admin.post(path, {})
    body = assert_error(response, 422)
    assert set(body["errors"]["json"]) >= {"units": {"code", "name"}, "people": {"code", "name"},
                                           "assignments": {"person_id", "role", "starts_on"},
                                           "places": {"grid_id", "kind", "code", "name"}}[path]


@pytest.mark.parametrize("path", ["units", "people", "assignments", "places"])
def test_unknown_ids_are_404(api_admin, path):
    for method in ("GET", "PATCH", "DELETE"):
        assert_error(api_admin(method, f"{path}/999999", {} if method == "PATCH" else None), 404)
