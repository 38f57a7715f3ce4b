"""茶山 end to end through the JSON API: a platform administrator creates a chashan tenant, its
administrator builds a small grid tree with staff, the field staff record a quarter's events in
batches, an assessor enters the judged items (a colleague who answers for the community is
refused), runs the monthly director ledger and the quarterly community sheet as background
jobs, publishes them, and the directors read their own sheets and the ranking, and download the
community ranking (报表 ``chashan.community_ranking``) as an Excel workbook.

Logins and tokens are made by the test (the API has no route for them), and the official
working-day calendar is seeded as ``gridgov calendar seed`` does; everything else is an API call.
"""
from __future__ import annotations

import datetime as dt
import io
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from api_support import TenantClient, assert_error
from sqlalchemy import select

from gridgov import workdays
from gridgov.extensions import db
from gridgov.jobs import inprocess
from gridgov.models import Tenant
from gridgov.tenancy import platform_scope

TZ = ZoneInfo("Asia/Shanghai")
SLUG = "cs-e2e"
Q3, Q3_END = dt.date(2026, 7, 1), dt.date(2026, 10, 1)
JULY, AUGUST = dt.date(2026, 7, 1), dt.date(2026, 8, 1)
RANKING = "chashan.community_ranking"  # the report key plugins/chashan/gridgov_chashan/reports.py declares


def at(day: dt.date, hour: int, minute: int = 0) -> str:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ).isoformat()


@pytest.fixture
def e2e(app, client, factory):
    """The tenant, built through the API; {name: TenantClient} for each login, and the ids."""
    with app.app_context(), platform_scope():
        workdays.seed_official_calendar()
        db.session.commit()
    _, root_token = factory.user("e2e-root", platform_admin=True)
    root = TenantClient(client, root_token, SLUG)
    created = root.ok("POST", "/tenants", {"slug": SLUG, "name": "茶山街道（端到端）", "enabled_plugins": ["chashan"]})
    assert created["enabled_plugins"] == ["chashan"]
    with app.app_context(), platform_scope():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == SLUG))
        db.session.expunge(tenant)
    roles = {"admin": "tenant_admin", "assessor": "assessor", "near": "assessor", "dx": "field_staff",
             "dy": "field_staff", "lx": "field_staff", "ly": "field_staff"}
    api, users = {}, {}
    for name, role in roles.items():
        users[name], token = factory.user(f"e2e-{name}", tenant, role)
        api[name] = TenantClient(client, token, SLUG)
    admin = api["admin"]
    ids = {"street": admin.ok("POST", "grids", {"code": "S", "name": "茶山街道"})["id"]}
    for c in "XY":
        ids[c] = admin.ok("POST", "grids", {"code": c, "name": f"社区{c}", "parent_id": ids["street"]})["id"]
        ids[c + "1"] = admin.ok("POST", "grids", {"code": f"{c}1", "name": f"社区{c}第1网格", "parent_id": ids[c]})["id"]
    staff = {"dx": ("X1", "grid_director", "王网格"), "dy": ("Y1", "grid_director", "李网格"),
             "lx": ("X", "community_liaison", "张挂点"), "ly": ("Y", "community_liaison", "赵挂点"),
             "near": ("X", "community_leading_group", "陈组长")}
    for name, (grid, role, person_name) in staff.items():
        person = admin.ok("POST", "people", {"code": name.upper(), "name": person_name, "user_id": users[name]})
        ids[name] = person["id"]
        admin.ok("POST", "assignments", {"person_id": person["id"], "role": f"chashan.{role}", "grid_id": ids[grid],
                                         "starts_on": "2026-01-01"})
    yield app, api, ids
    inprocess.runner_for(app).wait(timeout=60)


def batch(client: TenantClient, events: list[dict]) -> list[int]:
    """POST the events in batches of at most 1,000, as a field app would; their ids."""
    ids = []
    for start in range(0, len(events), 1000):
        body = client.ok("POST", "events/batch", {"events": events[start:start + 1000]})
        assert body["created"] == len(events[start:start + 1000])
        ids += body["ids"]
    return ids


def event(type_: str, grid: int, when: str, payload: dict, **columns) -> dict:
    return {"type": f"chashan.{type_}", "grid_id": grid, "occurred_at": when, "payload": payload, **columns}


def record_quarter(app, api, ids) -> None:
    with app.app_context():  # the days a field app would offer (the official calendar)
        working = workdays.working_days_in(Q3, Q3_END - dt.timedelta(days=1))
    fridays = [d for d in working if d.weekday() == 4]
    july = [d for d in working if d.month == 7]
    first_monday = next(d for d in july if d.weekday() == 0)
    skipped = {july[3], july[10]}  # director Y misses two July days
    for name, grid in (("dx", "X1"), ("dy", "Y1")):
        mine = [event("patrol", ids[grid], at(d, 9), {"start": "09:00", "end": "10:10", "log": "巡查辖区楼道"},
                      actor_person_id=ids[name]) for d in working if not (name == "dy" and d in skipped)]
        if name == "dx":
            mine += [event("info_report", ids[grid], at(july[n], 11), {"category": "environment", "summary": "垃圾未清运",
                                                                      "accepted": n < 20}, actor_person_id=ids[name])
                     for n in range(22)]
            mine += [event("meeting_attendance", ids[grid], at(d, 8, 50), {"meeting": "community_friday"},
                           actor_person_id=ids[name]) for d in fridays if d.month == 7]
            mine.append(event("meeting_attendance", ids[grid], at(first_monday, 9, 15),
                              {"meeting": "street_first_monday"}, actor_person_id=ids[name]))
        batch(api[name], mine)
    community = []
    for d in fridays:
        community += [event("escalation_letter", ids["X"], at(d, 10), {"matters": 2, "summary": "路灯维修"},
                            actor_person_id=ids["lx"]),
                      event("signin_meeting", ids["X"], at(d, 9), {"attendees": 1}, actor_person_id=ids["lx"]),
                      event("joint_patrol", ids["X1"], at(d, 14, 30), {"start": "14:30", "end": "16:00",
                                                                        "log": "联合巡查"}, actor_person_id=ids["lx"])]
    for first in (JULY, AUGUST, dt.date(2026, 9, 1)):
        day = next(d for d in working if d >= first)
        community += [event("supervision", ids["X"], at(day, 15), {"summary": "抽查网格日志"}, actor_person_id=ids["lx"]),
                      event("meeting_notice", ids["X"], at(day, 8), {"summary": "通知参加街道调度会"},
                            actor_person_id=ids["lx"])]
    community.append(event("log_review", ids["X1"], at(july[-1], 17), {"tidy": True}, subject_person_id=ids["dx"],
                           actor_person_id=ids["lx"]))
    community.append(event("honour", ids["X"], at(dt.date(2026, 8, 18), 10), {"level": "prefecture_city",
                                                                                "title": "市级文明社区"}))
    batch(api["lx"], community)
    # community Y: a late major matter and an inspection finding; no Friday records at all
    found = dt.datetime(2026, 8, 10, 9, 0, tzinfo=TZ)
    batch(api["ly"], [
        event("major_matter", ids["Y1"], found.isoformat(), {
            "summary": "燃气泄漏", "discovered_at": found.isoformat(),
            "reported_to_community_at": (found + dt.timedelta(minutes=30)).isoformat(),
            "reported_to_street_at": (found + dt.timedelta(hours=5)).isoformat()}, actor_person_id=ids["dy"]),
        event("inspection_finding", ids["Y"], at(dt.date(2026, 9, 8), 10), {"level": "county", "summary": "消防通道堵塞"}),
    ])


def judge(client, ids, community: str, item: str, points: str):
    return client.post("assessment/judgements", {"sheet": "chashan.community_quarter", "period_start": "2026-07-01",
                                                 "item": item, "subject_id": ids[community], "points": points,
                                                 "reason": "领导小组评分"})


def computed(client: TenantClient, run_id: int) -> dict:
    """Poll the run until its job has computed it (the in-process runner runs it)."""
    for _ in range(1200):
        run = client.ok("GET", f"assessment/runs/{run_id}")
        if run["state"] != "draft":
            return run
        time.sleep(0.05)
    pytest.fail(f"run {run_id} still a draft: {run}")


def run_and_publish(assessor: TenantClient, sheet: str, period: str) -> dict:
    run = assessor.ok("POST", "assessment/runs", {"sheet": sheet, "period_start": period})
    assessor.ok("POST", f"assessment/runs/{run['id']}/compute", status=202)
    done = computed(assessor, run["id"])
    assert (done["state"], done["progress"], len(done["fingerprint"])) == ("computed", 100, 64)
    return done


def test_record_judge_run_publish_and_read_the_sheets(e2e):
    app, api, ids = e2e
    assessor, dx, dy = api["assessor"], api["dx"], api["dy"]
    record_quarter(app, api, ids)

    for community, item, points in (("X", "residents", "10"), ("X", "leadership", "18"), ("Y", "residents", "5"),
                                    ("Y", "leadership", "10")):
        entered = judge(assessor, ids, community, item, points)
        assert entered.status_code == 201, entered.get_data(as_text=True)
    assert_error(judge(assessor, ids, "X", "leadership", "20.5"), 422, "points")  # out of range
    refused = judge(api["near"], ids, "X", "leadership", "20")  # answers for community X
    assert_error(refused, 403, "subject_id")
    assert "recusal" in refused.get_json()["errors"]["json"]["subject_id"][0]
    assert_error(judge(dx, ids, "Y", "leadership", "1"), 403)  # field staff do not judge

    ledger = run_and_publish(assessor, "chashan.director_month", "2026-07-01")
    communities = run_and_publish(assessor, "chashan.community_quarter", "2026-07-01")
    assert_error(dx.get(f"assessment/runs/{ledger['id']}/results"), 403)  # confidential until published
    for run in (ledger, communities):
        assessor.ok("POST", f"assessment/runs/{run['id']}/publish", status=200)

    # the community sheet, as the assessor reads it
    sheets = {r["subject_name"]: r for r in assessor.ok("GET", f"assessment/runs/{communities['id']}/results")}
    x, y = sheets["社区X"], sheets["社区Y"]
    assert (Decimal(x["total"]), x["grade"], x["rank"], Decimal(x["money"])) == (Decimal(108), "excellent", 1,
                                                                                   Decimal(1000))
    assert (Decimal(y["total"]), y["grade"], y["rank"]) == (Decimal(49), "fail", 2)
    lines = {i["key"]: i for i in y["items"]}
    assert Decimal(lines["letter"]["points"]) == 4 and Decimal(lines["major"]["points"]) == 5
    assert lines["major"]["evidence"]["event_ids"]

    # a director reads their own ledger, not the other's; the ranking of the ledger; not the draft or the communities
    own = dx.ok("GET", f"assessment/runs/{ledger['id']}/results")
    assert [r["subject_id"] for r in own] == [ids["dx"]]
    money = {i["key"]: Decimal(i["money"]) for i in own[0]["items"]}
    assert money == {"r1": 50, "r2": 50, "r3": 0, "r4": 0, "r5": 120, "f1": 0, "f2": 0}
    assert Decimal(own[0]["money"]) == 220
    theirs = dy.ok("GET", f"assessment/runs/{ledger['id']}/results")
    assert [(r["subject_id"], Decimal(r["money"])) for r in theirs] == [(ids["dy"], Decimal(-100))]
    ranking = dx.ok("GET", f"assessment/runs/{ledger['id']}/ranking")
    assert {r["subject_id"] for r in ranking} == {ids["dx"], ids["dy"]}
    assert_error(dx.get(f"assessment/runs/{communities['id']}/results"), 403)  # not a subject of that sheet
    assert_error(dx.get("reports/core.sheet", query={"run_id": ledger["id"], "subject_id": ids["dy"]}), 403)

    # the community ranking as an Excel workbook: readable by every member once published
    download = dx.get(f"reports/{RANKING}", query={"run_id": communities["id"], "format": "xlsx"})
    assert download.status_code == 200, download.get_data(as_text=True)
    assert download.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in download.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(download.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "社区季度考核排名"
    header_at = next(n for n, row in enumerate(rows) if row[0] == "名次")
    header = rows[header_at]
    assert {"社区", "总分", "等次", "加分", "扣分", "奖励（元）"} <= set(header)
    assert "9 领导综合评价" in header
    table = {row[header.index("社区")]: dict(zip(header, row)) for row in rows[header_at + 1:header_at + 3]}
    assert set(table) == {"社区X", "社区Y"}
    shown = {name: (row["名次"], Decimal(str(row["总分"])), row["等次"], Decimal(str(row["奖励（元）"])))
             for name, row in table.items()}
    assert shown == {"社区X": (1, Decimal(108), "优秀", Decimal(1000)), "社区Y": (2, Decimal(49), "不合格", Decimal(0))}
    assert Decimal(str(table["社区X"]["加分"])) == 10 and Decimal(str(table["社区Y"]["扣分"])) == 10
    points = [h for h in header if h and h[0].isdigit()]
    assert sum(Decimal(str(table["社区Y"][h])) for h in points) == Decimal(59)  # items 1–9 before the penalty
    draft = assessor.ok("POST", "assessment/runs", {"sheet": "chashan.community_quarter", "period_start": "2026-04-01"})
    assert_error(dx.get(f"reports/{RANKING}", query={"run_id": draft["id"], "format": "xlsx"}), 403)  # not published
