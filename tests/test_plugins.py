"""Plugin loading, the registry, per-tenant plugins and settings — with the six bundled plugins
installed as any third-party plugin would be, and throwaway plugins registered through
``GRIDGOV_EXTRA_PLUGINS``."""
from __future__ import annotations

import datetime as dt
import pathlib
from decimal import Decimal
from importlib.metadata import entry_points

import pytest
from marshmallow import Schema, fields

from gridgov import create_app, hookimpl
from gridgov.extensions import db
from gridgov.models import Assignment, Person, Place, Tenant
from gridgov.operations import events, grids, registers
from gridgov.operations import tenants as tenant_ops
from gridgov.operations.errors import OperationError
from gridgov.plugins import ENTRY_POINT_GROUP, EventType, PluginError, PluginInfo, Role
from gridgov.tenancy import tenant_scope

ROOT = pathlib.Path(__file__).resolve().parent.parent

# name → the level names of its grid tree, root first (SCHEMES.md and the sources)
BUNDLED = {
    "chashan": ["街道", "社区", "网格"],
    "mengjin_fees": ["县局", "分局", "网格"],
    "zhanqian": ["街道", "社区", "二级网格"],
    "jinzhou_streets": ["市局", "支队（区域）", "大队（网片）", "单元网格小组（块）"],
    "dafang_fire": ["县", "大网格", "小网格", "网格工作室"],
    "family_planning": ["社区", "责任区", "责任片", "责任块"],
}


def registry_of(app):
    return app.extensions["gridgov_registry"]


def make_app(app_config, **config):
    return create_app({**app_config, **config})


# -- discovery -------------------------------------------------------------------------------

def test_the_six_bundled_plugins_come_through_the_entry_point_group(app):
    found = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    registry = registry_of(app)
    for name, levels in BUNDLED.items():
        assert found[name] == f"gridgov_{name}"
        assert registry.pm.get_plugin(name).__name__ == f"gridgov_{name}"
        info = registry.info[name]
        assert info.name == name and info.version == "0.1.0"
        assert info.title_zh and info.title_en and info.title_zh != info.title_en
        assert [lv.title_zh for lv in registry.levels[name]] == levels
        assert all(lv.title_en for lv in registry.levels[name])


def test_the_core_never_imports_a_plugin_by_name():
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "platform" / "gridgov").rglob("*.py"))
    for name in BUNDLED:
        assert f"gridgov_{name}" not in sources


def test_the_registry_namespaces_every_key(app):
    registry = registry_of(app)
    assert registry.roles["chashan.grid_director"].plugin == "chashan"
    assert registry.roles["chashan.grid_director"].title_zh == "网格室主任"
    assert registry.roles["mengjin_fees.grid_responsible"].scope == "grid"
    assert registry.roles["chashan.street_liaison"].scope == "unit"
    assert registry.event_types["jinzhou_streets.violation"].plugin == "jinzhou_streets"
    assert registry.place_kinds["dafang_fire.key_unit"].title_zh == "消防安全重点单位"
    for table in (registry.roles, registry.event_types, registry.place_kinds):
        for key, item in table.items():
            assert key == f"{item.plugin}.{key.partition('.')[2]}"


# -- refusals at start-up --------------------------------------------------------------------

class Squatter:
    """Declares a role in chashan's namespace."""

    @hookimpl
    def gridgov_plugin_info(self):
        return PluginInfo("占位", "Squatter", "0.1.0")

    @hookimpl
    def gridgov_roles(self):
        return [Role("chashan.grid_director", "网格室主任", "Grid room director", "grid")]


class Payload(Schema):
    text = fields.String(required=True)


class Twice:
    """Declares the same event type twice."""

    @hookimpl
    def gridgov_plugin_info(self):
        return PluginInfo("重复", "Twice", "0.1.0")

    @hookimpl
    def gridgov_event_types(self):
        return [EventType("visit", "走访", "Visit", Payload), EventType("visit", "走访", "Visit", Payload)]


class Anonymous:
    """Declares a role but never says who it is."""

    @hookimpl
    def gridgov_roles(self):
        return [Role("helper", "协管员", "Helper", "grid")]


class BadScope:
    @hookimpl
    def gridgov_plugin_info(self):
        return PluginInfo("范围", "Bad scope", "0.1.0")

    @hookimpl
    def gridgov_roles(self):
        return [Role("helper", "协管员", "Helper", "street")]


@pytest.mark.parametrize("name, plugin, message", [
    ("squatter", Squatter(), "another plugin's namespace"),
    ("twice", Twice(), "'twice.visit' is declared twice"),
    ("anonymous", Anonymous(), "does not identify itself"),
    ("badscope", BadScope(), "scope must be"),
])
def test_a_bad_plugin_is_refused_at_start_up(app_config, name, plugin, message):
    with pytest.raises(PluginError, match=message):
        make_app(app_config, GRIDGOV_EXTRA_PLUGINS=[(name, plugin)])


def test_two_plugins_cannot_claim_one_key(app_config):
    """Each plugin can only write in its own namespace, so a second claim to chashan's role can
    only be an explicit one — refused, even when chashan itself is not loaded."""
    with pytest.raises(PluginError, match="another plugin's namespace"):
        make_app(app_config, GRIDGOV_PLUGIN_AUTOLOAD=False, GRIDGOV_EXTRA_PLUGINS=[("squatter", Squatter())])


# -- which plugins load ----------------------------------------------------------------------

def test_autoload_can_be_switched_off(app_config):
    app = make_app(app_config, GRIDGOV_PLUGIN_AUTOLOAD=False)
    assert set(registry_of(app).info) == {"core"}
    app = make_app(app_config, GRIDGOV_PLUGIN_AUTOLOAD=False, GRIDGOV_EXTRA_PLUGINS=[("spy", Spy())])
    assert set(registry_of(app).info) == {"core", "spy"}


def test_the_allow_list_restricts_autoloading(app_config):
    app = make_app(app_config, GRIDGOV_PLUGINS=["chashan", "zhanqian"])
    registry = registry_of(app)
    assert set(registry.info) == {"core", "chashan", "zhanqian"}
    assert "jinzhou_streets.violation" not in registry.event_types


# -- per tenant ------------------------------------------------------------------------------

class Spy:
    """Records every call of its roles hook."""

    def __init__(self):
        self.calls = 0

    @hookimpl
    def gridgov_plugin_info(self):
        return PluginInfo("探针", "Spy", "0.1.0")

    @hookimpl
    def gridgov_roles(self):
        self.calls += 1
        return [Role("watcher", "观察员", "Watcher", "grid")]


def test_hooks_are_called_only_for_tenants_that_enable_the_plugin(app_config):
    spy = Spy()
    registry = registry_of(make_app(app_config, GRIDGOV_EXTRA_PLUGINS=[("spy", spy)]))
    assert spy.calls == 1  # once at start-up, into the registry
    with_spy = Tenant(slug="with-spy", enabled_plugins=["spy", "chashan"])
    without = Tenant(slug="without", enabled_plugins=["zhanqian"])

    roles = registry.for_tenant(without).call("gridgov_roles")
    assert spy.calls == 1
    assert {r.key for group in roles for r in group} == {
        r.key.partition(".")[2] for r in registry.roles.values() if r.plugin in ("core", "zhanqian")}
    roles = registry.for_tenant(with_spy).call("gridgov_roles")
    assert spy.calls == 2
    assert "watcher" in {r.key for group in roles for r in group}

    assert "spy.watcher" in registry.for_tenant(with_spy).roles
    assert "spy.watcher" not in registry.for_tenant(without).roles
    assert "core.grid_worker" in registry.for_tenant(without).roles  # the core is always on
    assert "chashan.patrol" in registry.for_tenant(with_spy).event_types
    assert not any(k.startswith("chashan.") for k in registry.for_tenant(without).event_types)


def test_a_tenant_names_its_grid_levels_after_its_plugin(app_config):
    registry = registry_of(make_app(app_config))
    jinzhou = registry.for_tenant(Tenant(slug="jz", enabled_plugins=["jinzhou_streets"]))
    assert [lv.title_zh for lv in jinzhou.levels()] == BUNDLED["jinzhou_streets"]
    assert jinzhou.level_name(3) == "单元网格小组（块）"
    assert jinzhou.level_name(3, "en") == "Unit grid group (block)"
    plain = registry.for_tenant(Tenant(slug="plain", enabled_plugins=[]))
    assert plain.level_name(0) == "区域"  # the core's generic levels


def test_a_tenant_uses_only_the_roles_kinds_and_types_it_enables(app, factory):
    tenant = factory.tenant("zq", plugins=["zhanqian"])
    with app.app_context(), tenant_scope(tenant.id):
        grid = grids.create_grid(code="ZQ", name="站前街道")
        person = registers.create(Person, {"code": "p1", "name": "程光远"})
        registers.create(Assignment, {"person_id": person.id, "role": "zhanqian.grid_responsible",
                                      "grid_id": grid.id, "starts_on": dt.date(2026, 1, 1)})
        with pytest.raises(OperationError) as exc:
            registers.create(Assignment, {"person_id": person.id, "role": "chashan.grid_director",
                                          "grid_id": grid.id, "starts_on": dt.date(2026, 1, 1)})
        assert "role" in exc.value.errors
        with pytest.raises(OperationError) as exc:
            registers.create(Place, {"kind": "jinzhou_streets.street_section", "code": "s1", "name": "解放路",
                                     "grid_id": grid.id, "attributes": {}})
        assert "kind" in exc.value.errors
        with pytest.raises(OperationError) as exc:
            events.record({"type": "chashan.patrol", "grid_id": grid.id, "occurred_at": "2026-11-02T09:00:00+08:00",
                           "payload": {"minutes": 60, "log": "巡查"}})
        assert "type" in exc.value.errors
        stored, _ = events.record({"type": "zhanqian.inspection", "grid_id": grid.id,
                                   "occurred_at": "2026-11-02T09:00:00+08:00", "payload": {"problems_found": 2}})
        assert stored.payload == {"problems_found": 2, "note": ""}


# -- plugin schemas: places and event payloads ------------------------------------------------

def test_place_attributes_are_validated_by_the_plugin(app, factory):
    tenant = factory.tenant("jz", plugins=["jinzhou_streets"])
    with app.app_context(), tenant_scope(tenant.id):
        block = grids.create_grid(code="JZ", name="第1单元网格小组")
        section = {"kind": "jinzhou_streets.street_section", "code": "LD1", "name": "解放路（中央大街—士英街）",
                   "grid_id": block.id, "attributes": {"street": "解放路", "width_m": "40", "grade": 1}}
        place = registers.create(Place, section)
        assert place.attributes == {"street": "解放路", "from_to": "", "width_m": "40.0", "grade": 1}
        narrow = {**section, "code": "LD2", "attributes": {"street": "小巷", "width_m": "8", "grade": 3}}
        with pytest.raises(OperationError) as exc:
            registers.create(Place, narrow)
        assert set(exc.value.errors["attributes"]) == {"width_m", "grade"}


@pytest.mark.parametrize("plugin, etype, payload, field", [
    ("jinzhou_streets", "violation", {"violation": "jaywalking", "mode": "open"}, "violation"),
    ("jinzhou_streets", "violation", {"violation": "road_market", "mode": "secret"}, "mode"),
    ("chashan", "patrol", {"minutes": 0, "log": "巡查"}, "minutes"),
    ("chashan", "info_report", {"category": "environment", "summary": "垃圾", "urgent": True}, "urgent"),
    ("family_planning", "leave_request", {"starts_on": "2026-11-10", "ends_on": "2026-11-09", "reason": "病假"},
     "ends_on"),
    ("dafang_fire", "fire_check", {"sweep": "daily", "hazards_found": -1}, "hazards_found"),
    ("mengjin_fees", "patrol", {"note": "巡查"}, "households_visited"),
])
def test_event_payloads_are_validated_by_the_plugin(app, factory, plugin, etype, payload, field):
    tenant = factory.tenant("t1", plugins=[plugin])
    with app.app_context(), tenant_scope(tenant.id):
        grid = grids.create_grid(code="G", name="网格")
        with pytest.raises(OperationError) as exc:
            events.record({"type": f"{plugin}.{etype}", "grid_id": grid.id,
                           "occurred_at": "2026-11-02T09:00:00+08:00", "payload": payload})
        assert list(exc.value.errors["payload"]) == [field]


# -- settings --------------------------------------------------------------------------------

DEFAULTS = {
    "chashan": {"required_patrol_days": "working_days", "patrol_minimum_minutes": 60,
                "major_matter_report_hours": 2, "honour_bonus_cap": None, "annual_ranking_basis": "mean_of_quarters"},
    "mengjin_fees": {"service_group_floor_at_zero": True},
    "zhanqian": {"required_inspections_per_month": 4, "bonus_cap": Decimal("20"), "quarter_rollup": "mean",
                 "grade_bands": {"excellent": Decimal("95"), "good": Decimal("85"), "pass": Decimal("65")}},
    "jinzhou_streets": {"deduction_road_market": Decimal("1.0"), "deduction_window_posters": Decimal("1.0"),
                        "advanced_groups_per_quarter": 3, "advanced_individuals_per_quarter": 5},
    "dafang_fire": {"hazard_hotline": "96119", "station_monthly_quota": 20, "room_officers": 2, "room_assistants": 1},
    "family_planning": {"leader_monthly_base": Decimal("500.00"), "leader_monthly_withheld": Decimal("300.00"),
                        "community_worker_monthly_pay": Decimal("1200.00"), "checkup_overdue_months": 4},
}


@pytest.mark.parametrize("plugin", list(BUNDLED))
def test_settings_default_to_the_plugins_defaults(app, factory, plugin):
    tenant = factory.tenant("t1", plugins=[plugin])
    with app.app_context():
        settings = tenant_ops.get_settings(db.session.get(Tenant, tenant.id), plugin)
    for key, value in DEFAULTS[plugin].items():
        assert settings[key] == value and type(settings[key]) is type(value), key
    schema = registry_of(app).settings_schemas[plugin]()
    assert set(settings) == set(schema.fields)
    for name, field in schema.fields.items():
        assert field.metadata.get("title_zh") and field.metadata.get("title_en"), name
        if isinstance(field, fields.Decimal):
            assert field.as_string, name  # money and points travel as strings, never floats


def test_settings_are_validated_stored_and_merged_with_defaults(app, factory):
    tenant = factory.tenant("zq", plugins=["zhanqian"])
    with app.app_context():
        t = db.session.get(Tenant, tenant.id)
        tenant_ops.update_settings(t, "zhanqian", {"required_inspections_per_month": 6, "bonus_cap": "15"})
        db.session.commit()
    with app.app_context():
        t = db.session.get(Tenant, tenant.id)
        settings = tenant_ops.get_settings(t, "zhanqian")
        assert settings["required_inspections_per_month"] == 6
        assert settings["bonus_cap"] == Decimal("15.0") and settings["grade_bands"]["good"] == Decimal("85")
        assert t.settings["zhanqian"]["bonus_cap"] == "15.0"  # stored as a string, not a float
        before = dict(t.settings)
        for bad, field in [({"required_inspections_per_month": 0}, "required_inspections_per_month"),
                           ({"required_inspections_per_month": "four"}, "required_inspections_per_month"),
                           ({"grade_bands": {"good": "97"}}, "grade_bands"),
                           ({"weight": 3}, "weight")]:
            with pytest.raises(OperationError) as exc:
                tenant_ops.update_settings(t, "zhanqian", bad)
            assert list(exc.value.errors) == [field], bad
        assert t.settings == before


def test_settings_of_a_plugin_the_tenant_does_not_enable_are_refused(app, factory):
    tenant = factory.tenant("cs", plugins=["chashan"])
    with app.app_context():
        with pytest.raises(OperationError) as exc:
            tenant_ops.update_settings(db.session.get(Tenant, tenant.id), "dafang_fire", {"station_monthly_quota": 5})
        assert "plugin" in exc.value.errors


def test_a_settings_field_left_open_is_a_setting_with_no_cap(app, factory):
    """chashan's honour bonus has no cap unless the tenant sets one (SCHEMES.md)."""
    tenant = factory.tenant("cs", plugins=["chashan"])
    with app.app_context():
        t = db.session.get(Tenant, tenant.id)
        assert tenant_ops.update_settings(t, "chashan", {"honour_bonus_cap": "40"})["honour_bonus_cap"] == Decimal("40")
        assert tenant_ops.update_settings(t, "chashan", {"honour_bonus_cap": None})["honour_bonus_cap"] is None
        with pytest.raises(OperationError) as exc:
            tenant_ops.update_settings(t, "chashan", {"required_patrol_days": "weekends"})
        assert "required_patrol_days" in exc.value.errors


# -- docs ------------------------------------------------------------------------------------

@pytest.mark.parametrize("plugin", list(BUNDLED))
def test_each_plugin_documents_its_levels_roles_and_settings(app, plugin):
    page = (ROOT / "docs" / "plugins" / f"{plugin}.md").read_text(encoding="utf-8")
    registry = registry_of(app)
    assert registry.info[plugin].title_zh in page
    for level in registry.levels[plugin]:
        assert level.title_zh in page
    for role in (r for r in registry.roles.values() if r.plugin == plugin):
        assert f"`{role.key.partition('.')[2]}`" in page and role.title_zh in page
    for name in registry.settings_schemas[plugin]().fields:
        assert f"`{name}`" in page, name
