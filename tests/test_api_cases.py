"""The case API (gridgov.api.cases): categories, report, read, list, every step through its POST
route (allowed, impossible 409, refused 403, bad field 422), timeline, hand-off records and
reminders."""
from __future__ import annotations

import pytest

from api_cases_support import ApiWorld
from api_support import TenantClient, assert_error
from conftest import in_tenant
from gridgov.api.case_schemas import CaseIn
from gridgov.operations import cases
from cases_support import local

G1_REPORT = {"category": "core.general", "description": "垃圾堆放", "address": "东街 3 号"}


@pytest.fixture
def world(app, client, factory):
    return ApiWorld(app, client, factory)


def report(world, login="fs", **values):
    return world.api[login].ok("POST", "cases", {**G1_REPORT, "grid_id": world.grid["G1"], **values})


def test_the_report_body_is_report_cases_fields():
    assert set(CaseIn().fields) == set(cases.REPORT_FIELDS)


def test_case_categories_with_deadlines_per_severity(world):
    listed = {c["key"]: c for c in world.api["viewer"].ok("GET", "case-categories")}
    assert {"core.general", "core.dispute"} <= set(listed)
    general, dispute = listed["core.general"], listed["core.dispute"]
    assert general["title"] == {"zh": "一般问题", "en": "General problem"} and general["plugin"] == "core"
    assert general["deadlines"]["accept"]["normal"] == {"amount": 1, "unit": "working_days"}
    assert general["deadlines"]["accept"]["urgent"] == {"amount": 1, "unit": "hours"}
    assert set(general["deadlines"]) == {"accept", "resolve", "close"}
    assert set(general["deadlines"]["resolve"]) == {"normal", "serious", "major", "urgent"}
    assert dispute["pauses_when_waiting"] and not general["pauses_when_waiting"]
    assert set(dispute["deadlines"]) == {"accept", "resolve"}


def test_report_read_and_find_by_number(world, factory):
    # reported on 30 September 2026: one working day to accept runs to the end of 8 October
    # (1–7 October is the National Day holiday)
    created = report(world, reported_at="2026-09-30T10:00:00+08:00", latitude=23.021, longitude="113.75",
                     source="hotline_12345", source_ref="GD-2026-88", note="群众来电")
    assert created["number"] == "2026-000001" and created["state"] == "reported"
    assert created["state_title"] == {"zh": "已上报", "en": "Reported"}
    assert created["category_title"]["zh"] == "一般问题" and created["source_title"]["zh"] == "12345 政务服务热线"
    assert (created["latitude"], created["longitude"]) == ("23.021000", "113.750000")
    assert created["reporter_kind"] == "staff" and created["reporter_person_id"] == world.person["fs"]
    accept = created["deadlines"]["accept"]
    assert (accept["amount"], accept["unit"]) == (1, "working_days")
    assert accept["due_at_local"] == "2026-10-09T00:00:00+08:00" and accept["due_at"] == "2026-10-08T16:00:00+00:00"
    assert created["deadlines"]["resolve"]["due_at"] is None  # its clock starts at acceptance
    assert created["closure_type"] is None and created["paused"] is False
    assert created["allowed_actions"] == []  # field staff report; they do not accept

    sup = world.api["sup"]
    detail = sup.ok("GET", f"cases/{created['id']}")
    assert {k: v for k, v in detail.items() if k != "allowed_actions"} == \
        {k: v for k, v in created.items() if k != "allowed_actions"}
    assert [(a["action"], a["title"]["zh"]) for a in detail["allowed_actions"]] == [("accept", "立案"), ("reject", "不予立案")]
    assert detail["allowed_actions"][0]["url"] == f"/api/v1/tenants/city/cases/{created['id']}/accept"
    assert sup.ok("GET", f"cases/by-number/{created['number']}")["id"] == created["id"]
    for path in ("cases/by-number/2026-999999", "cases/by-number/" + "9" * 40, "cases/999999", "cases/999999/timeline",
                 "cases/999999/handoffs"):
        assert assert_error(sup.get(path), 404)["message"] == "case not found"

    # every member reads; a login of another tenant finds no tenant
    for login in ("viewer", "assessor", "g1staff"):
        assert world.api[login].ok("GET", f"cases/{created['id']}")["number"] == "2026-000001"
        assert world.api[login].ok("GET", "cases")["total"] == 1
    _, token = factory.user("town-admin", factory.tenant("town"), "tenant_admin")
    outsider = TenantClient(sup.client, token, "city")
    assert assert_error(outsider.get(f"cases/{created['id']}"), 404)["message"] == "tenant not found"


@pytest.mark.parametrize("values, field, status", [
    ({"colour": "red"}, "colour", 422),
    ({"category": "nope.thing"}, "category", 422),
    ({"grid_id": "5"}, "grid_id", 422),
    ({"grid_id": 999999}, "grid_id", 422),
    ({"latitude": 91, "longitude": 100}, "latitude", 422),
    ({"latitude": 23}, "longitude", 422),
    ({"description": ""}, "description", 422),
    ({"severity": "apocalyptic"}, "severity", 422),
    ({"source": "pigeon"}, "source", 422),
    ({"reported_at": "2026-10-01T09:00:00"}, "reported_at", 422),
    ({"reported_at": "2099-10-01T09:00:00+08:00"}, "at", 422),  # report_case names a future instant "at"
])
def test_report_refusals_name_the_field(world, values, field, status):
    response = world.api["fs"].post("cases", {**G1_REPORT, "grid_id": world.grid["G1"], **values})
    assert_error(response, status, field)
    assert world.api["sup"].ok("GET", "cases")["total"] == 0


def test_report_needs_a_reporting_role(world):
    for login in ("viewer", "assessor"):
        body = assert_error(world.api[login].post("cases", {**G1_REPORT, "grid_id": world.grid["G1"]}), 403, "action")
        assert f"role {login}" in body["errors"]["json"]["action"][0]
    assert_error(world.api["fs"].post("cases", data="{not json"), 400, "_schema")


# segment → (a state it starts from, body (ids filled from the world), the state it leads to)
STEPS = {
    "accept": ("reported", lambda w: {"severity": "serious", "note": "核实属实"}, "accepted"),
    "reject": ("reported", lambda w: {"reason": "重复上报"}, "rejected"),
    "dispatch": ("accepted", lambda w: {"unit_id": w.unit["UG1"], "note": "请网格工作站处置"}, "dispatched"),
    "start": ("dispatched", lambda w: {"note": "已到场"}, "in_progress"),
    "wait": ("in_progress", lambda w: {"reason": "等待当事人回乡"}, "waiting"),
    "resume": ("waiting", lambda w: {}, "in_progress"),
    "resolve": ("in_progress", lambda w: {"note": "已调解"}, "resolved"),
    "verify": ("resolved", lambda w: {"note": "现场核查通过"}, "verified"),
    "reopen": ("verified", lambda w: {"reason": "复查发现反弹"}, "reopened"),
    "escalate": ("dispatched", lambda w: {"note": "网格无法解决"}, "escalated"),
    "hand-off": ("in_progress", lambda w: {"to_unit_id": w.unit["D"], "reason": "职责移交", "letter_number": "移〔2026〕3号",
                                           "letter_text": "特移交你单位处理。"}, "handed_off"),
    "close": ("verified", lambda w: {"note": "结案"}, "closed"),
}


def test_every_step_has_a_route():
    from gridgov.api.cases import STEPS as ROUTED

    assert set(STEPS) == set(ROUTED)
    assert {cases.TRANSITIONS[step.__name__].action for step, _ in ROUTED.values()} == set(cases.TRANSITIONS) - {
        "report", "close_special"}  # report is POST cases; close_special is close with special_reason


@pytest.mark.parametrize("segment", list(STEPS))
def test_each_step_through_the_api(app, world, segment):
    """Taken from its source state (state, timeline, actor, note); 409 from a state that does
    not allow it; 403 for a viewer — each naming the action; nothing changes when refused."""
    source, body, target = STEPS[segment]
    with in_tenant(app, world.tenant):
        case_id = world.case_in(source).id
        rejected_id = world.case_in("rejected").id  # a state no step leaves
    sup, viewer = world.api["sup"], world.api["viewer"]

    refused = assert_error(viewer.post(f"cases/{case_id}/{segment}", body(world)), 403, "action")["errors"]["json"]["action"][0]
    assert "role viewer may not take this step" in refused
    impossible = assert_error(sup.post(f"cases/{rejected_id}/{segment}", body(world)), 409, "action")["errors"]["json"]["action"][0]
    assert "state rejected" in impossible and "is not possible" in impossible
    assert sup.ok("GET", f"cases/{case_id}")["state"] == source

    after = sup.ok("POST", f"cases/{case_id}/{segment}", body(world), status=200)
    assert after["state"] == target
    last = sup.ok("GET", f"cases/{case_id}/timeline")[-1]
    assert (last["action"], last["from_state"], last["to_state"]) == (segment.replace("-", "_"), source, target)
    assert last["actor"]["username"] == "city-sup" and last["actor"]["user_id"] == world.user_ids["sup"]
    assert last["note"] == body(world).get("note", body(world).get("reason", ""))
    assert last["action_title"]["zh"] == cases.TRANSITIONS[last["action"]].title_zh
    # a supervisor may take every step the new state allows (the world's disputes may wait)
    assert {a["action"] for a in after["allowed_actions"]} == {a for a, t in cases.TRANSITIONS.items() if target in t.sources}


def test_a_whole_life_with_pause_special_closure_and_late_entries(app, world):
    """One case from report to closure through the API, with a pause, a failed verification and
    steps entered late (补录); then a special closure of another."""
    sup, g1 = world.api["sup"], world.api["g1staff"]
    case = report(world, category="core.dispute", reported_at="2026-10-12T09:00:00+08:00")
    path = f"cases/{case['id']}"
    sup.ok("POST", f"{path}/accept", {"at": "2026-10-12T10:00:00+08:00"}, status=200)
    sup.ok("POST", f"{path}/dispatch", {"at": "2026-10-12T10:30:00+08:00"}, status=200)  # UG1: G1's unit
    # unit staff of UG1 take the case up, wait and resume; the wait pauses the clocks
    assert g1.ok("POST", f"{path}/start", {"at": "2026-10-12T11:00:00+08:00"}, status=200)["handler_person_id"] == \
        world.person["g1staff"]
    waiting = g1.ok("POST", f"{path}/wait", {"reason": "等待当事人", "at": "2026-10-12T12:00:00+08:00"}, status=200)
    assert waiting["paused"] and waiting["paused_at"] == "2026-10-12T04:00:00+00:00"
    due = waiting["deadlines"]["resolve"]["due_at_local"]
    resumed = g1.ok("POST", f"{path}/resume", {"at": "2026-10-14T09:00:00+08:00"}, status=200)
    assert not resumed["paused"] and resumed["paused_seconds"] == 45 * 3600
    assert resumed["deadlines"]["resolve"]["due_at_local"] > due  # moved by the working days waited
    g1.ok("POST", f"{path}/resolve", {"at": "2026-10-14T15:00:00+08:00"}, status=200)
    assert assert_error(g1.post(f"{path}/verify", {}), 403, "action")  # unit staff do not verify their own work
    assert_error(sup.post(f"{path}/verify", {"passed": False}), 422, "note")
    reopened = sup.ok("POST", f"{path}/verify", {"passed": False, "note": "未调解到位", "at": "2026-10-15T09:00:00+08:00"},
                      status=200)
    assert reopened["state"] == "reopened" and reopened["reopen_count"] == 1
    for segment, at in (("start", "10-15T10:00"), ("resolve", "10-15T16:00"), ("verify", "10-16T09:00"), ("close", "10-16T10:00")):
        who = sup if segment in ("verify", "close") else g1
        closed = who.ok("POST", f"{path}/{segment}", {"at": f"2026-{at}:00+08:00"}, status=200)
    assert closed["state"] == "closed" and closed["closure_type"] == "normal"
    assert closed["closure_type_title"] == {"zh": "正常结案", "en": "Closed in time"}
    assert closed["handling_seconds"] == (4 * 24 + 1) * 3600 - 45 * 3600
    assert [a["action"] for a in closed["allowed_actions"]] == ["reopen"]
    timeline = sup.ok("GET", f"{path}/timeline")
    assert [s["action"] for s in timeline] == ["report", "accept", "dispatch", "start", "wait", "resume", "resolve", "reopen",
                                               "start", "resolve", "verify", "close"]
    assert timeline[4]["note"] == "等待当事人" and timeline[4]["at_local"] == "2026-10-12T12:00:00+08:00"
    assert timeline[3]["actor"] == {"user_id": world.user_ids["g1staff"], "username": "city-g1staff", "display_name": "g1staff",
                                    "person_id": world.person["g1staff"], "person_name": "人员g1staff"}
    assert_error(sup.post(f"{path}/reopen", {"reason": "x", "at": "2026-10-01T09:00:00+08:00"}), 422, "at")

    other = report(world)
    sup.ok("POST", f"cases/{other['id']}/accept", {}, status=200)
    assert_error(sup.post(f"cases/{other['id']}/close", {}), 409, "action")  # not verified
    assert_error(sup.post(f"cases/{other['id']}/close", {"special_reason": " "}), 422, "special_reason")
    special = sup.ok("POST", f"cases/{other['id']}/close", {"special_reason": "历史遗留问题"}, status=200)
    assert (special["closure_type"], special["closure_reason"]) == ("special", "历史遗留问题")
    assert sup.ok("GET", f"cases/{other['id']}/timeline")[-1]["action"] == "close_special"


@pytest.mark.parametrize("segment, body, field", [
    ("dispatch", {"unit_id": "x"}, "unit_id"),
    ("dispatch", {"unit_id": 999999}, "unit_id"),
    ("dispatch", {"colour": "red"}, "colour"),
    ("dispatch", {"at": "2026-10-12T10:00:00"}, "at"),
    ("dispatch", {"at": "2099-01-01T00:00:00+08:00"}, "at"),
    ("dispatch", {"note": "x" * 4001}, "note"),
    ("accept", {"category": "nope.thing"}, "category"),
    ("accept", {"severity": "huge"}, "severity"),
    ("reject", {}, "reason"),
    ("reject", {"reason": " "}, "reason"),
    ("hand-off", {"reason": "x"}, "to_unit_id"),
    ("hand-off", {"to_unit_id": "UG1", "reason": "x"}, "to_unit_id"),
    ("hand-off", {"to_unit_id": "D"}, "reason"),
    ("hand-off", {"to_unit_id": "D", "reason": "x", "attachment_ids": [999999]}, "attachment_ids"),
    ("hand-off", {"to_unit_id": "D", "reason": "x", "attachment_ids": "1"}, "attachment_ids"),
    ("escalate", {"unit_id": "D"}, "unit_id"),
])
def test_bad_step_fields_are_named_and_change_nothing(app, world, segment, body, field):
    state = {"accept": "reported", "reject": "reported"}.get(segment, "dispatched")
    with in_tenant(app, world.tenant):
        case = world.case_in(state)
        case_id, steps = case.id, len(cases.timeline(case))
    body = {k: world.unit[v] if k.endswith("unit_id") and v in world.unit else v for k, v in body.items()}
    sup = world.api["sup"]
    assert_error(sup.post(f"cases/{case_id}/{segment}", body), 422, field)
    assert sup.ok("GET", f"cases/{case_id}")["state"] == state
    assert len(sup.ok("GET", f"cases/{case_id}/timeline")) == steps


def test_unit_staff_act_for_their_own_unit_only(app, world):
    with in_tenant(app, world.tenant):
        ours, theirs = world.case_in("dispatched").id, world.case_in("dispatched").id
        cases.dispatch(cases.get_case(theirs), actor=world.user("sup"), unit_id=world.unit["UG3"])
    g1 = world.api["g1staff"]
    assert [a["action"] for a in g1.ok("GET", f"cases/{ours}")["allowed_actions"]] == ["start", "escalate", "hand_off"]
    assert g1.ok("GET", f"cases/{theirs}")["allowed_actions"] == []
    assert "staff of the responsible unit" in assert_error(g1.post(f"cases/{theirs}/start", {}), 403, "action")["errors"]["json"]["action"][0]
    assert_error(g1.post(f"cases/{ours}/accept", {}), 409, "action")
    g1.ok("POST", f"cases/{ours}/start", {}, status=200)


def test_escalation_and_hand_off_records(app, world):
    sup = world.api["sup"]
    with in_tenant(app, world.tenant):
        case_id = world.case_in("dispatched").id
    escalated = sup.ok("POST", f"cases/{case_id}/escalate", {"note": "社区协调"}, status=200)
    assert (escalated["unit_id"], escalated["escalation_count"]) == (world.unit["UC"], 1)
    handed = sup.ok("POST", f"cases/{case_id}/hand-off", {"to_unit_id": world.unit["B"], "reason": "重大火灾隐患",
                                                          "letter_number": "大公消移〔2026〕12号", "letter_text": "特移交你队处理。"},
                    status=200)
    assert (handed["state"], handed["unit_id"], handed["handoff_count"]) == ("handed_off", world.unit["B"], 1)
    [record] = sup.ok("GET", f"cases/{case_id}/handoffs")
    assert (record["from_unit_id"], record["to_unit_id"], record["letter_number"], record["letter_text"], record["reason"],
            record["attachment_ids"], record["created_by_id"]) == \
        (world.unit["UC"], world.unit["B"], "大公消移〔2026〕12号", "特移交你队处理。", "重大火灾隐患", [], world.user_ids["sup"])
    assert sup.ok("GET", f"cases/{case_id}/timeline")[-1]["id"] == record["transition_id"]


def test_listing_filters_and_pages(app, world):
    with in_tenant(app, world.tenant):
        sup = world.user("sup")
        reported = world.case_in("reported")
        dispatched = world.case_in("dispatched", source="hotline_12345")
        in_g3 = world.report(grid_id=world.grid["G3"], category="core.general")
        cases.accept(in_g3, actor=sup)
        cases.dispatch(in_g3, actor=sup, unit_id=world.unit["UG3"])
        late = world.report(reported_at=local("2026-01-05 09:00"))
        assert cases.sweep_overdue().flagged == 1
        ids = {"reported": reported.id, "dispatched": dispatched.id, "in_g3": in_g3.id, "late": late.id}
    api = world.api["viewer"]

    def listed(**query):
        return [c["id"] for c in api.ok("GET", "cases", query=query)["items"]]

    assert listed() == sorted(ids.values(), reverse=True)  # newest first
    assert listed(state=["reported"]) == [ids["late"], ids["reported"]]
    assert listed(state=["reported", "dispatched"]) == [ids["late"], ids["in_g3"], ids["dispatched"], ids["reported"]]
    assert listed(unit_id=world.unit["UG1"]) == [ids["dispatched"]]
    assert listed(grid_id=world.grid["C2"]) == [ids["in_g3"]]  # the subtree of C2: G3
    assert listed(grid_id=world.grid["S"]) == listed()
    assert listed(overdue="true") == [ids["late"]]
    assert listed(category="core.general") == [ids["in_g3"]]
    assert listed(source="hotline_12345") == [ids["dispatched"]]
    assert listed(state=["dispatched"], grid_id=world.grid["C"]) == [ids["dispatched"]]
    first = api.ok("GET", "cases", query={"page_size": 3})
    second = api.ok("GET", "cases", query={"page_size": 3, "page": 2})
    assert (first["total"], len(first["items"]), [c["id"] for c in second["items"]]) == (4, 3, [ids["reported"]])
    assert_error(api.get("cases", query={"grid_id": 999999}), 400, "grid_id", "query")
    assert_error(api.get("cases", query={"state": "lost"}), 400, "state", "query")
    assert_error(api.get("cases", query={"source": "pigeon"}), 400, "source", "query")


def test_reminders_mine_and_of_a_unit(app, world):
    """The sweep reminds the handler of a case past its resolve deadline; they (or staff of the
    unit, or a supervisor) acknowledge it."""
    with in_tenant(app, world.tenant):
        late = world.report(reported_at=local("2026-01-05 09:00"))
        for action in ("accept", "dispatch"):
            world.step(action, late, world.user("sup"), at=local("2026-01-05 10:00"))
        cases.start(late, actor=world.user("g1staff"), at=local("2026-01-05 11:00"))
        unaccepted = world.report(reported_at=local("2026-01-06 09:00"))
        assert cases.sweep_overdue().reminders == 2
        late_id, unaccepted_id = late.id, unaccepted.id
    g1, sup, viewer = world.api["g1staff"], world.api["sup"], world.api["viewer"]
    [mine] = g1.ok("GET", "reminders", query={"mine": "true"})["items"]
    assert (mine["case_id"], mine["stage"], mine["unit_id"], mine["person_id"], mine["user_id"]) == \
        (late_id, "resolve", world.unit["UG1"], world.person["g1staff"], world.user_ids["g1staff"])
    assert mine["due_at"] == sup.ok("GET", f"cases/{late_id}")["deadlines"]["resolve"]["due_at"]
    assert sup.ok("GET", "reminders", query={"mine": "true"})["items"] == []
    assert [r["id"] for r in viewer.ok("GET", "reminders", query={"unit_id": world.unit["UG1"]})["items"]] == [mine["id"]]
    everything = viewer.ok("GET", "reminders")
    assert everything["total"] == 2 and {r["case_id"] for r in everything["items"]} == {late_id, unaccepted_id}

    assert_error(viewer.post(f"reminders/{mine['id']}/acknowledge"), 403, "reminder")
    assert_error(g1.post("reminders/999999/acknowledge"), 404)
    done = g1.ok("POST", f"reminders/{mine['id']}/acknowledge", status=200)
    assert done["acknowledged_by_id"] == world.user_ids["g1staff"] and done["acknowledged_at"]
    assert g1.ok("GET", "reminders", query={"mine": "true"})["items"] == []
    assert g1.ok("GET", "reminders", query={"mine": "true", "open": "false"})["items"][0]["id"] == mine["id"]
    accept_reminder = [r for r in everything["items"] if r["case_id"] == unaccepted_id][0]
    assert accept_reminder["unit_id"] is None  # the supervising centre
    assert sup.ok("POST", f"reminders/{accept_reminder['id']}/acknowledge", status=200)["acknowledged_at"]
