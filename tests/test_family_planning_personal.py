"""Personal registers (PlaceKind.personal): households, women of childbearing age and floating
residents are read only by the tenant roles that need them (tenant_admin, supervisor,
field_staff), through the API and the console alike, and every read of one is audited. Field
staff (group leaders, workers) read only the entries of the grids their person holds today."""
from __future__ import annotations

import pytest
from api_support import TenantClient, assert_error
from conftest import in_tenant
from console_support import Console
from family_planning_support import setup, woman
from sqlalchemy import select

from gridgov.extensions import db
from gridgov.models import Assignment, AuditEntry, Person, Place
from gridgov.operations import registers
from gridgov.tenancy import tenant_scope


@pytest.fixture
def fp(app, factory, client):
    ctx = setup(app, factory)
    i = ctx["ids"]
    ctx["w1"] = woman(app, ctx["tenant"], i["block1"], "W1")
    ctx["w2"] = woman(app, ctx["tenant"], i["block2"], "W2")
    with in_tenant(app, ctx["tenant"]):
        ctx["shop"] = registers.create(Place, {"grid_id": i["block1"], "kind": "core.generic", "code": "S1",
                                               "name": "小卖部"}).id
    ctx["api"] = {role: TenantClient(client, token, "fp") for role, (_, token) in ctx["logins"].items()}
    return ctx


def reads(app, fp) -> list[tuple]:
    with app.app_context(), tenant_scope(fp["ids"]["tenant"]):
        return [(e.username, e.object_id, e.changes.get("via")) for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "read").order_by(AuditEntry.id))]


def link(app, fp, person: str, role: str = "field_staff") -> None:
    """Tie the login of ``role`` to the person ``person`` (Person.user_id)."""
    with in_tenant(app, fp["tenant"]):
        registers.update(db.session.get(Person, fp["ids"][person]), {"user_id": fp["logins"][role][0]})


@pytest.mark.parametrize("role", ["tenant_admin", "supervisor"])
def test_readers_read_personal_entries_and_each_read_is_audited(app, fp, role):
    api = fp["api"][role]
    page = api.ok("GET", "places", query={"kind": "family_planning.woman"})
    assert sorted(p["id"] for p in page["items"]) == sorted([fp["w1"], fp["w2"]])
    one = api.ok("GET", f"places/{fp['w1']}")
    assert one["name"] == "育龄妇女W1"
    assert reads(app, fp) == [(f"fp-{role}", fp["w1"], "api list"), (f"fp-{role}", fp["w2"], "api list"),
                              (f"fp-{role}", fp["w1"], "api item")]


@pytest.mark.parametrize("role", ["assessor", "viewer"])
def test_other_roles_get_403_and_never_see_them_in_a_list(app, fp, role):
    api = fp["api"][role]
    assert_error(api.get(f"places/{fp['w1']}"), 403, "kind")
    assert_error(api.get("places", query={"kind": "family_planning.woman"}), 403, "kind")
    everything = api.ok("GET", "places")
    assert [p["id"] for p in everything["items"]] == [fp["shop"]] and everything["total"] == 1
    assert reads(app, fp) == []


def test_a_block_leader_reads_only_the_entries_of_the_block_they_hold(app, fp):
    link(app, fp, "a")  # 王组长, group leader of block 1
    api = fp["api"]["field_staff"]
    page = api.ok("GET", "places", query={"kind": "family_planning.woman"})
    assert [p["id"] for p in page["items"]] == [fp["w1"]] and page["total"] == 1
    everything = api.ok("GET", "places")
    assert sorted(p["id"] for p in everything["items"]) == sorted([fp["w1"], fp["shop"]])
    assert api.ok("GET", f"places/{fp['w1']}")["name"] == "育龄妇女W1"
    refused = api.get(f"places/{fp['w2']}")
    assert_error(refused, 403, "grid_id")
    assert "HN-1-1-2" in str(refused.get_json()) and "HN-1-1-1" in str(refused.get_json())
    # Only what was shown is audited; the refusal shows nothing.
    assert reads(app, fp) == [("fp-field_staff", fp["w1"], "api list"), ("fp-field_staff", fp["w1"], "api list"),
                              ("fp-field_staff", fp["w1"], "api item")]


def test_a_leader_of_a_higher_grid_reads_everything_below_it(app, fp):
    link(app, fp, "director")  # 张主任 holds the community
    page = fp["api"]["field_staff"].ok("GET", "places", query={"kind": "family_planning.woman"})
    assert sorted(p["id"] for p in page["items"]) == sorted([fp["w1"], fp["w2"]])


def test_field_staff_without_a_person_or_whose_assignment_ended_read_none(app, fp):
    api = fp["api"]["field_staff"]
    assert api.ok("GET", "places", query={"kind": "family_planning.woman"})["total"] == 0
    refused = api.get(f"places/{fp['w1']}")
    assert_error(refused, 403, "grid_id")
    assert "no person holding a grid today" in str(refused.get_json())
    link(app, fp, "a")
    assert api.ok("GET", "places", query={"kind": "family_planning.woman"})["total"] == 1
    with in_tenant(app, fp["tenant"]):
        held = db.session.scalars(select(Assignment).where(Assignment.person_id == fp["ids"]["a"])).one()
        registers.update(held, {"ends_on": held.starts_on})  # left the post long ago
    assert api.ok("GET", "places", query={"kind": "family_planning.woman"})["total"] == 0
    assert_error(api.get(f"places/{fp['w1']}"), 403, "grid_id")
    assert reads(app, fp) == [("fp-field_staff", fp["w1"], "api list")]


def test_a_place_of_an_ordinary_kind_is_not_audited(app, fp):
    fp["api"]["field_staff"].ok("GET", f"places/{fp['shop']}")
    fp["api"]["field_staff"].ok("GET", "places", query={"kind": "core.generic"})
    assert reads(app, fp) == []


def test_a_reader_writing_is_still_the_tenant_admin(fp):
    """Writing registers stays the tenant administrator's; a reader role is not a writer."""
    assert fp["api"]["supervisor"].patch(f"places/{fp['w1']}", {"name": "x"}).status_code == 403
    changed = fp["api"]["tenant_admin"].ok("PATCH", f"places/{fp['w1']}", {"name": "育龄妇女W1（已核实）"})
    assert changed["name"].endswith("（已核实）")


def console_as(client, factory, fp, role):
    console = Console(client)
    response = console.login(f"fp-{role}", follow_redirects=True)
    assert response.status_code == 200
    return console


def test_the_console_refuses_other_roles_and_hides_the_entries(app, client, factory, fp):
    console = console_as(client, factory, fp, "viewer")
    listing = console.get("/admin/places/").get_data(as_text=True)
    assert "小卖部" in listing and "育龄妇女W1" not in listing
    assert console.get(f"/admin/places/details/?id={fp['w1']}").status_code == 403
    assert console.get(f"/admin/places/details/?id={fp['shop']}").status_code == 200
    assert reads(app, fp) == []


def test_the_console_shows_readers_and_audits_each_record_shown(app, client, factory, fp):
    console = console_as(client, factory, fp, "supervisor")
    listing = console.get("/admin/places/").get_data(as_text=True)
    assert "育龄妇女W1" in listing and "育龄妇女W2" in listing
    assert console.get(f"/admin/places/details/?id={fp['w1']}").status_code == 200
    assert sorted(reads(app, fp)) == sorted([("fp-supervisor", fp["w1"], "console list"),
                                             ("fp-supervisor", fp["w2"], "console list"),
                                             ("fp-supervisor", fp["w1"], "console record")])


def test_the_console_shows_a_block_leader_only_their_block(app, client, factory, fp):
    link(app, fp, "a")
    console = console_as(client, factory, fp, "field_staff")
    listing = console.get("/admin/places/").get_data(as_text=True)
    assert "育龄妇女W1" in listing and "育龄妇女W2" not in listing and "小卖部" in listing
    refused = console.get(f"/admin/places/details/?id={fp['w2']}")
    assert refused.status_code == 403 and "HN-1-1-2" in refused.get_data(as_text=True)
    assert console.get(f"/admin/places/details/?id={fp['w1']}").status_code == 200
    assert sorted(reads(app, fp)) == sorted([("fp-field_staff", fp["w1"], "console list"),
                                             ("fp-field_staff", fp["w1"], "console record")])


def test_the_console_drop_downs_offer_only_the_entries_this_login_may_read(app, client, factory, fp):
    """The event and case forms' place drop-down goes through the same scope as the registers."""
    link(app, fp, "a")
    staff = console_as(client, factory, fp, "field_staff")
    for url in ("/admin/events/new/", "/admin/cases/report/"):
        form = staff.get(url).get_data(as_text=True)
        assert "育龄妇女W1" in form and "育龄妇女W2" not in form and "小卖部" in form, url
    supervisor = console_as(app.test_client(), factory, fp, "supervisor")
    form = supervisor.get("/admin/events/new/").get_data(as_text=True)
    assert "育龄妇女W1" in form and "育龄妇女W2" in form
