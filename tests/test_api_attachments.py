"""Attachments through the API (gridgov.api.attachments): upload to a case or an event as
multipart/form-data, list, download by the returned URL; a wrong type (415), an oversized file
or request (413), no file (422) — each naming ``file``; another tenant's owners and files; and the
scanned letters of a hand-off."""
from __future__ import annotations

import hashlib
import io
import os

import pytest

from api_cases_support import PDF, PNG, ApiWorld, upload
from api_support import TenantClient, assert_error, count, note
from conftest import in_tenant
from gridgov.models import Attachment

LIMIT = 1024


@pytest.fixture
def app_config(app_config):
    return {**app_config, "GRIDGOV_MAX_ATTACHMENT_BYTES": LIMIT, "MAX_CONTENT_LENGTH": 8 * LIMIT}


@pytest.fixture
def world(app, client, factory):
    return ApiWorld(app, client, factory)


@pytest.fixture
def case_id(app, world):
    with in_tenant(app, world.tenant):
        return world.case_in("in_progress").id


def attachments(app, tenant_id: int | None = None) -> int:
    with app.app_context():
        return count(Attachment, tenant_id)


def stored_files(app) -> list:
    folder = app.config["GRIDGOV_UPLOAD_DIR"]
    return [name for _, _, names in os.walk(folder) for name in names]


def test_a_photo_on_a_case_is_stored_listed_and_served(app, world, case_id):
    fs = world.api["fs"]
    response = upload(fs, f"cases/{case_id}/attachments", PNG, "现场照片.jpg", "text/plain")  # the claim is ignored
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["owner_kind"], body["owner_id"], body["filename"]) == ("case", case_id, "现场照片.jpg")
    assert (body["content_type"], body["size"], body["sha256"]) == ("image/png", len(PNG), hashlib.sha256(PNG).hexdigest())
    assert body["url"] == f"/files/{body['id']}" and body["uploaded_by_id"] == world.user_ids["fs"]
    assert world.api["viewer"].ok("GET", f"cases/{case_id}/attachments") == [body]
    served = fs.client.get(body["url"], headers={"Authorization": f"Bearer {world.api['viewer'].token}"})
    assert served.status_code == 200 and served.data == PNG and served.mimetype == "image/png"


def test_a_scan_on_an_event(world, case_id):
    admin = world.api["admin"]
    event = admin.ok("POST", "events", note(world.grid["G1"]))["id"]
    body = upload(admin, f"events/{event}/attachments", PDF, "巡查记录.pdf").get_json()
    assert (body["owner_kind"], body["owner_id"], body["content_type"]) == ("event", event, "application/pdf")
    assert [a["id"] for a in admin.ok("GET", f"events/{event}/attachments")] == [body["id"]]
    assert admin.ok("GET", f"cases/{case_id}/attachments") == []  # an event's file is not a case's


@pytest.mark.parametrize("content, status", [
    (b"just some text, named like a photo", 415),
    (b"MZ\x90\x00" + bytes(60), 415),  # a program
    (b"\xff\xd8\xff" + bytes(LIMIT), 413),  # a JPEG over the limit
    (b"%PDF-" + bytes(8 * LIMIT), 413),  # a request over MAX_CONTENT_LENGTH
    (b"", 422),
])
def test_refused_files_name_file_and_leave_nothing(app, world, case_id, content, status):
    response = upload(world.api["fs"], f"cases/{case_id}/attachments", content, "photo.jpg", "image/jpeg")
    reason = assert_error(response, status, "file", "files")["errors"]["files"]["file"][0]
    assert {415: "not allowed", 413: "larger than the limit", 422: "empty"}[status] in reason
    assert attachments(app) == 0 and stored_files(app) == []


def test_the_upload_must_be_one_file_in_the_field_file(app, world, case_id):
    fs, path = world.api["fs"], f"cases/{case_id}/attachments"
    assert_error(fs.post(path, {"file": "not a file"}), 422, "file", "files")
    assert_error(upload(fs, path, PNG, field="photo"), 422, "file", "files")
    two = fs.client.post(fs.url(path), headers={"Authorization": f"Bearer {fs.token}"}, content_type="multipart/form-data",
                         data={"file": [(io.BytesIO(PNG), "a.png"), (io.BytesIO(PNG), "b.png")]})
    assert "one file per request" in assert_error(two, 422, "file", "files")["errors"]["files"]["file"][0]
    assert attachments(app) == 0


def test_viewers_upload_nothing_and_unknown_owners_are_not_found(app, world, case_id):
    assert_error(upload(world.api["viewer"], f"cases/{case_id}/attachments", PNG), 403)
    for path in ("cases/999999/attachments", "events/999999/attachments"):
        assert_error(upload(world.api["fs"], path, PNG), 404)
        assert_error(world.api["fs"].get(path), 404)
    assert attachments(app) == 0


def test_another_tenants_cases_events_and_files(app, client, factory, world, case_id):
    """A member of town cannot reach city's case by id under town's slug, nor city's file; city's
    listing shows none of town's files."""
    town = ApiWorld(app, client, factory, slug="town")
    with in_tenant(app, town.tenant):
        town_case = town.case_in("in_progress").id
    town_file = upload(town.api["admin"], f"cases/{town_case}/attachments", PNG).get_json()
    city_file = upload(world.api["admin"], f"cases/{case_id}/attachments", PDF, "letter.pdf").get_json()
    city, town_admin = world.api["admin"], town.api["admin"]
    assert town_case != case_id  # ids are unique across tenants: town's id is no case of city
    assert_error(upload(city, f"cases/{town_case}/attachments", PNG), 404)
    assert_error(city.get(f"cases/{town_case}/attachments"), 404)
    assert [a["id"] for a in city.ok("GET", f"cases/{case_id}/attachments")] == [city_file["id"]]
    assert_error(upload(TenantClient(client, town_admin.token, "city"), f"cases/{case_id}/attachments", PNG), 404)
    assert client.get(city_file["url"], headers={"Authorization": f"Bearer {town_admin.token}"}).status_code == 404
    assert client.get(town_file["url"], headers={"Authorization": f"Bearer {town_admin.token}"}).status_code == 200
    assert attachments(app, world.tenant.id) == 1 and attachments(app, town.tenant.id) == 1


def test_a_hand_off_names_scanned_letters_of_its_case(app, client, factory, world, case_id):
    sup = world.api["sup"]
    with in_tenant(app, world.tenant):
        other_case = world.case_in("reported").id
    letter = upload(sup, f"cases/{case_id}/attachments", PDF, "交办函.pdf").get_json()["id"]
    elsewhere = upload(sup, f"cases/{other_case}/attachments", PDF).get_json()["id"]
    town = ApiWorld(app, client, factory, slug="town")
    with in_tenant(app, town.tenant):
        town_case = town.case_in("reported").id
    foreign = upload(town.api["admin"], f"cases/{town_case}/attachments", PDF).get_json()["id"]
    body = {"to_unit_id": world.unit["B"], "reason": "重大火灾隐患", "letter_number": "大公消移〔2026〕12号"}
    for ids in ([elsewhere], [foreign], [letter, foreign]):
        reason = assert_error(sup.post(f"cases/{case_id}/hand-off", {**body, "attachment_ids": ids}), 422,
                              "attachment_ids")["errors"]["json"]["attachment_ids"][0]
        assert "not attachments of case" in reason and str(ids[-1]) in reason
    assert sup.ok("GET", f"cases/{case_id}")["state"] == "in_progress"
    handed = sup.ok("POST", f"cases/{case_id}/hand-off", {**body, "attachment_ids": [letter, letter]}, status=200)
    assert handed["state"] == "handed_off"
    [record] = sup.ok("GET", f"cases/{case_id}/handoffs")
    assert record["attachment_ids"] == [letter] and record["letter_number"] == "大公消移〔2026〕12号"
