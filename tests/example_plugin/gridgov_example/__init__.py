"""An out-of-tree plugin, installed like any third-party one, that adds one event type."""
from marshmallow import Schema, fields, validate

from gridgov import hookimpl
from gridgov.plugins import EventType, PluginInfo


class WaterLevelPayload(Schema):
    """A river gauge reading (水位观测)."""

    gauge = fields.String(required=True)
    level_m = fields.Decimal(required=True, as_string=True, validate=validate.Range(min=0, max=100))


@hookimpl
def gridgov_plugin_info():
    return PluginInfo(title_zh="示例插件", title_en="Example plugin", version="0.1.0")


@hookimpl
def gridgov_event_types():
    return [EventType("water_level", "水位观测", "Water level reading", WaterLevelPayload)]
