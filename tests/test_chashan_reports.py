"""The chashan reports (gridgov_chashan.reports) on computed runs of tests/chashan_support.py:
the director ledger's rows add up to each director's money with one row per occasion, the
community ranking and department sheets show the stored lines, the annual summary the quarters
it read; and the CSV/XLSX of a ledger open with Chinese headers."""
from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from chashan_support import NOVEMBER, Q4, World, days_between, line
from sqlalchemy import func, select

from gridgov import workdays
from gridgov.extensions import db
from gridgov.jobs import inprocess
from gridgov.models import User
from gridgov.models.assessment import AssessmentRun
from gridgov.operations.errors import Forbidden, OperationError
from gridgov.reports import build, get_report, make_request, to_csv, to_xlsx

Q3, YEAR = dt.date(2025, 7, 1), dt.date(2025, 1, 1)
NOV_DAYS = days_between(NOVEMBER, dt.date(2025, 12, 1))


@pytest.fixture
def app_config(app_config):
    return {**app_config, "GRIDGOV_JOB_RETRY_INTERVALS": "0"}


@pytest.fixture
def world(app, factory):
    w = World(app, factory)
    yield w
    inprocess.runner_for(app).wait(timeout=30)


def last_run(world, sheet: str) -> int:
    with world.scope():
        return db.session.scalar(select(func.max(AssessmentRun.id)).where(AssessmentRun.sheet == f"chashan.{sheet}"))


def table(world, key: str, run_id: int, user_id=None, **kw):
    with world.scope():
        report = get_report(f"chashan.{key}")
        user = db.session.get(User, user_id or world.judge_id)
        request = make_request(report, user, run_id=run_id, **kw)
        return build(report, request)


def test_the_four_reports_are_registered_with_their_sheets_and_readers(app, world):
    reports = app.extensions["gridgov_registry"].for_tenant(world.tenant).reports
    assert reports["chashan.director_ledger"].sheets == ("chashan.director_month", "chashan.director_quarter")
    assert reports["chashan.community_ranking"].published_readers and reports["chashan.annual_summary"].published_readers
    assert not reports["chashan.director_ledger"].published_readers
    assert not reports["chashan.department_sheets"].published_readers


@pytest.fixture
def ledger(world):
    """November 2025: dX patrols every working day with a tidy log (R1 +50), settles two
    resident issues (R3 2 × 10), hosts a visit (R4 +50), attends four Friday meetings and the
    first-Monday meeting — and a Wednesday one that pays nothing (R5 5 × 20) — and has two major
    matters reported late (F2 2 × −50); dY never patrols (F1 −50 per working day)."""
    with world.scope():
        working = [d for d in NOV_DAYS if workdays.is_working_day(d)]
    actor = {"actor_person_id": world.people["dX"]}
    world.patrols("X1", working)
    world.events("log_review", "X1", [dt.date(2025, 11, 28)], {"tidy": True}, subject_person_id=world.people["dX"])
    world.issues = world.events("resident_issue", "X1", [dt.date(2025, 11, 12), dt.date(2025, 11, 19)],
                                {"summary": "咨询", "outcome": "explained", "resident_confirmed": True}, **actor)
    world.events("hosted_visit", "X1", [dt.date(2025, 11, 13)], {"kind": "inspection", "visitor": "区网格办"}, **actor)
    world.meetings = [dt.date(2025, 11, d) for d in (7, 14, 21, 28)]
    world.events("meeting_attendance", "X1", world.meetings, {"meeting": "community_friday"}, **actor)
    world.events("meeting_attendance", "X1", [dt.date(2025, 11, 3)], {"meeting": "street_first_monday"}, **actor)
    world.events("meeting_attendance", "X1", [dt.date(2025, 11, 12)], {"meeting": "community_friday"}, **actor)
    found = dt.datetime(2025, 11, 20, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    world.matters = world.events("major_matter", "X1", [dt.date(2025, 11, 20)] * 2, {
        "summary": "围墙裂缝", "discovered_at": found.isoformat(),
        "reported_to_community_at": (found + dt.timedelta(hours=5)).isoformat()})
    world.results = world.run("director_month", NOVEMBER)
    world.working = working
    world.run_id = last_run(world, "director_month")
    return world


def _director_rows(t, name):
    return [r for r in t.rows if r["director"] == name]


def test_director_ledger_one_row_per_reward_and_fine_adding_up_to_the_run(ledger):
    t = table(ledger, "director_ledger", ledger.run_id)
    assert [c.title_zh for c in t.columns] == ["网格室主任", "网格", "日期", "奖惩项目", "类别", "金额（元）", "依据", "计算说明"]
    x, y = ledger.results[ledger.people["dX"]], ledger.results[ledger.people["dY"]]
    assert x.money == Decimal("50") + 20 + 50 + 100 - 100
    for result in (x, y):
        rows = _director_rows(t, result.subject_name)
        *lines, subtotal = rows
        assert subtotal["item"] == "合计" and subtotal["amount"] == result.money
        assert sum((r["amount"] for r in lines), Decimal(0)) == result.money
        assert all(r["grid"] == f"网格{result.subject_name[-1].upper()}1" for r in rows)
    rows = _director_rows(t, x.subject_name)
    by_item = {}
    for r in rows[:-1]:
        by_item.setdefault(r["item"][:2], []).append(r)
    assert [(r["date"], r["amount"]) for r in by_item["R1"]] == [(dt.date(2025, 11, 30), Decimal("50.00"))]
    assert [(r["date"], r["amount"]) for r in by_item["R3"]] == [(dt.date(2025, 11, 12), Decimal("10.00")),
                                                                 (dt.date(2025, 11, 19), Decimal("10.00"))]
    assert f"#{ledger.issues[0]} " in by_item["R3"][0]["evidence"] and "09:00" in by_item["R3"][0]["evidence"]
    assert [r["amount"] for r in by_item["R4"]] == [Decimal("50.00")]
    # six attendances in the evidence, five paid: the paid days come from the rule, the Wednesday is left out
    assert [r["date"] for r in by_item["R5"]] == [dt.date(2025, 11, 3)] + ledger.meetings
    assert all(r["amount"] == Decimal("20.00") for r in by_item["R5"])
    assert [(r["kind"], r["amount"]) for r in by_item["F2"]] == [("罚款", Decimal("-50.00"))] * 2
    assert {r["evidence"].split(" ")[0] for r in by_item["F2"]} == {f"#{i}" for i in ledger.matters}
    assert "R2" not in by_item and "F1" not in by_item  # nothing earned or fined: no row
    fines = _director_rows(t, y.subject_name)[:-1]
    assert [r["date"] for r in fines] == ledger.working and {r["item"][:2] for r in fines} == {"F1"}
    grand = t.rows[-1]
    assert grand["item"] == "总计" and grand["amount"] == x.money + y.money


def test_director_ledger_filters_by_director_and_by_grid_and_renders(ledger):
    mine = table(ledger, "director_ledger", ledger.run_id, subject_id=ledger.people["dX"])
    assert {r["director"] for r in mine.rows} == {"人员dX"} and mine.rows[-1]["item"] == "合计"
    by_grid = table(ledger, "director_ledger", ledger.run_id, grid_id=ledger.grids["Y"])
    assert {r["director"] for r in by_grid.rows} == {"人员dY"}
    data = to_csv(mine, "zh", tz="Asia/Shanghai")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["网格室主任", "网格", "日期", "奖惩项目"] and rows[-1][5] == "120.00"
    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx(mine, "zh", tz="Asia/Shanghai"))).active
    assert ws["A3"].value == "网格室主任" and ws["F4"].number_format == "¥#,##0.00"


def test_director_ledger_is_for_assessors_only_even_when_published(ledger):
    from conftest import Factory

    user_id, _ = Factory(ledger.app).user("cs-director", ledger.tenant, "field_staff")
    with pytest.raises(Forbidden):
        table(ledger, "director_ledger", ledger.run_id, user_id=user_id)


def test_a_ledger_refuses_a_run_of_another_sheet(ledger):
    ledger.run("community_quarter", Q4)
    with pytest.raises(OperationError) as err:
        table(ledger, "director_ledger", last_run(ledger, "community_quarter"))
    assert "run_id" in err.value.errors


def test_community_ranking_shows_each_item_bonus_penalty_total_grade_and_award(world):
    world.judge("community_quarter", Q4, "leadership", world.grids["X"], "18.5")
    world.events("honour", "X", [dt.date(2025, 11, 5)], {"level": "county_city", "title": "先进社区"})
    results = world.run("community_quarter", Q4, publish=True)
    run_id = last_run(world, "community_quarter")
    from conftest import Factory

    staff, _ = Factory(world.app).user("cs-staff", world.tenant, "field_staff")
    t = table(world, "community_ranking", run_id, user_id=staff)  # published: everyone of the tenant reads it
    titles = [c.title_zh for c in t.columns]
    assert titles[:3] == ["名次", "社区", "1 每周五上午交办函"] and titles[-6:] == ["加分", "扣分", "总分", "等次", "奖励（元）", "一票否决"]
    assert "10 奖励加分" not in titles  # the bonus item is the 加分 column
    assert len(t.rows) == 2
    for row in t.rows:
        result = next(r for r in results.values() if r.subject_name == row["community"])
        assert (row["rank"], row["total"], row["bonus"], row["penalty"], row["award"]) == (
            result.rank, result.total, result.bonus, result.penalty, result.money)
        assert row["item_leadership"] == Decimal(line(result, "leadership")["points"])
        assert row["item_letter"] == Decimal(line(result, "letter")["points"])
    x = next(r for r in t.rows if r["community"] == "社区X")
    assert x["rank"] == 1 and x["item_leadership"] == Decimal("18.5") and x["bonus"] > 0
    grades = {"excellent": "优秀", "good": "良好", "pass": "合格", "fail": "不合格"}
    assert all(row["grade"] == grades[next(r.grade for r in results.values() if r.subject_name == row["community"])]
               for row in t.rows)
    only_y = table(world, "community_ranking", run_id, grid_id=world.grids["Y1"])
    assert only_y.rows == []  # a grid below Y holds no community
    assert [r["community"] for r in table(world, "community_ranking", run_id, grid_id=world.grids["Y"]).rows] == ["社区Y"]


def test_department_sheets_list_each_item_with_points_rule_and_the_total(world):
    results = world.run("department_quarter", Q4)
    run_id = last_run(world, "department_quarter")
    t = table(world, "department_sheets", run_id)
    k = results[world.units["K"]]
    rows = [r for r in t.rows if r["department"] == "城市管理科"]
    assert [r["item"] for r in rows] == ["1 交办函限时妥善解决", "2 上报上级事项跟踪回复", "3 科室成员每周巡查挂点网格",
                                         "4 每周例会如实汇报", "总分"]
    for row, entry in zip(rows, k.items):
        assert row["points"] == Decimal(entry["points"]) and row["rule"] == entry["rule"]
        assert row["max_points"] == Decimal(entry["max_points"])
    assert rows[-1]["points"] == k.total and rows[-1]["max_points"] == 100
    assert table(world, "department_sheets", run_id, grid_id=world.grids["Y"]).rows == []
    from conftest import Factory

    staff, _ = Factory(world.app).user("cs-staff2", world.tenant, "field_staff")
    with pytest.raises(Forbidden):
        table(world, "department_sheets", run_id, user_id=staff)


def test_annual_summary_shows_the_quarters_read_the_figure_and_the_award(world):
    for n, period in enumerate((Q3, Q4)):
        for community, given in {"X": ("20", "10"), "Y": ("10", "10")}.items():
            world.judge("community_quarter", period, "leadership", world.grids[community], given[n])
        world.run("community_quarter", period, publish=True)
    quarter_runs = {}
    with world.scope():
        for run in db.session.scalars(select(AssessmentRun).where(AssessmentRun.sheet == "chashan.community_quarter")):
            quarter_runs[run.period_start] = run.id
    results = world.run("community_year", YEAR)
    t = table(world, "annual_summary", last_run(world, "community_year"))
    titles = [c.title_zh for c in t.columns]
    assert titles == ["名次", "社区", "第1季度得分", "第2季度得分", "第3季度得分", "第4季度得分", "年度得分",
                      "挂点人员奖励（元）", "评先评优", "一票否决"]
    x = next(r for r in t.rows if r["community"] == "社区X")
    y = next(r for r in t.rows if r["community"] == "社区Y")
    rx = results[world.grids["X"]]
    assert (x["q1"], x["q2"], x["q3"], x["q4"]) == (None, None, Decimal("67.50"), Decimal("59.00"))
    assert x["annual"] == Decimal(line(rx, "quarters")["points"]) == Decimal("63.3")
    assert (x["rank"], x["award"], y["award"]) == (1, Decimal("400.00"), Decimal("0.00"))
    assert "优先参评先进" in x["flags"] and y["flags"] == ""
    assert "平均分" in t.notes[0] and "200" in t.notes[0]
