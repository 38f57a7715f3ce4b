"""gridgov.operations.event_cases.open_cases_for_events: one case per new event of a type (or
several per event), never a second one on a re-run, none for a voided event, only the tenant's
own events, and the defaults a system-reported case takes from its event."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from conftest import in_tenant
from cases_support import World
from gridgov.extensions import db
from gridgov.models import Case, Event
from gridgov.operations import events as event_ops
from gridgov.operations.event_cases import open_cases_for_events

AT = "2026-10-05T09:00:00+08:00"


@pytest.fixture
def world(app, factory):
    return World(app, factory)


def _note(grid_id: int, text: str, person_id: int | None = None) -> dict:
    """Record a field note; its columns as a dict (they outlive the session)."""
    event, _ = event_ops.record({"type": "core.note", "grid_id": grid_id, "occurred_at": AT,
                                 "actor_person_id": person_id, "payload": {"text": text}})
    return {"id": event.id, "grid_id": event.grid_id, "occurred_at": event.occurred_at,
            "actor_person_id": event.actor_person_id, "event": event}


def _one(event: Event):
    if event.payload["text"].startswith("正常"):
        return None
    return {"description": f"巡查发现：{event.payload['text']}", "source_ref": f"note-{event.id}"}


def test_one_case_per_event_and_never_twice(app, world):
    with in_tenant(app, world.tenant):
        first = _note(world.grid["G1"], "井盖缺失", world.person["fs"])
        _note(world.grid["G2"], "正常，无问题")
    with in_tenant(app, world.tenant):
        (case_id,) = open_cases_for_events("core.note", _one, category="core.general")
        assert open_cases_for_events("core.note", _one, category="core.general") == []
        case = db.session.get(Case, case_id)
        assert (case.category, case.source, case.source_ref, case.reporter_kind) == (
            "core.general", "inspection", f"note-{first['id']}", "system")
        assert case.grid_id == first["grid_id"] and case.reported_at == first["occurred_at"]
        assert case.reporter_person_id == first["actor_person_id"] and case.description == "巡查发现：井盖缺失"
    with in_tenant(app, world.tenant):
        later = _note(world.grid["G3"], "路灯不亮")
    with in_tenant(app, world.tenant):
        (new,) = open_cases_for_events("core.note", _one, category="core.general")
        assert db.session.get(Case, new).source_ref == f"note-{later['id']}"


def test_several_cases_per_event_and_voided_events_skipped(app, world):
    def findings(event):
        return [{"description": part, "source_ref": f"f{event.id}-{n}"}
                for n, part in enumerate(event.payload["text"].split("；"), 1)]

    with in_tenant(app, world.tenant):
        kept = _note(world.grid["G1"], "占道经营；乱堆乱放")
        voided = _note(world.grid["G1"], "误报")
        event_ops.void(voided["event"], "录错了")
    with in_tenant(app, world.tenant):
        ids = open_cases_for_events("core.note", findings, category="core.general")
        refs = [db.session.get(Case, i).source_ref for i in ids]
        assert refs == [f"f{kept['id']}-1", f"f{kept['id']}-2"]
        assert open_cases_for_events("core.note", findings, category="core.general") == []


def test_the_marker_is_per_category_and_required(app, world):
    with in_tenant(app, world.tenant):
        _note(world.grid["G1"], "噪音扰民")
    with in_tenant(app, world.tenant):
        assert len(open_cases_for_events("core.note", _one, category="core.general")) == 1
        # the same marker in another category is another case
        assert len(open_cases_for_events("core.note", _one, category="core.dispute")) == 1
        with pytest.raises(ValueError, match="source_ref"):
            open_cases_for_events("core.note", lambda e: {"description": "x"}, category="core.general")
        with pytest.raises(ValueError, match="category"):
            open_cases_for_events("core.note", lambda e: {"description": "x", "source_ref": "other",
                                                          "category": "core.dispute"}, category="core.general")


def test_only_the_tenants_own_events(app, factory, world):
    other = World(app, factory, slug="town")
    with in_tenant(app, other.tenant):
        _note(other.grid["G1"], "别处的问题")
    with in_tenant(app, world.tenant):
        assert open_cases_for_events("core.note", _one, category="core.general") == []
        assert db.session.scalars(select(Case)).all() == []
    with in_tenant(app, other.tenant):
        assert len(open_cases_for_events("core.note", _one, category="core.general")) == 1


def test_list_cases_filters_by_category_in_the_database(app, world):
    from gridgov.operations import cases as case_ops

    with in_tenant(app, world.tenant):
        _note(world.grid["G1"], "邻里纠纷")
    with in_tenant(app, world.tenant):
        (general,) = open_cases_for_events("core.note", _one, category="core.general")
        (dispute,) = open_cases_for_events("core.note", _one, category="core.dispute")
        assert [c.id for c in case_ops.list_cases(category="core.dispute")] == [dispute]
        assert [c.id for c in case_ops.list_cases(category="core.general", states=["reported"])] == [general]
        assert case_ops.list_cases(category="core.general", before_id=general) == []
        assert case_ops.list_cases(category="nope.none") == []
