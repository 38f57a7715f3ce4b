"""Tenant isolation in the console: a walk over every console route.

Tenant A's admin walks every URL rule under ``/admin`` that the app's url_map holds — so a
view added later is walked too — with tenant B's ids and with references to B's objects,
by GET and POST (with a valid CSRF token, so the view logic itself is exercised). Nothing of
B may be shown (every B object carries a marker string), list counts are A's only, B's ids
answer 404 (or a redirect that changes nothing), platform views answer 403, and at the end
the database holds exactly what it held before.
"""
from __future__ import annotations

import re

import pytest
from console_cases_support import populate_cases
from conftest import in_tenant
from console_support import Console, list_count, populate
from sqlalchemy import func, inspect, select

from gridgov.extensions import db
from gridgov.models import AuditEntry, Case, Event, Grid, Membership, Open311Key, Person, Place, Survey, Tenant, Unit, User
from gridgov.open311 import keys
from gridgov.surveys import operations as surveys
from gridgov.tenancy import TenantOwned, platform_scope, tenant_scope

MARKER = "BETASECRET"
OFFERED = {
    "details_view": lambda view: view.can_view_details,
    "edit_view": lambda view: view.allow_edit,
    "delete_view": lambda view: view.allow_delete,
    "void_view": lambda view: True,
}


@pytest.fixture
def tenants(app, factory):
    a = factory.tenant("alpha", name="Alpha district")
    b = factory.tenant("beta", name=f"{MARKER} district")
    factory.user("alice", tenant=a)
    factory.user("bob", tenant=b)
    a_ids = populate_cases(app, a, "alpha", populate(app, a, "alpha"), "alice")
    b_ids = populate_cases(app, b, MARKER, populate(app, b, MARKER), "bob")
    for tenant, ids, marker in ((a, a_ids, "alpha"), (b, b_ids, MARKER)):
        populate_surveys(app, tenant, marker, ids)
        with app.app_context(), tenant_scope(tenant.id):
            ids[AuditEntry] = list(db.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id).limit(2)))
            ids[Membership] = list(db.session.scalars(select(Membership.id)))
    return a, b, a_ids, b_ids


def populate_surveys(app, tenant, marker: str, ids: dict) -> None:
    """A satisfaction survey and an Open311 key, each carrying ``marker``."""
    with in_tenant(app, tenant):
        survey = surveys.create_survey(title=f"{marker} survey", grid_id=ids[Grid][0], starts_on="2026-01-01",
                                       ends_on="2026-12-31", per_grid=2)
        key, _ = keys.issue_key(name=f"{marker} app", grid_id=ids[Grid][0])
        ids[Survey], ids[Open311Key] = [survey.id], [key.id]


def snapshot(app) -> dict:
    """Every row of every tenant-owned table and of tenants, users and memberships, except the
    audit entries of logins (tenant-less rows the walk itself writes)."""
    out = {}
    with app.app_context(), platform_scope():
        for mapper in db.Model.registry.mappers:
            model = mapper.class_
            if not (issubclass(model, TenantOwned) or model in (Tenant, User, Membership)):
                continue
            query = select(model)
            if model is AuditEntry:
                query = query.where(AuditEntry.tenant_id.is_not(None))
            out[model.__name__] = {
                row.id: {c.key: getattr(row, c.key) for c in inspect(model).column_attrs}
                for row in db.session.scalars(query)
            }
    return out


def console_routes(app):
    """(view, rule) for every console URL rule, found through the url_map."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or rule.endpoint.endswith(".static"):
            continue
        view = getattr(app.view_functions[rule.endpoint], "__self__", None)
        assert view is not None, f"{rule.endpoint} is not a Flask-Admin view method"
        yield view, rule


def hostile_form(b_ids: dict, b_tenant_id: int, b_user_id: int) -> dict:
    """A form that names B's objects in every reference field a console form has."""
    grid, person, unit, place = b_ids[Grid][1], b_ids[Person][0], b_ids[Unit][0], b_ids[Place][0]
    return {
        "rowid": str(b_ids[Event][0]), "action": "delete", "url": "/admin/", "list_form_pk": str(b_ids[Grid][0]),
        "parent_id": grid, "grid_id": grid, "unit_id": unit, "subject_unit_id": unit, "person_id": person,
        "actor_person_id": person, "subject_person_id": person, "place_id": place, "user_id": b_user_id,
        "tenant_id": b_tenant_id, "code": "HOSTILE", "name": "hostile", "slug": "hostile", "kind": "core.generic",
        "role": "core.grid_worker", "type": "core.note", "occurred_at": "2026-03-02T10:00", "starts_on": "2026-01-01",
        "payload": '{"text": "hostile"}', "attributes": "{}", "reason": "hostile", "timezone": "Asia/Shanghai",
        "locale": "zh_Hans", "username": "hostile", "password": "hostile password",
        "to_unit_id": unit, "category": "core.general", "description": "hostile",
    }


def test_tenant_admin_walk_reads_and_changes_nothing_of_another_tenant(app, client, tenants):
    a, b, a_ids, b_ids = tenants
    with app.app_context():
        b_user = db.session.scalar(select(User.id).where(User.username == "bob"))
    before = snapshot(app)
    console = Console(client)
    assert console.login("alice").status_code == 302
    form = hostile_form(b_ids, b.id, b_user)
    walked, platform_walked = set(), set()

    def check(response, what):
        body = response.get_data(as_text=True)
        assert response.status_code < 500, f"{what}: {response.status_code}"
        assert MARKER not in body, f"{what} shows tenant B's data"
        return body

    for view, rule in console_routes(app):
        name = rule.endpoint.rsplit(".", 1)[1]
        url = rule.rule.replace("<export_type>", "csv")
        model = getattr(view, "model", None)
        platform = getattr(view, "console_scope", "tenant") == "platform"
        foreign = b_ids.get(model, [b.id if model is Tenant else b_user if model is User else 1])
        own = a_ids.get(model, [])
        for method in sorted(rule.methods & {"GET", "POST"}):
            for object_id in foreign:
                what = f"{method} {rule.rule} id={object_id} ({rule.endpoint})"
                send = console.get if method == "GET" else console.post
                response = send(url, query_string={"id": object_id}, **({} if method == "GET" else {"data": {**form, "id": object_id}}))
                check(response, what)
                if platform:
                    assert response.status_code == 403, what
                    platform_walked.add(rule.endpoint)
                    continue
                walked.add(rule.endpoint)
                if name in OFFERED:
                    # an action the view offers answers 404 for B's id; one it does not offer
                    # (editing an append-only event) redirects before looking the id up
                    assert response.status_code == (404 if OFFERED[name](view) else 302), what
                if name == "index_view" and method == "GET":
                    with app.app_context(), tenant_scope(a.id):
                        expected = db.session.scalar(select(func.count()).select_from(model))
                    assert list_count(response.get_data(as_text=True)) == expected, what
            for object_id in own if method == "POST" and name in ("create_view", "edit_view") and not platform else []:
                check(console.post(url, query_string={"id": object_id}, data={**form, "id": object_id}),
                      f"POST {rule.rule} own id={object_id} with B's references")

    assert snapshot(app) == before
    assert {"admin.index", "admin.switch_tenant"} <= walked
    assert any(e.endswith(".void_view") for e in walked) and any(e.endswith(".delete_view") for e in walked)
    assert {"console_cases.case", "console_cases.step", "console_cases.upload", "console_cases.report"} <= walked
    assert any(e.startswith("console_tenants.") for e in platform_walked)
    assert any(e.startswith("console_plugin_settings.") for e in platform_walked)
    assert any(e.startswith("console_calendar.") for e in platform_walked)
    home = console.get("/admin/").get_data(as_text=True)
    assert "Alpha district" in home  # the switch to B was refused; the session still works in A
    with app.app_context(), tenant_scope(a.id):
        own_counts = [str(db.session.scalar(select(func.count()).select_from(m))) for m in (Grid, Person, Place, Event)]
    assert re.findall(r'card-text h2 mb-0">(\d+)<', home) == own_counts


def test_own_rows_are_readable(app, client, tenants):
    """The walk above is not vacuous: A's admin does see A's rows through the same URLs."""
    a, b, a_ids, b_ids = tenants
    console = Console(client)
    console.login("alice")
    for view, rule in console_routes(app):
        if rule.endpoint.endswith(".details_view") and getattr(view, "console_scope", "") == "tenant":
            model_ids = a_ids.get(view.model)
            if model_ids:
                assert console.get(rule.rule, query_string={"id": model_ids[0]}).status_code == 200, rule.rule
    assert "alpha street" in console.get("/admin/grids/").get_data(as_text=True)
    case_page = console.get("/admin/cases/case/", query_string={"id": a_ids[Case][0]}).get_data(as_text=True)
    assert "alpha blocked fire exit" in case_page and "alpha-001" in case_page


def test_platform_admin_manages_tenants(app, client, factory, tenants):
    a, b, a_ids, b_ids = tenants
    factory.user("root", platform_admin=True)
    console = Console(client)
    console.login("root")
    listing = console.get("/admin/tenants/").get_data(as_text=True)
    assert "Alpha district" in listing and f"{MARKER} district" in listing
    response = console.post("/admin/tenants/new/", data={"slug": "gamma", "name": "Gamma county", "timezone": "Asia/Urumqi",
                                                         "locale": "en", "enabled_plugins": ["example"]})
    assert response.status_code == 302
    with app.app_context():
        gamma = db.session.scalar(select(Tenant).where(Tenant.slug == "gamma"))
        assert (gamma.name, gamma.timezone, gamma.locale, gamma.enabled_plugins) == ("Gamma county", "Asia/Urumqi", "en", ["example"])
        with platform_scope():
            assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.tenant_id == gamma.id)) == "create"
    response = console.post("/admin/tenants/edit/", query_string={"id": gamma.id},
                            data={"name": "Gamma", "timezone": "Mars/Olympus", "locale": "en", "enabled_plugins": []})
    assert response.status_code == 200
    assert "unknown time zone: Mars/Olympus" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Tenant, gamma.id).name == "Gamma county"
    # a platform admin may also enter any tenant and work in it
    console.post("/admin/tenant", data={"tenant_id": b.id})
    assert f"{MARKER} street" in console.get("/admin/grids/").get_data(as_text=True)
