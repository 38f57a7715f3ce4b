"""The grid tree through the API: create, read, list with filters and pages, change, move,
delete, subtree, level names from the tenant's plugins."""
from gridgov.models import AuditEntry, Grid

from api_support import assert_error, count, make_tree, note


def test_create_and_read_a_grid_with_its_level_name(api_admin):
    tree = make_tree(api_admin)
    root, g1 = tree["root"], tree["g1"]
    assert root["level"] == 0 and root["parent_id"] is None
    assert root["level_name"] == {"zh": "区域", "en": "Area"}  # the core's default levels
    got = api_admin.ok("GET", f"grids/{g1['id']}")
    assert got["code"] == "R-01-001" and got["name"] == "第一网格"
    assert got["level"] == 2 and got["level_name"] == {"zh": "网格", "en": "Grid"}
    assert got["path"] == f"/{root['id']}/{tree['c1']['id']}/{g1['id']}/"


def test_attributes_and_geometry_round_trip(api_admin):
    polygon = {"type": "Polygon", "coordinates": [[[113.8, 22.9], [113.9, 22.9], [113.9, 23.0], [113.8, 22.9]]]}
    grid = api_admin.ok("POST", "grids", {"code": "G", "name": "网格", "attributes": {"households": 312}, "geometry": polygon})
    assert api_admin.ok("GET", f"grids/{grid['id']}")["geometry"] == polygon
    assert grid["attributes"] == {"households": 312}


def test_list_filters_and_pages(api_admin):
    tree = make_tree(api_admin)
    listed = api_admin.ok("GET", "grids")
    assert listed["total"] == 4 and [g["code"] for g in listed["items"]][0] == "R"
    children = api_admin.ok("GET", "grids", query={"parent_id": tree["root"]["id"]})
    assert sorted(g["code"] for g in children["items"]) == ["R-01", "R-02"]
    assert [g["code"] for g in api_admin.ok("GET", "grids", query={"level": 2})["items"]] == ["R-01-001"]
    assert api_admin.ok("GET", "grids", query={"code": "R-02"})["items"][0]["id"] == tree["c2"]["id"]
    page1 = api_admin.ok("GET", "grids", query={"page_size": 3})
    page2 = api_admin.ok("GET", "grids", query={"page_size": 3, "page": 2})
    assert len(page1["items"]) == 3 and len(page2["items"]) == 1 and page2["total"] == 4
    assert {g["id"] for g in page1["items"] + page2["items"]} == {g["id"] for g in tree.values()}


def test_subtree_is_the_grid_and_everything_below(api_admin):
    tree = make_tree(api_admin)
    sub = api_admin.ok("GET", f"grids/{tree['c1']['id']}/subtree")
    assert [g["code"] for g in sub["items"]] == ["R-01", "R-01-001"] and sub["total"] == 2
    assert api_admin.ok("GET", f"grids/{tree['root']['id']}/subtree")["total"] == 4


def test_patch_renames_and_moving_carries_the_subtree(app, api_admin):
    tree = make_tree(api_admin)
    renamed = api_admin.ok("PATCH", f"grids/{tree['g1']['id']}", {"name": "新网格", "attributes": {"area_km2": "0.4"}})
    assert renamed["name"] == "新网格" and renamed["code"] == "R-01-001"
    moved = api_admin.ok("PATCH", f"grids/{tree['c1']['id']}", {"parent_id": tree["c2"]["id"]})
    assert moved["parent_id"] == tree["c2"]["id"] and moved["level"] == 2
    assert moved["level_name"]["en"] == "Grid"
    child = api_admin.ok("GET", f"grids/{tree['g1']['id']}")
    assert child["level"] == 3 and child["level_name"] == {"zh": "子网格", "en": "Sub-grid"}
    assert child["path"] == f"/{tree['root']['id']}/{tree['c2']['id']}/{tree['c1']['id']}/{tree['g1']['id']}/"
    assert [g["code"] for g in api_admin.ok("GET", f"grids/{tree['c2']['id']}/subtree")["items"]] == ["R-02", "R-01", "R-01-001"]
    to_root = api_admin.ok("PATCH", f"grids/{tree['c1']['id']}", {"parent_id": None})
    assert to_root["level"] == 0 and api_admin.ok("GET", f"grids/{tree['g1']['id']}")["level"] == 1
    with app.app_context():
        assert count(AuditEntry) > 0


def test_a_grid_cannot_move_below_itself(api_admin):
    tree = make_tree(api_admin)
    assert_error(api_admin.patch(f"grids/{tree['root']['id']}", {"parent_id": tree["g1"]["id"]}), 422, "parent_id")
    assert api_admin.ok("GET", f"grids/{tree['root']['id']}")["parent_id"] is None


def test_duplicate_code_is_a_conflict(api_admin):
    make_tree(api_admin)
    assert_error(api_admin.post("grids", {"code": "R-01", "name": "又一个"}), 409, "code")
    other = api_admin.ok("POST", "grids", {"code": "X", "name": "另一个"})
    assert_error(api_admin.patch(f"grids/{other['id']}", {"code": "R-02"}), 409, "code")


def test_delete_a_leaf_but_not_a_grid_in_use(app, api_admin, api_tenant):
    tree = make_tree(api_admin)
    assert_error(api_admin.delete(f"grids/{tree['c1']['id']}"), 409, "grid")  # has a child
    api_admin.ok("POST", "events", note(tree["g1"]["id"]))
    assert_error(api_admin.delete(f"grids/{tree['g1']['id']}"), 409, "grid")  # has history
    assert api_admin.delete(f"grids/{tree['c2']['id']}").status_code == 204
    assert_error(api_admin.get(f"grids/{tree['c2']['id']}"), 404)
    with app.app_context():
        assert count(Grid, api_tenant.id) == 3
