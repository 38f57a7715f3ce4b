"""The monthly assessment window (每月二十五至三十日进行考核): the console reminds the office from
the 25th and flags a month whose sheets are not all published by the 30th — the mengjin_fees
answer to the core hook ``gridgov_console_notices``, and the banners the console shows for it."""
from __future__ import annotations

import datetime as dt

import pytest
from console_support import Console
from mengjin_support import World

from gridgov.extensions import db
from gridgov.models import Tenant
from gridgov_mengjin_fees import window

SHEETS = ("service_group", "branch_cadre", "grid_responsible")


@pytest.fixture
def world(app, factory):
    return World(app, factory)


def notices(world, today: dt.date):
    with world.scope():
        return window.notices(db.session.get(Tenant, world.tenant.id), today)


def publish_month(world, month: dt.date, sheets=SHEETS):
    for sheet in sheets:
        world.run(sheet, month, publish=True)


def test_no_notice_before_the_25th_when_last_month_is_published(world):
    publish_month(world, dt.date(2025, 9, 1))
    assert notices(world, dt.date(2025, 10, 24)) == []


def test_from_the_25th_the_office_is_reminded_of_the_sheets_not_yet_published(world):
    publish_month(world, dt.date(2025, 9, 1))
    publish_month(world, dt.date(2025, 10, 1), ["branch_cadre"])
    found = notices(world, dt.date(2025, 10, 25))
    assert [(n.key, n.level) for n in found] == [("mengjin_fees.assessment_window", "info")]
    assert "10月考核时间：10月25日至30日" in found[0].text_zh and "综合服务组月度考核" in found[0].text_zh
    assert "分会干部" not in found[0].text_zh
    assert notices(world, dt.date(2025, 10, 30))[0].level == "info"  # the 30th is still in the window


def test_a_month_not_published_by_the_30th_is_flagged_then_and_in_the_next_month(world):
    publish_month(world, dt.date(2025, 9, 1))
    on_31 = notices(world, dt.date(2025, 10, 31))
    assert [(n.key, n.level) for n in on_31] == [("mengjin_fees.assessment_overdue", "warning")]
    assert "2025年10月考核未在10月30日前完成" in on_31[0].text_zh
    next_month = notices(world, dt.date(2025, 11, 3))
    assert [n.key for n in next_month] == ["mengjin_fees.assessment_overdue"]
    publish_month(world, dt.date(2025, 10, 1))
    assert notices(world, dt.date(2025, 11, 3)) == []


def test_february_closes_on_its_last_day_and_the_window_is_a_setting(world):
    publish_month(world, dt.date(2026, 1, 1))
    assert notices(world, dt.date(2026, 2, 28))[0].level == "info"
    world.settings(assessment_window_start=20, assessment_window_end=22)
    assert notices(world, dt.date(2026, 2, 20))[0].level == "info"
    assert notices(world, dt.date(2026, 2, 23))[0].level == "warning"


def test_the_console_shows_the_office_its_notices_and_not_field_staff(world, client, factory):
    world.settings(assessment_window_start=1, assessment_window_end=31)  # today is always inside the window
    factory.user("mj-field", world.tenant, "field_staff")
    office = Console(client)
    office.login("mj-office")
    page = office.get("/admin/").get_data(as_text=True)
    assert 'data-notice="mengjin_fees.assessment_window"' in page and "尚未公布" in page
    assert 'data-notice="mengjin_fees.assessment_overdue"' in page  # last month was never assessed
    assert "Monthly assessment of" in office.get("/admin/?lang=en").get_data(as_text=True)
    field = Console(world.app.test_client())
    field.login("mj-field")
    assert "data-notice" not in field.get("/admin/").get_data(as_text=True)
