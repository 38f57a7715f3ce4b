"""The console's home page (首页): the current tenant, its plugins and its register counts, and
the switcher between the tenants a login works in."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..models import Event, Grid, Person, Place, Tenant, User
from ..plugins import Registry
from . import context
from .helpers import registry, tenant_role_title

COUNTED = ((Grid, _l("Grids")), (Person, _l("People")), (Place, _l("Places")), (Event, _l("Events")))


class ConsoleIndexView(AdminIndexView):
    console_scope = context.TENANT
    without_tenant = True  # the page where a tenant is chosen

    def __init__(self):
        super().__init__(name=_l("Home"), template="console/index.html")

    def is_accessible(self) -> bool:
        return context.allows(self)

    def inaccessible_callback(self, name, **kwargs):
        return context.deny(self)

    @expose("/")
    def index(self):
        ctx = context.current()
        counts, plugins, platform = [], [], None
        if ctx.tenant is not None:
            counts = [(label, db.session.scalar(select(func.count()).select_from(model))) for model, label in COUNTED]
            info = registry().info
            plugins = [info[name] for name in Registry.enabled(ctx.tenant) if name in info]
        elif current_user.is_platform_admin:
            platform = {"tenants": db.session.scalar(select(func.count()).select_from(Tenant)),
                        "users": db.session.scalar(select(func.count()).select_from(User))}
        return self.render(self._template, ctx=ctx, counts=counts, plugins=plugins, platform=platform,
                           role_title=tenant_role_title(ctx.role) if ctx.role else "")

    @expose("/tenant", methods=("POST",))
    def switch_tenant(self):
        if context.choose(request.form.get("tenant_id")):
            flash(gettext("Switched tenant."), "success")
        else:
            flash(gettext("You cannot work in that tenant."), "error")
        return redirect(url_for(".index"))
