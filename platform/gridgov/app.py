"""The app factory."""
from __future__ import annotations

import logging
import os

from flask import Flask, request, session
from sqlalchemy import event
from sqlalchemy.engine import Engine

from . import config as config_module
from . import tenancy
from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .plugins import Registry, build_plugin_manager

log = logging.getLogger(__name__)
LOCALES = {"zh": "zh_Hans_CN", "zh_Hans": "zh_Hans_CN", "zh_Hans_CN": "zh_Hans_CN", "en": "en"}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def select_locale() -> str:
    """``?lang=en`` (remembered in the session), else the login's choice, else Chinese."""
    wanted = request.args.get("lang")
    if wanted in LOCALES:
        session["lang"] = LOCALES[wanted]
    if session.get("lang"):
        return session["lang"]
    from flask_login import current_user

    user_locale = getattr(current_user, "locale", None) if getattr(current_user, "is_authenticated", False) else None
    return LOCALES.get(user_locale or "", "zh_Hans_CN")


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=os.environ.get("GRIDGOV_INSTANCE_PATH") or os.path.abspath("instance"))
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(config_module.from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)
    config_module.check(app.config)

    pm = build_plugin_manager(
        autoload=app.config["GRIDGOV_PLUGIN_AUTOLOAD"],
        allow=app.config["GRIDGOV_PLUGINS"],
        extra=app.config["GRIDGOV_EXTRA_PLUGINS"],
    )
    app.extensions["gridgov_pm"] = pm
    app.extensions["gridgov_registry"] = Registry(pm)

    from . import models  # noqa: F401  (register the tables)
    from .operations import audit  # noqa: F401  (append-only guard)

    db.init_app(app)
    tenancy.install()
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"), render_as_batch=True)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=os.path.join(os.path.dirname(__file__), "translations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    @app.teardown_appcontext
    def _clear_scope(exc):
        tenancy.clear_scope()

    for name in ("api", "console", "cli", "attachments", "open311", "surveys"):
        module = __import__(f"gridgov.{name}", fromlist=["init_app"])
        if hasattr(module, "init_app"):
            module.init_app(app)
    return app
