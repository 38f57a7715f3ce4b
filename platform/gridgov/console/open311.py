"""Open311 API keys (公众上报接口密钥) in the console: the tenant administrator issues a key for a
reporting app — the plain key is shown once, in a message, and only its hash is kept — and
revokes it (the "Revoke" action on the list). Keys are never edited or deleted, so the cases
they reported keep naming them. See :mod:`gridgov.open311`.
"""
from __future__ import annotations

from flask import flash
from flask_admin.actions import action
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from ..models.open311 import Open311Key
from ..open311 import keys
from ..operations.errors import NotFound
from .base import TenantScopedModelView, apply, fmt_time
from .fields import IdSelectField, grid_rows

LABELS = {
    "id": _l("ID"), "name": _l("Name"), "prefix": _l("Key begins with"), "grid": _l("Intake grid"),
    "grid_id": _l("Intake grid"), "created_at": _l("Created at"), "last_used_at": _l("Last used at"),
    "revoked_at": _l("Revoked at"),
}


class KeyForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=100)],
                       description=_l("Which app or partner uses the key."))
    grid_id = IdSelectField(_l("Intake grid"), description=_l(
        "Reports land in this grid, or in the grid below it whose area holds the reported point."))


class Open311KeyView(TenantScopedModelView):
    form = KeyForm
    allow_edit = allow_delete = False
    column_list = ("name", "prefix", "grid", "created_at", "last_used_at", "revoked_at")
    column_details_list = ("id",) + column_list
    column_labels = LABELS
    column_default_sort = ("created_at", True)
    column_formatters = {"created_at": fmt_time, "last_used_at": fmt_time, "revoked_at": fmt_time}

    def prepare_form(self, form, obj=None):
        form.grid_id.set_rows(grid_rows())
        return form

    def create_object(self, values):
        key, plain = keys.issue_key(name=values["name"], grid_id=values["grid_id"], actor=current_user)
        flash(gettext("The new API key, shown only this once: %(key)s", key=plain), "warning")
        return key

    def is_action_allowed(self, name):
        return self.may_write() and super().is_action_allowed(name)

    @action("revoke", _l("Revoke"), _l("Revoke the selected keys? Apps using them can no longer report."))
    def action_revoke(self, ids):
        def revoke_all():
            revoked = 0
            for key_id in ids:
                try:
                    key = keys.get_key(key_id)
                except NotFound:
                    continue
                if key.revoked_at is None:
                    keys.revoke_key(key)
                    revoked += 1
            return revoked

        revoked = apply(None, revoke_all)
        if revoked is not False:
            flash(gettext("%(count)s keys were revoked.", count=revoked), "success")


VIEWS = ((Open311KeyView, Open311Key, _l("Open311 API keys"), "open311-keys"),)
