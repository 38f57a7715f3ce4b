"""Open311 API keys: issued and revoked by the tenant administrator, checked on every POST.

The plain key is returned once, at issue; only its SHA-256 and its first characters (to
recognise it in the console) are stored. Operations flush; the caller commits.
"""
from __future__ import annotations

import secrets

from sqlalchemy import select

from ..extensions import db
from ..models import Grid
from ..models.base import utcnow
from ..models.open311 import Open311Key
from ..operations import audit
from ..operations.common import get, ref
from ..operations.errors import Conflict, Forbidden, OperationError

KEY_PREFIX = "o311_"


def issue_key(*, name: str, grid_id: int, actor=None) -> tuple[Open311Key, str]:
    """A new key whose reports land in ``grid_id`` (or a grid below it their location names).
    :returns: (key row, plain key — shown once)."""
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100 or "\x00" in name:
        raise OperationError({"name": ["required, at most 100 characters"]})
    grid = ref(Grid, grid_id, "grid_id")
    if grid is None:
        raise OperationError({"grid_id": ["required"]})
    plain = KEY_PREFIX + secrets.token_urlsafe(24)
    key = Open311Key(name=name.strip(), prefix=plain[:10], key_hash=Open311Key.hash(plain), grid_id=grid.id,
                     created_by_id=getattr(actor, "id", None))
    db.session.add(key)
    db.session.flush()
    audit.record("issue", key, changes={"name": key.name, "grid_id": grid.id, "prefix": key.prefix})
    return key, plain


def get_key(key_id) -> Open311Key:
    return get(Open311Key, key_id, "Open311 key")


def revoke_key(key: Open311Key) -> Open311Key:
    if key.revoked_at is not None:
        raise Conflict({"key": [f"key {key.prefix}… is revoked already"]})
    key.revoked_at = utcnow()
    db.session.flush()
    audit.record("revoke", key, changes={"prefix": key.prefix})
    return key


def authenticate(plain: str | None) -> Open311Key:
    """The current tenant's live key for ``plain``; a missing, unknown or revoked key is 403."""
    if not plain:
        raise Forbidden({"api_key": ["an api_key is required to submit a request"]})
    key = db.session.scalar(select(Open311Key).where(Open311Key.key_hash == Open311Key.hash(plain)))
    if key is None or key.revoked_at is not None:
        raise Forbidden({"api_key": ["invalid api_key: unknown or revoked for this jurisdiction"]})
    key.last_used_at = utcnow()
    return key
