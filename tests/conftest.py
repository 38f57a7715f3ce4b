"""Fixtures shared by the whole suite (flaskr style): ``app``, ``client``, ``runner`` and
factories for tenants and logins.

The database is SQLite in a temporary folder by default, or the PostgreSQL server named by
``GRIDGOV_TEST_DATABASE_URL`` (``.ci/run`` runs the suite once on each). Tests marked
``postgres`` need that server: in CI (``CI=true``) they fail without it, elsewhere they skip.
"""
from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import ProgrammingError

from gridgov import create_app, workdays
from gridgov.demo import demo_slug, load_demo
from gridgov.extensions import db
from gridgov.models import Tenant
from gridgov.operations import tenants as tenant_ops
from gridgov.tenancy import platform_scope, tenant_scope

PG_URL = os.environ.get("GRIDGOV_TEST_DATABASE_URL")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres: needs a real PostgreSQL server (GRIDGOV_TEST_DATABASE_URL)")


def pytest_collection_modifyitems(config, items):
    if PG_URL:
        return
    for item in items:
        if "postgres" in item.keywords:
            if IN_CI:
                item.add_marker(pytest.mark.usefixtures("_require_postgres"))
            else:
                item.add_marker(pytest.mark.skip(reason="GRIDGOV_TEST_DATABASE_URL not set"))


@pytest.fixture
def _require_postgres():
    pytest.fail("this test needs PostgreSQL: set GRIDGOV_TEST_DATABASE_URL (CI must provide it)")


def database_url(tmp_path) -> str:
    return PG_URL or f"sqlite:///{tmp_path / 'test.db'}"


@contextlib.contextmanager
def loaded_demo(tmp_path_factory, plugin: str | None = None, *, official_calendar: bool = False):
    """An app on a database holding the demo, loaded once: the demo tenant of ``plugin`` alone
    (only that plugin loaded), or every bundled plugin's when ``plugin`` is None. Yields
    ``(app, tenant id or None, credentials)``. For the module-scoped ``demo`` fixtures of
    tests/test_*_demo.py: their tests share it, so they must only read it (or undo what they do).

    ``official_calendar`` seeds the State Council calendar first (the demos that score on it
    without seeding it themselves).
    """
    name = f"demo-{plugin or 'all'}"
    url = PG_URL or f"sqlite:///{tmp_path_factory.mktemp(name) / 'demo.db'}"
    config = {"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": url,
              "GRIDGOV_UPLOAD_DIR": str(tmp_path_factory.mktemp(name + "-uploads")),
              "RATELIMIT_STORAGE_URI": "memory://", "REDIS_URL": None}
    if plugin is not None:
        config["GRIDGOV_PLUGINS"] = [plugin]
    app = create_app(config)
    with app.app_context(), platform_scope():
        db.drop_all()
        db.create_all()
        if official_calendar:
            workdays.seed_official_calendar()
            db.session.commit()
        credentials = load_demo()
        db.session.commit()
        tenant_id = None
        if plugin is not None:
            tenant_id = db.session.scalar(select(Tenant.id).where(Tenant.slug == demo_slug(plugin)))
    try:
        yield app, tenant_id, credentials
    finally:
        with app.app_context(), platform_scope():
            db.session.remove()
            if db.engine.dialect.name == "postgresql":
                db.drop_all()
            db.engine.dispose()


@pytest.fixture
def app_config(tmp_path):
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
        "GRIDGOV_UPLOAD_DIR": str(tmp_path / "uploads"),
        "RATELIMIT_STORAGE_URI": "memory://",
        # jobs run in-process unless a test asks for Redis (tests/test_jobs_redis.py)
        "REDIS_URL": None,
    }


# Building the schema was a good part of each test's setup (on PostgreSQL most of it), so it is
# built once per process: on SQLite the first test's fresh database file is kept as a template
# that later tests copy (one per set of model tables); on PostgreSQL the tables stay between
# tests and are emptied.
_SQLITE_TEMPLATES: dict[frozenset, Path] = {}
_PG_RESET: set[str] = set()


def _empty_schema(tmp_path_factory) -> None:
    """Give the app's database every model table, all empty (inside an app context)."""
    engine = db.engine
    tables = frozenset(db.metadata.tables)
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        target = Path(engine.url.database)
        template = _SQLITE_TEMPLATES.get(tables)
        if template is not None and not target.exists():
            engine.dispose()
            shutil.copyfile(template, target)
            return
        db.drop_all()
        db.create_all()
        if template is None:
            engine.dispose()  # every connection closed: the file holds the whole schema
            template = tmp_path_factory.mktemp("schema") / "schema.db"
            shutil.copyfile(target, template)
            _SQLITE_TEMPLATES[tables] = template
        return
    if engine.dialect.name == "postgresql":
        key = engine.url.render_as_string(hide_password=False)
        if key not in _PG_RESET:  # the first test of the run: whatever an earlier run left goes
            db.drop_all()
            _PG_RESET.add(key)
        db.create_all()  # only the tables something dropped since (the migration tests, demos)
        _empty_postgres_tables(engine)
        return
    db.drop_all()
    db.create_all()


def _empty_postgres_tables(engine) -> None:
    """Delete every row of the model tables and restart their id sequences: as a freshly created
    schema, in a tenth of the time of DROP/CREATE or TRUNCATE (both rewrite files and sync them).
    Triggers (the audit log's append-only guard, foreign keys) are off for this transaction, which
    needs a superuser; without one, TRUNCATE does it."""
    prepare = engine.dialect.identifier_preparer
    tables = [prepare.format_table(t) for t in reversed(db.metadata.sorted_tables)]
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
            sequences = conn.execute(text(
                "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = current_schema()"))
            for sequence in sequences.scalars().all():
                conn.execute(text(f"ALTER SEQUENCE {prepare.quote(sequence)} RESTART"))
    except ProgrammingError:  # not a superuser: session_replication_role is refused
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def app(app_config, tmp_path_factory):
    app = create_app(app_config)
    with app.app_context(), platform_scope():
        _empty_schema(tmp_path_factory)
    yield app
    with app.app_context(), platform_scope():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@contextlib.contextmanager
def in_tenant(app, tenant):
    """App context scoped to one tenant, committing on success."""
    with app.app_context(), tenant_scope(tenant.id if hasattr(tenant, "id") else tenant):
        yield db.session
        db.session.commit()


class Factory:
    """Creates tenants and logins committed to the database; returns plain ids and tokens."""

    def __init__(self, app):
        self.app = app

    def tenant(self, slug: str, plugins=(), **kw):
        with self.app.app_context():
            tenant = tenant_ops.create_tenant(slug, kw.pop("name", slug.upper()), plugins=plugins, **kw)
            db.session.commit()
            db.session.refresh(tenant)
            db.session.expunge(tenant)
            return tenant

    def user(self, username: str, tenant=None, role: str = "tenant_admin", platform_admin: bool = False,
             password: str = "correct horse battery"):
        """Create a login (and membership); returns (user id, API token)."""
        with self.app.app_context():
            user = tenant_ops.create_user(username, password, platform_admin=platform_admin)
            if tenant is not None:
                tenant_ops.add_membership(tenant, user, role)
            token = tenant_ops.issue_token(user, "test")
            db.session.commit()
            return user.id, token


@pytest.fixture
def factory(app):
    return Factory(app)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# --- JSON API tests (tests/test_api_*.py; helpers in tests/api_support.py) -------------------

pytest.register_assert_rewrite("api_support")

@pytest.fixture
def api_tenant(factory):
    """A tenant enabling the out-of-tree ``example`` plugin."""
    return factory.tenant("alpha", plugins=["example"], name="甲街道")


@pytest.fixture
def api_admin(client, factory, api_tenant):
    """An API client for a tenant administrator of ``api_tenant`` (not a platform admin)."""
    from api_support import TenantClient

    _, token = factory.user("alpha-admin", api_tenant, "tenant_admin")
    return TenantClient(client, token, api_tenant.slug)
