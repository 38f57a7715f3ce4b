"""Units (单位), people (人员), assignments (任职) and places (场所台账) in the console."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import InputRequired, Length, Optional

from flask import abort
from flask_login import current_user

from ..extensions import db
from ..models import Assignment, Person, Place, Unit
from ..operations import registers
from . import context
from .base import TenantScopedModelView, fmt_json, fmt_json_block
from .fields import LABELS, IdSelectField, JsonField, KeySelectField, grid_rows, member_rows, person_rows, unit_rows
from .helpers import registry, title


def _plugins():
    return registry().for_tenant(context.current().tenant)


class RegisterView(TenantScopedModelView):
    """Units, people, assignments and places share one set of operations."""

    column_labels = LABELS
    blanks: dict = {}  # optional text fields a blank input sets to this value

    def _clean(self, values: dict) -> dict:
        for field, empty in self.blanks.items():
            values[field] = values.get(field) or empty
        return values

    def create_object(self, values):
        return registers.create(self.model, self._clean(values))

    def update_object(self, obj, values):
        return registers.update(obj, self._clean(values))

    def delete_object(self, obj):
        registers.delete(obj)


class UnitForm(FlaskForm):
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=64)])
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    kind = StringField(_l("Kind"), validators=[Optional(), Length(max=64)])
    parent_id = IdSelectField(_l("Parent"), optional=True)
    grid_id = IdSelectField(_l("Grid"), optional=True)
    attributes = JsonField(_l("Attributes (JSON)"))


class UnitView(RegisterView):
    form = UnitForm
    blanks = {"kind": ""}
    column_list = ("code", "name", "kind", "parent", "grid")
    column_details_list = ("id", "code", "name", "kind", "parent", "grid", "attributes")
    column_default_sort = "code"
    column_sortable_list = ("code", "name", "kind")
    column_searchable_list = ("code", "name")
    column_formatters_detail = {"attributes": fmt_json_block}

    def prepare_form(self, form, obj=None):
        form.parent_id.set_rows(unit_rows(exclude_id=obj.id if obj is not None else None))
        form.grid_id.set_rows(grid_rows())
        return form


class PersonForm(FlaskForm):
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=64)])
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=100)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    user_id = IdSelectField(_l("Login"), optional=True)
    attributes = JsonField(_l("Attributes (JSON)"))


class PersonView(RegisterView):
    form = PersonForm
    blanks = {"phone": ""}
    column_list = ("code", "name", "phone", "attributes")
    column_details_list = ("id", "code", "name", "phone", "user_id", "attributes")
    column_default_sort = "code"
    column_sortable_list = ("code", "name")
    column_searchable_list = ("code", "name", "phone")
    column_formatters = {"attributes": fmt_json}
    column_formatters_detail = {"attributes": fmt_json_block}

    def prepare_form(self, form, obj=None):
        form.user_id.set_rows(member_rows())
        return form


class AssignmentForm(FlaskForm):
    person_id = IdSelectField(_l("Person"))
    role = KeySelectField(_l("Role"), validators=[InputRequired()])
    grid_id = IdSelectField(_l("Grid"), optional=True)
    unit_id = IdSelectField(_l("Unit"), optional=True)
    starts_on = DateField(_l("Starts on"), validators=[InputRequired()])
    ends_on = DateField(_l("Ends on"), validators=[Optional()])
    sheet_override = StringField(_l("Assessment sheet override"), validators=[Optional(), Length(max=96)])


def _fmt_role(view, ctx, model, name):
    role = _plugins().roles.get(model.role)
    return f"{title(role)} ({model.role})" if role else model.role


class AssignmentView(RegisterView):
    form = AssignmentForm
    blanks = {"sheet_override": None}
    column_list = ("person", "role", "grid", "unit", "starts_on", "ends_on")
    column_details_list = ("id", "person", "role", "grid", "unit", "starts_on", "ends_on", "sheet_override")
    column_default_sort = ("starts_on", True)
    column_sortable_list = ("role", "starts_on", "ends_on")
    column_formatters = {"role": _fmt_role}
    column_formatters_detail = {"role": _fmt_role}

    def prepare_form(self, form, obj=None):
        form.person_id.set_rows(person_rows())
        form.role.set_keys(_plugins().roles, keep=obj.role if obj is not None else None)
        form.grid_id.set_rows(grid_rows())
        form.unit_id.set_rows(unit_rows())
        return form


class PlaceForm(FlaskForm):
    grid_id = IdSelectField(_l("Grid"))
    kind = KeySelectField(_l("Kind"), validators=[InputRequired()])
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=64)])
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    attributes = JsonField(_l("Attributes (JSON)"))
    geometry = JsonField(_l("Geometry (GeoJSON)"), empty=None)


def _fmt_kind(view, ctx, model, name):
    kind = _plugins().place_kinds.get(model.kind)
    return f"{title(kind)} ({model.kind})" if kind else model.kind


class PlaceView(RegisterView):
    form = PlaceForm
    blanks = {"address": ""}
    column_list = ("kind", "code", "name", "grid", "address", "attributes")
    column_details_list = ("id", "kind", "code", "name", "grid", "address", "attributes", "geometry")
    column_default_sort = "code"
    column_sortable_list = ("kind", "code", "name")
    column_searchable_list = ("code", "name", "address")
    column_formatters = {"kind": _fmt_kind, "attributes": fmt_json}
    column_formatters_detail = {"kind": _fmt_kind, "attributes": fmt_json_block, "geometry": fmt_json_block}

    def prepare_form(self, form, obj=None):
        form.grid_id.set_rows(grid_rows())
        role = context.role()
        kinds = {k: v for k, v in _plugins().place_kinds.items() if v.may_read(role)}
        form.kind.set_keys(kinds, keep=obj.kind if obj is not None else None)
        return form

    # Personal kinds (PlaceKind.personal): hidden from roles that may not read them and, for
    # grid-scoped readers, outside the grids they are responsible for; 403 on such rows, and
    # each one shown written to the audit log as a read (committed at once: the page is a
    # read, nothing else commits it).

    @staticmethod
    def _scope():
        return registers.place_read_scope(context.role(), current_user.id if current_user.is_authenticated else None)

    def _hide_personal(self, query):
        condition = self._scope().condition()
        return query.filter(condition) if condition is not None else query

    def get_query(self):
        return self._hide_personal(super().get_query())

    def get_count_query(self):
        return self._hide_personal(super().get_count_query())

    def get_one(self, id):
        place = super().get_one(id)
        try:
            self._scope().check(place.kind, place.grid_id, context.role())
        except registers.Forbidden as exc:
            abort(403, description="; ".join(m for ms in exc.errors.values() for m in ms))
        registers.audit_place_reads([place], "console record")
        db.session.commit()
        return place

    def get_list(self, *args, **kwargs):
        count, rows = super().get_list(*args, **kwargs)
        rows = list(rows)
        registers.audit_place_reads(rows, "console list")
        db.session.commit()
        return count, rows

    def create_object(self, values):
        self._scope().check(values.get("kind"), values.get("grid_id"), context.role())
        return super().create_object(values)

    def update_object(self, obj, values):
        self._scope().check(values.get("kind", obj.kind), values.get("grid_id", obj.grid_id), context.role())
        return super().update_object(obj, values)


VIEWS = (
    (UnitView, Unit, _l("Units"), "units"),
    (PersonView, Person, _l("People"), "people"),
    (AssignmentView, Assignment, _l("Assignments"), "assignments"),
    (PlaceView, Place, _l("Places"), "places"),
)
