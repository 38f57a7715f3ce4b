"""The core's own declarations, written as a plugin with the same hooks (named ``core``)."""
from marshmallow import Schema, fields, validate

from .plugins import EventType, Level, PlaceKind, PluginInfo, Role, hookimpl


class NotePayload(Schema):
    """A free-text observation from the field (现场记录)."""

    text = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    tags = fields.List(fields.String(validate=validate.Length(max=40)), load_default=list)


class VoidPayload(Schema):
    """Why an earlier event is void (作废); the event itself is kept."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class GenericPlaceAttributes(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=2000))


@hookimpl
def gridgov_plugin_info():
    return PluginInfo(title_zh="网格化管理核心", title_en="Grid management core", version="1.0",
                      description="Roles, event types and place kinds every tenant has.")


@hookimpl
def gridgov_grid_levels():
    return [Level("区域", "Area"), Level("片区", "Zone"), Level("网格", "Grid"), Level("子网格", "Sub-grid")]


@hookimpl
def gridgov_roles():
    return [
        Role("grid_worker", "网格员", "Grid worker", "grid"),
        Role("grid_leader", "网格长", "Grid leader", "grid"),
        Role("unit_staff", "单位工作人员", "Unit staff", "unit"),
    ]


@hookimpl
def gridgov_event_types():
    return [
        EventType("note", "现场记录", "Field note", NotePayload),
        EventType("void", "作废记录", "Void", VoidPayload, "Voids the event named by voids_id."),
    ]


@hookimpl
def gridgov_place_kinds():
    return [PlaceKind("generic", "一般场所", "Place", GenericPlaceAttributes)]


@hookimpl
def gridgov_scheduled_jobs():
    """The overdue sweep (超期巡检): flags the tenant's cases past a deadline and records a
    reminder for the person responsible. Referenced by path: declaring it imports nothing."""
    from .plugins import ScheduledJob

    return [ScheduledJob("overdue_sweep", "*/15 * * * *", "gridgov.operations.cases.sweep_overdue",
                         "超期案件巡检", "Overdue case sweep", per_tenant=True)]
