"""gridgov — multi-tenant grid management (网格化管理).

``create_app(test_config=None)`` builds the Flask app; ``hookimpl`` marks a plugin's hook
implementations (see :mod:`gridgov.hookspecs`).
"""
from .plugins import hookimpl

__all__ = ["create_app", "hookimpl"]
__version__ = "0.1.0"


def create_app(test_config=None):
    from .app import create_app as _create_app

    return _create_app(test_config)
