"""family_planning registers: the monthly no-check-up list (月上报) and cleared count (月清理) at
their edges, and the visit schedule of women of childbearing age."""
from __future__ import annotations

import datetime as dt

import pytest
from flask import g
from family_planning_support import at, record, setup, woman
from sqlalchemy import select

from gridgov.extensions import db
from gridgov.models import AuditEntry, Tenant, User
from gridgov.reports import ReportRequest
from gridgov.tenancy import tenant_scope
from gridgov_family_planning import reports


@pytest.fixture
def fp(app, factory):
    ctx = setup(app, factory)
    i, t = ctx["ids"], ctx["tenant"]
    ctx["w"] = {
        "recent": woman(app, t, i["block1"], "W1", last_checkup_on="2025-04-20"),
        "old": woman(app, t, i["block1"], "W2", last_checkup_on="2024-12-31"),
        "never": woman(app, t, i["block2"], "W3"),
        "moved": woman(app, t, i["block2"], "W4", status="moved_out"),
        "later": woman(app, t, i["block2"], "W5", registered_on="2025-07-01"),
    }
    return ctx


def build(app, fp, fn, month, user="fp-supervisor", grid=None):
    with app.app_context(), tenant_scope(fp["ids"]["tenant"]):
        login = db.session.scalar(select(User).where(User.username == user))
        g.actor = login  # who the audit log names outside a request (as a job does)
        return fn(ReportRequest(run=None, period_start=month, period_end=None, grid_id=grid, subject_id=None,
                                locale="zh", user=login))


def test_the_list_takes_whoever_has_no_check_up_for_four_months_at_the_months_end(app, fp):
    table = build(app, fp, reports.checkup_list, dt.date(2025, 5, 1))
    # cutoff 2025-02-01: W2 (2024-12-31) and W3 (never) listed; W1 recent; W4 moved out; W5 not yet registered
    assert [r["code"] for r in table.rows] == ["W2", "W3"]
    assert table.rows[0]["months"] == 5 and table.rows[1]["last_checkup"] is None


def test_a_check_up_clears_a_listed_woman_the_next_month(app, fp):
    i = fp["ids"]
    record(app, fp["tenant"], [{"type": "family_planning.checkup", "grid_id": i["block1"], "actor_person_id": i["a"],
                                "place_id": fp["w"]["old"], "occurred_at": at(dt.date(2025, 6, 3), 10),
                                "payload": {"checked_on": "2025-06-03"}}])
    june = build(app, fp, reports.checkup_list, dt.date(2025, 6, 1))
    assert [r["code"] for r in june.rows] == ["W3"]
    assert "本月清理 1 人（上月上报 2 人）" in june.notes[0]


def test_the_list_of_one_block_and_names_only_for_readers(app, fp):
    block = build(app, fp, reports.checkup_list, dt.date(2025, 5, 1), grid=fp["ids"]["block2"])
    assert [r["code"] for r in block.rows] == ["W3"]
    hidden = build(app, fp, reports.checkup_list, dt.date(2025, 5, 1), user="fp-assessor")
    assert {r["name"] for r in hidden.rows} == {"—"} and len(hidden.notes) == 2
    with app.app_context(), tenant_scope(fp["ids"]["tenant"]):
        audited = db.session.scalars(select(AuditEntry.username).where(AuditEntry.action == "read")).all()
    assert audited and set(audited) == {"fp-supervisor"}


def test_a_block_leader_sees_names_of_their_own_block_only(app, fp):
    """The reports use the core's scope: field staff read only the entries of the grids they hold."""
    from conftest import in_tenant
    from gridgov.models import Person
    from gridgov.operations import registers

    with in_tenant(app, fp["tenant"]):
        registers.update(db.session.get(Person, fp["ids"]["a"]), {"user_id": fp["logins"]["field_staff"][0]})
    table = build(app, fp, reports.checkup_list, dt.date(2025, 5, 1), user="fp-field_staff")
    assert [(r["code"], r["name"]) for r in table.rows] == [("W2", "育龄妇女W2"), ("W3", "—")]
    assert len(table.notes) == 2
    with app.app_context(), tenant_scope(fp["ids"]["tenant"]):
        audited = db.session.execute(select(AuditEntry.username, AuditEntry.object_id).where(AuditEntry.action == "read")).all()
    assert [tuple(a) for a in audited] == [("fp-field_staff", fp["w"]["old"])]


def test_the_visit_schedule_puts_the_overdue_first(app, fp):
    i = fp["ids"]
    record(app, fp["tenant"], [{"type": "family_planning.visit", "grid_id": i["block1"], "actor_person_id": i["a"],
                                "place_id": fp["w"]["recent"], "occurred_at": at(dt.date(2025, 1, 20), 10), "payload": {}}])
    table = build(app, fp, reports.visit_schedule, dt.date(2025, 1, 1))
    rows = {r["code"]: r for r in table.rows}
    assert set(rows) == {"W1", "W2", "W3"}  # moved out and not yet registered left out
    assert rows["W1"]["next_due"] == dt.date(2025, 2, 19) and rows["W1"]["overdue"] == ""
    assert rows["W2"]["next_due"] == dt.date(2025, 1, 31) and rows["W2"]["overdue"]
    assert table.rows[0]["overdue"] and table.rows[-1]["code"] == "W1"
