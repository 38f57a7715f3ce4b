"""The zhanqian demo tenant: last year's whole assessment — twelve published months (May
corrected), four quarterly ratings and the annual summary — with data that exercises every
rule. The module loads the demo once (only the zhanqian plugin), on SQLite or on the
PostgreSQL named by GRIDGOV_TEST_DATABASE_URL."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import select

from gridgov.extensions import db
from gridgov.models import Case, Grid
from gridgov.models.assessment import AssessmentResult, AssessmentRun
from gridgov.reports import ReportRequest
from gridgov.tenancy import tenant_scope
from gridgov_zhanqian import reports

from conftest import loaded_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with loaded_demo(tmp_path_factory, "zhanqian") as (app, tenant_id, _):
        yield app, tenant_id


def published(sheet: str) -> list[AssessmentRun]:
    return list(db.session.scalars(select(AssessmentRun).where(AssessmentRun.sheet == f"zhanqian.{sheet}",
                                                               AssessmentRun.state == "published")
                                   .order_by(AssessmentRun.period_start, AssessmentRun.id)))


def results(run: AssessmentRun) -> dict[str, AssessmentResult]:
    rows = db.session.scalars(select(AssessmentResult).where(AssessmentResult.run_id == run.id))
    return {r.subject_name: r for r in rows}


def lines(run: AssessmentRun, key: str) -> list[dict]:
    return [next(i for i in r.items if i["key"] == key) for r in results(run).values()]


def test_a_year_of_runs_is_published(demo):
    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        months = published("community_month")
        assert Counter(r.period_start.month for r in months) == {**{m: 1 for m in range(1, 13)}, 5: 2}
        year = months[0].period_start.year
        assert [r.period_start for r in published("community_quarter")] == [dt.date(year, m, 1) for m in (1, 4, 7, 10)]
        assert [r.period_start for r in published("community_year")] == [dt.date(year, 1, 1)]
        assert all(len(results(r)) == 5 for r in months)


def test_every_rule_is_exercised(demo):
    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        months = published("community_month")
        every = {key: [line for run in months for line in lines(run, key)] for key in
                 ("investigation", "disposal", "satisfaction", "bonus", "penalty", "rectification", "leadership")}
        assert any(Decimal(i["points"]) < 35 for i in every["investigation"])  # some grids short of four
        assert any(i["evidence"]["case_ids"] and Decimal(i["points"]) < 45 for i in every["disposal"])
        assert any(i["nothing_due"] for i in every["satisfaction"])
        assert any(not i["nothing_due"] and Decimal(i["points"]) < 10 for i in every["satisfaction"])
        assert any("capped at 20" in i["rule"] for i in every["bonus"])
        assert sum(1 for i in every["penalty"] if Decimal(i["points"]) > 0) == 2
        assert all(i["evidence"]["judged"] for i in every["leadership"])
        december = [r for r in months if r.period_start.month == 12][0]
        assert any(i["evidence"]["case_ids"] for i in lines(december, "rectification"))
        grades = {r.grade for run in months for r in results(run).values()}
        assert len(grades) >= 3
        closed = db.session.scalars(select(Case).where(Case.category == "zhanqian.rectification",
                                                       Case.state == "closed")).all()
        assert closed


def test_the_quarter_is_the_mean_of_its_current_months_and_the_year_of_its_quarters(demo):
    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        months = published("community_month")
        current = {r.period_start: r for r in months}  # the later (the correction) wins for May
        q2 = [r for r in published("community_quarter") if r.period_start.month == 4][0]
        for name, result in results(q2).items():
            totals = [results(current[q2.period_start.replace(month=m)])[name].total for m in (4, 5, 6)]
            assert result.total == (sum(totals) / 3).quantize(Decimal("0.1"), rounding="ROUND_HALF_UP")
        year = published("community_year")[0]
        quarters = published("community_quarter")
        for name, result in results(year).items():
            totals = [results(q)[name].total for q in quarters]
            assert result.total == (sum(totals) / 4).quantize(Decimal("0.1"), rounding="ROUND_HALF_UP")


def test_the_reports_read_the_demo(demo):
    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        year = published("community_year")[0]
        table = reports.build_year(ReportRequest(year, year.period_start, year.period_end, None, None, "zh", None))
        assert len(table.rows) == 5 and all(row["q4"] is not None for row in table.rows)
        q3 = published("community_quarter")[2]
        table = reports.build_quarter(ReportRequest(q3, q3.period_start, q3.period_end, None, None, "en", None))
        assert [c.title_en for c in table.columns][2:5] == [f"{q3.period_start.year}-0{m}" for m in (7, 8, 9)]
        community = db.session.scalar(select(Grid).where(Grid.level == 1).order_by(Grid.path))
        march = dt.date(year.period_start.year, 3, 1)
        archive = reports.build_archive(ReportRequest(None, march, dt.date(march.year, 4, 1), community.id, None,
                                                      "zh", None))
        kinds = Counter(row["kind"] for row in archive.rows)
        assert kinds["网格排查"] >= 8 and kinds["每月检查考评"] == 4 and kinds["月度考核"] == 1
        assert {row["community"] for row in archive.rows} == {community.name}
