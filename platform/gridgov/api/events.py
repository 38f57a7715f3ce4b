"""Events (事件): record one or a batch, list with filters, read, void.

Event bodies go to :mod:`gridgov.operations.events` raw: it validates the envelope and the
payload, so one event and a batch are refused for the same reasons in the same words.
"""
from __future__ import annotations

from flask import g, request
from flask.views import MethodView

from ..models.tenants import EVENT_WRITE_ROLES
from ..operations import events as event_ops
from ..operations import grids as grid_ops
from ..operations.errors import NotFound, OperationError
from .access import tenant_blueprint
from .errors import fail, read_json
from .schemas import EventBatchIn, EventBatchOut, EventIn, EventOut, EventPage, EventQuery, VoidIn

blp = tenant_blueprint("events", "Events (事件): append-only facts; corrections void or amend.", EVENT_WRITE_ROLES)


def _body(schema) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _showing_supersession(events):
    """Load who voids or amends each event, for ``superseded_by`` in the response."""
    g.superseded_by = event_ops.superseded_ids([e.id for e in events])
    return events


@blp.route("/events")
class Events(MethodView):
    @blp.arguments(EventQuery, location="query", error_status_code=400)
    @blp.response(200, EventPage)
    def get(self, args):
        """List events, newest first, with a cursor to the next page."""
        grid = None
        if args.get("grid_id") is not None:
            try:
                grid = grid_ops.get_grid(args["grid_id"])
            except NotFound:
                fail(400, {"grid_id": [f"no grid {args['grid_id']} in this tenant"]}, "query")
        try:
            items, cursor = event_ops.list_events(
                types=args.get("type"), grid=grid, person_id=args.get("person_id"), since=args.get("from_"),
                until=args.get("to"), include_superseded=args["include_superseded"], cursor=args.get("cursor"),
                limit=args["limit"])
        except OperationError as exc:
            fail(400, exc.errors, "query")
        return {"items": _showing_supersession(items), "next_cursor": cursor}

    @blp.doc(requestBody=_body(EventIn), parameters=[{
        "in": "header", "name": "Idempotency-Key", "schema": {"type": "string"}, "required": False,
        "description": "the idempotency key, if not in the body"}])
    @blp.response(201, EventOut, description="stored")
    @blp.alt_response(200, schema=EventOut, description="a replay: the event stored before with this key")
    def post(self):
        """Record one event. A retry with the same idempotency key returns the original."""
        data = read_json()
        key = request.headers.get("Idempotency-Key")
        if key is not None and isinstance(data, dict):
            if data.get("idempotency_key") not in (None, key):
                fail(422, {"idempotency_key": ["differs from the Idempotency-Key header"]})
            data = {**data, "idempotency_key": key}
        event, replayed = event_ops.record(data, recorded_by_id=g.api_user.id)
        return _showing_supersession([event])[0], 200 if replayed else 201


@blp.route("/events/batch")
class EventBatch(MethodView):
    @blp.doc(requestBody=_body(EventBatchIn))
    @blp.response(201, EventBatchOut, description="stored, all or nothing")
    @blp.alt_response(200, schema=EventBatchOut, description="every event was a replay")
    def post(self):
        """Record up to 1,000 events in one transaction: all or nothing; errors keyed by index."""
        data = read_json()
        if not isinstance(data, dict):
            fail(422, {"_schema": ['a JSON object {"events": [...]}']})
        unknown = sorted(set(data) - {"events"})
        if unknown:
            fail(422, {name: ["unknown field"] for name in unknown})
        if "events" not in data:
            fail(422, {"events": ["required"]})
        ids, replayed = event_ops.record_batch(data["events"], recorded_by_id=g.api_user.id)
        created = replayed.count(False)
        return {"ids": ids, "replayed": replayed, "created": created}, 201 if created else 200


@blp.route("/events/<int:event_id>")
class EventItem(MethodView):
    @blp.response(200, EventOut)
    def get(self, event_id):
        return _showing_supersession([event_ops.get_event(event_id)])[0]


@blp.route("/events/<int:event_id>/void")
class EventVoid(MethodView):
    @blp.arguments(VoidIn)
    @blp.response(201, EventOut, description="the core.void event recorded")
    def post(self, data, event_id):
        """Void an event: a new core.void event names it; the event itself is kept."""
        void = event_ops.void(event_ops.get_event(event_id), data["reason"], recorded_by_id=g.api_user.id,
                              occurred_at=data.get("occurred_at"))
        return _showing_supersession([void])[0]

