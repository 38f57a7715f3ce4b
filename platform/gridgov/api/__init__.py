"""The JSON API under ``/api/v1`` (flask-smorest), its OpenAPI document at
``/api/v1/openapi.json``.

Clients authenticate with ``Authorization: Bearer <token>`` (see :mod:`.access`); the API is
exempt from the console's CSRF protection because a bearer token, unlike a cookie, is never sent
by a browser on its own. Views are thin: they parse, call :mod:`gridgov.operations`, and
serialise. Errors are JSON with the field and the reason (:mod:`.errors`).
"""
from __future__ import annotations

from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import Flask
from flask_smorest import Api

from ..extensions import csrf
from . import assessment, attachments, cases, catalogue, errors, events, grids, platform, registers
from . import reports as report_api

BLUEPRINTS = [platform.account, platform.tenants, grids.blp, *registers.BLUEPRINTS, events.blp, catalogue.blp,
              cases.blp, attachments.blp, assessment.blp, report_api.blp]
BEARER_SCHEME = {"type": "http", "scheme": "bearer", "description": "a per-user API token"}


def schema_name(schema) -> str:
    """Component names; a partial (PATCH) body is ``GridInPatch`` beside ``GridIn``."""
    name = resolve_schema_cls(schema).__name__.removesuffix("Schema")
    return name + "Patch" if getattr(schema, "partial", False) else name


class GridgovApi(Api):
    def _register_error_handlers(self):
        """Not flask-smorest's app-wide JSON handler: the console keeps its HTML error pages."""
        errors.register(self._app)


def init_app(app: Flask) -> GridgovApi:
    api = GridgovApi(app, spec_kwargs={"security": [{"bearerAuth": []}],
                                      "marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name)})
    api.spec.components.security_scheme("bearerAuth", BEARER_SCHEME)
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)
        csrf.exempt(blp)
    app.extensions["gridgov_api"] = api
    return api
