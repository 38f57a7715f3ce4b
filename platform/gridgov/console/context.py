"""The console's tenant context: which tenant a login works in, with which role.

A login with memberships in several tenants picks one (kept in the session); with one
membership it gets it automatically; a platform administrator may pick any tenant. Once per
console request, before the view runs, :func:`enter_request` sets the tenancy scope
(:func:`gridgov.tenancy.set_request_scope`): the chosen tenant for tenant views, the platform
scope for platform views (platform administrators only). Views never filter by tenant
themselves; they only ask :func:`allows` whether the request may see them at all.
"""
from __future__ import annotations

import dataclasses

from flask import abort, flash, g, redirect, request, session, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models import Membership, Tenant
from ..tenancy import platform_scope, set_request_scope

SESSION_KEY = "console_tenant_id"
TENANT, PLATFORM = "tenant", "platform"


@dataclasses.dataclass
class ConsoleContext:
    """The request's console state: the chosen tenant (or None), the role in it, and the
    tenants the login may switch to as (id, name, role)."""

    tenant: Tenant | None
    role: str | None
    choices: list[tuple[int, str, str]]


def load_choices(user) -> list[tuple[int, str, str]]:
    """The tenants this login may work in, with its role in each."""
    if user.is_platform_admin:
        rows = db.session.execute(select(Tenant.id, Tenant.name).order_by(Tenant.name)).all()
        roles = _membership_roles(user)
        return [(tid, name, roles.get(tid, "tenant_admin")) for tid, name in rows]
    with platform_scope():
        rows = db.session.execute(
            select(Tenant.id, Tenant.name, Membership.role)
            .join(Membership, Membership.tenant_id == Tenant.id)
            .where(Membership.user_id == user.id)
            .order_by(Tenant.name)
        ).all()
    return [(tid, name, role) for tid, name, role in rows]


def _membership_roles(user) -> dict[int, str]:
    with platform_scope():
        return dict(db.session.execute(select(Membership.tenant_id, Membership.role).where(Membership.user_id == user.id)).all())


def build_context() -> ConsoleContext:
    if not current_user.is_authenticated:
        return ConsoleContext(None, None, [])
    choices = load_choices(current_user)
    by_id = {tid: role for tid, _, role in choices}
    chosen = session.get(SESSION_KEY)
    if chosen not in by_id:
        chosen = choices[0][0] if len(choices) == 1 else None
    tenant = db.session.get(Tenant, chosen) if chosen is not None else None
    return ConsoleContext(tenant, by_id.get(chosen), choices)


def current() -> ConsoleContext:
    return g.get("console") or ConsoleContext(None, None, [])


def role() -> str | None:
    return current().role


def enter_request(view) -> None:
    """Build the context and set the tenancy scope for this request, once, before the view."""
    g.console = ctx = build_context()
    if not current_user.is_authenticated:
        return
    if getattr(view, "console_scope", TENANT) == PLATFORM:
        if current_user.is_platform_admin:
            set_request_scope(None)
    elif ctx.tenant is not None:
        set_request_scope(ctx.tenant.id)


def allows(view) -> bool:
    if not current_user.is_authenticated:
        return False
    if getattr(view, "console_scope", TENANT) == PLATFORM:
        return bool(current_user.is_platform_admin)
    return current().tenant is not None or getattr(view, "without_tenant", False)


def deny(view):
    """Anonymous → the login page; a login without a chosen tenant → the console index to
    choose one; anything else → 403."""
    if not current_user.is_authenticated:
        return redirect(url_for("console_auth.login", next=request.full_path))
    if getattr(view, "console_scope", TENANT) == TENANT and current().tenant is None:
        flash(gettext("Choose a tenant first."), "warning")
        return redirect(url_for("admin.index"))
    abort(403)


def choose(tenant_id) -> bool:
    """Switch the session to another tenant the login may work in."""
    try:
        tenant_id = int(tenant_id)
    except (TypeError, ValueError):
        return False
    if tenant_id not in {tid for tid, _, _ in current().choices}:
        return False
    session[SESSION_KEY] = tenant_id
    return True
