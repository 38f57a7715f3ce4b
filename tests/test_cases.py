"""The case workflow (gridgov.operations.cases): the transition table, roles, numbers,
escalation, hand-off, tenant isolation."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from conftest import in_tenant
from cases_support import LOGINS, World, local
from gridgov.attachments import save_attachment
from gridgov.extensions import db
from gridgov.models import AuditEntry, Case, CaseTransition, HandOff, Unit
from gridgov.operations import cases, registers
from gridgov.operations.errors import Conflict, Forbidden, NotFound, OperationError
from gridgov.plugins import CaseCategory, Deadline, PluginError, PluginInfo, Registry, build_plugin_manager, hookimpl
from gridgov.tenancy import tenant_scope

STEPS = [a for a in cases.TRANSITIONS if a != "report"]


class Fire:
    """A throwaway scheme whose hazards the fire brigade handles."""

    @hookimpl
    def gridgov_plugin_info(self):
        return PluginInfo("消防", "Fire", "1")

    @hookimpl
    def gridgov_case_categories(self):
        days = {s: Deadline(1, "working_days") for s in ("normal", "serious", "major", "urgent")}
        return [CaseCategory("hazard", "火灾隐患", "Fire hazard", {"accept": days, "resolve": days},
                             handling_unit_kind="fire_brigade")]


@pytest.fixture
def app_config(app_config):
    return {**app_config, "GRIDGOV_EXTRA_PLUGINS": [("fire", Fire())]}


@pytest.fixture
def world(app, factory):
    return World(app, factory)


def test_the_table_names_only_known_states_and_roles():
    from gridgov.models import TENANT_ROLES

    for t in cases.TRANSITIONS.values():
        assert t.target in cases.STATES and t.sources <= set(cases.STATES), t.action
        assert t.roles <= set(TENANT_ROLES), t.action
    reachable = {t.target for t in cases.TRANSITIONS.values()}
    assert reachable == set(cases.STATES)


@pytest.mark.parametrize("action", STEPS)
def test_each_step_from_every_state(app, world, action):
    """Allowed from its source states (state, timeline, audit); refused with 409 elsewhere."""
    t = cases.TRANSITIONS[action]
    with in_tenant(app, world.tenant):
        sup = world.user("sup")
        for state in cases.STATES:
            case = world.case_in(state)
            if state in t.sources:
                world.step(action, case, sup)
                assert case.state == t.target
                last = cases.timeline(case)[-1]
                assert (last.action, last.from_state, last.to_state, last.actor_user_id) == (action, state, t.target, sup.id)
                entry = db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "Case", AuditEntry.object_id == case.id)
                                           .order_by(AuditEntry.id.desc())).first()
                assert (entry.action, entry.user_id, entry.changes["state"]) == (action, sup.id, [state, t.target])
            else:
                before = len(cases.timeline(case))
                with pytest.raises(Conflict) as refused:
                    world.step(action, case, sup)
                assert refused.value.status == 409
                message = refused.value.summary()
                assert action in message and f"state {state}" in message
                db.session.expire_all()
                assert cases.get_case(case.id).state == state and len(cases.timeline(case)) == before


def _preferred_state(t) -> str:
    for state in ("in_progress", "dispatched", "waiting", "resolved", "verified", "reported", "closed"):
        if state in t.sources:
            return state
    raise AssertionError(t.action)


@pytest.mark.parametrize("action", STEPS)
def test_who_may_take_each_step(app, world, factory, action):
    """Roles of the table; staff of the responsible unit only for unit steps; 403 otherwise."""
    t = cases.TRANSITIONS[action]
    state = _preferred_state(t)
    outsider = factory.user("outsider")[0]
    with in_tenant(app, world.tenant):
        refused = ["viewer", "assessor", "fs", "vstaff", "exstaff", "cstaff"] + ([] if t.unit_staff else ["g1staff"])
        for login in refused:
            case = world.case_in(state)
            with pytest.raises(Forbidden) as exc:
                world.step(action, case, world.user(login))
            assert exc.value.status == 403 and action in exc.value.summary(), login
            assert f"role {LOGINS[login]}" in exc.value.summary()
        with pytest.raises(Forbidden):
            world.step(action, world.case_in(state), db.session.get(type(world.user("sup")), outsider))
        allowed = ["admin", "sup"] + (["g1staff"] if t.unit_staff else [])
        for login in allowed:
            case = world.case_in(state)
            world.step(action, case, world.user(login))
            assert case.state == t.target, login


def test_unit_staff_act_only_for_the_unit_holding_the_case(app, world):
    with in_tenant(app, world.tenant):
        case = world.case_in("dispatched")
        cases.escalate(case, actor=world.user("g1staff"))  # UG1 passes it up to UC
        assert case.unit_id == world.unit["UC"]
        with pytest.raises(Forbidden):
            cases.start(case, actor=world.user("g1staff"))
        cases.start(case, actor=world.user("cstaff"))
        assert case.handler_person_id == world.person["cstaff"]
        assert cases.allowed_actions(case, world.user("cstaff")) == ["wait", "escalate", "hand_off", "resolve"]
        assert cases.allowed_actions(case, world.user("g1staff")) == []
        assert "close_special" in cases.allowed_actions(case, world.user("sup"))


def test_wait_only_for_categories_that_pause(app, world):
    with in_tenant(app, world.tenant):
        case = world.case_in("in_progress", category="core.general")
        assert "wait" not in cases.allowed_actions(case, world.user("sup"))
        with pytest.raises(Conflict) as exc:
            cases.wait(case, actor=world.user("sup"), reason="等待")
        assert "do not pause" in exc.value.summary()


def test_report_roles_and_channels(app, world):
    with in_tenant(app, world.tenant):
        for login in ("viewer", "assessor"):
            with pytest.raises(Forbidden):
                world.report(actor=world.user(login))
        with pytest.raises(Forbidden) as exc:
            cases.report_case({"category": "core.general", "grid_id": world.grid["G1"], "description": "x",
                               "reporter_kind": "staff"}, actor=None)
        assert "reporter_kind" in exc.value.errors
        public = cases.report_case({"category": "core.general", "grid_id": world.grid["G1"], "description": "路灯不亮",
                                    "reporter_kind": "resident", "source": "open311", "reporter_name": "张三",
                                    "reporter_contact": "13800000000"}, actor=None)
        assert (public.reporter_kind, public.source, public.reporter_user_id, public.state) == ("resident", "open311", None, "reported")
        staff = world.report(source="hotline_12345", source_ref="GD20261001-17")
        assert (staff.reporter_kind, staff.reporter_person_id, staff.source_ref) == ("staff", world.person["fs"], "GD20261001-17")
        first = cases.timeline(staff)[0]
        assert (first.action, first.from_state, first.to_state, first.actor_person_id) == ("report", None, "reported", world.person["fs"])


@pytest.mark.parametrize("values, field", [
    ({"colour": "red"}, "colour"),
    ({"category": "core.nope"}, "category"),
    ({"severity": "catastrophic"}, "severity"),
    ({"source": "pigeon"}, "source"),
    ({"description": "  "}, "description"),
    ({"latitude": "39.9"}, "longitude"),
    ({"latitude": "91", "longitude": "116.4"}, "latitude"),
    ({"latitude": "39.9", "longitude": "east"}, "longitude"),
    ({"grid_id": 999999}, "grid_id"),
    ({"reported_at": "2030-01-01T00:00:00+08:00"}, "at"),
    ({"reported_at": "2026-10-01T00:00:00"}, "at"),
    ({"reporter_kind": "alien"}, "reporter_kind"),
])
def test_report_refuses_bad_input_naming_the_field(app, world, values, field):
    with in_tenant(app, world.tenant):
        with pytest.raises(OperationError) as exc:
            world.report(**values)
        assert exc.value.status == 422 and field in exc.value.errors
        assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_report_with_place_and_location(app, world):
    from gridgov.models import Place

    with in_tenant(app, world.tenant):
        place = registers.create(Place, {"grid_id": world.grid["G2"], "kind": "core.generic", "code": "P1", "name": "菜市场"})
        case = cases.report_case({"category": "core.general", "place_id": place.id, "description": "垃圾堆放",
                                  "latitude": 39.9042, "longitude": "116.4074"}, actor=world.user("fs"))
        assert case.grid_id == world.grid["G2"]  # from the place
        db.session.expire(case)
        assert (str(case.latitude), str(case.longitude)) == ("39.904200", "116.407400")
        with pytest.raises(OperationError) as exc:
            world.report(place_id=place.id, grid_id=world.grid["G3"])
        assert "place_id" in exc.value.errors


def test_case_numbers_per_tenant_and_year(app, world, factory):
    other = World(app, factory, slug="town")
    with in_tenant(app, world.tenant):
        numbers = [world.report(reported_at=local(at)).number for at in
                   ("2026-03-01 09:00", "2026-03-02 09:00", "2025-12-31 23:30")]
        # 2026-01-01 00:30 in Beijing is still 2025-12-31 in UTC: the tenant's year counts
        numbers.append(world.report(reported_at="2025-12-31T16:30:00+00:00").number)
    assert numbers[:3] == ["2026-000001", "2026-000002", "2025-000001"]
    assert numbers[-1] == "2026-000003"
    with in_tenant(app, other.tenant):
        assert other.report(reported_at=local("2026-05-01 09:00")).number == "2026-000001"
        assert cases.get_case_by_number("2026-000001").tenant_id == other.tenant.id


def test_another_tenants_case_is_not_found(app, world, factory):
    other = World(app, factory, slug="town")
    with in_tenant(app, other.tenant):
        foreign = other.report()
        foreign_id, foreign_number = foreign.id, foreign.number
    with in_tenant(app, world.tenant):
        mine = world.report()
        with pytest.raises(NotFound):
            cases.get_case(foreign_id)
        assert cases.get_case_by_number(foreign_number).id == mine.id  # same number, own case
        assert [c.id for c in cases.list_cases()] == [mine.id]
        cases.accept(mine, actor=world.user("sup"))
        with pytest.raises(OperationError) as exc:  # another tenant's unit is unknown here
            cases.dispatch(mine, actor=world.user("sup"), unit_id=other.unit["UG1"])
        assert "unit_id" in exc.value.errors


def test_escalation_climbs_to_the_parent_grids_unit_and_stops_at_the_root(app, world):
    with in_tenant(app, world.tenant):
        g1 = world.user("g1staff")
        case = world.case_in("in_progress")
        cases.escalate(case, actor=g1, note="社区协调")
        assert (case.state, case.unit_id, case.escalation_count) == ("escalated", world.unit["UC"], 1)
        step = cases.timeline(case)[-1]
        assert step.extra == {"from_unit_id": world.unit["UG1"], "to_unit_id": world.unit["UC"], "grid_id": world.grid["C"]}
        cases.escalate(case, actor=world.user("cstaff"))
        assert (case.unit_id, case.escalation_count) == (world.unit["US"], 2)
        with pytest.raises(Conflict) as exc:
            cases.escalate(case, actor=world.user("sstaff"))
        assert exc.value.status == 409 and "root of the grid tree" in exc.value.summary()
        assert case.unit_id == world.unit["US"]


def test_escalation_skips_a_grid_without_unit_and_asks_when_several(app, world):
    with in_tenant(app, world.tenant):
        sup = world.user("sup")
        case = world.report(grid_id=world.grid["G3"])
        cases.accept(case, actor=sup)
        cases.dispatch(case, actor=sup)  # the unit attached to G3
        assert case.unit_id == world.unit["UG3"]
        second = registers.create(Unit, {"code": "US2", "name": "综治中心", "grid_id": world.grid["S"]})
        with pytest.raises(OperationError) as exc:  # C2 has no unit; S has two
            cases.escalate(case, actor=sup)
        assert "several units" in exc.value.summary() and exc.value.status == 422
        cases.escalate(case, actor=sup, unit_id=second.id)
        assert case.unit_id == second.id


def test_escalation_from_a_unit_without_grid_starts_at_the_cases_grid(app, world):
    with in_tenant(app, world.tenant):
        sup = world.user("sup")
        case = world.case_in("dispatched")
        cases.hand_off(case, actor=sup, to_unit_id=world.unit["D"], reason="属城管科职责")
        cases.escalate(case, actor=sup)
        assert case.unit_id == world.unit["UC"]


def test_escalation_with_no_unit_above(app, world):
    with in_tenant(app, world.tenant):
        sup = world.user("sup")
        case = world.case_in("dispatched")
        for code in ("US", "UC"):
            registers.update(db.session.get(Unit, world.unit[code]), {"grid_id": None})
        with pytest.raises(Conflict) as exc:
            cases.escalate(case, actor=sup)
        assert "no unit is attached to any grid above" in exc.value.summary()


def test_dispatch_picks_the_unit_of_the_grid_or_of_the_categorys_kind(app, factory):
    world = World(app, factory, slug="fireside", plugins=["fire"])
    with in_tenant(app, world.tenant):
        sup = world.user("sup")
        case = world.case_in("accepted")
        cases.dispatch(case, actor=sup, unit_id=None)
        assert case.unit_id == world.unit["UG1"]  # the unit attached to the case's grid
        hazard = world.case_in("accepted", category="fire.hazard")
        with pytest.raises(OperationError) as exc:  # the brigade is attached to no grid
            cases.dispatch(hazard, actor=sup)
        assert "fire_brigade" in exc.value.summary()
        registers.update(db.session.get(Unit, world.unit["B"]), {"grid_id": world.grid["S"]})
        cases.dispatch(hazard, actor=sup)
        assert hazard.unit_id == world.unit["B"]


def test_hand_off_keeps_a_written_record(app, world, factory):
    other = World(app, factory, slug="town")
    with in_tenant(app, world.tenant):
        g1 = world.user("g1staff")
        case = world.case_in("in_progress")
        letter = save_attachment("case", case.id, "交办函.pdf", io.BytesIO(b"%PDF-1.4 scanned letter")).id
        elsewhere = save_attachment("case", world.case_in("reported").id, "x.pdf", io.BytesIO(b"%PDF-1.4 other")).id
        record = cases.hand_off(case, actor=g1, to_unit_id=world.unit["B"], reason="重大火灾隐患，派出所无法当即整改",
                                letter_number="大公消移〔2026〕12号", letter_text="经检查……特移交你队处理。", attachment_ids=[letter])
        assert (case.state, case.unit_id, case.handoff_count, case.handler_person_id) == ("handed_off", world.unit["B"], 1, None)
        stored = cases.handoffs(case)
        assert stored == [record]
        assert (record.from_unit_id, record.to_unit_id, record.letter_number, record.attachment_ids, record.created_by_id) == \
            (world.unit["UG1"], world.unit["B"], "大公消移〔2026〕12号", [letter], g1.id)
        assert db.session.get(CaseTransition, record.transition_id).action == "hand_off"
        assert db.session.scalar(select(func.count()).select_from(HandOff)) == 1
        sup = world.user("sup")
        for kwargs, field in (({"to_unit_id": world.unit["B"], "reason": "x"}, "to_unit_id"),
                              ({"to_unit_id": world.unit["D"], "reason": " "}, "reason"),
                              ({"to_unit_id": other.unit["B"], "reason": "x"}, "to_unit_id"),
                              ({"to_unit_id": world.unit["D"], "reason": "x", "attachment_ids": ["a"]}, "attachment_ids"),
                              ({"to_unit_id": world.unit["D"], "reason": "x", "attachment_ids": [elsewhere]}, "attachment_ids")):
            with pytest.raises(OperationError) as exc:
                cases.hand_off(case, actor=sup, **kwargs)
            assert exc.value.status == 422 and field in exc.value.errors
        assert case.unit_id == world.unit["B"] and len(cases.handoffs(case)) == 1


def test_reopen_after_failed_verification_and_after_closure(app, world):
    with in_tenant(app, world.tenant):
        sup = world.user("sup")
        case = world.case_in("resolved")
        with pytest.raises(OperationError):  # a failed verification names its reason
            cases.verify(case, actor=sup, passed=False)
        cases.verify(case, actor=sup, passed=False, note="现场仍有占道")
        assert (case.state, case.reopen_count, case.resolved_at) == ("reopened", 1, None)
        assert cases.timeline(case)[-1].action == "reopen"
        for action in ("start", "resolve", "verify", "close"):
            world.step(action, case, sup)
        assert case.closure_type == "normal" and case.handling_seconds is not None
        cases.reopen(case, actor=sup, reason="群众投诉复发")
        assert (case.state, case.reopen_count, case.closed_at, case.closure_type, case.handling_seconds) == \
            ("reopened", 2, None, None, None)


def test_steps_entered_late_keep_their_order(app, world):
    with in_tenant(app, world.tenant):
        sup = world.user("sup")
        case = world.report(reported_at=local("2026-10-09 09:00"))
        with pytest.raises(OperationError) as exc:
            cases.accept(case, actor=sup, at=local("2026-10-09 08:00"))
        assert "at" in exc.value.errors
        cases.accept(case, actor=sup, at="2026-10-09T10:00:00+08:00")
        assert case.accepted_at == local("2026-10-09 10:00")


def test_a_concurrent_change_is_a_conflict(app, world):
    with in_tenant(app, world.tenant):
        case_id = world.report().id
    with app.app_context(), tenant_scope(world.tenant.id):
        case = cases.get_case(case_id)
        db.session.execute(Case.__table__.update().where(Case.id == case_id).values(version=Case.version + 1))
        with pytest.raises(Conflict) as exc:
            cases.accept(case, actor=world.user("sup"))
        assert "changed by someone else" in exc.value.summary()
        db.session.rollback()


def test_queues_and_listing(app, world):
    with in_tenant(app, world.tenant):
        a = world.case_in("dispatched")
        b = world.case_in("escalated")
        world.case_in("reported")
        assert [c.id for c in cases.list_cases(unit_id=world.unit["UG1"])] == [a.id]
        assert [c.id for c in cases.list_cases(unit_id=world.unit["UC"], states=["escalated"])] == [b.id]
        assert len(cases.list_cases(limit=2)) == 2
        assert [c.id for c in cases.list_cases(before_id=b.id)] == [a.id]
        from gridgov.operations.grids import get_grid

        assert len(cases.list_cases(grid=get_grid(world.grid["C"]))) == 3
        assert cases.list_cases(grid=get_grid(world.grid["C2"])) == []


# -- the hook and the registry ------------------------------------------------------------------

def _registry_with(categories):
    class Scheme:
        @hookimpl
        def gridgov_plugin_info(self):
            return PluginInfo("方案", "Scheme", "1")

        @hookimpl
        def gridgov_case_categories(self):
            return categories

    return Registry(build_plugin_manager(autoload=False, extra=[("scheme", Scheme())]))


ALL = ("normal", "serious", "major", "urgent")


def test_categories_are_namespaced_and_per_tenant(app):
    days = {s: Deadline(2, "working_days") for s in ALL}
    registry = _registry_with([CaseCategory("leak", "漏水", "Leak", {"accept": days, "resolve": days})])
    assert registry.case_categories["scheme.leak"].plugin == "scheme"
    assert set(registry.case_categories) == {"core.general", "core.dispute", "scheme.leak"}

    class T:
        enabled_plugins: list = []
    assert set(registry.for_tenant(T()).case_categories) == {"core.general", "core.dispute"}
    T.enabled_plugins = ["scheme"]
    assert "scheme.leak" in registry.for_tenant(T()).case_categories


@pytest.mark.parametrize("deadlines, reason", [
    ({"accept": {s: Deadline(1, "hours") for s in ALL}}, "no 'resolve' deadlines"),
    ({"accept": {s: Deadline(1, "hours") for s in ALL}, "resolve": {"normal": Deadline(1, "hours")}}, "exactly the severities"),
    ({"accept": {s: Deadline(1, "hours") for s in ALL}, "resolve": {s: Deadline(0, "hours") for s in ALL}}, "amount >= 1"),
    ({"accept": {s: Deadline(1, "weeks") for s in ALL}, "resolve": {s: Deadline(1, "hours") for s in ALL}}, "unit in"),
    ({"accept": {s: Deadline(1, "hours") for s in ALL}, "resolve": {s: Deadline(1, "hours") for s in ALL},
      "verify": {s: Deadline(1, "hours") for s in ALL}}, "unknown deadline stage"),
])
def test_malformed_deadline_tables_are_refused_at_start_up(deadlines, reason):
    with pytest.raises(PluginError) as exc:
        _registry_with([CaseCategory("bad", "坏", "Bad", deadlines)])
    assert reason in str(exc.value)


def test_a_category_in_another_namespace_is_refused():
    days = {s: Deadline(1, "hours") for s in ALL}
    with pytest.raises(PluginError):
        _registry_with([CaseCategory("core.general", "冒充", "Impostor", {"accept": days, "resolve": days})])


def test_numbers_stay_unique_under_concurrent_reports(app, world):
    """Four sessions report at once, the first report of a year included: no number twice, none
    skipped (the counter row's lock serialises them)."""
    import threading

    numbers, errors = [], []
    barrier = threading.Barrier(4)

    def reporter():
        try:
            with app.app_context(), tenant_scope(world.tenant.id):
                barrier.wait()
                for _ in range(5):
                    numbers.append(world.report(reported_at=local("2026-06-01 09:00")).number)
                    db.session.commit()
        except Exception as exc:  # reported below: a thread's exception would be lost
            errors.append(exc)

    threads = [threading.Thread(target=reporter) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == [f"2026-{i:06d}" for i in range(1, 21)]
