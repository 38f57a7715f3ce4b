"""Who may call what: bearer-token authentication, the tenant of a request, roles, and the one
transaction per request.

Every API blueprint is made by :func:`api_blueprint` (token required) or
:func:`tenant_blueprint` (token, then the tenant named by ``<slug>`` in the URL). The tenant
scope of :mod:`gridgov.tenancy` is set here, in :func:`_enter_tenant`, and nowhere else in the
API: views below it never filter by tenant themselves.
"""
from __future__ import annotations

import datetime as dt

from flask import g, request
from flask_smorest import Blueprint, abort
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import tenancy
from ..extensions import db
from ..models import ApiToken, Tenant
from ..models.base import utcnow
from ..models.tenants import WRITE_ROLES
from ..operations import tenants as tenant_ops
from . import errors
from .parser import JSONBodyParser

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
TENANT_PREFIX = "/api/v1/tenants/<slug>"
# last_used_at is informative; writing it once a minute spares a write on every request.
LAST_USED_GRANULARITY = dt.timedelta(minutes=1)
_BEARER = {"WWW-Authenticate": 'Bearer realm="gridgov"'}


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = JSONBodyParser()


def _unauthorized(message: str):
    abort(401, message=message, headers=_BEARER)


def authenticate() -> None:
    """``Authorization: Bearer <token>`` → ``g.api_user`` (read by the audit log)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        _unauthorized("an 'Authorization: Bearer <token>' header is required")
    api_token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(token)))
    if api_token is None or api_token.revoked or not api_token.user.is_active:
        _unauthorized("the token is unknown, revoked, or its user is disabled")
    now = utcnow()
    if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_GRANULARITY:
        api_token.last_used_at = now
        db.session.commit()  # its own transaction: recorded even when the request then fails
    g.api_user = api_token.user


def _finish(response):
    """Commit a successful request's one transaction; roll back anything else."""
    if response.status_code >= 400:
        db.session.rollback()
        return response
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return errors.error_response(409, errors={"json": {"_schema": ["conflicts with data stored at the same time; retry"]}})
    return response


def api_blueprint(name: str, url_prefix: str, description: str) -> ApiBlueprint:
    blp = ApiBlueprint(name, __name__, url_prefix=url_prefix, description=description)
    errors.register_on(blp)
    blp.before_request(authenticate)
    blp.after_request(_finish)
    return blp


def require_platform_admin() -> None:
    if not g.api_user.is_platform_admin:
        abort(403, message="platform administrators only")


def platform_blueprint(name: str, url_prefix: str, description: str) -> ApiBlueprint:
    """Routes across tenants, for platform administrators; they run in platform scope."""
    blp = api_blueprint(name, url_prefix, description)

    @blp.before_request
    def _platform():
        require_platform_admin()
        tenancy.set_request_scope(None)

    return blp


def tenant_blueprint(name: str, description: str, write_roles=WRITE_ROLES) -> ApiBlueprint:
    """Routes under ``/api/v1/tenants/<slug>``. A login that is not a member gets 404 — the
    same answer as for a tenant that does not exist, so nothing is revealed. Reading needs any
    role; writing (any unsafe method) needs one of ``write_roles``."""
    blp = api_blueprint(name, TENANT_PREFIX, description)

    @blp.url_value_preprocessor
    def _pop_slug(endpoint, values):
        g.tenant_slug = (values or {}).pop("slug", None)

    @blp.before_request
    def _enter_tenant():
        slug = g.tenant_slug or ""
        tenant = None
        if tenant_ops.SLUG_RE.match(slug):
            tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
        role = tenant_ops.role_in(g.api_user, tenant) if tenant is not None else None
        if role is None:
            abort(404, message="tenant not found")
        tenancy.set_request_scope(tenant.id)
        g.tenant, g.tenant_role = tenant, role
        g.tenant_plugins = tenant_ops.registry().for_tenant(tenant)
        if request.method not in SAFE_METHODS and role not in write_roles:
            abort(403, message=f"role {role} may not change this")

    return blp

