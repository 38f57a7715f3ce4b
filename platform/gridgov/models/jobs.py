"""Background job records (后台任务): what was queued, when it ran, how it ended.

One row per job, written by :mod:`gridgov.jobs` for both backends (RQ and in-process), so the
console shows the same thing whichever runs the jobs. A row belongs to the tenant the job runs
for; platform jobs have no tenant (``__tenant_optional__``, like the audit log).

The row is also the job's call: the function's import path and its JSON arguments. The RQ job
only carries the row's id, so a job that was lost (a crash between commit and enqueue, an
in-process runner that died) can be dispatched again from the database.
"""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..tenancy import TenantOwned
from .base import JSONDoc, UTCDateTime, utcnow

QUEUED, STARTED, FINISHED, FAILED, RETRYING = "queued", "started", "finished", "failed", "retrying"
JOB_STATES = {
    QUEUED: ("排队中", "Queued"),
    STARTED: ("运行中", "Started"),
    FINISHED: ("已完成", "Finished"),
    FAILED: ("失败", "Failed"),
    RETRYING: ("等待重试", "Retrying"),
}
UNFINISHED = (QUEUED, STARTED, RETRYING)


class JobRecord(TenantOwned, db.Model):
    __tablename__ = "job_records"
    __tenant_optional__ = True  # platform jobs run for no tenant
    __table_args__ = (
        Index("ix_job_records_tenant_enqueued", "tenant_id", "enqueued_at"),
        Index("ix_job_records_state", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), nullable=True)
    # Idempotency key: (function, arguments, slot) of a job that must run once. Unique across
    # tenants on purpose: a key names its tenant, and platform jobs have no tenant to pair with.
    key: Mapped[str | None] = mapped_column(String(255), unique=True, nullable=True)
    rq_job_id: Mapped[str] = mapped_column(String(64), unique=True)
    backend: Mapped[str] = mapped_column(String(16))  # "rq" | "inprocess"
    queue: Mapped[str] = mapped_column(String(64), default="default")
    func_path: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(200), default="")
    args: Mapped[list] = mapped_column(JSONDoc, default=list)
    kwargs: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    state: Mapped[str] = mapped_column(String(16), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_retries: Mapped[int] = mapped_column(Integer, default=0)
    enqueued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")

    @property
    def args_summary(self) -> str:
        """The call's arguments in one short line, for lists."""
        parts = [json.dumps(a, ensure_ascii=False) for a in self.args or []]
        parts += [f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in sorted((self.kwargs or {}).items())]
        text = ", ".join(parts)
        return text if len(text) <= 120 else text[:119] + "…"

    def __str__(self) -> str:
        return f"{self.title or self.func_path} #{self.id}"
