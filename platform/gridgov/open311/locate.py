"""Which grid a reported point lies in: the deepest grid of a subtree whose GeoJSON geometry
(Polygon or MultiPolygon, coordinates as [longitude, latitude]) contains it.

Grids without a geometry, or with one that is not an area, are skipped; the caller falls back to
the subtree's root (the key's intake grid). The test is the even-odd ray cast, ample for grid
boundaries a few hundred metres across.
"""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Grid
from ..operations.grids import subtree_ids


def _in_ring(x: float, y: float, ring) -> bool:
    inside = False
    points = [(float(p[0]), float(p[1])) for p in ring]
    for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1]):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def _in_polygon(x: float, y: float, rings) -> bool:
    return bool(rings) and _in_ring(x, y, rings[0]) and not any(_in_ring(x, y, hole) for hole in rings[1:])


def contains(geometry, longitude: float, latitude: float) -> bool:
    """Whether a GeoJSON Polygon/MultiPolygon contains the point; False for anything else."""
    try:
        if geometry.get("type") == "Polygon":
            return _in_polygon(longitude, latitude, geometry["coordinates"])
        if geometry.get("type") == "MultiPolygon":
            return any(_in_polygon(longitude, latitude, rings) for rings in geometry["coordinates"])
    except (AttributeError, KeyError, IndexError, TypeError, ValueError, ZeroDivisionError):
        return False
    return False


def grid_at(root: Grid, latitude, longitude) -> Grid:
    """The deepest grid under ``root`` (itself included) containing the point, else ``root``."""
    for grid in db.session.scalars(select(Grid).where(Grid.id.in_(subtree_ids(root))).order_by(Grid.level.desc(), Grid.id)):
        if grid.geometry and contains(grid.geometry, float(longitude), float(latitude)):
            return grid
    return root
