"""The grid tree: create, rename, move, delete, and subtree lookups as one indexed range."""
from __future__ import annotations

from sqlalchemy import and_, func, select, update

from ..extensions import db
from ..models import Assignment, Event, Grid, Place, Unit
from ..models.grids import PATH_END, PATH_SEP
from ..tenancy import current_tenant_id
from . import audit
from .common import check_geometry, check_object, get, ref
from .errors import Conflict, OperationError

FIELDS = ("code", "name", "parent_id", "attributes", "geometry")


def subtree_condition(path: str, column=Grid.path):
    """SQL condition: ``column`` lies in the subtree whose root has materialised path ``path``."""
    return and_(column >= path, column < path + PATH_END)


def subtree_ids(grid: Grid):
    """A SELECT of the ids of ``grid`` and every grid below it (scoped to the tenant)."""
    return select(Grid.id).where(Grid.tenant_id == grid.tenant_id, subtree_condition(grid.path))


def _check_code(code, grid_id=None):
    if not isinstance(code, str) or not code.strip() or len(code) > 64:
        raise OperationError({"code": ["required, at most 64 characters"]})
    clash = db.session.scalar(select(Grid.id).where(Grid.code == code, Grid.id != (grid_id or 0)))
    if clash is not None:
        raise Conflict({"code": [f"grid code {code!r} is taken in this tenant"]})


def create_grid(*, code: str, name: str, parent_id: int | None = None, attributes=None, geometry=None) -> Grid:
    if not isinstance(name, str) or not name.strip():
        raise OperationError({"name": ["required"]})
    _check_code(code)
    parent = ref(Grid, parent_id, "parent_id")
    grid = Grid(tenant_id=current_tenant_id(), code=code.strip(), name=name.strip(), parent=parent,
                level=(parent.level + 1) if parent else 0,
                attributes=check_object(attributes, "attributes"), geometry=check_geometry(geometry))
    db.session.add(grid)
    db.session.flush()
    grid.path = (parent.path if parent else PATH_SEP) + f"{grid.id}{PATH_SEP}"
    db.session.flush()
    audit.record("create", grid, changes={f: getattr(grid, f) for f in FIELDS})
    return grid


def update_grid(grid: Grid, **changes) -> Grid:
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise OperationError({f: ["unknown field"] for f in sorted(unknown)})
    before = audit.snapshot(grid, changes)
    if "code" in changes:
        _check_code(changes["code"], grid.id)
    if "name" in changes and (not isinstance(changes["name"], str) or not changes["name"].strip()):
        raise OperationError({"name": ["required"]})
    if "attributes" in changes:
        changes["attributes"] = check_object(changes["attributes"], "attributes")
    if "geometry" in changes:
        check_geometry(changes["geometry"])
    if "parent_id" in changes and changes["parent_id"] != grid.parent_id:
        move_grid(grid, changes.pop("parent_id"))
    changes.pop("parent_id", None)
    for k, v in changes.items():
        setattr(grid, k, v)
    db.session.flush()
    audit.record("update", grid, changes=audit.diff(before, audit.snapshot(grid, before)))
    return grid


def move_grid(grid: Grid, parent_id: int | None) -> None:
    """Re-hang a grid and its subtree under another parent: one UPDATE of the paths."""
    parent = ref(Grid, parent_id, "parent_id")
    if parent is not None and parent.path.startswith(grid.path):
        raise OperationError({"parent_id": ["a grid cannot move below itself"]})
    old_path = grid.path
    new_path = (parent.path if parent else PATH_SEP) + f"{grid.id}{PATH_SEP}"
    depth_change = ((parent.level + 1) if parent else 0) - grid.level
    db.session.flush()
    db.session.execute(
        update(Grid)
        .where(subtree_condition(old_path))
        .values(path=new_path + func.substr(Grid.path, len(old_path) + 1), level=Grid.level + depth_change)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    grid = get(Grid, grid.id)
    grid.parent_id = parent.id if parent else None


def delete_grid(grid: Grid) -> None:
    """Delete a leaf grid that nothing refers to; history is never deleted with it."""
    in_use = {
        "children": select(Grid.id).where(Grid.parent_id == grid.id),
        "events": select(Event.id).where(Event.grid_id == grid.id),
        "places": select(Place.id).where(Place.grid_id == grid.id),
        "assignments": select(Assignment.id).where(Assignment.grid_id == grid.id),
        "units": select(Unit.id).where(Unit.grid_id == grid.id),
    }
    for what, query in in_use.items():
        if db.session.scalar(query.limit(1)) is not None:
            raise Conflict({"grid": [f"grid {grid.code} still has {what}; move or remove them first"]})
    audit.record("delete", grid, changes={"code": grid.code, "name": grid.name})
    db.session.delete(grid)
    db.session.flush()


def subtree(grid: Grid):
    return db.session.scalars(select(Grid).where(subtree_condition(grid.path)).order_by(Grid.path)).all()


def get_grid(grid_id) -> Grid:
    return get(Grid, grid_id, "grid")
