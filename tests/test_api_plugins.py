"""Plugins through the API: the out-of-tree ``example`` plugin (``tests/example_plugin``,
installed like any third-party package) adds ``example.water_level``. A tenant that enables it
records and lists such events; a tenant that does not is refused naming ``type``; a payload that
breaks the plugin's schema is refused naming ``payload.level_m``."""
import pytest

from gridgov.models import Event

from api_support import NOTE_AT, TenantClient, assert_error, count


def reading(grid_id: int, level="2.35", **extra) -> dict:
    return {"type": "example.water_level", "grid_id": grid_id, "occurred_at": NOTE_AT,
            "payload": {"gauge": "茶山河1号", "level_m": level}, **extra}


@pytest.fixture
def tenants(client, factory):
    out = {}
    for slug, plugins in (("river", ["example"]), ("dry", [])):
        tenant = factory.tenant(slug, plugins=plugins)
        api = TenantClient(client, factory.user(f"{slug}-admin", tenant, "tenant_admin")[1], slug)
        out[slug] = (tenant, api, api.ok("POST", "grids", {"code": "G1", "name": "网格"})["id"])
    return out


def test_a_tenant_enabling_the_plugin_records_its_event(app, tenants):
    tenant, api, grid = tenants["river"]
    stored = api.ok("POST", "events", reading(grid))
    assert stored["type"] == "example.water_level" and stored["payload"] == {"gauge": "茶山河1号", "level_m": "2.35"}
    assert api.ok("GET", "events", query={"type": "example.water_level"})["items"][0]["id"] == stored["id"]
    batch = api.ok("POST", "events/batch", {"events": [reading(grid, "1.5"), reading(grid, "1.75")]})
    assert batch["created"] == 2
    types = {t["key"]: t for t in api.ok("GET", "event-types")}
    assert types["example.water_level"]["plugin"] == "example"
    assert types["example.water_level"]["title"] == {"zh": "水位观测", "en": "Water level reading"}
    assert {f["name"]: f["required"] for f in types["example.water_level"]["payload_fields"]} == {"gauge": True, "level_m": True}
    with app.app_context():
        assert count(Event, tenant.id) == 3


def test_a_tenant_without_the_plugin_is_refused_naming_type(app, tenants):
    tenant, api, grid = tenants["dry"]
    assert_error(api.post("events", reading(grid)), 422, "type")
    assert_error(api.post("events/batch", {"events": [reading(grid)]}), 422, "events.0.type")
    assert "example.water_level" not in {t["key"] for t in api.ok("GET", "event-types")}
    with app.app_context():
        assert count(Event, tenant.id) == 0


@pytest.mark.parametrize("level", ["-1", "101", "high", None])
def test_a_payload_breaking_the_plugin_schema_is_refused_naming_the_field(app, tenants, level):
    tenant, api, grid = tenants["river"]
    assert_error(api.post("events", reading(grid, level)), 422, "payload.level_m")
    assert_error(api.post("events/batch", {"events": [reading(grid), reading(grid, level)]}), 422, "events.1.payload.level_m")
    with app.app_context():
        assert count(Event, tenant.id) == 0


def test_disabling_the_plugin_closes_its_event_type(app, client, factory, tenants):
    tenant, api, grid = tenants["river"]
    api.ok("POST", "events", reading(grid))
    _, token = factory.user("root", platform_admin=True)
    TenantClient(client, token, "").ok("PATCH", "/tenants/river", {"enabled_plugins": []})
    assert_error(api.post("events", reading(grid, "3.0")), 422, "type")
    assert len(api.ok("GET", "events")["items"]) == 1  # history stays readable
