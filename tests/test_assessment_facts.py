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

from gridgov import hookimpl, workdays
from gridgov.assessment import Disposal, Facts, ItemScore, Register, SubjectScore, judging
from gridgov.assessment import operations as runs
from gridgov.extensions import db
from gridgov.jobs import inprocess
from gridgov.models import Assignment, Case, Event, Place, Unit
from gridgov.models.assessment import AssessmentResult
from gridgov.operations.tenants import registry
from gridgov.operations.errors import OperationError
from gridgov.plugins import PluginError, Sheet, SheetItem, _check_sheet

FIRST_HALF = weekdays(NOVEMBER, dt.date(2026, 11, 16))  # ten working days


def score_quarter(facts):
    monthly = facts.judged_months("monthly")
    return {sid: SubjectScore(items=[ItemScore("monthly", sum((e[sid].points for e in monthly.values() if sid in e),
                                                              Decimal(0)))]) for sid in facts.subjects}


# a quarterly sheet with an item judged each month (judged_per="month")
GRID_QUARTER = Sheet("grid_quarter", "社区季度考核", "Community quarterly assessment", "grid", "quarter",
                     items=(SheetItem("monthly", "月度评分", "Monthly judgement", Decimal(10), kind="judged",
                                      judged_per="month"),
                            SheetItem("quarterly", "季度评分", "Quarterly judgement", Decimal(10), kind="judged")),
                     score=score_quarter, grid_levels=(1,))


class QuarterPlugin(AssessPlugin):
    @hookimpl
    def gridgov_assessment_sheets(self):
        return [*super().gridgov_assessment_sheets(), GRID_QUARTER]


@pytest.fixture
def app_config(app_config):
    return {**app_config, "GRIDGOV_EXTRA_PLUGINS": [("assesstest", QuarterPlugin())]}


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


# -- sums, half-days, working-day windows, satisfaction, members, registers -------------------


def raw_events(world, rows: list[tuple[str, str, dict]]) -> list[int]:
    """Events stored as they are (type, ISO time, payload) in grid A1: payloads no plugin schema
    has normalised, such as Decimal strings beside JSON numbers."""
    with world.scope() as session:
        events = [Event(type=type_, occurred_at=dt.datetime.fromisoformat(when), grid_id=world.grids["A1"],
                        payload=payload) for type_, when, payload in rows]
        session.add_all(events)
        session.flush()
        return [e.id for e in events]


def test_sum_adds_decimal_strings_and_numbers_exactly_per_day_and_counts_an_event_once(world):
    day, next_day = FIRST_HALF[0], FIRST_HALF[1]
    ids = raw_events(world, [("assesstest.fee", local(day, 9), {"amount": "12.50", "kind": "fee"}),
                             ("assesstest.fee", local(day, 10), {"amount": 7.25, "kind": "fee"}),
                             ("assesstest.fee", local(next_day, 0, 0), {"amount": "0.1", "kind": "fee"}),
                             ("assesstest.fee", local(next_day, 1), {"amount": "0.2", "kind": "fee"}),
                             ("assesstest.fee", local(next_day, 23, 59), {"amount": "-0.05", "kind": "fee"}),
                             ("assesstest.fee", local(next_day, 9), {"note": "no amount", "kind": "fee"}),
                             ("assesstest.fee", local(next_day, 9), {"amount": "100", "kind": "other"})])
    dir_a = world.people["dirA"]
    with world.scope() as session:
        # dirA now answers for A and for A1 below it: an event in A1 reaches them twice
        session.add(Assignment(person_id=dir_a, role="core.grid_leader", grid_id=world.grids["A1"],
                               starts_on=dt.date(2026, 1, 1)))
        session.flush()
        facts = grid_facts(world, NOVEMBER, dt.date(2026, 12, 1))
        a, b = world.grids["A"], world.grids["B"]
        totals = facts.sum("assesstest.fee", "amount", by="grid", daily=True, payload={"kind": ("!=", "other")})
        assert totals[a].amount == Decimal("20") and isinstance(totals[a].amount, Decimal)
        assert (totals[a].count, totals[a].event_ids) == (5, tuple(ids[:5]))
        assert dict(totals[a].by_day) == {day: Decimal("19.75"), next_day: Decimal("0.25")}
        assert (totals[b].amount, totals[b].count, totals[b].event_ids, dict(totals[b].by_day)) == (0, 0, (), {})
        everything = facts.sum(["assesstest.fee"], "amount", by="grid")[a]
        assert (everything.amount, everything.count) == (Decimal("120"), 6)
        person = facts.sum("assesstest.fee", "amount", by="grid", people=[dir_a])[dir_a]
        assert (person.amount, person.count) == (Decimal("120"), 6)  # once, not twice
        single = facts.sum("assesstest.fee", "amount", by="grid", people=[world.people["below"]])  # A1 alone
        assert (single[world.people["below"]].amount, single[world.people["below"]].count) == (Decimal("120"), 6)
        assert [e[0] for e in facts.log] == ["sum", "sum", "sum", "sum"]
        assert facts.log[0][-1][str(a)][0] == "20"


def test_half_days_split_at_local_noon_in_shanghai_and_across_a_daylight_saving_change(world):
    day = FIRST_HALF[2]
    world.events([{"type": "assesstest.honour", "grid_id": world.grids["A"], "occurred_at": local(day, h, m)}
                  for h, m in [(0, 0), (11, 59), (12, 0), (23, 59)]])
    berlin = ZoneInfo("Europe/Berlin")  # summer time ends on 25 October 2026 at 03:00
    sunday, saturday = dt.date(2026, 10, 25), dt.date(2026, 10, 24)
    world.events([{"type": "assesstest.complaint", "grid_id": world.grids["B"],
                   "occurred_at": dt.datetime.combine(d, dt.time(h, m), tzinfo=berlin).isoformat()}
                  for d, h, m in [(saturday, 11, 59), (saturday, 12, 0), (sunday, 11, 59), (sunday, 12, 0)]])
    with world.scope():
        facts = grid_facts(world, NOVEMBER, dt.date(2026, 12, 1))
        tally = facts.count("assesstest.honour", half_days=True)[world.grids["A"]]
        assert dict(tally.by_half_day) == {(day, "am"): 2, (day, "pm"): 2}
        assert (tally.count, dict(tally.by_day)) == (4, {day: 4})
        plain = facts.count("assesstest.honour", daily=True)[world.grids["A"]]
        assert dict(plain.by_half_day) == {}
        sheet = registry().sheets["assesstest.grid_month"]
        october = Facts(sheet, dt.date(2026, 10, 1), NOVEMBER, {world.grids["B"]: "B"}, {}, berlin)
        halves = october.count("assesstest.complaint", half_days=True)[world.grids["B"]].by_half_day
        assert dict(halves) == {(saturday, "am"): 1, (saturday, "pm"): 1, (sunday, "am"): 1, (sunday, "pm"): 1}
        assert october.log[-1][-1] == "half_days"


def test_working_days_of_any_window(world):
    with world.scope():
        facts = grid_facts(world, dt.date(2026, 10, 1), NOVEMBER)
        period = facts.working_days()
        around = facts.working_days(dt.date(2026, 9, 28), dt.date(2026, 11, 2))
        assert around == workdays.working_days_in(dt.date(2026, 9, 28), NOVEMBER)
        assert dt.date(2026, 9, 29) in around and dt.date(2026, 9, 29) not in period
        assert dt.date(2026, 10, 18) not in around  # a Sunday
        assert dt.date(2026, 11, 2) not in around  # the end is excluded
        assert set(period) < set(around)
        assert facts.working_days(end=dt.date(2026, 10, 1)) == []
        assert facts.log[1] == ["working_days", "2026-09-28", "2026-11-02", [d.isoformat() for d in around]]


def test_satisfaction_counts_sampled_households_and_nothing_sampled_is_nothing_due(world):
    from gridgov.surveys import operations as survey_ops
    from gridgov.surveys import satisfaction_rate

    with world.scope() as session:
        today = survey_ops.local_today()
        survey = survey_ops.create_survey(title="测评", grid_id=world.grids["A"], starts_on=today, ends_on=today,
                                          per_grid=5)
        tokens = [plain for _, _, _, plain in survey_ops.links(survey)]
        answers = ["satisfied", "satisfied", "basically_satisfied", "dissatisfied"]  # the fifth never answers
        votes = [survey_ops.cast_vote(survey_ops.find_token(plain), choice).id for plain, choice in zip(tokens, answers)]
        other = survey_ops.create_survey(title="另一题", grid_id=world.grids["C"], starts_on=today, ends_on=today,
                                         per_grid=1, question="您对物业是否满意？")
        office = Unit(code="UA", name="社区A办公室", kind="community", grid_id=world.grids["A"])
        session.add(office)
        session.flush()
        first = today.replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        facts = grid_facts(world, first, following)
        a = facts.satisfaction(grid=world.grids["A"])
        assert (a.sampled, a.answered, a.satisfied, a.basically_satisfied, a.dissatisfied) == (5, 4, 2, 1, 1)
        assert len(tokens) == satisfaction_rate(world.grids["A"], first, following).sampled == 5
        assert (a.rate, a.nothing_due, a.vote_ids, a.ratio.percent) == (Decimal("0.4"), False, tuple(sorted(votes)),
                                                                         Decimal("40.00"))
        b = facts.satisfaction(grid=world.grids["B"])
        assert (b.sampled, b.rate, b.nothing_due, b.vote_ids) == (0, Decimal(1), True, ())
        assert facts.satisfaction(unit=office.id) == a
        assert facts.satisfaction().sampled == 5 + len(survey_ops.links(other))
        assert facts.satisfaction(question="您对物业是否满意？").sampled == len(survey_ops.links(other))
        by_subject = facts.satisfaction_by_subject()
        assert by_subject == {world.grids["A"]: a, world.grids["B"]: b,
                              world.grids["C"]: facts.satisfaction(grid=world.grids["C"])}
        assert by_subject[world.grids["C"]].answered == 0 and by_subject[world.grids["C"]].rate == 0
        last_month = grid_facts(world, (first - dt.timedelta(days=1)).replace(day=1), first)
        assert last_month.satisfaction(grid=world.grids["A"]).nothing_due  # the survey closes this month
        assert [e[0] for e in facts.log][:2] == ["satisfaction", "satisfaction"]


def test_members_of_any_kind_in_one_query_and_attached_units(world):
    with world.scope() as session:
        office = Unit(code="UA", name="社区A办公室", kind="department", grid_id=world.grids["A"])
        other = Unit(code="UB", name="社区B办公室", kind="community", grid_id=world.grids["A"])
        session.add_all([office, other])
        session.flush()
        session.add_all([Assignment(person_id=world.people["over"], role="core.grid_worker", unit_id=office.id,
                                    starts_on=dt.date(2026, 1, 1)),
                         Assignment(person_id=world.people["cdir"], role="core.grid_leader", unit_id=office.id,
                                    starts_on=dt.date(2026, 1, 1))])
        session.flush()
        facts = grid_facts(world, NOVEMBER, dt.date(2026, 12, 1))
        assert facts.members(office.id, kind="unit") == sorted([world.people["over"], world.people["cdir"]])
        assert facts.members(office.id, ["core.grid_worker"], kind="unit") == [world.people["over"]]
        assert facts.members(world.people["cdir"], kind="person") == [world.people["cdir"]]
        grids = facts.members_by_subject()
        assert grids[world.grids["A"]] == [world.people["dirA"]] and grids[world.grids["C"]] == [world.people["cdir"]]
        units = facts.attached_units()
        assert units == {world.grids["A"]: sorted([office.id, other.id]), world.grids["B"]: [], world.grids["C"]: []}
        assert facts.attached_units(["department"])[world.grids["A"]] == [office.id]
        names = facts.person_names([world.people["over"]])
        assert names == {world.people["over"]: "人员over"}
        with pytest.raises(ValueError, match="kind"):
            facts.members(1, kind="street")
        assert [e[0] for e in facts.log] == ["members"] * 4 + ["attached_units"] * 2 + ["person_names"]


def test_places_counts_registers_per_subject_subtree_with_attribute_conditions(world):
    with world.scope() as session:
        rows = [("A1", "s1", {"licence_due": True, "area": 30}), ("A", "s2", {"licence_due": False, "area": 120}),
                ("A1", "s3", {"licence_due": True, "area": "80.5"}), ("B", "s4", {"licence_due": True})]
        places = [Place(grid_id=world.grids[g], kind="assesstest.shop", code=code, name=code, attributes=attrs)
                  for g, code, attrs in rows]
        places.append(Place(grid_id=world.grids["A1"], kind="assesstest.house", code="h1", name="h1", attributes={}))
        session.add_all(places)
        session.flush()
        ids = [p.id for p in places]
        facts = grid_facts(world, NOVEMBER, dt.date(2026, 12, 1))
        a, b, c = (world.grids[g] for g in "ABC")
        shops = facts.places("assesstest.shop")
        assert (shops[a].count, shops[a].place_ids, shops[b].count, shops[c]) == (3, tuple(ids[:3]), 1, Register())
        due = facts.places(["assesstest.shop"], attributes={"licence_due": True})
        assert (due[a].place_ids, due[b].count) == ((ids[0], ids[2]), 1)
        big = facts.places("assesstest.shop", attributes={"area": (">=", 80)})
        assert big[a].place_ids == (ids[1], ids[2])
        one = facts.places(["assesstest.shop", "assesstest.house"], grid=world.grids["A1"])
        assert one == {world.grids["A1"]: Register(3, (ids[0], ids[2], ids[4]))}
        assert [e[0] for e in facts.log] == ["places"] * 4


def test_an_item_judged_monthly_inside_a_quarter(world):
    a, b = world.grids["A"], world.grids["B"]
    with world.scope():
        judge = world.user("judge")

        def enter(start, points, item="monthly", subject=a):
            return judging.enter_judgement(sheet="assesstest.grid_quarter", period_start=start, item=item,
                                           subject_id=subject, points=points, reason="月度评价", user=judge)

        enter("2026-10-01", "8")
        enter("2026-11-01", "6")
        newer = enter("2026-11-01", "7")  # a newer entry replaces the month's
        enter("2026-11-01", "5", subject=b)
        enter("2026-10-01", "9", item="quarterly")
        with pytest.raises(OperationError) as month_err:
            enter("2026-11-15", "5")
        assert "period_start" in month_err.value.errors
        with pytest.raises(OperationError) as quarter_err:
            enter("2026-11-01", "5", item="quarterly")  # judged for the quarter: its first day only
        assert "period_start" in quarter_err.value.errors
        sheet = registry().sheets["assesstest.grid_quarter"]
        facts = Facts(sheet, dt.date(2026, 10, 1), dt.date(2027, 1, 1), {a: "A", b: "B"}, {}, TZ)
        months = facts.judged_months("monthly")
        assert list(months) == [dt.date(2026, 10, 1), NOVEMBER, dt.date(2026, 12, 1)]
        assert {m: {s: e.points for s, e in v.items()} for m, v in months.items()} == {
            dt.date(2026, 10, 1): {a: 8}, NOVEMBER: {a: 7, b: 5}, dt.date(2026, 12, 1): {}}
        assert months[NOVEMBER][a].id == newer.id
        assert facts.judged("monthly", period_start=NOVEMBER)[a].points == 7
        assert facts.judged("quarterly")[a].points == 9 and facts.judged("monthly") == {a: months[dt.date(2026, 10, 1)][a]}
        for bad in (SheetItem("x", "x", "x", Decimal(5), kind="judged", judged_per="week"),
                    SheetItem("x", "x", "x", Decimal(5), judged_per="month")):
            with pytest.raises(PluginError, match="judged_per"):
                _check_sheet("assesstest", Sheet("q", "q", "q", "grid", "quarter", items=(bad,), score=score_quarter))
        with pytest.raises(PluginError, match="judged_per"):
            _check_sheet("assesstest", Sheet("m", "m", "m", "grid", "month", items=(GRID_QUARTER.items[0],),
                                             score=score_quarter))


def test_disposal_by_subject_matches_case_metrics_in_one_query(world):
    due = dt.datetime(2026, 11, 5, 17, tzinfo=TZ)
    with world.scope() as session:
        cases = [Case(number=f"2026-00010{n}", category="core.general", grid_id=world.grids[g], description="事项",
                      resolve_due_at=due + dt.timedelta(days=shift), resolved_at=resolved)
                 for n, (g, shift, resolved) in enumerate([
                     ("A1", 0, None),                                   # never resolved
                     ("A1", 0, due - dt.timedelta(hours=1)),            # on time
                     ("A", 0, due + dt.timedelta(days=2)),              # late, inside the period
                     ("A", 0, dt.datetime(2026, 12, 3, tzinfo=TZ)),     # resolved after the period
                     ("B", 30, None)])]                                  # due after the period
        session.add_all(cases)
        session.flush()
        ids = [c.id for c in cases]
        facts = grid_facts(world, NOVEMBER, dt.date(2026, 12, 1))
        found = facts.disposal_by_subject()
        a, b = world.grids["A"], world.grids["B"]
        assert (found[a].due, found[a].disposed, found[a].disposed_on_time) == (4, 2, 1)
        assert found[a].late_case_ids == (ids[0], ids[2], ids[3])
        assert found[b] == Disposal() and found[b].on_time_disposal_rate.nothing_due
        metrics = facts.case_metrics(grid=a)
        assert found[a].on_time_disposal_rate == metrics.on_time_disposal_rate
        assert found[a].disposal_rate == metrics.disposal_rate
        assert facts.log[0][0] == "disposal_by_subject"
        with pytest.raises(ValueError):
            facts.disposal_by_subject(by="unit")


def test_count_by_a_payload_field_equals_one_count_per_value_in_one_query(world):
    day, next_day = FIRST_HALF[0], FIRST_HALF[1]
    rows = [("A1", local(day, 9), {"level": "national"}), ("A1", local(day, 15), {"level": "national"}),
            ("A", local(next_day, 0, 0), {"level": "county"}), ("B", local(day, 10), {"level": "county"}),
            ("A1", local(day, 11), {"level": "other"}), ("A", local(day, 11), {"note": "no level"}),
            ("C", local(next_day, 23, 59), {"level": "national"})]
    with world.scope() as session:
        events = [Event(type="assesstest.honour", occurred_at=dt.datetime.fromisoformat(when), grid_id=world.grids[g],
                        payload=payload) for g, when, payload in rows]
        session.add_all(events)
        # dirA answers for A and for A1 below it: an event in A1 reaches them twice, counts once
        session.add(Assignment(person_id=world.people["dirA"], role="core.grid_leader", grid_id=world.grids["A1"],
                               starts_on=dt.date(2026, 1, 1)))
        session.flush()
        ids = [e.id for e in events]
        facts = grid_facts(world, NOVEMBER, dt.date(2026, 12, 1))
        levels = ["national", "county", "provincial"]
        split = facts.count_by("assesstest.honour", "level", levels, by="grid", half_days=True)
        assert sorted(split) == sorted(levels)
        for level in levels:
            one = facts.count("assesstest.honour", by="grid", half_days=True, payload={"level": level})
            assert split[level] == one, level
        a, b, c = (world.grids[g] for g in "ABC")
        assert (split["national"][a].count, split["national"][a].event_ids) == (2, tuple(ids[:2]))
        assert dict(split["national"][a].by_half_day) == {(day, "am"): 1, (day, "pm"): 1}
        assert (split["county"][a].event_ids, split["county"][b].event_ids) == ((ids[2],), (ids[3],))
        assert dict(split["national"][c].by_day) == {next_day: 1}
        assert all(t.count == 0 and t.event_ids == () for t in split["provincial"].values())
        dir_a = world.people["dirA"]
        mine = facts.count_by(["assesstest.honour"], "level", ["national", "county"], by="grid", people=[dir_a])
        assert (mine["national"][dir_a].event_ids, mine["county"][dir_a].event_ids) == (tuple(ids[:2]), (ids[2],))
        entry = facts.log[0]
        assert entry[:5] == ["count_by", ["assesstest.honour"], "level", sorted(levels), "grid"]
        assert entry[-1]["national"][str(a)][:2] == [2, ids[:2]]
        for bad in ([], ["county", 3], [True]):
            with pytest.raises(ValueError, match="level"):
                facts.count_by("assesstest.honour", "level", bad)


def test_count_each_of_several_types_equals_one_count_per_type(world):
    day = FIRST_HALF[0]
    kinds = {"assesstest.honour": [("A1", 9), ("A", 15)], "assesstest.complaint": [("B", 10)], "assesstest.patrol": []}
    world.events([{"type": t, "grid_id": world.grids[g], "occurred_at": local(day, h)}
                  for t, rows in kinds.items() for g, h in rows])
    with world.scope():
        facts = grid_facts(world, NOVEMBER, dt.date(2026, 12, 1))
        each = facts.count_each(list(kinds), by="grid", half_days=True)
        assert sorted(each) == sorted(kinds)
        for type_ in kinds:
            assert each[type_] == facts.count(type_, by="grid", half_days=True), type_
        assert each["assesstest.honour"][world.grids["A"]].count == 2
        assert dict(each["assesstest.honour"][world.grids["A"]].by_half_day) == {(day, "am"): 1, (day, "pm"): 1}
        assert all(t.count == 0 for t in each["assesstest.patrol"].values())
        assert facts.log[0][0] == "count_each"
        with pytest.raises(ValueError, match="types"):
            facts.count_each([])
