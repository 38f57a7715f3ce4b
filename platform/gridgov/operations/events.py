"""Recording and reading events — one at a time, or a batch of up to 1,000 all-or-nothing.

Validation is one class (:class:`_Validator`) shared by the single and the batch path. The
batch path checks every reference with one query per kind and the idempotency keys with one
more, and writes with one executemany INSERT (:func:`_insert` says how the ids come back in
input order), so its cost per event is the validation of the payload, not round trips.
``benchmarks/ingest.py`` measures it against a plain bulk INSERT.
"""
from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import json

import marshmallow
from sqlalchemy import ARRAY, and_, exists, func, insert, literal, or_, select, text
from sqlalchemy.orm import aliased
from sqlalchemy.sql import operators
from sqlalchemy.sql.expression import UnaryExpression

from ..extensions import db
from ..models import Event, Grid, Person, Place, Tenant, Unit
from ..models.base import json_default, utcnow
from ..tenancy import current_tenant_id
from . import audit
from .common import MAX_ID
from .errors import Conflict, NotFound, OperationError
from .grids import subtree_ids
from .tenants import registry

MAX_BATCH = 1000
VOID_TYPE = "core.void"
ENVELOPE = ("type", "occurred_at", "grid_id", "actor_person_id", "subject_person_id", "subject_unit_id",
            "place_id", "payload", "idempotency_key", "voids_id", "amends_id")
ENVELOPE_FIELDS = frozenset(ENVELOPE)
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
    """Validates envelopes and payloads for one tenant.

    This runs once per submitted event, so it avoids repeated work: schema instances are shared
    (:func:`_schema`), the payload is made JSON-safe without a text round trip (:func:`_plain`).
    """

    def __init__(self):
        tenant = db.session.get(Tenant, current_tenant_id())
        self.types = registry().for_tenant(tenant).event_types

    def __call__(self, data) -> tuple[dict, dict]:
        """Return (row, errors) for one submitted event."""
        if not isinstance(data, dict):
            return {}, {"_schema": ["an event must be a JSON object"]}
        errors: dict = {}
        unknown = data.keys() - ENVELOPE_FIELDS
        for f in sorted(unknown):
            errors[f] = ["unknown field"]
        etype = data.get("type")
        if not isinstance(etype, str) or not etype:
            errors["type"] = ["required"]
        elif etype not in self.types:
            errors["type"] = [f"unknown event type {etype!r} for this tenant"]
        row: dict = {"occurred_at": None}
        if data.get("occurred_at") is None:
            errors["occurred_at"] = ["required"]
        else:
            try:
                row["occurred_at"] = parse_instant(data["occurred_at"], "occurred_at")
            except OperationError as exc:
                errors.update(exc.errors)
        for field in REFS:
            value = data.get(field)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID):
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
        elif "type" not in errors:
            schema = _schema(self.types[etype].schema)
            try:
                payload = _plain(schema.dump(schema.load(payload)))
            except marshmallow.ValidationError as exc:
                errors["payload"] = exc.messages
        if errors:
            return {}, errors
        row.update(type=etype, payload=payload, idempotency_key=key, request_hash=request_hash(data) if key else None)
        return row, {}


@functools.cache
def _schema(schema_class: type[marshmallow.Schema]) -> marshmallow.Schema:
    """One instance per payload schema: building one costs more than validating an event, and
    a marshmallow 4 schema keeps no state between ``load`` calls."""
    return schema_class()


def _plain(value):
    """What ``json.loads(json.dumps(value, default=json_default))`` gives — the payload as it
    will read back from the database — without the text round trip for the usual JSON types."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    if kind is dict and all(type(k) is str for k in value):
        return {k: _plain(v) for k, v in value.items()}
    if kind is list:
        return [_plain(v) for v in value]
    return json.loads(json.dumps(value, default=json_default))


def _among(column, values):
    """``column IN (values)``. On PostgreSQL the values travel as one array parameter, because
    rendering and parsing a thousand-value IN list costs more than the lookup; ``IN (SELECT
    unnest(...))`` rather than ``= ANY(...)`` keeps the index lookups once the statement is
    prepared and planned generically (then ``= ANY`` scans the table against the whole array)."""
    values = list(values)
    if db.session.get_bind().dialect.name == "postgresql":
        return column.in_(select(func.unnest(literal(values, ARRAY(column.type)))).scalar_subquery())
    return column.in_(values)


def _check_refs(rows: list[dict], errors: dict) -> None:
    """One query per referenced model: an id not found in this tenant is an error on its field."""
    for field, model in REFS.items():
        wanted = {r[field] for r in rows if r and r[field] is not None}
        if not wanted:
            continue
        found = set(db.session.scalars(select(model.id).where(_among(model.id, wanted))))
        if found == wanted:
            continue
        for index, r in enumerate(rows):
            if r and r[field] is not None and r[field] not in found:
                errors.setdefault(index, {})[field] = [f"no {model.__name__.lower()} {r[field]} in this tenant"]
    targets = {r.get("voids_id") or r.get("amends_id") for r in rows if r and (r.get("voids_id") or r.get("amends_id"))}
    if targets:
        types = dict(db.session.execute(select(Event.id, Event.type).where(_among(Event.id, targets))).all())
        for index, r in enumerate(rows):
            if r and r.get("amends_id") in types and types[r["amends_id"]] != r["type"]:
                errors.setdefault(index, {})["amends_id"] = ["an amendment has the type of the event it amends"]
            if r and r.get("voids_id") in types and types[r["voids_id"]] == VOID_TYPE:
                errors.setdefault(index, {})["voids_id"] = ["a void cannot itself be voided"]
        # One void per event; resubmitting that void with its idempotency key is a replay, not a second void.
        voided = dict(db.session.execute(select(Event.voids_id, Event.idempotency_key).where(_among(Event.voids_id, targets))).all())
        for index, r in enumerate(rows):
            target = r.get("voids_id") if r else None
            if target in voided and (r["idempotency_key"] is None or r["idempotency_key"] != voided[target]):
                errors.setdefault(index, {}).setdefault("voids_id", [f"event {target} is voided already"])


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
        stored = {e.idempotency_key: e for e in db.session.scalars(select(Event).where(_among(Event.idempotency_key, keyed)))}
        for index, r in enumerate(rows):
            e = stored.get(r.get("idempotency_key")) if r else None
            if e is None:
                continue
            if e.request_hash != r["request_hash"]:
                errors.setdefault(index, {})["idempotency_key"] = [f"already used for event {e.id} with a different body"]
            else:
                replays[index] = e
    return replays


def _check_against_stored(types: dict, rows: list[dict], replays: dict, errors: dict) -> None:
    """Run each event type's ``check`` (see :class:`gridgov.plugins.EventType`) on the rows to
    be written, in input order, before anything is written: each sees the stored events (this
    transaction, the tenant's scope) and the rows of the batch before it. A replay, or a row
    repeating an idempotency key of the batch, is not checked again. Errors go to the row's
    index, so one refused row refuses the batch."""
    earlier: list[dict] = []
    keys: set[str] = set()
    for index, r in enumerate(rows):
        key = r.get("idempotency_key")
        if index in replays or (key and key in keys):
            continue
        if key:
            keys.add(key)
        check = types[r["type"]].check
        problems = check(dict(r), list(earlier)) if check is not None else None
        if problems:
            errors.setdefault(index, {}).update({f: list(v) if isinstance(v, (list, tuple)) else v
                                                 for f, v in problems.items()})
        earlier.append(r)


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
    if not errors:
        _check_against_stored(validate.types, rows, replays, errors)
    if errors:
        # Only reused keys: the request is well-formed but conflicts with what is stored (409).
        conflict = all(rows[i] and set(e) == {"idempotency_key"} for i, e in errors.items())
        raise OperationError({"events": {i: errors[i] for i in sorted(errors)}}, status=409 if conflict else None)
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
    new_ids = _insert(fresh) if fresh else []
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


def _insert(rows: list[dict]) -> list[int]:
    """Insert ``rows`` with one executemany and return their ids in input order.

    ``INSERT ... RETURNING`` cannot promise the order of the ids it returns for many rows, so
    SQLAlchemy falls back to one statement per row on SQLite and renders one huge statement on
    PostgreSQL. Instead: PostgreSQL hands out the ids first (``nextval`` of the column's
    sequence, which no concurrent transaction can be given too) and the rows are inserted with
    them; SQLite numbers a row without an id one above the largest id in the table, and the
    writer holds the database's only write lock from this INSERT to its COMMIT, so the rows get
    consecutive ids ending at ``last_insert_rowid()`` of this connection.
    """
    table = Event.__table__
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        ids = sorted(db.session.scalars(
            select(func.nextval(func.pg_get_serial_sequence(table.name, "id"))).select_from(func.generate_series(1, len(rows)))))
        for row, new_id in zip(rows, ids):
            row["id"] = new_id
        db.session.execute(insert(table), rows)
        return ids
    if dialect == "sqlite":
        db.session.execute(insert(table), rows)
        last = db.session.scalar(text("SELECT last_insert_rowid()"))
        return list(range(last - len(rows) + 1, last + 1))
    return list(db.session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows))


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
    newest_first = Event.occurred_at.desc()
    if types:
        query = query.where(Event.type.in_(list(types)))
    if grid is not None:
        query = query.where(Event.grid_id.in_(subtree_ids(grid)))
        if db.session.get_bind().dialect.name == "sqlite":
            newest_first = _not_from_an_index(Event.occurred_at).desc()
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
    rows = list(db.session.scalars(query.order_by(newest_first, Event.id.desc()).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def _not_from_an_index(column):
    """SQLite's unary ``+``: the same value, but the planner cannot take its order from an index.

    Without ``ANALYZE`` statistics SQLite believes ``tenant_id = ?`` picks a handful of rows, so
    to skip a sort it walks the tenant's whole time index (``ix_events_tenant_time``) looking for
    the subtree's grids — a million-event tenant then takes half a second for one community.
    Ordering by ``+occurred_at`` leaves it the subtree's own ranges of
    ``ix_events_tenant_grid_time`` and a sort of what they hold, as it chooses with statistics.
    """
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


def superseded_ids(event_ids) -> dict[int, int]:
    """{event id: id of the later event that voids or amends it} for the given events."""
    if not event_ids:
        return {}
    out = {}
    for eid, voids, amends in db.session.execute(select(Event.id, Event.voids_id, Event.amends_id).where(
            or_(Event.voids_id.in_(list(event_ids)), Event.amends_id.in_(list(event_ids))))):
        out[voids or amends] = eid
    return out
