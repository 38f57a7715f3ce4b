"""``GET /files/<id>``: an attachment, for members of its tenant only.

Who asks: an API client with ``Authorization: Bearer <token>`` (checked by the API's own
:func:`gridgov.api.access.authenticate`) or a console login. Nobody → 401; a login that is not a
member of the attachment's tenant, or an id that does not exist → 404, the same answer, so the
ids of other tenants reveal nothing. The response carries the type detected at upload, never
sniffed by the browser; anything but an image is a download.
"""
from __future__ import annotations

from flask import Blueprint, abort, g, request, send_file
from flask_login import current_user
from sqlalchemy import select

from . import tenancy
from .api.access import authenticate
from .attachments import open_attachment
from .extensions import db
from .models import Tenant
from .models.attachments import Attachment
from .operations import tenants as tenant_ops
from .operations.errors import NotFound

bp = Blueprint("attachments", __name__)


def _requester():
    if request.headers.get("Authorization"):
        authenticate()
        return g.api_user
    if current_user.is_authenticated:
        return current_user._get_current_object()
    abort(401)


@bp.get("/files/<int:attachment_id>")
def serve(attachment_id: int):
    user = _requester()
    with tenancy.platform_scope():
        tenant_id = db.session.scalar(select(Attachment.tenant_id).where(Attachment.id == attachment_id))
    tenant = db.session.get(Tenant, tenant_id) if tenant_id is not None else None
    if tenant is None or tenant_ops.role_in(user, tenant) is None:
        abort(404)
    tenancy.set_request_scope(tenant.id)
    try:
        attachment, stream = open_attachment(attachment_id)
    except NotFound:
        abort(404)
    response = send_file(stream, mimetype=attachment.content_type, download_name=attachment.filename,
                         as_attachment=not attachment.content_type.startswith("image/"),
                         etag=attachment.sha256, conditional=True, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["Cache-Control"] = "private, no-cache"
    return response
