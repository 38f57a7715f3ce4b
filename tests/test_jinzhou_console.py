"""jinzhou_streets console pages: the network map (inline SVG coloured by group with a legend and
hover titles, its SVG and GeoJSON downloads, linked with the network table), the section line
checked on the way in, and the shift roster form (errors on the fields, saved as the group's
roster, read by the bulletin's off-roster check); a tenant without the plugin gets 404."""
from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET

import pytest
from api_support import TenantClient, assert_error
from console_support import Console

from gridgov.extensions import db
from gridgov.models import Grid
from gridgov.reports import ReportRequest
from gridgov.tenancy import tenant_scope
from gridgov_jinzhou_streets import reports

P = "jinzhou_streets"
MAP, ROSTER = "/admin/jinzhou-streets-map/", "/admin/jinzhou-streets-roster/"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def jzc(app, client, factory):
    tenant = factory.tenant("jzc", plugins=[P], name="锦州")
    _, token = factory.user("jzc-admin", tenant, "tenant_admin")
    factory.user("jzc-staff", tenant, "field_staff")
    factory.user("other-admin", factory.tenant("other2", name="Other 2"), "tenant_admin")
    api = TenantClient(client, token, "jzc")
    ids = {"city": api.ok("POST", "grids", {"code": "JZ", "name": "锦州市市管街路"})["id"]}
    ids["det"] = api.ok("POST", "grids", {"code": "JZ-1", "name": "第一网管支队", "parent_id": ids["city"]})["id"]
    ids["bri"] = api.ok("POST", "grids", {"code": "JZ-1-1", "name": "第一网管大队", "parent_id": ids["det"]})["id"]
    for n in (1, 2):
        ids[f"g{n}"] = api.ok("POST", "grids", {"code": f"JZ-G{n}", "name": f"第{n}单元网格小组",
                                                "parent_id": ids["bri"]})["id"]
    ids["L1"] = api.ok("POST", "people", {"code": "L1", "name": "王组长"})["id"]
    api.ok("POST", "assignments", {"person_id": ids["L1"], "role": f"{P}.group_leader", "grid_id": ids["g1"],
                                   "starts_on": "2025-01-01"})
    lines = {"LD1": ("g1", 1, [[121.12, 41.10], [121.125, 41.1002], [121.13, 41.10]]),
             "LD2": ("g2", 2, [[121.13, 41.10], [121.13, 41.09]]),
             "LD3": ("g2", 1, None)}
    for code, (grid, grade, line) in lines.items():
        attrs = {"street": "解放路<&>" if code == "LD1" else "广州街", "from_to": "A—B", "width_m": "30", "grade": grade}
        if line:
            attrs["line"] = line
        ids[code] = api.ok("POST", "places", {"grid_id": ids[grid], "kind": f"{P}.street_section", "code": code,
                                              "name": f"路段{code}", "attributes": attrs})["id"]
    return {"api": api, "ids": ids, "tenant": tenant, "console": Console(client)}


def test_a_section_line_is_checked(jzc):
    api, ids = jzc["api"], jzc["ids"]
    base = {"grid_id": ids["g1"], "kind": f"{P}.street_section", "code": "BAD", "name": "bad"}
    attrs = {"street": "x", "width_m": "20", "grade": 1}
    for line, reason in (([[121.1, 41.1]], "at least two"), ([[121.1, 95], [121.2, 41.1]], "latitude 95"),
                         ([[121.1, 41.1], "x"], "point 1")):
        body = assert_error(api.post("places", {**base, "attributes": {**attrs, "line": line}}), 422)
        assert "line" in str(body) and reason in str(body)
    api.ok("PATCH", f"places/{ids['LD2']}", {"attributes": {"street": "广州街", "width_m": "30", "grade": 2,
                                                          "line": [[121.13, 41.1], [121.14, 41.1]]}})


def test_the_map_page_draws_every_section_by_group(jzc):
    console, ids = jzc["console"], jzc["ids"]
    console.login("jzc-staff", "correct horse battery")  # the network is published: any login reads it
    page = console.get(MAP)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    svg = ET.fromstring(re.search(r"<svg.*?</svg>", html, re.S).group(0))  # well-formed XML
    sections = [e for e in svg.iter(f"{SVG}polyline") if e.get("class") == "section"]
    assert sorted(e.get("data-code") for e in sections) == ["LD1", "LD2"]
    by_code = {e.get("data-code"): e for e in sections}
    title = by_code["LD1"].find(f"{SVG}title").text
    assert all(part in title for part in ("解放路<&>", "LD1", "第1单元网格小组", "第一网管大队", "第一网管支队", "王组长"))
    assert by_code["LD1"].get("stroke") != by_code["LD2"].get("stroke")  # two groups, two colours
    assert by_code["LD2"].get("stroke-dasharray")  # level-2 street dashed
    for e in sections:  # every point inside the drawing
        for pair in e.get("points").split():
            x, y = map(float, pair.split(","))
            assert 0 <= x <= float(svg.get("width")) and 0 <= y <= float(svg.get("height"))
    legend = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "legend-item"]
    assert [g.get("data-group") for g in legend] == ["JZ-G1", "JZ-G2"]
    assert {g.find(f"{SVG}line").get("stroke") for g in legend} == {e.get("stroke") for e in sections}
    assert "LD3" in html and 'id="undrawn"' in html  # the section without a line is named
    assert 'id="network-table"' in html and f"report={P}.network" in html  # the table and its report
    assert "format=csv" in html and "format=xlsx" in html
    alone = console.get(MAP + "svg")
    assert alone.mimetype == "image/svg+xml" and ET.fromstring(alone.data).tag == f"{SVG}svg"
    geo = json.loads(console.get(MAP + "geojson").data)
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 2
    feature = next(f for f in geo["features"] if f["id"] == "LD1")
    assert feature["geometry"] == {"type": "LineString", "coordinates": [[121.12, 41.1], [121.125, 41.1002], [121.13, 41.1]]}
    assert feature["properties"]["responsible"] == "王组长" and feature["properties"]["grade"] == 1


def test_the_network_report_points_to_the_map(app, jzc):
    with app.app_context(), tenant_scope(jzc["tenant"].id):
        table = reports.build_network(ReportRequest(None, None, None, None, None, "zh", None))
        assert MAP in table.notes[0] and "2/3" in table.notes[0]


def test_plugin_pages_are_404_for_a_tenant_without_the_plugin(jzc):
    console = jzc["console"]
    console.login("other-admin", "correct horse battery")
    for url in (MAP, MAP + "geojson", MAP + "svg", ROSTER, f"{ROSTER}edit/{jzc['ids']['g1']}"):
        assert console.get(url).status_code == 404, url
    assert "jinzhou-streets-map" not in console.get("/admin/").get_data(as_text=True)


def roster_form(rows) -> dict:
    data = {}
    for n, (days, start, end) in enumerate(rows):
        data[f"shifts-{n}-days"] = days
        data[f"shifts-{n}-start"], data[f"shifts-{n}-end"] = start, end
    return data


def test_the_roster_form_names_wrong_values_on_their_fields(app, jzc):
    console, ids = jzc["console"], jzc["ids"]
    console.login("jzc-admin", "correct horse battery")
    url = f"{ROSTER}edit/{ids['g1']}"
    page = console.get(url)
    assert page.status_code == 200 and 'name="shifts-0-start"' in page.get_data(as_text=True)
    bad = console.post(url, roster_form([([1, 2], "7:00", "19:00"), ([6], "18:00", "08:00"), ([], "08:00", "09:00")]))
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200
    errors = dict(re.findall(r'data-field="([^"]+)">([^<]+)<', html))
    assert "HH:MM" in errors["shifts-0-start"] and "after start" in errors["shifts-1-end"]
    assert "weekday" in errors["shifts-2-days"]
    stale = console.client.post(url, data=roster_form([([1], "06:00", "07:00")]))  # no CSRF token: refused
    assert stale.status_code == 400
    with app.app_context(), tenant_scope(jzc["tenant"].id):
        assert "roster" not in (db.session.get(Grid, ids["g1"]).attributes or {})  # nothing saved


def test_the_roster_form_saves_and_the_bulletin_reads_it(app, jzc):
    console, ids, api = jzc["console"], jzc["ids"], jzc["api"]
    console.login("jzc-admin", "correct horse battery")
    url = f"{ROSTER}edit/{ids['g1']}"
    saved = console.post(url, roster_form([([1, 2, 3, 4, 5], "06:00", "14:00"), ([6, 7], "08:00", "12:00")]),
                         follow_redirects=True)
    assert saved.status_code == 200 and "06:00–14:00" in saved.get_data(as_text=True)
    with app.app_context(), tenant_scope(jzc["tenant"].id):
        assert db.session.get(Grid, ids["g1"]).attributes["roster"] == [
            {"days": [1, 2, 3, 4, 5], "start": "06:00", "end": "14:00"}, {"days": [6, 7], "start": "08:00", "end": "12:00"}]
    again = console.get(url).get_data(as_text=True)
    assert 'value="06:00"' in again and 'value="12:00"' in again  # the form shows what is saved
    # Monday 15:00 is outside group 1's roster (default 7–19 would cover it); Saturday 09:00 inside
    monday, saturday = dt.date(2025, 3, 3), dt.date(2025, 3, 8)
    events = [{"type": f"{P}.violation", "grid_id": ids["g1"], "place_id": ids["LD1"], "occurred_at": when,
               "payload": {"violation": "fixed_stall", "mode": "open"}}
              for when in (f"{monday}T15:00:00+08:00", f"{saturday}T09:00:00+08:00", f"{monday}T06:30:00+08:00")]
    api.ok("POST", "events/batch", {"events": events}, status=201)
    run = api.ok("POST", "assessment/runs", {"sheet": f"{P}.group_half_month", "period_start": "2025-03-01"}, status=201)
    api.ok("POST", f"assessment/runs/{run['id']}/compute", status=202)
    from test_jinzhou_streets import wait_computed

    assert wait_computed(api, run["id"]) == "computed"
    rows = api.ok("GET", f"reports/{P}.bulletin", query={"run_id": run["id"]})["rows"]
    off = {r["time"][:16]: r["off_roster"] for r in rows}
    assert off["2025-03-03T15:00"].startswith("是") and "06:00–14:00" in off["2025-03-03T15:00"]
    assert off["2025-03-08T09:00"] == "" and off["2025-03-03T06:30"] == ""
    # emptying every shift goes back to the default roster
    console.post(url, roster_form([]), follow_redirects=True)
    with app.app_context(), tenant_scope(jzc["tenant"].id):
        assert "roster" not in db.session.get(Grid, ids["g1"]).attributes


def test_only_a_tenant_admin_edits_a_roster(app, jzc):
    console, ids = jzc["console"], jzc["ids"]
    console.login("jzc-staff", "correct horse battery")
    listing = console.get(ROSTER)
    assert listing.status_code == 200 and "第1单元网格小组" in listing.get_data(as_text=True)
    assert "edit/" not in listing.get_data(as_text=True)
    assert console.get(f"{ROSTER}edit/{ids['g1']}").status_code == 403
    assert console.post(f"{ROSTER}edit/{ids['g1']}", roster_form([([1], "06:00", "07:00")])).status_code == 403
    console = Console(app.test_client())
    console.login("jzc-admin", "correct horse battery")
    assert console.get(f"{ROSTER}edit/{ids['bri']}").status_code == 404  # not a group
    assert console.get(f"{ROSTER}edit/999999").status_code == 404
