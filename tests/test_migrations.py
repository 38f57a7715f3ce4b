"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
from __future__ import annotations

import pathlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

import gridgov
from gridgov import create_app
from gridgov.extensions import db
from gridgov.tenancy import platform_scope

from conftest import database_url

VERSIONS = pathlib.Path(gridgov.__file__).parent / "migrations" / "versions"


def _drop_everything():
    with platform_scope():
        db.session.remove()
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def wipe_database(url: str) -> None:
    """Leave the database at ``url`` without any table, Alembic's included."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        _drop_everything()
        db.engine.dispose()


@pytest.fixture
def empty_app(tmp_path):
    """An app on a database with no tables at all (not even those of ``db.create_all``)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": database_url(tmp_path)})
    with app.app_context():
        _drop_everything()
    yield app
    with app.app_context():
        _drop_everything()
        db.engine.dispose()


def _schema_diff() -> list:
    with db.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)


def test_upgrade_builds_the_models_schema_and_downgrade_removes_it(empty_app):
    runner = empty_app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        assert set(db.metadata.tables) <= set(inspect(db.engine).get_table_names())
        assert _schema_diff() == []
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_a_migrated_database_takes_writes(empty_app):
    """The migrated schema, not just ``create_all``, carries the app: constraints, defaults, types."""
    runner = empty_app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["tenant", "create", "migrated", "迁移测试"])
    assert result.exit_code == 0, result.output
    assert "migrated" in runner.invoke(args=["tenant", "list"]).output


def test_revisions_do_not_import_the_application():
    """A revision must keep working after the models change, so it uses plain SQLAlchemy types."""
    revisions = list(VERSIONS.glob("*.py"))
    assert revisions
    for path in revisions:
        source = path.read_text(encoding="utf-8")
        assert "gridgov" not in source, f"{path.name} imports application code"
