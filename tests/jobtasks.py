"""Job functions for the tests of :mod:`gridgov.jobs`, importable by path (``jobtasks.*``) in the
test process and in the worker processes the tests start (``tests/`` is on their PYTHONPATH).

Every job writes audit entries of ``object_type = "probe:<label>"``: rows the tests count.
Files stand in for state that must survive a rolled-back transaction or a killed process.
"""
from __future__ import annotations

import time
from pathlib import Path

from gridgov.operations import audit
from gridgov.plugins import PluginInfo, ScheduledJob, hookimpl


def write_probe(label: str, n: int = 3) -> None:
    """Write ``n`` rows."""
    for i in range(n):
        audit.record("probe", object_type=f"probe:{label}", object_id=i)


def fail_times(label: str, counter: str, failures: int) -> None:
    """Write a row, then fail on the first ``failures`` attempts (counted in the file ``counter``)."""
    path = Path(counter)
    attempt = int(path.read_text() or 0) + 1 if path.exists() else 1
    path.write_text(str(attempt))
    audit.record("probe", object_type=f"probe:{label}", object_id=attempt)
    if attempt <= failures:
        raise RuntimeError(f"attempt {attempt} fails on purpose")


def write_then_block(label: str, n: int, started: str, release: str, timeout: float = 120.0) -> None:
    """Write ``n`` rows (flushed, not committed), note the attempt's process id in ``started``,
    then wait for the file ``release`` before returning — a job a test can kill in the middle."""
    import os

    from gridgov.extensions import db

    write_probe(label, n)
    db.session.flush()
    with open(started, "a") as f:
        f.write(f"{os.getpid()}\n")
    deadline = time.monotonic() + timeout
    while not Path(release).exists():
        if time.monotonic() > deadline:
            raise TimeoutError("never released")
        time.sleep(0.1)


class ScheduledPlugin:
    """A throwaway plugin ``jobtest`` declaring one per-tenant and one platform scheduled job."""

    @hookimpl
    def gridgov_plugin_info(self):
        return PluginInfo("任务测试", "Job test", "1.0")

    @hookimpl
    def gridgov_scheduled_jobs(self):
        return [
            ScheduledJob("tenant_probe", "*/5 * * * *", "jobtasks.scheduled_probe", "租户巡检", "Tenant probe"),
            ScheduledJob("platform_probe", "0 3 * * *", "jobtasks.platform_probe", "平台巡检", "Platform probe",
                         per_tenant=False),
        ]


def scheduled_probe() -> None:
    write_probe("scheduled", 1)


def platform_probe() -> None:
    from gridgov.extensions import db
    from gridgov.tenancy import platform_scope

    with platform_scope():  # a platform job opens its scope itself, and flushes inside it
        audit.record("probe", object_type="probe:platform", tenant_id=None)
        db.session.flush()


def worker_with_test_plugin() -> None:
    """``gridgov worker`` (the real click command) for an app that also loads ScheduledPlugin:
    ``python -c "import jobtasks; jobtasks.worker_with_test_plugin()" --name ...``."""
    import sys

    from gridgov import create_app
    from gridgov.jobs.worker import worker_command

    app = create_app({"GRIDGOV_EXTRA_PLUGINS": [("jobtest", ScheduledPlugin())]})
    with app.app_context():
        worker_command.main(args=sys.argv[1:], prog_name="gridgov worker")
