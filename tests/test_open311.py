"""Open311 GeoReport v2: field names in JSON and XML, creating a case, status and listing,
the specification's errors in both formats, and tenant isolation."""
from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from conftest import in_tenant
from sqlalchemy import func, select

from gridgov.extensions import db
from gridgov.models import Case, Open311Key, Open311Request, Place, Unit, User
from gridgov.open311 import keys
from gridgov.operations import cases, grids, registers

SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
                  "address", "address_id", "zipcode", "lat", "long", "media_url"]
CREATED_FIELDS = ["service_request_id", "service_notice", "account_id"]
# a square around (113.0 E, 28.0 N) for community C and a smaller one inside it for grid G1
C_AREA = {"type": "Polygon", "coordinates": [[[112.9, 27.9], [113.1, 27.9], [113.1, 28.1], [112.9, 28.1], [112.9, 27.9]]]}
G1_AREA = {"type": "MultiPolygon", "coordinates": [[[[112.95, 27.95], [113.0, 27.95], [113.0, 28.0], [112.95, 28.0],
                                                     [112.95, 27.95]]]]}


def build(app, factory, slug: str) -> dict:
    tenant = factory.tenant(slug, name=f"{slug} district")
    sup_id, _ = factory.user(f"{slug}-sup", tenant, role="supervisor")
    with in_tenant(app, tenant):
        s = grids.create_grid(code="S", name="街道")
        c = grids.create_grid(code="C", name="社区", parent_id=s.id, geometry=C_AREA)
        g1 = grids.create_grid(code="G1", name="一网格", parent_id=c.id, geometry=G1_AREA)
        unit = registers.create(Unit, {"code": "UC", "name": f"{slug}社区居委会", "grid_id": c.id})
        place = registers.create(Place, {"grid_id": g1.id, "kind": "core.generic", "code": "H1", "name": "3栋201"})
        key, plain = keys.issue_key(name="app", grid_id=s.id)
        ids = {"tenant": tenant, "S": s.id, "C": c.id, "G1": g1.id, "unit": unit.id, "place": place.id,
               "key_id": key.id, "key": plain, "sup": sup_id}
    return ids


@pytest.fixture
def world(app, factory):
    return {"alpha": build(app, factory, "alpha"), "beta": build(app, factory, "beta")}


def parse(response):
    """JSON → Python; XML → ElementTree root (which must parse: well-formed)."""
    if response.mimetype == "application/json":
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        return response.get_json()
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    text = response.get_data(as_text=True)
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.get_data())


def get(client, path, fmt="json", jurisdiction="alpha", **params):
    if jurisdiction is not None:
        params["jurisdiction_id"] = jurisdiction
    return client.get(f"/open311/v2/{path}.{fmt}", query_string=params)


def post(client, fmt="json", **data):
    data = {"jurisdiction_id": "alpha", **data}
    return client.post(f"/open311/v2/requests.{fmt}", data={k: v for k, v in data.items() if v is not None})


def report(client, world, fmt="json", **data):
    data = {"api_key": world["alpha"]["key"], "service_code": "core.general", "address_string": "解放路12号",
            "description": "路灯不亮", **data}
    response = post(client, fmt, **data)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = parse(response)
    return body[0]["service_request_id"] if fmt == "json" else body.find("request/service_request_id").text


def tags(element) -> list[str]:
    return [child.tag for child in element]


def error_of(response, fmt):
    body = parse(response)
    if fmt == "json":
        assert [sorted(e) for e in body] == [["code", "description"]] * len(body)
        return body[0]["code"], " ".join(e["description"] for e in body)
    assert body.tag == "errors" and tags(body) == ["error"] * len(body)
    first = body[0]
    assert tags(first) == ["code", "description"]
    return int(first.find("code").text), " ".join(e.find("description").text for e in body)


# -- services -----------------------------------------------------------------------------------

def test_service_list_has_the_specification_fields(client, world):
    services = parse(get(client, "services"))
    assert [list(s) for s in services] == [SERVICE_FIELDS] * len(services)
    general = next(s for s in services if s["service_code"] == "core.general")
    assert general["service_name"] == "一般问题" and general["metadata"] is True and general["type"] == "realtime"
    assert general["group"] == "网格化管理核心" and "General problem" in general["keywords"]
    root = parse(get(client, "services", "xml"))
    assert root.tag == "services" and tags(root) == ["service"] * len(services)
    assert all(tags(s) == SERVICE_FIELDS for s in root)
    xml_general = next(s for s in root if s.find("service_code").text == "core.general")
    assert xml_general.find("metadata").text == "true" and xml_general.find("service_name").text == "一般问题"


def test_service_definition_offers_the_severity(client, world):
    definition = parse(get(client, "services/core.dispute"))
    assert list(definition) == ["service_code", "attributes"] and definition["service_code"] == "core.dispute"
    (severity,) = definition["attributes"]
    assert list(severity) == ["variable", "code", "datatype", "required", "datatype_description", "order",
                              "description", "values"]
    assert (severity["code"], severity["datatype"], severity["required"], severity["order"]) == \
        ("severity", "singlevaluelist", False, 1)
    assert severity["values"][0] == {"key": "normal", "name": "一般"}
    assert [v["key"] for v in severity["values"]] == ["normal", "serious", "major", "urgent"]
    root = parse(get(client, "services/core.dispute", "xml"))
    assert root.tag == "service_definition" and tags(root) == ["service_code", "attributes"]
    attribute = root.find("attributes/attribute")
    assert tags(attribute) == list(severity)
    assert [v.find("key").text for v in attribute.findall("values/value")] == ["normal", "serious", "major", "urgent"]
    assert tags(attribute.find("values/value")) == ["key", "name"]


# -- creating a request -------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_request_becomes_a_case_from_open311(app, client, world, fmt):
    response = post(client, fmt, api_key=world["alpha"]["key"], service_code="core.dispute", lat="27.97", long="112.97",
                    first_name="小明", last_name="王", phone="13800000000", email="w@example.cn", account_id="acc-9",
                    device_id="dev-1", media_url="https://img.example.cn/1.jpg", description="楼道堆物",
                    **{"attribute[severity]": "urgent"})
    assert response.status_code == 200
    body = parse(response)
    if fmt == "json":
        assert [list(item) for item in body] == [CREATED_FIELDS]
        number, notice, account = body[0]["service_request_id"], body[0]["service_notice"], body[0]["account_id"]
    else:
        assert body.tag == "service_requests" and tags(body) == ["request"] and tags(body[0]) == CREATED_FIELDS
        number, notice, account = (body[0].find(f).text for f in CREATED_FIELDS)
    assert account == "acc-9" and number in notice
    with in_tenant(app, world["alpha"]["tenant"]):
        case = db.session.scalar(select(Case).where(Case.number == number))
        assert (case.source, case.reporter_kind, case.category, case.severity) == ("open311", "resident", "core.dispute", "urgent")
        assert case.grid_id == world["alpha"]["G1"]  # the deepest grid whose area holds the point
        assert (case.reporter_name, case.reporter_contact, case.description) == ("王小明", "13800000000", "楼道堆物")
        assert (str(case.latitude), str(case.longitude)) == ("27.970000", "112.970000")
        extra = db.session.scalar(select(Open311Request).where(Open311Request.case_id == case.id))
        assert (extra.email, extra.device_id, extra.account_id, extra.media_url, extra.attributes) == \
            ("w@example.cn", "dev-1", "acc-9", "https://img.example.cn/1.jpg", {"severity": "urgent"})
        assert db.session.get(Open311Key, world["alpha"]["key_id"]).last_used_at is not None


def test_the_location_decides_the_grid(app, client, world):
    alpha = world["alpha"]
    numbers = {
        "community": report(client, world, lat="28.05", long="113.05"),  # in C, outside G1
        "outside": report(client, world, lat="30.0", long="120.0"),  # in no area: the intake grid
        "address": report(client, world, address_string=None, address_id=str(alpha["place"])),
        "text": report(client, world, description=None),
    }
    with in_tenant(app, alpha["tenant"]):
        found = {name: db.session.scalar(select(Case).where(Case.number == n)) for name, n in numbers.items()}
        assert found["community"].grid_id == alpha["C"] and found["outside"].grid_id == alpha["S"]
        assert (found["address"].grid_id, found["address"].place_id) == (alpha["G1"], alpha["place"])
        assert (found["text"].grid_id, found["text"].address) == (alpha["S"], "解放路12号")
        assert found["text"].description == "一般问题"  # no description: the service's name
    assert parse(get(client, f"requests/{numbers['address']}"))[0]["address_id"] == str(alpha["place"])


# -- reading requests ---------------------------------------------------------------------------

def _user(world, slug="alpha"):
    return db.session.get(User, world[slug]["sup"])


def test_a_request_has_the_specification_fields_and_its_status(app, client, world):
    number = report(client, world, lat="28.05", long="113.05", media_url="http://img.example.cn/2.jpg")
    (item,) = parse(get(client, f"requests/{number}"))
    assert list(item) == REQUEST_FIELDS
    assert (item["service_request_id"], item["status"], item["status_notes"]) == (number, "open", "已上报")
    assert (item["service_code"], item["service_name"], item["description"]) == ("core.general", "一般问题", "路灯不亮")
    assert (item["lat"], item["long"], item["address"], item["media_url"]) == (28.05, 113.05, "解放路12号", "http://img.example.cn/2.jpg")
    assert item["agency_responsible"] is None and item["expected_datetime"] is None and item["zipcode"] is None
    assert item["requested_datetime"].endswith("+08:00") and "受理" in item["service_notice"]
    root = parse(get(client, f"requests/{number}", "xml"))
    assert root.tag == "service_requests" and tags(root) == ["request"] and tags(root[0]) == REQUEST_FIELDS
    assert root[0].find("zipcode").text is None and root[0].find("status").text == "open"

    with in_tenant(app, world["alpha"]["tenant"]):
        case = cases.get_case_by_number(number)
        cases.accept(case, actor=_user(world))
        cases.dispatch(case, actor=_user(world), unit_id=world["alpha"]["unit"])
    (item,) = parse(get(client, f"requests/{number}"))
    assert (item["status"], item["status_notes"], item["agency_responsible"]) == ("open", "已派遣", "alpha社区居委会")
    assert item["expected_datetime"] and "处置完毕" in item["service_notice"]
    assert item["updated_datetime"] >= item["requested_datetime"]
    with in_tenant(app, world["alpha"]["tenant"]):
        cases.close(cases.get_case_by_number(number), actor=_user(world), special_reason="历史遗留问题")
    (item,) = parse(get(client, f"requests/{number}"))
    assert (item["status"], item["status_notes"], item["service_notice"]) == ("closed", "特殊结案: 历史遗留问题", None)

    rejected = report(client, world)
    with in_tenant(app, world["alpha"]["tenant"]):
        cases.reject(cases.get_case_by_number(rejected), actor=_user(world), reason="重复上报")
    (item,) = parse(get(client, f"requests/{rejected}", "xml"))
    assert (item.find("status").text, item.find("status_notes").text) == ("closed", "重复上报")


def _past_case(app, world, days_ago: int, category="core.general") -> str:
    when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days_ago)
    with in_tenant(app, world["alpha"]["tenant"]):
        return cases.report_case({"category": category, "grid_id": world["alpha"]["S"], "description": f"{days_ago} 天前",
                                  "source": "open311", "reported_at": when.isoformat()}).number


def test_requests_are_listed_by_time_range_service_and_status(app, client, world):
    old, recent, dispute = _past_case(app, world, 120), _past_case(app, world, 10), _past_case(app, world, 5, "core.dispute")
    with in_tenant(app, world["alpha"]["tenant"]):
        cases.reject(cases.get_case_by_number(recent), actor=_user(world), reason="不属实")

    def numbers(fmt="json", **params):
        response = get(client, "requests", fmt, **params)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = parse(response)
        if fmt == "json":
            assert all(list(item) == REQUEST_FIELDS for item in body)
            return [item["service_request_id"] for item in body]
        assert body.tag == "service_requests" and all(tags(item) == REQUEST_FIELDS for item in body)
        return [item.find("service_request_id").text for item in body]

    assert numbers() == [dispute, recent]  # the last 90 days, newest first
    assert numbers("xml") == [dispute, recent]
    assert numbers(status="open") == [dispute] and numbers(status="closed") == [recent]
    assert numbers(status="open,closed") == [dispute, recent]
    assert numbers(service_code="core.general") == [recent]
    assert numbers(service_code="core.dispute,core.general") == [dispute, recent]
    now = dt.datetime.now(dt.timezone.utc)
    w3 = "%Y-%m-%dT%H:%M:%SZ"
    assert numbers(start_date=(now - dt.timedelta(days=130)).strftime(w3), end_date=(now - dt.timedelta(days=60)).strftime(w3)) == [old]
    assert numbers(start_date=(now - dt.timedelta(days=7)).strftime(w3)) == [dispute]
    local = (now - dt.timedelta(days=8)).astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M:%S+08:00")
    assert numbers(start_date=local.replace("+", " ")) == [dispute]  # a "+" an unencoded query string lost
    assert numbers(end_date=(now - dt.timedelta(days=100)).strftime(w3)) == [old]
    assert numbers(service_request_id=f"{old}, {dispute},2099-000001", status="open") == [dispute, old]


def test_a_list_stops_at_1000_requests(app, client, world):
    with in_tenant(app, world["alpha"]["tenant"]):
        for _ in range(1001):
            cases.report_case({"category": "core.general", "grid_id": world["alpha"]["S"], "description": "x",
                               "source": "open311"})
    assert len(parse(get(client, "requests"))) == 1000


# -- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_errors_follow_the_specification(app, client, world, fmt):
    key = world["alpha"]["key"]
    with in_tenant(app, world["alpha"]["tenant"]):
        revoked, revoked_key = keys.issue_key(name="old", grid_id=world["alpha"]["S"])
        keys.revoke_key(revoked)
    cases_before = _count_cases(app)
    checks = [
        (get(client, "services", fmt, jurisdiction=None), 400, "jurisdiction_id was not provided"),
        (get(client, "services", fmt, jurisdiction="nowhere"), 404, "jurisdiction_id nowhere was not found"),
        (post(client, fmt, jurisdiction_id=None, api_key=key, service_code="core.general", lat="1", long="1"), 400, "jurisdiction_id"),
        (post(client, fmt, service_code="core.general", lat="1", long="1"), 403, "api_key"),
        (post(client, fmt, api_key="o311_wrong", service_code="core.general", lat="1", long="1"), 403, "invalid api_key"),
        (post(client, fmt, api_key=revoked_key, service_code="core.general", lat="1", long="1"), 403, "invalid api_key"),
        (post(client, fmt, api_key=key, lat="1", long="1"), 400, "service_code was not provided"),
        (post(client, fmt, api_key=key, service_code="core.nothing", lat="1", long="1"), 404, "service_code core.nothing"),
        (post(client, fmt, api_key=key, service_code="core.general"), 400, "a location is required"),
        (post(client, fmt, api_key=key, service_code="core.general", lat="1"), 400, "a location is required"),
        (post(client, fmt, api_key=key, service_code="core.general", lat="95", long="1"), 400, "lat: must lie between"),
        (post(client, fmt, api_key=key, service_code="core.general", lat="x", long="1"), 400, "lat: not a number"),
        (post(client, fmt, api_key=key, service_code="core.general", address_id="999999"), 400, "address_id"),
        (post(client, fmt, api_key=key, service_code="core.general", address_id=str(world["beta"]["place"])), 400, "address_id"),
        (post(client, fmt, api_key=key, service_code="core.general", lat="1", long="1", **{"attribute[severity]": "huge"}),
         400, "attribute[severity]"),
        (post(client, fmt, api_key=key, service_code="core.general", lat="1", long="1", **{"attribute[colour]": "red"}),
         400, "attribute[colour]: unknown attribute"),
        (post(client, fmt, api_key=key, service_code="core.general", lat="1", long="1", media_url="javascript:x"), 400, "media_url"),
        (post(client, fmt, api_key=key, service_code="core.general", lat="1", long="1", description="x" * 4001), 400, "description"),
        (post(client, fmt, api_key=key, service_code="core.general", lat="1", long="1", description="a\x00b"), 400, "NUL"),
        (get(client, "services/core.nothing", fmt), 404, "service_code core.nothing was not found"),
        (get(client, "requests/2026-999999", fmt), 404, "service_request_id 2026-999999 was not found"),
        (get(client, "requests", fmt, start_date="yesterday"), 400, "start_date: not a w3 date-time"),
        (get(client, "requests", fmt, end_date="2026-03-01T10:00:00"), 400, "end_date: must include a time zone"),
        (get(client, "requests", fmt, start_date="2026-01-01T00:00:00Z", end_date="2026-06-01T00:00:00Z"), 400, "90 days"),
        (get(client, "requests", fmt, start_date="2026-03-01T00:00:00Z", end_date="2026-02-01T00:00:00Z"), 400, "end_date"),
        (get(client, "requests", fmt, status="pending"), 400, "status: pending"),
        (client.get(f"/open311/v2/nothing.{fmt}?jurisdiction_id=alpha"), 404, "no such resource"),
        (client.delete(f"/open311/v2/requests.{fmt}?jurisdiction_id=alpha"), 405, "DELETE is not allowed"),
        (client.post(f"/open311/v2/services.{fmt}?jurisdiction_id=alpha"), 405, "POST is not allowed"),
    ]
    for response, status, text in checks:
        assert response.status_code == status, (text, response.get_data(as_text=True))
        code, description = error_of(response, fmt)
        assert code == status and text in description, (text, description)
    assert _count_cases(app) == cases_before


def _count_cases(app) -> int:
    from gridgov.tenancy import platform_scope

    with app.app_context(), platform_scope():
        return db.session.scalar(select(func.count()).select_from(Case))


def test_the_jurisdiction_may_be_a_path_segment(client, world):
    assert parse(client.get("/open311/v2/beta/services.json"))[0]["service_code"]
    response = client.get("/open311/v2/beta/services.xml", query_string={"jurisdiction_id": "alpha"})
    assert response.status_code == 400 and "differs" in error_of(response, "xml")[1]
    response = client.post("/open311/v2/alpha/requests.json", data={"api_key": world["alpha"]["key"],
                                                                    "service_code": "core.general", "address_string": "x"})
    assert response.status_code == 200


def test_posting_is_rate_limited(app, client, world):
    app.config["GRIDGOV_OPEN311_POST_LIMIT"] = "2 per minute"
    for _ in range(2):
        report(client, world)
    response = post(client, "xml", api_key=world["alpha"]["key"], service_code="core.general", address_string="x")
    assert response.status_code == 429 and error_of(response, "xml")[0] == 429


def test_xml_stays_well_formed_with_control_characters(app, client, world):
    with in_tenant(app, world["alpha"]["tenant"]):
        number = cases.report_case({"category": "core.general", "grid_id": world["alpha"]["S"], "source": "open311",
                                    "description": "铃声\x07<b>&</b>"}).number
    item = parse(get(client, f"requests/{number}", "xml"))[0]
    assert item.find("description").text == "铃声<b>&</b>"
    assert parse(get(client, f"requests/{number}"))[0]["description"] == "铃声\x07<b>&</b>"


# -- isolation ----------------------------------------------------------------------------------

def test_tenants_are_isolated(app, client, world):
    mine = report(client, world)
    with in_tenant(app, world["beta"]["tenant"]):
        theirs = cases.report_case({"category": "core.general", "grid_id": world["beta"]["S"], "description": "BETA",
                                    "source": "open311", "reporter_kind": "resident"}).number
        beta_only = cases.report_case({"category": "core.general", "grid_id": world["beta"]["S"], "description": "BETA",
                                       "source": "open311", "reporter_kind": "resident"}).number
    with in_tenant(app, world["alpha"]["tenant"]):
        internal = cases.report_case({"category": "core.general", "grid_id": world["alpha"]["S"], "description": "巡查",
                                      "source": "patrol", "reporter_kind": "system"}).number
    assert theirs == mine  # numbering is per tenant: the same number names two cases
    assert get(client, f"requests/{beta_only}").status_code == 404  # beta's case, asked of alpha
    assert "BETA" not in get(client, f"requests/{mine}").get_data(as_text=True)
    assert get(client, f"requests/{theirs}", jurisdiction="beta").get_json()[0]["description"] == "BETA"
    assert get(client, f"requests/{internal}").status_code == 404  # not a public case
    listed = [item["service_request_id"] for item in parse(get(client, "requests"))]
    assert listed == [mine]
    assert [i["service_request_id"] for i in parse(get(client, "requests", service_request_id=f"{beta_only},{internal}"))] == []
    # alpha's key does not report into beta
    response = post(client, jurisdiction_id="beta", api_key=world["alpha"]["key"], service_code="core.general", address_string="x")
    assert response.status_code == 403


def test_texts_follow_the_tenants_language(app, client, factory):
    tenant = factory.tenant("berlin", name="Berlin", locale="en", timezone="Europe/Berlin")
    with in_tenant(app, tenant):
        root = grids.create_grid(code="B", name="Mitte")
        _, plain = keys.issue_key(name="app", grid_id=root.id)
    general = next(s for s in parse(get(client, "services", jurisdiction="berlin")) if s["service_code"] == "core.general")
    assert (general["service_name"], general["group"]) == ("General problem", "Grid management core")
    response = post(client, jurisdiction_id="berlin", api_key=plain, service_code="core.general", address_string="Unter den Linden 1")
    (created,) = parse(response)
    assert created["service_notice"].startswith(f"Your report is case {created['service_request_id']}")
    (item,) = parse(get(client, f"requests/{created['service_request_id']}", jurisdiction="berlin"))
    assert item["status_notes"] == "Reported" and item["requested_datetime"][-6:] in ("+01:00", "+02:00")
