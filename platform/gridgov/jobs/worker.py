"""``gridgov worker``: an RQ worker on the prefixed queues, with the scheduler and recovery.

Run it as ``gridgov worker`` (the CLI registers :data:`worker_command`) or
``python -m gridgov.jobs.worker``. It needs ``REDIS_URL``; the app comes from the environment
like the web app's (``DATABASE_URL``, ``SECRET_KEY`` ...).

One app per worker process, created once; each job is forked into a work horse that inherits
it (the database engine is disposed before the fork, so no connection is shared with the
child) and runs in a fresh app context whose session is removed afterwards. Besides RQ's own
scheduler process (``--with-scheduler``, which RQ needs to run retries after an interval),
the worker *ticks* on start and every ``GRIDGOV_SCHEDULER_INTERVAL`` seconds, also while a
job runs: recovery of abandoned and lost jobs (:mod:`.recovery`), then the scheduled jobs
(:mod:`.schedule`).
"""
from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import time

import click
from flask import Flask, current_app, has_app_context
from flask.cli import ScriptInfo
from rq import Queue, Worker
from rq.logutils import setup_loghandlers

from ..extensions import db
from . import recovery, schedule
from .runner import in_app_context, record_failure, set_process_app
from .settings import redis_connection, settings

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1
JOB_MONITORING_INTERVAL = 10  # seconds between the heartbeats of a running job
_forker_pid = 0  # set in the parent just before every fork, so the child knows who forked it


def die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGKILL this process when its parent, the worker, dies."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the worker died before the request took effect
        os._exit(1)


def _note_forker() -> None:
    global _forker_pid
    _forker_pid = os.getpid()


def children_die_with(worker_pid: int) -> None:
    """Make every process the worker forks — work horses and RQ's scheduler — die with it.

    RQ puts a work horse in its own process group and never checks on its parent, so a worker
    killed with SIGKILL would leave the horse running the job unsupervised (while recovery runs
    the job again) and its scheduler process running for ever. Killed with the worker, the
    horse's open transaction is rolled back by the database instead. Grandchildren (processes a
    job forks) are left alone.
    """
    os.register_at_fork(before=_note_forker,
                        after_in_child=lambda: die_with_parent(worker_pid) if _forker_pid == worker_pid else None)


class GridgovWorker(Worker):
    """RQ's forking worker, plus what gridgov needs around the fork and between jobs."""

    gridgov_app: Flask
    _gridgov_ticked = 0.0  # time.monotonic() of the last tick

    def fork_work_horse(self, job, queue):
        with self.gridgov_app.app_context():
            db.engine.dispose()
        super().fork_work_horse(job, queue)

    def handle_work_horse_killed(self, job, retpid, ret_val, rusage):
        """The horse died without reporting (killed by the job timeout, the OOM killer ...)."""
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        error = f"the work horse running the job was killed (wait status {ret_val})"
        in_app_context(record_failure, job.args[0], error, bool(job.retries_left))

    def run_maintenance_tasks(self):
        self.gridgov_tick(force=True)  # first: a dead scheduler's lock is freed for RQ's restart check
        super().run_maintenance_tasks()

    def maintain_heartbeats(self, job, execution):
        super().maintain_heartbeats(job, execution)
        self.gridgov_tick()

    def gridgov_tick(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._gridgov_ticked < self.maintenance_interval:
            return
        self._gridgov_ticked = now
        app = self.gridgov_app
        with app.app_context():
            try:
                recovery.requeue_abandoned(app, self.queues)
                recovery.release_dead_scheduler_locks(app, self.queues)
                recovery.redispatch_lost(app)
                schedule.tick(app, schedule.claims_for(app))
            except Exception:
                log.exception("gridgov worker tick failed")
            finally:
                db.session.remove()


def run_worker(app: Flask, queues=("default",), burst: bool = False, name: str | None = None) -> bool:
    """Start a worker on the prefixed ``queues``; returns when it stops (``burst``: when idle)."""
    s = settings(app)
    if not s.redis_url:
        raise click.UsageError("gridgov worker needs REDIS_URL (the Redis server the app queues jobs on); "
                               "without it jobs run inside `gridgov serve`")
    set_process_app(app)
    children_die_with(os.getpid())
    setup_loghandlers("INFO", name="gridgov")  # gridgov's messages beside RQ's
    connection = redis_connection(app)
    interval = max(1, int(s.scheduler_interval))
    worker = GridgovWorker(
        [Queue(s.queue_name(q), connection=connection) for q in queues], connection=connection, name=name,
        # an idle worker blocks on Redis for worker_ttl - 15 s: keep that one tick long
        worker_ttl=interval + 15, job_monitoring_interval=JOB_MONITORING_INTERVAL, maintenance_interval=interval,
    )
    worker.gridgov_app = app
    return worker.work(burst=burst, with_scheduler=True, logging_level="INFO")


def _app() -> Flask:
    if has_app_context():
        return current_app._get_current_object()
    info = click.get_current_context().find_object(ScriptInfo)
    if info is not None and (info.create_app is not None or info.app_import_path):
        return info.load_app()
    from .. import create_app

    return create_app()


@click.command("worker")
@click.option("--queue", "-q", "queues", multiple=True, default=("default",), show_default=True,
              help="Queue to work on (repeat for several); the prefix GRIDGOV_QUEUE_PREFIX is added.")
@click.option("--burst", is_flag=True, help="Quit when the queues are empty.")
@click.option("--name", help="Worker name (default: RQ's random one).")
def worker_command(queues, burst, name):
    """Run background jobs from Redis (REDIS_URL), with the scheduled jobs."""
    run_worker(_app(), queues, burst=burst, name=name)


if __name__ == "__main__":
    from gridgov.jobs.worker import worker_command as command

    command(prog_name="gridgov worker")
