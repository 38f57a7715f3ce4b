"""The event operations' batch path: validation, idempotency, ids in input order (also under
concurrent writers), and the subtree listing served by the indexes."""
import datetime as dt
import decimal
import json
import threading

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from gridgov.extensions import db
from gridgov.models import AuditEntry, Event, Person
from gridgov.models.base import json_default
from gridgov.operations import events, grids, registers
from gridgov.operations.errors import OperationError
from gridgov.tenancy import tenant_scope


def note(grid_id, text="巡查记录", key=None, **extra):
    item = {"type": "core.note", "grid_id": grid_id, "occurred_at": "2026-03-01T09:30:00+08:00",
            "payload": {"text": text}, **extra}
    if key:
        item["idempotency_key"] = key
    return item


@pytest.fixture
def tree(app, factory):
    """A tenant (with the example plugin) holding district → 2 communities → 3 grids each,
    one person, and another tenant with a grid and a person of its own."""
    tenant = factory.tenant("ten-a", plugins=["example"])
    other = factory.tenant("ten-b")
    with app.app_context():
        with tenant_scope(tenant.id):
            root = grids.create_grid(code="D", name="城关区")
            out = {"tenant": tenant.id, "other": other.id, "root": root.id, "communities": {}}
            for c in (1, 2):
                community = grids.create_grid(code=f"D-C{c}", name=f"第{c}社区", parent_id=root.id)
                leaves = [grids.create_grid(code=f"D-C{c}-G{g}", name=f"网格{g}", parent_id=community.id).id
                          for g in (1, 2, 3)]
                out["communities"][community.id] = leaves
            out["person"] = registers.create(Person, {"code": "p1", "name": "张三"}).id
            db.session.commit()
        with tenant_scope(other.id):
            out["other_grid"] = grids.create_grid(code="X", name="外网格").id
            out["other_person"] = registers.create(Person, {"code": "x1", "name": "李四"}).id
            db.session.commit()
    return out


def stored(ids):
    return {e.id: e for e in db.session.scalars(select(Event).where(Event.id.in_(ids)))}


def test_batch_returns_ids_in_input_order(app, tree):
    grid_ids = [g for leaves in tree["communities"].values() for g in leaves]
    items = [note(grid_ids[i % len(grid_ids)], text=f"第{i}条", key=f"k{i}") for i in range(250)]
    with app.app_context(), tenant_scope(tree["tenant"]):
        first, replayed = events.record_batch(items[:120])
        second, _ = events.record_batch(items[120:])
        db.session.commit()
        ids = first + second
        rows = stored(ids)
    assert replayed == [False] * 120
    assert len(set(ids)) == 250 and ids == sorted(ids)
    assert [rows[i].idempotency_key for i in ids] == [f"k{i}" for i in range(250)]
    assert [rows[i].payload["text"] for i in ids] == [f"第{i}条" for i in range(250)]
    assert all(rows[i].tenant_id == tree["tenant"] for i in ids)


def test_concurrent_batches_each_get_their_own_ids(app, tree):
    """Two writers at once (two connections): every returned id is the row its caller sent."""
    grid_id = tree["root"]
    results, failures = {}, []

    def writer(name):
        try:
            with app.app_context(), tenant_scope(tree["tenant"]):
                got = []
                for b in range(6):
                    batch = [note(grid_id, text=f"{name}-{b}-{i}") for i in range(150)]
                    got.append((batch, events.record_batch(batch)[0]))
                    db.session.commit()
                results[name] = got
        except Exception as exc:  # reported below, with the thread's name
            failures.append((name, exc))

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    with app.app_context(), tenant_scope(tree["tenant"]):
        for got in results.values():
            for batch, ids in got:
                rows = stored(ids)
                assert [rows[i].payload["text"] for i in ids] == [b["payload"]["text"] for b in batch]


def test_replays_and_reused_keys(app, tree):
    g = tree["root"]
    with app.app_context(), tenant_scope(tree["tenant"]):
        ids, replayed = events.record_batch([note(g, key="a"), note(g, "另一条", key="b"), note(g, key="a")])
        assert replayed == [False, False, True] and ids[0] == ids[2]
        db.session.commit()
        again, replayed = events.record_batch([note(g, key="c"), note(g, "另一条", key="b")])
        assert replayed == [False, True] and again[1] == ids[1]
        with pytest.raises(OperationError) as exc:
            events.record_batch([note(g, "改过的正文", key="a")])
        assert "already used for event" in exc.value.errors["events"][0]["idempotency_key"][0]
        with pytest.raises(OperationError) as exc:
            events.record_batch([note(g, key="d"), note(g, "不同", key="d")])
        assert exc.value.errors["events"] == {1: {"idempotency_key": ["used twice in this batch with different bodies (item 0)"]}}


def test_a_bad_item_writes_nothing_and_names_field_and_reason(app, tree):
    g = tree["root"]
    items = [
        note(g),
        note(g, colour="红"),
        note(True),
        note(tree["other_grid"]),
        note(g, actor_person_id=tree["other_person"]),
        {"type": "core.note", "grid_id": g, "occurred_at": "2026-03-01T09:30:00", "payload": {"text": "x"}},
        {"type": "core.note", "grid_id": g, "occurred_at": "2026-03-01T09:30:00+08:00", "payload": {"text": ""}},
        {"type": "core.note", "grid_id": g, "occurred_at": "2026-03-01T09:30:00+08:00", "payload": {"text": "x", "mood": 1}},
        {"type": "example.water_level", "grid_id": g, "occurred_at": "2026-03-01T09:30:00+08:00",
         "payload": {"gauge": "SW-1", "level_m": "很高"}},
        {"type": "nobody.knows", "grid_id": g, "occurred_at": "2026-03-01T09:30:00+08:00"},
        "not an object",
    ]
    with app.app_context(), tenant_scope(tree["tenant"]):
        before = db.session.scalar(select(db.func.count()).select_from(Event))
        with pytest.raises(OperationError) as exc:
            events.record_batch(items)
        db.session.rollback()
        errors = exc.value.errors["events"]
        assert db.session.scalar(select(db.func.count()).select_from(Event)) == before
    assert sorted(errors) == list(range(1, len(items)))
    assert errors[1] == {"colour": ["unknown field"]}
    assert errors[2] == {"grid_id": ["must be an integer id"]}
    assert errors[3] == {"grid_id": [f"no grid {tree['other_grid']} in this tenant"]}
    assert errors[4] == {"actor_person_id": [f"no person {tree['other_person']} in this tenant"]}
    assert errors[5] == {"occurred_at": ["must carry a time-zone offset (e.g. +08:00)"]}
    assert list(errors[6]["payload"]) == ["text"]
    assert errors[7]["payload"] == {"mood": ["Unknown field."]}
    assert list(errors[8]["payload"]) == ["level_m"]
    assert errors[9] == {"type": ["unknown event type 'nobody.knows' for this tenant"]}
    assert errors[10] == {"_schema": ["an event must be a JSON object"]}


def test_payload_is_stored_as_the_schema_dumps_it(app, tree):
    g = tree["root"]
    with app.app_context(), tenant_scope(tree["tenant"]):
        ids, _ = events.record_batch([
            note(g),
            {"type": "example.water_level", "grid_id": g, "occurred_at": "2026-07-01T06:00:00+08:00",
             "payload": {"gauge": "SW-1", "level_m": "3.250"}},
        ])
        db.session.commit()
        db.session.expunge_all()
        rows = stored(ids)
    assert rows[ids[0]].payload == {"text": "巡查记录", "tags": []}
    assert rows[ids[1]].payload == {"gauge": "SW-1", "level_m": "3.250"}
    assert rows[ids[1]].occurred_at == dt.datetime(2026, 6, 30, 22, 0, tzinfo=dt.timezone.utc)


def test_one_audit_entry_per_batch(app, tree):
    with app.app_context(), tenant_scope(tree["tenant"]):
        ids, _ = events.record_batch([note(tree["root"], key=f"a{i}") for i in range(5)])
        db.session.commit()
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "Event")).all()
    assert [e.changes for e in entries] == [{"count": 5, "first_id": ids[0], "last_id": ids[-1]}]


@pytest.mark.parametrize("value", [
    {"a": [1, 2.5, True, None, "文"]},
    {"n": decimal.Decimal("1.10"), "d": dt.date(2026, 1, 2), "t": (1, 2)},
    {"nested": {"at": dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.timezone.utc)}},
    {1: "int key", "x": {2: "y"}},
])
def test_plain_matches_a_json_round_trip(value):
    assert events._plain(value) == json.loads(json.dumps(value, default=json_default))


def test_reference_checks_take_one_query_per_kind(app, tree):
    """A batch of 1,000 with every reference filled checks them in a fixed number of queries."""
    leaves = [g for ls in tree["communities"].values() for g in ls]
    items = [note(leaves[i % len(leaves)], actor_person_id=tree["person"], key=f"q{i}") for i in range(1000)]
    seen = []
    with app.app_context(), tenant_scope(tree["tenant"]):
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        sa_event.listen(db.engine, "before_cursor_execute", listener)
        try:
            events.record_batch(items)
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", listener)
        db.session.commit()
    assert len(seen) <= 8


def test_subtree_listing(app, tree):
    (c1, leaves1), (c2, leaves2) = tree["communities"].items()
    with app.app_context(), tenant_scope(tree["tenant"]):
        events.record_batch([note(g, text=str(g)) for g in [c1, *leaves1, c2, *leaves2, tree["root"]]])
        db.session.commit()
        listed, cursor = events.list_events(grid=grids.get_grid(c1), limit=100)
    assert sorted(e.grid_id for e in listed) == sorted([c1, *leaves1]) and cursor is None


@pytest.fixture
def district(app, factory):
    """20 communities of 10 grids each, 20 events per grid, planner statistics as PostgreSQL's
    autovacuum would leave them (SQLite is left without, as the service leaves it)."""
    tenant = factory.tenant("ten-d")
    with app.app_context(), tenant_scope(tenant.id):
        root = grids.create_grid(code="D", name="城关区")
        communities, grid_ids = [], []
        for c in range(20):
            community = grids.create_grid(code=f"C{c}", name=f"第{c}社区", parent_id=root.id)
            communities.append(community.id)
            grid_ids += [community.id] + [grids.create_grid(code=f"C{c}-G{g}", name=f"网格{g}", parent_id=community.id).id
                                          for g in range(9)]
        for b in range(4):
            events.record_batch([note(grid_ids[i % len(grid_ids)]) for i in range(b * 1000, (b + 1) * 1000)])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
    return tenant.id, communities


def test_subtree_listing_uses_the_path_and_grid_time_indexes(app, district):
    """The plan of the very statement list_events sends names both indexes (the benchmark
    shows the same at a million events, where PostgreSQL chooses them by itself)."""
    tenant_id, communities = district
    seen = []
    capture = lambda conn, cursor, statement, params, *rest: seen.append((statement, params))  # noqa: E731
    with app.app_context(), tenant_scope(tenant_id):
        community = grids.get_grid(communities[7])
        sa_event.listen(db.engine, "before_cursor_execute", capture)
        try:
            listed, _ = events.list_events(grid=community, limit=100)
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", capture)
        statement, params = next((s, p) for s, p in seen if "FROM events" in s)
        conn = db.session.connection()
        explain = "EXPLAIN QUERY PLAN "
        if conn.dialect.name == "postgresql":
            # with 4,000 rows a sequential scan is cheapest; take it off to see the index path
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            explain = "EXPLAIN "
        plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(explain + statement, params))
        db.session.rollback()
    assert len(listed) == 100
    assert "ix_grids_tenant_path" in plan and "ix_events_tenant_grid_time" in plan, plan
