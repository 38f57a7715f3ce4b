"""family_planning end to end through the API: a tenant administrator builds 海宁社区's four
levels, the leaders and their registers; leaders file a month of daily work sheets (a refused
check-out on the way), ask for leave, the director decides; an assessor marks the year, runs the
annual assessment as a job, and the salary statements, the monthly no-check-up list and the
daily work summary come out as JSON, CSV and XLSX — the no-check-up list naming women only to a
reader role, each read audited."""
from __future__ import annotations

import csv
import datetime as dt
import io
import time
from decimal import Decimal

import pytest
from api_support import TenantClient, assert_error
from openpyxl import load_workbook
from sqlalchemy import select

from gridgov.extensions import db
from gridgov.jobs import inprocess
from gridgov.models import AuditEntry, Tenant
from gridgov.tenancy import platform_scope, tenant_scope

JAN = [dt.date(2025, 1, d) for d in (6, 7, 8, 9, 10, 13, 14, 15, 16, 17)]


def at(day, hour):
    return f"{day.isoformat()}T{hour:02d}:00:00+08:00"


@pytest.fixture
def api(app, client, factory):
    tenant = factory.tenant("hn", plugins=["family_planning"], name="海宁社区")
    clients = {}
    for role in ("tenant_admin", "assessor", "supervisor", "field_staff", "viewer"):
        _, token = factory.user(f"hn-{role}", tenant, role)
        clients[role] = TenantClient(client, token, "hn")
    yield clients
    inprocess.runner_for(app).wait(timeout=60)


def test_a_year_of_family_planning_work_through_the_api(app, api):
    admin, leader, director, assessor = api["tenant_admin"], api["field_staff"], api["supervisor"], api["assessor"]
    # the four levels: community → zone → piece → block
    ids = {"community": admin.ok("POST", "grids", {"code": "HN", "name": "海宁社区"})["id"]}
    ids["zone"] = admin.ok("POST", "grids", {"code": "HN-1", "name": "第一责任区", "parent_id": ids["community"]})["id"]
    ids["piece"] = admin.ok("POST", "grids", {"code": "HN-1-1", "name": "东片", "parent_id": ids["zone"]})["id"]
    for n in (1, 2):
        ids[f"block{n}"] = admin.ok("POST", "grids", {"code": f"HN-1-1-{n}", "name": f"第{n}责任块",
                                                     "parent_id": ids["piece"]})["id"]
    levels = {g["id"]: g.get("level_title") or g.get("depth") for g in admin.ok("GET", "grids", query={"page_size": 100})["items"]}
    assert len(levels) == 5
    people = {}
    for code, name, role, grid in (("ZR", "张主任", "community_director", "community"), ("A", "王组长", "group_leader", "block1"),
                                   ("B", "李组长", "group_leader", "block2")):
        people[code] = admin.ok("POST", "people", {"code": code, "name": name})["id"]
        admin.ok("POST", "assignments", {"person_id": people[code], "role": f"family_planning.{role}",
                                         "grid_id": ids[grid], "starts_on": "2025-01-01"})
    women = [admin.ok("POST", "places", {"grid_id": ids["block1"], "kind": "family_planning.woman", "code": f"W{n}",
                                         "name": f"育龄妇女{n}", "attributes": {
                                             "household": "HN-H011", "birth_year": 1990, "registered_on": "2025-01-01",
                                             "last_checkup_on": last}})["id"]
             for n, last in ((1, "2024-12-20"), (2, "2024-08-01"))]
    admin.ok("POST", "places", {"grid_id": ids["block1"], "kind": "family_planning.household", "code": "HN-H011",
                                "name": "1号楼101户", "attributes": {"head": "王某", "members": 3, "women_of_childbearing_age": 2}})
    # a refused check-out, then ten days of sheets in one batch
    first = {"type": "family_planning.work_result", "grid_id": ids["block1"], "actor_person_id": people["A"],
             "occurred_at": at(JAN[0], 17), "payload": {"households_done": 2, "progress": "完成"}}
    assert_error(leader.post("events", first), 422, "occurred_at")
    sheets = []
    for day in JAN[:-1]:
        sheets += [{"type": "family_planning.work_plan", "grid_id": ids["block1"], "actor_person_id": people["A"],
                    "occurred_at": at(day, 8), "payload": {"households": ["1号楼101", "1号楼102"], "task": "随访"},
                    "idempotency_key": f"A-{day}-in"},
                   {"type": "family_planning.work_result", "grid_id": ids["block1"], "actor_person_id": people["A"],
                    "occurred_at": at(day, 17), "payload": {"households_done": 2, "progress": "已完成"},
                    "idempotency_key": f"A-{day}-out"}]
    assert leader.ok("POST", "events/batch", {"events": sheets}, status=201)["created"] == 18
    assert leader.ok("POST", "events/batch", {"events": sheets}, status=200)["created"] == 0  # a retried sync
    request = leader.ok("POST", "events", {"type": "family_planning.leave_request", "grid_id": ids["block1"],
                                           "actor_person_id": people["A"], "occurred_at": at(JAN[-2], 17),
                                           "payload": {"starts_on": JAN[-1].isoformat(), "ends_on": JAN[-1].isoformat(),
                                                       "reason": "家中有事"}})
    director.ok("POST", "events", {"type": "family_planning.leave_decision", "grid_id": ids["block1"],
                                   "actor_person_id": people["ZR"], "occurred_at": at(JAN[-2], 18),
                                   "payload": {"request_id": request["id"], "approved": True}})
    leader.ok("POST", "events", {"type": "family_planning.checkup", "grid_id": ids["block1"], "actor_person_id": people["A"],
                                 "place_id": women[1], "occurred_at": at(dt.date(2025, 2, 10), 10),
                                 "payload": {"checked_on": "2025-02-10"}})
    for key, points in (("r2", "9"), ("d1", "9.5")):
        assessor.ok("POST", "events", {"type": "family_planning.indicator_mark", "grid_id": ids["block1"],
                                       "actor_person_id": people["ZR"], "subject_person_id": people["A"],
                                       "occurred_at": at(dt.date(2025, 12, 20), 10),
                                       "payload": {"indicator": key, "points": points, "reason": "年终评分"}})
    # the annual assessment, computed as a job
    run = assessor.ok("POST", "assessment/runs", {"sheet": "family_planning.leader_year", "period_start": "2025-01-01"},
                      status=201)
    assessor.ok("POST", f"assessment/runs/{run['id']}/compute", status=202)
    for _ in range(1200):
        state = assessor.ok("GET", f"assessment/runs/{run['id']}")["state"]
        if state != "draft":
            break
        time.sleep(0.05)
    assert state == "computed"
    statements = assessor.ok("GET", "reports/family_planning.salary_statements", query={"run_id": run["id"]})
    rows = {r["leader"]: r for r in statements["rows"]}
    assert set(rows) == {"王组长", "李组长"} and rows["王组长"]["months"] == 12
    assert Decimal(rows["王组长"]["base_paid"]) == Decimal("6000.00") and Decimal(rows["王组长"]["withheld"]) == Decimal("3600.00")
    # 李组长 filed nothing and has no women in the block: visits and check-ups nothing due (20 points)
    assert Decimal(rows["李组长"]["payout"]) == Decimal("720.00")  # 3600 × 20 / 100
    results = {r["subject_name"]: r for r in assessor.ok("GET", f"assessment/runs/{run['id']}/results")}
    assert Decimal(rows["王组长"]["payout"]) == Decimal(results["王组长"]["money"])
    # the viewer may not read salaries; the CSV and XLSX carry the same rows
    assert api["viewer"].get("reports/family_planning.salary_statements", query={"run_id": run["id"]}).status_code == 403
    text = assessor.get("reports/family_planning.salary_statements", query={"run_id": run["id"], "format": "csv"})
    assert text.status_code == 200 and text.data.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(text.data.decode("utf-8-sig"))))
    assert "居民小组长" in table[0] and len(table) == 3
    book = assessor.get("reports/family_planning.salary_statements", query={"run_id": run["id"], "format": "xlsx"})
    assert book.status_code == 200 and load_workbook(io.BytesIO(book.data)).active.max_row >= 3
    # the monthly no-check-up list (月上报、月清理): in January W2 is listed (last 2024-08-01); in February cleared
    jan = admin.ok("GET", "reports/family_planning.checkup_list", query={"period_start": "2025-01-01"})
    assert [r["code"] for r in jan["rows"]] == ["W2"] and jan["rows"][0]["name"] == "育龄妇女2"
    feb = admin.ok("GET", "reports/family_planning.checkup_list", query={"period_start": "2025-02-01"})
    assert feb["rows"] == [] and "本月清理 1 人" in feb["notes"][0]
    hidden = assessor.ok("GET", "reports/family_planning.checkup_list", query={"period_start": "2025-01-01"})
    assert hidden["rows"][0]["name"] == "—"  # an assessor manages reports but does not read personal data
    with app.app_context():
        with platform_scope():
            tenant_id = db.session.scalar(select(Tenant.id).where(Tenant.slug == "hn"))
        with tenant_scope(tenant_id):
            audited = db.session.scalars(select(AuditEntry.object_id).where(AuditEntry.action == "read",
                                                                            AuditEntry.username == "hn-tenant_admin")).all()
    assert women[1] in audited
    summary = admin.ok("GET", "reports/family_planning.work_summary", query={"period_start": "2025-01-01"})
    a = next(r for r in summary["rows"] if r["leader"] == "王组长")
    assert (a["checked_in"], a["checked_out"], a["leave"], a["planned"], a["done"]) == (9, 9, 1, 18, 18)
    assert a["absent"] == a["required"] - 9
