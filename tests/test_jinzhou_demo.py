"""The jinzhou_streets demo tenant: the network of 4 detachments, 12 brigades, 25 groups and the
64 streets, half a year of violations opened as cases, the twelve half months and two quarters
published; the reports on it. Loaded once per module (only this plugin), on SQLite or on the
PostgreSQL named by GRIDGOV_TEST_DATABASE_URL."""
from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from gridgov.extensions import db
from gridgov.models import Case, Event, Grid, Place
from gridgov.models.assessment import AssessmentResult, AssessmentRun
from gridgov.reports import ReportRequest
from gridgov.tenancy import tenant_scope
from gridgov_jinzhou_streets import reports
from gridgov_jinzhou_streets.network import SECTION, unassigned_sections

from conftest import loaded_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with loaded_demo(tmp_path_factory, "jinzhou_streets") as (app, tenant_id, _):
        yield app, tenant_id


def published(sheet: str) -> list[AssessmentRun]:
    return list(db.session.scalars(select(AssessmentRun).where(
        AssessmentRun.sheet == f"jinzhou_streets.{sheet}", AssessmentRun.state == "published")
        .order_by(AssessmentRun.period_start)))


def request(run, grid_id=None, locale="zh"):
    return ReportRequest(run, run.period_start if run else None, run.period_end if run else None, grid_id, None,
                         locale, None)


def test_the_network(demo):
    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        assert Counter(g.level for g in db.session.scalars(select(Grid))) == {0: 1, 1: 4, 2: 12, 3: 25}
        sections = list(db.session.scalars(select(Place).where(Place.kind == SECTION)))
        streets = {p.attributes["street"]: p.attributes["grade"] for p in sections}
        assert len(streets) == 64 and Counter(streets.values()) == {1: 60, 2: 4}
        assert {p.grid.level for p in sections} == {3} and unassigned_sections() == []
        assert len({p.grid_id for p in sections}) == 25  # every group has a section
        table = reports.build_network(request(None))
        assert len(table.rows) == len(sections) and all(r["responsible"] and r["detachment"] for r in table.rows)


def test_half_months_and_quarters_published(demo):
    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        halves = published("group_half_month")
        assert len(halves) == 12 and {r.period_start.day for r in halves} == {1, 16}
        assert len(published("group_quarter")) == 2
        for run in halves:
            results = list(db.session.scalars(select(AssessmentResult).where(AssessmentResult.run_id == run.id)))
            assert len(results) == 25
            assert all(r.total <= 100 for r in results) and any(r.total < 100 for r in results)


def test_every_violation_is_a_case_walked_to_closure(demo):
    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        events = db.session.scalar(select(func.count()).select_from(Event).where(Event.type == "jinzhou_streets.violation"))
        cases = Counter(db.session.scalars(select(Case.state).where(Case.category == "jinzhou_streets.violation")))
        assert sum(cases.values()) == events > 100
        assert cases["closed"] > cases["reported"] > 0


def test_veto_removes_the_group_from_the_selection(demo):
    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        vetoed = db.session.scalar(select(Event.grid_id).where(Event.type == "jinzhou_streets.veto"))
        for run in published("group_half_month") + published("group_quarter"):
            r = db.session.scalar(select(AssessmentResult).where(AssessmentResult.run_id == run.id,
                                                                 AssessmentResult.subject_id == vetoed))
            assert r.eligible_rank is None and r.vetoes
        q1 = published("group_quarter")[0]
        table = reports.build_selection(request(q1))
        kinds = Counter(r["kind"] for r in table.rows)
        assert kinds == {"先进网管小组": 3, "网管先进个人": 5, "先进网管大队": 2}
        name = db.session.get(Grid, vetoed).name
        assert name not in [r["name"] for r in table.rows]


def test_bulletin_per_detachment_shows_off_roster(demo):
    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        run = published("group_half_month")[3]
        whole = reports.build_bulletin(request(run))
        assert whole.rows and any(r["off_roster"] for r in whole.rows) and any(not r["off_roster"] for r in whole.rows)
        assert all(run.period_start <= r["time"].date() < run.period_end for r in whole.rows)
        detachment = db.session.scalar(select(Grid).where(Grid.level == 1).order_by(Grid.code))
        part = reports.build_bulletin(request(run, detachment.id))
        assert 0 < len(part.rows) < len(whole.rows)
        assert {r["detachment"] for r in part.rows} == {detachment.name}
        total = sum((r["points"] for r in whole.rows), Decimal(0))
        results = db.session.scalars(select(AssessmentResult).where(AssessmentResult.run_id == run.id))
        assert sum(100 - r.total for r in results) == total


def test_the_map_of_the_demo(demo):
    """Every section has a line near Jinzhou; a group's sections lie in one patch of the city
    (its cell of the made-up street grid); the map draws them all with one colour per group."""
    from gridgov_jinzhou_streets.console import network_features, render_svg
    from gridgov_jinzhou_streets.network import line_problem

    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        sections = list(db.session.scalars(select(Place).where(Place.kind == SECTION)))
        assert all(line_problem(p.attributes["line"]) is None for p in sections)
        points = [pt for p in sections for pt in p.attributes["line"]]
        assert all(120.9 < lng < 121.4 and 40.9 < lat < 41.3 for lng, lat in points)
        spans = {}
        for p in sections:
            middle = p.attributes["line"][1]
            spans.setdefault(p.grid_id, []).append(middle)
        city = max(lng for lng, _ in points) - min(lng for lng, _ in points)
        for middles in spans.values():  # a patch, not scattered over the city
            assert max(m[0] for m in middles) - min(m[0] for m in middles) < city / 2
        features, legend, undrawn = network_features()
        assert len(features) == len(sections) and undrawn == [] and len(legend) == 25
        assert len({f["properties"]["colour"] for f in features}) == 25
        svg = render_svg(features, legend)
        assert svg.count('class="section"') == len(sections) and svg.count('class="legend-item"') == 25


def test_the_demo_rosters(demo):
    from gridgov_jinzhou_streets.network import roster_shifts

    app, tenant_id = demo
    with app.app_context(), tenant_scope(tenant_id):
        groups = list(db.session.scalars(select(Grid).where(Grid.level == 3)))
        own = [g for g in groups if (g.attributes or {}).get("roster")]
        assert 0 < len(own) < len(groups)
        assert {s["start"] for g in own for s in roster_shifts(g, {})} == {"06:00", "08:00"}
