"""Helpers shared by the operations: scoped lookups and light validation."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from .errors import NotFound, OperationError

# The largest id a backend stores (64-bit); a larger one names no row, and SQLite cannot even bind it.
MAX_ID = 2**63 - 1
GEOJSON_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"}


def get(model, object_id, what: str | None = None):
    """Fetch one row of the current tenant (the tenancy criteria apply) or raise NotFound.

    Uses a SELECT rather than ``Session.get`` so the identity map can never hand back a row the
    scope would have filtered out."""
    try:
        object_id = int(object_id)
    except (TypeError, ValueError):
        raise NotFound(what or model.__name__)
    if not 0 < object_id <= MAX_ID:
        raise NotFound(what or model.__name__)
    obj = db.session.execute(select(model).where(model.id == object_id).execution_options(populate_existing=True)).scalar_one_or_none()
    if obj is None:
        raise NotFound(what or model.__name__)
    return obj


def ref(model, object_id, field: str):
    """Resolve a reference given in input; a missing or foreign id is an error on ``field``."""
    if object_id is None:
        return None
    try:
        return get(model, object_id)
    except NotFound:
        raise OperationError({field: [f"no {model.__name__.lower()} {object_id} in this tenant"]})


def check_geometry(value, field: str = "geometry"):
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("type") not in GEOJSON_TYPES:
        raise OperationError({field: [f"a GeoJSON geometry object with type one of {sorted(GEOJSON_TYPES)}"]})
    key = "geometries" if value["type"] == "GeometryCollection" else "coordinates"
    if not isinstance(value.get(key), list):
        raise OperationError({field: [f"GeoJSON {value['type']} needs a '{key}' array"]})
    return value


def check_object(value, field: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise OperationError({field: ["must be a JSON object"]})
    return value
