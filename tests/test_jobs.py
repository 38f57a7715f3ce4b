"""Background jobs without Redis: the in-process backend, job records, idempotency, the
scheduled-job hook and the scheduler, and the console's job views.

The tests against a real Redis and real worker processes are in ``test_jobs_redis.py``.
"""
from __future__ import annotations

import datetime as dt
import decimal
import threading
from pathlib import Path

import jobtasks
import pytest
from conftest import in_tenant
from console_support import Console, list_count
from sqlalchemy import func, select

from gridgov import create_app, hookimpl
from gridgov.extensions import db
from gridgov.jobs import enqueue, inprocess, runner, schedule, start_embedded_scheduler
from gridgov.models import AuditEntry, JobRecord
from gridgov.plugins import PluginError, PluginInfo, ScheduledJob
from gridgov.tenancy import TenantScopeError, platform_scope, tenant_scope


@pytest.fixture
def app_config(app_config):
    return {**app_config, "REDIS_URL": None, "GRIDGOV_JOB_RETRY_INTERVALS": "0",
            "GRIDGOV_EXTRA_PLUGINS": [("jobtest", jobtasks.ScheduledPlugin())]}


@pytest.fixture(autouse=True)
def _drain(app):
    """Let the in-process jobs of a test finish before its database is dropped."""
    yield
    inprocess.runner_for(app).wait(timeout=30)


def probes(app, label: str) -> int:
    with app.app_context(), platform_scope():
        return db.session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.object_type == f"probe:{label}"))


def record(app, record_id: int) -> JobRecord:
    with app.app_context(), platform_scope():
        row = db.session.get(JobRecord, record_id)
        db.session.expunge(row)
        return row


def run_all(app) -> None:
    assert inprocess.runner_for(app).wait(timeout=30), "in-process jobs did not finish"


# -- the in-process backend -------------------------------------------------------------------

def test_inprocess_job_runs_after_commit_in_its_tenant_scope(app, factory):
    a = factory.tenant("ta")
    with in_tenant(app, a):
        job = enqueue(jobtasks.write_probe, "a", n=3, title="写入测试", tenant_id=a.id)
        assert (job.state, job.backend, job.tenant_id) == ("queued", "inprocess", a.id)
        assert job.func_path == "jobtasks.write_probe" and job.args == ["a"] and job.kwargs == {"n": 3}
        record_id = job.id
        run_all(app)  # nothing was handed over before the commit
        assert probes(app, "a") == 0
    run_all(app)
    done = record(app, record_id)
    assert (done.state, done.attempts, done.error) == ("finished", 1, "")
    assert done.started_at <= done.ended_at
    assert probes(app, "a") == 3
    with app.app_context(), tenant_scope(a.id):
        assert {e.tenant_id for e in db.session.scalars(select(AuditEntry))} == {a.id}


def test_rolled_back_enqueue_runs_nothing(app, factory):
    a = factory.tenant("ta")
    with app.app_context(), tenant_scope(a.id):
        enqueue(jobtasks.write_probe, "gone", tenant_id=a.id)
        db.session.rollback()
    run_all(app)
    assert probes(app, "gone") == 0
    with app.app_context(), platform_scope():
        assert db.session.scalar(select(func.count()).select_from(JobRecord)) == 0


def test_failing_job_is_retried_then_failed_with_nothing_written(app, factory, tmp_path):
    a = factory.tenant("ta")
    with in_tenant(app, a):
        record_id = enqueue(jobtasks.fail_times, "bad", str(tmp_path / "n"), 99, retries=2, tenant_id=a.id).id
    run_all(app)
    failed = record(app, record_id)
    assert (failed.state, failed.attempts) == ("failed", 3)
    assert "attempt 3 fails on purpose" in failed.error
    assert (tmp_path / "n").read_text() == "3"
    assert probes(app, "bad") == 0  # each attempt's row was rolled back with it


def test_job_that_fails_once_is_retried_and_finishes(app, factory, tmp_path):
    a = factory.tenant("ta")
    with in_tenant(app, a):
        record_id = enqueue(jobtasks.fail_times, "flaky", str(tmp_path / "n"), 1, tenant_id=a.id).id
    run_all(app)
    assert (record(app, record_id).state, record(app, record_id).attempts) == ("finished", 2)
    assert probes(app, "flaky") == 1


def test_keyed_job_runs_once(app, factory):
    a = factory.tenant("ta")
    with in_tenant(app, a):
        first = enqueue(jobtasks.write_probe, "once", tenant_id=a.id, job_id="once:a").id
    run_all(app)
    with in_tenant(app, a):
        assert enqueue(jobtasks.write_probe, "once", tenant_id=a.id, job_id="once:a").id == first
    run_all(app)
    with app.app_context():  # a run of a finished job (a duplicate delivery) does nothing
        assert runner.execute(first) == "already finished"
    assert probes(app, "once") == 3
    assert record(app, first).attempts == 1


def test_failed_keyed_job_can_be_queued_again(app, factory, tmp_path):
    a = factory.tenant("ta")
    with in_tenant(app, a):
        first = enqueue(jobtasks.fail_times, "again", str(tmp_path / "n"), 1, retries=0, tenant_id=a.id, job_id="k").id
    run_all(app)
    assert record(app, first).state == "failed"
    with in_tenant(app, a):
        assert enqueue(jobtasks.fail_times, "again", str(tmp_path / "n"), 1, retries=0, tenant_id=a.id, job_id="k").id == first
    run_all(app)
    assert (record(app, first).state, record(app, first).attempts) == ("finished", 1)


def test_enqueue_refuses_what_a_worker_could_not_run(app, factory):
    a = factory.tenant("ta")

    def local_function():
        pass

    with app.app_context():
        with pytest.raises(TenantScopeError, match="needs a scope"):
            enqueue(jobtasks.write_probe, "x")
        with tenant_scope(a.id):
            with pytest.raises(TenantScopeError, match=f"tenant_id={a.id}"):
                enqueue(jobtasks.write_probe, "x")
            with pytest.raises(ValueError, match="module-level"):
                enqueue(local_function, tenant_id=a.id)
            with pytest.raises(ValueError, match="module-level"):
                enqueue(lambda: None, tenant_id=a.id)
            with pytest.raises(TypeError, match="argument 2 must be a JSON value"):
                enqueue(jobtasks.write_probe, "x", decimal.Decimal("1.5"), tenant_id=a.id)
            with pytest.raises(TypeError, match="job n must be a JSON value"):
                enqueue(jobtasks.write_probe, "x", n=dt.date(2026, 1, 1), tenant_id=a.id)
        with platform_scope():  # a platform job, by path
            assert enqueue("jobtasks:platform_probe").tenant_id is None
            db.session.commit()
    run_all(app)
    assert probes(app, "platform") == 1


def test_unfinished_inprocess_jobs_are_recovered_on_start(app, factory):
    """A server that died left one job running and one queued: both run when it starts again."""
    a = factory.tenant("ta")
    with in_tenant(app, a):
        running = JobRecord(tenant_id=a.id, rq_job_id="r1", backend="inprocess", func_path="jobtasks.write_probe",
                            args=["crashed"], kwargs={}, state="started", attempts=1, max_retries=3)
        waiting = JobRecord(tenant_id=a.id, rq_job_id="r2", backend="inprocess", func_path="jobtasks.write_probe",
                            args=["waiting"], kwargs={}, state="queued", max_retries=3)
        exhausted = JobRecord(tenant_id=a.id, rq_job_id="r3", backend="inprocess", func_path="jobtasks.write_probe",
                              args=["exhausted"], kwargs={}, state="started", attempts=1, max_retries=0)
        db.session.add_all([running, waiting, exhausted])
        db.session.flush()
        ids = running.id, waiting.id, exhausted.id
    assert inprocess.recover(app) == 3
    run_all(app)
    assert [(record(app, i).state, record(app, i).attempts) for i in ids] == [("finished", 2), ("finished", 1), ("failed", 1)]
    assert "process running the job ended" in record(app, ids[2]).error
    assert (probes(app, "crashed"), probes(app, "waiting"), probes(app, "exhausted")) == (3, 3, 0)


# -- scheduled jobs -----------------------------------------------------------------------------

def test_scheduled_jobs_are_namespaced_and_filtered_by_tenant(app, factory):
    registry = app.extensions["gridgov_registry"]
    job = registry.scheduled_jobs["jobtest.tenant_probe"]
    assert (job.plugin, job.func_path, job.per_tenant) == ("jobtest", "jobtasks.scheduled_probe", True)
    assert registry.scheduled_jobs["core.overdue_sweep"].func_path == "gridgov.operations.cases.sweep_overdue"
    with_plugin, without = factory.tenant("ta", plugins=["jobtest"]), factory.tenant("tb")
    assert "jobtest.tenant_probe" in registry.for_tenant(with_plugin).scheduled_jobs
    assert set(registry.for_tenant(without).scheduled_jobs) == {"core.overdue_sweep"}


class _BadCron:
    @hookimpl
    def gridgov_plugin_info(self):
        return PluginInfo("坏", "Bad", "1")

    @hookimpl
    def gridgov_scheduled_jobs(self):
        return [ScheduledJob("x", "every 5 minutes", "jobtasks.scheduled_probe", "坏", "Bad")]


class _Twice(_BadCron):
    @hookimpl
    def gridgov_scheduled_jobs(self):
        return [ScheduledJob("x", "* * * * *", "a.b", "一", "One"), ScheduledJob("twice.x", "* * * * *", "a.b", "二", "Two")]


class _Trespasser(_BadCron):
    @hookimpl
    def gridgov_scheduled_jobs(self):
        return [ScheduledJob("core.overdue_sweep", "* * * * *", "a.b", "冒", "Fake")]


@pytest.mark.parametrize("plugin, message", [
    (("bad", _BadCron()), "invalid cron expression"),
    (("twice", _Twice()), "declared twice"),
    (("trespasser", _Trespasser()), "another plugin's namespace"),
])
def test_bad_scheduled_jobs_are_refused_at_start_up(app_config, plugin, message):
    with pytest.raises(PluginError, match=message):
        create_app({**app_config, "GRIDGOV_EXTRA_PLUGINS": [plugin]})


def test_latest_slot_is_read_in_the_given_time_zone():
    import zoneinfo

    now = dt.datetime(2026, 3, 1, 18, 7, 30, tzinfo=dt.timezone.utc)  # 02:07:30 on 2 March in Shanghai
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    assert schedule.latest_slot("*/5 * * * *", now, shanghai) == dt.datetime(2026, 3, 1, 18, 5, tzinfo=dt.timezone.utc)
    assert schedule.latest_slot("0 3 * * *", now, shanghai) == dt.datetime(2026, 2, 28, 19, 0, tzinfo=dt.timezone.utc)
    assert schedule.latest_slot("0 2 * * *", now, shanghai) == dt.datetime(2026, 3, 1, 18, 0, tzinfo=dt.timezone.utc)
    on_slot = dt.datetime(2026, 3, 1, 18, 5, tzinfo=dt.timezone.utc)
    assert schedule.latest_slot("*/5 * * * *", on_slot, shanghai) == on_slot


def _slot_keys(app) -> list[str]:
    with app.app_context(), platform_scope():
        return sorted(db.session.scalars(select(JobRecord.key).where(JobRecord.key.is_not(None))))


def test_tick_enqueues_each_slot_once_per_enabling_tenant(app, factory):
    a, b = factory.tenant("ta", plugins=["jobtest"]), factory.tenant("tb")
    now = dt.datetime(2026, 3, 1, 18, 7, tzinfo=dt.timezone.utc)
    with app.app_context():
        first = schedule.tick(app, schedule.MemoryClaims(), now)
        again = schedule.tick(app, schedule.MemoryClaims(), now + dt.timedelta(minutes=2))  # another scheduler, same slots
    assert sorted(first) == _slot_keys(app) == [
        f"cron:core.overdue_sweep:{a.id}:20260301T1800Z", f"cron:core.overdue_sweep:{b.id}:20260301T1800Z",
        "cron:jobtest.platform_probe:platform:20260228T1900Z", f"cron:jobtest.tenant_probe:{a.id}:20260301T1805Z",
    ]
    assert again == []
    with app.app_context():
        later = schedule.tick(app, schedule.MemoryClaims(), now + dt.timedelta(minutes=3))
    assert later == [f"cron:jobtest.tenant_probe:{a.id}:20260301T1810Z"]
    run_all(app)
    with app.app_context(), platform_scope():
        rows = {r.key: r for r in db.session.scalars(select(JobRecord))}
    assert rows[f"cron:jobtest.tenant_probe:{a.id}:20260301T1805Z"].tenant_id == a.id
    assert rows[f"cron:jobtest.tenant_probe:{a.id}:20260301T1805Z"].title == "租户巡检"
    assert rows["cron:jobtest.platform_probe:platform:20260228T1900Z"].tenant_id is None
    assert {r.state for r in rows.values()} == {"finished"}  # the core's overdue sweep included
    assert probes(app, "scheduled") == 2 and probes(app, "platform") == 1


def test_two_schedulers_racing_enqueue_each_slot_once(app, factory):
    """Two schedulers whose claims both say yes (no Redis): the database key decides."""
    for slug in ("ta", "tb", "tc"):
        factory.tenant(slug, plugins=["jobtest"])
    now = dt.datetime(2026, 3, 1, 18, 7, tzinfo=dt.timezone.utc)
    start = threading.Barrier(2)
    results = []

    def scheduler():
        with app.app_context():
            start.wait()
            results.append(schedule.tick(app, schedule.MemoryClaims(), now))
            db.session.remove()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    keys = _slot_keys(app)
    assert len(keys) == 3 * 2 + 1 == len(set(keys))
    assert sorted(results[0] + results[1]) == keys  # each slot enqueued by exactly one of them
    run_all(app)
    assert probes(app, "scheduled") == 3 and probes(app, "platform") == 1


def test_embedded_scheduler_runs_due_jobs(app, factory):
    factory.tenant("ta", plugins=["jobtest"])
    app.config["GRIDGOV_SCHEDULER_INTERVAL"] = 0.2
    thread = start_embedded_scheduler(app)
    try:
        for _ in range(100):
            run_all(app)
            if probes(app, "scheduled") and probes(app, "platform"):
                break
            threading.Event().wait(0.1)
    finally:
        thread.stop()
    assert probes(app, "scheduled") == 1 and probes(app, "platform") == 1


def test_embedded_scheduler_stays_off_with_redis(app):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    assert start_embedded_scheduler(app) is None


# -- console ------------------------------------------------------------------------------------

def test_console_shows_each_tenant_its_jobs_and_the_platform_all(app, factory, tmp_path):
    a, b = factory.tenant("ta"), factory.tenant("tb")
    factory.user("alice", tenant=a)
    factory.user("root", platform_admin=True)
    with in_tenant(app, a):
        a_job = enqueue(jobtasks.write_probe, "alpha-job", title="ALPHAJOB", tenant_id=a.id).id
    with in_tenant(app, b):
        b_job = enqueue(jobtasks.fail_times, "beta", str(tmp_path / "n"), 9, retries=0, title="BETAJOB", tenant_id=b.id).id
    run_all(app)

    alice = Console(app.test_client())
    alice.login("alice")
    page = alice.get("/admin/jobs/").get_data(as_text=True)
    assert "后台任务" in page and "ALPHAJOB" in page and "已完成" in page and "BETAJOB" not in page
    assert list_count(page) == 1
    assert alice.get(f"/admin/jobs/details/?id={a_job}").status_code == 200
    assert alice.get(f"/admin/jobs/details/?id={b_job}").status_code == 404
    assert alice.get("/admin/platform-jobs/").status_code == 403
    assert "Background jobs" in alice.get("/admin/jobs/?lang=en").get_data(as_text=True)

    root = Console(app.test_client())
    root.login("root")
    page = root.get("/admin/platform-jobs/?lang=zh").get_data(as_text=True)
    assert "ALPHAJOB" in page and "BETAJOB" in page and "失败" in page and list_count(page) == 2
    details = root.get(f"/admin/platform-jobs/details/?id={b_job}").get_data(as_text=True)
    assert "attempt 1 fails on purpose" in details and "jobtasks.fail_times" in details


def test_worker_command_needs_redis(app):
    from click.testing import CliRunner

    from gridgov.jobs.worker import worker_command

    with app.app_context():
        result = CliRunner().invoke(worker_command, [])
    assert result.exit_code == 2
    assert "gridgov worker needs REDIS_URL" in result.output
