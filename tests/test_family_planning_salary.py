"""family_planning pay and the annual assessment (sheet ``leader_year``): each sub-item of the
default indicator tree, the withheld pool (months actually in post), the year-end payout rule of
SCHEMES.md, a tenant's own tree, and the salary statement report."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from conftest import in_tenant
from family_planning_support import YEAR, at, record, setup, sheet, woman
from sqlalchemy import select

from gridgov import workdays
from gridgov.assessment import operations as runs
from gridgov.extensions import db
from gridgov.models import Tenant, User
from gridgov.models.assessment import AssessmentResult
from gridgov.operations import tenants as tenant_ops
from gridgov.reports import ReportRequest
from gridgov.tenancy import tenant_scope
from gridgov_family_planning import reports, salary
from gridgov_family_planning.settings import DEFAULT_INDICATORS, Settings

D = Decimal


def test_the_default_tree_has_4_categories_and_13_sub_items_worth_100():
    settings = Settings().load({})
    tree = settings["indicators"]
    assert len(tree) == 13 and {i["category"] for i in tree} == {"routine", "inspection", "democratic", "factors"}
    assert sum(D(i["max_points"]) for i in tree) == 100
    assert (settings["leader_monthly_base"], settings["leader_monthly_withheld"]) == (D("500.00"), D("300.00"))
    assert len(DEFAULT_INDICATORS) == 13


@pytest.mark.parametrize("tree, field", [
    ([{"key": "a", "category": "routine", "title_zh": "甲", "max_points": "5", "source": "judged"}], "indicators"),
    ([dict(DEFAULT_INDICATORS[0], max_points="10")] * 2 + [dict(i, max_points=str(i["max_points"]))
                                                          for i in DEFAULT_INDICATORS[4:]], "indicators"),
    ([dict(DEFAULT_INDICATORS[0], max_points="10", source="guess")], "indicators"),
])
def test_a_tree_missing_a_category_repeating_a_key_or_with_an_unknown_source_is_refused(tree, field):
    from marshmallow import ValidationError

    with pytest.raises(ValidationError) as exc:
        Settings().load({"indicators": tree})
    assert field in exc.value.messages


def test_months_held_and_pay():
    spans = [(dt.date(2025, 4, 15), dt.date(2025, 12, 31), 1)]
    assert salary.months_held(spans, 2025) == list(range(4, 13))
    settings = Settings().load({})
    assert salary.pay(settings, 9) == (D("4500.00"), D("2700.00"))
    assert salary.payout(settings, D("2700.00"), D("85.5"), D("100"), D("30")) == D("2378.50")
    assert salary.payout(settings, D("3600.00"), D("120"), D(0), D(0)) == D("3600.00")  # min(score, 100)
    assert salary.payout(settings, D("300.00"), D("10"), D(0), D("500")) == D("0.00")  # never below 0


@pytest.fixture
def year(app, factory):
    """Leader A works 2025 with two absences, one approved and one refused leave day; leader B
    joined on 15 April and filed nothing."""
    ctx = setup(app, factory)
    i = ctx["ids"]
    with app.app_context():
        days = workdays.working_days_in(YEAR, dt.date(2025, 12, 31))
    absent, leave, refused = [days[10], days[20]], days[30], days[40]
    items = []
    for day in days:
        if day in absent or day in (leave, refused):
            continue
        items += [sheet(i["a"], i["block1"], day), sheet(i["a"], i["block1"], day, "result")]
    record(app, ctx["tenant"], items)
    requests = record(app, ctx["tenant"], [
        {"type": "family_planning.leave_request", "grid_id": i["block1"], "actor_person_id": i["a"],
         "occurred_at": at(d - dt.timedelta(days=1), 17), "payload": {"starts_on": d.isoformat(), "ends_on": d.isoformat(),
                                                                      "reason": "事假"}} for d in (leave, refused)])
    w = woman(app, ctx["tenant"], i["block1"], "W1", last_checkup_on="2025-10-01")
    marks = [("r2", "8"), ("r2", "9"), ("r4", "10"), ("s1", "10"), ("s3", "10"), ("d1", "10"), ("d2", "5"), ("d3", "5")]
    record(app, ctx["tenant"], [
        *[{"type": "family_planning.leave_decision", "grid_id": i["block1"], "actor_person_id": i["director"],
           "occurred_at": at(YEAR + dt.timedelta(days=5), 9), "payload": {"request_id": rid, "approved": ok}}
          for rid, ok in zip(requests, (True, False))],
        *[{"type": "family_planning.visit", "grid_id": i["block1"], "actor_person_id": i["a"], "place_id": w,
           "occurred_at": at(dt.date(2025, m, 10), 10), "payload": {}} for m in range(1, 7)],
        *[{"type": "family_planning.indicator_mark", "grid_id": i["block1"], "actor_person_id": i["director"],
           "subject_person_id": i["a"], "occurred_at": at(dt.date(2025, 12, 20), 10),
           "payload": {"indicator": k, "points": p, "reason": "年终评分"}} for k, p in marks],
        {"type": "family_planning.reward_penalty", "grid_id": i["block1"], "actor_person_id": i["director"],
         "subject_person_id": i["a"], "occurred_at": at(dt.date(2025, 12, 20), 11),
         "payload": {"indicator": "f2", "points": "2", "amount": "100", "reason": "区先进"}},
        {"type": "family_planning.reward_penalty", "grid_id": i["block1"], "actor_person_id": i["director"],
         "subject_person_id": i["a"], "occurred_at": at(dt.date(2025, 12, 21), 11),
         "payload": {"indicator": "f3", "points": "1", "amount": "30", "reason": "台账漏报"}},
    ])
    ctx.update(days=days, leave=leave)
    return ctx


def compute(app, ctx):
    with app.app_context(), tenant_scope(ctx["ids"]["tenant"]):
        user = db.session.scalar(select(User).where(User.username == "fp-assessor"))
        run = runs.create_run(sheet="family_planning.leader_year", period_start=YEAR, user=user)
        runs.compute_now(run, user)
        db.session.commit()
        results = {r.subject_id: r for r in db.session.scalars(select(AssessmentResult).where(AssessmentResult.run_id == run.id))}
        for r in results.values():
            db.session.expunge(r)
        return run.id, results


def lines(result) -> dict:
    return {item["key"]: item for item in result.items}


def test_the_annual_sheet_scores_every_sub_item_and_pays_out_the_withheld_pool(app, year):
    _, results = compute(app, year)
    i = year["ids"]
    a, b = results[i["a"]], results[i["b"]]
    required = len(year["days"]) - 1  # the approved leave day is not due
    done = required - 3  # two absences and the refused leave day
    r1 = (D(10) * done / required).quantize(D("0.1"))
    la = lines(a)
    assert f"10 × {done}/{required}" in la["routine"]["rule"]
    # r1 + r2 (mean of 8 and 9) + r3 (6 of 12 visits due) + r4
    assert D(la["routine"]["points"]) == r1 + D("8.5") + D("5.0") + D(10)
    assert "6/12 visits" in la["routine"]["rule"]
    assert D(la["inspection"]["points"]) == D(30)  # checked up 2025-10-01, within 4 months of the year's end
    assert D(la["democratic"]["points"]) == D(20)
    assert D(la["factors"]["points"]) == D(10) - 3 + 2 - 1  # attendance − 3 days, reward +2, penalty −1
    total = r1 + D("8.5") + D("5.0") + D(10) + D(30) + D(20) + D(8)
    assert a.total == total
    assert a.money == (D("3600.00") * total / 100 + 100 - 30).quantize(D("0.01"))
    assert la["payout"]["money"] == f"{a.money:.2f}" and "12 months" in la["payout"]["rule"]
    # B: nine months in post (April–December), nothing filed: no sheets, nothing due for visits and check-ups
    lb = lines(b)
    assert "9 months" in lb["payout"]["rule"]
    assert D(lb["routine"]["points"]) == D(10)  # r3 nothing due
    assert "nothing due" in lb["routine"]["rule"] and D(lb["inspection"]["points"]) == D(10)
    assert b.total == D(20) and b.money == D("540.00")  # 2700 × 20 / 100
    assert any("not marked" in f for f in b.flags)


def test_a_tenants_own_tree_is_what_the_sheet_scores(app, year):
    tree = [{"key": "ws", "category": "routine", "title_zh": "日工作单", "max_points": "40", "source": "work_sheets"},
            {"key": "ck", "category": "inspection", "title_zh": "查体", "max_points": "20", "source": "checkups"},
            {"key": "mz", "category": "democratic", "title_zh": "民主测评", "max_points": "20", "source": "judged"},
            {"key": "kq", "category": "factors", "title_zh": "考勤", "max_points": "20", "source": "attendance"}]
    with app.app_context():
        tenant = db.session.get(Tenant, year["ids"]["tenant"])
        tenant_ops.update_settings(tenant, "family_planning", {"indicators": tree, "attendance_deduction": "2"})
        db.session.commit()
    _, results = compute(app, year)
    la = lines(results[year["ids"]["a"]])
    assert "ws 日工作单" in la["routine"]["rule"] and "r2" not in la["routine"]["rule"]
    assert D(la["democratic"]["points"]) == 0 and D(la["factors"]["points"]) == D(20) - 2 * 3
    assert D(la["inspection"]["points"]) == D(20)


def test_a_run_is_reproducible(app, year):
    first, _ = compute(app, year)
    second, _ = compute(app, year)
    with app.app_context(), tenant_scope(year["ids"]["tenant"]):
        from gridgov.models.assessment import AssessmentRun

        prints = [db.session.get(AssessmentRun, r).fingerprint for r in (first, second)]
    assert prints[0] == prints[1]


def test_each_leaders_salary_statement(app, year):
    run_id, results = compute(app, year)
    with app.app_context(), tenant_scope(year["ids"]["tenant"]):
        from gridgov.models.assessment import AssessmentRun

        user = db.session.scalar(select(User).where(User.username == "fp-assessor"))
        run = db.session.get(AssessmentRun, run_id)
        table = reports.salary_statements(ReportRequest(run=run, period_start=None, period_end=None, grid_id=None,
                                                        subject_id=None, locale="zh", user=user))
    rows = {r["leader"]: r for r in table.rows}
    a, b = rows["王组长"], rows["李组长"]
    assert (a["months"], a["base_paid"], a["withheld"]) == (12, D("6000.00"), D("3600.00"))
    assert (b["months"], b["base_paid"], b["withheld"], b["payout"]) == (9, D("4500.00"), D("2700.00"), D("540.00"))
    assert a["payout"] == results[year["ids"]["a"]].money and a["year_pay"] == D("6000.00") + a["payout"]
    assert a["blocks"] == "第1责任块"


def statement_rows(app, ctx, run_id) -> dict:
    with app.app_context(), tenant_scope(ctx["ids"]["tenant"]):
        from gridgov.models.assessment import AssessmentRun

        user = db.session.scalar(select(User).where(User.username == "fp-assessor"))
        table = reports.salary_statements(ReportRequest(run=db.session.get(AssessmentRun, run_id), period_start=None,
                                                        period_end=None, grid_id=None, subject_id=None, locale="zh",
                                                        user=user))
    return {r["leader"]: r for r in table.rows}, table.notes


def set_pay(app, ctx, base: str, withheld: str):
    with in_tenant(app, ctx["tenant"]):
        tenant_ops.update_settings(db.session.get(Tenant, ctx["ids"]["tenant"]), "family_planning",
                                   {"leader_monthly_base": base, "leader_monthly_withheld": withheld})


def record_months(app, ctx, months, year_=2025) -> list[int]:
    with in_tenant(app, ctx["tenant"]):
        return [i for m in months for i in salary.record_month(dt.date(year_, m, 1))]


def test_each_months_pay_is_fixed_when_recorded_so_a_new_setting_changes_only_the_months_to_come(app, year):
    assert len(record_months(app, year, range(1, 7))) == 6 + 3  # A from January, B from April
    set_pay(app, year, "550.00", "350.00")  # a raise from July
    assert len(record_months(app, year, range(7, 13))) == 12
    assert record_months(app, year, range(1, 13)) == []  # safe to run again: nothing written twice
    run_id, results = compute(app, year)
    rows, notes = statement_rows(app, year, run_id)
    a, b = rows["王组长"], rows["李组长"]
    assert (a["base_paid"], a["withheld"]) == (D("6300.00"), D(6 * 300 + 6 * 350))
    assert (b["base_paid"], b["withheld"]) == (D(3 * 500 + 6 * 550), D(3 * 300 + 6 * 350))
    payout_line = next(i for i in results[year["ids"]["a"]].items if i["key"] == "payout")
    assert "pool ¥3900.00 (6 months × ¥300.00 + 6 months × ¥350.00)" in payout_line["rule"]
    assert results[year["ids"]["a"]].money == salary.payout(Settings().load({}), D("3900.00"),
                                                             results[year["ids"]["a"]].total, D("100"), D("30"))
    # The settings change again: the past statement and a new run of the past year stay as they were.
    set_pay(app, year, "600.00", "400.00")
    assert statement_rows(app, year, run_id) == (rows, notes)
    _, again = compute(app, year)
    assert again[year["ids"]["a"]].money == results[year["ids"]["a"]].money
    # The next month is recorded at the new amounts.
    from gridgov.models import Event

    new = record_months(app, year, [1], 2026)
    with in_tenant(app, year["tenant"]):
        payloads = [db.session.get(Event, i).payload for i in new]
    assert {(p["month"], p["base"], p["withheld"]) for p in payloads} == {("2026-01", "600.00", "400.00")}


def test_months_not_recorded_yet_count_at_the_current_setting_and_the_statement_says_so(app, year):
    record_months(app, year, range(1, 4))
    run_id, _ = compute(app, year)
    rows, notes = statement_rows(app, year, run_id)
    assert rows["王组长"]["withheld"] == D("3600.00")  # 3 recorded + 9 at today's ¥300
    assert any("18 个在岗月尚无工资记录" in n for n in notes)  # A's April–December, B's nine months
    set_pay(app, year, "500.00", "400.00")
    rows, _ = statement_rows(app, year, run_id)
    assert rows["王组长"]["withheld"] == D(3 * 300 + 9 * 400)


def test_a_second_pay_record_for_a_month_is_refused_and_only_an_administrator_writes_one(app, year, client):
    from api_support import TenantClient, assert_error

    record_months(app, year, [1])
    item = {"type": "family_planning.monthly_pay", "grid_id": year["ids"]["block1"], "subject_person_id": year["ids"]["a"],
            "occurred_at": at(dt.date(2025, 1, 1), 9), "payload": {"month": "2025-01", "base": "500.00", "withheld": "300.00"}}
    admin = TenantClient(client, year["logins"]["tenant_admin"][1], "fp")
    refused = admin.post("events", item)
    assert_error(refused, 422, "payload.month")
    assert "already" in str(refused.get_json())
    staff = TenantClient(client, year["logins"]["field_staff"][1], "fp")
    assert_error(staff.post("events", dict(item, payload=dict(item["payload"], month="2025-02"))), 422, "type")
    assert_error(admin.post("events", dict(item, payload=dict(item["payload"], month="2025-13"))), 422, "payload.month")
    assert admin.ok("POST", "events", dict(item, payload=dict(item["payload"], month="2025-02")), status=201)


def test_the_scheduled_job_records_this_months_pay_once(app, year):
    from importlib import import_module

    from gridgov.models import Event
    from gridgov_family_planning.rules import tenant_zone

    job = app.extensions["gridgov_registry"].scheduled_jobs["family_planning.monthly_pay"]
    assert job.cron == "10 0 1 * *" and job.per_tenant
    module, name = job.func_path.rsplit(".", 1)
    run = getattr(import_module(module), name)
    with in_tenant(app, year["tenant"]):
        run()
        run()  # a slot run again writes nothing twice
        payloads = db.session.scalars(select(Event.payload).where(Event.type == "family_planning.monthly_pay")).all()
        this_month = dt.datetime.now(tenant_zone()).strftime("%Y-%m")
    assert sorted((p["month"], p["base"], p["withheld"]) for p in payloads) == [(this_month, "500.00", "300.00")] * 2
