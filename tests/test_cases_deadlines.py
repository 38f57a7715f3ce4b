"""Case deadlines: working days of the official calendar, hours, pauses, and the overdue sweep."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from conftest import in_tenant
from cases_support import World, local
from gridgov.extensions import db
from gridgov.models import CaseReminder
from gridgov.operations import cases
from gridgov.operations.errors import Forbidden
from gridgov.tenancy import tenant_scope


@pytest.fixture
def world(app, factory):
    return World(app, factory)


def _walk(world, case, actions, times):
    sup = world.user("sup")
    for action, at in zip(actions, times):
        world.step(action, case, sup, at=local(at))


def test_working_day_deadlines_across_national_day_2026(app, world):
    """1–7 October 2026 are off; Saturday 10 October is a make-up working day."""
    with in_tenant(app, world.tenant):
        case = world.report(category="core.general", reported_at=local("2026-09-30 10:00"))
        assert case.deadlines == {"accept": {"amount": 1, "unit": "working_days"},
                                  "resolve": {"amount": 5, "unit": "working_days"},
                                  "close": {"amount": 7, "unit": "working_days"}}
        assert case.accept_due_at == local("2026-10-09 00:00")  # the end of 8 October
        cases.accept(case, actor=world.user("sup"), at=local("2026-09-30 15:00"))
        # 8, 9, 10 (Saturday, worked), 12, 13 October
        assert case.resolve_due_at == local("2026-10-14 00:00")
        assert case.close_due_at == local("2026-10-16 00:00")

        serious = world.report(category="core.general", severity="serious", reported_at=local("2026-09-30 09:00"))
        cases.accept(serious, actor=world.user("sup"), at=local("2026-09-30 10:00"))
        assert serious.resolve_due_at == local("2026-10-11 00:00")  # ends with the make-up Saturday


def test_a_make_up_sunday_is_a_working_day(app, world):
    with in_tenant(app, world.tenant):
        case = world.report(category="core.general", reported_at=local("2026-09-18 17:00"))
        assert case.accept_due_at == local("2026-09-21 00:00")  # Sunday 20 September is worked


def test_hour_deadlines_ignore_the_calendar_and_accept_may_reclassify(app, world):
    with in_tenant(app, world.tenant):
        urgent = world.report(category="core.general", severity="urgent", reported_at=local("2026-10-01 08:00"))
        assert urgent.accept_due_at == local("2026-10-01 09:00")
        cases.accept(urgent, actor=world.user("sup"), at=local("2026-10-01 08:30"))
        assert urgent.resolve_due_at == local("2026-10-01 12:30")
        assert urgent.close_due_at == local("2026-10-09 00:00")  # 1 working day: 8 October

        case = world.report(reported_at=local("2026-09-30 10:00"))  # a dispute, normal
        cases.accept(case, actor=world.user("sup"), category="core.general", severity="urgent", at=local("2026-09-30 11:00"))
        assert (case.category, case.severity) == ("core.general", "urgent")
        assert case.resolve_due_at == local("2026-09-30 15:00")
        assert case.accept_due_at == local("2026-10-09 00:00")  # the report's own clock stays
        assert cases.timeline(case)[-1].extra["severity"] == "urgent"


def test_pauses_move_working_day_deadlines_by_the_working_days_waited(app, world):
    with in_tenant(app, world.tenant):
        g1 = world.user("g1staff")
        case = world.report(reported_at=local("2026-09-21 08:00"))  # a dispute: resolve in 10 working days
        _walk(world, case, ("accept", "dispatch"), ("2026-09-21 09:00", "2026-09-21 09:10"))
        # 22, 23, 24, 28, 29, 30 Sep, 8, 9, 10 (Saturday), 12 Oct: Mid-autumn and National Day off
        assert case.resolve_due_at == local("2026-10-13 00:00")
        cases.start(case, actor=g1, at=local("2026-09-21 10:00"))
        cases.wait(case, actor=g1, reason="等待物业公司答复", at=local("2026-09-22 10:00"))
        assert case.paused_at == local("2026-09-22 10:00")
        cases.resume(case, actor=g1, at=local("2026-09-24 16:00"))  # 23 and 24 September waited
        assert case.resolve_due_at == local("2026-10-15 00:00")
        assert (case.paused_at, case.paused_seconds) == (None, 54 * 3600)
        assert cases.timeline(case)[-1].extra["paused_seconds"] == 54 * 3600

        cases.wait(case, actor=g1, reason="等待当事人", at=local("2026-09-28 09:00"))
        cases.resume(case, actor=g1, at=local("2026-09-28 17:00"))  # within one day: nothing moves
        assert case.resolve_due_at == local("2026-10-15 00:00")

        cases.wait(case, actor=g1, reason="节前等待", at=local("2026-09-30 10:00"))
        cases.resume(case, actor=g1, at=local("2026-10-08 10:00"))  # only 8 October was a working day
        assert case.resolve_due_at == local("2026-10-16 00:00")
        assert case.paused_seconds == (54 + 8 + 8 * 24) * 3600

        _walk(world, case, ("resolve", "verify", "close"), ("2026-10-15 10:00", "2026-10-15 11:00", "2026-10-15 12:00"))
        assert case.closure_type == "normal"
        reported_to_closed = (24 * 24 + 4) * 3600
        assert case.handling_seconds == reported_to_closed - case.paused_seconds


def test_pauses_move_hour_deadlines_by_the_time_waited(app, world):
    with in_tenant(app, world.tenant):
        case = world.report(severity="urgent", reported_at=local("2026-10-12 08:00"))  # resolve in 24 hours
        _walk(world, case, ("accept", "dispatch", "start", "wait", "resume"),
              ("2026-10-12 08:30", "2026-10-12 08:40", "2026-10-12 08:50", "2026-10-12 09:00", "2026-10-12 13:00"))
        assert case.resolve_due_at == local("2026-10-13 12:30")


def test_a_special_closure_while_waiting_ends_the_pause(app, world):
    with in_tenant(app, world.tenant):
        case = world.report(reported_at=local("2026-10-12 08:00"))
        _walk(world, case, ("accept", "dispatch", "start", "wait"),
              ("2026-10-12 08:30", "2026-10-12 08:40", "2026-10-12 09:00", "2026-10-12 10:00"))
        cases.close(case, actor=world.user("sup"), special_reason="当事人已搬离，无法处置", at=local("2026-10-12 12:00"))
        assert (case.state, case.closure_type, case.closure_reason) == ("closed", "special", "当事人已搬离，无法处置")
        assert (case.paused_at, case.paused_seconds, case.handling_seconds) == (None, 7200, 7200)


def test_closed_after_the_close_deadline_is_closed_late(app, world):
    with in_tenant(app, world.tenant):
        case = world.report(category="core.general", severity="urgent", reported_at=local("2026-10-12 08:00"))
        _walk(world, case, ("accept", "dispatch", "start", "resolve", "verify", "close"),
              ("2026-10-12 08:30", "2026-10-12 08:40", "2026-10-12 09:00", "2026-10-12 10:00",
               "2026-10-13 09:00", "2026-10-14 10:00"))
        assert case.close_due_at == local("2026-10-14 00:00")  # the end of the next working day
        assert case.resolved_at < case.resolve_due_at and case.closed_at > case.close_due_at
        assert (case.closure_type, case.overdue) == ("overdue", True)


def _reminders():
    return list(db.session.scalars(select(CaseReminder).order_by(CaseReminder.id)))


def test_the_overdue_sweep(app, world, factory):
    sweep = cases.sweep_overdue
    with in_tenant(app, world.tenant):
        sup, g1 = world.user("sup"), world.user("g1staff")
        first = world.report(category="core.general", reported_at=local("2026-10-09 09:00"))
        assert first.accept_due_at == local("2026-10-11 00:00")  # Saturday 10 October is worked
        assert sweep(local("2026-10-10 12:00")) == cases.SweepResult(flagged=0, reminders=0)
        assert sweep(local("2026-10-11 01:00")) == cases.SweepResult(flagged=1, reminders=1)
        assert sweep(local("2026-10-11 01:00")) == cases.SweepResult(flagged=0, reminders=0)
        db.session.expire_all()
        first = cases.get_case(first.id)
        assert first.overdue
        [accept_reminder] = _reminders()
        assert (accept_reminder.stage, accept_reminder.kind, accept_reminder.unit_id, accept_reminder.person_id,
                accept_reminder.due_at) == ("accept", "overdue", None, None, local("2026-10-11 00:00"))

        _walk(world, first, ("accept", "dispatch"), ("2026-10-11 02:00", "2026-10-11 02:10"))
        cases.start(first, actor=g1, at=local("2026-10-11 03:00"))
        assert first.resolve_due_at == local("2026-10-17 00:00")
        assert sweep(local("2026-10-17 01:00")) == cases.SweepResult(flagged=0, reminders=1)  # flagged already
        assert sweep(local("2026-10-17 01:00")) == cases.SweepResult(flagged=0, reminders=0)
        resolve_reminder = _reminders()[-1]
        assert (resolve_reminder.case_id, resolve_reminder.stage, resolve_reminder.unit_id, resolve_reminder.person_id,
                resolve_reminder.user_id) == (first.id, "resolve", world.unit["UG1"], world.person["g1staff"], g1.id)

        second = world.report(category="core.general", reported_at=local("2026-10-12 09:00"))
        _walk(world, second, ("accept",), ("2026-10-12 10:00",))
        cases.dispatch(second, actor=sup, unit_id=world.unit["UC"], at=local("2026-10-12 10:30"))  # nobody started it
        waiting = world.report(severity="urgent", reported_at=local("2026-10-12 08:00"))
        _walk(world, waiting, ("accept", "dispatch", "start", "wait"),
              ("2026-10-12 08:30", "2026-10-12 08:40", "2026-10-12 08:50", "2026-10-12 09:00"))
        # second: resolve due after 13–16 and 19 October; the waiting case's clock is paused
        assert sweep(local("2026-10-20 01:00")) == cases.SweepResult(flagged=1, reminders=1)
        latest = _reminders()[-1]
        assert (latest.case_id, latest.unit_id, latest.person_id) == (second.id, world.unit["UC"], world.person["cstaff"])
        db.session.expire_all()
        assert not cases.get_case(waiting.id).overdue

        first = cases.get_case(first.id)
        _walk(world, first, ("resolve", "verify", "close"), ("2026-10-20 02:00", "2026-10-20 02:30", "2026-10-20 03:00"))
        assert (first.closure_type, first.overdue) == ("overdue", True)  # 超时结案

        # reminders are read by the person reminded, the unit's staff or a supervisor
        assert [r.id for r in cases.list_reminders(unit_id=world.unit["UG1"])] == [resolve_reminder.id]
        with pytest.raises(Forbidden):
            cases.acknowledge_reminder(resolve_reminder.id, actor=world.user("viewer"))
        cases.acknowledge_reminder(resolve_reminder.id, actor=g1)
        assert cases.list_reminders(unit_id=world.unit["UG1"]) == []
        assert [r.id for r in cases.list_reminders(user_id=g1.id, open_only=False)] == [resolve_reminder.id]

    other = World(app, factory, slug="town")
    with in_tenant(app, other.tenant):
        late_id = other.report(category="core.general", reported_at=local("2026-10-19 09:00")).id
    with app.app_context():
        results = cases.sweep_all_tenants(local("2026-10-22 01:00"))
        db.session.commit()
    # city: the second case's close deadline (7 working days) has passed; town: an accept deadline
    assert results == {world.tenant.id: cases.SweepResult(flagged=0, reminders=1),
                       other.tenant.id: cases.SweepResult(flagged=1, reminders=1)}
    with app.app_context(), tenant_scope(other.tenant.id):
        assert [(r.case_id, r.stage) for r in _reminders()] == [(late_id, "accept")]
    with app.app_context(), tenant_scope(world.tenant.id):
        assert db.session.scalar(select(func.count()).select_from(CaseReminder)) == 4
        assert _reminders()[-1].stage == "close"
