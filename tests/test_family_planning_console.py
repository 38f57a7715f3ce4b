"""family_planning in the console: its settings (pay, the indicator tree as JSON) shown with the
defaults and saved through the plugin settings form, and its reports on the 报表 page with the
downloads."""
from __future__ import annotations

import json
import re

from console_support import Console
from family_planning_support import setup, sheet, record, woman

from gridgov.extensions import db
from gridgov.models import Tenant
from gridgov.operations import tenants as tenant_ops
from gridgov_family_planning.settings import Settings

URL = "/admin/plugin-settings/"


def form_data(settings: dict) -> dict:
    data = {}
    for key, value in Settings().dump(settings).items():
        data[key] = json.dumps(value, default=str) if isinstance(value, (dict, list)) else str(value)
    return data


def test_the_settings_form_shows_the_defaults_and_saves_a_change(app, client, factory):
    tenant = factory.tenant("fps", plugins=["family_planning"])
    factory.user("root", platform_admin=True)
    console = Console(client)
    console.login("root")
    page = console.get(URL, query_string={"tenant_id": tenant.id, "plugin": "family_planning"})
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    for name in Settings().fields:
        assert f'name="{name}"' in body, name
    assert "500.00" in body and "日工作单填报" in body
    data = form_data(Settings().load({}))
    tree = json.loads(data["indicators"])
    tree[0]["max_points"] = "15"
    tree[1]["max_points"] = "5"
    data.update(leader_monthly_withheld="350", indicators=json.dumps(tree, ensure_ascii=False))
    response = console.post(f"{URL}?tenant_id={tenant.id}&plugin=family_planning", data=data)
    assert response.status_code == 302, re.findall(r'invalid-feedback[^>]*>([^<]+)', response.get_data(as_text=True))
    with app.app_context():
        settings = tenant_ops.get_settings(db.session.get(Tenant, tenant.id), "family_planning")
    assert str(settings["leader_monthly_withheld"]) == "350.00" and str(settings["indicators"][0]["max_points"]) == "15.0"
    # a tree without a category is refused on the form, nothing saved
    data["indicators"] = json.dumps([t for t in tree if t["category"] != "democratic"], ensure_ascii=False)
    refused = console.post(f"{URL}?tenant_id={tenant.id}&plugin=family_planning", data=data)
    assert refused.status_code == 200 and "democratic" in refused.get_data(as_text=True)


def test_the_reports_page_shows_the_work_summary_and_offers_the_downloads(app, client, factory):
    import datetime as dt

    ctx = setup(app, factory)
    i = ctx["ids"]
    day = dt.date(2025, 3, 3)
    record(app, ctx["tenant"], [sheet(i["a"], i["block1"], day), sheet(i["a"], i["block1"], day, "result")])
    woman(app, ctx["tenant"], i["block1"], "W1")
    console = Console(client)
    console.login("fp-tenant_admin")
    page = console.get("/admin/reports/", query_string={"report": "family_planning.work_summary",
                                                        "period_start": "2025-03-01"})
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "王组长" in body and "签到天数" in body
    download = console.get("/admin/reports/download/", query_string={"report": "family_planning.work_summary",
                                                                     "period_start": "2025-03-01", "format": "csv"})
    assert download.status_code == 200 and "王组长" in download.data.decode("utf-8-sig")
    listed = console.get("/admin/reports/", query_string={"report": "family_planning.checkup_list",
                                                          "period_start": "2025-03-01"}).get_data(as_text=True)
    assert "育龄妇女W1" in listed  # never checked up: listed
