"""Alembic environment, run by Flask-Migrate (``gridgov db upgrade``) inside the app context.

Migrations are rendered from the models but must not import them: a revision has to keep
working after the models move on. So the model-only column type :class:`UTCDateTime` is
rendered as the plain ``sa.DateTime(timezone=True)`` it stores, and the PostgreSQL variants
(JSONB, the "C" collation of grid paths) as ``with_variant`` of plain SQLAlchemy types.
"""
import logging
from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context
from flask import current_app

from gridgov.models.base import UTCDateTime

config = context.config
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

migrate_ext = current_app.extensions["migrate"]
engine = migrate_ext.db.engine
config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))


def render_item(type_, obj, autogen_context):
    if type_ != "type":
        return False
    if isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(obj, sa.JSON) and "postgresql" in getattr(obj, "_variant_mapping", {}):
        # Alembic's own rendering of this variant names an unimported ``Text``.
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return "sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')"
    return False


def skip_empty_revision(context, revision, directives):
    """``gridgov db migrate`` with no model change writes no empty revision."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def options() -> dict:
    args = dict(migrate_ext.configure_args)
    args.setdefault("process_revision_directives", skip_empty_revision)
    args.setdefault("render_item", render_item)
    args.setdefault("compare_type", True)
    return args


def run_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=migrate_ext.db.metadata,
                      literal_binds=True, **options())
    with context.begin_transaction():
        context.run_migrations()


def run_online():
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=migrate_ext.db.metadata, **options())
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
