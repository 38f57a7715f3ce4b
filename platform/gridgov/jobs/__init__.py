"""Background jobs (后台任务) through one queue interface.

Modelled on CKAN's ``ckan/lib/jobs.py``: one small wrapper over RQ.

* :func:`enqueue` — ``enqueue(func, *args, title=, job_id=, retries=3, tenant_id=, **kwargs)``
  queues a module-level function, referenced by import path, to run once the current
  transaction commits. With ``REDIS_URL`` it goes to RQ on the queue ``<prefix>:default``
  (``GRIDGOV_QUEUE_PREFIX``, default ``gridgov``, so instances can share a Redis); without it
  (the embedded default) it runs in a background thread of the same process
  (:mod:`.inprocess`). Either way a :class:`gridgov.models.JobRecord` shows its state in the
  console: queued → started → finished, or retrying → ... → failed.
* Jobs get their tenant explicitly: ``tenant_id=`` runs the job in ``tenant_scope(tenant_id)``.
  Their writes are one transaction committed when they return; a job keyed by ``job_id`` that
  has finished is not run again (:mod:`.runner`). Failures are retried
  (``GRIDGOV_JOB_RETRY_INTERVALS``, RQ's ``Retry``); a worker killed in the middle of a job
  leaves nothing half-written and the job runs again (:mod:`.recovery`).
* Scheduled jobs declared by plugins (hook ``gridgov_scheduled_jobs``) run once per slot
  (:mod:`.schedule`): inside ``gridgov worker`` with Redis, in the thread started by
  :func:`start_embedded_scheduler` (call it from ``gridgov serve``) without.
* ``gridgov worker`` is :data:`gridgov.jobs.worker.worker_command` (:mod:`.worker`); the
  console view is :func:`gridgov.jobs.console.register_console`.

Settings (app config or environment): ``REDIS_URL``, ``GRIDGOV_QUEUE_PREFIX``,
``GRIDGOV_JOB_TIMEOUT``, ``GRIDGOV_JOB_RETRY_INTERVALS``, ``GRIDGOV_SCHEDULER_INTERVAL``,
``GRIDGOV_WORKER_STALE_AFTER`` (see :mod:`.settings`).
"""
from .queue import enqueue, func_path
from .schedule import start_embedded_scheduler

__all__ = ["enqueue", "func_path", "start_embedded_scheduler"]
