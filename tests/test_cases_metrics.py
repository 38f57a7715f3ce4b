"""Case metrics (gridgov.metrics) on a constructed October, with every figure worked out by hand."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from conftest import in_tenant
from cases_support import World, local
from gridgov.metrics import case_metrics
from gridgov.operations import cases
from gridgov.operations.errors import OperationError
from gridgov.plugins import CaseCategory, Deadline, PluginInfo, hookimpl

OCTOBER = {"start": dt.date(2026, 10, 1), "end": dt.date(2026, 11, 1)}


class Simple:
    """Clocks in plain hours: accept in 2 h, resolve in 24 h, close in 72 h; pauses allowed."""

    @hookimpl
    def gridgov_plugin_info(self):
        return PluginInfo("测试方案", "Test scheme", "1")

    @hookimpl
    def gridgov_case_categories(self):
        def every(hours):
            return {s: Deadline(hours, "hours") for s in ("normal", "serious", "major", "urgent")}
        return [CaseCategory("simple", "简单", "Simple", {"accept": every(2), "resolve": every(24), "close": every(72)},
                             pauses_when_waiting=True)]


@pytest.fixture
def app_config(app_config):
    return {**app_config, "GRIDGOV_EXTRA_PLUGINS": [("casetest", Simple())]}


@pytest.fixture
def october(app, factory):
    """Ten cases. Times are Beijing time; [d] = resolve deadline.

    A G1  rep 10-05 09:00, acc 10:00, resolved 20:00 [10-06 10:00], closed 10-06 10:00 normal (25 h)
    B G1  rep 10-06 09:00, acc 12:00 late, resolved 10-08 09:00 late, reopened, resolved 15:00,
          closed 17:00 overdue (56 h)
    C G2  rep 10-10, rejected
    D G2  rep 10-12 09:00, acc 10:00, waits 12:00–18:00 [10-13 16:00], resolved 10-13 15:00,
          closed 17:00 normal (32 h − 6 h = 26 h)
    E G3  rep 10-20 09:00, acc 10:00, escalated, open [10-21 10:00]
    F G1  rep 10-30 09:00, acc 10:00, handed off, resolved 11-01 09:00 (after the period) [10-31 10:00]
    G G1  rep 09-28, acc 09-28 10:00 [09-29 10:00], resolved 10-02 09:00, closed 11:00 overdue (98 h)
    H G3  rep 10-31 23:30, not decided
    I G1  rep 11-01 00:30 (UTC: still 31 October) — outside the period
    J G2  rep 10-15 09:00, acc 10:00, special closure 11:00 (2 h) [10-16 10:00]
    The sweep at 11-01 08:00 flags E, F, H (and I).
    """
    world = World(app, factory, plugins=["casetest"])
    with in_tenant(app, world.tenant):
        sup = world.user("sup")

        def case(grid, reported, steps=(), **kw):
            c = world.report(category="casetest.simple", grid_id=world.grid[grid], reported_at=local(reported))
            for action, at, *args in steps:
                world.step(action, c, sup, at=local(at), **(args[0] if args else {}))
            return c

        to = {"unit_id": world.unit["UG1"]}
        case("G1", "2026-10-05 09:00", [("accept", "2026-10-05 10:00"), ("dispatch", "2026-10-05 10:30", to),
                                        ("start", "2026-10-05 11:00"), ("resolve", "2026-10-05 20:00"),
                                        ("verify", "2026-10-06 09:00"), ("close", "2026-10-06 10:00")])
        case("G1", "2026-10-06 09:00", [("accept", "2026-10-06 12:00"), ("dispatch", "2026-10-06 12:30", to),
                                        ("start", "2026-10-06 13:00"), ("resolve", "2026-10-08 09:00"),
                                        ("reopen", "2026-10-08 10:00"), ("start", "2026-10-08 11:00"),
                                        ("resolve", "2026-10-08 15:00"), ("verify", "2026-10-08 16:00"),
                                        ("close", "2026-10-08 17:00")])
        case("G2", "2026-10-10 09:00", [("reject", "2026-10-10 10:00")])
        case("G2", "2026-10-12 09:00", [("accept", "2026-10-12 10:00"), ("dispatch", "2026-10-12 10:30", {"unit_id": world.unit["UC"]}),
                                        ("start", "2026-10-12 11:00"), ("wait", "2026-10-12 12:00"),
                                        ("resume", "2026-10-12 18:00"), ("resolve", "2026-10-13 15:00"),
                                        ("verify", "2026-10-13 16:00"), ("close", "2026-10-13 17:00")])
        case("G3", "2026-10-20 09:00", [("accept", "2026-10-20 10:00"), ("dispatch", "2026-10-20 10:30", {"unit_id": world.unit["UG3"]}),
                                        ("escalate", "2026-10-20 11:00")])
        f = case("G1", "2026-10-30 09:00", [("accept", "2026-10-30 10:00"), ("dispatch", "2026-10-30 10:30", to),
                                            ("hand_off", "2026-10-30 11:00", {"to_unit_id": world.unit["D"]})])
        case("G1", "2026-09-28 09:00", [("accept", "2026-09-28 10:00"), ("dispatch", "2026-09-28 10:30", to),
                                        ("start", "2026-09-28 11:00"), ("resolve", "2026-10-02 09:00"),
                                        ("verify", "2026-10-02 10:00"), ("close", "2026-10-02 11:00")])
        case("G3", "2026-10-31 23:30")
        case("G1", "2026-11-01 00:30")
        case("G2", "2026-10-15 09:00", [("accept", "2026-10-15 10:00"), ("close_special", "2026-10-15 11:00")])
        assert cases.sweep_overdue(local("2026-11-01 08:00")).flagged == 4
        for action, at in (("start", "2026-11-01 08:30"), ("resolve", "2026-11-01 09:00")):
            world.step(action, f, sup, at=local(at))
    return world


def test_the_whole_tenant(app, october):
    with in_tenant(app, october.tenant):
        m = case_metrics(**OCTOBER)
    assert m.start == local("2026-10-01 00:00") and m.end == local("2026-11-01 00:00")
    # A B C D E F H J reported (G in September, I in November); C rejected
    assert (m.reported, m.valid) == (8, 7)
    assert m.valid_report_rate.value == Decimal("0.875") and m.valid_report_rate.percent == Decimal("87.50")
    # accepted: A B D E F J; B late
    assert (m.accepted, m.accepted_on_time) == (6, 5)
    assert m.on_time_accept_rate.percent == Decimal("83.33")
    # resolve deadlines in October: A B D E F J; resolved by the end: A B D; by the deadline: A D
    assert (m.due_for_disposal, m.disposed, m.disposed_on_time) == (6, 3, 2)
    assert m.disposal_rate.value == Decimal("0.5") and m.on_time_disposal_rate.percent == Decimal("33.33")
    # accepted in October and closed: A B D J
    assert m.accepted_closed == 4 and m.closure_rate.percent == Decimal("66.67")
    # closed in October: A D normal, B G overdue, J special
    assert (m.closed, m.closed_normal, m.closed_overdue, m.closed_special) == (5, 2, 2, 1)
    assert m.on_time_closure_rate.value == Decimal("0.5")
    # resolve steps in October: A, B twice, D, G; one reopening (B)
    assert (m.resolutions, m.reopenings) == (5, 1) and m.rework_rate.value == Decimal("0.2")
    # reported in October and overdue: B (late accept), E, F, H (the sweep)
    assert (m.overdue, m.escalated, m.handed_off) == (4, 1, 1)
    # handling times 7200 (J), 90000 (A), 93600 (D), 201600 (B), 352800 (G)
    assert m.mean_handling_seconds == Decimal("149040.0")
    assert m.p90_handling_seconds == 352800
    assert not any(rate.nothing_due for rate in m.rates().values())


def test_a_grid_subtree(app, october):
    with in_tenant(app, october.tenant):
        m = case_metrics(grid=october.grid["C"], **OCTOBER)  # G1 and G2: A B C D F G J
    assert (m.reported, m.valid, m.accepted, m.accepted_on_time) == (6, 5, 5, 4)
    assert (m.due_for_disposal, m.disposed, m.disposed_on_time, m.accepted_closed) == (5, 3, 2, 4)
    assert (m.closed, m.closed_normal, m.closed_overdue, m.closed_special) == (5, 2, 2, 1)
    assert (m.resolutions, m.reopenings, m.overdue, m.escalated, m.handed_off) == (5, 1, 2, 0, 1)
    assert m.disposal_rate.value == Decimal("0.6")


def test_nothing_due_is_a_full_rate_with_a_flag(app, october):
    with in_tenant(app, october.tenant):
        m = case_metrics(grid=october.grid["C2"], **OCTOBER)  # G3: E and H
    assert (m.reported, m.valid, m.accepted, m.due_for_disposal, m.disposed, m.closed, m.escalated) == (2, 2, 1, 1, 0, 0, 1)
    assert m.disposal_rate.value == 0 and not m.disposal_rate.nothing_due
    for rate in (m.on_time_closure_rate, m.rework_rate):
        assert rate.nothing_due and rate.value == 1 and rate.percent == Decimal("100.00")
    assert (m.mean_handling_seconds, m.p90_handling_seconds) == (None, None)


def test_a_unit_and_an_exact_period(app, october):
    with in_tenant(app, october.tenant):
        ug1 = case_metrics(unit=october.unit["UG1"], **OCTOBER)  # A B G (F was handed off, I never dispatched)
        first_week = case_metrics(start=local("2026-10-05 00:00"), end=local("2026-10-06 09:00"))
    assert (ug1.reported, ug1.accepted, ug1.closed, ug1.handed_off) == (2, 2, 3, 0)
    assert ug1.p90_handling_seconds == 352800
    # [5 Oct, 6 Oct 09:00): A reported; B's report at 09:00 is the first instant outside
    assert (first_week.reported, first_week.accepted, first_week.resolutions, first_week.closed) == (1, 1, 1, 0)


def test_bad_periods_are_refused(app, october):
    with in_tenant(app, october.tenant):
        with pytest.raises(OperationError) as exc:
            case_metrics(start=dt.date(2026, 11, 1), end=dt.date(2026, 10, 1))
        assert "end" in exc.value.errors
        with pytest.raises(OperationError) as exc:
            case_metrics(start=dt.datetime(2026, 10, 1), end=dt.date(2026, 11, 1))
        assert "start" in exc.value.errors
        with pytest.raises(OperationError) as exc:
            case_metrics(grid=999999, **OCTOBER)
        assert "grid" in exc.value.errors
