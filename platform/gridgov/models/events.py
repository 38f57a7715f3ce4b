"""Events: append-only facts (巡查, 信息上报, 会议签到, 评分 ...)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..tenancy import TenantOwned
from .base import JSONDoc, UTCDateTime, utcnow
from .grids import Grid


class Event(TenantOwned, db.Model):
    """One fact. Never updated: a correction is a new event that voids (``voids_id``) or amends
    (``amends_id``) an earlier one. ``idempotency_key`` makes a retried submission a no-op;
    ``request_hash`` detects a reuse of the key with a different body."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        Index("ix_events_tenant_time", "tenant_id", "occurred_at", "id"),
        Index("ix_events_tenant_grid_time", "tenant_id", "grid_id", "occurred_at"),
        Index("ix_events_tenant_type_time", "tenant_id", "type", "occurred_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(96))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id", ondelete="RESTRICT"))
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), nullable=True, index=True)
    subject_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), nullable=True, index=True)
    subject_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), nullable=True)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), nullable=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    payload: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    request_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    voids_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="RESTRICT"), nullable=True, index=True)
    amends_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="RESTRICT"), nullable=True, index=True)
    grid: Mapped[Grid] = relationship()

    def __str__(self) -> str:
        return f"{self.type} #{self.id}"
