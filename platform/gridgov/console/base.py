"""The base views every console page is built on.

:class:`ConsoleModelView` routes every create, update and delete through the service layer
(``gridgov.operations``), so validation and the audit log are the API's, and turns an
:class:`OperationError` into messages on the form instead of a 500. Writes depend on the
login's role in the tenant (tenant admins write, other roles read).

:class:`TenantScopedModelView` is the one base for tenant-owned models. The tenancy mechanism
already filters every query by the request's scope; this class makes the three ways
Flask-Admin reads rows — ``get_query``, ``get_count_query`` *and* ``get_one``, which by
default bypasses ``get_query`` (flask-admin #1739) — refuse to run unless the scope is the
console's chosen tenant, and makes ``get_one`` a scoped SELECT that answers 404 for a row of
another tenant.
"""
from __future__ import annotations

from flask import abort, flash
from flask_admin.contrib.sqla import ModelView
from flask_babel import gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models.tenants import WRITE_ROLES
from ..operations.common import get
from ..operations.errors import NotFound, OperationError
from ..tenancy import TenantScopeError, current_tenant_id
from . import context
from .helpers import json_block, json_preview, local_time


def flatten_errors(errors, prefix: str = "") -> list[tuple[str, str]]:
    """(field, reason) pairs from an OperationError's (possibly nested) error dict."""
    out = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.extend(flatten_errors(value, name))
    elif isinstance(errors, (list, tuple)):
        for value in errors:
            out.extend(flatten_errors(value, prefix))
    else:
        out.append((prefix, str(errors)))
    return out


def show_errors(form, exc: OperationError) -> None:
    """Put each reason on the form field it names (``payload.text`` → ``payload``), and flash
    the whole list so a reason without a field on this form is seen too."""
    for field, reason in flatten_errors(exc.errors):
        head, _, rest = field.partition(".")
        target = form._fields.get(head) if form is not None else None
        if target is not None:
            target.errors = list(target.errors or []) + [f"{rest}: {reason}" if rest else reason]
        label = str(target.label.text) if target is not None else field.replace("_schema", "").strip(".")
        flash(f"{label}: {reason}" if label else reason, "error")


def apply(form, change):
    """Run one change through the service layer and commit; on an OperationError roll back
    (nothing half-written) and show the reasons. Returns the change's result, or False."""
    try:
        result = change()
        db.session.commit()
        return result
    except OperationError as exc:
        db.session.rollback()
        show_errors(form, exc)
    except IntegrityError:
        db.session.rollback()
        flash(gettext("The record conflicts with another one; nothing was saved."), "error")
    return False


class ConsoleModelView(ModelView):
    """A list/detail/form view whose writes go through ``create_object``, ``update_object`` and
    ``delete_object`` — thin calls into the operations."""

    console_scope = context.TENANT
    form_base_class = FlaskForm
    write_roles = WRITE_ROLES
    allow_create = allow_edit = allow_delete = True
    can_view_details = True
    action_disallowed_list = ["delete"]  # one row at a time, each through the operations
    page_size = 50

    def __init__(self, model, name, endpoint, url, category=None):
        super().__init__(model, db, name=name, category=category, endpoint=endpoint, url=url)

    # -- access -----------------------------------------------------------------------------

    def is_accessible(self) -> bool:
        return context.allows(self)

    def inaccessible_callback(self, name, **kwargs):
        return context.deny(self)

    def may_write(self) -> bool:
        if self.console_scope == context.PLATFORM:
            return bool(current_user.is_authenticated and current_user.is_platform_admin)
        return context.role() in self.write_roles

    @property
    def can_create(self):
        return self.allow_create and self.may_write()

    @property
    def can_edit(self):
        return self.allow_edit and self.may_write()

    @property
    def can_delete(self):
        return self.allow_delete and self.may_write()

    # -- reading ----------------------------------------------------------------------------

    def get_one(self, id):
        try:
            return get(self.model, id)
        except NotFound:
            abort(404)

    # -- forms ------------------------------------------------------------------------------

    def prepare_form(self, form, obj=None):
        """Fill choices that depend on the tenant (grids, roles, event types ...)."""
        return form

    def create_form(self, obj=None):
        return self.prepare_form(super().create_form(obj))

    def edit_form(self, obj=None):
        return self.prepare_form(super().edit_form(obj), obj)

    @staticmethod
    def form_values(form) -> dict:
        return {name: field.data for name, field in form._fields.items() if name != "csrf_token"}

    # -- writing through the operations -------------------------------------------------------

    def create_object(self, values: dict):
        raise NotImplementedError

    def update_object(self, obj, values: dict):
        raise NotImplementedError

    def delete_object(self, obj):
        raise NotImplementedError

    def create_model(self, form):
        return apply(form, lambda: self.create_object(self.form_values(form)))

    def update_model(self, form, model):
        return apply(form, lambda: self.update_object(model, self.form_values(form)) or True) is not False

    def delete_model(self, model):
        return apply(None, lambda: self.delete_object(model) or True) is not False


class TenantScopedModelView(ConsoleModelView):
    """The one base view for tenant-owned models (see the module docstring)."""

    def _check_scope(self) -> None:
        tenant = context.current().tenant
        if tenant is None or current_tenant_id() != tenant.id:
            raise TenantScopeError("a tenant console view ran outside its tenant's scope")

    def get_query(self):
        self._check_scope()
        return super().get_query()

    def get_count_query(self):
        self._check_scope()
        return super().get_count_query()

    def get_one(self, id):
        self._check_scope()
        return super().get_one(id)


class PlatformModelView(ConsoleModelView):
    """A platform administrator's view (tenants, users, memberships, the whole audit log)."""

    console_scope = context.PLATFORM


def fmt_time(view, ctx, model, name):
    return local_time(getattr(model, name))


def fmt_json(view, ctx, model, name):
    return json_preview(getattr(model, name))


def fmt_json_block(view, ctx, model, name):
    return json_block(getattr(model, name))
