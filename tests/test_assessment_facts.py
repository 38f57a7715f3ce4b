"""Facts counted in SQL for each subject kind (person, grid, unit) and attribution, local days
at midnight, payload conditions, case evidence; person sheets with money-only lines and their
default subjects (roles, sheet_override, assignment spans)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from assessment_support import NOVEMBER, TZ, AssessPlugin, World, at, weekdays
from sqlalchemy import select

from gridgov.assessment import Facts
from gridgov.assessment import operations as runs
from gridgov.extensions import db
from gridgov.jobs import inprocess
from gridgov.models import Case, Unit
from gridgov.models.assessment import AssessmentResult
from gridgov.operations.tenants import registry
from gridgov.plugins import Sheet, SheetItem

FIRST_HALF = weekdays(NOVEMBER, dt.date(2026, 11, 16))  # ten working days


@pytest.fixture
def app_config(app_config):
    return {**app_config, "GRIDGOV_EXTRA_PLUGINS": [("assesstest", AssessPlugin())]}


@pytest.fixture
def world(app, factory):
    w = World(app, factory)
    with w.scope():
        w._staff("cdir", "C")
        w._staff("over", "B", role="core.grid_worker", sheet_override="assesstest.person_month")
        w._staff("elsewhere", "B", sheet_override="assesstest.grid_month")
        w._staff("gone", "B", ends_on=dt.date(2026, 10, 31))
    yield w
    inprocess.runner_for(app).wait(timeout=30)


def local(day: dt.date, hour: int, minute: int = 0) -> str:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ).isoformat()


def test_person_sheet_money_lines_default_subjects_and_case_evidence(world):
    # patrols at 00:30 local time: the previous day in UTC, still this day locally
    world.events([{"type": "assesstest.patrol", "grid_id": world.grids["A1"], "occurred_at": local(d, 0, 30),
                   "payload": {"minutes": 60}} for d in FIRST_HALF])
    me = world.people["dirA"]
    report = {"type": "assesstest.report", "grid_id": world.grids["A"], "actor_person_id": me}
    accepted = world.events([{**report, "occurred_at": at(d), "payload": {"accepted": True}} for d in FIRST_HALF[:3]])
    world.events([{**report, "occurred_at": at(FIRST_HALF[4]), "payload": {"accepted": False}},
                  {**report, "occurred_at": at(dt.date(2026, 11, 16)), "payload": {"accepted": True}}])
    with world.scope() as session:
        due = dt.datetime(2026, 11, 5, 17, tzinfo=TZ)
        late = Case(number="2026-000001", category="core.general", grid_id=world.grids["A1"], description="积水",
                    resolve_due_at=due)
        session.add_all([late,
                         Case(number="2026-000002", category="core.general", grid_id=world.grids["A1"], description="噪音",
                              resolve_due_at=due, resolved_at=due - dt.timedelta(days=1)),
                         Case(number="2026-000003", category="core.general", grid_id=world.grids["A1"], description="占道",
                              resolve_due_at=due + dt.timedelta(days=20))])
        session.flush()
        late_id = late.id
        run_id = runs.create_run(sheet="assesstest.person_month", period_start="2026-11-01", user=world.user("judge")).id
        runs.compute(runs.get_run(run_id), world.user("judge"))
    assert inprocess.runner_for(world.app).wait(timeout=30)
    names = {v: k for k, v in world.people.items()}
    with world.scope():
        run = runs.get_run(run_id)
        assert (run.state, run.period_end) == ("computed", dt.date(2026, 11, 16))
        rows = {r.subject_id: r for r in db.session.scalars(select(AssessmentResult).where(AssessmentResult.run_id == run_id))}
        assert {names[s] for s in rows} == {"near", "below", "dirA", "cdir", "over"}
        mine = rows[me]
        reports, missed, cases, conduct = mine.items
        assert (reports["points"], reports["money"], reports["evidence"]["event_ids"]) == (None, "30.00", sorted(accepted))
        assert (missed["money"], missed["evidence"]["note"]) == ("0.00", "")
        assert (cases["points"], cases["evidence"]["case_ids"]) == ("9", [late_id])
        assert (conduct["points"], conduct["evidence"]["judged"]) == ("0", None)
        assert (mine.money, mine.total) == (Decimal("30.00"), Decimal(9))
        cdir = rows[world.people["cdir"]]
        assert (cdir.money, cdir.items[1]["money"], cdir.total) == (Decimal("-500.00"), "-500.00", Decimal(10))
        assert cdir.items[1]["evidence"]["note"].startswith("2026-11-02, 2026-11-03")
        assert rows[world.people["near"]].items[2]["evidence"]["case_ids"] == [late_id]  # S contains A1
        assert rows[world.people["over"]].items[2]["evidence"]["case_ids"] == []


UNIT_SHEET = Sheet("u", "单位", "Unit", "unit", "month", items=(SheetItem("a", "甲", "A"),), score=lambda f: {},
                   plugin="assesstest")


def test_unit_subjects_count_their_attached_grid_subtree_or_the_events_naming_them(world):
    with world.scope() as session:
        office = Unit(code="UA", name="社区A办公室", kind="community", grid_id=world.grids["A"])
        loose = Unit(code="UX", name="科室", kind="department")
        session.add_all([office, loose])
        session.flush()
        ids = {"office": office.id, "loose": loose.id}
    world.events([{"type": "assesstest.honour", "grid_id": world.grids[g], "occurred_at": at(FIRST_HALF[0])}
                  for g in ("A1", "A", "B")]
                 + [{"type": "assesstest.honour", "grid_id": world.grids["B"], "subject_unit_id": ids["loose"],
                     "occurred_at": at(FIRST_HALF[1])}])
    with world.scope():
        facts = Facts(UNIT_SHEET, NOVEMBER, dt.date(2026, 12, 1), {ids["office"]: "o", ids["loose"]: "l"}, {},
                      ZoneInfo("Asia/Shanghai"))
        in_grid = facts.count("assesstest.honour", by="grid")
        naming = facts.count("assesstest.honour")
        assert (in_grid[ids["office"]].count, in_grid[ids["loose"]].count) == (2, 0)
        assert (naming[ids["office"]].count, naming[ids["loose"]].count) == (0, 1)
        with pytest.raises(ValueError, match="actor"):
            facts.count("assesstest.honour", by="actor")
        with pytest.raises(ValueError, match="operator"):
            facts.count("assesstest.honour", payload={"note": ("~", "x")})
        assert [entry[0] for entry in facts.log] == ["count", "count"]


def test_daily_counts_follow_local_midnight_and_string_payload_conditions(world):
    day = FIRST_HALF[0]
    world.events([{"type": "assesstest.honour", "grid_id": world.grids["A"], "occurred_at": local(day, h, m),
                   "payload": {"note": note}}
                  for h, m, note in [(0, 0, "x"), (23, 59, "x"), (7, 59, "y")]]
                 + [{"type": "assesstest.honour", "grid_id": world.grids["A"],
                     "occurred_at": local(day + dt.timedelta(days=1), 0, 0), "payload": {"note": "x"}}])
    with world.scope():
        grid_sheet = registry().sheets["assesstest.grid_month"]
        facts = Facts(grid_sheet, NOVEMBER, dt.date(2026, 12, 1), {world.grids["A"]: "A"}, {}, ZoneInfo("Asia/Shanghai"))
        tally = facts.count("assesstest.honour", daily=True)[world.grids["A"]]
        assert (tally.count, dict(tally.by_day)) == (4, {day: 3, day + dt.timedelta(days=1): 1})
        only_x = facts.count("assesstest.honour", daily=True, payload={"note": "x"})[world.grids["A"]]
        assert dict(only_x.by_day) == {day: 2, day + dt.timedelta(days=1): 1}
        not_x = facts.count("assesstest.honour", payload={"note": ("!=", "x")})[world.grids["A"]]
        assert not_x.count == 1


def grid_facts(world, start: dt.date, end: dt.date) -> Facts:
    sheet = registry().sheets["assesstest.grid_month"]
    return Facts(sheet, start, end, {world.grids[g]: g for g in "ABC"}, {}, ZoneInfo("Asia/Shanghai"))


def test_weeks_belong_to_the_period_holding_their_thursday(world):
    with world.scope():
        november = grid_facts(world, NOVEMBER, dt.date(2026, 12, 1)).weeks()
        october = grid_facts(world, dt.date(2026, 10, 1), NOVEMBER).weeks()
    assert november == [(dt.date(2026, 11, d), dt.date(2026, 11, d + 6)) for d in (2, 9, 16, 23)]
    assert october[0] == (dt.date(2026, 9, 28), dt.date(2026, 10, 4)) and october[-1] == (dt.date(2026, 10, 26), NOVEMBER)
    assert len(october) == 5


def test_weekly_counts_span_the_whole_weeks_and_members_are_counted_as_people(world):
    world.events([{"type": "assesstest.honour", "grid_id": world.grids["A"], "occurred_at": at(d)}
                  for d in (dt.date(2026, 9, 28), dt.date(2026, 10, 15), NOVEMBER, dt.date(2026, 11, 2))])
    dir_a = world.people["dirA"]
    world.events([{"type": "assesstest.report", "grid_id": world.grids["B"], "actor_person_id": dir_a,
                   "occurred_at": at(dt.date(2026, 10, 20)), "payload": {"accepted": True}}])
    with world.scope():
        facts = grid_facts(world, dt.date(2026, 10, 1), NOVEMBER)
        a = world.grids["A"]
        assert facts.count("assesstest.honour")[a].count == 1
        weekly = facts.count("assesstest.honour", span="weeks", daily=True)[a]
        assert (weekly.count, list(weekly.by_day)) == (3, [dt.date(2026, 9, 28), dt.date(2026, 10, 15), NOVEMBER])
        assert facts.members(a) == [dir_a]
        b_members = facts.members(world.grids["B"])
        assert b_members == sorted(world.people[p] for p in ("over", "elsewhere", "gone"))  # gone left on 31 October
        assert facts.members(world.grids["B"], roles=["core.grid_worker"]) == [world.people["over"]]
        reports = facts.count("assesstest.report", by="actor", people=[dir_a, world.people["over"]])
        assert (reports[dir_a].count, reports[world.people["over"]].count) == (1, 0)
        in_grids = facts.count("assesstest.honour", by="grid", people=[dir_a])  # A's subtree, dirA's grid
        assert in_grids[dir_a].count == 1
    with world.scope():
        november = grid_facts(world, NOVEMBER, dt.date(2026, 12, 1))
        assert world.people["gone"] not in november.members(world.grids["B"])
