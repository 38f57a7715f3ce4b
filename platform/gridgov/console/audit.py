"""The audit log (审计日志), read-only: a tenant sees its own entries, the platform all of them."""
from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import AuditEntry, Tenant
from .base import PlatformModelView, TenantScopedModelView, fmt_json, fmt_json_block, fmt_time
from .fields import LABELS


class AuditMixin:
    allow_create = allow_edit = allow_delete = False
    column_list = ("at", "username", "remote_addr", "action", "object_type", "object_id", "changes")
    column_details_list = ("id", "at", "user_id", "username", "remote_addr", "action", "object_type", "object_id", "changes")
    column_labels = LABELS
    column_default_sort = ("at", True)
    column_sortable_list = ("at", "username", "action", "object_type")
    column_searchable_list = ("username", "action", "object_type")
    column_formatters = {"at": fmt_time, "changes": fmt_json}
    column_formatters_detail = {"at": fmt_time, "changes": fmt_json_block}


class TenantAuditView(AuditMixin, TenantScopedModelView):
    pass


def _fmt_tenant(view, ctx, model, name):
    if model.tenant_id is None:
        return ""
    if "tenant_slugs" not in g:
        g.tenant_slugs = dict(db.session.execute(select(Tenant.id, Tenant.slug)).all())
    return g.tenant_slugs.get(model.tenant_id, model.tenant_id)


class PlatformAuditView(AuditMixin, PlatformModelView):
    column_list = ("at", "tenant_id") + AuditMixin.column_list[1:]
    column_details_list = ("id", "at", "tenant_id") + AuditMixin.column_details_list[2:]
    column_formatters = {**AuditMixin.column_formatters, "tenant_id": _fmt_tenant}
    column_formatters_detail = {**AuditMixin.column_formatters_detail, "tenant_id": _fmt_tenant}


TENANT_VIEWS = ((TenantAuditView, AuditEntry, _l("Audit log"), "audit"),)
PLATFORM_VIEWS = ((PlatformAuditView, AuditEntry, _l("Platform audit log"), "platform-audit"),)
