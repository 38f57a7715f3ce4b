"""The isolation mechanism itself (gridgov.tenancy), below the API and the console."""
import datetime as dt

import pytest
from sqlalchemy import func, insert, select, update

from gridgov.extensions import db
from gridgov.models import AuditEntry, Event, Grid, Person
from gridgov.operations import events, grids, registers
from gridgov.tenancy import TenantScopeError, platform_scope, tenant_scope


@pytest.fixture
def two(app, factory):
    a = factory.tenant("ten-a")
    b = factory.tenant("ten-b")
    with app.app_context():
        with tenant_scope(a.id):
            ga = grids.create_grid(code="A1", name="甲网格")
            registers.create(Person, {"code": "pa", "name": "甲"})
            ids = {"a": a.id, "grid_a": ga.id}
            db.session.commit()
        with tenant_scope(b.id):
            gb = grids.create_grid(code="B1", name="乙网格")
            events.record({"type": "core.note", "grid_id": gb.id, "occurred_at": "2026-05-01T08:00:00+08:00",
                           "payload": {"text": "乙"}})
            ids.update(b=b.id, grid_b=gb.id)
            db.session.commit()
    return ids


def test_queries_outside_any_scope_raise(app, two):
    with app.app_context():
        with pytest.raises(TenantScopeError):
            db.session.scalars(select(Grid)).all()
        with pytest.raises(TenantScopeError):
            db.session.scalar(select(func.count()).select_from(Event))


def test_a_scope_sees_only_its_rows(app, two):
    with app.app_context(), tenant_scope(two["a"]):
        assert [g.code for g in db.session.scalars(select(Grid))] == ["A1"]
        assert db.session.scalar(select(func.count()).select_from(Event)) == 0
        assert db.session.scalar(select(Grid).where(Grid.id == two["grid_b"])) is None
        # joins are filtered on every side
        assert db.session.execute(select(Event, Grid).join(Grid, Event.grid_id == Grid.id)).all() == []
    with app.app_context(), platform_scope():
        assert db.session.scalar(select(func.count()).select_from(Grid)) == 2


def test_bulk_update_and_delete_are_scoped(app, two):
    with app.app_context(), tenant_scope(two["a"]):
        db.session.execute(update(Grid).values(name="改名"))
        db.session.commit()
    with app.app_context(), platform_scope():
        names = dict(db.session.execute(select(Grid.code, Grid.name)).all())
    assert names == {"A1": "改名", "B1": "乙网格"}


def test_writing_another_tenants_row_is_refused(app, two):
    with app.app_context():
        with platform_scope():
            foreign = db.session.get(Grid, two["grid_b"])
        with tenant_scope(two["a"]):
            foreign.name = "hijacked"
            db.session.add(foreign)
            with pytest.raises(TenantScopeError):
                db.session.flush()
            db.session.rollback()
        with tenant_scope(two["a"]):
            db.session.add(Grid(tenant_id=two["b"], code="X", name="x", path="/x/"))
            with pytest.raises(TenantScopeError):
                db.session.flush()
            db.session.rollback()


def test_bulk_insert_for_another_tenant_is_refused(app, two):
    row = {"tenant_id": two["b"], "type": "core.note", "grid_id": two["grid_b"], "payload": {"text": "x"},
           "occurred_at": dt.datetime(2026, 5, 1, tzinfo=dt.timezone.utc), "recorded_at": dt.datetime(2026, 5, 1, tzinfo=dt.timezone.utc)}
    with app.app_context(), tenant_scope(two["a"]):
        with pytest.raises(TenantScopeError):
            db.session.execute(insert(Event), [row])
        db.session.rollback()


def test_new_rows_are_stamped_with_the_scope(app, two):
    with app.app_context(), tenant_scope(two["a"]):
        p = Person(code="p2", name="乙二")
        db.session.add(p)
        db.session.flush()
        assert p.tenant_id == two["a"]
        db.session.rollback()


def test_audit_log_is_append_only_and_scoped(app, two):
    with app.app_context(), tenant_scope(two["a"]):
        entries = db.session.scalars(select(AuditEntry)).all()
        assert entries and all(e.tenant_id == two["a"] for e in entries)
        entries[0].action = "tampered"
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.flush()
        db.session.rollback()


def test_core_table_queries_are_refused_inside_a_tenant_scope(app, two):
    """with_loader_criteria filters ORM entities only; a Table-based query would be unscoped."""
    with app.app_context(), tenant_scope(two["a"]):
        with pytest.raises(TenantScopeError, match="ORM entities"):
            db.session.execute(select(func.count()).select_from(Grid.__table__))
        with pytest.raises(TenantScopeError, match="ORM entities"):
            db.session.execute(update(Grid.__table__).values(name="x"))
        # an aggregate with FILTER loses the ORM annotations: refused, unless it selects from the entity
        with pytest.raises(TenantScopeError, match="ORM entities"):
            db.session.execute(select(func.count(Grid.id).filter(Grid.level == 0)))
        assert db.session.scalar(select(func.count(Grid.id).filter(Grid.level == 0)).select_from(Grid)) == 1
        # column and aggregate queries through the entity are filtered
        assert db.session.scalar(select(func.count(Grid.id))) == 1
