"""The WSGI entry point for production: ``gunicorn -w 4 -b 0.0.0.0:8000 gridgov.wsgi:app``.

Configured only by the environment (``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY`` ...; see
:mod:`gridgov.config`). Without ``SECRET_KEY`` outside the demo, the app refuses to start: the
reason is printed and the worker exits with gunicorn's "app failed to load" status (4), so
gunicorn stops at once with that line instead of rebooting workers that cannot start.
"""
import sys

from gridgov.app import create_app
from gridgov.config import ConfigError

APP_LOAD_ERROR = 4  # gunicorn.arbiter.Arbiter.APP_LOAD_ERROR: the arbiter halts

try:
    app = create_app()
except ConfigError as exc:
    print(f"gridgov: {exc}", file=sys.stderr, flush=True)
    sys.exit(APP_LOAD_ERROR)
