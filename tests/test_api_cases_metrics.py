"""GET case-metrics (gridgov.api.cases): four cases of October built through the API, every figure
worked out by hand; filters, the default period, and refusals naming the parameter."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from api_cases_support import ApiWorld
from api_support import assert_error
from gridgov.metrics import RATE_TITLES
from gridgov.plugins import CaseCategory, Deadline, PluginInfo, hookimpl

OCTOBER = {"from": "2026-10-01", "to": "2026-11-01"}


class Hours:
    """Clocks in plain hours (no calendar): accept in 2 h, resolve in 24 h, close in 72 h."""

    @hookimpl
    def gridgov_plugin_info(self):
        return PluginInfo("测试方案", "Test scheme", "1")

    @hookimpl
    def gridgov_case_categories(self):
        def every(hours):
            return {s: Deadline(hours, "hours") for s in ("normal", "serious", "major", "urgent")}
        return [CaseCategory("simple", "简单", "Simple", {"accept": every(2), "resolve": every(24), "close": every(72)})]


@pytest.fixture
def app_config(app_config):
    return {**app_config, "GRIDGOV_EXTRA_PLUGINS": [("apitest", Hours())]}


@pytest.fixture
def world(app, client, factory):
    """Beijing time; [d] = resolve deadline.

    A G1  rep 10-05 09:00, acc 10:00, resolved 20:00 [10-06 10:00], closed 10-06 10:00 normal (25 h)
    B G2  rep 10-10 09:00, rejected
    C G3  rep 10-12 09:00, acc 12:00 late, resolved 10-14 09:00 late [10-13 12:00], reopened,
          resolved 15:00, closed 17:00 overdue (56 h)
    D G1  rep 10-20 09:00, acc 10:00, escalated to UC, handed off to D, open [10-21 10:00]
    """
    world = ApiWorld(app, client, factory, plugins=["apitest"])
    sup = world.api["sup"]

    def case(grid, reported, steps):
        created = sup.ok("POST", "cases", {"category": "apitest.simple", "grid_id": world.grid[grid], "description": "问题",
                                           "reported_at": f"2026-{reported}:00+08:00"})
        for segment, at, *body in steps:
            sup.ok("POST", f"cases/{created['id']}/{segment}", {"at": f"2026-{at}:00+08:00", **(body[0] if body else {})},
                   status=200)

    case("G1", "10-05T09:00", [("accept", "10-05T10:00"), ("dispatch", "10-05T10:30"), ("start", "10-05T11:00"),
                               ("resolve", "10-05T20:00"), ("verify", "10-06T09:00"), ("close", "10-06T10:00")])
    case("G2", "10-10T09:00", [("reject", "10-10T10:00", {"reason": "不属实"})])
    case("G3", "10-12T09:00", [("accept", "10-12T12:00"), ("dispatch", "10-12T12:30"), ("start", "10-12T13:00"),
                               ("resolve", "10-14T09:00"), ("reopen", "10-14T10:00", {"reason": "未整改"}),
                               ("start", "10-14T11:00"), ("resolve", "10-14T15:00"), ("verify", "10-14T16:00"),
                               ("close", "10-14T17:00")])
    case("G1", "10-20T09:00", [("accept", "10-20T10:00"), ("dispatch", "10-20T10:30"), ("escalate", "10-20T10:45"),
                               ("hand-off", "10-20T11:00", {"to_unit_id": world.unit["D"], "reason": "移交"})])
    return world


def rates(body) -> dict:
    return {key: (r["numerator"], r["denominator"], r["percent"], r["nothing_due"]) for key, r in body["rates"].items()}


def test_october_for_the_whole_tenant(world):
    body = world.api["viewer"].ok("GET", "case-metrics", query=OCTOBER)
    assert (body["start"], body["end"]) == ("2026-09-30T16:00:00+00:00", "2026-10-31T16:00:00+00:00")
    assert (body["grid_id"], body["unit_id"]) == (None, None)
    assert rates(body) == {
        "valid_report_rate": (3, 4, "75.00", False),      # B rejected
        "on_time_accept_rate": (2, 3, "66.67", False),    # C accepted an hour late
        "disposal_rate": (2, 3, "66.67", False),          # resolve deadlines of A C D in October; D open
        "on_time_disposal_rate": (1, 3, "33.33", False),  # C resolved after its deadline
        "closure_rate": (2, 3, "66.67", False),           # A and C closed
        "on_time_closure_rate": (1, 2, "50.00", False),   # A normal, C overdue
        "rework_rate": (1, 3, "33.33", False),            # one reopening, three resolve steps
    }
    for key, (zh, en) in RATE_TITLES.items():
        assert body["rates"][key]["title"] == {"zh": zh, "en": en} and body["rates"][key]["key"] == key
    assert body["rates"]["valid_report_rate"]["title"]["zh"] == "有效上报率"
    counts = body["counts"]
    assert (counts["reported"], counts["valid"], counts["accepted"], counts["closed"]) == (4, 3, 3, 2)
    assert (counts["closed_normal"], counts["closed_overdue"], counts["closed_special"]) == (1, 1, 0)
    assert (counts["overdue"], counts["escalated"], counts["handed_off"]) == (1, 1, 1)
    assert (counts["resolutions"], counts["reopenings"]) == (3, 1)
    # handling times: A 25 h = 90000 s, C 56 h = 201600 s
    assert (body["mean_handling_seconds"], body["p90_handling_seconds"]) == ("145800.0", 201600)


def test_a_grid_subtree_a_unit_and_nothing_due(world):
    api = world.api["viewer"]
    community = api.ok("GET", "case-metrics", query={**OCTOBER, "grid_id": world.grid["C"]})  # G1, G2: A B D
    assert community["grid_id"] == world.grid["C"]
    assert (community["counts"]["reported"], community["counts"]["valid"], community["counts"]["closed"]) == (3, 2, 1)
    assert rates(community)["disposal_rate"] == (1, 2, "50.00", False)
    g3_unit = api.ok("GET", "case-metrics", query={**OCTOBER, "unit_id": world.unit["UG3"]})  # C only
    assert (g3_unit["counts"]["reported"], g3_unit["counts"]["closed_overdue"]) == (1, 1)
    assert g3_unit["mean_handling_seconds"] == "201600.0"
    g2 = api.ok("GET", "case-metrics", query={**OCTOBER, "grid_id": world.grid["G2"]})  # B, rejected
    assert rates(g2)["valid_report_rate"] == (0, 1, "0.00", False)
    assert rates(g2)["on_time_accept_rate"] == (0, 0, "100.00", True)
    assert (g2["mean_handling_seconds"], g2["p90_handling_seconds"]) == (None, None)
    # an exact period, 5 to 12 October: A and B reported, A closed
    week = api.ok("GET", "case-metrics", query={"from": "2026-10-05T00:00:00+08:00", "to": "2026-10-12T00:00:00+08:00"})
    assert (week["counts"]["reported"], week["counts"]["closed"]) == (2, 1)


def test_the_default_period_is_this_month(world):
    body = world.api["sup"].ok("GET", "case-metrics")
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    start = dt.datetime.fromisoformat(body["start"]).astimezone(ZoneInfo("Asia/Shanghai"))
    end = dt.datetime.fromisoformat(body["end"]).astimezone(ZoneInfo("Asia/Shanghai"))
    assert (start.date(), start.time()) == (today.replace(day=1), dt.time(0))
    assert end.day == 1 and end.time() == dt.time(0) and 28 <= (end - start).days <= 31


@pytest.mark.parametrize("query, param", [
    ({"from": "2026-11-01", "to": "2026-10-01"}, "to"),
    ({"from": "2026-10-01"}, "to"),
    ({"to": "2026-10-01"}, "from"),
    ({"from": "1 October", "to": "2026-11-01"}, "from"),
    ({"from": "2026-10-01T00:00:00", "to": "2026-11-01"}, "from"),
    ({**OCTOBER, "grid_id": 999999}, "grid_id"),
    ({**OCTOBER, "unit_id": 999999}, "unit_id"),
    ({**OCTOBER, "grid_id": "x"}, "grid_id"),
])
def test_bad_queries_name_the_parameter(world, query, param):
    assert_error(world.api["sup"].get("case-metrics", query=query), 400, param, "query")
