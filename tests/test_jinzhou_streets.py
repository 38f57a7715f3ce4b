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
from gridgov.operations.errors import OperationError
from gridgov_jinzhou_streets.network import (check_roster, check_shift, line_problem, open_cases, outside_roster,
                                             roster_shifts, shift_text)
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


def test_roster_shifts_and_outside():
    s = Settings().load({})

    class Early:
        attributes = {"roster": [{"days": [1, 2, 3, 4, 5], "start": "06:00", "end": "18:00"},
                                 {"days": [6], "start": "08:30", "end": "12:00"}]}

    class Old:
        attributes = {"roster_start": 6, "roster_end": 18}

    class Plain:
        attributes = {}

    assert roster_shifts(Plain, s) == [{"days": [1, 2, 3, 4, 5, 6, 7], "start": "07:00", "end": "19:00"}]
    assert roster_shifts(Old, s)[0]["start"] == "06:00"
    monday, saturday, sunday = dt.datetime(2025, 3, 3), dt.datetime(2025, 3, 8), dt.datetime(2025, 3, 9)
    shifts = roster_shifts(Early, s)
    assert not outside_roster(monday.replace(hour=6), shifts) and outside_roster(monday.replace(hour=18), shifts)
    assert outside_roster(monday.replace(hour=5, minute=59), shifts)
    assert outside_roster(saturday.replace(hour=8, minute=29), shifts)
    assert not outside_roster(saturday.replace(hour=8, minute=30), shifts)
    assert outside_roster(saturday.replace(hour=12), shifts) and outside_roster(sunday.replace(hour=10), shifts)
    assert outside_roster(monday.replace(hour=19), (7, 19)) and not outside_roster(monday.replace(hour=7), (7, 19))
    assert shift_text(shifts) == "周一至五 06:00–18:00；周六 08:30–12:00"
    assert shift_text(shifts, english=True) == "Mon–Fri 06:00–18:00; Sat 08:30–12:00"
    assert shift_text([{"days": [1, 2, 4, 5, 6, 7], "start": "07:00", "end": "19:00"}]) == "周一、二、四至日 07:00–19:00"
    assert shift_text(roster_shifts(Plain, s)) == "每天 07:00–19:00"


@pytest.mark.parametrize("shift, field, reason", [
    ({"days": [1], "start": "7:00", "end": "19:00"}, "start", "HH:MM"),
    ({"days": [1], "start": "07:00", "end": "19:60"}, "end", "HH:MM"),
    ({"days": [1], "start": "24:00", "end": "24:00"}, "start", "HH:MM"),
    ({"days": [1], "start": "19:00", "end": "07:00"}, "end", "after start"),
    ({"days": [1], "start": "08:00", "end": "08:00"}, "end", "after start"),
    ({"days": [], "start": "08:00", "end": "09:00"}, "days", "weekday"),
    ({"days": [8], "start": "08:00", "end": "09:00"}, "days", "weekday"),
])
def test_a_wrong_shift_is_refused_naming_the_field(shift, field, reason):
    assert reason in check_shift(shift)[field][0]
    with pytest.raises(OperationError) as caught:
        check_roster([{"days": [1], "start": "00:00", "end": "24:00"}, shift])
    assert f"roster.1.{field}" in caught.value.errors
    assert check_shift({"days": [7], "start": "00:00", "end": "24:00"}) == {}


@pytest.mark.parametrize("line, reason", [
    (None, "at least two"), ([[121.1, 41.1]], "at least two"), ("121,41", "at least two"),
    ([[121.1, 41.1], [121.2]], "point 1"), ([[121.1, 41.1], ["121.2", 41.1]], "point 1"),
    ([[181, 41.1], [121.2, 41.1]], "longitude 181"), ([[121.1, -91], [121.2, 41.1]], "latitude -91"),
    ([[121.1, 41.1], [True, 41.1]], "point 1"),
])
def test_line_problems(line, reason):
    assert reason in line_problem(line)
    assert line_problem([[121.1, 41.1], [121.2, 41.15], [121, 41]]) is None


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
    # brigades by the mean of all their groups (a vetoed group's points still count): 第四 99.5, 第一 98.3
    assert [r["name"] for r in selection["rows"] if r["kind"] == "先进网管大队"] == ["第四网管大队", "第一网管大队"]
    # the yearly total: the mean of the published half months (group 1: 94, 100; group 2: 100, 99)
    year = run(api, "group_year", "2025-01-01", publish=False)
    totals = {r["subject_name"]: Decimal(r["total"]) for r in api.ok("GET", f"assessment/runs/{year}/results")}
    assert totals["第1单元网格小组"] == Decimal("97.0") and totals["第2单元网格小组"] == Decimal("99.5")


def selection_of(api, run_id):
    rows = api.ok("GET", f"reports/{P}.selection", query={"run_id": run_id})["rows"]
    return {kind: [r["name"] for r in rows if r["kind"] == kind] for kind in ("先进网管小组", "网管先进个人", "先进网管大队")}


def test_a_veto_counts_for_its_whole_year_and_a_published_selection_is_frozen(jz):
    """A veto dated any day of the year removes its group, brigade or person from every
    selection of that year — but a run computed before the veto was recorded keeps what it
    said (published runs are frozen); a correction, computed afterwards, leaves them out."""
    api, ids = jz["api"]["assessor"], jz["ids"]
    events = [violation(ids, "g1", "s1", "fixed_stall", at(DAY, 9)),
              violation(ids, "g1", "s1", "hanging_items", at(DAY, 10)),
              violation(ids, "g3", "s3", "window_posters", at(DAY, 11))]
    api.ok("POST", "events/batch", {"events": events}, status=201)
    half = run(api, "group_half_month", "2025-03-01")
    quarter = run(api, "group_quarter", "2025-01-01")
    before = selection_of(api, quarter)  # brigades tie at 99.0 (98 and 100; 99): the older grid first
    assert before == {"先进网管小组": ["第2单元网格小组", "第3单元网格小组", "第1单元网格小组"],
                      "网管先进个人": ["李组长", "赵组长", "王组长"], "先进网管大队": ["第一网管大队", "第四网管大队"]}
    # in November (after the quarter): a veto on brigade 4's grid and one on 李组长
    api.ok("POST", "events", {"type": f"{P}.veto", "grid_id": ids["bri2"], "occurred_at": at(dt.date(2025, 11, 3), 9),
                              "payload": {"reason": "大队隐瞒违章建设"}})
    api.ok("POST", "events", {"type": f"{P}.veto", "grid_id": ids["g2"], "subject_person_id": ids["L2"],
                              "occurred_at": at(dt.date(2025, 11, 3), 9), "payload": {"reason": "严重失职"}})
    # next year's veto does not reach back
    api.ok("POST", "events", {"type": f"{P}.veto", "grid_id": ids["g1"], "occurred_at": at(dt.date(2026, 1, 1), 0),
                              "payload": {"reason": "次年"}})
    # the published selection (and half month) stay as published
    assert selection_of(api, quarter) == before
    results = {r["subject_name"]: r for r in api.ok("GET", f"assessment/runs/{half}/results")}
    assert results["第3单元网格小组"]["eligible_rank"] is not None
    # the correction takes the November vetoes in: group 3 (under brigade 4), brigade 4, 李组长 out
    correction = api.ok("POST", f"assessment/runs/{quarter}/correct", {"note": "一票否决"}, status=201)["id"]
    api.ok("POST", f"assessment/runs/{correction}/compute", status=202)
    assert wait_computed(api, correction) == "computed"
    after = selection_of(api, correction)
    assert after == {"先进网管小组": ["第2单元网格小组", "第1单元网格小组"], "网管先进个人": ["王组长"],
                     "先进网管大队": ["第一网管大队"]}
    vetoed = {r["subject_name"]: r for r in api.ok("GET", f"assessment/runs/{correction}/results")}
    assert vetoed["第3单元网格小组"]["eligible_rank"] is None and "大队隐瞒违章建设" in str(vetoed["第3单元网格小组"]["vetoes"])
    # the half month is corrected the same way (a veto counts for every sheet of its year)
    fixed = api.ok("POST", f"assessment/runs/{half}/correct", {"note": "一票否决"}, status=201)["id"]
    api.ok("POST", f"assessment/runs/{fixed}/compute", status=202)
    assert wait_computed(api, fixed) == "computed"
    results = {r["subject_name"]: r for r in api.ok("GET", f"assessment/runs/{fixed}/results")}
    assert results["第3单元网格小组"]["eligible_rank"] is None and results["第1单元网格小组"]["eligible_rank"] is not None


def test_a_voided_veto_is_out_of_selections_computed_after_the_void(jz):
    api, ids = jz["api"]["assessor"], jz["ids"]
    api.ok("POST", "events/batch", {"events": [violation(ids, "g1", "s1", "fixed_stall", at(DAY, 9)),
                                               violation(ids, "g3", "s3", "window_posters", at(DAY, 10)),
                                               violation(ids, "g3", "s3", "fixed_stall", at(DAY, 11))]}, status=201)
    veto = api.ok("POST", "events", {"type": f"{P}.veto", "grid_id": ids["g2"], "subject_person_id": ids["L2"],
                                     "occurred_at": at(dt.date(2025, 2, 3), 9), "payload": {"reason": "误报"}})
    run(api, "group_half_month", "2025-03-01")
    first = run(api, "group_quarter", "2025-01-01")
    assert selection_of(api, first)["网管先进个人"] == ["王组长", "赵组长"]
    api.ok("POST", f"events/{veto['id']}/void", {"reason": "误报，撤销"}, status=201)
    assert selection_of(api, first)["网管先进个人"] == ["王组长", "赵组长"]  # frozen
    again = api.ok("POST", f"assessment/runs/{first}/correct", {"note": "撤销否决"}, status=201)["id"]
    api.ok("POST", f"assessment/runs/{again}/compute", status=202)
    assert wait_computed(api, again) == "computed"
    assert selection_of(api, again)["网管先进个人"] == ["李组长", "王组长", "赵组长"]
