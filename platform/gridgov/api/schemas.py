"""marshmallow schemas of the API: what a client sends (``…In``), may filter by (``…Query``)
and gets back (``…Out``). Unknown body fields are refused (marshmallow 4's default); query
strings ignore unknown parameters such as ``lang``.

Input schemas check types and sizes so nothing a column cannot hold reaches the database; the
rules of the domain (codes unique in the tenant, references inside the tenant, roles and place
kinds the tenant's plugins know) stay in :mod:`gridgov.operations`, shared with the console and
the CLI.
"""
from __future__ import annotations

import zoneinfo

from flask import g
from marshmallow import Schema, fields, validate
from marshmallow.utils import get_value

MAX_ID = 2**63 - 1
PAGE_SIZE = 100


def Id(**kw):
    """An id in a JSON body: a real integer, not "5" or true."""
    return fields.Integer(strict=True, validate=validate.Range(1, MAX_ID), **kw)


def QueryId(**kw):
    return fields.Integer(validate=validate.Range(1, MAX_ID), **kw)


def Text(max_length: int, *, required: bool = False, min_length: int = 0, **kw):
    return fields.String(required=required, validate=validate.Length(min_length, max_length), **kw)


def Bilingual(zh: str, en: str):
    return fields.Function(lambda obj: {"zh": get_value(obj, zh), "en": get_value(obj, en)})


# -- paging --------------------------------------------------------------------------------

class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, 10**9))
    page_size = fields.Integer(load_default=PAGE_SIZE, validate=validate.Range(1, 1000))


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """``{"items": [...], "total": n, "page": p, "page_size": s}`` around ``item``."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item)),
        "total": fields.Integer(),
        "page": fields.Integer(),
        "page_size": fields.Integer(),
    }, name=name)


# -- platform ------------------------------------------------------------------------------

class TenantOut(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    timezone = fields.String()
    locale = fields.String()
    enabled_plugins = fields.List(fields.String())
    created_at = fields.DateTime()


class TenantPatch(Schema):
    name = Text(200, min_length=1)
    timezone = Text(64)
    locale = Text(16)
    enabled_plugins = fields.List(Text(64))


class TenantIn(TenantPatch):
    slug = Text(64, required=True)
    name = Text(200, required=True, min_length=1)
    settings = fields.Dict(keys=fields.String(), values=fields.Dict(),
                           metadata={"description": "{plugin: settings}, validated by each plugin's schema"})


class SettingsDocument(Schema):
    """A plugin's settings; the plugin's own schema validates them (a PUT may be partial)."""

    class Meta:
        unknown = "include"


class PluginOut(Schema):
    name = fields.String()
    title = Bilingual("title_zh", "title_en")
    version = fields.String()
    description = fields.String()
    has_settings = fields.Boolean()


class MembershipOut(Schema):
    tenant = fields.String(attribute="tenant.slug")
    tenant_name = fields.String(attribute="tenant.name")
    role = fields.String()


class MeOut(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    is_platform_admin = fields.Boolean()
    locale = fields.String(allow_none=True)
    memberships = fields.List(fields.Nested(MembershipOut))


# -- grids and registers -------------------------------------------------------------------

def level_name(grid) -> dict:
    plugins = g.tenant_plugins
    return {"zh": plugins.level_name(grid.level, "zh"), "en": plugins.level_name(grid.level, "en")}


class GridIn(Schema):
    code = Text(64, required=True, min_length=1)
    name = Text(200, required=True, min_length=1)
    parent_id = Id(allow_none=True, metadata={"description": "null for a root; a change moves the subtree"})
    attributes = fields.Dict(keys=fields.String())
    geometry = fields.Dict(allow_none=True, metadata={"description": "a GeoJSON geometry object"})


class GridOut(Schema):
    id = fields.Integer()
    parent_id = fields.Integer(allow_none=True)
    code = fields.String()
    name = fields.String()
    level = fields.Integer(metadata={"description": "depth in the tree, 0 for a root"})
    level_name = fields.Function(level_name, metadata={"description": "{zh, en} name of the level from the tenant's plugins"})
    path = fields.String()
    attributes = fields.Dict()
    geometry = fields.Dict(allow_none=True)


class GridQuery(PageQuery):
    parent_id = QueryId()
    level = fields.Integer(validate=validate.Range(0, 1000))
    code = Text(64)


class UnitIn(Schema):
    code = Text(64, required=True, min_length=1)
    name = Text(200, required=True, min_length=1)
    kind = Text(64)
    parent_id = Id(allow_none=True)
    grid_id = Id(allow_none=True)
    attributes = fields.Dict(keys=fields.String())


class UnitOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    parent_id = fields.Integer(allow_none=True)
    grid_id = fields.Integer(allow_none=True)
    attributes = fields.Dict()


class UnitQuery(PageQuery):
    code = Text(64)
    kind = Text(64)
    grid_id = QueryId()
    parent_id = QueryId()


class PersonIn(Schema):
    code = Text(64, required=True, min_length=1)
    name = Text(100, required=True, min_length=1)
    phone = Text(32)
    user_id = Id(allow_none=True, metadata={"description": "the login of a member of this tenant"})
    attributes = fields.Dict(keys=fields.String())


class PersonOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    phone = fields.String()
    user_id = fields.Integer(allow_none=True)
    attributes = fields.Dict()


class PersonQuery(PageQuery):
    code = Text(64)
    name = Text(100)


class AssignmentIn(Schema):
    person_id = Id(required=True)
    role = Text(96, required=True, min_length=1, metadata={"description": "a role key of the tenant's plugins"})
    grid_id = Id(allow_none=True)
    unit_id = Id(allow_none=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(allow_none=True)
    sheet_override = Text(96, allow_none=True)


class AssignmentOut(Schema):
    id = fields.Integer()
    person_id = fields.Integer()
    role = fields.String()
    grid_id = fields.Integer(allow_none=True)
    unit_id = fields.Integer(allow_none=True)
    starts_on = fields.Date()
    ends_on = fields.Date(allow_none=True)
    sheet_override = fields.String(allow_none=True)


class AssignmentQuery(PageQuery):
    person_id = QueryId()
    grid_id = QueryId()
    unit_id = QueryId()
    role = Text(96)


class PlaceIn(Schema):
    grid_id = Id(required=True)
    kind = Text(96, required=True, min_length=1, metadata={"description": "a place kind of the tenant's plugins"})
    code = Text(64, required=True, min_length=1)
    name = Text(200, required=True, min_length=1)
    address = Text(300)
    attributes = fields.Dict(keys=fields.String())
    geometry = fields.Dict(allow_none=True)


class PlaceOut(Schema):
    id = fields.Integer()
    grid_id = fields.Integer()
    kind = fields.String()
    code = fields.String()
    name = fields.String()
    address = fields.String()
    attributes = fields.Dict()
    geometry = fields.Dict(allow_none=True)


class PlaceQuery(PageQuery):
    grid_id = QueryId()
    kind = Text(96)
    code = Text(64)


# -- events --------------------------------------------------------------------------------

def _local(instant):
    return instant.astimezone(zoneinfo.ZoneInfo(g.tenant.timezone)).isoformat()


class EventIn(Schema):
    """The body of one event. Documentation only: the service layer validates the envelope and
    the payload (by the type's schema) itself, the same way for one event and for a batch."""

    type = fields.String(required=True, metadata={"description": "an event type key, see event-types"})
    occurred_at = fields.AwareDateTime(required=True, metadata={"description": "ISO 8601 with an offset"})
    grid_id = Id(required=True)
    actor_person_id = Id(allow_none=True)
    subject_person_id = Id(allow_none=True)
    subject_unit_id = Id(allow_none=True)
    place_id = Id(allow_none=True)
    payload = fields.Dict(metadata={"description": "validated by the type's schema"})
    idempotency_key = Text(128, allow_none=True, metadata={"description": "or the Idempotency-Key header"})
    voids_id = Id(allow_none=True, metadata={"description": "only for core.void"})
    amends_id = Id(allow_none=True, metadata={"description": "an event of the same type this one corrects"})


class EventBatchIn(Schema):
    events = fields.List(fields.Nested(EventIn), required=True, metadata={"description": "1 to 1,000 events"})


class EventOut(Schema):
    id = fields.Integer()
    type = fields.String()
    occurred_at = fields.DateTime()
    occurred_at_local = fields.Function(lambda e: _local(e.occurred_at),
                                        metadata={"description": "occurred_at in the tenant's time zone"})
    recorded_at = fields.DateTime()
    grid_id = fields.Integer()
    actor_person_id = fields.Integer(allow_none=True)
    subject_person_id = fields.Integer(allow_none=True)
    subject_unit_id = fields.Integer(allow_none=True)
    place_id = fields.Integer(allow_none=True)
    recorded_by_id = fields.Integer(allow_none=True)
    payload = fields.Dict()
    idempotency_key = fields.String(allow_none=True)
    voids_id = fields.Integer(allow_none=True)
    amends_id = fields.Integer(allow_none=True)
    superseded_by = fields.Function(lambda e: g.superseded_by.get(e.id),
                                    metadata={"description": "the event that voids or amends this one, if any"})


class EventPage(Schema):
    items = fields.List(fields.Nested(EventOut))
    next_cursor = fields.String(allow_none=True, metadata={"description": "pass as cursor for the next page; null at the end"})


class EventBatchOut(Schema):
    ids = fields.List(fields.Integer(), metadata={"description": "event ids in the order submitted"})
    replayed = fields.List(fields.Boolean(), metadata={"description": "whether each was stored before (same idempotency key)"})
    created = fields.Integer()


class EventQuery(Schema):
    type = fields.List(Text(96), metadata={"description": "repeatable"})
    grid_id = QueryId(metadata={"description": "events in this grid's whole subtree"})
    person_id = QueryId(metadata={"description": "as actor or subject"})
    from_ = fields.AwareDateTime(data_key="from", metadata={"description": "inclusive, ISO 8601 with an offset"})
    to = fields.AwareDateTime(metadata={"description": "exclusive, ISO 8601 with an offset"})
    include_superseded = fields.Boolean(load_default=True)
    cursor = Text(200)
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))


class VoidIn(Schema):
    reason = Text(1000, required=True, min_length=1)
    occurred_at = fields.AwareDateTime(metadata={"description": "when it was found void; default now"})


class PayloadField(Schema):
    name = fields.String()
    type = fields.String()
    format = fields.String()
    required = fields.Boolean()
    description = fields.String()


class EventTypeOut(Schema):
    key = fields.String()
    title = Bilingual("title_zh", "title_en")
    plugin = fields.String()
    description = fields.String()
    payload_fields = fields.List(fields.Nested(PayloadField))
    payload_schema = fields.Dict(metadata={"description": "the payload as a JSON Schema"})


class CatalogueEntry(Schema):
    key = fields.String()
    title = Bilingual("title_zh", "title_en")
    plugin = fields.String()


class RoleOut(CatalogueEntry):
    scope = fields.String(metadata={"description": "grid or unit: what an assignment of the role points at"})
