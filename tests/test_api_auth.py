"""Who may call what: bearer tokens, roles in a tenant, platform routes."""
import pytest
from sqlalchemy import select

from gridgov.extensions import db
from gridgov.models import ApiToken, Event, Grid, User

from api_support import TenantClient, assert_error, count, make_tree, note


@pytest.fixture
def tree(api_admin):
    return make_tree(api_admin)


def as_role(client, factory, tenant, role, name=None) -> TenantClient:
    _, token = factory.user(name or f"{role}-user", tenant, role)
    return TenantClient(client, token, tenant.slug)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic dXNlcjpwYXNz"},
                                     {"Authorization": "Bearer ggv_not-a-token"}])
def test_missing_or_unknown_token_is_401(client, api_tenant, headers):
    for path in ("/api/v1/me", "/api/v1/tenants", f"/api/v1/tenants/{api_tenant.slug}/grids"):
        response = client.get(path, headers=headers)
        assert_error(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_error(client.post(f"/api/v1/tenants/{api_tenant.slug}/grids", json={"code": "X", "name": "n"}, headers=headers), 401)


def test_revoked_token_and_disabled_user_are_401(app, api_admin):
    assert api_admin.get("grids").status_code == 200
    with app.app_context():
        token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(api_admin.token)))
        token.revoked = True
        db.session.commit()
    assert_error(api_admin.get("grids"), 401)
    with app.app_context():
        token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(api_admin.token)))
        token.revoked = False
        db.session.get(User, token.user_id).active = False
        db.session.commit()
    assert_error(api_admin.get("grids"), 401)


def test_last_used_at_is_recorded(app, api_admin):
    api_admin.ok("GET", "grids")
    with app.app_context():
        token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(api_admin.token)))
        assert token.last_used_at is not None


def test_viewer_reads_but_cannot_write(app, client, factory, api_tenant, tree):
    viewer = as_role(client, factory, api_tenant, "viewer")
    assert viewer.ok("GET", "grids")["total"] == 4
    assert viewer.ok("GET", "events")["items"] == []
    assert_error(viewer.post("grids", {"code": "V", "name": "n"}), 403)
    assert_error(viewer.patch(f"grids/{tree['g1']['id']}", {"name": "n"}), 403)
    assert_error(viewer.delete(f"grids/{tree['c2']['id']}"), 403)
    assert_error(viewer.post("events", note(tree["g1"]["id"])), 403)
    assert_error(viewer.post("events/batch", {"events": [note(tree["g1"]["id"])]}), 403)
    with app.app_context():
        assert count(Event) == 0 and count(Grid, api_tenant.id) == 4


@pytest.mark.parametrize("role", ["field_staff", "supervisor", "assessor"])
def test_event_writers_record_and_void_but_do_not_edit_registers(client, factory, api_tenant, tree, role):
    staff = as_role(client, factory, api_tenant, role)
    event = staff.ok("POST", "events", note(tree["g1"]["id"]))
    staff.ok("POST", "events/batch", {"events": [note(tree["g1"]["id"])]})
    staff.ok("POST", f"events/{event['id']}/void", {"reason": "重复"})
    for path, body in [("grids", {"code": "S", "name": "n"}), ("people", {"code": "S", "name": "n"}),
                       ("units", {"code": "S", "name": "n"})]:
        assert_error(staff.post(path, body), 403)
    assert_error(staff.delete(f"grids/{tree['c2']['id']}"), 403)


def test_non_members_get_404_not_403(client, factory, api_tenant):
    outsider = TenantClient(client, factory.user("outsider")[1], api_tenant.slug)
    for method, path in [("GET", "grids"), ("POST", "grids"), ("GET", "events"), ("GET", "event-types")]:
        body = assert_error(outsider(method, path, {} if method == "POST" else None), 404)
        assert body["message"] == "tenant not found"
    assert_error(TenantClient(client, outsider.token, "no-such-tenant").get("grids"), 404)


def test_platform_routes_are_for_platform_admins(client, factory, api_tenant, api_admin):
    for method, path in [("GET", "/tenants"), ("POST", "/tenants"), ("GET", f"/tenants/{api_tenant.slug}"),
                         ("PATCH", f"/tenants/{api_tenant.slug}"), ("GET", f"/tenants/{api_tenant.slug}/settings/core"),
                         ("PUT", f"/tenants/{api_tenant.slug}/settings/core")]:
        assert_error(api_admin(method, path, {} if method != "GET" else None), 403)


def test_a_platform_admin_acts_as_tenant_admin_everywhere(client, factory, api_tenant):
    _, token = factory.user("root", platform_admin=True)
    root = TenantClient(client, token, api_tenant.slug)
    grid = root.ok("POST", "grids", {"code": "PA", "name": "平台建"})
    assert root.ok("GET", f"grids/{grid['id']}")["code"] == "PA"


def test_csrf_does_not_apply_to_token_requests(app, api_admin):
    """CSRF protection is on for the app (the console); the API answers token requests."""
    assert app.config.get("WTF_CSRF_ENABLED", True)
    assert api_admin.post("grids", {"code": "C", "name": "n"}).status_code == 201
