"""Open311 GeoReport v2 (公众上报接口): residents' apps report problems as cases.

An existing Open311 client talks to ``/open311/v2`` with ``jurisdiction_id`` set to the
tenant's slug: the service list is the tenant's case categories, a POST with the tenant's
``api_key`` reports a case (source ``open311``), and requests are looked up by case number or
listed by date, service and status — in JSON and in XML. See :mod:`.views` for the endpoints
and errors, :mod:`.services` and :mod:`.service_requests` for how categories and cases map to
the specification's fields, and :mod:`.keys` for the keys the tenant administrator issues in
the console.
"""
from __future__ import annotations

from flask import Flask

from ..extensions import csrf
from .formats import Open311Error


def init_app(app: Flask) -> None:
    from . import views

    app.register_blueprint(views.bp)
    csrf.exempt(views.bp)
    app.register_error_handler(Open311Error, views.open311_error)
    app.before_request_funcs.setdefault(None, []).insert(0, views.routing_errors)
