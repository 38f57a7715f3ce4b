"""Attachments (附件) on cases and events: upload one file (multipart/form-data, field ``file``)
and list an owner's files. Downloads are ``GET /files/<id>`` (:mod:`gridgov.attachments_bp`),
the ``url`` of each attachment.

The checks are :func:`gridgov.attachments.save_attachment`'s: the type comes from the content,
never from the client's Content-Type or the file name. Errors name ``file`` under ``files``
(the location of an upload): 415 for a type not allowed, 413 for a file over the limit, 422 for
no file or an empty one. The owner is looked up first, so another tenant's id is a plain 404.
"""
from __future__ import annotations

from flask import current_app, g, request
from flask.views import MethodView
from werkzeug.exceptions import RequestEntityTooLarge

from .. import attachments
from ..models.tenants import EVENT_WRITE_ROLES
from ..operations import cases as case_ops
from ..operations import events as event_ops
from ..operations.errors import OperationError
from .access import tenant_blueprint
from .case_schemas import AttachmentOut
from .errors import fail

blp = tenant_blueprint("file-attachments", "Attachments (附件): photos and scanned letters on cases and events.",
                       EVENT_WRITE_ROLES)
UPLOAD = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "JPEG, PNG, GIF, WebP or PDF (the allowed types are a setting); "
                                           "the type is read from the content"}}}}}}


def _upload():
    """The one uploaded file of the request."""
    try:
        files = request.files.getlist("file")
    except RequestEntityTooLarge:
        fail(413, {"file": [f"the request is larger than the limit of {current_app.config['MAX_CONTENT_LENGTH']} bytes"]},
             "files")
    if len(files) != 1:
        fail(422, {"file": ["required: send one file as multipart/form-data in the field file" if not files
                            else "one file per request"]}, "files")
    return files[0]


def owner_routes(path: str, kind: str, get_owner) -> None:
    """``GET`` and ``POST /<path>/<kind>_id/attachments`` for one kind of owner."""
    id_arg = f"{kind}_id"

    @blp.route(f"/{path}/<int:{id_arg}>/attachments", endpoint=f"{kind}_attachments")
    class OwnerAttachments(MethodView):
        @blp.response(200, AttachmentOut(many=True))
        def get(self, **ids):
            """The owner's attachments in upload order, each with its download URL."""
            return attachments.list_attachments(kind, get_owner(ids[id_arg]).id)

        @blp.doc(requestBody=UPLOAD)
        @blp.response(201, AttachmentOut)
        @blp.alt_response(413, description="the file is over the size limit (names file)")
        @blp.alt_response(415, description="the content is not of an allowed type (names file)")
        def post(self, **ids):
            """Upload one file; the answer gives its detected type, size, SHA-256 and URL."""
            owner = get_owner(ids[id_arg])
            upload = _upload()
            try:
                return attachments.save_attachment(kind, owner.id, upload.filename, upload.stream,
                                                   uploaded_by_id=g.api_user.id)
            except OperationError as exc:
                fail(exc.status, exc.errors, "files")


owner_routes("cases", "case", case_ops.get_case)
owner_routes("events", "event", event_ops.get_event)
