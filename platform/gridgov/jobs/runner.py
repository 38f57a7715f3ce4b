"""Running one job: the same steps for RQ's work horse and the in-process runner.

1. Mark the record ``started`` (attempts + 1) and commit, so the console shows it running.
   A record already ``finished`` is not run again: that is what makes a job idempotent.
2. Call the function inside the tenant's scope. Its writes are *not* committed as it goes:
3. the record is marked ``finished`` in the same transaction as the job's writes, by an UPDATE
   that only matches an unfinished record. So either the job's result and ``finished`` are
   committed together, or neither is: a worker killed in the middle leaves no half-written
   result, and if two runs of one job ever overlap, the second one's writes are rolled back.
4. On an exception everything is rolled back and the record is marked ``retrying`` (when
   retries are left) or ``failed``, with the traceback.

Jobs therefore never commit themselves (operations only flush).
"""
from __future__ import annotations

import contextlib
import logging
import traceback

from flask import Flask
from sqlalchemy import update

from ..extensions import db
from ..models.base import utcnow
from ..models.jobs import FAILED, FINISHED, RETRYING, STARTED, JobRecord
from ..tenancy import platform_scope, tenant_scope
from .queue import resolve

log = logging.getLogger(__name__)
_process_app: Flask | None = None


def set_process_app(app: Flask) -> None:
    """The app the jobs of this process run in (one per worker process, inherited by forks)."""
    global _process_app
    _process_app = app


def process_app() -> Flask:
    global _process_app
    if _process_app is None:
        from .. import create_app

        _process_app = create_app()
    return _process_app


def execute(record_id: int) -> str:
    """Run the job of one record; call inside a fresh app context with no scope set."""
    with platform_scope():
        record = db.session.get(JobRecord, record_id)
        if record is None:
            log.warning("job record %s does not exist (its transaction was rolled back?)", record_id)
            return "missing"
        if record.state == FINISHED:
            return "already finished"
        record.state, record.started_at, record.ended_at = STARTED, utcnow(), None
        record.attempts += 1
        path, args, kwargs, tenant_id = record.func_path, list(record.args), dict(record.kwargs), record.tenant_id
        db.session.commit()
    try:
        func = resolve(path)
        with tenant_scope(tenant_id) if tenant_id is not None else contextlib.nullcontext():
            func(*args, **kwargs)
            db.session.flush()
        with platform_scope():
            done = db.session.execute(
                update(JobRecord).where(JobRecord.id == record_id, JobRecord.state != FINISHED)
                .values(state=FINISHED, ended_at=utcnow(), error="")
            )
            if done.rowcount != 1:
                db.session.rollback()
                return "already finished"
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return "finished"


def record_failure(record_id: int, error: str, will_retry: bool) -> None:
    """Mark an attempt failed (in its own transaction, after the job's was rolled back)."""
    with platform_scope():
        db.session.execute(
            update(JobRecord).where(JobRecord.id == record_id, JobRecord.state != FINISHED)
            .values(state=RETRYING if will_retry else FAILED, ended_at=utcnow(), error=error[-8000:])
        )
        db.session.commit()


def in_app_context(func, *args):
    """Run ``func`` in a fresh app context of this process's app, removing the session after."""
    with process_app().app_context():
        try:
            return func(*args)
        finally:
            db.session.remove()


def run_job(record_id: int) -> str:
    """RQ's job function (in the work horse): every gridgov RQ job is ``run_job(record id)``."""
    return in_app_context(execute, record_id)


def on_rq_failure(job, connection, exc_type, exc_value, tb) -> None:
    """RQ's failure callback: an exception in the job, or an abandoned job (its worker died).

    RQ calls it before deciding on a retry, so ``retries_left`` still counts this failure.
    """
    if tb is not None:
        error = "".join(traceback.format_exception(exc_type, exc_value, tb))
    else:
        error = f"{exc_type.__name__}: {exc_value or 'the worker running the job died (abandoned job)'}"
    in_app_context(record_failure, job.args[0], error, bool(job.retries_left))
