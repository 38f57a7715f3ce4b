"""The administration console (管理控制台): Flask-Admin at ``/admin`` behind ``/login``.

``init_app(app)`` builds one :class:`flask_admin.Admin` per app (``create_app`` may run many
times in one process), adds the views below and stores the Admin in
``app.extensions["gridgov_console"]``. Before every request to a view of that Admin — also a
view another module adds later — the tenancy scope is set once
(:func:`gridgov.console.context.enter_request`).

Views (menu order):

- tenant views, for the chosen tenant — Grids, Units, People, Assignments, Places, Events,
  Audit log; tenant admins write, other roles read (events: every role but viewer records);
- case work (:mod:`.cases`, :mod:`.case_metrics`) — the case queues and pages, case metrics;
- assessment (category "Assessment" 考核, :mod:`.assessment`) — runs, score sheets, judged inputs;
- reports (报表, :mod:`.reports`) — any report of the tenant's plugins, CSV and Excel downloads;
- platform views, for platform administrators (category "Platform") — Tenants, Users,
  Memberships, Plugin settings, Platform audit log, Working-day calendar (:mod:`.calendar`);
- background jobs (后台任务, :func:`gridgov.jobs.console.register_console`): the tenant's, and
  every job under "Platform".

Every page carries the working-day calendar's fallback banner and, for tenant administrators and
assessors, the plugins' notices (:mod:`.notices`, ``console/frame.html``).
"""
from __future__ import annotations

from flask import g, request
from flask_admin import Admin, BaseView
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from . import audit, auth, calendar, case_metrics, cases, context, events, grids, notices, platform, registers, settings
from . import assessment, open311, surveys
from . import reports as report_views
from .helpers import is_english, lang_url, local_time, title
from .index import ConsoleIndexView

PLATFORM_CATEGORY = _l("Platform")


def build_views() -> list:
    views = []
    tenant_views = grids.VIEWS + registers.VIEWS + events.VIEWS + audit.TENANT_VIEWS + surveys.VIEWS + open311.VIEWS
    for cls, model, name, url in tenant_views:
        views.append(cls(model, name=name, endpoint=f"console_{url.replace('-', '_')}", url=url))
    for cls, name, url in cases.VIEWS + case_metrics.VIEWS:
        views.append(cls(name=name, endpoint=f"console_{url.replace('-', '_')}", url=url))
    for cls, name, url in assessment.VIEWS:
        views.append(cls(name=name, endpoint=f"console_{url.replace('-', '_')}", url=url, category=assessment.CATEGORY))
    for cls, name, url in report_views.VIEWS:  # 报表
        views.append(cls(name=name, endpoint=f"console_{url.replace('-', '_')}", url=url))
    for cls, model, name, url in platform.VIEWS + audit.PLATFORM_VIEWS:
        views.append(cls(model, name=name, endpoint=f"console_{url.replace('-', '_')}", url=url, category=PLATFORM_CATEGORY))
    for cls, name, url in settings.VIEWS + calendar.VIEWS:
        views.append(cls(name=name, endpoint=f"console_{url.replace('-', '_')}", url=url, category=PLATFORM_CATEGORY))
    return views


def init_app(app) -> None:
    auth.init_app(app)
    admin = Admin(app, name=_l("Grid management console"), index_view=ConsoleIndexView(),
                  theme=Bootstrap4Theme(base_template="console/frame.html", fluid=True))
    admin.add_views(*build_views())
    for group in app.extensions["gridgov_pm"].hook.gridgov_console_views():  # plugins' own pages
        admin.add_views(*(group or ()))
    from ..jobs.console import register_console  # it builds on this package's views

    register_console(admin, platform_category=PLATFORM_CATEGORY)
    app.extensions["gridgov_console"] = admin

    @app.before_request
    def _console_scope():
        # Any view of this Admin — including views other modules add later — gets its scope here.
        view = getattr(app.view_functions.get(request.endpoint), "__self__", None)
        if isinstance(view, BaseView) and view.admin is admin:
            context.enter_request(view)

    @app.context_processor
    def _console_helpers():
        return {"console": g.get("console"), "console_lang_url": lang_url, "console_is_english": is_english,
                "plugin_title": title, "console_fallback_years": calendar.fallback_years,
                "console_plugin_notices": notices.plugin_notices,
                "console_local_time": local_time}
