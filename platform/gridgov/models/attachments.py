"""Attachments (附件): photos and scanned letters on cases and events.

The bytes live on disk under the upload folder (``storage_key`` is the path below it); the row
keeps what was checked on the way in — the type detected from the content, never the client's
claim — and the SHA-256, so a served file can be traced to its upload.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..tenancy import TenantOwned
from .base import UTCDateTime, utcnow


class Attachment(TenantOwned, db.Model):
    __tablename__ = "attachments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "storage_key"),
        Index("ix_attachments_tenant_owner", "tenant_id", "owner_kind", "owner_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(32))  # "case", "event" (see attachments.OWNER_MODELS)
    owner_id: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))  # as uploaded, for display and download only
    content_type: Mapped[str] = mapped_column(String(100))  # detected from the bytes
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(128))  # "<tenant id>/<random hex>"
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __str__(self) -> str:
        return f"{self.filename} ({self.owner_kind} #{self.owner_id})"
