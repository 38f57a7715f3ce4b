"""Attachments (附件) on cases and events: checked, stored on disk, read back within the tenant.

The type is detected from the first bytes of the content (magic numbers) and checked against
``GRIDGOV_ATTACHMENT_TYPES``; the client's content type and the file name's extension are never
trusted. The size limit is ``GRIDGOV_MAX_ATTACHMENT_BYTES`` (10 MiB by default). Files go to
``GRIDGOV_UPLOAD_DIR/<tenant id>/<random name>``.

A refused upload leaves nothing on disk. A stored file belongs to the transaction that wrote its
row: if that transaction does not commit, the file is removed when it ends.

Owners are looked up through :data:`OWNER_MODELS`; a module that adds an attachable kind adds
its model's name there.
"""
from __future__ import annotations

import hashlib
import logging
import os
import secrets

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from . import models
from .extensions import db
from .models.attachments import Attachment
from .operations import audit
from .operations.common import get, ref
from .operations.errors import NotFound, OperationError
from .tenancy import TenantScopeError, current_tenant_id

log = logging.getLogger(__name__)

# owner kind → name of its model in gridgov.models (resolved when used, so a model added later
# — the cases of issue 3 — needs only its entry here)
OWNER_MODELS = {"event": "Event", "case": "Case"}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf")
CHUNK = 64 * 1024
HEAD_BYTES = 12
_NEW_FILES = "gridgov_new_attachment_files"


def detect_type(head: bytes) -> str | None:
    """The media type the content's signature announces, or None when it is none we know."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def clean_filename(filename: str | None) -> str:
    """The uploaded name without any folder part or control characters (kept for display)."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:200] or "file"


def owner_model(owner_kind: str):
    model = getattr(models, OWNER_MODELS.get(owner_kind, ""), None)
    if model is None:
        raise OperationError({"owner_kind": [f"must be one of {', '.join(sorted(OWNER_MODELS))}"]})
    return model


def _upload_dir() -> str:
    return current_app.config.get("GRIDGOV_UPLOAD_DIR") or os.path.join(current_app.instance_path, "uploads")


def _path(storage_key: str) -> str:
    return os.path.join(_upload_dir(), *storage_key.split("/"))


def _checked_type(head: bytes, allowed) -> str:
    content_type = detect_type(head)
    if content_type not in allowed:
        raise OperationError({"file": [f"type {content_type or 'unknown'} not allowed "
                                       f"(allowed: {', '.join(allowed)})"]}, status=415)
    return content_type


def _copy_checked(stream, path: str, limit: int, allowed) -> tuple[str, int, str]:
    """Copy ``stream`` to ``path``, refusing a wrong type as soon as its first bytes are in and
    an oversized file as soon as it passes the limit; returns (type, size, sha256)."""
    digest, size, head, content_type = hashlib.sha256(), 0, b"", None
    with open(path, "xb") as out:
        while chunk := stream.read(CHUNK):
            if len(head) < HEAD_BYTES:
                head += chunk[:HEAD_BYTES - len(head)]
                if len(head) == HEAD_BYTES:
                    content_type = _checked_type(head, allowed)
            size += len(chunk)
            if size > limit:
                raise OperationError({"file": [f"larger than the limit of {limit} bytes"]}, status=413)
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        raise OperationError({"file": ["is empty"]})
    return content_type or _checked_type(head, allowed), size, digest.hexdigest()


def save_attachment(owner_kind: str, owner_id: int, filename: str | None, stream,
                    uploaded_by_id: int | None = None) -> Attachment:
    """Check and store an upload for an owner of the current tenant; flushes, the caller commits.

    ``stream`` is anything with ``read(n)`` (a werkzeug ``FileStorage``, an open file).
    Refusals: ``owner_kind``/``owner_id`` (unknown kind, no such owner in this tenant, 422),
    ``file`` (empty 422, type not allowed 415, too large 413)."""
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise TenantScopeError("attachments are saved in a tenant scope")
    if ref(owner_model(owner_kind), owner_id, "owner_id") is None:
        raise OperationError({"owner_id": ["required"]})
    config = current_app.config
    limit = int(config.get("GRIDGOV_MAX_ATTACHMENT_BYTES", DEFAULT_MAX_BYTES))
    allowed = tuple(config.get("GRIDGOV_ATTACHMENT_TYPES", DEFAULT_TYPES))
    storage_key = f"{tenant_id}/{secrets.token_hex(16)}"
    final = _path(storage_key)
    partial = final + ".part"
    os.makedirs(os.path.dirname(final), exist_ok=True)
    try:
        content_type, size, sha256 = _copy_checked(stream, partial, limit, allowed)
        os.replace(partial, final)
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)
        raise
    db.session.info.setdefault(_NEW_FILES, []).append(final)
    attachment = Attachment(owner_kind=owner_kind, owner_id=int(owner_id), filename=clean_filename(filename),
                            content_type=content_type, size=size, sha256=sha256, storage_key=storage_key,
                            uploaded_by_id=uploaded_by_id or getattr(audit.current_actor(), "id", None))
    db.session.add(attachment)
    db.session.flush()
    audit.record("create", attachment, changes={
        "owner": f"{owner_kind}:{owner_id}", "filename": attachment.filename,
        "content_type": content_type, "size": size, "sha256": sha256})
    db.session.flush()
    return attachment


def get_attachment(attachment_id) -> Attachment:
    return get(Attachment, attachment_id, "attachment")


def open_attachment(attachment_id):
    """(attachment, binary file) of the current tenant; the caller closes the file."""
    attachment = get_attachment(attachment_id)
    try:
        return attachment, open(_path(attachment.storage_key), "rb")
    except FileNotFoundError:
        log.error("attachment %s: file %s is missing from the upload folder", attachment.id, attachment.storage_key)
        raise NotFound("file of the attachment")


def list_attachments(owner_kind: str, owner_id: int) -> list[Attachment]:
    """The owner's attachments in upload order (the current tenant's only)."""
    owner_model(owner_kind)
    return list(db.session.scalars(
        select(Attachment).where(Attachment.owner_kind == owner_kind, Attachment.owner_id == int(owner_id))
        .order_by(Attachment.uploaded_at, Attachment.id)))


@event.listens_for(Session, "after_commit")
def _keep_committed_files(session):
    session.info.pop(_NEW_FILES, None)


@event.listens_for(Session, "after_transaction_end")
def _remove_uncommitted_files(session, transaction):
    if transaction.parent is not None:
        return
    for path in session.info.pop(_NEW_FILES, ()):
        if os.path.exists(path):
            os.remove(path)


def init_app(app) -> None:
    app.config.setdefault("GRIDGOV_MAX_ATTACHMENT_BYTES",
                          int(os.environ.get("GRIDGOV_MAX_ATTACHMENT_BYTES", DEFAULT_MAX_BYTES)))
    app.config.setdefault("GRIDGOV_ATTACHMENT_TYPES", list(DEFAULT_TYPES))
    from .attachments_bp import bp

    app.register_blueprint(bp)
