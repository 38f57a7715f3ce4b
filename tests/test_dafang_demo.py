"""The dafang_fire demo tenant and the reports on it: the hazard chain's records, the headline
figures, the station quota with the fatal-fire veto, the grid responsibility table with its
staffing flag. The module loads the demo once (only the dafang_fire plugin), on SQLite or on
the PostgreSQL named by GRIDGOV_TEST_DATABASE_URL."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from gridgov.extensions import db
from gridgov.models import Assignment, Case, Event, Grid, HandOff, Tenant, Unit
from gridgov.reports import ReportRequest
from gridgov.tenancy import tenant_scope
from gridgov_dafang_fire import reports

from conftest import loaded_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with loaded_demo(tmp_path_factory, "dafang_fire") as (app, tenant_id, _):
        yield app, tenant_id


def whole_demo(grid_id=None, locale="zh") -> ReportRequest:
    """A request over every day of demo activity (which may straddle a month's end)."""
    times = [e.occurred_at for e in db.session.scalars(select(Event))]
    start = min(times).date() - dt.timedelta(days=2)
    end = max(times).date() + dt.timedelta(days=5)
    return ReportRequest(run=None, period_start=start, period_end=end, grid_id=grid_id, subject_id=None,
                         locale=locale, user=None)


def test_hazard_chain_leaves_its_records(demo):
    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        cases = list(db.session.scalars(select(Case).where(Case.category == "dafang_fire.hazard")))
        units = {u.id: u.kind for u in db.session.scalars(select(Unit))}
        assert len(cases) == 10
        assert sum(c.state == "closed" for c in cases) == 4
        public = [c for c in cases if c.source in ("hotline_96119", "public_web")]
        assert len(public) == 2 and all(units[c.unit_id] == "fire_brigade" for c in public)
        at_bureau = [c for c in cases if units.get(c.unit_id) == "public_security_bureau"]
        assert len(at_bureau) == 1 and at_bureau[0].state == "handed_off"
        letters = list(db.session.scalars(select(HandOff).where(HandOff.case_id == at_bureau[0].id).order_by(HandOff.id)))
        assert [units[h.to_unit_id] for h in letters] == ["fire_brigade", "public_security_bureau"]
        assert all(h.letter_number for h in letters)
        ledger = reports.hazard_ledger(whole_demo())
        listed = [r for r in ledger.rows if r["listed_until"] is not None]
        assert [r["number"] for r in listed] == [at_bureau[0].number]
        assert len(ledger.rows) == 10


def test_headline_figures_add_up(demo):
    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        table = reports.headline(whole_demo())
        total = table.rows[-1]
        assert total["grid"] == "合计"
        assert total["fines"] == Decimal("35000.00")
        assert total["penalty_decision"] == 2 and total["detention"] == 1 and total["people_detained"] == 1
        assert total["three_stops"] == 1 and total["temporary_seal"] == 2
        assert total["rectification_order"] == 8
        assert total["hazards_found"] == 10 and total["rectified"] == 4
        assert total["publicity"] == 8
        assert total["units_checked"] == sum(r["units_checked"] for r in table.rows[:-1])
        for key in reports.FIGURES:
            assert total[key] == sum(r[key] for r in table.rows[:-1]), key
        # an area: one big grid only
        town = db.session.scalar(select(Grid).where(Grid.name == "大方镇派出所大网格"))
        area = reports.headline(whole_demo(town.id))
        assert [r["grid"] for r in area.rows] == ["大方镇派出所大网格", "合计"]
        assert area.rows[-1]["checks"] < total["checks"]


def test_station_quota_and_the_fatal_fire_veto(demo):
    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        table = reports.station_monthly(whole_demo())
        rows = {r["station"]: r for r in table.rows}
        assert len(rows) == 33
        assert rows["羊场镇派出所"]["veto"] == "一票否决" and rows["羊场镇派出所"]["deaths"] == 1
        assert all(r["veto"] == "" for s, r in rows.items() if s != "羊场镇派出所")
        assert all(r["quota"] == 20 and r["met"] == ("是" if r["units_checked"] >= 20 else "否") for r in rows.values())


def test_grid_responsibility_flags_a_room_staffed_otherwise(demo):
    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        table = reports.grid_responsibility(whole_demo())
        rooms = [r for r in table.rows if r["level"] == "网格工作室"]
        assert len(rooms) == 19 and not any(r["flag"] for r in rooms)
        bigs = [r for r in table.rows if r["level"] == "大网格"]
        assert all(r["first_responsible"] not in ("", "未明确") for r in bigs if r["grid"] != "县消防大队大网格")
        assert reports.misstaffed_rooms() == []
        room = db.session.scalar(select(Grid).where(Grid.level == 3).order_by(Grid.code))
        assistant = db.session.scalar(select(Assignment).where(Assignment.grid_id == room.id,
                                                               Assignment.role == "dafang_fire.assistant"))
        with db.session.begin_nested() as nested:
            db.session.delete(assistant)
            db.session.flush()
            assert [g.id for g in reports.misstaffed_rooms()] == [room.id]
            flagged = [r for r in reports.grid_responsibility(whole_demo()).rows if r["flag"]]
            assert [r["code"] for r in flagged] == [room.code]
            nested.rollback()


def _admin():
    from gridgov.models import User

    return db.session.scalar(select(User).where(User.username == "dafang-fire-admin"))


def test_hand_off_chain_refusals(demo):
    from gridgov.operations.errors import OperationError
    from gridgov_dafang_fire import hazards

    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        admin = _admin()
        village = db.session.scalar(select(Grid).where(Grid.name == "双山村"))
        with db.session.begin_nested() as nested:
            with pytest.raises(OperationError) as exc:
                hazards.report_public_hazard({"source": "patrol", "grid_id": village.id, "description": "x"}, actor=admin)
            assert "source" in exc.value.errors
            case = hazards.report_public_hazard({"source": "hotline_96119", "grid_id": village.id,
                                                 "description": "液化气罐堆放", "reporter_name": "张三"}, actor=admin)
            assert case.unit.kind == "fire_brigade" and case.state == "dispatched" and case.source == "hotline_96119"
            station_case = hazards.report_hazard({"grid_id": village.id, "description": "电线私拉乱接"}, actor=admin)
            from gridgov.operations import cases as case_ops
            case_ops.accept(station_case, actor=admin)
            case_ops.dispatch(station_case, actor=admin)
            assert station_case.unit.kind == "police_station"
            case_ops.start(station_case, actor=admin)
            with pytest.raises(OperationError) as exc:
                hazards.refer_to_brigade(station_case, actor=admin, letter_number=" ", letter_text="")
            assert "letter_number" in exc.value.errors and station_case.unit.kind == "police_station"
            record = hazards.refer_to_brigade(station_case, actor=admin, letter_number="移〔1〕号", letter_text="书面移交")
            assert record.letter_number == "移〔1〕号" and station_case.state == "handed_off"
            nested.rollback()


def test_government_listing_check(demo):
    from gridgov_dafang_fire.forms import _listing_check

    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        units = {u.id: u.kind for u in db.session.scalars(select(Unit))}
        cases = list(db.session.scalars(select(Case).where(Case.category == "dafang_fire.hazard")))
        at_bureau = next(c for c in cases if units.get(c.unit_id) == "public_security_bureau")
        at_brigade = next(c for c in cases if units.get(c.unit_id) == "fire_brigade")
        when = dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone.utc)

        def event(number, deadline="2026-05-01"):
            return {"type": "dafang_fire.government_listing", "occurred_at": when,
                    "payload": {"case_number": number, "deadline": dt.date.fromisoformat(deadline)}}

        assert _listing_check(event(at_bureau.number), []) is None
        assert "case_number" in _listing_check(event(at_brigade.number), [])
        assert "case_number" in _listing_check(event("1999-000001"), [])
        assert "deadline" in _listing_check(event(at_bureau.number, "2026-03-02"), [])
        assert "case_number" in _listing_check(event(at_bureau.number), [event(at_bureau.number)])


def test_voided_enforcement_leaves_the_headline(demo):
    from gridgov.operations import events as event_ops

    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        before = reports.headline(whole_demo()).rows[-1]
        penalty = db.session.scalar(select(Event).where(Event.type == "dafang_fire.enforcement")
                                    .where(Event.payload["measure"].as_string() == "penalty_decision").order_by(Event.id))
        with db.session.begin_nested() as nested:
            event_ops.record_batch([{"type": event_ops.VOID_TYPE, "voids_id": penalty.id, "grid_id": penalty.grid_id,
                                     "occurred_at": penalty.occurred_at.isoformat(), "payload": {"reason": "录入错误"}}])
            after = reports.headline(whole_demo()).rows[-1]
            assert after["penalty_decision"] == before["penalty_decision"] - 1
            assert after["fines"] == before["fines"] - Decimal(penalty.payload["fine"])
            nested.rollback()


def test_room_staffing_follows_the_settings(demo):
    from gridgov.operations import tenants as tenant_ops

    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        with db.session.begin_nested() as nested:
            tenant_ops.update_settings(db.session.get(Tenant, tenant_id), "dafang_fire", {"room_officers": 3})
            assert len(reports.misstaffed_rooms()) == 19
            quota = reports.station_monthly(whole_demo())
            assert all(r["quota"] == 20 for r in quota.rows)
            nested.rollback()


def test_the_demo_is_shaped_like_dafang(demo):
    from collections import Counter

    from gridgov.models import Place

    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        levels = Counter(db.session.scalars(select(Grid.level)))
        assert (levels[1], levels[2], levels[3]) == (34, 378, 19)
        kinds = Counter(db.session.scalars(select(Place.kind)))
        assert kinds["dafang_fire.key_unit"] == 103
        assert db.session.scalar(select(Unit).where(Unit.kind == "fire_brigade")).name == "大方县消防大队"
