"""The tenant's registers — units (单位), people (人员), assignments (任职), places (场所) —
one blueprint each, built by :func:`register_resource` on the shared register operations."""
from __future__ import annotations

from flask import g
from flask.views import MethodView

from ..models import Assignment, Person, Place, Unit
from ..operations import registers as register_ops
from . import listing
from .access import tenant_blueprint
from .schemas import (AssignmentIn, AssignmentOut, AssignmentQuery, PersonIn, PersonOut, PersonQuery, PlaceIn,
                      PlaceOut, PlaceQuery, UnitIn, UnitOut, UnitQuery, page_of)


def register_resource(model, path: str, id_arg: str, schemas: tuple, description: str, personal: bool = False):
    """A blueprint with ``/<path>`` (list, create) and ``/<path>/<id_arg>`` (read, patch, delete).

    ``personal``: the rows are places, some of whose kinds may be personal data
    (:attr:`gridgov.plugins.PlaceKind.personal`) — a login whose tenant role is not among the
    kind's readers gets 403 for such a row or a list filtered on its kind, an unfiltered list
    leaves those kinds out; a reader the kind scopes to its grids (``grid_scoped_readers``) gets
    403 for a row outside them and lists without them; every personal row returned is audited as
    a read."""
    in_schema, out_schema, query_schema = schemas
    blp = tenant_blueprint(path, description)
    item_page = page_of(out_schema, f"{model.__name__}Page")

    @blp.route(f"/{path}")
    class Collection(MethodView):
        @blp.arguments(query_schema, location="query", error_status_code=400)
        @blp.response(200, item_page)
        def get(self, args):
            conditions = listing.equal_filters(model, args)
            if personal:
                scope = _scope()
                if args.get("kind"):
                    scope.check(args["kind"], None, g.tenant_role)
                condition = scope.condition()
                if condition is not None:
                    conditions.append(condition)
            result = listing.page(model, args, conditions)
            if personal:
                register_ops.audit_place_reads(result["items"], "api list")
            return result

        @blp.arguments(in_schema)
        @blp.response(201, out_schema)
        def post(self, data):
            if personal:
                _scope().check(data.get("kind"), data.get("grid_id"), g.tenant_role)
            return register_ops.create(model, data)

    def _scope():
        return register_ops.place_read_scope(g.tenant_role, g.api_user.id)

    def _row(object_id):
        row = register_ops.get_row(model, object_id)
        if personal:
            _scope().check(row.kind, row.grid_id, g.tenant_role)
        return row

    @blp.route(f"/{path}/<int:{id_arg}>")
    class Item(MethodView):
        @blp.response(200, out_schema)
        def get(self, **ids):
            row = _row(ids[id_arg])
            if personal:
                register_ops.audit_place_reads([row], "api item")
            return row

        @blp.arguments(in_schema(partial=True))
        @blp.response(200, out_schema)
        def patch(self, data, **ids):
            row = _row(ids[id_arg])
            if personal and ("kind" in data or "grid_id" in data):
                _scope().check(data.get("kind", row.kind), data.get("grid_id", row.grid_id), g.tenant_role)
            return register_ops.update(row, data)

        @blp.response(204)
        def delete(self, **ids):
            register_ops.delete(_row(ids[id_arg]))

    return blp


BLUEPRINTS = [
    register_resource(Unit, "units", "unit_id", (UnitIn, UnitOut, UnitQuery),
                      "Organisational units (单位/科室): departments, community offices, stations."),
    register_resource(Person, "people", "person_id", (PersonIn, PersonOut, PersonQuery),
                      "People (人员) the tenant keeps: staff, grid directors, liaisons."),
    register_resource(Assignment, "assignments", "assignment_id", (AssignmentIn, AssignmentOut, AssignmentQuery),
                      "Assignments (任职): a person holds a role in a grid or unit for a span of dates."),
    register_resource(Place, "places", "place_id", (PlaceIn, PlaceOut, PlaceQuery),
                      "Places (登记台账): register entries in a grid, of a kind a plugin declares. Entries of a "
                      "personal kind (个人信息) are read only by the kind's reader roles, each read audited.",
                      personal=True),
]
