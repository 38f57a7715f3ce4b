"""The grid tree (网格) and organisational units (单位/科室)."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..tenancy import TenantOwned
from .base import JSONDoc, PathString

PATH_SEP = "/"
# Upper bound of a path range: every path character sorts below "~" byte-wise.
PATH_END = "~"


class Grid(TenantOwned, db.Model):
    """A node of a tenant's grid tree.

    ``path`` is the materialised path of ids (``/12/40/311/``); a subtree is the index range
    ``path >= p AND path < p || '~'`` — one indexed query, never a walk in Python. ``code`` is the
    hierarchical grid code (in the spirit of CJ/T 213), unique per tenant.
    """

    __tablename__ = "grids"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        Index("ix_grids_tenant_path", "tenant_id", "path"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id", ondelete="RESTRICT"), nullable=True, index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(Integer, default=0)  # 0 = root
    path: Mapped[str] = mapped_column(PathString, default="")
    attributes: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    geometry: Mapped[dict | None] = mapped_column(JSONDoc, nullable=True)  # GeoJSON geometry
    parent: Mapped["Grid | None"] = relationship(remote_side="Grid.id", lazy="select")

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip(PATH_SEP).split(PATH_SEP) if p][:-1]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Unit(TenantOwned, db.Model):
    """An organisational unit: a street department (科室), community office, police station,
    fire brigade, evaluation office. Units handle cases, can be assessed, and can be attached to
    a grid (挂点)."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), nullable=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id", ondelete="SET NULL"), nullable=True, index=True)
    attributes: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    parent: Mapped["Unit | None"] = relationship(remote_side="Unit.id")
    grid: Mapped[Grid | None] = relationship()

    def __str__(self) -> str:
        return self.name
