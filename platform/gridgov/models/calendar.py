"""The official working-day calendar (工作日历): a platform table, shared by every tenant.

Only the exceptions to Monday–Friday are stored: statutory holidays that fall on weekdays
(法定节假日) and weekend days that are make-up working days (调休上班). A year is known when it
has a :class:`CalendarYear` row — seeded from the ``chinese-calendar`` package ("official") or
entered by a platform administrator from the State Council's notice ("entered").
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow

CALENDAR_SOURCES = ("official", "entered")


class CalendarYear(db.Model):
    """A year whose official schedule the platform knows, and where it came from."""

    __tablename__ = "calendar_years"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(16))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    entered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(String(500), default="")

    def __str__(self) -> str:
        return f"{self.year} ({self.source})"


class CalendarDay(db.Model):
    """One exception to Monday–Friday: a weekday off, or a weekend day worked."""

    __tablename__ = "calendar_days"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("calendar_years.year", ondelete="CASCADE"), index=True)
    is_working_day: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(64), default="")  # 国庆节, 春节（调休上班）

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.name}"
