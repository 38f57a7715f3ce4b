"""Writing the audit log. Entries are only ever added; a flush that alters one is refused."""
from __future__ import annotations

from flask import g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import AuditEntry
from ..models.base import to_json_safe
from ..tenancy import current_tenant_id


def current_actor():
    """The user behind this change: the API token's user or the console login."""
    if not has_request_context():
        return g.get("actor") if g else None
    user = g.get("api_user")
    if user is None:
        from flask_login import current_user

        user = current_user if getattr(current_user, "is_authenticated", False) else None
    return user


def record(action: str, obj=None, *, object_type: str | None = None, object_id: int | None = None,
           changes: dict | None = None, tenant_id: int | None = None) -> AuditEntry:
    user = current_actor()
    if tenant_id is None and obj is not None:
        tenant_id = getattr(obj, "tenant_id", None)
    if tenant_id is None:
        tenant_id = current_tenant_id()
    entry = AuditEntry(
        tenant_id=tenant_id,
        user_id=getattr(user, "id", None),
        username=getattr(user, "username", "") or "",
        remote_addr=(request.remote_addr or "") if has_request_context() else "cli",
        action=action,
        object_type=object_type or (type(obj).__name__ if obj is not None else ""),
        object_id=object_id if object_id is not None else getattr(obj, "id", None),
        changes=to_json_safe(changes or {}),
    )
    db.session.add(entry)
    return entry


def snapshot(obj, fields) -> dict:
    return {f: getattr(obj, f) for f in fields}


def diff(before: dict, after: dict) -> dict:
    return {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}


@event.listens_for(Session, "before_flush")
def _append_only(session, flush_context, instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("the audit log is append-only")
