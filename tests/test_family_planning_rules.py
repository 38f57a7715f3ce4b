"""family_planning: the daily work sheet rules (one check-in a day, no check-out without it),
leave decisions, assessment marks and register events — refused through the core's
``EventType.check``, inside the recording transaction, all or nothing."""
from __future__ import annotations

import datetime as dt

import pytest
from api_support import TenantClient, assert_error
from family_planning_support import at, record, setup, sheet, woman
from sqlalchemy import func, select

from gridgov.extensions import db
from gridgov.models import Event
from gridgov.operations.errors import OperationError
from gridgov.tenancy import tenant_scope

DAY = dt.date(2025, 3, 3)


@pytest.fixture
def fp(app, factory, client):
    ctx = setup(app, factory)
    ctx["api"] = TenantClient(client, ctx["logins"]["field_staff"][1], "fp")
    return ctx


def count(app, fp, type_="family_planning.work_plan") -> int:
    with app.app_context(), tenant_scope(fp["ids"]["tenant"]):
        return db.session.scalar(select(func.count()).select_from(Event).where(Event.type == type_))


def test_a_check_out_without_that_days_check_in_is_refused_naming_the_field(fp):
    i = fp["ids"]
    body = assert_error(fp["api"].post("events", sheet(i["a"], i["block1"], DAY, "result")), 422, "occurred_at")
    assert "no check-in" in str(body) and "2025-03-03" in str(body)


def test_a_check_in_then_a_check_out_is_the_day(app, fp):
    i = fp["ids"]
    fp["api"].ok("POST", "events", sheet(i["a"], i["block1"], DAY))
    fp["api"].ok("POST", "events", sheet(i["a"], i["block1"], DAY, "result"))
    assert count(app, fp, "family_planning.work_result") == 1


def test_a_second_check_in_the_same_day_is_refused(app, fp):
    i = fp["ids"]
    fp["api"].ok("POST", "events", sheet(i["a"], i["block1"], DAY))
    body = assert_error(fp["api"].post("events", sheet(i["a"], i["block1"], DAY, hour=13)), 422, "occurred_at")
    assert "already checked in" in str(body)
    assert count(app, fp) == 1
    # another leader, or the next day, is not affected
    fp["api"].ok("POST", "events", sheet(i["b"], i["block2"], DAY))
    fp["api"].ok("POST", "events", sheet(i["a"], i["block1"], DAY + dt.timedelta(days=1)))


def test_a_second_check_out_and_a_check_out_before_the_check_in_are_refused(fp):
    i = fp["ids"]
    fp["api"].ok("POST", "events", sheet(i["a"], i["block1"], DAY, hour=9))
    assert_error(fp["api"].post("events", sheet(i["a"], i["block1"], DAY, "result", hour=8)), 422, "occurred_at")
    fp["api"].ok("POST", "events", sheet(i["a"], i["block1"], DAY, "result"))
    body = assert_error(fp["api"].post("events", sheet(i["a"], i["block1"], DAY, "result", hour=18)), 422, "occurred_at")
    assert "already checked out" in str(body)


def test_the_day_is_the_tenants_local_day(fp):
    """23:30 and 00:10 Beijing time are two days: the check-out after midnight has no check-in."""
    i = fp["ids"]
    fp["api"].ok("POST", "events", sheet(i["a"], i["block1"], DAY, hour=23))
    late = sheet(i["a"], i["block1"], DAY + dt.timedelta(days=1), "result", hour=0)
    assert_error(fp["api"].post("events", late), 422, "occurred_at")
    # the same instant written in UTC is still the local day 2025-03-03
    utc = dict(sheet(i["a"], i["block1"], DAY, "result"), occurred_at="2025-03-03T15:45:00+00:00")
    fp["api"].ok("POST", "events", utc)


def test_a_sheet_names_its_leader(fp):
    i = fp["ids"]
    body = sheet(i["a"], i["block1"], DAY)
    del body["actor_person_id"]
    assert_error(fp["api"].post("events", body), 422, "actor_person_id")


def test_a_batch_sees_its_earlier_events_and_is_all_or_nothing(app, fp):
    i = fp["ids"]
    ok = fp["api"].ok("POST", "events/batch", {"events": [sheet(i["a"], i["block1"], DAY),
                                                          sheet(i["a"], i["block1"], DAY, "result")]}, status=201)
    assert ok["created"] == 2
    day2 = DAY + dt.timedelta(days=1)
    twice = [sheet(i["b"], i["block2"], day2), sheet(i["a"], i["block1"], day2), sheet(i["a"], i["block1"], day2, hour=9)]
    assert_error(fp["api"].post("events/batch", {"events": twice}), 422, "events.2.occurred_at")
    # order counts: a check-out before its check-in in the batch is refused
    backwards = [sheet(i["a"], i["block1"], day2, "result"), sheet(i["a"], i["block1"], day2)]
    assert_error(fp["api"].post("events/batch", {"events": backwards}), 422, "events.0.occurred_at")
    assert count(app, fp) == 1  # nothing of the refused batches was written


def test_a_replayed_check_in_is_not_a_second_one(fp):
    i = fp["ids"]
    body = sheet(i["a"], i["block1"], DAY, idempotency_key="a-2025-03-03-in")
    first = fp["api"].ok("POST", "events", body, status=201)
    again = fp["api"].ok("POST", "events", body, status=200)
    assert again["id"] == first["id"]


def test_a_voided_check_in_can_be_made_again_and_an_amendment_is_allowed(fp, client, factory):
    i = fp["ids"]
    first = fp["api"].ok("POST", "events", sheet(i["a"], i["block1"], DAY))
    fp["api"].ok("POST", f"events/{first['id']}/void", {"reason": "填错日期"}, status=201)
    second = fp["api"].ok("POST", "events", sheet(i["a"], i["block1"], DAY, hour=9))
    fp["api"].ok("POST", "events", sheet(i["a"], i["block1"], DAY, hour=9, amends_id=second["id"]))


def test_leave_requests_are_decided_once_by_someone_else(app, fp):
    i, api = fp["ids"], fp["api"]
    request = api.ok("POST", "events", {"type": "family_planning.leave_request", "grid_id": i["block1"],
                                        "actor_person_id": i["a"], "occurred_at": at(DAY, 17),
                                        "payload": {"starts_on": "2025-03-05", "ends_on": "2025-03-05", "reason": "看病"}})

    def decide(actor, request_id=request["id"], approved=True):
        return api.post("events", {"type": "family_planning.leave_decision", "grid_id": i["block1"],
                                   "actor_person_id": actor, "occurred_at": at(DAY, 18),
                                   "payload": {"request_id": request_id, "approved": approved}})

    assert_error(decide(i["a"]), 422, "actor_person_id")  # not one's own
    checkin = api.ok("POST", "events", sheet(i["a"], i["block1"], DAY))
    assert_error(decide(i["director"], checkin["id"]), 422, "payload.request_id")
    assert decide(i["director"]).status_code == 201
    assert_error(decide(i["director"], approved=False), 422, "payload.request_id")  # decided already
    backwards = {"type": "family_planning.leave_request", "grid_id": i["block1"], "actor_person_id": i["a"],
                 "occurred_at": at(DAY, 17), "payload": {"starts_on": "2025-03-05", "ends_on": "2025-03-04", "reason": "x"}}
    assert_error(api.post("events", backwards), 422, "payload.ends_on")


def test_marks_name_a_judged_sub_item_within_its_maximum_and_nobody_marks_themselves(fp):
    i, api = fp["ids"], fp["api"]

    def mark(indicator, points, actor=None, type_="indicator_mark", **payload):
        return api.post("events", {"type": f"family_planning.{type_}", "grid_id": i["block1"],
                                   "actor_person_id": actor or i["director"], "subject_person_id": i["a"],
                                   "occurred_at": at(DAY, 10),
                                   "payload": {"indicator": indicator, "points": points, "reason": "评分", **payload}})

    assert mark("r2", "9.5").status_code == 201
    assert_error(mark("r2", "10.5"), 422, "payload.points")
    assert_error(mark("d2", "6"), 422, "payload.points")  # d2 is out of 5
    assert_error(mark("r1", "5"), 422, "payload.indicator")  # r1 is computed from the work sheets
    assert_error(mark("zz", "5"), 422, "payload.indicator")
    assert_error(mark("r2", "5", actor=i["a"]), 422, "actor_person_id")
    assert mark("f2", "2", type_="reward_penalty", amount="100").status_code == 201
    assert_error(mark("r2", "2", type_="reward_penalty"), 422, "payload.indicator")


def test_visits_and_check_ups_name_a_woman_of_childbearing_age(app, fp):
    i, api = fp["ids"], fp["api"]
    w = woman(app, fp["tenant"], i["block1"], "W1")
    body = {"type": "family_planning.checkup", "grid_id": i["block1"], "actor_person_id": i["a"],
            "occurred_at": at(DAY, 10), "payload": {"checked_on": "2025-03-03"}}
    assert_error(api.post("events", body), 422, "place_id")
    assert api.post("events", dict(body, place_id=w)).status_code == 201


def test_the_check_runs_in_the_operations_too(app, fp):
    """The console, the CLI import and the demo record through the same batch path."""
    i = fp["ids"]
    with pytest.raises(OperationError) as exc:
        record(app, fp["tenant"], [sheet(i["a"], i["block1"], DAY, "result")])
    assert "occurred_at" in exc.value.errors["events"][0]
