"""Assessment runs (考核), their per-subject score sheets, and judged inputs (评分录入).

A run is one sheet over one period and its subjects: draft → computed → published. A published
run and its results are frozen — a flush that would change or delete them is refused here, in
one place, whatever code tries. A correction is a new run whose ``supersedes_id`` names the
published run it replaces; the old run is left exactly as it was published.

Judged inputs belong to (sheet, period, item, subject), not to a run: a correction run reads
the same inputs. They are append-only; the latest entry counts, earlier ones stay as history.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..extensions import db
from ..tenancy import TenantOwned
from .base import JSONDoc, UTCDateTime, utcnow

DRAFT, COMPUTED, PUBLISHED = "draft", "computed", "published"
RUN_STATES = {
    DRAFT: ("草稿", "Draft"),
    COMPUTED: ("已计算", "Computed"),
    PUBLISHED: ("已公布", "Published"),
}
Points = Numeric(12, 2)
Money = Numeric(14, 2)


class AssessmentRun(TenantOwned, db.Model):
    """One sheet for one period (``[period_start, period_end)``, local dates).

    ``subject_ids`` None means the sheet's default subjects. ``fingerprint`` is the SHA-256 of
    the scheme version, tenant settings and every fact the scoring read; ``progress`` (0–100)
    and ``progress_note`` are written while the background job computes.
    """

    __tablename__ = "assessment_runs"
    __table_args__ = (
        UniqueConstraint("tenant_id", "supersedes_id"),
        Index("ix_assessment_runs_tenant_sheet_period", "tenant_id", "sheet", "period_start"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    sheet: Mapped[str] = mapped_column(String(96))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default=DRAFT)
    subject_ids: Mapped[list | None] = mapped_column(JSONDoc, nullable=True)
    scheme_version: Mapped[str] = mapped_column(String(32), default="")
    fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    progress_note: Mapped[str] = mapped_column(String(200), default="")
    computations: Mapped[int] = mapped_column(Integer, default=0)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job_records.id", ondelete="SET NULL"), nullable=True)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("assessment_runs.id", ondelete="RESTRICT"), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    computed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    supersedes: Mapped["AssessmentRun | None"] = relationship(remote_side="AssessmentRun.id")

    def __str__(self) -> str:
        return f"{self.sheet} {self.period_start.isoformat()} #{self.id}"


class AssessmentResult(TenantOwned, db.Model):
    """One subject's score sheet in a run.

    ``items`` is a list of line items as JSON (``key``, ``points``, ``max_points``, ``rule``,
    ``evidence`` {``event_ids``, ``case_ids``, ``judged``, ``note``}, ``money``,
    ``nothing_due``) with Decimals as strings; ``awards`` the money awarded after ranking.
    ``rank`` counts every subject (1, 1, 3); ``eligible_rank`` only those not vetoed, and is
    None for a vetoed subject (left out of selections and awards, score kept).
    """

    __tablename__ = "assessment_results"
    __table_args__ = (UniqueConstraint("tenant_id", "run_id", "subject_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("assessment_runs.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[int] = mapped_column(Integer)
    subject_name: Mapped[str] = mapped_column(String(200), default="")
    items: Mapped[list] = mapped_column(JSONDoc, default=list)
    base: Mapped[Decimal] = mapped_column(Points)
    bonus: Mapped[Decimal] = mapped_column(Points)
    penalty: Mapped[Decimal] = mapped_column(Points)
    total: Mapped[Decimal] = mapped_column(Points)
    grade: Mapped[str] = mapped_column(String(32))
    rank: Mapped[int] = mapped_column(Integer)
    eligible_rank: Mapped[int | None] = mapped_column(Integer, nullable=True)
    money: Mapped[Decimal] = mapped_column(Money)
    awards: Mapped[list] = mapped_column(JSONDoc, default=list)
    vetoes: Mapped[list] = mapped_column(JSONDoc, default=list)
    flags: Mapped[list] = mapped_column(JSONDoc, default=list)
    run: Mapped[AssessmentRun] = relationship()


class Judgement(TenantOwned, db.Model):
    """A judged item entered by an assessor (评分): points within the item's range, and why."""

    __tablename__ = "assessment_judgements"
    __table_args__ = (
        Index("ix_assessment_judgements_lookup", "tenant_id", "sheet", "period_start", "item"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    sheet: Mapped[str] = mapped_column(String(96))
    period_start: Mapped[dt.date] = mapped_column(Date)
    item: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[int] = mapped_column(Integer)
    points: Mapped[Decimal] = mapped_column(Points)
    reason: Mapped[str] = mapped_column(Text, default="")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    entered_by_name: Mapped[str] = mapped_column(String(200), default="")
    entered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class FrozenRunError(RuntimeError):
    """A flush tried to change a published run, its results, or a judged input."""


def _was_published(run: AssessmentRun) -> bool:
    history = inspect(run).attrs.state.history
    before = history.deleted[0] if history.deleted else (history.unchanged[0] if history.unchanged else run.state)
    return before == PUBLISHED


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_published(session, flush_context, instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AssessmentRun) and _was_published(obj) \
                and (obj in session.deleted or session.is_modified(obj)):
            raise FrozenRunError(f"assessment run {obj.id} is published: it cannot change (correct it with a new run)")
        if isinstance(obj, AssessmentResult) and (obj in session.deleted or session.is_modified(obj)) \
                and obj.run is not None and obj.run.state == PUBLISHED:
            raise FrozenRunError(f"results of the published assessment run {obj.run_id} cannot change")
        if isinstance(obj, Judgement) and (obj in session.deleted or session.is_modified(obj)):
            raise FrozenRunError("judged inputs are append-only: enter a new one")
