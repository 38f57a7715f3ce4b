"""The case metrics page (案件指标) and the background jobs view (后台任务) in the console."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from cases_support import TZ, World
from conftest import in_tenant
from console_cases_support import Browser

from gridgov.jobs import enqueue, inprocess
from gridgov.metrics import RATE_TITLES, case_metrics
from gridgov.operations import cases
from gridgov.operations.grids import get_grid


@pytest.fixture
def world(app, factory):
    return World(app, factory)


def cell(html: str, rate: str) -> str:
    """The percentage shown for one rate."""
    row = re.search(rf'<tr data-rate="{rate}">(.*?)</tr>', html, re.S).group(1)
    return re.findall(r"<td>(.*?)</td>", row, re.S)[1].strip()


def test_metrics_page_shows_the_rates_and_counts(app, world):
    with in_tenant(app, world.tenant):
        sup = world.user("sup")
        for state in ("closed", "closed", "rejected", "in_progress"):
            world.case_in(state, category="core.general")
        reopened = world.case_in("resolved", category="core.general")
        cases.reopen(reopened, actor=sup, reason="未整改到位")
        world.case_in("reported", grid_id=world.grid["G3"])
    today = dt.datetime.now(TZ).date()
    period = f"start={today.replace(day=1).isoformat()}&end={today.isoformat()}"
    page = Browser(app, world.user_ids["viewer"]).text(f"/admin/case-metrics/?{period}&grid={world.grid['C']}")
    for zh, _ in RATE_TITLES.values():
        assert zh in page, zh
    with in_tenant(app, world.tenant):
        expected = case_metrics(start=today.replace(day=1), end=today + dt.timedelta(days=1), grid=get_grid(world.grid["C"]))
    assert expected.reported == 5 and expected.closed == 2  # G3's report is outside C
    assert cell(page, "valid_report_rate") == "80.00%"  # one of five rejected
    assert cell(page, "rework_rate") == f"{expected.rework_rate.percent}%" == "33.33%"  # one reopening, three resolutions
    assert cell(page, "closure_rate") == f"{expected.closure_rate.percent}%"
    assert re.search(r"<th>上报数</th><td>5</td>", page) and re.search(r"<th>结案数</th><td>2</td>", page)
    assert 'id="handling"' in page and "分钟" in page  # mean and p90 handling time of the two closed cases

    english = Browser(app, world.user_ids["viewer"]).text(f"/admin/case-metrics/?{period}&lang=en")
    assert "Rework rate" in english and "返工率" in english  # the Chinese name stays beside the English one


def test_metrics_page_names_a_bad_period(app, world):
    page = Browser(app, world.user_ids["sup"]).text("/admin/case-metrics/?start=2026-05-01&end=2026-04-01&lang=en")
    assert "must be after start" in page and 'data-rate=' not in page
    page = Browser(app, world.user_ids["sup"]).text("/admin/case-metrics/?start=2026-13-01&lang=en")
    assert "Not a valid date value" in page


def test_jobs_view_lists_the_tenants_jobs(app, world, factory):
    with in_tenant(app, world.tenant):
        enqueue(cases.sweep_overdue, title="超期案件巡检（控制台测试）", tenant_id=world.tenant.id)
    assert inprocess.runner_for(app).wait(timeout=30)
    admin = Browser(app, world.user_ids["admin"])
    page = admin.text("/admin/jobs/")
    assert "后台任务" in page and "超期案件巡检（控制台测试）" in page and "已完成" in page
    assert admin.get("/admin/platform-jobs/").status_code == 403
    root = Browser(app, factory.user("root", platform_admin=True)[0])
    assert "超期案件巡检（控制台测试）" in root.text("/admin/platform-jobs/")
