"""The GeoReport v2 endpoints under ``/open311/v2``, public (no login).

Every resource takes its format from the extension (``services.json``, ``services.xml``) and the
tenant from ``jurisdiction_id`` — the tenant's slug — as a parameter (what clients send) or as a
path segment (``/open311/v2/<jurisdiction_id>/services.xml``). The tenancy scope is set once,
in :func:`_enter_jurisdiction`. Only POST writes: one transaction, committed when the case is
reported and rolled back on any error. POST needs an ``api_key`` (:mod:`.keys`); it is exempt
from the console's CSRF check (no cookie is involved) and rate-limited per client address
(``GRIDGOV_OPEN311_POST_LIMIT``).

Errors are the specification's error list in the request's format (:mod:`.formats`): 400 for a
missing jurisdiction_id, service_code or location and any other bad argument, 403 for a missing,
unknown or revoked api_key, 404 for an unknown jurisdiction, service or request — also for a
request of another jurisdiction. Unknown paths and methods under ``/open311`` answer the same
way (:func:`routing_errors`).
"""
from __future__ import annotations

from flask import Blueprint, current_app, request
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from .. import tenancy
from ..extensions import db, limiter
from ..models import Tenant
from ..operations.errors import OperationError
from . import keys, service_requests, services as service_list
from .formats import FORMATS, Open311Error, render, render_error

PREFIX = "/open311/v2"
bp = Blueprint("open311", __name__, url_prefix=PREFIX)


def _format() -> str:
    fmt = (request.view_args or {}).get("fmt") or request.path.rsplit(".", 1)[-1]
    return fmt if fmt in FORMATS else "xml"


def _post_limit() -> str:
    return current_app.config.get("GRIDGOV_OPEN311_POST_LIMIT") or "60 per minute"


@bp.before_request
def _enter_jurisdiction():
    if any("\x00" in value for value in [*request.values.values(), *(request.view_args or {}).values()]):
        raise Open311Error(400, "arguments must not contain NUL characters")
    in_path = (request.view_args or {}).get("jurisdiction")
    given = request.values.get("jurisdiction_id") or None
    if in_path and given and in_path != given:
        raise Open311Error(400, f"jurisdiction_id {given} differs from the jurisdiction {in_path} in the path")
    slug = in_path or given
    if not slug:
        raise Open311Error(400, "jurisdiction_id was not provided")
    tenant_id = db.session.scalar(select(Tenant.id).where(Tenant.slug == slug))
    if tenant_id is None:
        raise Open311Error(404, f"jurisdiction_id {slug} was not found")
    tenancy.set_request_scope(tenant_id)


def open311_error(error: Open311Error):
    """App-wide (the routing errors of :func:`routing_errors` belong to no blueprint)."""
    db.session.rollback()
    return render_error(_format(), error)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    """Flask's own refusals on these routes (too many requests, a body too large) in the
    specification's shape."""
    db.session.rollback()
    return render_error(_format(), Open311Error(error.code or 400, error.description or error.name))


def routing_errors():
    """App-wide, before the CSRF check: a path or method under ``/open311`` that no route takes
    is answered as an Open311 error rather than an HTML page."""
    if not request.path.startswith("/open311/") or request.routing_exception is None:
        return
    code = getattr(request.routing_exception, "code", None)
    if code == 405:
        raise Open311Error(405, f"{request.method} is not allowed on {request.path}")
    if code == 404:
        raise Open311Error(404, f"no such resource: {request.path}")


def _rule(rule: str, view, methods=("GET",)) -> None:
    for prefix in ("", "/<jurisdiction>"):
        bp.add_url_rule(prefix + rule, view.__name__, view, methods=list(methods))


def services(fmt: str, jurisdiction: str | None = None):
    return render(fmt, "services", service_list.services())


def service_definition(service_code: str, fmt: str, jurisdiction: str | None = None):
    return render(fmt, "service_definition", service_list.service_definition(service_code))


@limiter.limit(_post_limit, methods=["POST"])
def requests(fmt: str, jurisdiction: str | None = None):
    if request.method == "GET":
        return render(fmt, "service_requests", service_requests.search(request.args))
    key = _key(request.values.get("api_key"))
    created = service_requests.create(request.form, key)
    db.session.commit()
    return render(fmt, "service_requests", created)


def _key(plain: str | None):
    try:
        return keys.authenticate(plain)
    except OperationError as exc:
        raise Open311Error(exc.status, *[r for reasons in exc.errors.values() for r in reasons])


def service_request(service_request_id: str, fmt: str, jurisdiction: str | None = None):
    return render(fmt, "service_requests", service_requests.get_one(service_request_id))


FMT = "<any(json, xml):fmt>"
_rule(f"/services.{FMT}", services)
_rule(f"/services/<service_code>.{FMT}", service_definition)
_rule(f"/requests.{FMT}", requests, methods=("GET", "POST"))
_rule(f"/requests/<service_request_id>.{FMT}", service_request)
