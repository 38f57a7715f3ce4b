"""Chashan forms (event types), settings and sheet declarations."""
from __future__ import annotations

from decimal import Decimal

import pytest

from gridgov.extensions import db
from gridgov.models import Tenant
from gridgov.operations import events as event_ops
from gridgov.operations import grids as grid_ops
from gridgov.operations import tenants as tenant_ops
from gridgov.operations.errors import OperationError
from gridgov.tenancy import tenant_scope

AT = "2025-11-12T09:00:00+08:00"


@pytest.fixture
def tenant(app, factory):
    tenant = factory.tenant("csf", plugins=["chashan"])
    with app.app_context(), tenant_scope(tenant.id):
        grid = grid_ops.create_grid(code="S", name="茶山街道")
        db.session.commit()
        yield grid.id


def record(grid_id, type_, payload):
    return event_ops.record({"type": f"chashan.{type_}", "grid_id": grid_id, "occurred_at": AT, "payload": payload})


def test_a_patrol_keeps_its_start_end_and_computed_minutes(tenant):
    stored, _ = record(tenant, "patrol", {"start": "08:30", "end": "09:45", "log": "巡查楼道"})
    assert stored.payload == {"start": "08:30:00", "end": "09:45:00", "minutes": 75, "log": "巡查楼道"}
    paper, _ = record(tenant, "patrol", {"minutes": 80, "log": "纸质日志补录"})
    assert paper.payload == {"start": None, "end": None, "minutes": 80, "log": "纸质日志补录"}


@pytest.mark.parametrize("type_, payload, field, reason", [
    ("patrol", {"start": "09:00", "end": "08:00", "log": "x"}, "end", "later than start"),
    ("patrol", {"start": "09:00", "end": "10:00", "minutes": 30, "log": "x"}, "minutes", "is 60 minutes"),
    ("joint_patrol", {"start": "09:00", "end": "10:00"}, "log", "required"),
    ("patrol", {"start": "09:00", "log": "x"}, "end", "go together"),
    ("patrol", {"log": "x"}, "start", "start and end, or minutes"),
    ("patrol", {"minutes": 0, "log": "x"}, "minutes", "greater than or equal to 1"),
    ("info_report", {"category": "weather", "summary": "x"}, "category", "Must be one of"),
    ("resident_issue", {"summary": "x", "outcome": "solved"}, "resident_confirmed", "required"),
    ("honour", {"level": "galactic", "title": "x"}, "level", "Must be one of"),
    ("inspection_finding", {"level": "national", "summary": "x"}, "level", "Must be one of"),
    ("major_matter", {"summary": "x", "discovered_at": AT, "reported_to_street_at": "2025-11-12T08:00:00+08:00"},
     "reported_to_street_at", "before discovered_at"),
    ("major_matter", {"summary": "x", "discovered_at": "2025-11-12T09:00:00"}, "discovered_at", "aware"),
    ("letter_handling", {"outcome": "ignored", "summary": "x"}, "outcome", "Must be one of"),
    ("referral", {"status": "lost", "summary": "x"}, "status", "Must be one of"),
    ("meeting_attendance", {"meeting": "monthly_party"}, "meeting", "Must be one of"),
])
def test_bad_payloads_are_refused_naming_the_field(tenant, type_, payload, field, reason):
    with pytest.raises(OperationError) as caught:
        record(tenant, type_, payload)
    assert reason in " ".join(caught.value.errors["payload"][field])


def test_a_major_matter_computes_its_delays_and_reported_flags(tenant):
    stored, _ = record(tenant, "major_matter", {"summary": "围墙裂缝", "discovered_at": AT,
                                                "reported_to_community_at": "2025-11-12T10:30:00+08:00"})
    p = stored.payload
    assert (p["community_delay_minutes"], p["reported_to_community"]) == (90, True)
    assert (p["street_delay_minutes"], p["reported_to_street"]) == (None, False)


def test_settings_defaults_are_those_of_schemes_md(app, tenant):
    s = tenant_ops.get_settings(db.session.get(Tenant, tenant_id(app)), "chashan")
    assert (s["required_patrol_days"], s["patrol_minimum_minutes"], s["major_matter_report_hours"]) == \
        ("working_days", 60, 2)
    assert [s[k] for k in ("reward_patrol_log", "reward_reports", "reward_resident_issue", "reward_hosted_visit",
                           "reward_meeting", "fine_missed_patrol", "fine_late_major_matter")] == [50, 50, 10, 50, 20, 50, 50]
    assert s["grade_bands"] == {"excellent": 95, "good": 85, "pass": 65}
    assert (s["excellent_community_award"], s["annual_award_per_staff"]) == (1000, 200)
    assert s["honour_bonus"] == {"national": 30, "ministry": 25, "provincial": 20, "provincial_department": 15,
                                 "prefecture_city": 10, "county_city": 10, "county_department": 5}
    assert s["inspection_penalty"] == {"provincial": 30, "prefecture": 20, "county": 10}
    assert (s["handling_rate_threshold"], s["satisfaction_threshold"], s["rate_step"], s["rate_step_deduction"]) == \
        (95, 90, 5, Decimal("0.5"))
    assert s["honour_bonus_cap"] is None and s["annual_ranking_basis"] == "mean_of_quarters"


def tenant_id(app):
    from sqlalchemy import select

    from gridgov.tenancy import platform_scope

    with platform_scope():
        return db.session.scalar(select(Tenant.id).where(Tenant.slug == "csf"))


@pytest.mark.parametrize("change, field", [({"honour_bonus": {"galactic": "99"}}, "honour_bonus"),
                                           ({"inspection_penalty": {"county": "-1"}}, "inspection_penalty"),
                                           ({"reward_meeting": "-20"}, "reward_meeting"),
                                           ({"handling_rate_threshold": "101"}, "handling_rate_threshold"),
                                           ({"rate_step": "0"}, "rate_step")])
def test_bad_settings_are_refused_naming_the_field(app, tenant, change, field):
    with pytest.raises(OperationError) as caught:
        tenant_ops.update_settings(db.session.get(Tenant, tenant_id(app)), "chashan", change)
    assert field in caught.value.errors


def test_the_plugin_declares_the_five_sheets(app):
    sheets = app.extensions["gridgov_registry"].sheets
    declared = {k: (s.subject_kind, s.period_kind) for k, s in sheets.items() if s.plugin == "chashan"}
    assert declared == {"chashan.director_month": ("person", "month"), "chashan.director_quarter": ("person", "quarter"),
                        "chashan.community_quarter": ("grid", "quarter"), "chashan.department_quarter": ("unit", "quarter"),
                        "chashan.community_year": ("grid", "year")}
    b = sheets["chashan.community_quarter"]
    assert sum(i.max_points for i in b.items if i.max_points) == 100
    assert sum(i.max_points for i in sheets["chashan.department_quarter"].items) == 100
    assert [i.key for i in b.items if i.kind == "judged"] == ["residents", "leadership"]
