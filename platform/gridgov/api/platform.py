"""Routes across tenants: the tenants themselves and their plugin settings (platform
administrators), and for every login its own account and the installed plugins."""
from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import select

from ..extensions import db
from ..models import Membership, Tenant
from ..models.base import to_json_safe
from ..operations import tenants as tenant_ops
from ..tenancy import platform_scope
from .access import api_blueprint, platform_blueprint
from .schemas import MeOut, PluginOut, SettingsDocument, TenantIn, TenantOut, TenantPatch

tenants = platform_blueprint("tenants", "/api/v1/tenants", "Tenants (租户) and their plugin settings; platform administrators only.")
account = api_blueprint("account", "/api/v1", "The caller's account and the installed plugins.")


def _tenant(slug: str) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug)) if tenant_ops.SLUG_RE.match(slug) else None
    if tenant is None:
        abort(404, message="tenant not found")
    return tenant


@tenants.route("")
class Tenants(MethodView):
    @tenants.response(200, TenantOut(many=True))
    def get(self):
        return db.session.scalars(select(Tenant).order_by(Tenant.slug)).all()

    @tenants.arguments(TenantIn)
    @tenants.response(201, TenantOut)
    def post(self, data):
        """Create a tenant with its plugins and, optionally, their settings."""
        slug, name = data.pop("slug"), data.pop("name")
        if "enabled_plugins" in data:
            data["plugins"] = data.pop("enabled_plugins")
        return tenant_ops.create_tenant(slug, name, **data)


@tenants.route("/<slug>")
class TenantItem(MethodView):
    @tenants.response(200, TenantOut)
    def get(self, slug):
        return _tenant(slug)

    @tenants.arguments(TenantPatch)
    @tenants.response(200, TenantOut)
    def patch(self, data, slug):
        """Rename a tenant, change its time zone or locale, or the plugins it enables."""
        return tenant_ops.update_tenant(_tenant(slug), **data)


@tenants.route("/<slug>/settings/<plugin>")
class TenantSettings(MethodView):
    @tenants.response(200, description="the settings document")
    def get(self, slug, plugin):
        """The tenant's settings of a plugin, the plugin's defaults filled in."""
        tenant = _tenant(slug)
        return to_json_safe(tenant_ops.settings_schema(plugin)().dump(tenant_ops.get_settings(tenant, plugin)))

    @tenants.arguments(SettingsDocument)
    @tenants.response(200, description="the settings document as stored")
    def put(self, data, slug, plugin):
        """Replace some or all settings; the plugin's settings schema validates the result."""
        tenant = _tenant(slug)
        loaded = tenant_ops.update_settings(tenant, plugin, data)
        return to_json_safe(tenant_ops.settings_schema(plugin)().dump(loaded))


@account.route("/me")
class Me(MethodView):
    @account.response(200, MeOut)
    def get(self):
        """The caller and the tenants it belongs to, with its role in each."""
        user = g.api_user
        with platform_scope():
            memberships = db.session.scalars(select(Membership).where(Membership.user_id == user.id)
                                             .join(Membership.tenant).order_by(Tenant.slug)).all()
            return {**{f: getattr(user, f) for f in MeOut().fields if f != "memberships"}, "memberships": memberships}


@account.route("/plugins")
class Plugins(MethodView):
    @account.response(200, PluginOut(many=True))
    def get(self):
        """The plugins installed on this service, with their titles and versions."""
        registry = tenant_ops.registry()
        return [{**vars(info), "has_settings": name in registry.settings_schemas} for name, info in registry.info.items()]
