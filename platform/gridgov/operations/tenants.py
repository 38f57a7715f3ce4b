"""Tenants, their plugins and settings, logins and memberships."""
from __future__ import annotations

import re
import zoneinfo

import marshmallow
from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import TENANT_ROLES, ApiToken, Membership, Tenant, User
from ..models.base import to_json_safe
from ..plugins import CORE, Registry
from ..tenancy import platform_scope
from . import audit
from .errors import Conflict, OperationError

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
LOCALES = ("zh_Hans", "en")


def registry() -> Registry:
    return current_app.extensions["gridgov_registry"]


def _check_plugins(plugins) -> list[str]:
    known = set(registry().info)
    plugins = [p for p in (plugins or []) if p != CORE]
    unknown = [p for p in plugins if p not in known]
    if unknown:
        raise OperationError({"enabled_plugins": [f"unknown plugin: {', '.join(unknown)}"]})
    return sorted(set(plugins), key=plugins.index)


def validate_tenant_fields(slug: str | None = None, timezone: str | None = None, locale: str | None = None) -> None:
    errors = {}
    if slug is not None and not SLUG_RE.match(slug or ""):
        errors["slug"] = ["2–63 lowercase letters, digits or hyphens, starting with a letter or digit"]
    if timezone is not None:
        try:
            zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            errors["timezone"] = [f"unknown time zone: {timezone}"]
    if locale is not None and locale not in LOCALES:
        errors["locale"] = [f"must be one of {', '.join(LOCALES)}"]
    if errors:
        raise OperationError(errors)


def create_tenant(slug: str, name: str, *, timezone: str = "Asia/Shanghai", locale: str = "zh_Hans",
                  plugins=(), settings: dict | None = None) -> Tenant:
    validate_tenant_fields(slug, timezone, locale)
    if not (name or "").strip():
        raise OperationError({"name": ["required"]})
    with platform_scope():
        if db.session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
            raise Conflict({"slug": [f"a tenant {slug!r} exists already"]})
        tenant = Tenant(slug=slug, name=name.strip(), timezone=timezone, locale=locale,
                        enabled_plugins=_check_plugins(plugins), settings={})
        db.session.add(tenant)
        db.session.flush()
        for plugin, data in (settings or {}).items():
            try:
                update_settings(tenant, plugin, data)
            except OperationError as exc:  # name the field as the caller gave it
                raise OperationError({"settings": {plugin: exc.errors}}) from exc
        audit.record("create", tenant, tenant_id=tenant.id,
                     changes={"slug": slug, "name": name, "plugins": tenant.enabled_plugins})
        db.session.flush()
    return tenant


def update_tenant(tenant: Tenant, **changes) -> Tenant:
    allowed = {"name", "timezone", "locale", "enabled_plugins"}
    unknown = set(changes) - allowed
    if unknown:
        raise OperationError({f: ["unknown field"] for f in unknown})
    validate_tenant_fields(timezone=changes.get("timezone"), locale=changes.get("locale"))
    if "enabled_plugins" in changes:
        changes["enabled_plugins"] = _check_plugins(changes["enabled_plugins"])
    before = audit.snapshot(tenant, changes)
    for k, v in changes.items():
        setattr(tenant, k, v)
    with platform_scope():
        audit.record("update", tenant, tenant_id=tenant.id, changes=audit.diff(before, changes))
        db.session.flush()
    return tenant


def settings_schema(plugin: str):
    schema = registry().settings_schemas.get(plugin)
    if schema is None:
        raise OperationError({"plugin": [f"plugin {plugin!r} has no settings"]})
    return schema


def get_settings(tenant: Tenant, plugin: str) -> dict:
    """The tenant's settings of a plugin, typed, with the plugin's defaults filled in."""
    return settings_schema(plugin)().load((tenant.settings or {}).get(plugin, {}))


def update_settings(tenant: Tenant, plugin: str, data: dict) -> dict:
    """Validate ``data`` (a full or partial settings document) and store it."""
    if plugin != CORE and plugin not in (tenant.enabled_plugins or []):
        raise OperationError({"plugin": [f"plugin {plugin!r} is not enabled for this tenant"]})
    schema = settings_schema(plugin)()
    merged = {**(tenant.settings or {}).get(plugin, {}), **(data or {})}
    try:
        loaded = schema.load(merged)
    except marshmallow.ValidationError as exc:
        raise OperationError(exc.messages) from exc
    stored = to_json_safe(schema.dump(loaded))
    before = (tenant.settings or {}).get(plugin, {})
    tenant.settings = {**(tenant.settings or {}), plugin: stored}
    with platform_scope():
        audit.record("settings", tenant, tenant_id=tenant.id, changes={plugin: audit.diff(before, stored)})
        db.session.flush()
    return loaded


def create_user(username: str, password: str, *, display_name: str = "", platform_admin: bool = False) -> User:
    errors = {}
    if not re.match(r"^[A-Za-z0-9_.@-]{2,80}$", username or ""):
        errors["username"] = ["2–80 letters, digits or _ . @ -"]
    if len(password or "") < 8:
        errors["password"] = ["at least 8 characters"]
    if errors:
        raise OperationError(errors)
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict({"username": [f"user {username!r} exists already"]})
    user = User(username=username, display_name=display_name or username, is_platform_admin=platform_admin)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    with platform_scope():
        audit.record("create", user, tenant_id=None, changes={"username": username, "platform_admin": platform_admin})
        db.session.flush()
    return user


def add_membership(tenant: Tenant, user: User, role: str) -> Membership:
    if role not in TENANT_ROLES:
        raise OperationError({"role": [f"must be one of {', '.join(TENANT_ROLES)}"]})
    with platform_scope():
        existing = db.session.scalar(select(Membership).where(Membership.tenant_id == tenant.id, Membership.user_id == user.id))
        if existing is not None:
            existing.role = role
            membership = existing
        else:
            membership = Membership(tenant_id=tenant.id, user_id=user.id, role=role)
            db.session.add(membership)
        db.session.flush()
        audit.record("grant", membership, tenant_id=tenant.id, changes={"user": user.username, "role": role})
        db.session.flush()
    return membership


def issue_token(user: User, name: str = "") -> str:
    token, plain = ApiToken.issue(user, name)
    db.session.add(token)
    db.session.flush()
    return plain


def role_in(user: User, tenant: Tenant) -> str | None:
    """The user's role in the tenant; platform admins act as tenant admins everywhere."""
    with platform_scope():
        role = db.session.scalar(select(Membership.role).where(Membership.tenant_id == tenant.id, Membership.user_id == user.id))
    if role is None and user.is_platform_admin:
        return "tenant_admin"
    return role
