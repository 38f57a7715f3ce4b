"""JSON errors for everything under ``/api`` — one shape for every status.

The shape is flask-smorest's: ``{"code": 422, "status": "Unprocessable Entity", "errors":
{"json": {"field": ["reason"]}}}``, where the key below ``errors`` is the location of the bad
value (``json`` for the body, ``query`` for the query string). Errors without a field (401, 404,
405 ...) carry a ``message``. The console keeps Flask's HTML pages: the handlers answer in JSON
only for paths under ``/api``.
"""
from __future__ import annotations

import json
import logging
import math
from http import HTTPStatus

from flask import Flask, jsonify, make_response, request
from flask_smorest import abort
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, InternalServerError

from ..extensions import db
from ..operations.errors import OperationError

log = logging.getLogger(__name__)
API_PREFIX = "/api/"


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX) or request.path == API_PREFIX.rstrip("/")


def _str_keys(value):
    """JSON object keys must be strings (marshmallow and the batch key errors by list index)."""
    if isinstance(value, dict):
        return {str(k): _str_keys(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_str_keys(v) for v in value]
    return value


def error_response(status: int, *, errors: dict | None = None, message: str | None = None, headers=None):
    payload: dict = {"code": status, "status": HTTPStatus(status).phrase}
    if message:
        payload["message"] = message
    if errors is not None:
        payload["errors"] = _str_keys(errors)
    response = make_response(jsonify(payload), status)
    for name, value in headers or ():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def fail(status: int, errors: dict, location: str = "json"):
    """Abort the request: ``errors`` maps fields at ``location`` to their reasons."""
    abort(status, errors={location: errors})


def handle_http_exception(error: HTTPException):
    if not is_api_request():
        return error
    data = getattr(error, "data", None) or {}
    errors = data.get("errors", data.get("messages"))
    message = data.get("message") or (None if errors else error.description)
    headers = list(error.get_headers()) + list((data.get("headers") or {}).items())
    return error_response(error.code or 500, errors=errors, message=message, headers=headers)


def handle_operation_error(error: OperationError):
    """A refusal by the service layer: 404 has no field to name, the others name theirs."""
    if error.status == 404:
        message = "; ".join(str(r) for reasons in error.errors.values() for r in reasons)
        return error_response(404, message=message)
    return error_response(error.status, errors={"json": error.errors})


def handle_integrity_error(error: IntegrityError):
    """A unique or foreign key raced past the operation's checks: a conflict, not a crash."""
    db.session.rollback()
    log.warning("integrity error on %s %s: %s", request.method, request.path, error.orig)
    return error_response(409, errors={"json": {"_schema": ["conflicts with data stored at the same time; retry"]}})


def handle_server_error(error: InternalServerError):
    """Last resort. Flask has already logged the traceback (``app.log_exception``); the client
    gets JSON without internals. Bad input never reaches this: the tests run with exceptions
    propagating, so any input that got here would fail them."""
    if not is_api_request():
        return error
    log.error("unhandled error on %s %s: %r", request.method, request.path, error.original_exception)
    return error_response(500, message="internal error; it has been logged")


def routing_errors_first():
    """Answer 404/405 under /api before the app-wide CSRF check, which would otherwise turn a
    POST to an unknown API path into a 400 about a missing CSRF token."""
    if is_api_request() and request.routing_exception is not None:
        raise request.routing_exception


def register(app: Flask) -> None:
    """App-wide: routing errors (404, 405) under /api and the last resort."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(InternalServerError, handle_server_error)
    app.before_request_funcs.setdefault(None, []).insert(0, routing_errors_first)


def register_on(blueprint) -> None:
    """On every API blueprint: its handlers win over any app-wide one another part of the app
    may register."""
    blueprint.register_error_handler(HTTPException, handle_http_exception)
    blueprint.register_error_handler(OperationError, handle_operation_error)
    blueprint.register_error_handler(IntegrityError, handle_integrity_error)


# -- request bodies ------------------------------------------------------------------------

class _BadJSON(ValueError):
    pass


class JSONNumber(float):
    """A JSON number with a fraction or an exponent, as parsed from a request body: a ``float``
    everywhere (arithmetic, ``float`` fields, ``json.dumps``, JSON columns, the idempotency
    hash all see the same float as before), but ``str()`` gives the number's text as sent, so
    a marshmallow ``Decimal`` field — which converts with ``Decimal(str(value))`` — receives the
    number exactly, however many digits it has (a plain float keeps 15-17).

    Why not ``json.loads(parse_float=Decimal)``: untyped JSON containers (``attributes``,
    ``geometry``, step ``extra``, tenant settings, ``fields.Raw``) would then carry Decimals
    into JSON columns (which cannot serialise them) and into the idempotency hash (which would
    change for bodies stored before). ``Decimal(str(n))`` is the exact value in all cases."""

    __slots__ = ("text",)

    def __new__(cls, text: str):
        value = super().__new__(cls, text)
        if not math.isfinite(value):
            raise _BadJSON(f"number {text} is out of range")
        value.text = text
        return value

    def __str__(self) -> str:
        return self.text

    def __reduce__(self):
        return type(self), (self.text,)


def _refuse_constant(name: str):
    raise _BadJSON(f"{name} is not JSON")


def _unstorable(value) -> tuple[tuple, str] | None:
    """The first string no database can store (NUL, lone surrogate), as (path, reason)."""
    stack: list[tuple[tuple, object]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, dict):
            stack.extend(((*path, k), v) for k, v in item.items())
            stack.extend((path, k) for k in item)
        elif isinstance(item, list):
            stack.extend(((*path, i), v) for i, v in enumerate(item))
        elif isinstance(item, str):
            if "\x00" in item:
                return path, "contains a NUL character"
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return path, "is not valid Unicode text"
    return None


def check_storable(data, location: str = "json") -> None:
    """Refuse with 400, nesting the error like marshmallow does (``{"payload": {"text": [...]}}``)."""
    bad = _unstorable(data)
    if bad:
        path, reason = bad
        errors: dict | list = [reason]
        for part in reversed(path or ("_schema",)):
            errors = {part: errors}
        fail(400, errors, location)


def read_json(*, required: bool = True):
    """The request body parsed as JSON (whatever the Content-Type says), or None when empty.

    Malformed JSON, NaN/Infinity, numbers beyond the float range, and text a database cannot
    store are refused with 400. Numbers with a fraction or an exponent are :class:`JSONNumber`
    (a float that keeps its text, so ``Decimal`` fields get it exactly)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            fail(400, {"_schema": ["a JSON body is required"]})
        return None
    try:
        data = json.loads(raw, parse_float=JSONNumber, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        fail(400, {"_schema": [f"malformed JSON: {exc}"]})
    check_storable(data)
    return data
