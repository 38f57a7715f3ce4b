"""Units, people, assignments and places: the tenant's registers.

Each model has one spec: its writable fields, the references it holds (checked to exist in the
tenant, so an id of another tenant is refused as unknown), its unique code and extra checks.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Callable

import marshmallow
from sqlalchemy import and_, or_, select

from ..extensions import db
from ..models import Assignment, Event, Grid, Membership, Person, Place, Unit
from ..models.base import to_json_safe
from ..tenancy import current_tenant_id
from . import audit
from .common import MAX_ID, check_geometry, check_object, get, ref
from .errors import Conflict, Forbidden, OperationError


@dataclasses.dataclass(frozen=True)
class Spec:
    model: type
    fields: tuple[str, ...]
    required: tuple[str, ...]
    refs: dict  # field -> model
    unique: tuple[str, ...] = ("code",)
    check: Callable | None = None


def _check_assignment(values: dict, obj=None) -> None:
    from .tenants import registry

    merged = {**({f: getattr(obj, f) for f in ASSIGNMENT.fields} if obj else {}), **values}
    if (merged.get("grid_id") is None) == (merged.get("unit_id") is None):
        raise OperationError({"grid_id": ["give exactly one of grid_id and unit_id"]})
    role = merged.get("role")
    from ..models import Tenant

    tenant = db.session.get(Tenant, current_tenant_id())
    roles = registry().for_tenant(tenant).roles
    if role not in roles:
        raise OperationError({"role": [f"unknown role {role!r} for this tenant; one of: {', '.join(sorted(roles))}"]})
    scope = roles[role].scope
    if scope == "grid" and merged.get("grid_id") is None:
        raise OperationError({"grid_id": [f"role {role} is held in a grid"]})
    if scope == "unit" and merged.get("unit_id") is None:
        raise OperationError({"unit_id": [f"role {role} is held in a unit"]})
    if merged.get("ends_on") and merged.get("starts_on") and merged["ends_on"] < merged["starts_on"]:
        raise OperationError({"ends_on": ["must not be before starts_on"]})


def _check_person(values: dict, obj=None) -> None:
    """A person may be linked to a login, but only to a member of this tenant."""
    user_id = values.get("user_id")
    if user_id is None:
        return
    valid = isinstance(user_id, int) and not isinstance(user_id, bool) and 0 < user_id <= MAX_ID
    if not valid or db.session.scalar(select(Membership.id).where(Membership.user_id == user_id)) is None:
        raise OperationError({"user_id": [f"no login {user_id} is a member of this tenant"]})


def _check_place(values: dict, obj=None) -> None:
    from ..models import Tenant
    from .tenants import registry

    kind = values.get("kind", getattr(obj, "kind", None))
    tenant = db.session.get(Tenant, current_tenant_id())
    kinds = registry().for_tenant(tenant).place_kinds
    if kind not in kinds:
        raise OperationError({"kind": [f"unknown place kind {kind!r} for this tenant; one of: {', '.join(sorted(kinds))}"]})
    schema = kinds[kind].schema
    if schema is not None and ("attributes" in values or obj is None):
        try:
            values["attributes"] = to_json_safe(schema().dump(schema().load(values.get("attributes") or {})))
        except marshmallow.ValidationError as exc:
            raise OperationError({"attributes": exc.messages}) from exc


UNIT = Spec(Unit, ("code", "name", "kind", "parent_id", "grid_id", "attributes"), ("code", "name"),
            {"parent_id": Unit, "grid_id": Grid})
PERSON = Spec(Person, ("code", "name", "phone", "user_id", "attributes"), ("code", "name"), {}, check=_check_person)
ASSIGNMENT = Spec(Assignment, ("person_id", "role", "grid_id", "unit_id", "starts_on", "ends_on", "sheet_override"),
                  ("person_id", "role", "starts_on"), {"person_id": Person, "grid_id": Grid, "unit_id": Unit},
                  unique=(), check=_check_assignment)
PLACE = Spec(Place, ("grid_id", "kind", "code", "name", "address", "attributes", "geometry"), ("grid_id", "kind", "code", "name"),
             {"grid_id": Grid}, unique=("kind", "code"), check=_check_place)
SPECS = {s.model: s for s in (UNIT, PERSON, ASSIGNMENT, PLACE)}


def _validate(spec: Spec, values: dict, obj=None) -> dict:
    unknown = set(values) - set(spec.fields)
    if unknown:
        raise OperationError({f: ["unknown field"] for f in sorted(unknown)})
    if obj is None:
        missing = [f for f in spec.required if values.get(f) in (None, "")]
        if missing:
            raise OperationError({f: ["required"] for f in missing})
    for field, model in spec.refs.items():
        if field in values:
            ref(model, values[field], field)
    if "attributes" in values:
        values["attributes"] = check_object(values["attributes"], "attributes")
    if "geometry" in values:
        check_geometry(values["geometry"])
    if spec.check:
        spec.check(values, obj)
    if spec.unique and any(f in values for f in spec.unique):
        key = {f: values.get(f, getattr(obj, f, None)) for f in spec.unique}
        query = select(spec.model.id).filter_by(**key)
        if obj is not None:
            query = query.where(spec.model.id != obj.id)
        if db.session.scalar(query) is not None:
            raise Conflict({spec.unique[-1]: [f"{' '.join(map(str, key.values()))} exists already in this tenant"]})
    return values


def create(model, values: dict):
    spec = SPECS[model]
    values = _validate(spec, dict(values))
    obj = model(tenant_id=current_tenant_id(), **values)
    db.session.add(obj)
    db.session.flush()
    audit.record("create", obj, changes=values)
    return obj


def update(obj, values: dict):
    spec = SPECS[type(obj)]
    values = _validate(spec, dict(values), obj)
    before = audit.snapshot(obj, values)
    for k, v in values.items():
        setattr(obj, k, v)
    db.session.flush()
    audit.record("update", obj, changes=audit.diff(before, values))
    return obj


def delete(obj):
    """Delete a register entry nothing refers to. People and places with events stay: history
    is not deleted (end an assignment instead)."""
    blockers = {
        Person: [("events", select(Event.id).where((Event.actor_person_id == getattr(obj, "id", 0)) | (Event.subject_person_id == getattr(obj, "id", 0))))],
        Place: [("events", select(Event.id).where(Event.place_id == getattr(obj, "id", 0)))],
        Unit: [("events", select(Event.id).where(Event.subject_unit_id == getattr(obj, "id", 0))),
               ("assignments", select(Assignment.id).where(Assignment.unit_id == getattr(obj, "id", 0)))],
    }.get(type(obj), [])
    for what, query in blockers:
        if db.session.scalar(query.limit(1)) is not None:
            raise Conflict({"_schema": [f"{type(obj).__name__} {obj} still has {what}"]})
    audit.record("delete", obj, changes={"name": str(obj)})
    db.session.delete(obj)
    db.session.flush()


def get_row(model, object_id):
    return get(model, object_id, model.__name__.lower())


# -- personal data (PlaceKind.personal) -------------------------------------------------------
# A plugin marks a place kind ``personal=True`` with the tenant roles (``readers``) allowed to
# read its entries, and those of them (``grid_scoped_readers``) who read only the grids they are
# responsible for. The API and the console both go through :func:`place_read_scope` and
# :func:`audit_place_reads`: a login of another role, or a scoped reader outside its grids, gets
# 403 for such an entry and never sees it in a list (filtered in SQL); each personal entry
# shown is written to the audit log as one "read" entry (object Place/<id>, ``changes`` naming
# the kind and the route), so "who read this record" is one query on object_type/object_id.


def _place_kinds() -> dict:
    from ..models import Tenant
    from .tenants import registry

    return registry().for_tenant(db.session.get(Tenant, current_tenant_id())).place_kinds


def hidden_place_kinds(tenant_role: str | None) -> list[str]:
    """The tenant's personal place kinds this role may not read."""
    return sorted(k for k, kind in _place_kinds().items() if not kind.may_read(tenant_role))


def check_place_read(kind: str | None, tenant_role: str | None) -> None:
    """Raise :class:`Forbidden` (403) when the role may not read entries of ``kind``."""
    entry = _place_kinds().get(kind)
    if entry is not None and not entry.may_read(tenant_role):
        raise Forbidden({"kind": [f"{kind} entries are personal data; role {tenant_role} may not read them"]})


@dataclasses.dataclass(frozen=True)
class PlaceReadScope:
    """What one login may read of the tenant's personal place kinds: ``hidden`` kinds not at
    all (its role is not among the readers), ``scoped`` kinds only inside ``grids`` — the
    (path, code) of the grids its person holds today (``PlaceKind.grid_scoped_readers``)."""

    hidden: tuple[str, ...] = ()
    scoped: tuple[str, ...] = ()
    grids: tuple[tuple[str, str], ...] = ()
    _grid_paths: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)  # id -> (path, code)

    def condition(self):
        """SQL condition on Place for a list, or None: the subtree by materialised path."""
        from .grids import subtree_condition

        conditions = []
        if self.hidden:
            conditions.append(Place.kind.not_in(self.hidden))
        if self.scoped:
            outside = Place.kind.not_in(self.scoped)
            if self.grids:
                inside = select(Grid.id).where(or_(*[subtree_condition(path) for path, _ in self.grids]))
                outside = or_(outside, Place.grid_id.in_(inside))
            conditions.append(outside)
        return and_(*conditions) if conditions else None

    def check(self, kind: str | None, grid_id: int | None, tenant_role: str | None) -> None:
        """Raise :class:`Forbidden` (403) when this login may not read an entry of ``kind`` in ``grid_id``."""
        if kind in self.hidden:
            raise Forbidden({"kind": [f"{kind} entries are personal data; role {tenant_role} may not read them"]})
        if kind in self.scoped and grid_id is not None:
            if grid_id not in self._grid_paths:
                self._grid_paths[grid_id] = db.session.execute(select(Grid.path, Grid.code).where(Grid.id == grid_id)).first()
            grid = self._grid_paths[grid_id]
            if grid is None or not any(grid.path.startswith(path) for path, _ in self.grids):
                held = ", ".join(code for _, code in self.grids) or "none (no person holding a grid today is linked to this login)"
                where = grid.code if grid is not None else grid_id
                raise Forbidden({"grid_id": [f"{kind} entries of grid {where} are outside the grids this login is "
                                             f"responsible for: {held}"]})

    def allows(self, kind: str | None, grid_id: int | None) -> bool:
        """Whether this login may read an entry of ``kind`` in ``grid_id`` (for a plugin's report)."""
        try:
            self.check(kind, grid_id, None)
        except Forbidden:
            return False
        return True


def place_read_scope(tenant_role: str | None, user_id: int | None) -> PlaceReadScope:
    """The login's :class:`PlaceReadScope`. API and console lists filter on its ``condition``;
    reading, creating or changing one entry goes through its ``check``."""
    kinds = _place_kinds()
    hidden = tuple(sorted(k for k, kind in kinds.items() if not kind.may_read(tenant_role)))
    scoped = tuple(sorted(k for k, kind in kinds.items()
                          if kind.personal and k not in hidden and tenant_role in kind.grid_scoped_readers))
    grids = ()
    if scoped and user_id is not None:
        from zoneinfo import ZoneInfo

        from ..models import Tenant

        today = dt.datetime.now(ZoneInfo(db.session.get(Tenant, current_tenant_id()).timezone)).date()
        grids = tuple(db.session.execute(select(Grid.path, Grid.code).join(Assignment, Assignment.grid_id == Grid.id)
                                         .join(Person, Person.id == Assignment.person_id).where(
            Person.user_id == user_id, Assignment.starts_on <= today,
            or_(Assignment.ends_on.is_(None), Assignment.ends_on >= today)).distinct().order_by(Grid.path)).all())
    return PlaceReadScope(hidden, scoped, tuple((path, code) for path, code in grids))


def audit_place_reads(places, via: str) -> None:
    """One audit entry (action "read") per personal entry among ``places``."""
    kinds = _place_kinds()
    for place in places:
        entry = kinds.get(place.kind)
        if entry is not None and entry.personal:
            audit.record("read", place, changes={"kind": place.kind, "via": via})
