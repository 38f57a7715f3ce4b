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
    from sqlalchemy import func

    first, last = db.session.execute(select(func.min(Event.occurred_at), func.max(Event.occurred_at))).one()
    start = first.date() - dt.timedelta(days=2)
    end = last.date() + dt.timedelta(days=5)
    return ReportRequest(run=None, period_start=start, period_end=end, grid_id=grid_id, subject_id=None,
                         locale=locale, user=None)


TZ = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai, the demo tenant's zone (no daylight saving)


def test_hazard_chain_leaves_its_records(demo):
    """The year's cases: most closed, the recent ones at every stage of the chain."""
    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        cases = list(db.session.scalars(select(Case).where(Case.category == "dafang_fire.hazard")))
        units = {u.id: u.kind for u in db.session.scalars(select(Unit))}
        months = {c.reported_at.astimezone(TZ).month for c in cases}
        assert len(months) >= 10 and len(cases) >= 6 * len(months)
        assert sum(c.state == "closed" for c in cases) > len(cases) // 2
        assert any(c.state == "in_progress" for c in cases)
        public = [c for c in cases if c.source in ("hotline_96119", "public_web")]
        assert len(public) == len(months) and all(units[c.unit_id] == "fire_brigade" for c in public)
        assert any(c.state == "dispatched" for c in public)
        open_at = {units.get(c.unit_id) for c in cases if c.state == "handed_off"}
        assert {"fire_brigade", "public_security_bureau"} <= open_at
        at_bureau = [c for c in cases if units.get(c.unit_id) == "public_security_bureau"]
        for case in at_bureau:
            letters = list(db.session.scalars(select(HandOff).where(HandOff.case_id == case.id).order_by(HandOff.id)))
            assert [units[h.to_unit_id] for h in letters] == ["fire_brigade", "public_security_bureau"]
            assert all(h.letter_number for h in letters)
        ledger = reports.hazard_ledger(whole_demo())
        listed = {r["number"] for r in ledger.rows if r["listed_until"] is not None}
        assert listed == {c.number for c in at_bureau}
        assert len(ledger.rows) == len(cases)


def _live(kind):
    from gridgov.operations.events import superseded_condition

    return list(db.session.scalars(select(Event).where(Event.type == "dafang_fire." + kind, Event.voids_id.is_(None),
                                                       ~superseded_condition())))


def test_headline_figures_add_up(demo):
    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        table = reports.headline(whole_demo())
        total = table.rows[-1]
        assert total["grid"] == "合计"
        enforcement = _live("enforcement")
        penalties = [e for e in enforcement if e.payload["measure"] == "penalty_decision"]
        assert total["fines"] == sum((Decimal(e.payload["fine"]) for e in penalties), Decimal(0)) > 0
        for measure in ("rectification_order", "temporary_seal", "three_stops", "penalty_decision", "detention"):
            assert total[measure] == sum(e.payload["measure"] == measure for e in enforcement) > 0, measure
        assert total["people_detained"] == sum(e.payload.get("people") or 0 for e in enforcement)
        checks = _live("fire_check")
        assert total["checks"] == len(checks)
        assert total["units_checked"] == len({e.place_id for e in checks})
        cases = list(db.session.scalars(select(Case).where(Case.category == "dafang_fire.hazard")))
        assert total["hazards_found"] == len(cases) and total["rectified"] == sum(c.state == "closed" for c in cases)
        assert total["publicity"] == len(_live("publicity"))
        for key in reports.FIGURES:
            assert total[key] == sum(r[key] for r in table.rows[:-1]), key
        # an area: one big grid only
        town = db.session.scalar(select(Grid).where(Grid.name == "大方镇派出所大网格"))
        area = reports.headline(whole_demo(town.id))
        assert [r["grid"] for r in area.rows] == ["大方镇派出所大网格", "合计"]
        assert area.rows[-1]["checks"] < total["checks"]


def test_the_headline_area_covers_the_subtree(demo):
    """A community's figures are its grid rooms' (two levels below the big grid); a village's
    its own; the checks counted match the events recorded there."""
    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        checks = _live("fire_check")
        community = db.session.scalar(select(Grid).where(Grid.name == "红旗社区"))
        rooms = {g.id for g in db.session.scalars(select(Grid).where(Grid.parent_id == community.id))}
        assert len(rooms) == 3
        area = reports.headline(whole_demo(community.id))
        assert [r["grid"] for r in area.rows] == ["大方镇派出所大网格", "合计"]
        mine = [e for e in checks if e.grid_id in rooms | {community.id}]
        assert area.rows[-1]["checks"] == len(mine) > 0
        assert area.rows[-1]["units_checked"] == len({e.place_id for e in mine})
        village = db.session.scalar(select(Grid).where(Grid.name == "双山村"))
        row = reports.headline(whole_demo(village.id)).rows[-1]
        assert row["checks"] == sum(e.grid_id == village.id for e in checks) > 0


def test_station_quota_and_the_fatal_fire_veto(demo):
    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        table = reports.station_monthly(whole_demo())
        rows = {r["station"]: r for r in table.rows}
        assert len(rows) == 33
        vetoed = {s for s, r in rows.items() if r["veto"]}
        assert vetoed == {"羊场镇派出所", "猫场镇派出所"}
        assert (rows["猫场镇派出所"]["deaths"], rows["羊场镇派出所"]["deaths"]) == (1, 2)
        assert all(r["veto"] == "一票否决" for s, r in rows.items() if s in vetoed)
        assert all(r["quota"] == 20 and r["met"] == ("是" if r["units_checked"] >= 20 else "否") for r in rows.values())


def test_the_published_monthly_sheets_show_the_veto(demo):
    """Every complete month is published; a station with a fatal fire in a village of its big
    grid that month totals 0, graded 不合格, with no eligible rank; the year is computed, both
    stations vetoed."""
    from gridgov.models.assessment import AssessmentResult, AssessmentRun

    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        stations = {u.id: u.name for u in db.session.scalars(select(Unit).where(Unit.kind == "police_station"))}
        runs = list(db.session.scalars(select(AssessmentRun).order_by(AssessmentRun.period_start)))
        months = [r for r in runs if r.sheet == "dafang_fire.station_month"]
        assert all(r.state == "published" for r in months[:-1]) and months[-1].state == "computed"
        fires = {e.grid_id: e.occurred_at.astimezone(TZ).date() for e in _live("fatal_fire")}
        vetoed_months = set()
        for run in months:
            results = list(db.session.scalars(select(AssessmentResult).where(AssessmentResult.run_id == run.id)))
            assert {r.subject_id for r in results} == set(stations)
            for r in results:
                if r.vetoes:
                    vetoed_months.add((stations[r.subject_id], run.period_start.month))
                    assert (r.total, r.grade, r.eligible_rank) == (0, "fail", None)
                else:
                    assert r.eligible_rank is not None and r.total > 0
        assert {m for _, m in vetoed_months} == {d.month for d in fires.values()}
        assert {s for s, _ in vetoed_months} == {"羊场镇派出所", "猫场镇派出所"}
        year = next(r for r in runs if r.sheet == "dafang_fire.station_year")
        assert year.state == "computed"
        results = list(db.session.scalars(select(AssessmentResult).where(AssessmentResult.run_id == year.id)))
        assert {stations[r.subject_id] for r in results if r.vetoes} == {"羊场镇派出所", "猫场镇派出所"}


def test_a_listing_day_is_the_tenant_s_day(demo):
    """挂牌督办 at 23:30 Shanghai time on 3 March (15:30 UTC) is on 3 March: a deadline of 4 March
    holds. At 00:30 on 4 March (16:30 UTC on the 3rd) the same deadline is refused, though the
    UTC day is still the 3rd."""
    from gridgov_dafang_fire.forms import _listing_check

    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        units = {u.id: u.kind for u in db.session.scalars(select(Unit))}
        case = next(c for c in db.session.scalars(select(Case).where(Case.category == "dafang_fire.hazard"))
                    if units.get(c.unit_id) == "public_security_bureau")

        def event(when):
            return {"type": "dafang_fire.government_listing", "occurred_at": when,
                    "payload": {"case_number": case.number, "deadline": dt.date(2026, 3, 4)}}

        late_evening = dt.datetime(2026, 3, 3, 23, 30, tzinfo=TZ)
        assert _listing_check(event(late_evening.astimezone(dt.timezone.utc)), []) is None
        after_midnight = dt.datetime(2026, 3, 3, 16, 30, tzinfo=dt.timezone.utc)
        assert "deadline" in _listing_check(event(after_midnight), [])
        assert "deadline" in _listing_check(event(dt.datetime(2026, 3, 4, 0, 30, tzinfo=TZ)), [])


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
