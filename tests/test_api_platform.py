"""Platform routes: tenants and their plugin settings (platform admins), /me and /plugins."""
import pytest
from marshmallow import Schema, fields, validate

from gridgov import hookimpl
from gridgov.extensions import db
from gridgov.models import User
from gridgov.operations import tenants as tenant_ops
from gridgov.plugins import PluginInfo

from api_support import TenantClient, assert_error


class PatrolRules(Schema):
    patrols_per_week = fields.Integer(load_default=3, validate=validate.Range(1, 14))
    fine_per_missed = fields.Decimal(load_default="50.00", as_string=True, places=2)


class SettingsPlugin:
    """A throwaway plugin with a settings schema, registered for this module's apps only."""

    @hookimpl
    def gridgov_plugin_info(self):
        return PluginInfo(title_zh="巡查规则", title_en="Patrol rules", version="2.1")

    @hookimpl
    def gridgov_settings_schema(self):
        return PatrolRules


@pytest.fixture
def app_config(app_config):
    return {**app_config, "GRIDGOV_EXTRA_PLUGINS": [("patrolrules", SettingsPlugin())]}


@pytest.fixture
def root(client, factory):
    _, token = factory.user("root", platform_admin=True)
    return TenantClient(client, token, "")


def test_create_list_read_and_change_tenants(root):
    created = root.ok("POST", "/tenants", {"slug": "chashan", "name": "茶山街道", "enabled_plugins": ["patrolrules"],
                                           "settings": {"patrolrules": {"patrols_per_week": 5}}})
    assert created["slug"] == "chashan" and created["timezone"] == "Asia/Shanghai" and created["locale"] == "zh_Hans"
    assert created["enabled_plugins"] == ["patrolrules"]
    root.ok("POST", "/tenants", {"slug": "dafang", "name": "大方县消防", "locale": "en"})
    assert [t["slug"] for t in root.ok("GET", "/tenants")] == ["chashan", "dafang"]
    changed = root.ok("PATCH", "/tenants/dafang", {"name": "大方县消防救援大队", "timezone": "Asia/Urumqi",
                                                   "enabled_plugins": ["example"]})
    assert changed["timezone"] == "Asia/Urumqi" and changed["enabled_plugins"] == ["example"]
    assert root.ok("GET", "/tenants/dafang")["name"] == "大方县消防救援大队"
    assert root.ok("GET", "/tenants/chashan/settings/patrolrules") == {"patrols_per_week": 5, "fine_per_missed": "50.00"}


def test_tenant_refusals_name_the_field(root):
    root.ok("POST", "/tenants", {"slug": "chashan", "name": "茶山"})
    assert_error(root.post("/tenants", {"slug": "chashan", "name": "又一个"}), 409, "slug")
    assert_error(root.post("/tenants", {"slug": "Bad Slug", "name": "x"}), 422, "slug")
    assert_error(root.post("/tenants", {"slug": "zone", "name": "x", "timezone": "Mars/Olympus"}), 422, "timezone")
    assert_error(root.post("/tenants", {"slug": "zone", "name": "x", "locale": "fr"}), 422, "locale")
    assert_error(root.post("/tenants", {"slug": "zone", "name": "x", "enabled_plugins": ["nope"]}), 422, "enabled_plugins")
    assert_error(root.post("/tenants", {"slug": "zone"}), 422, "name")
    assert_error(root.patch("/tenants/chashan", {"slug": "renamed"}), 422, "slug")
    assert_error(root.get("/tenants/nowhere"), 404)
    assert [t["slug"] for t in root.ok("GET", "/tenants")] == ["chashan"]


def test_settings_are_validated_by_the_plugin_schema_and_may_be_partial(root):
    root.ok("POST", "/tenants", {"slug": "chashan", "name": "茶山", "enabled_plugins": ["patrolrules"]})
    url = "/tenants/chashan/settings/patrolrules"
    assert root.ok("GET", url) == {"patrols_per_week": 3, "fine_per_missed": "50.00"}  # the plugin's defaults
    assert root.ok("PUT", url, {"fine_per_missed": "80"}) == {"patrols_per_week": 3, "fine_per_missed": "80.00"}
    assert root.ok("PUT", url, {"patrols_per_week": 7}) == {"patrols_per_week": 7, "fine_per_missed": "80.00"}
    assert_error(root.put(url, {"patrols_per_week": 99}), 422, "patrols_per_week")
    assert_error(root.put(url, {"fine_per_missed": "lots"}), 422, "fine_per_missed")
    assert_error(root.put(url, {"colour": "red"}), 422, "colour")
    assert_error(root.put(url, ["x"]), 422, "_schema")
    assert root.ok("GET", url) == {"patrols_per_week": 7, "fine_per_missed": "80.00"}


def test_a_refused_request_leaves_no_partial_write(root):
    """create_tenant stores the tenant, then validates its settings: when they fail, the request's
    one transaction is rolled back and the tenant does not exist."""
    response = root.post("/tenants", {"slug": "half", "name": "半个", "enabled_plugins": ["patrolrules"],
                                      "settings": {"patrolrules": {"patrols_per_week": 0}}})
    assert_error(response, 422, "settings.patrolrules.patrols_per_week")
    assert_error(root.get("/tenants/half"), 404)
    assert root.ok("POST", "/tenants", {"slug": "half", "name": "半个"})["slug"] == "half"


def test_settings_of_a_plugin_the_tenant_does_not_enable_are_refused(root):
    root.ok("POST", "/tenants", {"slug": "plain", "name": "无插件"})
    assert_error(root.put("/tenants/plain/settings/patrolrules", {"patrols_per_week": 4}), 422, "plugin")
    assert_error(root.get("/tenants/plain/settings/example"), 422, "plugin")  # example has no settings


def test_me_lists_the_callers_memberships(client, factory):
    alpha, beta = factory.tenant("alpha", name="甲"), factory.tenant("beta", name="乙")
    user_id, token = factory.user("wang", alpha, "field_staff")
    with client.application.app_context():
        tenant_ops.add_membership(beta, db.session.get(User, user_id), "viewer")
        db.session.commit()
    me = TenantClient(client, token, "").ok("GET", "/me")
    assert me["username"] == "wang" and me["is_platform_admin"] is False and me["id"] == user_id
    assert me["memberships"] == [{"tenant": "alpha", "tenant_name": "甲", "role": "field_staff"},
                                 {"tenant": "beta", "tenant_name": "乙", "role": "viewer"}]


def test_plugins_lists_titles_and_versions(client, factory):
    _, token = factory.user("anyone")
    plugins = {p["name"]: p for p in TenantClient(client, token, "").ok("GET", "/plugins")}
    assert plugins["core"]["title"] == {"zh": "网格化管理核心", "en": "Grid management core"}
    assert plugins["patrolrules"] == {"name": "patrolrules", "title": {"zh": "巡查规则", "en": "Patrol rules"},
                                      "version": "2.1", "description": "", "has_settings": True}
    assert plugins["example"]["version"] == "0.1.0" and plugins["example"]["has_settings"] is False
