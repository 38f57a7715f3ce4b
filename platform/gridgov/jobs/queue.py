"""``enqueue``: the one way to start a background job, whichever backend runs it.

A job joins the caller's transaction: :func:`enqueue` adds its :class:`JobRecord` to the
session and the job is handed to the backend only when that transaction commits (a rolled-back
request starts no job, and a job never runs before the rows it needs are visible). With
``REDIS_URL`` the backend is RQ; without it, the in-process runner of :mod:`.inprocess`.
"""
from __future__ import annotations

import dataclasses
import importlib
import json
import logging
import uuid

from flask import Flask, current_app
from rq import Callback, Queue, Retry
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ..extensions import db
from ..models.base import utcnow
from ..models.jobs import FAILED, QUEUED, JobRecord
from ..tenancy import TenantScopeError, current_tenant_id, platform_scope, scope_is_set
from .settings import redis_connection, settings

log = logging.getLogger(__name__)
PENDING = "gridgov_jobs_pending"


def func_path(func) -> str:
    """The dotted import path of a job function (a module-level function, or its path)."""
    if isinstance(func, str):
        return func.replace(":", ".")
    module, qualname = getattr(func, "__module__", None), getattr(func, "__qualname__", "")
    if not module or module == "__main__" or "." in qualname or "<" in qualname:
        raise ValueError(f"a job must be a module-level function importable by path, not {func!r}")
    return f"{module}.{qualname}"


def resolve(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _check_json(args, kwargs) -> None:
    for name, value in [(f"argument {i + 1}", a) for i, a in enumerate(args)] + list(kwargs.items()):
        try:
            json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"job {name} must be a JSON value (ids, strings, numbers, lists, dicts): {exc}") from None


def _check_scope(tenant_id: int | None) -> None:
    if not scope_is_set():
        raise TenantScopeError("enqueue needs a scope: call it inside tenant_scope() or platform_scope()")
    current = current_tenant_id()
    if current is not None and tenant_id != current:
        raise TenantScopeError(f"a job enqueued in tenant {current}'s scope must be for it: enqueue(..., tenant_id={current})")


@dataclasses.dataclass(frozen=True)
class Dispatch:
    """What the backend needs once the transaction has committed (no ORM object: the session
    may not emit SQL in ``after_commit``)."""

    app: Flask
    record_id: int
    rq_job_id: str
    backend: str
    queue: str
    title: str
    retries: int


def enqueue(func, *args, title: str | None = None, job_id: str | None = None, retries: int = 3,
            tenant_id: int | None = None, queue: str = "default", **kwargs) -> JobRecord:
    """Queue ``func(*args, **kwargs)`` to run in the background once the current transaction commits.

    :param func: a module-level function, or its dotted import path (``"pkg.module.func"``);
        the worker imports it by path.
    :param args, kwargs: JSON values only (ids, not ORM objects); stored on the record.
    :param title: what the console shows (default: the function's path).
    :param job_id: an idempotency key, e.g. ``"report:42:2026-11"``: while a record with this
        key is queued, running or finished, enqueueing it again does nothing and returns that
        record; a failed one is queued again.
    :param retries: how many times a failing job is run again (intervals from
        ``GRIDGOV_JOB_RETRY_INTERVALS``).
    :param tenant_id: the tenant the job is for: it runs inside ``tenant_scope(tenant_id)`` and
        its record belongs to the tenant. Inside a tenant's scope it must be that tenant. Without
        it the job runs with no scope (a platform job enters ``platform_scope()`` itself).
    :param queue: the queue's name without the prefix (``gridgov worker -q`` picks queues).
    :returns: the :class:`JobRecord` (flushed, state ``queued``).

    The names of these options cannot be keyword arguments of the job itself.
    """
    path = func_path(func)
    _check_json(args, kwargs)
    _check_scope(tenant_id)
    app = current_app._get_current_object()
    backend = "rq" if settings(app).redis_url else "inprocess"
    record = None
    if job_id is not None:
        with db.session.no_autoflush, platform_scope():
            record = db.session.scalar(select(JobRecord).where(JobRecord.key == job_id))
        if record is not None and record.state != FAILED:
            return record
    if record is None:
        record = JobRecord(tenant_id=tenant_id, key=job_id, func_path=path, args=list(args), kwargs=kwargs)
        db.session.add(record)
    record.rq_job_id = uuid.uuid4().hex
    record.backend, record.queue, record.title = backend, queue, (title or path)[:200]
    record.state, record.max_retries, record.enqueued_at = QUEUED, max(0, int(retries)), utcnow()
    record.attempts, record.error, record.started_at, record.ended_at = 0, "", None, None
    db.session.flush()
    db.session.info.setdefault(PENDING, []).append(
        Dispatch(app, record.id, record.rq_job_id, backend, queue, record.title, record.max_retries))
    return record


def pending_record_ids(session: Session) -> set[int]:
    """Ids of the records this session's transaction queued (dispatched when it commits)."""
    return {item.record_id for item in session.info.get(PENDING, [])}


def dispatch(item: Dispatch) -> None:
    """Hand a committed job to its backend."""
    if item.backend == "rq":
        s = settings(item.app)
        rq_queue = Queue(s.queue_name(item.queue), connection=redis_connection(item.app), default_timeout=s.job_timeout)
        rq_queue.enqueue_call(
            "gridgov.jobs.runner.run_job", args=(item.record_id,), job_id=item.rq_job_id,
            description=item.title, failure_ttl=30 * 86400,
            retry=Retry(max=item.retries, interval=list(s.retry_intervals)) if item.retries else None,
            on_failure=Callback("gridgov.jobs.runner.on_rq_failure"),
        )
    else:
        from .inprocess import runner_for

        runner_for(item.app).submit(item.record_id)


def dispatch_record(app: Flask, record: JobRecord) -> None:
    """Dispatch a record again (a lost job found by recovery)."""
    dispatch(Dispatch(app, record.id, record.rq_job_id, record.backend, record.queue, record.title, record.max_retries))


@event.listens_for(Session, "after_commit")
def _dispatch_pending(session) -> None:
    for item in session.info.pop(PENDING, []):
        try:
            dispatch(item)
        except Exception:  # the record stays queued; the worker's recovery dispatches it again
            log.exception("could not dispatch job record %s", item.record_id)


@event.listens_for(Session, "after_rollback")
def _forget_pending(session) -> None:
    session.info.pop(PENDING, None)
