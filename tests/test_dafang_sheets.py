"""The dafang_fire stations' assessment sheets through the JSON API (draft → computed →
published), on SQLite or on the PostgreSQL named by GRIDGOV_TEST_DATABASE_URL.

Two stations: 双山 (big grid S with village V1 and community C1 holding grid room R1) and 猫场
(big grid M with village V2); quota 3 units a month. The rules and their edges:

* units checked = distinct places, a place checked twice counts once; points 100 × min(n/quota, 1);
* a fatal fire in a small grid under the station, even two levels down (a grid room), vetoes it:
  total 0, grade 不合格, no eligible rank — however many units it checked;
* a fatal fire just after the period (00:30 Shanghai time on the 1st, still the previous day in
  UTC) belongs to the next month, not this one; a fire in another station's area does not count;
* a fire without deaths cannot be recorded as a fatal fire (refused naming ``deaths``);
* a quota of 0 gives the full 100 (nothing due); the year is the mean of the published months,
  vetoed by a fatal fire in any of them.
"""
from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from api_support import TenantClient, assert_error

TZ = ZoneInfo("Asia/Shanghai")
SLUG = "df-sheets"
NS = "dafang_fire."
OCT = dt.date(2026, 10, 1)


def at(day: dt.date, hour: int = 9, minute: int = 0) -> str:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ).isoformat()


@pytest.fixture
def df(app, client, factory):
    from sqlalchemy import select

    from gridgov.extensions import db
    from gridgov.models import Tenant
    from gridgov.tenancy import platform_scope

    _, root_token = factory.user("dfs-root", platform_admin=True)
    root = TenantClient(client, root_token, SLUG)
    root.ok("POST", "/tenants", {"slug": SLUG, "name": "大方县消防（考核）", "enabled_plugins": ["dafang_fire"]})
    root.ok("PUT", f"/tenants/{SLUG}/settings/dafang_fire", {"station_monthly_quota": 3}, status=200)
    with app.app_context(), platform_scope():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == SLUG))
        db.session.expunge(tenant)
    _, token = factory.user("dfs-admin", tenant, "tenant_admin")
    api = TenantClient(client, token, SLUG)
    ids = {"DF": api.ok("POST", "grids", {"code": "DF", "name": "大方县"})["id"]}
    for code, name, parent in (("S", "双山镇派出所大网格", "DF"), ("M", "猫场镇派出所大网格", "DF"), ("V1", "双山村", "S"),
                               ("C1", "双山社区", "S"), ("R1", "双山社区第1网格工作室", "C1"), ("V2", "猫场村", "M")):
        ids[code] = api.ok("POST", "grids", {"code": code, "name": name, "parent_id": ids[parent]})["id"]
    bureau = api.ok("POST", "units", {"code": "GAJ", "name": "大方县公安局", "kind": "public_security_bureau"})["id"]
    for key, name, grid in (("ss", "双山镇派出所", "S"), ("mc", "猫场镇派出所", "M")):
        ids[key] = api.ok("POST", "units", {"code": key, "name": name, "kind": "police_station", "grid_id": ids[grid],
                                            "parent_id": bureau})["id"]
    for n, grid in enumerate(("V1", "V1", "R1", "V2", "V2", "V2", "V2"), 1):
        ids[f"p{n}"] = api.ok("POST", "places", {
            "kind": NS + "listed_unit", "code": f"LG{n}", "name": f"单位{n}", "grid_id": ids[grid],
            "attributes": {"category": "商店", "responsible_person": "王某", "checked_by": "station"}})["id"]
    return {"api": api, "root": root, "ids": ids}


def check(ids, place, grid, when):
    return {"type": NS + "fire_check", "grid_id": ids[grid], "place_id": ids[place], "occurred_at": when,
            "payload": {"sweep": "daily", "hazards_found": 0}}


def fire(ids, grid, when, deaths=1):
    return {"type": NS + "fatal_fire", "grid_id": ids[grid], "occurred_at": when, "payload": {"deaths": deaths}}


def run(api, sheet, start, publish=True):
    r = api.ok("POST", "assessment/runs", {"sheet": NS + sheet, "period_start": start}, status=201)
    assert r["state"] == "draft"
    api.ok("POST", f"assessment/runs/{r['id']}/compute", status=202)
    for _ in range(1200):
        state = api.ok("GET", f"assessment/runs/{r['id']}")["state"]
        if state != "draft":
            break
        time.sleep(0.05)
    assert state == "computed"
    if publish:
        assert api.ok("POST", f"assessment/runs/{r['id']}/publish", status=200)["state"] == "published"
    results = api.ok("GET", f"assessment/runs/{r['id']}/results")
    return r["id"], {x["subject_id"]: x for x in (results if isinstance(results, list) else results["items"])}


def line(result, key):
    return next(i for i in result["items"] if i["key"] == key)


def test_quota_veto_and_period_edges(df):
    api, ids = df["api"], df["ids"]
    d = OCT + dt.timedelta(days=8)
    events = [check(ids, "p1", "V1", at(d)), check(ids, "p1", "V1", at(d, 15)),  # once for the count
              check(ids, "p3", "R1", at(d + dt.timedelta(days=1))),
              *[check(ids, f"p{n}", "V2", at(d)) for n in (4, 5, 6, 7)],
              fire(ids, "V2", at(OCT + dt.timedelta(days=20), 3)),  # 猫场: a village under the station
              fire(ids, "R1", at(dt.date(2026, 11, 1), 0, 30))]  # 双山: 16:30 UTC on 31 October
    assert api.ok("POST", "events/batch", {"events": events})["created"] == len(events)
    refused = api.post("events/batch", {"events": [fire(ids, "V1", at(d), deaths=0)]})
    assert_error(refused, 422)
    assert "deaths" in refused.get_data(as_text=True)

    _, october = run(api, "station_month", "2026-10-01")
    assert set(october) == {ids["ss"], ids["mc"]}
    ss, mc = october[ids["ss"]], october[ids["mc"]]
    assert Decimal(line(ss, "checks")["points"]) == Decimal("66.7")  # 2 of 3 units: p1 twice, p3
    assert Decimal(ss["total"]) == Decimal("66.7") and ss["grade"] == "pass" and not ss["vetoes"]
    assert ss["eligible_rank"] == 1 and any("quota" in f for f in ss["flags"])
    assert Decimal(line(mc, "checks")["points"]) == 100  # 4 units, quota 3: capped
    assert Decimal(line(mc, "fatal_fire")["points"]) == 100 and Decimal(mc["total"]) == 0
    assert mc["grade"] == "fail" and mc["eligible_rank"] is None and "一票否决" in mc["vetoes"][0]
    assert len(line(mc, "fatal_fire")["evidence"]["event_ids"]) == 1

    # November: the 00:30 fire in 双山's grid room (two levels under its big grid) vetoes it
    _, november = run(api, "station_month", "2026-11-01")
    assert november[ids["ss"]]["vetoes"] and Decimal(november[ids["ss"]]["total"]) == 0
    assert not november[ids["mc"]]["vetoes"] and Decimal(november[ids["mc"]]["total"]) == 0  # no checks
    assert november[ids["mc"]]["eligible_rank"] == 1

    # the year: mean of the two published months, both stations vetoed
    _, year = run(api, "station_year", "2026-01-01", publish=False)
    assert Decimal(line(year[ids["ss"]], "months")["points"]) == Decimal("33.4")  # (66.7 + 0) / 2, half up
    assert all(r["vetoes"] and Decimal(r["total"]) == 0 for r in year.values())
    assert any("not published" in f for f in year[ids["ss"]]["flags"])


def test_no_fire_no_veto_and_quota_zero(df):
    api, ids, root = df["api"], df["ids"], df["root"]
    d = OCT + dt.timedelta(days=3)
    events = [check(ids, "p1", "V1", at(d)), check(ids, "p2", "V1", at(d)), check(ids, "p3", "R1", at(d)),
              fire(ids, "V2", at(dt.date(2026, 9, 30), 23, 30)),  # September, Shanghai time
              check(ids, "p4", "V2", at(dt.date(2026, 10, 31), 23, 59))]  # still October
    api.ok("POST", "events/batch", {"events": events})
    _, october = run(api, "station_month", "2026-10-01", publish=False)
    ss, mc = october[ids["ss"]], october[ids["mc"]]
    assert Decimal(ss["total"]) == 100 and ss["grade"] == "excellent" and not ss["flags"]
    assert not mc["vetoes"] and Decimal(mc["total"]) == Decimal("33.3")
    assert Decimal(line(ss, "fatal_fire")["points"]) == 0
    root.ok("PUT", f"/tenants/{SLUG}/settings/dafang_fire", {"station_monthly_quota": 0}, status=200)
    _, zero = run(api, "station_month", "2026-10-01", publish=False)
    assert all(Decimal(r["total"]) == 100 and line(r, "checks")["nothing_due"] for r in zero.values())
    # September: 猫场's fire of 23:30 on the 30th
    _, september = run(api, "station_month", "2026-09-01", publish=False)
    assert september[ids["mc"]]["vetoes"] and not september[ids["ss"]]["vetoes"]
    bad = root.put(f"/tenants/{SLUG}/settings/dafang_fire", {"grade_bands": {"pass": 99}})
    assert_error(bad, 422)


def test_the_console_shows_the_vetoed_station_and_the_sheets_settings(app, df, client):
    """The run's console page names the sheet and the vetoed station; the settings form holds
    the grade thresholds (等次分数线)."""
    from console_support import Console

    api, ids = df["api"], df["ids"]
    api.ok("POST", "events/batch", {"events": [check(ids, "p1", "V1", at(OCT)), fire(ids, "V2", at(OCT, 3))]})
    run_id, _ = run(api, "station_month", "2026-10-01")
    console = Console(client)
    assert console.login("dfs-admin").status_code == 302
    page = console.get("/admin/assessment/run/", query_string={"id": run_id})
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "派出所月度网上监管考核" in body and "猫场镇派出所" in body and "一票否决" in body
    root = Console(app.test_client())  # plugin settings are the platform administrator's
    assert root.login("dfs-root").status_code == 302
    tenant_id = df["root"].ok("GET", f"/tenants/{SLUG}")["id"]
    settings = root.get("/admin/plugin-settings/", query_string={"tenant_id": tenant_id, "plugin": "dafang_fire"})
    assert settings.status_code == 200 and "等次分数线" in settings.get_data(as_text=True)
