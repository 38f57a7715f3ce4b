"""Register entries (登记台账): street sections, key units, shops, households."""
from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..tenancy import TenantOwned
from .base import JSONDoc
from .grids import Grid


class Place(TenantOwned, db.Model):
    """A register entry in a grid; its kind (``dafang_fire.key_unit``) and the schema of its
    attributes are declared by a plugin."""

    __tablename__ = "places"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(96))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    attributes: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    geometry: Mapped[dict | None] = mapped_column(JSONDoc, nullable=True)
    grid: Mapped[Grid] = relationship()

    def __str__(self) -> str:
        return self.name
