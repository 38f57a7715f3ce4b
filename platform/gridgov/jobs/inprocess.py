"""The embedded backend: jobs run in a background thread of the process that queued them.

Without ``REDIS_URL`` (the demo, a single ``gridgov serve``) a committed job is handed to one
thread per app, which runs jobs one at a time, each in its own app context, through the same
:func:`gridgov.jobs.runner.execute` as RQ's worker. A failed attempt is retried after the
configured interval while ``attempts <= max_retries``. The database is the queue's memory:
jobs left unfinished by a process that ended are queued again by :func:`recover` (called by
:func:`gridgov.jobs.start_embedded_scheduler`), and at exit the process waits for its queue.
"""
from __future__ import annotations

import atexit
import heapq
import itertools
import logging
import threading
import time
import traceback
import weakref

from flask import Flask
from sqlalchemy import select

from ..extensions import db
from ..models.jobs import STARTED, UNFINISHED, JobRecord
from ..tenancy import platform_scope
from .runner import execute, record_failure
from .settings import settings

log = logging.getLogger(__name__)
EXIT_WAIT = 60.0  # seconds a finishing process waits for its queued jobs
_runners: "weakref.WeakSet[InProcessRunner]" = weakref.WeakSet()


class InProcessRunner:
    """A delay queue and the thread that drains it; the thread stops when the queue is empty."""

    def __init__(self, app: Flask):
        self.app = app
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, int]] = []  # (run at, sequence, record id)
        self._seq = itertools.count()
        self._busy = False
        self._thread: threading.Thread | None = None
        _runners.add(self)

    def submit(self, record_id: int, delay: float = 0.0) -> None:
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._seq), record_id))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="gridgov-jobs", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every submitted job (retries included) is done; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._heap or self._busy:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def _next(self) -> int | None:
        with self._cond:
            while True:
                if not self._heap:
                    self._thread = None
                    self._cond.notify_all()
                    return None
                at, _, record_id = self._heap[0]
                if at <= time.monotonic():
                    heapq.heappop(self._heap)
                    self._busy = True
                    return record_id
                self._cond.wait(at - time.monotonic())

    def _loop(self) -> None:
        while (record_id := self._next()) is not None:
            try:
                self._run(record_id)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _run(self, record_id: int) -> None:
        with self.app.app_context():
            try:
                execute(record_id)
            except Exception:
                self._failed(record_id, traceback.format_exc())
            finally:
                db.session.remove()

    def _failed(self, record_id: int, error: str) -> None:
        with platform_scope():
            record = db.session.get(JobRecord, record_id)
            attempts, max_retries = record.attempts, record.max_retries
        will_retry = attempts <= max_retries
        record_failure(record_id, error, will_retry)
        if will_retry:
            intervals = settings(self.app).retry_intervals or (0,)
            self.submit(record_id, delay=intervals[min(attempts, len(intervals)) - 1])


@atexit.register
def _wait_at_exit() -> None:
    for runner in list(_runners):
        runner.wait(EXIT_WAIT)


def runner_for(app: Flask) -> InProcessRunner:
    runner = app.extensions.get("gridgov_jobs_runner")
    if runner is None:
        runner = app.extensions["gridgov_jobs_runner"] = InProcessRunner(app)
    return runner


def recover(app: Flask) -> int:
    """Queue again the in-process jobs a previous process left unfinished; returns how many.

    Call it only where one process runs the embedded jobs (``gridgov serve``). A job that was
    running counts as a failed attempt: it is run again while it has retries left.
    """
    runner = runner_for(app)
    with app.app_context(), platform_scope():
        try:
            rows = db.session.scalars(select(JobRecord).where(
                JobRecord.backend == "inprocess", JobRecord.state.in_(UNFINISHED))).all()
            todo = [(r.id, r.state == STARTED, r.attempts <= r.max_retries) for r in rows]
        finally:
            db.session.remove()
    for record_id, was_running, may_retry in todo:
        if was_running:
            with app.app_context():
                try:
                    record_failure(record_id, "the process running the job ended", may_retry)
                finally:
                    db.session.remove()
            if not may_retry:
                continue
        runner.submit(record_id)
    return len(todo)
