"""The platform administrator's views: tenants (租户), users (用户) and memberships (成员).

Tenants and memberships are created and changed through ``operations.tenants``. Two changes
the operations do not offer yet — editing a login and revoking a membership — are the two
small functions below, written the operations' way (validate, change, flush, audit).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length, Optional

from ..extensions import db
from ..models import TENANT_ROLES, Membership, Tenant, User
from ..operations import audit, tenants as tenant_ops
from ..operations.common import get
from ..operations.errors import OperationError
from ..plugins import CORE
from ..tenancy import platform_scope
from .base import PlatformModelView, fmt_time
from .fields import LABELS, IdSelectField
from .helpers import registry, tenant_role_title, title

LOCALE_CHOICES = [SelectChoice("zh_Hans", "简体中文"), SelectChoice("en", "English")]


def plugin_choices() -> list[SelectChoice]:
    """Installed plugins with their Chinese and English titles from the registry."""
    return [SelectChoice(name, f"{info.title_zh} / {info.title_en} ({name})")
            for name, info in registry().info.items() if name != CORE]


class TenantCreateForm(FlaskForm):
    slug = StringField(_l("Slug"), validators=[InputRequired(), Length(max=64)])
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    timezone = StringField(_l("Time zone"), default="Asia/Shanghai", validators=[InputRequired(), Length(max=64)])
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES, default="zh_Hans")
    enabled_plugins = SelectMultipleField(_l("Enabled plugins"))


class TenantEditForm(TenantCreateForm):
    slug = None  # the slug names the tenant in URLs and tokens; it never changes


def _fmt_plugins(view, ctx, model, name):
    info = registry().info
    return ", ".join(title(info[p]) if p in info else p for p in (model.enabled_plugins or []))


class TenantView(PlatformModelView):
    allow_delete = False
    column_list = ("slug", "name", "timezone", "locale", "enabled_plugins", "created_at")
    column_details_list = ("id",) + column_list
    column_labels = LABELS
    column_default_sort = "slug"
    column_sortable_list = ("slug", "name", "created_at")
    column_searchable_list = ("slug", "name")
    column_formatters = column_formatters_detail = {"enabled_plugins": _fmt_plugins, "created_at": fmt_time}

    def get_create_form(self):
        return TenantCreateForm

    def get_edit_form(self):
        return TenantEditForm

    def prepare_form(self, form, obj=None):
        form.enabled_plugins.choices = plugin_choices()
        return form

    def create_object(self, values):
        return tenant_ops.create_tenant(values["slug"].strip(), values["name"], timezone=values["timezone"].strip(),
                                        locale=values["locale"], plugins=values["enabled_plugins"])

    def update_object(self, obj, values):
        values["timezone"] = values["timezone"].strip()
        return tenant_ops.update_tenant(obj, **values)


class UserCreateForm(FlaskForm):
    username = StringField(_l("Username"), validators=[InputRequired(), Length(max=80)])
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=200)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=200)])
    is_platform_admin = BooleanField(_l("Platform administrator"))


class UserEditForm(FlaskForm):
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=200)])
    password = PasswordField(_l("New password (blank: unchanged)"), validators=[Optional(), Length(max=200)])
    is_platform_admin = BooleanField(_l("Platform administrator"))
    active = BooleanField(_l("Active"))
    locale = SelectField(_l("Language"), choices=[SelectChoice("", "—")] + LOCALE_CHOICES)


def update_user(user: User, *, display_name: str, password: str | None, is_platform_admin: bool, active: bool,
                locale: str | None) -> User:
    """Edit a login. The hash is never shown or logged; the audit says only that it changed."""
    if password and len(password) < 8:
        raise OperationError({"password": ["at least 8 characters"]})
    if locale and locale not in tenant_ops.LOCALES:
        raise OperationError({"locale": [f"must be one of {', '.join(tenant_ops.LOCALES)}"]})
    changes = {"display_name": display_name or user.username, "is_platform_admin": bool(is_platform_admin),
               "active": bool(active), "locale": locale or None}
    before = audit.snapshot(user, changes)
    for key, value in changes.items():
        setattr(user, key, value)
    diff = audit.diff(before, changes)
    if password:
        user.set_password(password)
        diff["password"] = "changed"
    db.session.flush()
    with platform_scope():
        audit.record("update", user, tenant_id=None, changes=diff)
    return user


class UserView(PlatformModelView):
    allow_delete = False  # a login with history is deactivated, not deleted
    column_list = ("username", "display_name", "is_platform_admin", "active", "locale", "created_at")
    column_details_list = ("id",) + column_list
    column_labels = LABELS
    column_default_sort = "username"
    column_sortable_list = ("username", "display_name", "created_at")
    column_searchable_list = ("username", "display_name")
    column_formatters = column_formatters_detail = {"created_at": fmt_time}

    def get_create_form(self):
        return UserCreateForm

    def get_edit_form(self):
        return UserEditForm

    def create_object(self, values):
        return tenant_ops.create_user(values["username"].strip(), values["password"], display_name=values["display_name"] or "",
                                      platform_admin=bool(values["is_platform_admin"]))

    def update_object(self, obj, values):
        return update_user(obj, **values)


class MembershipCreateForm(FlaskForm):
    tenant_id = IdSelectField(_l("Tenant"))
    user_id = IdSelectField(_l("Login"))
    role = SelectField(_l("Role"), validators=[InputRequired()])


class MembershipEditForm(FlaskForm):
    role = SelectField(_l("Role"), validators=[InputRequired()])


def revoke_membership(membership: Membership) -> None:
    with platform_scope():
        audit.record("revoke", membership, changes={"user": membership.user.username, "role": membership.role})
        db.session.delete(membership)
        db.session.flush()


def _fmt_role(view, ctx, model, name):
    return tenant_role_title(model.role)


class MembershipView(PlatformModelView):
    column_list = ("tenant", "user", "role")
    column_details_list = ("id", "tenant", "user", "role")
    column_labels = LABELS
    column_sortable_list = ("role",)
    column_formatters = column_formatters_detail = {"role": _fmt_role}

    def get_create_form(self):
        return MembershipCreateForm

    def get_edit_form(self):
        return MembershipEditForm

    def prepare_form(self, form, obj=None):
        form.role.choices = [SelectChoice(key, tenant_role_title(key)) for key in TENANT_ROLES]
        if obj is None:
            form.tenant_id.set_rows(db.session.execute(select(Tenant.id, Tenant.name).order_by(Tenant.name)).all())
            form.user_id.set_rows(db.session.execute(select(User.id, User.username).order_by(User.username)).all())
        return form

    def create_object(self, values):
        tenant, user = get(Tenant, values["tenant_id"]), get(User, values["user_id"])
        return tenant_ops.add_membership(tenant, user, values["role"])

    def update_object(self, obj, values):
        return tenant_ops.add_membership(obj.tenant, obj.user, values["role"])

    def delete_object(self, obj):
        revoke_membership(obj)


VIEWS = (
    (TenantView, Tenant, _l("Tenants"), "tenants"),
    (UserView, User, _l("Users"), "users"),
    (MembershipView, Membership, _l("Memberships"), "memberships"),
)
