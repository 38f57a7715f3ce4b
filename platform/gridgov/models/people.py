"""People and their assignments (人员与任职)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..tenancy import TenantOwned
from .base import JSONDoc
from .grids import Grid, Unit


class Person(TenantOwned, db.Model):
    """A member of staff or another person the tenant keeps (grid director, liaison, cadre)."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(32), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    attributes: Mapped[dict] = mapped_column(JSONDoc, default=dict)

    def __str__(self) -> str:
        return self.name


class Assignment(TenantOwned, db.Model):
    """A person holds a role in a grid or a unit from ``starts_on`` to ``ends_on`` (inclusive).

    ``role`` is a role key declared by a plugin (``chashan.grid_director``) or by the core.
    ``sheet_override`` names the assessment sheet when it differs from the role's
    (孟津: "邵军按网格责任人进行考核").
    """

    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint("(grid_id IS NULL) <> (unit_id IS NULL)", name="grid_xor_unit"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="span_ordered"),
        Index("ix_assignments_tenant_person", "tenant_id", "person_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(96))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id", ondelete="CASCADE"), nullable=True, index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), nullable=True, index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    sheet_override: Mapped[str | None] = mapped_column(String(96), nullable=True)
    person: Mapped[Person] = relationship()
    grid: Mapped[Grid | None] = relationship()
    unit: Mapped[Unit | None] = relationship()

    def __str__(self) -> str:
        return f"{self.person} — {self.role}"
