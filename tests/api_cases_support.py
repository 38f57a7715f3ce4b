"""Helpers for the case API tests (``test_api_cases*.py``, ``test_api_attachments.py``): the
world of ``cases_support`` with an API client for each of its logins, and uploads."""
from __future__ import annotations

import io

from api_support import TenantClient
from cases_support import World
from gridgov.extensions import db
from gridgov.models import User
from gridgov.operations import tenants as tenant_ops

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
PDF = b"%PDF-1.4\n% a scanned letter\n"


class ApiWorld(World):
    """``World`` (street → communities → grids, units, staff, the official calendar) whose
    logins each hold an API token: ``world.api["sup"].post(...)``."""

    def __init__(self, app, client, factory, slug: str = "city", plugins=()):
        super().__init__(app, factory, slug, plugins)
        self.slug = slug
        with app.app_context():
            tokens = {name: tenant_ops.issue_token(db.session.get(User, user_id), "api")
                      for name, user_id in self.user_ids.items()}
            db.session.commit()
        self.api = {name: TenantClient(client, token, slug) for name, token in tokens.items()}


def upload(api: TenantClient, path: str, content: bytes, filename: str = "photo.png",
           content_type: str = "application/octet-stream", field: str = "file"):
    """POST ``content`` as multipart/form-data to ``path`` (e.g. ``cases/3/attachments``)."""
    return api.client.post(api.url(path), headers={"Authorization": f"Bearer {api.token}"},
                           data={field: (io.BytesIO(content), filename, content_type)},
                           content_type="multipart/form-data")
