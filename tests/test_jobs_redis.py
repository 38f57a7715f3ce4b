"""Background jobs against a real Redis and real ``gridgov worker`` processes.

Redis comes from ``GRIDGOV_TEST_REDIS_URL`` (else ``REDIS_URL``); give it a database of its own,
e.g. ``redis://127.0.0.1:6390/3``. Each test uses its own queue prefix. In CI (``CI=true``) these
tests fail when Redis is missing; elsewhere they skip. The workers share the test's database
(the SQLite file in the test's tmp dir, or ``GRIDGOV_TEST_DATABASE_URL``).
"""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import jobtasks
import pytest
import redis
from conftest import IN_CI, in_tenant
from rq import Queue
from rq.job import Job
from sqlalchemy import func, select

from gridgov.extensions import db
from gridgov.jobs import enqueue
from gridgov.models import AuditEntry, JobRecord
from gridgov.tenancy import platform_scope

REDIS_URL = os.environ.get("GRIDGOV_TEST_REDIS_URL") or os.environ.get("REDIS_URL")
TESTS = Path(__file__).parent


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"these tests need Redis ({reason}): CI must set GRIDGOV_TEST_REDIS_URL")
    pytest.skip(reason)


@pytest.fixture
def redis_url():
    if not REDIS_URL:
        _unavailable("GRIDGOV_TEST_REDIS_URL / REDIS_URL not set")
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        _unavailable(f"Redis at {REDIS_URL} does not answer: {exc}")
    return REDIS_URL


@pytest.fixture
def prefix():
    return f"gridgovtest{uuid.uuid4().hex[:8]}"


@pytest.fixture
def app_config(app_config, redis_url, prefix):
    return {**app_config, "REDIS_URL": redis_url, "GRIDGOV_QUEUE_PREFIX": prefix,
            "GRIDGOV_JOB_RETRY_INTERVALS": "1", "GRIDGOV_SCHEDULER_INTERVAL": "1",
            "GRIDGOV_EXTRA_PLUGINS": [("jobtest", jobtasks.ScheduledPlugin())]}


def processes_named(name: str) -> list[int]:
    """Live processes whose command line holds ``name`` (a worker, its horse, its scheduler)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
                state = (entry / "stat").read_text().split(")")[-1].split()[0]
            except OSError:
                continue
            if name.encode() in cmdline and state != "Z":
                found.append(int(entry.name))
    return found


class Workers:
    """Real worker processes, with the test app's settings in their environment."""

    def __init__(self, app, tmp_path, prefix):
        self.app, self.tmp_path, self.prefix = app, tmp_path, prefix
        self.started: dict[str, subprocess.Popen] = {}

    def env(self) -> dict:
        c = self.app.config
        return {
            **os.environ, "SECRET_KEY": "test-secret", "DATABASE_URL": c["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": c["REDIS_URL"], "GRIDGOV_QUEUE_PREFIX": self.prefix, "GRIDGOV_JOB_RETRY_INTERVALS": "1",
            "GRIDGOV_SCHEDULER_INTERVAL": "1", "GRIDGOV_INSTANCE_PATH": str(self.tmp_path / "instance"),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])),
        }

    def start(self, short: str, with_test_plugin: bool = False) -> subprocess.Popen:
        name = f"{self.prefix}-{short}"
        if with_test_plugin:
            command = [sys.executable, "-c", "import jobtasks; jobtasks.worker_with_test_plugin()", "--name", name]
        else:
            command = [sys.executable, "-m", "gridgov.jobs.worker", "--name", name]
        log = open(self.tmp_path / f"{short}.log", "w")
        self.started[short] = subprocess.Popen(command, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
                                               cwd=self.tmp_path)
        return self.started[short]

    def log(self, short: str) -> str:
        return (self.tmp_path / f"{short}.log").read_text()

    def stop_all(self) -> None:
        for short, process in self.started.items():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            for pid in processes_named(f"{self.prefix}-{short}"):  # nothing may outlive its worker
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def workers(app, tmp_path, prefix):
    workers = Workers(app, tmp_path, prefix)
    yield workers
    workers.stop_all()
    connection = redis.Redis.from_url(app.config["REDIS_URL"])
    with app.app_context(), platform_scope():
        job_ids = list(db.session.scalars(select(JobRecord.rq_job_id)))
    keys = [k for k in connection.scan_iter(f"*{prefix}*")] + [f"rq:job:{i}" for i in job_ids]
    if keys:
        connection.delete(*keys)


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def attempts_started(path: Path) -> int:
    return len(path.read_text().split()) if path.exists() else 0


def record(app, record_id: int) -> JobRecord:
    with app.app_context(), platform_scope():
        row = db.session.get(JobRecord, record_id)
        db.session.expunge(row)
        return row


def probes(app, label: str, tenant_id: int | None = None) -> int:
    query = select(func.count()).select_from(AuditEntry).where(AuditEntry.object_type == f"probe:{label}")
    if tenant_id is not None:
        query = query.where(AuditEntry.tenant_id == tenant_id)
    with app.app_context(), platform_scope():
        return db.session.scalar(query)


def test_worker_runs_a_job_and_its_record_shows_finished(app, factory, workers, prefix):
    a = factory.tenant("ta")
    with in_tenant(app, a):
        record_id = enqueue(jobtasks.write_probe, "rq", n=3, title="写入测试", tenant_id=a.id).id
    queued = Queue(f"{prefix}:default", connection=redis.Redis.from_url(app.config["REDIS_URL"])).jobs
    assert [(j.func_name, j.args, j.description) for j in queued] == [("gridgov.jobs.runner.run_job", (record_id,), "写入测试")]
    assert (record(app, record_id).state, record(app, record_id).backend) == ("queued", "rq")

    with in_tenant(app, a):  # committed, but its process died before handing it to Redis
        lost = JobRecord(tenant_id=a.id, rq_job_id=uuid.uuid4().hex, backend="rq", func_path="jobtasks.write_probe",
                         args=["lost"], kwargs={}, max_retries=3,
                         enqueued_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5))
        db.session.add(lost)
        db.session.flush()
        lost_id = lost.id

    workers.start("w1")
    wait_for(lambda: record(app, record_id).state == "finished", 60, "the job to finish")
    done = record(app, record_id)
    assert (done.attempts, done.error, done.tenant_id) == (1, "", a.id)
    assert probes(app, "rq", a.id) == 3
    wait_for(lambda: record(app, lost_id).state == "finished", 30, "the lost job to be dispatched again")
    assert probes(app, "lost", a.id) == 3
    assert "was never handed to Redis" in workers.log("w1")


def test_failing_job_is_retried_then_marked_failed(app, factory, workers, tmp_path, prefix):
    a = factory.tenant("ta")
    with in_tenant(app, a):
        bad = enqueue(jobtasks.fail_times, "bad", str(tmp_path / "bad"), 99, retries=2, tenant_id=a.id)
        flaky = enqueue(jobtasks.fail_times, "flaky", str(tmp_path / "flaky"), 1, retries=3, tenant_id=a.id)
        bad_id, flaky_id, bad_rq = bad.id, flaky.id, bad.rq_job_id
    workers.start("w1")
    seen = set()

    def settled():
        seen.add(record(app, bad_id).state)
        return {record(app, bad_id).state, record(app, flaky_id).state} == {"failed", "finished"}

    wait_for(settled, 60, "both jobs to settle")
    failed = record(app, bad_id)
    assert (failed.state, failed.attempts) == ("failed", 3)
    assert "retrying" in seen
    assert "RuntimeError: attempt 3 fails on purpose" in failed.error
    assert (tmp_path / "bad").read_text() == "3"
    assert probes(app, "bad") == 0  # every failed attempt was rolled back
    assert Job.fetch(bad_rq, connection=redis.Redis.from_url(app.config["REDIS_URL"])).get_status() == "failed"
    assert (record(app, flaky_id).state, record(app, flaky_id).attempts) == ("finished", 2)
    assert probes(app, "flaky") == 1


def test_two_workers_enqueue_each_scheduled_slot_once(app, factory, workers, prefix):
    a, b = factory.tenant("ta", plugins=["jobtest"]), factory.tenant("tb", plugins=["jobtest"])
    c = factory.tenant("tc")
    workers.start("w1", with_test_plugin=True)
    workers.start("w2", with_test_plugin=True)

    def slots(pattern: str) -> list[JobRecord]:
        with app.app_context(), platform_scope():
            rows = db.session.scalars(select(JobRecord).where(JobRecord.key.like(pattern))).all()
            db.session.expunge_all()
            return rows

    def all_ran():
        rows = slots("cron:jobtest.%")
        return {r.tenant_id for r in rows} >= {a.id, b.id, None} and all(r.state == "finished" for r in rows)

    wait_for(all_ran, 60, "the scheduled jobs to run")
    time.sleep(3)  # three more ticks of each worker
    rows = slots("cron:jobtest.%")
    keys = [r.key for r in rows]
    assert len(keys) == len(set(keys))
    for tenant_id in (a.id, b.id):
        mine = [r for r in rows if r.key.startswith(f"cron:jobtest.tenant_probe:{tenant_id}:")]
        assert mine and probes(app, "scheduled", tenant_id) == len(mine)  # each slot ran once
    assert probes(app, "platform") == len([r for r in rows if r.tenant_id is None]) >= 1
    assert all(r.attempts == 1 for r in rows)
    assert not [r for r in rows if r.tenant_id == c.id]
    assert {r.key.split(":")[2] for r in slots("cron:core.overdue_sweep:%")} >= {str(a.id), str(b.id), str(c.id)}
    claims = redis.Redis.from_url(app.config["REDIS_URL"]).get(f"{prefix}:{keys[0]}")
    assert claims == b"done"


def test_worker_killed_mid_job_leaves_nothing_and_the_job_runs_again_once(app, factory, workers, tmp_path):
    a = factory.tenant("ta")
    started, release = tmp_path / "started", tmp_path / "release"
    with in_tenant(app, a):
        record_id = enqueue(jobtasks.write_then_block, "killed", 5, str(started), str(release), tenant_id=a.id).id

    first = workers.start("w1")
    wait_for(lambda: attempts_started(started) == 1, 60, "the job to start")
    assert record(app, record_id).state == "started"
    assert probes(app, "killed") == 0  # written and flushed by the job, not committed

    first.kill()  # SIGKILL: no handler runs
    first.wait()
    wait_for(lambda: not processes_named(workers.prefix + "-w1"), 10, "the work horse to die with its worker")
    assert probes(app, "killed") == 0
    assert record(app, record_id).state == "started"  # nobody could say otherwise

    release.touch()
    began = time.monotonic()
    workers.start("w2")
    wait_for(lambda: record(app, record_id).state == "finished", 60, "the job to run again")
    recovered_in = time.monotonic() - began
    done = record(app, record_id)
    assert done.attempts == 2
    assert attempts_started(started) == 2
    assert probes(app, "killed") == 5  # exactly once
    assert "was abandoned (worker process" in workers.log("w2")
    assert recovered_in < 30, recovered_in  # RQ alone: ~90 s until the entry expires + up to 10 min
    print(f"job of a killed worker finished {recovered_in:.1f} s after a new worker was started")


def test_killed_work_horse_is_recorded_and_the_job_retried(app, factory, workers, tmp_path):
    """The OOM killer takes the work horse, not the worker: RQ notices at once."""
    a = factory.tenant("ta")
    started, release = tmp_path / "started", tmp_path / "release"
    with in_tenant(app, a):
        record_id = enqueue(jobtasks.write_then_block, "horse", 2, str(started), str(release), tenant_id=a.id).id
    workers.start("w1")
    wait_for(lambda: attempts_started(started) == 1, 60, "the job to start")
    os.kill(int(started.read_text().split()[0]), signal.SIGKILL)
    retrying = wait_for(lambda: (r := record(app, record_id)).state == "retrying" and r, 30, "the failure to be recorded")
    assert "the work horse running the job was killed" in retrying.error
    assert probes(app, "horse") == 0
    release.touch()
    wait_for(lambda: record(app, record_id).state == "finished", 30, "the retry to finish")
    assert (record(app, record_id).attempts, probes(app, "horse")) == (2, 2)
