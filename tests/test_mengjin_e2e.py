"""孟津 end to end through the JSON API: a platform administrator creates a mengjin_fees tenant,
its administrator builds a sub-bureau with two grids, the service group, a branch association
(邵军 assessed as a grid responsible person) and the economic household register (a bad grade
refused, naming the field); the records of October 2025 — licence inspections, a violation
found by the inspection group, work briefs, weekly statistics, the monthly assessment, patrols
— go in as event batches, a problem raised with the service group is answered late through the
case API; the office enters the judged items, runs the three sheets as background jobs,
publishes them, reads the sheets, and downloads the monthly summary as an Excel workbook.

Logins and tokens are made by the test; the official calendar is seeded as ``gridgov calendar
seed`` does; everything else is an API call."""
from __future__ import annotations

import datetime as dt
import io
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from api_support import TenantClient, assert_error
from openpyxl import load_workbook
from sqlalchemy import select

from gridgov import workdays
from gridgov.extensions import db
from gridgov.jobs import inprocess
from gridgov.models import Tenant
from gridgov.tenancy import platform_scope

TZ = ZoneInfo("Asia/Shanghai")
SLUG = "mj-e2e"
NS = "mengjin_fees."


def at(day: dt.date, hour: int = 9) -> str:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ).isoformat()


@pytest.fixture
def e2e(app, client, factory):
    with app.app_context(), platform_scope():
        workdays.seed_official_calendar()
        db.session.commit()
    _, root_token = factory.user("mj-root", platform_admin=True)
    root = TenantClient(client, root_token, SLUG)
    root.ok("POST", "/tenants", {"slug": SLUG, "name": "孟津县局（端到端）", "enabled_plugins": ["mengjin_fees"]})
    with app.app_context(), platform_scope():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == SLUG))
        db.session.expunge(tenant)
    api = {}
    for name, role in (("admin", "tenant_admin"), ("office", "assessor"), ("field", "field_staff")):
        _, token = factory.user(f"mj-{name}", tenant, role)
        api[name] = TenantClient(client, token, SLUG)
    yield app, api
    inprocess.runner_for(app).wait(timeout=60)


def computed(client: TenantClient, run_id: int) -> dict:
    for _ in range(1200):
        run = client.ok("GET", f"assessment/runs/{run_id}")
        if run["state"] != "draft":
            return run
        time.sleep(0.05)
    pytest.fail(f"run {run_id} still a draft")


def build(admin: TenantClient) -> dict:
    ids = {"K": admin.ok("POST", "grids", {"code": "K", "name": "孟津县局辖区"})["id"]}
    ids["A"] = admin.ok("POST", "grids", {"code": "A", "name": "城关分局", "parent_id": ids["K"]})["id"]
    for g in ("A1", "A2"):
        ids[g] = admin.ok("POST", "grids", {"code": g, "name": f"网格{g}", "parent_id": ids["A"]})["id"]
    for key, name, kind in (("S", "综合服务组", "service_group"), ("F", "城关分局", "sub_bureau"),
                            ("B", "个协城关分会", "branch_association")):
        ids[key] = admin.ok("POST", "units", {"code": key, "name": name, "kind": kind, "grid_id": ids["A"]})["id"]
    for key, name, role, where in (("c", "王分会", "branch_cadre", {"unit_id": "B"}),
                                   ("shao", "邵军", "branch_cadre", {"unit_id": "B"}),
                                   ("r1", "李网格", "grid_responsible", {"grid_id": "A1"})):
        ids[key] = admin.ok("POST", "people", {"code": key, "name": name})["id"]
        body = {"person_id": ids[key], "role": NS + role, "starts_on": "2025-01-01",
                **{k: ids[v] for k, v in where.items()}}
        if key == "shao":
            body["sheet_override"] = NS + "grid_responsible"
        admin.ok("POST", "assignments", body)
    bad = admin.post("places", {"kind": NS + "individual_business", "code": "X", "name": "坏数据", "grid_id": ids["A1"],
                                "attributes": {"registration_no": "1", "operator": "甲", "risk_grade": "extreme"}})
    assert_error(bad, 422, "attributes")
    for n in range(5):
        ids[f"h{n}"] = admin.ok("POST", "places", {
            "kind": NS + "individual_business", "code": f"H{n}", "name": f"商户{n}", "grid_id": ids["A1"],
            "attributes": {"registration_no": f"4103{n}", "operator": "经营者", "licence_inspection_month": 10}})["id"]
    return ids


def record_october(api, ids) -> int:
    service = {"subject_unit_id": ids["S"]}
    weeks = [dt.date(2025, 9, 29) + dt.timedelta(weeks=n) for n in range(5)]
    events = [{"type": NS + "licence_inspection", "grid_id": ids["A1"], "occurred_at": at(dt.date(2025, 10, 20)),
               "payload": {"result": "passed"}, "place_id": ids[f"h{n}"]} for n in range(3)]
    events += [{"type": NS + "violation", "grid_id": ids["A"], "occurred_at": at(dt.date(2025, 10, 16)),
                "payload": {"rule": "seal_misused", "note": "印章外借未登记"}, **service}]
    events += [{"type": NS + "work_brief", "grid_id": ids["A"], "occurred_at": at(d), "payload": {"title": "简报"},
                **service} for d in (dt.date(2025, 10, 13), dt.date(2025, 10, 20))]
    events += [{"type": NS + "weekly_statistics", "grid_id": ids["A"], "occurred_at": at(m + dt.timedelta(days=2)),
                "payload": {"patrols": 30}, **service} for m in weeks[:4]]
    events += [{"type": NS + "monthly_assessment", "grid_id": ids["A"], "occurred_at": at(dt.date(2025, 10, 27)),
                "payload": {}, **service}]
    events += [{"type": NS + "patrol", "grid_id": ids["A1"], "occurred_at": at(d), "actor_person_id": ids["r1"],
                "payload": {"households_visited": 6}} for d in (dt.date(2025, 10, 9), dt.date(2025, 10, 10))]
    body = api["field"].ok("POST", "events/batch", {"events": events})
    assert body["created"] == len(events)
    admin = api["admin"]
    case = admin.ok("POST", "cases", {"category": NS + "raised_problem", "grid_id": ids["A1"],
                                      "description": "经营户反映市场排水不畅", "reported_at": at(dt.date(2025, 9, 29), 10)})
    admin.ok("POST", f"cases/{case['id']}/accept", {"at": at(dt.date(2025, 9, 29), 11)}, status=200)
    admin.ok("POST", f"cases/{case['id']}/dispatch", {"unit_id": ids["S"], "at": at(dt.date(2025, 9, 29), 12)},
             status=200)
    admin.ok("POST", f"cases/{case['id']}/start", {"at": at(dt.date(2025, 9, 30), 9)}, status=200)
    admin.ok("POST", f"cases/{case['id']}/resolve", {"at": at(dt.date(2025, 10, 14), 9), "note": "已答复"}, status=200)
    return case["id"]


def test_record_judge_run_publish_and_read_the_three_sheets(e2e):
    app, api = e2e
    office = api["office"]
    ids = build(api["admin"])
    late_case = record_october(api, ids)
    judged = [("service_group", "forms_supply", "S", "2"), ("grid_responsible", "patrol_register", "r1", "9")]
    judged += [("branch_cadre", item, "c", "9") for item in ("support", "study", "tasks", "records", "fees")]
    for sheet, item, subject, points in judged:
        office.ok("POST", "assessment/judgements", {"sheet": NS + sheet, "period_start": "2025-10-01", "item": item,
                                                    "subject_id": ids[subject], "points": points, "reason": "办公室评分"})
    assert_error(office.post("assessment/judgements", {"sheet": NS + "branch_cadre", "period_start": "2025-10-01",
                                                       "item": "fees", "subject_id": ids["c"], "points": "11",
                                                       "reason": "x"}), 422, "points")
    runs = {}
    for sheet in ("service_group", "branch_cadre", "grid_responsible"):
        run = office.ok("POST", "assessment/runs", {"sheet": NS + sheet, "period_start": "2025-10-01"})
        office.ok("POST", f"assessment/runs/{run['id']}/compute", status=202)
        assert computed(office, run["id"])["state"] == "computed"
        office.ok("POST", f"assessment/runs/{run['id']}/publish", status=200)
        runs[sheet] = run["id"]

    service = office.ok("GET", f"assessment/runs/{runs['service_group']}/results")[0]
    lines = {i["key"]: i for i in service["items"]}
    deducted = {k: Decimal(i["points"]) for k, i in lines.items() if i["role"] == "penalty" and Decimal(i["points"])}
    assert deducted == {"seal_misused": 3, "licence_rate": 1, "briefs": 1, "statistics": 2, "late_replies": 1,
                        "forms_supply": 2}
    assert lines["late_replies"]["evidence"]["case_ids"] == [late_case]
    assert "3/5 inspected" in lines["licence_rate"]["rule"]
    assert (Decimal(service["total"]), service["grade"]) == (Decimal(90), "good")

    cadres = office.ok("GET", f"assessment/runs/{runs['branch_cadre']}/results")
    assert [(r["subject_id"], Decimal(r["total"]), r["grade"]) for r in cadres] == [(ids["c"], Decimal(45), "good")]  # 90 %: 良好
    grid = {r["subject_id"]: r for r in office.ok("GET", f"assessment/runs/{runs['grid_responsible']}/results")}
    assert set(grid) == {ids["r1"], ids["shao"]}
    patrol = next(i for i in grid[ids["r1"]]["items"] if i["key"] == "patrol_register")
    assert "责任网格内巡查 2 次" in patrol["evidence"]["note"] and "经济户口 5 户" in patrol["evidence"]["note"]

    download = office.get("reports/mengjin_fees.monthly_summary", query={"period_start": "2025-10-01", "format": "xlsx"})
    assert download.status_code == 200, download.get_data(as_text=True)
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(download.data)).active.iter_rows()]
    header_at = next(n for n, row in enumerate(rows) if row[0] == "考核表")
    header = rows[header_at]
    table = [dict(zip(header, row)) for row in rows[header_at + 1:] if row[0]]
    cadre = next(r for r in table if r["考核对象"] == "王分会")
    assert (Decimal(str(cadre["得分"])), Decimal(str(cadre["满分"])), cadre["等次"]) == (Decimal(45), Decimal(50), "良好")
    assert {r["考核表"] for r in table} == {"综合服务组月度考核", "分会干部月度考核", "网格责任人月度考核"}
    evidence = office.get("reports/mengjin_fees.grid_evidence", query={"run_id": runs["grid_responsible"], "format": "csv"})
    assert evidence.status_code == 200 and "系统证据" in evidence.data.decode("utf-8-sig")
    assert_error(api["field"].get("reports/mengjin_fees.monthly_summary", query={"period_start": "2025-10-01"}), 403)
