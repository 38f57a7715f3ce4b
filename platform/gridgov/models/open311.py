"""Open311 GeoReport v2 (公众上报接口): the tenant's API keys and what a request carried.

A key belongs to one tenant and names the intake grid (受理网格) where its reports land unless
their location points at a grid below it; only its SHA-256 is stored. A request becomes a
:class:`~gridgov.models.cases.Case` (source ``open311``); the fields of the specification the
case has no column for (email, device and account ids, media URL, attributes) are kept beside
it in :class:`Open311Request`.
"""
from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..tenancy import TenantOwned
from .base import JSONDoc, UTCDateTime, utcnow
from .grids import Grid


class Open311Key(TenantOwned, db.Model):
    """An ``api_key`` for POST requests, issued and revoked by the tenant administrator."""

    __tablename__ = "open311_keys"
    __table_args__ = (UniqueConstraint("tenant_id", "key_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to recognise a key
    key_hash: Mapped[str] = mapped_column(String(64))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id", ondelete="RESTRICT"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    grid: Mapped[Grid] = relationship()

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Open311Request(TenantOwned, db.Model):
    """The GeoReport fields of a case reported through Open311 that the case does not keep."""

    __tablename__ = "open311_requests"
    __table_args__ = (UniqueConstraint("tenant_id", "case_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    key_id: Mapped[int | None] = mapped_column(ForeignKey("open311_keys.id", ondelete="SET NULL"), nullable=True, index=True)
    email: Mapped[str] = mapped_column(String(254), default="")
    device_id: Mapped[str] = mapped_column(String(128), default="")
    account_id: Mapped[str] = mapped_column(String(128), default="")
    media_url: Mapped[str] = mapped_column(String(1000), default="")
    attributes: Mapped[dict] = mapped_column(JSONDoc, default=dict)
