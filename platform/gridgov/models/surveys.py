"""Satisfaction surveys (满意度测评): a survey of a grid subtree and its one-time tokens.

A survey samples households (or a number of anonymous slots per grid) and issues one token for
each; a token is a link a resident opens once. Only the SHA-256 of a token is stored, with the
random ``salt`` it was derived from (see :mod:`gridgov.surveys.operations`). The vote itself is
an event (``core.survey_vote``); ``event_id`` points at it, and the unique idempotency key of
that event (``survey-vote:<token id>``) is the database's guarantee of one vote per token.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..tenancy import TenantOwned
from .base import UTCDateTime, utcnow
from .grids import Grid

DEFAULT_QUESTION = "您对本社区网格化管理工作是否满意？"
# The answers of a vote, in the order the page offers them (满意 / 基本满意 / 不满意).
ANSWERS = {
    "satisfied": ("满意", "Satisfied"),
    "basically_satisfied": ("基本满意", "Basically satisfied"),
    "dissatisfied": ("不满意", "Dissatisfied"),
}
SURVEY_STATES = {
    "open": ("进行中", "Open"),
    "closed": ("已结束", "Closed"),
}


class Survey(TenantOwned, db.Model):
    """One survey (测评): a grid subtree, a period of local dates (inclusive) and a question.
    ``place_kind``/``per_grid`` record how the tokens were sampled."""

    __tablename__ = "surveys"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="period_ordered"),
        Index("ix_surveys_tenant_ends", "tenant_id", "ends_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id", ondelete="RESTRICT"), index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    question: Mapped[str] = mapped_column(Text, default=DEFAULT_QUESTION)
    status: Mapped[str] = mapped_column(String(16), default="open")
    place_kind: Mapped[str | None] = mapped_column(String(96), nullable=True)
    per_grid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    grid: Mapped[Grid] = relationship()

    def __str__(self) -> str:
        return self.title


class SurveyToken(TenantOwned, db.Model):
    """A one-time link for one sampled household (``place_id``) or slot in ``grid_id``.

    ``token_hash`` is looked up across tenants when a resident opens the link (the index on it
    alone); its uniqueness is per tenant, like every unique constraint of the schema."""

    __tablename__ = "survey_tokens"
    __table_args__ = (
        UniqueConstraint("tenant_id", "token_hash"),
        UniqueConstraint("tenant_id", "survey_id", "place_id"),
        Index("ix_survey_tokens_hash", "token_hash"),
        Index("ix_survey_tokens_tenant_survey_grid", "tenant_id", "survey_id", "grid_id"),
        Index("ix_survey_tokens_tenant_grid", "tenant_id", "grid_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id", ondelete="RESTRICT"))
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), nullable=True)
    salt: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="RESTRICT"), nullable=True, index=True)
    survey: Mapped[Survey] = relationship()
