"""Cases (案件): problems run from report to closure, with every transition recorded.

The workflow's rules (which action leads from which state to which, and who may take it) live in
:mod:`gridgov.operations.cases`; these tables only keep the outcome. Timestamps of the life cycle
and the deadlines are columns, not rows to replay, so the metrics (:mod:`gridgov.metrics`) and
the queues are plain indexed aggregates.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..tenancy import TenantOwned
from .base import JSONDoc, UTCDateTime, utcnow
from .grids import Grid, Unit

# Where a report came from (来源).
CASE_SOURCES = {
    "patrol": ("网格员巡查", "Patrol"),
    "inspection": ("检查督查", "Inspection"),
    "hotline_96119": ("96119 火灾隐患举报", "Hotline 96119"),
    "hotline_12345": ("12345 政务服务热线", "Hotline 12345"),
    "public_web": ("网上公众上报", "Public web"),
    "open311": ("Open311", "Open311"),
    "other": ("其他", "Other"),
}
REPORTER_KINDS = {
    "staff": ("工作人员", "Staff"),
    "resident": ("群众", "Resident"),
    "system": ("外部系统", "Another system"),
}
CLOSURE_TYPES = {
    "normal": ("正常结案", "Closed in time"),
    "overdue": ("超时结案", "Closed late"),
    "special": ("特殊结案", "Special closure"),
}


class CaseCounter(TenantOwned, db.Model):
    """The last case number issued per tenant and year; its row lock serialises numbering."""

    __tablename__ = "case_counters"
    __table_args__ = (UniqueConstraint("tenant_id", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Case(TenantOwned, db.Model):
    """One problem (案件) and where it stands.

    ``deadlines`` keeps the category's time limits for this case's severity as they were when the
    case was reported or accepted ({stage: {"amount", "unit"}}), so a plugin upgrade never moves a
    running case's deadline. ``*_due_at`` are the current deadlines (shifted by pauses);
    ``paused_seconds`` the total time spent waiting; ``handling_seconds`` is set at closure:
    report → close minus the paused time. ``overdue`` is sticky: some deadline was missed.
    ``version`` guards against two officers moving the same case at once.
    """

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index("ix_cases_tenant_unit_state", "tenant_id", "unit_id", "state"),
        Index("ix_cases_tenant_state_overdue", "tenant_id", "state", "overdue"),
        Index("ix_cases_tenant_grid_reported", "tenant_id", "grid_id", "reported_at"),
        Index("ix_cases_tenant_reported", "tenant_id", "reported_at"),
        Index("ix_cases_tenant_accepted", "tenant_id", "accepted_at"),
        Index("ix_cases_tenant_resolve_due", "tenant_id", "resolve_due_at"),
        Index("ix_cases_tenant_closed", "tenant_id", "closed_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20))  # 2026-000123
    category: Mapped[str] = mapped_column(String(96))
    severity: Mapped[str] = mapped_column(String(16), default="normal")
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id", ondelete="RESTRICT"))
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), nullable=True, index=True)
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6), nullable=True)
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6), nullable=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(32), default="patrol")
    source_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)  # hotline work-order number
    reporter_kind: Mapped[str] = mapped_column(String(16), default="staff")
    reporter_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    reporter_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), nullable=True)
    reporter_name: Mapped[str] = mapped_column(String(100), default="")
    reporter_contact: Mapped[str] = mapped_column(String(100), default="")

    state: Mapped[str] = mapped_column(String(16), default="reported")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), nullable=True)
    handler_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    reject_reason: Mapped[str] = mapped_column(Text, default="")

    deadlines: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    accept_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolve_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    close_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    paused_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)

    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closure_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    closure_reason: Mapped[str] = mapped_column(Text, default="")
    handling_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_transition_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    escalation_count: Mapped[int] = mapped_column(Integer, default=0)
    handoff_count: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)

    grid: Mapped[Grid] = relationship()
    unit: Mapped[Unit | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return self.number


class CaseTransition(TenantOwned, db.Model):
    """One step of a case (report, accept, dispatch ...): who, when, from which state to which.
    ``extra`` holds what the step decided (units, deadlines, closure type) for the timeline."""

    __tablename__ = "case_transitions"
    __table_args__ = (
        Index("ix_case_transitions_tenant_case", "tenant_id", "case_id", "id"),
        Index("ix_case_transitions_tenant_action_at", "tenant_id", "action", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_state: Mapped[str] = mapped_column(String(16))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[dict] = mapped_column(JSONDoc, default=dict)


class HandOff(TenantOwned, db.Model):
    """The written record of a case handed from one unit to another (移交记录, 交办函):
    the letter's number and text and the reason; scanned letters attach by id."""

    __tablename__ = "case_handoffs"
    __table_args__ = (Index("ix_case_handoffs_tenant_case", "tenant_id", "case_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    transition_id: Mapped[int] = mapped_column(ForeignKey("case_transitions.id", ondelete="CASCADE"))
    from_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), nullable=True)
    to_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    letter_number: Mapped[str] = mapped_column(String(64), default="")
    letter_text: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text)
    attachment_ids: Mapped[list] = mapped_column(JSONDoc, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseReminder(TenantOwned, db.Model):
    """An overdue reminder (超期提醒/催办) for whoever is responsible for the stage a case missed:
    the unit and its handler for ``resolve``/``close``, the supervising centre (no unit) for
    ``accept``. One per case and stage, whatever how often the sweep runs."""

    __tablename__ = "case_reminders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "case_id", "stage"),
        Index("ix_case_reminders_tenant_unit_ack", "tenant_id", "unit_id", "acknowledged_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(16))  # accept | resolve | close
    kind: Mapped[str] = mapped_column(String(16), default="overdue")
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"), nullable=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
