"""Prompt recovery of jobs whose worker died, and of jobs lost between commit and enqueue.

**Abandoned jobs.** A worker killed in the middle of a job (SIGKILL, OOM, a lost machine)
cannot report anything. Its work horse dies with it (``PR_SET_PDEATHSIG``, see
:mod:`.worker`), so the job's open transaction is rolled back by the database. RQ itself
leaves the job STARTED until its entry in the ``StartedJobRegistry`` expires (the last
heartbeat + about 60 s) and then only notices it at its next registry cleanup, which runs every
10 minutes by default. Instead, every scheduler tick of every ``gridgov worker`` (on start and
every ``GRIDGOV_SCHEDULER_INTERVAL`` seconds) looks at the started jobs of its queues and
declares a job abandoned when its RQ *execution* says its worker is gone:

* the execution or the worker's registration has expired, or the worker registered its death;
* the worker ran on this host and its process no longer exists (found at once);
* the execution's heartbeat — refreshed every ``job_monitoring_interval`` (10 s) while the
  job runs — is older than ``GRIDGOV_WORKER_STALE_AFTER`` (60 s; a worker on another host).

An abandoned job is then handed to RQ's own abandoned-job handling (its registry entry is
expired and the registry cleaned): that counts as one failed attempt — the job is retried
after the retry interval if it has retries left, or failed — and calls the job's failure
callback, which records it on the :class:`JobRecord`. The new attempt runs from a clean
slate; a run that had finished is not repeated (see :mod:`.runner`).

**Lost jobs.** A process that dies after committing a job's record but before handing it to
Redis leaves a record ``queued`` with no RQ job: it is dispatched again.

**Dead schedulers.** A retry after an interval is moved to its queue by RQ's scheduler. The
lock of a scheduler process of this host that died with its worker is released at once
(:func:`release_dead_scheduler_locks`), so a surviving worker takes over without waiting
about a minute for the lock to expire (as it must for a scheduler on another host).

Measured (``tests/test_jobs_redis.py``, one 2-core host, retry interval 1 s, ticks every
1 s): after the worker running a job was SIGKILLed, a newly started worker finished the job
4.4–6.9 s after it was launched (SQLite and PostgreSQL), most of it the new process starting
up; it found the job abandoned in its first tick. A worker already running on the same host
finds it within one tick (``GRIDGOV_SCHEDULER_INTERVAL``, 15 s by default), one on another
host once the heartbeat is ``GRIDGOV_WORKER_STALE_AFTER`` old; then the retry interval
applies. RQ alone leaves the job STARTED for about 90 s (the last heartbeat + 60 s) and
only handles it at the next registry cleanup, every 10 minutes by default.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
from typing import Iterator

import redis
from flask import Flask
from rq import Queue
from rq.executions import Execution
from rq.job import Job
from rq.registry import StartedJobRegistry
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler
from rq.scripts import release_lock
from sqlalchemy import select

from ..extensions import db
from ..models.jobs import QUEUED, JobRecord
from ..tenancy import platform_scope
from .queue import dispatch_record
from .settings import redis_connection, settings

log = logging.getLogger(__name__)
WORKER_KEY = "rq:worker:{}"
RECOVERY_LOCK_TTL = 30  # seconds; a tick holds it for a few Redis round trips


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _dead_here(registration: dict) -> int | None:
    """The pid of a registered RQ process of this host that no longer exists, else None."""
    pid = int(registration.get(b"pid") or 0)
    if registration.get(b"hostname", b"").decode() == socket.gethostname() and pid and not _process_exists(pid):
        return pid
    return None


def why_gone(connection: redis.Redis, execution: Execution, stale_after: float) -> str | None:
    """Why the worker running ``execution`` is gone, or None while it is alive."""
    worker = connection.hgetall(WORKER_KEY.format(execution.worker_name))
    if not worker:
        return f"worker {execution.worker_name} is no longer registered"
    if worker.get(b"death"):
        return f"worker {execution.worker_name} stopped"
    if pid := _dead_here(worker):
        return f"worker process {pid} on this host no longer exists"
    silent = (dt.datetime.now(dt.timezone.utc) - execution.last_heartbeat).total_seconds()
    if silent > stale_after:
        return f"no heartbeat from worker {execution.worker_name} for {silent:.0f} s"
    return None


@contextlib.contextmanager
def _alone(connection: redis.Redis, name: str) -> Iterator[bool]:
    """A short Redis lock: one worker at a time recovers, so nothing is recovered twice over."""
    acquired = bool(connection.set(name, os.getpid(), nx=True, ex=RECOVERY_LOCK_TTL))
    try:
        yield acquired
    finally:
        if acquired:
            connection.delete(name)


def requeue_abandoned(app: Flask, queues: list[Queue]) -> list[str]:
    """Hand the abandoned jobs of ``queues`` to RQ's retry/fail handling; returns their ids."""
    connection = redis_connection(app)
    stale_after = settings(app).stale_after
    found = []
    for queue in queues:
        with _alone(connection, f"{queue.name}:recovery-lock") as acquired:
            if acquired:
                found += _requeue_abandoned(connection, StartedJobRegistry(queue=queue), stale_after)
    return found


def _requeue_abandoned(connection: redis.Redis, registry: StartedJobRegistry, stale_after: float) -> list[str]:
    expired = []
    for job_id, execution_id in registry.get_job_and_execution_ids(cleanup=False):
        try:
            execution = Execution.fetch(execution_id, job_id, connection)
        except ValueError:
            reason = "its execution record expired"
        else:
            reason = why_gone(connection, execution, stale_after)
        if reason:
            log.warning("job %s was abandoned (%s): retrying or failing it now", job_id, reason)
            expired.append(f"{job_id}:{execution_id}")
    if expired:
        connection.zadd(registry.key, dict.fromkeys(expired, 0), xx=True)
        registry.cleanup()
    return [key.partition(":")[0] for key in expired]


def release_dead_scheduler_locks(app: Flask, queues: list[Queue]) -> list[str]:
    """Free the RQ scheduler lock of ``queues`` held by a scheduler process that died.

    Retries after an interval wait in RQ's scheduled-job registry until the one scheduler
    holding a queue's lock moves them to the queue; a killed worker's scheduler would
    otherwise keep the lock for another minute. The worker's next maintenance takes it.
    """
    connection = redis_connection(app)
    released = []
    for queue in queues:
        lock = RQScheduler.get_locking_key(queue.name)
        holder = connection.get(lock)
        if holder is None:
            continue
        registration = connection.hgetall(SCHEDULER_KEY_TEMPLATE % holder.decode())
        # no registration yet: a scheduler just starting (it registers after taking the lock)
        if registration and _dead_here(registration) and release_lock(connection, lock, holder.decode()):
            log.warning("the scheduler holding %s died: released its lock", queue.name)
            released.append(queue.name)
    return released


def redispatch_lost(app: Flask, older_than: float = 120.0) -> list[int]:
    """Dispatch again the RQ records still ``queued`` after ``older_than`` s with no RQ job."""
    connection = redis_connection(app)
    cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=older_than)
    with _alone(connection, f"{settings(app).prefix}:lost-jobs-lock") as acquired, platform_scope():
        if not acquired:
            return []
        rows = db.session.scalars(select(JobRecord).where(
            JobRecord.backend == "rq", JobRecord.state == QUEUED, JobRecord.enqueued_at < cutoff)).all()
        lost = [r for r in rows if not Job.exists(r.rq_job_id, connection)]
        for record in lost:
            log.warning("job record %s was never handed to Redis: dispatching it again", record.id)
            dispatch_record(app, record)
    return [r.id for r in lost]
