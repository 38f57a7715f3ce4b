"""Assessment through the JSON API end to end: record events → judge → run (a background job)
→ publish → read the sheets and the ranking; recusal, confidentiality and the frozen run as the
API answers them."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from api_support import TenantClient, assert_error
from assessment_support import NOVEMBER, AssessPlugin, World, at, weekdays

from gridgov.jobs import inprocess

WORKDAYS = weekdays(NOVEMBER, dt.date(2026, 12, 1))


@pytest.fixture
def app_config(app_config):
    return {**app_config, "GRIDGOV_EXTRA_PLUGINS": [("assesstest", AssessPlugin())]}


@pytest.fixture
def world(app, client, factory):
    w = World(app, factory)
    w.api = {name: TenantClient(client, token, w.tenant.slug) for name, token in w.tokens.items()}
    yield w
    inprocess.runner_for(app).wait(timeout=30)


def judgement(world, grid: str, points) -> dict:
    return {"sheet": "assesstest.grid_month", "period_start": "2026-11-01", "item": "leadership",
            "subject_id": world.grids[grid], "points": points, "reason": "综合评定"}


def test_record_judge_run_publish_and_read(world):
    judge, director, outsider = world.api["judge"], world.api["dirA"], world.api["outsider"]
    sheets = judge.ok("GET", "assessment/sheets")
    assert [s["key"] for s in sheets] == ["assesstest.grid_month", "assesstest.person_month"]
    assert sheets[0]["items"][1] == {"key": "leadership", "title_zh": "领导评分", "title_en": "Leadership score",
                                     "max_points": "60", "min_points": "0", "kind": "judged", "role": "points"}
    batch = [{"type": "assesstest.patrol", "grid_id": world.grids["A1"], "occurred_at": at(d), "payload": {"minutes": 90}}
             for d in WORKDAYS]
    judge.ok("POST", "events/batch", {"events": batch})
    entered = judge.ok("POST", "assessment/judgements", judgement(world, "A", "55.5"))
    assert (Decimal(entered["points"]), entered["entered_by_name"]) == (Decimal("55.5"), "u-judge")
    assert_error(judge.post("assessment/judgements", judgement(world, "B", "61")), 422, "points")
    refused = world.api["near"].post("assessment/judgements", judgement(world, "A", 50))
    assert_error(refused, 403, "subject_id")
    assert "recusal" in refused.get_json()["errors"]["json"]["subject_id"][0]
    assert_error(director.post("assessment/judgements", judgement(world, "B", 50)), 403)

    run = judge.ok("POST", "assessment/runs", {"sheet": "assesstest.grid_month", "period_start": "2026-11-01"})
    assert (run["state"], run["period"], run["period_end"]) == ("draft", "2026年11月", "2026-12-01")
    assert_error(judge.post("assessment/runs", {"sheet": "assesstest.grid_month", "period_start": "2026-11-05"}),
                 422, "period_start")
    queued = judge.ok("POST", f"assessment/runs/{run['id']}/compute", status=202)
    assert queued["job_id"] and queued["progress_note"] == "queued"
    assert inprocess.runner_for(world.app).wait(timeout=30)
    computed = judge.ok("GET", f"assessment/runs/{run['id']}")
    assert (computed["state"], computed["progress"], len(computed["fingerprint"])) == ("computed", 100, 64)

    assert_error(director.get(f"assessment/runs/{run['id']}"), 403)  # confidential until published
    assert_error(director.get(f"assessment/runs/{run['id']}/results"), 403)
    assert director.ok("GET", "assessment/runs") == {"items": []}
    judge.ok("POST", f"assessment/runs/{run['id']}/publish", status=200)
    assert_error(judge.post(f"assessment/runs/{run['id']}/compute"), 409, "state")

    own = director.ok("GET", f"assessment/runs/{run['id']}/results")
    assert [(r["subject_name"], Decimal(r["total"]), r["grade"], r["rank"]) for r in own] == [
        ("社区A", Decimal("95.5"), "excellent", 1)]
    assert own[0]["items"][0]["evidence"]["event_ids"] and own[0]["money"] == "1000.00"
    ranking = director.ok("GET", f"assessment/runs/{run['id']}/ranking")
    assert [(r["subject_name"], r["rank"]) for r in ranking] == [("社区A", 1), ("社区B", 2), ("社区C", 2)]
    assert [r["id"] for r in director.ok("GET", "assessment/runs")["items"]] == [run["id"]]
    assert_error(outsider.get(f"assessment/runs/{run['id']}/results"), 403)

    fix = judge.ok("POST", f"assessment/runs/{run['id']}/correct", {"note": "复核"})
    assert (fix["supersedes_id"], fix["state"]) == (run["id"], "draft")
    assert judge.ok("GET", f"assessment/runs/{run['id']}")["superseded_by_id"] == fix["id"]
    assert_error(judge.get("assessment/runs/999999"), 404)
