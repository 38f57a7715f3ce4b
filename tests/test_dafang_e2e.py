"""大方 end to end through the JSON API: a platform administrator creates a dafang_fire tenant;
its administrator builds the county, a police station's big grid with a village, the brigade's
big grid, the county bureau, the brigade and the station, and a listed unit; a check finds a
hazard, which runs the hand-off chain as a case (station → brigade with a written hand-off →
county bureau) and is listed by the government with a deadline (refused before it reaches the
bureau); enforcement measures with a fine go in as an event batch (a penalty without its fine
refused, naming the field); the headline report reads it all back as JSON and as Excel."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from api_support import TenantClient, assert_error
from openpyxl import load_workbook

TZ = ZoneInfo("Asia/Shanghai")
SLUG = "df-e2e"
NS = "dafang_fire."
DAY = dt.date(2025, 10, 9)


def at(day: dt.date, hour: int = 9) -> str:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ).isoformat()


@pytest.fixture
def api(app, client, factory):
    from sqlalchemy import select

    from gridgov.extensions import db
    from gridgov.models import Tenant
    from gridgov.tenancy import platform_scope

    _, root_token = factory.user("df-root", platform_admin=True)
    TenantClient(client, root_token, SLUG).ok("POST", "/tenants", {"slug": SLUG, "name": "大方县消防（端到端）",
                                                                   "enabled_plugins": ["dafang_fire"]})
    with app.app_context(), platform_scope():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == SLUG))
        db.session.expunge(tenant)
    _, token = factory.user("df-admin", tenant, "tenant_admin")
    return TenantClient(client, token, SLUG)


def test_hazard_chain_enforcement_and_headline(api):
    ids = {"DF": api.ok("POST", "grids", {"code": "DF", "name": "大方县"})["id"]}
    ids["S"] = api.ok("POST", "grids", {"code": "S", "name": "双山镇派出所大网格", "parent_id": ids["DF"]})["id"]
    ids["B"] = api.ok("POST", "grids", {"code": "B", "name": "县消防大队大网格", "parent_id": ids["DF"]})["id"]
    ids["V"] = api.ok("POST", "grids", {"code": "V", "name": "双山村", "parent_id": ids["S"]})["id"]
    ids["bureau"] = api.ok("POST", "units", {"code": "GAJ", "name": "大方县公安局", "kind": "public_security_bureau"})["id"]
    for key, name, kind, grid in (("brigade", "大方县消防大队", "fire_brigade", "B"),
                                  ("station", "双山镇派出所", "police_station", "S")):
        ids[key] = api.ok("POST", "units", {"code": key, "name": name, "kind": kind, "grid_id": ids[grid],
                                            "parent_id": ids["bureau"]})["id"]
    bad = api.post("places", {"kind": NS + "listed_unit", "code": "X", "name": "坏数据", "grid_id": ids["V"],
                              "attributes": {"category": "商店", "responsible_person": "王某", "checked_by": "nobody"}})
    assert_error(bad, 422, "attributes")
    shop = api.ok("POST", "places", {"kind": NS + "listed_unit", "code": "LG1", "name": "双山超市", "grid_id": ids["V"],
                                     "attributes": {"category": "商店", "responsible_person": "王某",
                                                    "checked_by": "station"}})["id"]
    check = {"type": NS + "fire_check", "grid_id": ids["V"], "place_id": shop, "occurred_at": at(DAY),
             "payload": {"sweep": "daily", "hazards_found": 1, "note": "安全出口上锁"}}
    assert api.ok("POST", "events/batch", {"events": [check]})["created"] == 1

    case = api.ok("POST", "cases", {"category": NS + "hazard", "grid_id": ids["V"], "place_id": shop,
                                    "description": "安全出口上锁", "source": "inspection", "reported_at": at(DAY, 10)})
    api.ok("POST", f"cases/{case['id']}/accept", {"at": at(DAY, 11)}, status=200)
    dispatched = api.ok("POST", f"cases/{case['id']}/dispatch", {"at": at(DAY, 12)}, status=200)
    assert dispatched["unit_id"] == ids["station"]  # the category's handling unit: the grid's station
    api.ok("POST", f"cases/{case['id']}/start", {"at": at(DAY, 13), "note": "责令单位整改"}, status=200)
    listing = {"type": NS + "government_listing", "grid_id": ids["V"], "occurred_at": at(DAY + dt.timedelta(days=3)),
               "payload": {"case_number": case["number"], "deadline": "2025-12-31", "document_number": "大府督〔2025〕1号"}}
    assert_error(api.post("events/batch", {"events": [listing]}), 422)  # not at the bureau yet
    api.ok("POST", f"cases/{case['id']}/hand-off", {"to_unit_id": ids["brigade"], "reason": "派出所无法督促整改",
                                                   "letter_number": "大方派移〔2025〕1号", "at": at(DAY + dt.timedelta(days=1))},
           status=200)
    api.ok("POST", f"cases/{case['id']}/hand-off", {"to_unit_id": ids["bureau"], "reason": "重大火灾隐患",
                                                   "letter_number": "大消报〔2025〕1号", "at": at(DAY + dt.timedelta(days=2))},
           status=200)
    late = {**listing, "payload": {**listing["payload"], "deadline": "2025-10-01"}}
    assert_error(api.post("events/batch", {"events": [late]}), 422)
    api.ok("POST", "events/batch", {"events": [listing]})
    handoffs = api.ok("GET", f"cases/{case['id']}/handoffs")
    assert [h["letter_number"] for h in (handoffs if isinstance(handoffs, list) else handoffs["items"])] == [
        "大方派移〔2025〕1号", "大消报〔2025〕1号"]

    def measure(kind, **extra):
        return {"type": NS + "enforcement", "grid_id": ids["V"], "place_id": shop, "occurred_at": at(DAY, 15),
                "payload": {"measure": kind, "document_number": f"{kind}-1", **extra}}

    refused = api.post("events/batch", {"events": [measure("penalty_decision")]})
    assert_error(refused, 422)
    assert "fine" in refused.get_data(as_text=True)
    assert_error(api.post("events/batch", {"events": [measure("temporary_seal", fine="100.00")]}), 422)
    batch = [measure("rectification_order", case_number=case["number"]), measure("temporary_seal"),
             measure("three_stops"), measure("penalty_decision", fine="5000.50"), measure("detention", people=2)]
    assert api.ok("POST", "events/batch", {"events": batch})["created"] == 5

    report = api.ok("GET", "reports/dafang_fire.headline", query={"period_start": "2025-10-01", "format": "json"})
    total = report["rows"][-1]
    assert Decimal(str(total["fines"])) == Decimal("5000.50")
    assert (total["units_checked"], total["hazards_found"], total["rectified"]) == (1, 1, 0)
    assert (total["temporary_seal"], total["three_stops"], total["people_detained"]) == (1, 1, 2)
    area = api.ok("GET", "reports/dafang_fire.headline", query={"period_start": "2025-10-01", "grid_id": ids["B"]})
    assert area["rows"][-1]["checks"] == 0
    xlsx = api.get("reports/dafang_fire.headline", query={"period_start": "2025-10-01", "format": "xlsx"})
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert any(c.value == "罚款（元）" for row in sheet.iter_rows(max_row=5) for c in row)
    ledger = api.ok("GET", "reports/dafang_fire.hazard_ledger", query={"period_start": "2025-10-01"})
    assert ledger["rows"][0]["listed_until"] == "2025-12-31"
    assert_error(api.get("reports/dafang_fire.headline"), 400, "period_start", location="query")
