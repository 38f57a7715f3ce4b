"""Configuration from the environment; ``create_app(test_config)`` overrides it."""
from __future__ import annotations

import os


class ConfigError(RuntimeError):
    pass


def from_environment(instance_path: str) -> dict:
    env = os.environ
    demo = env.get("GRIDGOV_DEMO", "") in ("1", "true", "yes")
    db_url = env.get("DATABASE_URL") or f"sqlite:///{os.path.join(instance_path, 'gridgov.db')}"
    if db_url.startswith("postgres://"):
        db_url = "postgresql+psycopg://" + db_url[len("postgres://"):]
    elif db_url.startswith("postgresql://"):
        db_url = "postgresql+psycopg://" + db_url[len("postgresql://"):]
    redis_url = env.get("REDIS_URL") or None
    plugins = env.get("GRIDGOV_PLUGINS")
    return {
        "GRIDGOV_DEMO": demo,
        "SECRET_KEY": env.get("SECRET_KEY") or ("gridgov-demo-only-secret" if demo else None),
        "SQLALCHEMY_DATABASE_URI": db_url,
        "REDIS_URL": redis_url,
        "GRIDGOV_PLUGIN_AUTOLOAD": env.get("GRIDGOV_PLUGIN_AUTOLOAD", "1") not in ("0", "false", "no"),
        "GRIDGOV_PLUGINS": [p.strip() for p in plugins.split(",") if p.strip()] if plugins else None,
        "GRIDGOV_EXTRA_PLUGINS": [],
        "GRIDGOV_UPLOAD_DIR": env.get("GRIDGOV_UPLOAD_DIR") or os.path.join(instance_path, "uploads"),
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "0") in ("1", "true", "yes"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Flask-Limiter shares its counters across gunicorn workers through Redis when there is one.
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "GRIDGOV_LOGIN_LIMIT": env.get("GRIDGOV_LOGIN_LIMIT", "10 per 5 minutes"),
        "MAX_CONTENT_LENGTH": int(env.get("GRIDGOV_MAX_CONTENT_LENGTH", str(16 * 1024 * 1024))),
        # flask-smorest: the OpenAPI document at /api/v1/openapi.json
        "API_TITLE": "gridgov API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    }


def check(config: dict) -> None:
    if not config.get("SECRET_KEY"):
        raise ConfigError("SECRET_KEY is not set: set it in the environment (only the demo runs without one)")
