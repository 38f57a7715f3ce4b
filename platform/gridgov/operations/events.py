"""Recording and reading events — one at a time, or a batch of up to 1,000 all-or-nothing.

Validation is one function (:func:`_validate`) shared by the single and the batch path. The
batch path checks every reference with one query per kind and writes with one bulk INSERT, so
its cost per event is the validation of the payload, not round trips.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json

import marshmallow
from sqlalchemy import and_, exists, insert, or_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Event, Grid, Person, Place, Tenant, Unit
from ..models.base import json_default, utcnow
from ..tenancy import current_tenant_id
from . import audit
from .errors import Conflict, NotFound, OperationError
from .grids import subtree_ids
from .tenants import registry

MAX_BATCH = 1000
VOID_TYPE = "core.void"
ENVELOPE = ("type", "occurred_at", "grid_id", "actor_person_id", "subject_person_id", "subject_unit_id",
            "place_id", "payload", "idempotency_key", "voids_id", "amends_id")
REFS = {"grid_id": Grid, "actor_person_id": Person, "subject_person_id": Person, "subject_unit_id": Unit,
        "place_id": Place, "voids_id": Event, "amends_id": Event}


def request_hash(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=json_default).encode()).hexdigest()


def parse_instant(value, field: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise OperationError({field: ["not an ISO 8601 date-time"]})
    else:
        raise OperationError({field: ["not an ISO 8601 date-time"]})
    if parsed.tzinfo is None:
        raise OperationError({field: ["must carry a time-zone offset (e.g. +08:00)"]})
    return parsed


class _Validator:
    """Validates envelopes and payloads for one tenant, keeping one schema instance per type."""

    def __init__(self):
        tenant = db.session.get(Tenant, current_tenant_id())
        self.types = registry().for_tenant(tenant).event_types
        self.schemas: dict[str, marshmallow.Schema] = {}

    def __call__(self, data) -> tuple[dict, dict]:
        """Return (row, errors) for one submitted event."""
        if not isinstance(data, dict):
            return {}, {"_schema": ["an event must be a JSON object"]}
        errors: dict = {}
        unknown = set(data) - set(ENVELOPE)
        for f in sorted(unknown):
            errors[f] = ["unknown field"]
        etype = data.get("type")
        if not isinstance(etype, str) or not etype:
            errors["type"] = ["required"]
        elif etype not in self.types:
            errors["type"] = [f"unknown event type {etype!r} for this tenant"]
        row: dict = {}
        try:
            row["occurred_at"] = parse_instant(data.get("occurred_at"), "occurred_at") if data.get("occurred_at") is not None else None
        except OperationError as exc:
            errors.update(exc.errors)
        if row.get("occurred_at") is None and "occurred_at" not in errors:
            errors["occurred_at"] = ["required"]
        for field in REFS:
            value = data.get(field)
            if value is None:
                row[field] = None
            elif isinstance(value, bool) or not isinstance(value, int):
                errors[field] = ["must be an integer id"]
            else:
                row[field] = value
        if row.get("grid_id") is None and "grid_id" not in errors:
            errors["grid_id"] = ["required"]
        if row.get("voids_id") and row.get("amends_id"):
            errors["voids_id"] = ["an event voids or amends, not both"]
        if etype == VOID_TYPE and not row.get("voids_id") and "voids_id" not in errors:
            errors["voids_id"] = ["a void names the event it voids"]
        if row.get("voids_id") and etype != VOID_TYPE and "type" not in errors:
            errors["voids_id"] = [f"only a {VOID_TYPE} event voids another"]
        key = data.get("idempotency_key")
        if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 128):
            errors["idempotency_key"] = ["a string of 1 to 128 characters"]
        payload = data.get("payload", {})
        if not isinstance(payload, dict):
            errors["payload"] = ["must be a JSON object"]
        elif "type" not in errors and etype:
            schema = self.schemas.get(etype) or self.schemas.setdefault(etype, self.types[etype].schema())
            try:
                payload = json.loads(json.dumps(schema.dump(schema.load(payload)), default=json_default))
            except marshmallow.ValidationError as exc:
                errors["payload"] = exc.messages
        if errors:
            return {}, errors
        row.update(type=etype, payload=payload, idempotency_key=key, request_hash=request_hash(data) if key else None)
        return row, {}


def _check_refs(rows: list[dict], errors: dict) -> None:
    """One query per referenced model: an id not found in this tenant is an error on its field."""
    for field, model in REFS.items():
        wanted = {r[field] for r in rows if r and r.get(field) is not None}
        if not wanted:
            continue
        found = set(db.session.scalars(select(model.id).where(model.id.in_(wanted))))
        for index, r in enumerate(rows):
            if r and r.get(field) is not None and r[field] not in found:
                errors.setdefault(index, {})[field] = [f"no {model.__name__.lower()} {r[field]} in this tenant"]
    targets = {r.get("voids_id") or r.get("amends_id") for r in rows if r and (r.get("voids_id") or r.get("amends_id"))}
    if targets:
        types = dict(db.session.execute(select(Event.id, Event.type).where(Event.id.in_(targets))).all())
        for index, r in enumerate(rows):
            if r and r.get("amends_id") in types and types[r["amends_id"]] != r["type"]:
                errors.setdefault(index, {})["amends_id"] = ["an amendment has the type of the event it amends"]
            if r and r.get("voids_id") in types and types[r["voids_id"]] == VOID_TYPE:
                errors.setdefault(index, {})["voids_id"] = ["a void cannot itself be voided"]


def _replays(rows: list[dict], errors: dict) -> dict[int, Event]:
    """Find rows whose idempotency key was used before: same body → the stored event (a no-op);
    another body → an error. A key used twice in one batch must carry the same body too."""
    keyed = {r["idempotency_key"]: i for i, r in enumerate(rows) if r and r.get("idempotency_key")}
    replays: dict[int, Event] = {}
    seen: dict[str, int] = {}
    for index, r in enumerate(rows):
        key = r.get("idempotency_key") if r else None
        if key is None:
            continue
        if key in seen and rows[seen[key]]["request_hash"] != r["request_hash"]:
            errors.setdefault(index, {})["idempotency_key"] = [f"used twice in this batch with different bodies (item {seen[key]})"]
        seen.setdefault(key, index)
    if keyed:
        stored = {e.idempotency_key: e for e in db.session.scalars(select(Event).where(Event.idempotency_key.in_(list(keyed))))}
        for index, r in enumerate(rows):
            e = stored.get(r.get("idempotency_key")) if r else None
            if e is None:
                continue
            if e.request_hash != r["request_hash"]:
                errors.setdefault(index, {})["idempotency_key"] = [f"already used for event {e.id} with a different body"]
            else:
                replays[index] = e
    return replays


def record_batch(items, *, recorded_by_id: int | None = None) -> tuple[list[int], list[bool]]:
    """Validate and store up to :data:`MAX_BATCH` events in one transaction, all or nothing.

    :returns: (event ids in input order, whether each was a replay of an earlier submission).
    :raises OperationError: with errors keyed ``items.<index>.<field>``; nothing is written.
    """
    if not isinstance(items, list):
        raise OperationError({"events": ["must be a list"]})
    if not items:
        raise OperationError({"events": ["must not be empty"]})
    if len(items) > MAX_BATCH:
        raise OperationError({"events": [f"at most {MAX_BATCH} events per batch, got {len(items)}"]}, status=413)
    validate = _Validator()
    rows, errors = [], {}
    for index, data in enumerate(items):
        row, errs = validate(data)
        rows.append(row)
        if errs:
            errors[index] = errs
    _check_refs(rows, errors)
    replays = _replays(rows, errors)
    if errors:
        raise OperationError({"events": {i: errors[i] for i in sorted(errors)}})
    tenant_id = current_tenant_id()
    now = utcnow()
    first_of_key: dict[str, int] = {}
    fresh = []
    for index, r in enumerate(rows):
        key = r.get("idempotency_key")
        if index in replays or (key and key in first_of_key):
            continue
        if key:
            first_of_key[key] = index
        fresh.append(dict(r, tenant_id=tenant_id, recorded_at=now, recorded_by_id=recorded_by_id))
    new_ids = []
    if fresh:
        new_ids = list(db.session.scalars(insert(Event).returning(Event.id, sort_by_parameter_order=True), fresh))
    ids, replayed, it = [], [], iter(new_ids)
    fresh_ids: dict[int, int] = {}
    for index, r in enumerate(rows):
        key = r.get("idempotency_key")
        if index in replays:
            ids.append(replays[index].id)
            replayed.append(True)
        elif key and first_of_key.get(key) != index:
            ids.append(fresh_ids[first_of_key[key]])
            replayed.append(True)
        else:
            fresh_ids[index] = next(it)
            ids.append(fresh_ids[index])
            replayed.append(False)
    if new_ids:
        audit.record("record", object_type="Event", object_id=new_ids[0],
                     changes={"count": len(new_ids), "first_id": new_ids[0], "last_id": new_ids[-1]})
    return ids, replayed


def record(data, *, recorded_by_id: int | None = None) -> tuple[Event, bool]:
    """Validate and store one event. :returns: (event, whether it was a replay)."""
    try:
        ids, replayed = record_batch([data], recorded_by_id=recorded_by_id)
    except OperationError as exc:
        errors = exc.errors.get("events", exc.errors)
        raise OperationError(errors.get(0, errors) if isinstance(errors, dict) else errors, status=exc.status)
    return get_event(ids[0]), replayed[0]


def void(event: Event, reason: str, *, recorded_by_id: int | None = None, occurred_at=None) -> Event:
    """Record a void of ``event`` (a correction never erases history)."""
    voided, _ = record({"type": VOID_TYPE, "voids_id": event.id, "grid_id": event.grid_id,
                        "occurred_at": (occurred_at or utcnow()).isoformat(), "payload": {"reason": reason}},
                       recorded_by_id=recorded_by_id)
    return voided


def get_event(event_id) -> Event:
    event = db.session.execute(select(Event).where(Event.id == event_id)).scalar_one_or_none()
    if event is None:
        raise NotFound("event")
    return event


def superseded_condition():
    """SQL: the event has been voided or amended by a later event."""
    later = aliased(Event)
    return exists().where(or_(later.voids_id == Event.id, later.amends_id == Event.id))


def encode_cursor(event: Event) -> str:
    return base64.urlsafe_b64encode(f"{event.occurred_at.isoformat()}|{event.id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        at, _, ident = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return dt.datetime.fromisoformat(at), int(ident)
    except (ValueError, UnicodeDecodeError):
        raise OperationError({"cursor": ["not a cursor this API issued"]}, status=400)


def list_events(*, types=None, grid: Grid | None = None, person_id: int | None = None, since=None, until=None,
                include_superseded: bool = True, cursor: str | None = None, limit: int = 100) -> tuple[list[Event], str | None]:
    """Newest first, keyset-paginated on (occurred_at, id). :returns: (events, next cursor)."""
    query = select(Event)
    if types:
        query = query.where(Event.type.in_(list(types)))
    if grid is not None:
        query = query.where(Event.grid_id.in_(subtree_ids(grid)))
    if person_id is not None:
        query = query.where(or_(Event.actor_person_id == person_id, Event.subject_person_id == person_id))
    if since is not None:
        query = query.where(Event.occurred_at >= since)
    if until is not None:
        query = query.where(Event.occurred_at < until)
    if not include_superseded:
        query = query.where(~superseded_condition())
    if cursor:
        at, ident = decode_cursor(cursor)
        query = query.where(or_(Event.occurred_at < at, and_(Event.occurred_at == at, Event.id < ident)))
    limit = max(1, min(int(limit), 1000))
    rows = list(db.session.scalars(query.order_by(Event.occurred_at.desc(), Event.id.desc()).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def superseded_ids(event_ids) -> dict[int, int]:
    """{event id: id of the later event that voids or amends it} for the given events."""
    if not event_ids:
        return {}
    out = {}
    for eid, voids, amends in db.session.execute(select(Event.id, Event.voids_id, Event.amends_id).where(
            or_(Event.voids_id.in_(list(event_ids)), Event.amends_id.in_(list(event_ids))))):
        out[voids or amends] = eid
    return out
