"""jinzhou_streets rules: a section in exactly one group (violations on a section in no group, on
another group's section, or of an item outside the section's standard are refused naming the
field), each violation one case, the half-month deduction with the tenant's per-item figures,
the one-vote veto, the roster, and the whole flow through the API (events → cases → runs →
bulletin, network and selection reports as JSON, CSV and XLSX)."""
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
from gridgov.models import Case, Tenant
from gridgov.operations import tenants as tenant_ops
from gridgov.tenancy import tenant_scope
from gridgov_jinzhou_streets.network import open_cases, outside_roster, roster_hours
from gridgov_jinzhou_streets.settings import Settings
from gridgov_jinzhou_streets.sheets import deduct

P = "jinzhou_streets"


def at(day, hour, minute=0):
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:00+08:00"


def test_deductions_use_the_per_item_settings():
    s = Settings().load({"deduction_fixed_stall": "2.5"})
    total, lines = deduct({"fixed_stall": 3, "road_market": 2}, s)
    assert lines == {"fixed_stall": Decimal("7.5"), "road_market": Decimal("2.0")} and total == Decimal("90.5")
    assert deduct({"road_market": 150}, s)[0] == Decimal("-50.0")  # not floored (docs/plugins)
    assert Settings().load({})["advanced_groups_per_quarter"] == 3


def test_roster_hours_and_outside():
    s = Settings().load({})

    class G:
        attributes = {"roster_start": 6, "roster_end": 18}

    class Plain:
        attributes = {}

    assert roster_hours(G, s) == (6, 18) and roster_hours(Plain, s) == (7, 19)
    assert outside_roster(dt.datetime(2025, 3, 3, 18, 0), (6, 18))
    assert not outside_roster(dt.datetime(2025, 3, 3, 6, 0), (6, 18))
    assert outside_roster(dt.datetime(2025, 3, 3, 5, 59), (6, 18))


@pytest.fixture
def jz(app, client, factory):
    tenant = factory.tenant("jz", plugins=[P], name="锦州市城管局")
    clients = {role: TenantClient(client, factory.user(f"jz-{role}", tenant, role)[1], "jz")
               for role in ("tenant_admin", "assessor", "supervisor", "field_staff", "viewer")}
    admin = clients["tenant_admin"]
    ids = {"city": admin.ok("POST", "grids", {"code": "JZ", "name": "锦州市市管街路"})["id"]}
    ids["det"] = admin.ok("POST", "grids", {"code": "JZ-1", "name": "第一网管支队", "parent_id": ids["city"]})["id"]
    ids["det2"] = admin.ok("POST", "grids", {"code": "JZ-2", "name": "第二网管支队", "parent_id": ids["city"]})["id"]
    ids["bri"] = admin.ok("POST", "grids", {"code": "JZ-1-1", "name": "第一网管大队", "parent_id": ids["det"]})["id"]
    ids["bri2"] = admin.ok("POST", "grids", {"code": "JZ-2-1", "name": "第四网管大队", "parent_id": ids["det2"]})["id"]
    for n, parent in ((1, "bri"), (2, "bri"), (3, "bri2")):
        ids[f"g{n}"] = admin.ok("POST", "grids", {"code": f"JZ-G{n}", "name": f"第{n}单元网格小组",
                                                  "parent_id": ids[parent]})["id"]
    for code, name, grid in (("L1", "王组长", "g1"), ("L2", "李组长", "g2"), ("L3", "赵组长", "g3")):
        ids[code] = admin.ok("POST", "people", {"code": code, "name": name})["id"]
        admin.ok("POST", "assignments", {"person_id": ids[code], "role": f"{P}.group_leader",
                                         "grid_id": ids[grid], "starts_on": "2025-01-01"})

    def section(code, grid, grade, street="解放路"):
        return admin.ok("POST", "places", {"grid_id": ids[grid], "kind": f"{P}.street_section", "code": code,
                                           "name": f"{street}{code}", "attributes": {
                                               "street": street, "from_to": "A—B", "width_m": "30", "grade": grade}})["id"]

    ids["s1"], ids["s2"] = section("LD1", "g1", 1), section("LD2", "g2", 2, "广州街")
    ids["s3"] = section("LD3", "g3", 1, "北京路")
    ids["loose"] = section("LD9", "bri", 1, "士英街")  # on a brigade grid: in no group
    yield {"api": clients, "ids": ids, "tenant": tenant}
    inprocess.runner_for(app).wait(timeout=60)


def violation(ids, grid, place, item, when, mode="open"):
    return {"type": f"{P}.violation", "grid_id": ids[grid], "place_id": ids[place], "occurred_at": when,
            "payload": {"violation": item, "mode": mode, "note": "现场拍照"}}


DAY = dt.date(2025, 3, 3)


def test_a_section_in_no_group_is_refused_and_listed(jz):
    api, ids = jz["api"]["assessor"], jz["ids"]
    body = assert_error(api.post("events", violation(ids, "bri", "loose", "fixed_stall", at(DAY, 9))), 422)
    assert "no unit grid group" in str(body) and "place_id" in str(body)
    listed = api.ok("GET", f"reports/{P}.unassigned")
    assert [r["code"] for r in listed["rows"]] == ["LD9"]


def test_another_groups_section_and_an_item_outside_the_standard_are_refused(jz):
    api, ids = jz["api"]["assessor"], jz["ids"]
    body = assert_error(api.post("events", violation(ids, "g1", "s2", "road_market", at(DAY, 9))), 422)
    assert "belongs to group" in str(body)
    # 固定摊点 is one of the eight nos, not of the four nos of a level-2 street
    body = assert_error(api.post("events", violation(ids, "g2", "s2", "fixed_stall", at(DAY, 9))), 422)
    assert "four nos" in str(body)
    body = assert_error(api.post("events", {**violation(ids, "g1", "s1", "fixed_stall", at(DAY, 9)), "place_id": None}), 422)
    assert "street section" in str(body)
    # a batch with one bad event writes nothing
    batch = [violation(ids, "g1", "s1", "fixed_stall", at(DAY, 9)), violation(ids, "g2", "s2", "fixed_stall", at(DAY, 9))]
    assert_error(api.post("events/batch", {"events": batch}), 422)
    assert api.ok("GET", "events", query={"type": f"{P}.violation"})["items"] == []


def wait_computed(api, run_id):
    for _ in range(1200):
        state = api.ok("GET", f"assessment/runs/{run_id}")["state"]
        if state != "draft":
            return state
        time.sleep(0.05)
    return state


def run(api, sheet, start, publish=True):
    r = api.ok("POST", "assessment/runs", {"sheet": f"{P}.{sheet}", "period_start": start}, status=201)
    api.ok("POST", f"assessment/runs/{r['id']}/compute", status=202)
    assert wait_computed(api, r["id"]) == "computed"
    if publish:
        api.ok("POST", f"assessment/runs/{r['id']}/publish", status=200)
    return r["id"]


def test_the_half_month_through_the_api(app, jz):
    api, ids, tenant = jz["api"]["assessor"], jz["ids"], jz["tenant"]
    with app.app_context(), tenant_scope(tenant.id):
        tenant_ops.update_settings(db.session.get(Tenant, tenant.id), P, {"deduction_fixed_stall": "2.5"})
        db.session.commit()
    events = [violation(ids, "g1", "s1", "fixed_stall", at(DAY, 9)),
              violation(ids, "g1", "s1", "fixed_stall", at(DAY, 21, 30), "covert"),  # outside 7–19
              violation(ids, "g1", "s1", "hanging_items", at(dt.date(2025, 3, 14), 10)),
              violation(ids, "g2", "s2", "road_market", at(dt.date(2025, 3, 16), 10)),  # next half month
              violation(ids, "g3", "s3", "window_posters", at(DAY, 10))]
    assert api.ok("POST", "events/batch", {"events": events}, status=201)["created"] == 5
    with app.app_context(), tenant_scope(tenant.id):
        assert len(open_cases()) == 5 and open_cases() == []  # one case per violation, once
        db.session.commit()
        assert {c.state for c in db.session.scalars(select(Case))} == {"reported"}
    # a veto on group 3 in the same year
    api.ok("POST", "events", {"type": f"{P}.veto", "grid_id": ids["g3"], "occurred_at": at(dt.date(2025, 5, 5), 9),
                              "payload": {"reason": "隐瞒违章"}})
    run_id = run(api, "group_half_month", "2025-03-01")
    results = {r["subject_name"]: r for r in api.ok("GET", f"assessment/runs/{run_id}/results")}
    assert Decimal(results["第1单元网格小组"]["total"]) == Decimal("94.0")  # 100 − 2 × 2.5 − 1
    assert Decimal(results["第2单元网格小组"]["total"]) == Decimal("100.0")
    assert Decimal(results["第3单元网格小组"]["total"]) == Decimal("99.0")
    assert results["第3单元网格小组"]["eligible_rank"] is None and results["第3单元网格小组"]["vetoes"]
    # the bulletin of detachment 1: group 1's three violations, one outside the roster
    bulletin = api.ok("GET", f"reports/{P}.bulletin", query={"run_id": run_id, "grid_id": ids["det"]})
    assert len(bulletin["rows"]) == 3 and sum(1 for r in bulletin["rows"] if r["off_roster"]) == 1
    assert sorted(Decimal(r["points"]) for r in bulletin["rows"]) == [Decimal("1.0"), Decimal("2.5"), Decimal("2.5")]
    text = api.get(f"reports/{P}.bulletin", query={"run_id": run_id, "format": "csv"})
    table = list(csv.reader(io.StringIO(text.data.decode("utf-8-sig"))))
    assert "值班时间外" in table[0] and len(table) == 5
    book = api.get(f"reports/{P}.bulletin", query={"run_id": run_id, "format": "xlsx"})
    assert book.status_code == 200 and load_workbook(io.BytesIO(book.data)).active.max_row >= 5
    # the published network, readable by the staff too
    network = jz["api"]["field_staff"].ok("GET", f"reports/{P}.network")
    rows = {r["code"]: r for r in network["rows"]}
    assert rows["LD1"]["responsible"] == "王组长" and rows["LD1"]["detachment"] == "第一网管支队"
    assert rows["LD9"]["group"] == "—"
    # the quarter from the published half months; group 3 vetoed is out of the selection
    run(api, "group_half_month", "2025-03-16")
    for person, day in (("L2", dt.date(2025, 6, 1)), ("L1", dt.date(2024, 12, 1))):  # 2024's veto is not 2025's
        api.ok("POST", "events", {"type": f"{P}.veto", "grid_id": ids["g1"], "subject_person_id": ids[person],
                                  "occurred_at": at(day, 9), "payload": {"reason": "严重失职"}})
    quarter = run(api, "group_quarter", "2025-01-01")
    selection = api.ok("GET", f"reports/{P}.selection", query={"run_id": quarter})
    groups = [r["name"] for r in selection["rows"] if r["kind"] == "先进网管小组"]
    assert groups == ["第2单元网格小组", "第1单元网格小组"]
    people = [r["name"] for r in selection["rows"] if r["kind"] == "网管先进个人"]
    assert people == ["王组长"]  # 李组长 vetoed in 2025; 赵组长's group vetoed
    assert [r["name"] for r in selection["rows"] if r["kind"] == "先进网管大队"] == ["第一网管大队"]
    # the yearly total: the mean of the published half months (group 1: 94, 100; group 2: 100, 99)
    year = run(api, "group_year", "2025-01-01", publish=False)
    totals = {r["subject_name"]: Decimal(r["total"]) for r in api.ok("GET", f"assessment/runs/{year}/results")}
    assert totals["第1单元网格小组"] == Decimal("97.0") and totals["第2单元网格小组"] == Decimal("99.5")
