"""The chashan settings in the console's plugin settings form: every field shown with its
default, the level tables as JSON, and a change saved through the form."""
from __future__ import annotations

import json
import re

from console_support import Console

from gridgov.extensions import db
from gridgov.models import Tenant
from gridgov.operations import tenants as tenant_ops
from gridgov_chashan.settings import Settings

URL = "/admin/plugin-settings/"


def test_the_chashan_settings_form_shows_and_saves_the_level_tables(app, client, factory):
    tenant = factory.tenant("csc", plugins=["chashan"])
    factory.user("root", platform_admin=True)
    console = Console(client)
    console.login("root")
    page = console.get(URL, query_string={"tenant_id": tenant.id, "plugin": "chashan"})
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    for name in ("honour_bonus", "inspection_penalty", "excellent_community_award", "check_time_of_day"):
        assert f'name="{name}"' in body, name
    assert "national" in body and "1000" in body


def form_data(settings: dict) -> dict:
    """What the form posts for these settings: JSON for the level tables, "y" for a true box."""
    data = {}
    for key, value in Settings().dump(settings).items():
        if isinstance(value, bool):
            if value:
                data[key] = "y"
        elif isinstance(value, dict):
            data[key] = json.dumps(value, default=str)
        else:
            data[key] = "" if value is None else str(value)
    return data


def test_a_level_table_saved_through_the_form_keeps_the_other_levels(app, client, factory):
    tenant = factory.tenant("csc", plugins=["chashan"])
    factory.user("root", platform_admin=True)
    console = Console(client)
    console.login("root")
    data = form_data(Settings().load({}))
    data.update(honour_bonus='{"national": "40"}', excellent_community_award="1200")
    data.pop("check_time_of_day")
    response = console.post(f"{URL}?tenant_id={tenant.id}&plugin=chashan", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 302, re.findall(r'invalid-feedback[^>]*>([^<]+)', body)
    with app.app_context():
        settings = tenant_ops.get_settings(db.session.get(Tenant, tenant.id), "chashan")
    assert settings["honour_bonus"]["national"] == 40 and settings["honour_bonus"]["ministry"] == 25
    assert settings["excellent_community_award"] == 1200 and settings["check_time_of_day"] is False
    assert settings["fine_missed_patrol"] == 50 and settings["honour_bonus_cap"] is None
