"""The console's views: writes go through the operations, errors land on the form, roles
decide who writes, the tenant switcher, events and voids, and the platform views."""
from __future__ import annotations

import datetime as dt
import decimal

import pytest
from console_support import Console, populate
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from gridgov import hookimpl
from gridgov.extensions import db
from gridgov.models import AuditEntry, Event, Grid, Membership, Place, Tenant, User
from gridgov.plugins import PluginInfo
from gridgov.tenancy import platform_scope, tenant_scope


class PatrolSettings(Schema):
    patrols_per_week = fields.Integer(load_default=3, validate=validate.Range(min=1, max=14),
                                      metadata={"title_zh": "每周巡查次数", "title_en": "Patrols per week"})
    fine_yuan = fields.Decimal(load_default=decimal.Decimal("50"), as_string=True,
                               metadata={"title_zh": "罚款金额（元）", "title_en": "Fine (yuan)"})
    grade = fields.String(load_default="合格", validate=validate.OneOf(["优秀", "合格", "不合格"]))
    strict = fields.Boolean(load_default=False)
    exempt_codes = fields.List(fields.String(), load_default=list)


class PatrolPlugin:
    """A throwaway plugin with settings, registered for these tests only."""

    @hookimpl
    def gridgov_plugin_info(self):
        return PluginInfo(title_zh="巡查考核", title_en="Patrol scheme", version="1.0")

    @hookimpl
    def gridgov_settings_schema(self):
        return PatrolSettings


@pytest.fixture
def app_config(app_config):
    return {**app_config, "GRIDGOV_EXTRA_PLUGINS": [("patrol", PatrolPlugin())]}


@pytest.fixture
def alpha(factory):
    tenant = factory.tenant("alpha", name="Alpha district", plugins=["patrol"])
    factory.user("alice", tenant=tenant)
    return tenant


@pytest.fixture
def console(client, alpha):
    console = Console(client)
    assert console.login("alice").status_code == 302
    return console


def count(app, tenant, model, *where):
    with app.app_context(), tenant_scope(tenant.id):
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def text(response) -> str:
    return response.get_data(as_text=True)


def test_grid_create_edit_move_through_the_operations(app, console, alpha):
    response = console.post("/admin/grids/new/", data={"code": "A", "name": "甲街道", "parent_id": ""})
    assert response.status_code == 302
    with app.app_context(), tenant_scope(alpha.id):
        root = db.session.scalar(select(Grid).where(Grid.code == "A"))
        assert root.path == f"/{root.id}/"
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.object_type == "Grid")) == "create"
    console.post("/admin/grids/new/", data={"code": "B", "name": "乙街道"})
    console.post("/admin/grids/new/", data={"code": "A-1", "name": "一社区", "parent_id": root.id})
    listing = text(console.get("/admin/grids/"))
    assert listing.index("甲街道") < listing.index("一社区") < listing.index("乙街道")  # tree order
    assert "片区" in listing  # level name of depth 1 from the core plugin
    with app.app_context(), tenant_scope(alpha.id):
        child = db.session.scalar(select(Grid).where(Grid.code == "A-1"))
        other = db.session.scalar(select(Grid).where(Grid.code == "B"))
    response = console.post("/admin/grids/edit/", query_string={"id": child.id},
                            data={"code": "A-1", "name": "一社区", "parent_id": other.id})
    assert response.status_code == 302
    with app.app_context(), tenant_scope(alpha.id):
        assert db.session.get(Grid, child.id).path == f"/{other.id}/{child.id}/"


def test_operation_errors_are_shown_on_the_form(app, console, alpha):
    console.post("/admin/grids/new/", data={"code": "A", "name": "甲"})
    response = console.post("/admin/grids/new/", data={"code": "A", "name": "again"})
    assert response.status_code == 200
    assert "grid code &#39;A&#39; is taken in this tenant" in text(response)
    assert count(app, alpha, Grid) == 1
    response = console.post("/admin/grids/new/", data={"code": "C", "name": "x", "geometry": '{"type": "Blob"}'})
    assert "a GeoJSON geometry object" in text(response)
    response = console.post("/admin/grids/new/", data={"code": "C", "name": "x", "attributes": "{not json"})
    assert "不是有效的 JSON" in text(response)
    assert count(app, alpha, Grid) == 1


def test_delete_refused_by_the_operations_keeps_the_row(app, console, alpha):
    ids = populate(app, alpha, "alpha")
    root = ids[Grid][0]
    response = console.post("/admin/grids/delete/", data={"id": root, "url": "/admin/grids/"}, follow_redirects=True)
    assert "still has children" in text(response)
    assert count(app, alpha, Grid, Grid.id == root) == 1


def test_place_attributes_are_validated_by_the_kind_schema(app, console, alpha):
    ids = populate(app, alpha, "alpha")
    data = {"grid_id": ids[Grid][1], "kind": "core.generic", "code": "S2", "name": "Tea shop", "attributes": '{"colour": "red"}'}
    response = console.post("/admin/places/new/", data=data)
    assert "Unknown field." in text(response)
    assert count(app, alpha, Place) == 1
    response = console.post("/admin/places/new/", data={**data, "attributes": '{"note": "corner"}'})
    assert response.status_code == 302 and count(app, alpha, Place) == 2


def test_assignment_roles_come_from_the_tenants_plugins(app, console, alpha):
    ids = populate(app, alpha, "alpha")
    form = text(console.get("/admin/assignments/new/"))
    assert "网格员 (core.grid_worker)" in form
    response = console.post("/admin/assignments/new/", data={
        "person_id": ids[next(k for k in ids if k.__name__ == "Person")][0], "role": "core.unit_staff",
        "grid_id": ids[Grid][1], "unit_id": "", "starts_on": "2026-02-01"})
    assert "role core.unit_staff is held in a unit" in text(response)


def test_record_an_event_in_the_tenants_time_zone_and_void_it(app, console, alpha):
    ids = populate(app, alpha, "alpha")
    form = text(console.get("/admin/events/new/"))
    assert "现场记录 (core.note)" in form and "core.void" not in form
    data = {"type": "core.note", "occurred_at": "2026-03-05T08:30", "grid_id": ids[Grid][1], "payload": '{"tags": ["x"]}'}
    response = console.post("/admin/events/new/", data=data)
    assert "payload" in text(response) and "Missing data for required field." in text(response)
    response = console.post("/admin/events/new/", data={**data, "payload": '{"text": "路灯损坏"}'})
    assert response.status_code == 302
    with app.app_context(), tenant_scope(alpha.id):
        event = db.session.scalar(select(Event).where(Event.payload["text"].as_string() == "路灯损坏"))
        assert event.occurred_at == dt.datetime(2026, 3, 5, 0, 30, tzinfo=dt.timezone.utc)
    listing = text(console.get("/admin/events/"))
    assert "2026-03-05 08:30:00 +0800" in listing
    void_page = console.get("/admin/events/void/", query_string={"id": event.id})
    assert void_page.status_code == 200 and "作废事件" in text(void_page)
    response = console.post("/admin/events/void/", query_string={"id": event.id}, data={"reason": "录入错误"})
    assert response.status_code == 302
    with app.app_context(), tenant_scope(alpha.id):
        void = db.session.scalar(select(Event).where(Event.voids_id == event.id))
        assert void.type == "core.void" and void.payload == {"reason": "录入错误"}
        assert db.session.get(Event, event.id).payload == {"text": "路灯损坏", "tags": []}  # kept
    assert f"已被 #{void.id} 取代" in text(console.get("/admin/events/"))


def test_event_list_filters_by_type_and_time(app, console, alpha):
    ids = populate(app, alpha, "alpha")
    note_id, void_id = ids[Event]
    by_type = text(console.get("/admin/events/", query_string={"flt0_0": "core.void"}))
    assert f"作废 #{note_id}" in by_type and "alpha note" not in by_type
    # populate's note happened 2026-03-01 09:00 Shanghai time; the filter reads local time
    after = text(console.get("/admin/events/", query_string={"flt1_1": "2026-03-01 08:59:00"}))
    before = text(console.get("/admin/events/", query_string={"flt1_1": "2026-03-01 09:01:00"}))
    assert "alpha note" in after and "alpha note" not in before
    assert "现场记录 (core.note)" in text(console.get("/admin/events/"))  # type filter options


def test_events_cannot_be_edited_or_deleted(app, console, alpha):
    ids = populate(app, alpha, "alpha")
    event_id = ids[Event][0]
    assert console.get("/admin/events/edit/", query_string={"id": event_id}).status_code == 302
    console.post("/admin/events/delete/", data={"id": event_id})
    assert count(app, alpha, Event, Event.id == event_id) == 1


@pytest.mark.parametrize("role, writes_grids, records_events", [
    ("viewer", False, False), ("field_staff", False, True), ("tenant_admin", True, True)])
def test_roles_decide_who_writes(app, client, factory, alpha, role, writes_grids, records_events):
    ids = populate(app, alpha, "alpha")
    factory.user("someone", tenant=alpha, role=role)
    console = Console(client)
    console.login("someone")
    listing = text(console.get("/admin/grids/"))
    assert ("/admin/grids/new/" in listing) is writes_grids
    console.post("/admin/grids/new/", data={"code": "NEW", "name": "new"})
    assert count(app, alpha, Grid, Grid.code == "NEW") == int(writes_grids)
    response = console.post("/admin/events/new/", data={"type": "core.note", "occurred_at": "2026-03-05T08:30",
                                                         "grid_id": ids[Grid][1], "payload": '{"text": "seen"}'})
    assert response.status_code == 302
    assert count(app, alpha, Event, Event.type == "core.note") == 1 + int(records_events)
    assert (console.get("/admin/events/void/", query_string={"id": ids[Event][0]}).status_code == 200) is records_events
    assert console.get("/admin/tenants/").status_code == 403


def test_tenant_switcher(app, client, factory):
    a = factory.tenant("alpha", name="Alpha district")
    b = factory.tenant("beta", name="Beta county")
    factory.user("carol", tenant=a)
    with app.app_context():
        from gridgov.operations import tenants as tenant_ops

        carol = db.session.scalar(select(User).where(User.username == "carol"))
        tenant_ops.add_membership(db.session.get(Tenant, b.id), carol, "viewer")
        db.session.commit()
    populate(app, b, "beta")
    console = Console(client)
    console.login("carol")
    home = text(console.get("/admin/"))
    assert "请选择要进入的租户" in home
    response = console.get("/admin/grids/")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    console.post("/admin/tenant", data={"tenant_id": b.id})
    home = text(console.get("/admin/"))
    assert "Beta county" in home and "查看者" in home
    assert "beta street" in text(console.get("/admin/grids/"))
    assert "/admin/grids/new/" not in text(console.get("/admin/grids/"))  # a viewer in Beta
    console.post("/admin/tenant", data={"tenant_id": a.id})
    assert "beta street" not in text(console.get("/admin/grids/"))


def test_index_shows_tenant_plugins_and_counts(app, console, alpha):
    populate(app, alpha, "alpha")
    home = text(console.get("/admin/"))
    assert "Alpha district" in home and "巡查考核" in home and "网格化管理核心" in home
    assert '<p class="card-text h2 mb-0">2</p>' in home  # 2 grids, 2 events
    assert "Patrol scheme" in text(console.get("/admin/?lang=en"))


@pytest.fixture
def root_console(client, factory, alpha):
    factory.user("root", platform_admin=True)
    console = Console(client)
    console.login("root")
    return console


def stored_settings(app, tenant):
    with app.app_context():
        return db.session.get(Tenant, tenant.id).settings


def test_plugin_settings_form_from_the_schema(app, root_console, alpha):
    url = "/admin/plugin-settings/"
    page = text(root_console.get(url, query_string={"tenant_id": alpha.id}))
    assert "巡查考核" in page
    page = text(root_console.get(url, query_string={"tenant_id": alpha.id, "plugin": "patrol"}))
    assert "每周巡查次数" in page and 'value="3"' in page and 'value="50"' in page
    response = root_console.post(f"{url}?tenant_id={alpha.id}&plugin=patrol",
                                 data={"patrols_per_week": "5", "fine_yuan": "80.5", "grade": "优秀", "strict": "y",
                                       "exempt_codes": '["A-1"]'})
    assert response.status_code == 302
    assert stored_settings(app, alpha) == {"patrol": {"patrols_per_week": 5, "fine_yuan": "80.5", "grade": "优秀",
                                                      "strict": True, "exempt_codes": ["A-1"]}}
    with app.app_context(), platform_scope():
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "settings")) == "settings"


def test_plugin_settings_schema_errors_are_shown_and_nothing_is_stored(app, root_console, alpha):
    url = f"/admin/plugin-settings/?tenant_id={alpha.id}&plugin=patrol"
    for data, message in [
        ({"patrols_per_week": "20", "fine_yuan": "50", "grade": "合格"}, "Must be greater than or equal to 1 and less than or equal to 14."),
        ({"patrols_per_week": "many", "fine_yuan": "50", "grade": "合格"}, "Not a valid integer."),
        ({"patrols_per_week": "3", "fine_yuan": "fifty", "grade": "合格"}, "Not a valid number."),
        ({"patrols_per_week": "3", "fine_yuan": "50", "grade": "最好"}, "Must be one of: 优秀, 合格, 不合格."),
        ({"patrols_per_week": "3", "fine_yuan": "50", "grade": "合格", "exempt_codes": "[1,"}, "不是有效的 JSON"),
    ]:
        response = root_console.post(url, data=data)
        assert response.status_code == 200
        assert message in text(response), message
    assert stored_settings(app, alpha) == {}
    with app.app_context(), platform_scope():
        assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "settings")) == 0


def test_platform_admin_creates_users_and_memberships(app, root_console, alpha):
    response = root_console.post("/admin/users/new/", data={"username": "dave", "display_name": "Dave", "password": "long enough pw"})
    assert response.status_code == 302
    response = root_console.post("/admin/users/new/", data={"username": "eve", "password": "short"})
    assert "at least 8 characters" in text(response)
    with app.app_context():
        dave = db.session.scalar(select(User).where(User.username == "dave"))
        assert dave.check_password("long enough pw") and dave.password_hash != "long enough pw"
        assert db.session.scalar(select(User).where(User.username == "eve")) is None
    for page in ("/admin/users/", f"/admin/users/details/?id={dave.id}", f"/admin/users/edit/?id={dave.id}"):
        assert dave.password_hash not in text(root_console.get(page)) and "password_hash" not in text(root_console.get(page))
    response = root_console.post("/admin/memberships/new/", data={"tenant_id": alpha.id, "user_id": dave.id, "role": "assessor"})
    assert response.status_code == 302
    with app.app_context(), platform_scope():
        membership = db.session.scalar(select(Membership).where(Membership.user_id == dave.id))
        assert (membership.tenant_id, membership.role) == (alpha.id, "assessor")
    assert "考核员" in text(root_console.get("/admin/memberships/"))
    root_console.post("/admin/users/edit/", query_string={"id": dave.id},
                      data={"display_name": "Dave", "password": "a new password", "locale": "en"})
    with app.app_context():
        dave = db.session.get(User, dave.id)
        assert dave.check_password("a new password") and not dave.active and dave.locale == "en"
    root_console.post("/admin/memberships/delete/", data={"id": membership.id})
    with app.app_context(), platform_scope():
        assert db.session.scalar(select(Membership).where(Membership.user_id == dave.id)) is None
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "revoke")) == "revoke"


def test_platform_audit_log_shows_every_tenant(app, root_console, alpha, factory):
    factory.tenant("beta", name="Beta county")
    listing = text(root_console.get("/admin/platform-audit/"))
    assert "alpha" in listing and "beta" in listing
    assert "/admin/platform-audit/new/" not in listing
