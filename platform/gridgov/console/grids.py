"""The grid tree (网格) in the console."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from ..models import Grid
from ..operations import grids as grid_ops
from . import context
from .base import TenantScopedModelView, fmt_json, fmt_json_block
from .fields import LABELS, IdSelectField, JsonField, grid_rows
from .helpers import is_english, registry


class GridForm(FlaskForm):
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=64)])
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    parent_id = IdSelectField(_l("Parent"), optional=True)
    attributes = JsonField(_l("Attributes (JSON)"))
    geometry = JsonField(_l("Geometry (GeoJSON)"), empty=None)


def level_name(level: int) -> str:
    plugins = registry().for_tenant(context.current().tenant)
    return plugins.level_name(level, "en" if is_english() else "zh")


def _fmt_tree_name(view, ctx, model, name):
    return Markup("&emsp;" * model.level) + escape(model.name)


def _fmt_level(view, ctx, model, name):
    return level_name(model.level)


class GridView(TenantScopedModelView):
    """Listed in tree order (the materialised path); moving a grid is editing its parent."""

    form = GridForm
    column_list = ("code", "name", "level", "parent", "attributes")
    column_details_list = ("id", "code", "name", "level", "parent", "path", "attributes", "geometry")
    column_labels = LABELS
    column_default_sort = "path"
    column_sortable_list = ("code", "path")
    column_searchable_list = ("code", "name")
    column_formatters = {"name": _fmt_tree_name, "level": _fmt_level, "attributes": fmt_json}
    column_formatters_detail = {"level": _fmt_level, "attributes": fmt_json_block, "geometry": fmt_json_block}

    def prepare_form(self, form, obj=None):
        form.parent_id.set_rows(grid_rows(exclude_path=obj.path if obj is not None else None))
        return form

    def create_object(self, values):
        return grid_ops.create_grid(**values)

    def update_object(self, obj, values):
        return grid_ops.update_grid(obj, **values)

    def delete_object(self, obj):
        grid_ops.delete_grid(obj)


VIEWS = ((GridView, Grid, _l("Grids"), "grids"),)
