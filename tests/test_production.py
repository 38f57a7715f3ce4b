"""Production mode: the app under real gunicorn with several workers, configured only by the
environment, on a database built by the migrations and administered with the ``gridgov`` CLI.

PostgreSQL when ``GRIDGOV_TEST_DATABASE_URL`` is set (as in CI), else an SQLite file; Redis (the
rate limiter's shared storage) when ``REDIS_URL`` is set.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import database_url
from test_migrations import wipe_database

BIN = Path(sys.executable).parent
SECRET = "production-test-secret-3f9a"
PASSWORD = "ops password 2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(url: str, **extra) -> dict:
    """Nothing but what an operator sets: no test config, no demo switch."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8",
           "DATABASE_URL": url, "SECRET_KEY": SECRET}
    redis_url = os.environ.get("GRIDGOV_TEST_REDIS_URL") or os.environ.get("REDIS_URL")
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(extra)
    return env


def gridgov(env, cwd, *args) -> str:
    result = subprocess.run([str(BIN / "gridgov"), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"gridgov {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def http(base: str, path: str, *, token: str | None = None, body: dict | None = None):
    """(status, body) of one request; the JSON decoded when it is JSON."""
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(base + path, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, raw, kind = response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        status, raw, kind = exc.code, exc.read(), exc.headers.get("Content-Type", "")
    return status, json.loads(raw) if kind.startswith("application/json") else raw.decode()


@pytest.fixture
def database(tmp_path):
    url = database_url(tmp_path)
    wipe_database(url)
    yield url
    wipe_database(url)


@pytest.fixture
def deployed(database, tmp_path):
    """Migrate, then a tenant, its administrator and an API token — all through the CLI."""
    env = production_env(database)
    gridgov(env, tmp_path, "db", "upgrade")
    gridgov(env, tmp_path, "tenant", "create", "prod", "生产区")
    gridgov(env, tmp_path, "user", "create", "ops", "--password", PASSWORD, "--tenant", "prod", "--role", "tenant_admin")
    token = gridgov(env, tmp_path, "token", "create", "ops", "--name", "smoke test").strip()
    return env, token


@pytest.fixture
def gunicorn(deployed, tmp_path):
    env, token = deployed
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "w+")
    process = subprocess.Popen([str(BIN / "gunicorn"), "-w", "3", "-b", f"127.0.0.1:{port}", "--timeout", "60",
                                "gridgov.wsgi:app"], env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"gunicorn exited:\n{(tmp_path / 'gunicorn.log').read_text()}"
            try:
                if http(base, "/login")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
            time.sleep(0.25)
        yield base, token, env
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_the_app_serves_under_gunicorn_with_several_workers(gunicorn, tmp_path):
    base, token, env = gunicorn
    status, page = http(base, "/login")
    assert status == 200 and "<form" in page
    status, spec = http(base, "/api/v1/openapi.json")
    assert status == 200 and any(p.startswith("/api/v1/tenants/") for p in spec["paths"])
    assert http(base, "/api/v1/tenants/prod/grids")[0] == 401

    status, grid = http(base, "/api/v1/tenants/prod/grids", token=token, body={"code": "PR-01", "name": "一号网格"})
    assert status == 201, grid
    event = {"type": "core.note", "occurred_at": "2026-05-01T09:30:00+08:00", "grid_id": grid["id"],
             "payload": {"text": "生产环境巡查"}, "idempotency_key": "smoke-1"}
    status, stored = http(base, "/api/v1/tenants/prod/events", token=token, body=event)
    assert status == 201, stored
    # Reads and a replay spread over the workers all see the same database.
    for _ in range(12):
        status, got = http(base, f"/api/v1/tenants/prod/grids/{grid['id']}", token=token)
        assert (status, got["code"]) == (200, "PR-01")
    status, replay = http(base, "/api/v1/tenants/prod/events", token=token, body=event)
    assert (status, replay["id"]) == (200, stored["id"])
    # The CLI sees what the API wrote.
    exported = gridgov(env, tmp_path, "events", "export", "--tenant", "prod")
    assert [json.loads(line)["idempotency_key"] for line in exported.splitlines()] == ["smoke-1"]


def test_gunicorn_refuses_to_start_without_a_secret_key(deployed, tmp_path):
    env, _ = deployed
    env = {k: v for k, v in env.items() if k != "SECRET_KEY"}
    result = subprocess.run([str(BIN / "gunicorn"), "-w", "3", "-b", f"127.0.0.1:{free_port()}", "gridgov.wsgi:app"],
                            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "gridgov: SECRET_KEY is not set" in result.stderr
    # No traceback through gridgov's code. (gunicorn 27 may print one of its own when two
    # workers report "app failed to load" at the same moment.)
    assert "ConfigError" not in result.stderr and "gridgov/app.py" not in result.stderr


def test_the_cli_refuses_to_start_without_a_secret_key(database, tmp_path):
    env = {k: v for k, v in production_env(database).items() if k != "SECRET_KEY"}
    result = subprocess.run([str(BIN / "gridgov"), "db", "upgrade"], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1
    assert "SECRET_KEY is not set" in result.stderr and "Traceback" not in result.stderr
