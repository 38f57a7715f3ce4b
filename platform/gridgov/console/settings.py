"""Plugin settings (插件设置): a form generated from the plugin's marshmallow settings schema.

The platform administrator picks a tenant and one of its plugins that has settings; the form
shows one input per schema field, labelled with the field's ``title_zh``/``title_en``
metadata and prefilled with the tenant's values (the plugin's defaults where never set).
Values are handed to ``operations.tenants.update_settings`` as the text typed, so the schema —
not the form — parses and validates them, and its messages appear next to the fields.
"""
from __future__ import annotations

import json

import marshmallow
from flask import flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import escape
from marshmallow import fields as mf, validate as mv
from sqlalchemy import select
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField

from ..extensions import db
from ..models import Tenant
from ..models.base import to_json_safe
from ..operations import tenants as tenant_ops
from ..plugins import Registry
from . import context
from .base import apply
from .helpers import is_english, registry, title

STRUCTURED = (mf.List, mf.Tuple, mf.Dict, mf.Nested, mf.Raw, mf.Pluck)


def _label(name: str, field: mf.Field) -> str:
    meta = field.metadata or {}
    return meta.get("title_en" if is_english() else "title_zh") or meta.get("title_zh") or meta.get("title_en") or name


def _one_of(field: mf.Field):
    return next((v for v in field.validators if isinstance(v, mv.OneOf)), None)


def _form_field(name: str, field: mf.Field):
    label = _label(name, field)
    description = escape(f"{name} — {field.metadata.get('description', '')}".rstrip(" —"))
    if isinstance(field, mf.Boolean):
        return BooleanField(label, description=description)
    if isinstance(field, STRUCTURED):
        return TextAreaField(label, description=description, render_kw={"rows": 6, "class": "form-control text-monospace"})
    one_of = _one_of(field)
    if one_of is not None:
        labels = list(one_of.labels) if one_of.labels else [str(c) for c in one_of.choices]
        return SelectField(label, description=description, validate_choice=False,
                           choices=[SelectChoice(str(c), str(lbl)) for c, lbl in zip(one_of.choices, labels)])
    return StringField(label, description=description)


def settings_form(schema: marshmallow.Schema, values: dict | None, formdata=None):
    """A FlaskForm class for ``schema`` (one input per loadable field), bound to ``formdata``
    or prefilled with ``values`` (as the schema dumps them)."""
    loadable = {(f.data_key or n): f for n, f in schema.fields.items() if not f.dump_only}

    class SettingsForm(FlaskForm):
        pass

    for key, field in loadable.items():
        setattr(SettingsForm, key, _form_field(key, field))
    data = {}
    for key, field in loadable.items():
        value = (values or {}).get(key)
        if isinstance(field, STRUCTURED):
            data[key] = "" if value is None else json.dumps(value, ensure_ascii=False, indent=2)
        elif isinstance(field, mf.Boolean):
            data[key] = bool(value)
        else:
            data[key] = "" if value is None else str(value)
    return SettingsForm(formdata=formdata, data=data), loadable


def submitted_values(form, loadable: dict) -> dict | None:
    """The typed-in values as the schema should see them; None (with field errors) if a JSON
    input does not parse."""
    values, ok = {}, True
    for key, field in loadable.items():
        raw = form[key].data
        if isinstance(field, mf.Boolean):
            values[key] = bool(raw)
        elif isinstance(field, STRUCTURED):
            try:
                values[key] = json.loads(raw) if (raw or "").strip() else None
            except ValueError as exc:
                form[key].errors = [gettext("Not valid JSON: %(reason)s", reason=str(exc))]
                ok = False
        else:
            values[key] = None if raw in ("", None) and field.allow_none else (raw or "")
    return values if ok else None


class PluginSettingsView(BaseView):
    console_scope = context.PLATFORM

    def is_accessible(self) -> bool:
        return context.allows(self)

    def inaccessible_callback(self, name, **kwargs):
        return context.deny(self)

    @expose("/", methods=("GET", "POST"))
    def index(self):
        tenants = db.session.scalars(select(Tenant).order_by(Tenant.name)).all()
        tenant = next((t for t in tenants if str(t.id) == request.args.get("tenant_id")), None)
        plugins = [p for p in Registry.enabled(tenant) if p in registry().settings_schemas] if tenant else []
        plugin = request.args.get("plugin") if request.args.get("plugin") in plugins else None
        form = None
        if tenant is not None and plugin is not None:
            schema = tenant_ops.settings_schema(plugin)()
            if request.method == "POST":
                form, loadable = settings_form(schema, None, formdata=request.form)
                values = submitted_values(form, loadable) if form.validate() else None
                if values is not None and apply(form, lambda: tenant_ops.update_settings(tenant, plugin, values)) is not False:
                    flash(gettext("Settings saved."), "success")
                    return redirect(url_for(".index", tenant_id=tenant.id, plugin=plugin))
            else:
                form, _ = settings_form(schema, self._current(tenant, plugin, schema))
        return self.render("console/plugin_settings.html", tenants=tenants, tenant=tenant, plugin=plugin,
                           plugins=[(p, title(registry().info[p])) for p in plugins], form=form)

    @staticmethod
    def _current(tenant, plugin, schema) -> dict:
        """The stored values with the plugin's defaults, as the schema dumps them; stored values
        the schema no longer accepts are shown as stored, with a warning."""
        try:
            return to_json_safe(schema.dump(tenant_ops.get_settings(tenant, plugin)))
        except marshmallow.ValidationError as exc:
            flash(gettext("The stored settings do not pass the plugin's schema: %(errors)s", errors=exc.messages), "warning")
            return (tenant.settings or {}).get(plugin, {})


VIEWS = ((PluginSettingsView, _l("Plugin settings"), "plugin-settings"),)
