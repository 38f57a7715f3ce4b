"""What a tenant's plugins declare, so a client knows its forms: event types with their payload
fields, the roles of assignments, the kinds of places."""
from __future__ import annotations

import functools

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import g
from flask.views import MethodView

from .access import tenant_blueprint
from .schemas import CatalogueEntry, EventTypeOut, RoleOut

blp = tenant_blueprint("catalogue", "What the tenant's plugins declare: event types (the forms), roles, place kinds.")
REF_PREFIX = "#/components/schemas/"


def _inline(node, components: dict, depth: int = 0):
    """Replace ``$ref`` to nested schemas by their definitions, so each payload schema stands
    alone (a self-referencing schema stops after a few levels)."""
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith(REF_PREFIX) and depth < 5:
            return _inline(components.get(ref[len(REF_PREFIX):], {}), components, depth + 1)
        return {k: _inline(v, components, depth) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, components, depth) for v in node]
    return node


@functools.lru_cache(maxsize=256)
def describe(schema: type) -> dict:
    """A payload schema as JSON Schema (by apispec, as in the OpenAPI document) and a flat list
    of its fields."""
    plugin = MarshmallowPlugin()
    spec = APISpec("payload", "1", "3.0.3", plugins=[plugin])
    json_schema = plugin.converter.schema2jsonschema(schema)
    json_schema = _inline(json_schema, spec.to_dict().get("components", {}).get("schemas", {}))
    required = set(json_schema.get("required", []))
    fields = [{"name": name, "type": prop.get("type", "object"), "format": prop.get("format", ""),
               "required": name in required, "description": prop.get("description", "")}
              for name, prop in json_schema.get("properties", {}).items()]
    return {"payload_fields": fields, "payload_schema": json_schema}


@blp.route("/event-types")
class EventTypes(MethodView):
    @blp.response(200, EventTypeOut(many=True))
    def get(self):
        """The event types this tenant may record, with their payload fields (the forms)."""
        return [{"key": et.key, "title_zh": et.title_zh, "title_en": et.title_en, "plugin": et.plugin,
                 "description": et.description, **describe(et.schema)}
                for et in g.tenant_plugins.event_types.values()]


@blp.route("/roles")
class Roles(MethodView):
    @blp.response(200, RoleOut(many=True))
    def get(self):
        """The roles an assignment may give in this tenant."""
        return list(g.tenant_plugins.roles.values())


@blp.route("/place-kinds")
class PlaceKinds(MethodView):
    @blp.response(200, CatalogueEntry(many=True))
    def get(self):
        """The kinds of place this tenant keeps registers of."""
        return list(g.tenant_plugins.place_kinds.values())
