"""The zhanqian settings in the console's plugin settings form: every field shown with its
default, and a change saved through the form (the grade thresholds as JSON)."""
from __future__ import annotations

import json
import re
from decimal import Decimal

from console_support import Console

from gridgov.extensions import db
from gridgov.models import Tenant
from gridgov.operations import tenants as tenant_ops
from gridgov_zhanqian.settings import Settings

URL = "/admin/plugin-settings/"


def form_data(settings: dict) -> dict:
    data = {}
    for key, value in Settings().dump(settings).items():
        data[key] = json.dumps(value, default=str) if isinstance(value, dict) else str(value)
    return data


def test_the_zhanqian_settings_form_shows_the_defaults_and_saves(app, client, factory):
    tenant = factory.tenant("zqc", plugins=["zhanqian"])
    factory.user("root", platform_admin=True)
    console = Console(client)
    console.login("root")
    page = console.get(URL, query_string={"tenant_id": tenant.id, "plugin": "zhanqian"})
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    for name in Settings().fields:
        assert f'name="{name}"' in body, name
    assert "每个网格每月最少排查次数" in body and "excellent" in body
    data = form_data(Settings().load({}))
    data.update(required_inspections_per_month="5", bonus_cap="15", quarter_rollup="lowest",
                grade_bands='{"excellent": "96"}')
    response = console.post(f"{URL}?tenant_id={tenant.id}&plugin=zhanqian", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 302, re.findall(r'invalid-feedback[^>]*>([^<]+)', body)
    with app.app_context():
        settings = tenant_ops.get_settings(db.session.get(Tenant, tenant.id), "zhanqian")
    assert settings["required_inspections_per_month"] == 5 and settings["bonus_cap"] == Decimal(15)
    assert settings["quarter_rollup"] == "lowest"
    assert settings["grade_bands"]["excellent"] == 96 and settings["grade_bands"]["good"] == 85


def test_a_bad_setting_is_refused_on_the_form_and_nothing_is_saved(app, client, factory):
    tenant = factory.tenant("zqc", plugins=["zhanqian"])
    factory.user("root", platform_admin=True)
    console = Console(client)
    console.login("root")
    data = form_data(Settings().load({}))
    data.update(required_inspections_per_month="0", grade_bands='{"good": "97"}')
    response = console.post(f"{URL}?tenant_id={tenant.id}&plugin=zhanqian", data=data)
    assert response.status_code == 200
    with app.app_context():
        assert (db.session.get(Tenant, tenant.id).settings or {}).get("zhanqian") is None


def test_the_zhanqian_reports_render_in_the_console(app, client, factory):
    import datetime as dt

    from zhanqian_support import MARCH, World

    world = World(app, factory)
    world.inspections("A1", 4)
    world.events("supervision", "A2", [dt.date(2026, 3, 5)], {"findings": ["垃圾未清"]}, actor="leader")
    world.run(publish=True)
    with world.scope():
        from gridgov.assessment import operations as runs

        run_id = runs.list_runs(sheet="zhanqian.community_month")[0].id
    console = Console(client)
    assert console.login("zq-judge").status_code == 302
    page = console.get("/admin/reports/").get_data(as_text=True)
    assert "zhanqian.ranking" in page and "zhanqian.archive_month" in page
    response = console.get("/admin/reports/", query_string={"report": "zhanqian.ranking", "run_id": run_id})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "1a 排查率" in page and "社区A" in page and "整改未结案件" in page
    query = {"report": "zhanqian.archive_month", "period_start": MARCH.isoformat(), "grid_id": world.grids["A"]}
    page = console.get("/admin/reports/", query_string=query).get_data(as_text=True)
    assert "网格排查" in page and "督查" in page and "垃圾未清" in page and "月度考核" in page
    download = console.get("/admin/reports/download/", query_string={**query, "format": "xlsx"})
    assert download.status_code == 200 and download.data[:2] == b"PK"
