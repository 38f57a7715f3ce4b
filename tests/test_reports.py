"""Reports (gridgov.reports): the ``gridgov_reports`` hook and the registry, CSV and XLSX
rendering (BOM, Chinese headers, number formats, exact Decimals), the core's ``core.ranking``
and ``core.sheet`` over runs of a throwaway sheet (tests/assessment_support.py), access, the
API and the console pages with their downloads."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from assessment_support import NOVEMBER, AssessPlugin, World, at, weekdays

from gridgov import create_app, hookimpl
from gridgov.assessment import judging
from gridgov.assessment import operations as runs
from gridgov.jobs import inprocess
from gridgov.plugins import PluginError, PluginInfo, Report
from gridgov.reports import (Column, ReportRequest, ReportTable, content_disposition, display_width, filename,
                             sheet_name, to_csv, to_xlsx)

WORKDAYS = weekdays(NOVEMBER, dt.date(2026, 12, 1))
TZ = ZoneInfo("Asia/Shanghai")


def _table_build(request):
    return ReportTable(title="测试报表", columns=[Column("n", "编号", "No.", "int")], rows=[{"n": 1}])


class ReportPlugin:
    """Declares one report over the assesstest sheet, one per month and one over nothing."""

    @hookimpl
    def gridgov_plugin_info(self):
        return PluginInfo("报表测试", "Report test", "1.0")

    @hookimpl
    def gridgov_reports(self):
        return [Report("monthly", "月报", "Monthly", _table_build, needs="period", period_kind="month",
                       published_readers=True),
                Report("grid_list", "社区名单", "Communities", _table_build, needs="run",
                       sheets=("assesstest.grid_month",))]


@pytest.fixture
def app_config(app_config):
    return {**app_config, "GRIDGOV_EXTRA_PLUGINS": [("assesstest", AssessPlugin()), ("reptest", ReportPlugin())],
            "GRIDGOV_JOB_RETRY_INTERVALS": "0"}


@pytest.fixture
def world(app, factory):
    w = World(app, factory)
    with app.app_context():
        from gridgov.extensions import db
        from gridgov.models import Tenant
        from gridgov.operations import tenants as tenant_ops

        tenant_ops.update_tenant(db.session.get(Tenant, w.tenant.id), enabled_plugins=["assesstest", "reptest"])
        db.session.commit()
    w.tenant.enabled_plugins = ["assesstest", "reptest"]
    yield w
    inprocess.runner_for(app).wait(timeout=30)


# -- the hook and the registry ------------------------------------------------------------------


def test_gridgov_reports_are_namespaced_and_filtered_by_tenant(app, factory, world):
    registry = app.extensions["gridgov_registry"]
    assert {"core.ranking", "core.sheet", "reptest.monthly", "reptest.grid_list"} <= set(registry.reports)
    monthly = registry.reports["reptest.monthly"]
    assert (monthly.plugin, monthly.needs, monthly.period_kind) == ("reptest", "period", "month")
    assert registry.reports["core.ranking"].published_readers is True
    assert registry.reports["core.sheet"].published_readers is False
    enabled = factory.tenant("withrep", plugins=["reptest"])
    plain = factory.tenant("plain")
    assert "reptest.monthly" in registry.for_tenant(enabled).reports
    assert "reptest.monthly" not in registry.for_tenant(plain).reports
    assert "core.ranking" in registry.for_tenant(plain).reports


class _Declares:
    def __init__(self, *reports):
        self.reports = reports

    @hookimpl
    def gridgov_plugin_info(self):
        return PluginInfo("坏", "Bad", "0")

    @hookimpl
    def gridgov_reports(self):
        return list(self.reports)


def _report(**kw):
    return Report(**{"key": "r", "title_zh": "表", "title_en": "R", "build": _table_build, **kw})


@pytest.mark.parametrize("reports, message", [
    ((_report(), _report()), "declared twice"),
    ((_report(key="core.r"),), "another plugin's namespace"),
    ((_report(needs="week"),), "needs"),
    ((_report(needs="period"),), "period_kind"),
    ((_report(build="nope"),), "callable"),
    ((_report(sheets="bad.sheet"),), "tuple"),
])
def test_bad_reports_are_refused_at_start_up(app_config, reports, message):
    with pytest.raises(PluginError, match=message):
        create_app({**app_config, "GRIDGOV_EXTRA_PLUGINS": [("bad", _Declares(*reports))]})


# -- rendering ----------------------------------------------------------------------------------

TABLE = ReportTable(
    title="茶山社区季度考核排名[测试]/第三季度:很长很长很长很长很长的标题",
    subtitle="2026年第3季度 · 已公布",
    notes=["注：总分 = 基础分 + 加分 − 扣分"],
    columns=[Column("rank", "名次", "Rank", "int"), Column("name", "社区名称", "Community"),
             Column("total", "总分", "Total", "decimal"), Column("award", "奖励金额", "Award", "money"),
             Column("rate", "处置率", "Rate", "percent"), Column("day", "日期", "Date", "date"),
             Column("at", "时间", "Time", "datetime")],
    rows=[{"rank": 1, "name": "中心社区", "total": Decimal("96.35"), "award": Decimal("1000.00"),
           "rate": Decimal("0.953"), "day": dt.date(2026, 11, 3),
           "at": dt.datetime(2026, 11, 3, 1, 30, tzinfo=dt.timezone.utc)},
          {"rank": 2, "name": "“新民”社区, 东片", "total": Decimal("0.10"), "award": Decimal("-50.00"),
           "rate": None, "day": None, "at": None}],
)


def test_csv_has_a_bom_crlf_chinese_headers_and_exact_values():
    data = to_csv(TABLE, "zh", tz="Asia/Shanghai")
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8")
    assert text.count("\r\n") == 3 and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["名次", "社区名称", "总分", "奖励金额", "处置率", "日期", "时间"]
    assert rows[1] == ["1", "中心社区", "96.35", "1000.00", "95.3%", "2026-11-03", "2026-11-03 09:30"]
    assert rows[2] == ["2", "“新民”社区, 东片", "0.10", "-50.00", "", "", ""]
    assert to_csv(TABLE, "en", tz="Asia/Shanghai")[3:].decode().startswith("Rank,Community,Total")


def test_text_values_are_exact_plain_decimals_and_local_times():
    from gridgov.reports import text_value

    assert text_value(Decimal("1E+2")) == "100" and text_value(Decimal("-0.00")) == "0.00"
    assert text_value(Decimal("0.1") + Decimal("0.2")) == "0.3"
    assert text_value(Decimal("12345678901234567890.12"), "money") == "12345678901234567890.12"
    assert text_value(Decimal("1"), "percent") == "100%" and text_value(Decimal("0.005"), "percent") == "0.5%"
    assert text_value(dt.datetime(2026, 1, 1, 16, 0, tzinfo=dt.timezone.utc), "datetime", "Asia/Shanghai") == "2026-01-02 00:00"


def test_xlsx_opens_with_the_chinese_headers_typed_cells_and_number_formats():
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(TABLE, "zh", tz="Asia/Shanghai")))
    ws = wb.active
    assert len(ws.title) <= 31 and not re.search(r"[\[\]:*?/\\]", ws.title)
    assert ws["A1"].value == TABLE.title and ws["A1"].font.b
    assert ws["A2"].value == TABLE.subtitle
    header = [c.value for c in ws[3]]
    assert header == ["名次", "社区名称", "总分", "奖励金额", "处置率", "日期", "时间"]
    assert all(c.font.b for c in ws[3])
    assert ws.freeze_panes == "A4"
    rank, name, total, award, rate, day, when = ws[4]
    assert (rank.value, name.value) == (1, "中心社区")
    assert Decimal(str(total.value)) == Decimal("96.35") and total.number_format == "0.00"
    assert Decimal(str(award.value)) == Decimal("1000") and award.number_format == "¥#,##0.00"
    assert Decimal(str(rate.value)) == Decimal("0.953") and rate.number_format == "0.0%"
    assert day.value == dt.datetime(2026, 11, 3) and day.is_date
    assert when.value == dt.datetime(2026, 11, 3, 9, 30) and when.is_date
    assert Decimal(str(ws["D5"].value)) == Decimal("-50")
    assert ws["A7"].value == TABLE.notes[0]
    # Chinese text counts double: 社区名称 column fits "“新民”社区, 东片"
    assert ws.column_dimensions["B"].width >= display_width("“新民”社区, 东片")
    assert display_width("社区") == 4 and display_width("ab") == 2


def test_sheet_names_and_download_names():
    assert sheet_name("a[b]c:d*e?f/g\\h") == "a_b_c_d_e_f_g_h"
    assert len(sheet_name("很" * 40)) == 31
    assert sheet_name("''") == "Report"
    header = content_disposition("茶山社区季度排名_2026年第3季度.xlsx")
    assert header.startswith('attachment; filename="')
    star = header.split("filename*=UTF-8''")[1]
    assert unquote(star) == "茶山社区季度排名_2026年第3季度.xlsx"
    assert all(ord(ch) < 128 for ch in header)


# -- the core's reports over runs ----------------------------------------------------------------


def judge(world, grid, points):
    with world.scope():
        judging.enter_judgement(sheet="assesstest.grid_month", period_start="2026-11-01", item="leadership",
                                subject_id=world.grids[grid], points=points, reason="综合表现",
                                user=world.user("judge"))


@pytest.fixture
def computed(world):
    """A computed (not published) November run: A 95 (¥1000), B 50, C 95 vetoed."""
    world.patrols("A1", WORKDAYS)
    world.patrols("B1", WORKDAYS[:1], minutes=30)
    world.patrols("C", WORKDAYS)
    world.events([{"type": "assesstest.veto", "grid_id": world.grids["C1"], "occurred_at": at(WORKDAYS[3])}])
    for grid, points in [("A", "55"), ("B", "50"), ("C", "55")]:
        judge(world, grid, points)
    with world.scope():
        run = runs.create_run(sheet="assesstest.grid_month", period_start=NOVEMBER, user=world.user("judge"))
        runs.compute(run, world.user("judge"))
        world.run_id = run.id
    assert inprocess.runner_for(world.app).wait(timeout=30)
    return world


def publish(world):
    with world.scope():
        runs.publish(runs.get_run(world.run_id), world.user("judge"))


def _request(world, user="judge", **kw):
    from gridgov.reports import get_report, make_request

    report = get_report(kw.pop("key", "core.ranking"))
    return report, make_request(report, world.user(user), run_id=kw.pop("run_id", world.run_id), **kw)


def test_core_ranking_and_sheet_of_a_run(computed):
    from gridgov.reports import build

    with computed.scope():
        report, request = _request(computed)
        table = build(report, request)
        rows = {r["subject"]: r for r in table.rows}
        assert [c.title_zh for c in table.columns] == ["名次", "考核对象", "总分", "等次", "奖惩金额", "一票否决", "标记"]
        assert rows["社区A"]["total"] == Decimal("95.00") and rows["社区A"]["grade"] == "优秀"
        assert rows["社区A"]["money"] == Decimal("1000.00")
        assert rows["社区B"]["grade"] == "不合格" and rows["社区B"]["rank"] == 3
        assert rows["社区C"]["vetoes"] == "veto recorded" and rows["社区C"]["money"] == Decimal("0.00")
        assert "2026年11月" in table.subtitle
        assert filename(report, request, "csv") == f"考核排名_2026年11月_#{computed.run_id}.csv"

        report, request = _request(computed, key="core.sheet", subject_id=computed.grids["A"])
        table = build(report, request)
        assert {r["subject"] for r in table.rows} == {"社区A"}
        items = {r["item"]: r for r in table.rows}
        assert items["巡查"]["points"] == Decimal("40.00") and items["巡查"]["max_points"] == Decimal("40")
        assert items["巡查"]["evidence"].startswith("事件 #")
        assert items["领导评分"]["judged_by"].startswith("u-judge")
        assert items["领导评分"]["points"] == Decimal("55.00")


@pytest.mark.parametrize("params, field", [
    ({"run_id": None}, "run_id"),
    ({"run_id": "abc"}, "run_id"),
    ({"run_id": "0"}, "run_id"),
    ({"grid_id": "x"}, "grid_id"),
    ({"subject_id": "1.5"}, "subject_id"),
])
def test_bad_parameters_name_the_field(computed, params, field):
    from gridgov.operations.errors import OperationError

    with computed.scope(), pytest.raises(OperationError) as err:
        _request(computed, **params)
    assert field in err.value.errors or err.value.status == 404


def test_a_run_of_another_sheet_is_refused_for_a_sheet_bound_report(computed):
    from gridgov.operations.errors import OperationError

    with computed.scope():
        other = runs.create_run(sheet="assesstest.person_month", period_start=NOVEMBER, user=computed.user("judge"))
        with pytest.raises(OperationError) as err:
            _request(computed, key="reptest.grid_list", run_id=other.id)
        assert "run_id" in err.value.errors
        _request(computed, key="reptest.grid_list")  # the sheet it reads is fine


def test_period_reports_need_a_period_start_where_a_period_begins(computed):
    from gridgov.operations.errors import OperationError

    with computed.scope():
        for bad in (None, "2026-13-01", "2026-11-05"):
            with pytest.raises(OperationError) as err:
                _request(computed, key="reptest.monthly", run_id=None, period_start=bad)
            assert "period_start" in err.value.errors
        _, request = _request(computed, key="reptest.monthly", run_id=None, period_start="2026-11-01")
        assert (request.period_start, request.period_end) == (NOVEMBER, dt.date(2026, 12, 1))


def test_access_managers_always_others_only_published_readers_after_publication(computed):
    from gridgov.operations.errors import Forbidden

    with computed.scope():
        _request(computed, user="admin")
        _request(computed, user="judge", key="core.sheet")
        for user in ("outsider", "dirA"):
            with pytest.raises(Forbidden):
                _request(computed, user=user)  # a draft/computed run is 保密
    publish(computed)
    with computed.scope():
        _request(computed, user="outsider")  # the published ranking is 公开
        with pytest.raises(Forbidden):
            _request(computed, user="outsider", key="core.sheet")  # line items are not
        _request(computed, user="outsider", key="reptest.monthly", run_id=None, period_start="2026-11-01")


# -- the API ------------------------------------------------------------------------------------


def api(world, client, user="judge", slug=None):
    from api_support import TenantClient

    return TenantClient(client, world.tokens[user], slug or world.tenant.slug)


def test_api_lists_the_reports_a_login_may_open(computed, client):
    keys = {r["key"] for r in api(computed, client).get("reports").get_json()}
    assert {"core.ranking", "core.sheet", "reptest.monthly", "reptest.grid_list"} <= keys
    ranking = next(r for r in api(computed, client).get("reports").get_json() if r["key"] == "core.ranking")
    assert (ranking["needs"], ranking["published_readers"], ranking["plugin"]) == ("run", True, "core")
    outsider = {r["key"] for r in api(computed, client, "outsider").get("reports").get_json()}
    assert "core.ranking" in outsider and "core.sheet" not in outsider


def test_api_report_as_json_csv_and_xlsx(computed, client):
    judge = api(computed, client)
    response = judge.get("reports/core.ranking", query={"run_id": computed.run_id})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["key"] == "core.ranking" and body["columns"][0]["title"] == "名次"
    top = next(r for r in body["rows"] if r["subject"] == "社区A")
    assert (top["total"], top["money"], top["grade"]) == ("95.00", "1000.00", "优秀")

    response = judge.get("reports/core.ranking", query={"run_id": computed.run_id, "format": "csv"})
    assert response.status_code == 200 and response.content_type == "text/csv; charset=utf-8"
    assert response.data.startswith(b"\xef\xbb\xbf" + "名次,考核对象,总分".encode())
    disposition = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''" in disposition
    assert unquote(disposition.split("UTF-8''")[1]) == f"考核排名_2026年11月_#{computed.run_id}.csv"

    response = judge.get("reports/core.sheet", query={"run_id": computed.run_id, "format": "xlsx", "lang": "en"})
    assert response.status_code == 200
    assert response.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ws = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in ws[3]][:3] == ["Subject", "Item", "Points"]


@pytest.mark.parametrize("query, field", [
    ({}, "run_id"),
    ({"run_id": "abc"}, "run_id"),
    ({"run_id": "-4"}, "run_id"),
    ({"run_id": "{run}", "format": "pdf"}, "format"),
    ({"run_id": "{run}", "grid_id": "x"}, "grid_id"),
])
def test_api_bad_parameters_are_400_naming_the_field(computed, client, query, field):
    query = {k: v.replace("{run}", str(computed.run_id)) for k, v in query.items()}
    response = api(computed, client).get("reports/core.ranking", query=query)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert field in response.get_json()["errors"]["query"]


def test_api_period_report_needs_a_valid_period_start(computed, client):
    judge = api(computed, client)
    response = judge.get("reports/reptest.monthly", query={"period_start": "2026-11-07"})
    assert response.status_code == 400 and "period_start" in response.get_json()["errors"]["query"]
    assert judge.get("reports/reptest.monthly", query={"period_start": "2026-11-01"}).status_code == 200


def test_api_unknown_report_and_another_tenants_run_are_404(computed, client, factory):
    other = factory.tenant("other-t", plugins=["assesstest"])
    _, token = factory.user("other-admin", other, "tenant_admin")
    from api_support import TenantClient

    stranger = TenantClient(client, token, other.slug)
    response = stranger.get("reports/core.ranking", query={"run_id": computed.run_id})
    assert response.status_code == 404 and response.get_json()["message"] == "assessment run not found"
    assert stranger.get("reports/nope.report").status_code == 404
    assert api(computed, client, slug=other.slug).get("reports").status_code == 404  # not a member


def test_api_access_draft_is_closed_published_ranking_open(computed, client):
    outsider = api(computed, client, "outsider")
    assert outsider.get("reports/core.ranking", query={"run_id": computed.run_id}).status_code == 403
    publish(computed)
    response = outsider.get("reports/core.ranking", query={"run_id": computed.run_id})
    assert response.status_code == 200 and len(response.get_json()["rows"]) == 3
    assert outsider.get("reports/core.sheet", query={"run_id": computed.run_id}).status_code == 403


# -- the console --------------------------------------------------------------------------------


def console_as(client, user):
    from console_support import Console

    console = Console(client)
    assert console.login(f"u-{user}").status_code == 302
    return console


def test_console_report_page_and_downloads(computed, client):
    console = console_as(client, "judge")
    page = console.get("/admin/reports/").get_data(as_text=True)
    assert "报表" in page and "core.ranking" in page
    page = console.get("/admin/reports/", query_string={"report": "core.ranking"}).get_data(as_text=True)
    assert f'value="{computed.run_id}"' in page and "社区月度考核 · 2026年11月 · 已计算" in page
    response = console.get("/admin/reports/", query_string={"report": "core.ranking", "run_id": computed.run_id})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<th>名次</th>" in page and "社区A" in page and "¥1,000.00" in page and "下载CSV" in page and "下载Excel" in page
    csv_link = re.search(r'href="([^"]+)" data-format="csv"', page).group(1).replace("&amp;", "&")
    response = console.get(csv_link)
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    assert "名次" in response.data.decode("utf-8-sig")
    xlsx_link = re.search(r'href="([^"]+)" data-format="xlsx"', page).group(1).replace("&amp;", "&")
    response = console.get(xlsx_link)
    assert response.status_code == 200 and response.data[:2] == b"PK"
    assert openpyxl.load_workbook(io.BytesIO(response.data)).active["A3"].value == "名次"
    page = console.get("/admin/reports/", query_string={"report": "core.ranking", "run_id": computed.run_id,
                                                         "lang": "en"}).get_data(as_text=True)
    assert "<th>Rank</th>" in page and "Download Excel" in page


def test_console_bad_parameters_are_flashed_never_a_500(computed, client, factory):
    console = console_as(client, "judge")
    for query in ({"report": "core.ranking", "run_id": "abc"}, {"report": "core.ranking", "run_id": "999999"},
                  {"report": "reptest.monthly", "period_start": "2026-11-05"}, {"report": "nope"},
                  {"report": "core.ranking", "run_id": computed.run_id, "grid_id": "x"}):
        response = console.get("/admin/reports/", query_string=query)
        assert response.status_code == 200, query
        page = response.get_data(as_text=True)
        assert "alert-danger" in page or "alert-error" in page, query
        assert 'id="report-table"' not in page
        response = console.get("/admin/reports/download/", query_string={**query, "format": "csv"})
        assert response.status_code == 302, query


def test_console_access_and_login(computed, client):
    anonymous = client.get("/admin/reports/", query_string={"report": "core.ranking", "run_id": computed.run_id})
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert client.get("/admin/reports/download/", query_string={"report": "core.ranking", "run_id": computed.run_id,
                                                               "format": "csv"}).status_code == 302
    console = console_as(client, "outsider")
    response = console.get("/admin/reports/", query_string={"report": "core.ranking", "run_id": computed.run_id})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="report-table"' not in page and "95.00" not in page
    assert "until the assessment is published" in page
    download = console.get("/admin/reports/download/", query_string={"report": "core.ranking", "run_id": computed.run_id,
                                                                    "format": "xlsx"})
    assert download.status_code == 302
    publish(computed)
    page = console.get("/admin/reports/", query_string={"report": "core.ranking", "run_id": computed.run_id}).get_data(as_text=True)
    assert 'id="report-table"' in page and "社区A" in page
    page = console.get("/admin/reports/", query_string={"report": "core.sheet", "run_id": computed.run_id}).get_data(as_text=True)
    assert 'id="report-table"' not in page and "巡查" not in page
    assert "only assessors and administrators may read this report" in page
