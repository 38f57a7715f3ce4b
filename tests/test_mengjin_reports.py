"""The mengjin_fees reports — the monthly summary (月度汇总) and the grid evidence table — and
the settings form in the console (every setting shown with its default, a change saved, a bad
window refused with a message on the form)."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from console_support import Console
from mengjin_support import OCTOBER, World

from gridgov import reports
from gridgov.extensions import db
from gridgov.models import Tenant
from gridgov.operations import tenants as tenant_ops
from gridgov_mengjin_fees.settings import Settings

URL = "/admin/plugin-settings/"


@pytest.fixture
def world(app, factory):
    return World(app, factory)


def build(world, key: str, locale: str = "zh", **params):
    with world.scope():
        report = reports.get_report(key)
        request = reports.make_request(report, world.user(), locale=locale, **params)
        return reports.build(report, request)


def test_the_monthly_summary_shows_each_sheets_subjects_with_their_share_and_names_what_is_not_assessed(world):
    c = world.people["c"]
    for item in ("support", "study", "tasks", "records"):
        world.judge("branch_cadre", OCTOBER, item, c, 9)
    world.run("branch_cadre", OCTOBER, publish=True)
    world.run("grid_responsible", OCTOBER)  # computed, not published
    table = build(world, "mengjin_fees.monthly_summary", period_start="2025-10-01")
    cadre = next(r for r in table.rows if r["subject"] == "人员c")
    assert (cadre["total"], cadre["maximum"], cadre["share"], cadre["grade"], cadre["state"]) == \
        (Decimal(36), Decimal(50), Decimal("0.72"), "合格", "已公布")
    grid_rows = [r for r in table.rows if r["sheet"] == "网格责任人月度考核"]
    assert {r["subject"] for r in grid_rows} == {"邵军", "人员r1", "人员r2"} and {r["state"] for r in grid_rows} == {"未公布"}
    assert table.notes == ["尚未考核：综合服务组月度考核"]
    english = build(world, "mengjin_fees.monthly_summary", locale="en", period_start="2025-10-01")
    assert english.notes == ["Not assessed yet: Comprehensive service group monthly assessment"]


def test_the_grid_evidence_report_lists_every_duty_beside_its_evidence(world):
    r1 = world.people["r1"]
    world.events("patrol", "A1", [dt.date(2025, 10, 9)], {"households_visited": 4}, actor_person_id=r1)
    world.judge("grid_responsible", OCTOBER, "patrol_register", r1, 8, "台账相符")
    results = world.run("grid_responsible", OCTOBER)
    with world.scope():
        from gridgov.models.assessment import AssessmentResult

        run_id = db.session.get(AssessmentResult, results[r1].id).run_id
    table = build(world, "mengjin_fees.grid_evidence", run_id=run_id, subject_id=r1)
    assert len(table.rows) == 10
    first = table.rows[0]
    assert (first["points"], first["reason"], first["events"]) == (Decimal(8), "台账相符", 1)
    assert "责任网格内巡查 1 次" in first["evidence"]


def test_every_setting_is_in_the_console_form_with_its_default_and_a_change_is_saved(app, client, factory, world):
    factory.user("root", platform_admin=True)
    console = Console(client)
    console.login("root")
    body = console.get(URL, query_string={"tenant_id": world.tenant.id, "plugin": "mengjin_fees"}).get_data(as_text=True)
    for name in Settings().fields:
        assert f'name="{name}"' in body, name
    assert "第3项 印章使用和管理不当（每次扣分）" in body
    data = {}
    for key, value in Settings().dump(Settings().load({})).items():
        if isinstance(value, bool):
            data[key] = "y"
        elif isinstance(value, dict):
            data[key] = "{" + ", ".join(f'"{k}": "{v}"' for k, v in value.items()) + "}"
        else:
            data[key] = str(value)
    refused = console.post(f"{URL}?tenant_id={world.tenant.id}&plugin=mengjin_fees",
                           data={**data, "assessment_window_start": "28", "assessment_window_end": "26"})
    assert refused.status_code == 200 and "must not be before assessment_window_start" in refused.get_data(as_text=True)
    saved = console.post(f"{URL}?tenant_id={world.tenant.id}&plugin=mengjin_fees",
                         data={**data, "reply_working_days": "7", "deduct_seal_misused": "4"})
    assert saved.status_code == 302, re.findall(r'invalid-feedback[^>]*>([^<]+)', saved.get_data(as_text=True))
    with app.app_context():
        settings = tenant_ops.get_settings(db.session.get(Tenant, world.tenant.id), "mengjin_fees")
    assert (settings["reply_working_days"], settings["deduct_seal_misused"], settings["briefs_per_month"]) == \
        (7, Decimal(4), 3)
