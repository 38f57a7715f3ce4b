"""Attachments (gridgov.attachments): type from content, size limit, storage, members-only serving."""
import hashlib
import io
import os
import re
import struct
import zlib

import pytest
from sqlalchemy import func, select

from conftest import bearer, in_tenant
from gridgov import attachments
from gridgov.extensions import db
from gridgov.models import Attachment
from gridgov.operations import events, grids
from gridgov.operations.errors import OperationError
from gridgov.tenancy import platform_scope

LIMIT = 150 * 1024  # more than two read chunks, so the limit is checked across chunks


def _png(width=2, height=2, padding=b"") -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    body = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw))
    if padding:
        body += chunk(b"tEXt", b"Comment\x00" + padding)
    return b"\x89PNG\r\n\x1a\n" + body + chunk(b"IEND", b"")


PNG = _png()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 100


@pytest.fixture
def app_config(app_config):
    return {**app_config, "GRIDGOV_MAX_ATTACHMENT_BYTES": LIMIT}


@pytest.fixture
def world(app, factory):
    """Tenants A and B, an event in each, a member of each (tokens)."""
    ids = {}
    for key in ("a", "b"):
        tenant = factory.tenant(f"att-{key}")
        with in_tenant(app, tenant):
            grid = grids.create_grid(code=f"{key.upper()}1", name=f"{key}网格")
            event, _ = events.record({"type": "core.note", "grid_id": grid.id,
                                      "occurred_at": "2026-05-01T08:00:00+08:00", "payload": {"text": "巡查"}})
            ids[f"event_{key}"] = event.id
        ids[key] = tenant
        ids[f"user_{key}"], ids[f"token_{key}"] = factory.user(f"member-{key}", tenant=tenant, role="viewer")
    return ids


def stored_files(app) -> list[str]:
    root = app.config["GRIDGOV_UPLOAD_DIR"]
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]


def save(app, tenant, owner_id, name, data, owner_kind="event"):
    with in_tenant(app, tenant):
        return attachments.save_attachment(owner_kind, owner_id, name, io.BytesIO(data)).id


def refusal(app, tenant, owner_id, name, data, owner_kind="event") -> OperationError:
    with pytest.raises(OperationError) as info:
        save(app, tenant, owner_id, name, data, owner_kind)
    return info.value


def test_good_files_are_stored_and_served_to_a_member(app, client, world):
    ids = {name: save(app, world["a"], world["event_a"], name, data)
           for name, data in (("现场.png", PNG), ("photo.jpg", JPEG), ("移交函.pdf", PDF))}
    with in_tenant(app, world["a"]):
        listed = attachments.list_attachments("event", world["event_a"])
        assert [(a.filename, a.content_type) for a in listed] == [
            ("现场.png", "image/png"), ("photo.jpg", "image/jpeg"), ("移交函.pdf", "application/pdf")]
        pdf = listed[2]
        assert (pdf.size, pdf.sha256) == (len(PDF), hashlib.sha256(PDF).hexdigest())
        assert pdf.storage_key.startswith(f"{world['a'].id}/") and "移交函" not in pdf.storage_key
    assert len(stored_files(app)) == 3

    response = client.get(f"/files/{ids['现场.png']}", headers=bearer(world["token_a"]))
    assert response.status_code == 200 and response.data == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("inline")

    response = client.get(f"/files/{ids['移交函.pdf']}", headers=bearer(world["token_a"]))
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "filename*=UTF-8''%E7%A7%BB%E4%BA%A4%E5%87%BD.pdf" in response.headers["Content-Disposition"]


def test_the_type_comes_from_the_content_not_the_name(app, world):
    error = refusal(app, world["a"], world["event_a"], "notes.png", "巡查记录：一切正常".encode() * 3)
    assert error.status == 415 and "type unknown not allowed" in error.errors["file"][0]
    error = refusal(app, world["a"], world["event_a"], "setup.exe", EXE)
    assert "type unknown not allowed" in error.errors["file"][0]
    error = refusal(app, world["a"], world["event_a"], "tiny.png", b"\x89PN")
    assert "not allowed" in error.errors["file"][0]
    error = refusal(app, world["a"], world["event_a"], "empty.jpg", b"")
    assert error.errors["file"] == ["is empty"]
    # a PNG renamed .pdf is stored as what it is
    save(app, world["a"], world["event_a"], "scan.pdf", PNG)
    with in_tenant(app, world["a"]):
        assert [a.content_type for a in attachments.list_attachments("event", world["event_a"])] == ["image/png"]


def test_allowed_types_are_a_setting(app, world):
    app.config["GRIDGOV_ATTACHMENT_TYPES"] = ["application/pdf"]
    error = refusal(app, world["a"], world["event_a"], "photo.png", PNG)
    assert "type image/png not allowed" in error.errors["file"][0]
    save(app, world["a"], world["event_a"], "letter.pdf", PDF)


def test_size_limit(app, world):
    exactly = _png(padding=b"x" * 10)
    exactly = _png(padding=b"x" * (10 + LIMIT - len(exactly)))
    assert len(exactly) == LIMIT
    save(app, world["a"], world["event_a"], "big.png", exactly)
    error = refusal(app, world["a"], world["event_a"], "huge.png", _png(padding=b"x" * LIMIT))
    assert error.status == 413 and error.errors["file"] == [f"larger than the limit of {LIMIT} bytes"]
    assert len(stored_files(app)) == 1


def test_refusals_leave_nothing_behind(app, world):
    refusal(app, world["a"], world["event_a"], "notes.png", b"plain text, not an image")
    refusal(app, world["a"], world["event_a"], "huge.png", _png(padding=b"x" * LIMIT))
    error = refusal(app, world["a"], world["event_b"], "other.png", PNG)  # B's event, seen from A
    assert "owner_id" in error.errors
    assert refusal(app, world["a"], None, "none.png", PNG).errors == {"owner_id": ["required"]}
    error = refusal(app, world["a"], 1, "memo.png", PNG, owner_kind="memo")
    assert "owner_kind" in error.errors
    error = refusal(app, world["a"], 999999, "case.png", PNG, owner_kind="case")
    assert error.errors["owner_id"] == ["no case 999999 in this tenant"]
    assert stored_files(app) == []
    with app.app_context(), platform_scope():
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_a_file_whose_transaction_does_not_commit_is_removed(app, world):
    with app.app_context():
        with in_tenant(app, world["a"]) as session:
            attachments.save_attachment("event", world["event_a"], "a.png", io.BytesIO(PNG))
            assert len(stored_files(app)) == 1
            session.rollback()
        assert stored_files(app) == []
        with in_tenant(app, world["a"]):
            attachments.save_attachment("event", world["event_a"], "b.png", io.BytesIO(PNG))
            db.session.remove()  # the request ended without a commit
        assert stored_files(app) == []


def test_only_members_of_the_tenant_get_the_file(app, client, world, factory):
    attachment_id = save(app, world["a"], world["event_a"], "现场.png", PNG)
    assert client.get(f"/files/{attachment_id}", headers=bearer(world["token_b"])).status_code == 404
    assert client.get("/files/999999", headers=bearer(world["token_a"])).status_code == 404
    assert client.get(f"/files/{attachment_id}").status_code == 401
    assert client.get(f"/files/{attachment_id}", headers=bearer("ggv_not-a-token")).status_code == 401
    _, admin_token = factory.user("platform-admin", platform_admin=True)
    assert client.get(f"/files/{attachment_id}", headers=bearer(admin_token)).status_code == 200
    with in_tenant(app, world["b"]):  # tenant scope of B cannot open A's row either
        with pytest.raises(OperationError) as info:
            attachments.open_attachment(attachment_id)
    assert info.value.status == 404


def login(client, username, password="correct horse battery"):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302


def test_console_logins_are_members_too(app, client, world):
    attachment_id = save(app, world["a"], world["event_a"], "photo.jpg", JPEG)
    login(client, "member-b")
    assert client.get(f"/files/{attachment_id}").status_code == 404
    client.post("/logout")
    other = app.test_client()
    login(other, "member-a")
    response = other.get(f"/files/{attachment_id}")
    assert response.status_code == 200 and response.data == JPEG
    assert response.headers["Content-Type"] == "image/jpeg"
