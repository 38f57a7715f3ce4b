"""The grid tree (网格): list, create, read, change or move, delete, and a subtree."""
from __future__ import annotations

from flask.views import MethodView

from ..models import Grid
from ..operations import grids as grid_ops
from . import listing
from .access import tenant_blueprint
from .schemas import GridIn, GridOut, GridQuery, PageQuery, page_of

blp = tenant_blueprint("grids", "The grid tree (网格) of a tenant; level names come from its plugins.")
GridPage = page_of(GridOut, "GridPage")


@blp.route("/grids")
class Grids(MethodView):
    @blp.arguments(GridQuery, location="query", error_status_code=400)
    @blp.response(200, GridPage)
    def get(self, args):
        """List grids, in tree order; filter by parent_id, level or code."""
        return listing.page(Grid, args, listing.equal_filters(Grid, args), order_by=[Grid.path])

    @blp.arguments(GridIn)
    @blp.response(201, GridOut)
    def post(self, data):
        """Create a grid; its level is its depth under parent_id."""
        return grid_ops.create_grid(**data)


@blp.route("/grids/<int:grid_id>")
class GridItem(MethodView):
    @blp.response(200, GridOut)
    def get(self, grid_id):
        return grid_ops.get_grid(grid_id)

    @blp.arguments(GridIn(partial=True))
    @blp.response(200, GridOut)
    def patch(self, data, grid_id):
        """Change a grid; a new parent_id moves it with its whole subtree."""
        return grid_ops.update_grid(grid_ops.get_grid(grid_id), **data)

    @blp.response(204)
    def delete(self, grid_id):
        """Delete a grid that has no children, events, places, assignments or units."""
        grid_ops.delete_grid(grid_ops.get_grid(grid_id))


@blp.route("/grids/<int:grid_id>/subtree")
class GridSubtree(MethodView):
    @blp.arguments(PageQuery, location="query", error_status_code=400)
    @blp.response(200, GridPage)
    def get(self, args, grid_id):
        """The grid and every grid below it, in tree order (one indexed range query)."""
        grid = grid_ops.get_grid(grid_id)
        return listing.page(Grid, args, [grid_ops.subtree_condition(grid.path)], order_by=[Grid.path])
