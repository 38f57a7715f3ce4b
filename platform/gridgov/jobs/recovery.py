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
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket

import redis
from flask import Flask
from rq import Queue
from rq.executions import Execution
from rq.job import Job
from rq.registry import StartedJobRegistry
from sqlalchemy import select

from ..extensions import db
from ..models.jobs import QUEUED, JobRecord
from ..tenancy import platform_scope
from .queue import dispatch_record
from .settings import redis_connection, settings

log = logging.getLogger(__name__)
WORKER_KEY = "rq:worker:{}"


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def why_gone(connection: redis.Redis, execution: Execution, stale_after: float) -> str | None:
    """Why the worker running ``execution`` is gone, or None while it is alive."""
    worker = connection.hgetall(WORKER_KEY.format(execution.worker_name))
    if not worker:
        return f"worker {execution.worker_name} is no longer registered"
    if worker.get(b"death"):
        return f"worker {execution.worker_name} stopped"
    pid = int(worker.get(b"pid") or 0)
    if worker.get(b"hostname", b"").decode() == socket.gethostname() and pid and not _process_exists(pid):
        return f"worker process {pid} on this host no longer exists"
    silent = (dt.datetime.now(dt.timezone.utc) - execution.last_heartbeat).total_seconds()
    if silent > stale_after:
        return f"no heartbeat from worker {execution.worker_name} for {silent:.0f} s"
    return None


def requeue_abandoned(app: Flask, queues: list[Queue]) -> list[str]:
    """Hand the abandoned jobs of ``queues`` to RQ's retry/fail handling; returns their ids."""
    connection = redis_connection(app)
    stale_after = settings(app).stale_after
    found = []
    for queue in queues:
        registry = StartedJobRegistry(queue=queue)
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
            found += [key.partition(":")[0] for key in expired]
    return found


def redispatch_lost(app: Flask, older_than: float = 120.0) -> list[int]:
    """Dispatch again the RQ records still ``queued`` after ``older_than`` s with no RQ job."""
    connection = redis_connection(app)
    cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=older_than)
    with platform_scope():
        rows = db.session.scalars(select(JobRecord).where(
            JobRecord.backend == "rq", JobRecord.state == QUEUED, JobRecord.enqueued_at < cutoff)).all()
        lost = [r for r in rows if not Job.exists(r.rq_job_id, connection)]
        for record in lost:
            log.warning("job record %s was never handed to Redis: dispatching it again", record.id)
            dispatch_record(app, record)
    return [r.id for r in lost]
