"""The jobs' settings: ``app.config`` first, then the environment, then the default.

Read here rather than in :mod:`gridgov.config` so the queue keeps its knobs in one place;
each is an environment variable of the same name.
"""
from __future__ import annotations

import dataclasses
import os

import redis
from flask import Flask

DEFAULTS = {
    "GRIDGOV_QUEUE_PREFIX": "gridgov",       # queue and lock names start with it: instances can share a Redis
    "GRIDGOV_JOB_TIMEOUT": "600",            # seconds a job may run before RQ kills it
    "GRIDGOV_JOB_RETRY_INTERVALS": "10,60,300",  # seconds before the 1st, 2nd, 3rd ... retry
    "GRIDGOV_SCHEDULER_INTERVAL": "15",      # seconds between scheduler ticks (and abandoned-job checks)
    "GRIDGOV_WORKER_STALE_AFTER": "60",      # a started job's heartbeat older than this: its worker is gone
}


@dataclasses.dataclass(frozen=True)
class JobSettings:
    redis_url: str | None
    prefix: str
    job_timeout: int
    retry_intervals: tuple[int, ...]
    scheduler_interval: float
    stale_after: float

    def queue_name(self, name: str = "default") -> str:
        return f"{self.prefix}:{name}"


def _get(app: Flask, name: str) -> str:
    value = app.config.get(name)
    if value is None:
        value = os.environ.get(name) or DEFAULTS[name]
    return str(value)


def settings(app: Flask) -> JobSettings:
    intervals = _get(app, "GRIDGOV_JOB_RETRY_INTERVALS")
    return JobSettings(
        redis_url=app.config.get("REDIS_URL") or None,
        prefix=_get(app, "GRIDGOV_QUEUE_PREFIX"),
        job_timeout=int(_get(app, "GRIDGOV_JOB_TIMEOUT")),
        retry_intervals=tuple(int(x) for x in intervals.split(",") if x.strip()),
        scheduler_interval=float(_get(app, "GRIDGOV_SCHEDULER_INTERVAL")),
        stale_after=float(_get(app, "GRIDGOV_WORKER_STALE_AFTER")),
    )


def redis_connection(app: Flask) -> redis.Redis:
    """One client per app (RQ wants bytes, so no ``decode_responses``)."""
    conn = app.extensions.get("gridgov_jobs_redis")
    if conn is None:
        url = settings(app).redis_url
        if not url:
            raise RuntimeError("REDIS_URL is not set")
        conn = app.extensions["gridgov_jobs_redis"] = redis.Redis.from_url(url)
    return conn
