"""Scheduled jobs (定时任务): each slot of each declared job is enqueued exactly once.

Plugins declare :class:`gridgov.plugins.ScheduledJob` through ``gridgov_scheduled_jobs``.
Every ``GRIDGOV_SCHEDULER_INTERVAL`` seconds a scheduler *tick* works out, for each job (and,
for a per-tenant job, each tenant that enables its plugin), the latest slot of its cron at or
before now, and enqueues the job with the idempotency key ``cron:<job>:<tenant>:<slot>``.

Exactly once, across any number of schedulers:

* the key is unique in ``job_records``: a second scheduler finds the record (or loses the
  INSERT race and rolls back) and enqueues nothing — this is the guarantee;
* with Redis, a scheduler first claims the slot with ``SET <prefix>:cron:<key> NX`` so that
  several ``gridgov worker`` processes do not all query the database for it; a claim that was
  not followed by a commit expires after ``CLAIM_TTL`` and another scheduler takes the slot.

Only the latest slot is enqueued: a scheduler that was down for an hour runs a 15-minute job
once when it comes back, not four times. The schedulers are the tick inside ``gridgov
worker`` (with Redis) and :func:`start_embedded_scheduler` for ``gridgov serve`` (without).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import zoneinfo

import redis
from croniter import croniter
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import JobRecord, Tenant
from ..plugins import Registry, ScheduledJob
from ..tenancy import platform_scope, tenant_scope
from .queue import enqueue, pending_record_ids
from .settings import redis_connection, settings

log = logging.getLogger(__name__)
CLAIM_TTL = 120            # seconds a claim lasts until its scheduler commits the slot
DONE_TTL = 2 * 86400       # seconds a committed slot stays claimed (the database remembers for ever)


@dataclasses.dataclass(frozen=True)
class Slot:
    job: ScheduledJob
    tenant_id: int | None
    at: dt.datetime  # UTC

    @property
    def key(self) -> str:
        return f"cron:{self.job.key}:{self.tenant_id or 'platform'}:{self.at:%Y%m%dT%H%MZ}"


def _zone(name: str | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def latest_slot(cron: str, now: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The latest time at or before ``now`` that ``cron`` (read in ``zone``) names, in UTC."""
    local = now.astimezone(zone).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    return croniter(cron, local).get_prev(dt.datetime).astimezone(dt.timezone.utc)


def due_slots(app: Flask, now: dt.datetime) -> list[Slot]:
    """Every job's latest slot, per tenant for per-tenant jobs (run in an app context)."""
    registry: Registry = app.extensions["gridgov_registry"]
    jobs = list(registry.scheduled_jobs.values())
    tenants = db.session.scalars(select(Tenant).order_by(Tenant.id)).all() if any(j.per_tenant for j in jobs) else []
    platform_zone = _zone(app.config.get("BABEL_DEFAULT_TIMEZONE"))
    slots = []
    for job in jobs:
        if not job.per_tenant:
            slots.append(Slot(job, None, latest_slot(job.cron, now, platform_zone)))
            continue
        for tenant in tenants:
            if job.plugin in Registry.enabled(tenant):
                slots.append(Slot(job, tenant.id, latest_slot(job.cron, now, _zone(tenant.timezone))))
    return slots


class MemoryClaims:
    """Claims of one process (the embedded scheduler)."""

    def __init__(self):
        self._done: set[str] = set()

    def claim(self, key: str) -> bool:
        return key not in self._done

    def confirm(self, key: str) -> None:
        self._done.add(key)

    def release(self, key: str) -> None:
        self._done.discard(key)


class RedisClaims:
    """Claims shared by every scheduler using one Redis (and queue prefix)."""

    def __init__(self, connection: redis.Redis, prefix: str):
        self.connection, self.prefix = connection, prefix

    def _name(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    def claim(self, key: str) -> bool:
        return bool(self.connection.set(self._name(key), "claimed", nx=True, ex=CLAIM_TTL))

    def confirm(self, key: str) -> None:
        self.connection.set(self._name(key), "done", ex=DONE_TTL)

    def release(self, key: str) -> None:
        self.connection.delete(self._name(key))


def claims_for(app: Flask):
    s = settings(app)
    return RedisClaims(redis_connection(app), s.prefix) if s.redis_url else MemoryClaims()


def tick(app: Flask, claims, now: dt.datetime | None = None) -> list[str]:
    """Enqueue the due slots nobody has enqueued yet; returns their keys. Run in an app context."""
    now = now or dt.datetime.now(dt.timezone.utc)
    enqueued = []
    for slot in due_slots(app, now):
        if not claims.claim(slot.key):
            continue
        try:
            with platform_scope():
                exists = db.session.scalar(select(JobRecord.id).where(JobRecord.key == slot.key))
            if exists is None:
                with tenant_scope(slot.tenant_id) if slot.tenant_id is not None else platform_scope():
                    record = enqueue(slot.job.func_path, title=slot.job.title_zh, job_id=slot.key, tenant_id=slot.tenant_id)
                    created = record.id in pending_record_ids(db.session)  # not another scheduler's, found meanwhile
                    db.session.commit()
                if created:
                    enqueued.append(slot.key)
            claims.confirm(slot.key)
        except IntegrityError:  # another scheduler committed this slot first
            db.session.rollback()
            claims.confirm(slot.key)
        except Exception:
            db.session.rollback()
            claims.release(slot.key)
            log.exception("scheduler: could not enqueue %s", slot.key)
    return enqueued


class EmbeddedScheduler(threading.Thread):
    """The scheduler thread of ``gridgov serve`` (no Redis): a tick every interval."""

    def __init__(self, app: Flask, interval: float | None = None):
        super().__init__(name="gridgov-scheduler", daemon=True)
        self.app = app
        self.interval = interval or settings(app).scheduler_interval
        self.claims = MemoryClaims()
        self._stop_event = threading.Event()

    def run(self) -> None:
        while True:
            with self.app.app_context():
                try:
                    tick(self.app, self.claims)
                except Exception:
                    log.exception("scheduler tick failed")
                finally:
                    db.session.remove()
            if self._stop_event.wait(self.interval):
                return

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def start_embedded_scheduler(app: Flask) -> EmbeddedScheduler | None:
    """Start the scheduler thread of the embedded mode; call once from ``gridgov serve``.

    With ``REDIS_URL`` set it does nothing and returns None: ``gridgov worker`` processes run
    the schedule. Otherwise it first queues again the in-process jobs a previous run of the
    server left unfinished (:func:`gridgov.jobs.inprocess.recover`), then starts a daemon
    thread that ticks every ``GRIDGOV_SCHEDULER_INTERVAL`` seconds, and returns it.
    """
    if settings(app).redis_url:
        log.info("REDIS_URL is set: scheduled jobs are run by `gridgov worker`")
        return None
    from .inprocess import recover

    recover(app)
    scheduler = EmbeddedScheduler(app)
    scheduler.start()
    return scheduler
