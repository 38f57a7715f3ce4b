"""zhanqian end to end through the JSON API: record inspections, a supervision and an honour
→ feed the finding back as a rectification case → judge → run (background job) → publish →
read the community's sheet, the ranking report as XLSX and the evidence archive as CSV; a
refused supervision (recusal) answers 422 naming the field."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from api_support import TenantClient, assert_error
from zhanqian_support import MARCH, World, at

from gridgov.extensions import db
from gridgov.jobs import inprocess
from gridgov.models import Person
from gridgov_zhanqian.rectification import feed_back


@pytest.fixture
def world(app, client, factory):
    w = World(app, factory)
    w.judge_api = TenantClient(client, w.judge_token, w.tenant.slug)
    w.director_api = TenantClient(client, w.director_token, w.tenant.slug)
    yield w
    inprocess.runner_for(app).wait(timeout=30)


def test_record_judge_run_publish_and_read_through_the_api(world):
    judge, director = world.judge_api, world.director_api
    g = world.grids
    inspections = [{"type": "zhanqian.inspection", "grid_id": g[grid], "payload": {"problems_found": d % 2},
                    "occurred_at": at(MARCH + dt.timedelta(days=d)).isoformat()}
                   for grid in ("A1", "A2") for d in range(4)]
    judge.ok("POST", "events/batch", {"events": inspections[:7]})  # A2 one short: 35 × 7/8
    supervision = {"type": "zhanqian.supervision", "grid_id": g["A1"],
                   "occurred_at": at(dt.date(2026, 3, 9)).isoformat(), "actor_person_id": world.people["leader"],
                   "payload": {"kind": "routine", "findings": ["门店占道"]}}
    judge.ok("POST", "events", supervision)
    refused = judge.post("events", {**supervision, "grid_id": g["B1"], "actor_person_id": world.people["inspector"]})
    assert_error(refused, 422, "actor_person_id")
    assert "recusal" in str(refused.get_json())
    judge.ok("POST", "events", {"type": "zhanqian.honour", "grid_id": g["A"],
                                "occurred_at": at(dt.date(2026, 3, 20)).isoformat(),
                                "payload": {"kind": "innovation", "level": "district", "title": "网格化创新",
                                            "document": "区绩效办〔2026〕7号", "points": "5"}})
    director.ok("POST", "events", {"type": "zhanqian.monthly_check", "grid_id": g["A2"],
                                   "occurred_at": at(dt.date(2026, 3, 30)).isoformat(),
                                   "actor_person_id": world.people["director"], "payload": {"running_well": True}})
    with world.scope():
        (case_id,) = feed_back()  # the scheduled job's function
        db.session.commit()

    judged = {"sheet": "zhanqian.community_month", "period_start": "2026-03-01", "item": "leadership",
              "subject_id": g["A"], "points": "9", "reason": "工作扎实"}
    judge.ok("POST", "assessment/judgements", judged)
    assert_error(judge.post("assessment/judgements", {**judged, "points": "11"}), 422, "points")
    judge.ok("POST", "assessment/judgements", {**judged, "item": "penalty", "points": "2", "reason": "通报一次"})

    run = judge.ok("POST", "assessment/runs", {"sheet": "zhanqian.community_month", "period_start": "2026-03-01"})
    judge.ok("POST", f"assessment/runs/{run['id']}/compute", status=202)
    assert inprocess.runner_for(world.app).wait(timeout=60)
    assert_error(director.get(f"assessment/runs/{run['id']}/results"), 403)  # confidential
    judge.ok("POST", f"assessment/runs/{run['id']}/publish", status=200)

    (sheet,) = director.ok("GET", f"assessment/runs/{run['id']}/results")
    lines = {i["key"]: i for i in sheet["items"]}
    assert sheet["subject_name"] == "社区A"
    assert lines["investigation"]["points"] == "30.6" and lines["disposal"]["nothing_due"]
    assert lines["bonus"]["points"] == "5.0" and Decimal(lines["penalty"]["points"]) == 2
    assert lines["rectification"]["evidence"]["case_ids"] == [case_id]
    # 30.6 + 45 + 10 + 9 + 5 − 2
    assert Decimal(sheet["total"]) == Decimal("97.6") and sheet["grade"] == "excellent"

    xlsx = director.get("reports/zhanqian.ranking", query={"run_id": run["id"], "format": "xlsx"})
    assert xlsx.status_code == 200, xlsx.get_data(as_text=True)
    book = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    values = [c for row in book.active.iter_rows(values_only=True) for c in row if c is not None]
    assert "社区A" in values and "社区B" in values and 97.6 in [float(v) for v in values if isinstance(v, (int, float))]

    archive = judge.get("reports/zhanqian.archive_month", query={"period_start": "2026-03-01", "grid_id": g["A"],
                                                                 "format": "csv"})
    assert archive.status_code == 200, archive.get_data(as_text=True)
    text = archive.data.decode("utf-8-sig")
    for kind in ("网格排查", "督查", "每月检查考评", "奖励加分依据", "整改案件", "月度考核"):
        assert kind in text, kind
    assert "社区B" not in text
    assert_error(director.get("reports/zhanqian.archive_month", query={"period_start": "2026-03-01"}), 403)
