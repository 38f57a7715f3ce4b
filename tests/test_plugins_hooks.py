"""Every descriptive hook and the demo hook through throwaway plugins (small classes registered
with ``GRIDGOV_EXTRA_PLUGINS``, autoloading off): what a plugin declares reaches the registry,
the tenants that enable it, the operations, and ``gridgov demo load``."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from gridgov import create_app, hookimpl
from gridgov.demo import load_demo
from gridgov.extensions import db
from gridgov.models import Assignment, Event, Grid, Membership, Person, Place, Tenant, User
from gridgov.operations import events, grids, registers
from gridgov.operations import tenants as tenant_ops
from gridgov.operations.errors import OperationError
from gridgov.plugins import EventType, Level, PlaceKind, PluginInfo, Role
from gridgov.tenancy import platform_scope, tenant_scope


class KioskSettings(Schema):
    fee = fields.Decimal(as_string=True, places=2, load_default=Decimal("2.50"), validate=validate.Range(min=0),
                         metadata={"title_zh": "每次收费（元）", "title_en": "Fee per visit (CNY)"})


class StallAttributes(Schema):
    goods = fields.String(required=True)


class SalePayload(Schema):
    amount = fields.Decimal(as_string=True, places=2, required=True)


class Kiosk:
    """A complete small scheme: every descriptive hook."""

    @hookimpl
    def gridgov_plugin_info(self):
        return PluginInfo("报亭管理", "Kiosk management", "0.1.0")

    @hookimpl
    def gridgov_grid_levels(self):
        return [Level("市场", "Market"), Level("摊区", "Stall row")]

    @hookimpl
    def gridgov_roles(self):
        return [Role("keeper", "摊主", "Stall keeper", "grid")]

    @hookimpl
    def gridgov_settings_schema(self):
        return KioskSettings

    @hookimpl
    def gridgov_place_kinds(self):
        return [PlaceKind("stall", "摊位", "Stall", StallAttributes)]

    @hookimpl
    def gridgov_event_types(self):
        return [EventType("sale", "售出", "Sale", SalePayload)]


class TinyDemo:
    """A plugin that ships a demo, built with the loader's helpers."""

    @hookimpl
    def gridgov_plugin_info(self):
        return PluginInfo("小区演示", "Tiny demo", "0.1.0")

    @hookimpl
    def gridgov_grid_levels(self):
        return [Level("小区", "Estate"), Level("楼栋", "Building")]

    @hookimpl
    def gridgov_roles(self):
        return [Role("caretaker", "楼长", "Caretaker", "grid")]

    @hookimpl
    def gridgov_load_demo(self, tenant, loader):
        estate = loader.grid("E", "阳光小区")
        building = loader.grid("E-1", "1号楼", estate)
        caretaker = loader.person("P1")
        loader.assign(caretaker, "caretaker", building)
        loader.event("core.note", building, loader.at(loader.today, 9), {"text": "楼道已清理"}, actor=caretaker)
        loader.login("staff", "field_staff", person=caretaker)


class BareDemo:
    """A demo with a grid and nobody to log in as: the loader adds the field-staff login."""

    @hookimpl
    def gridgov_plugin_info(self):
        return PluginInfo("空演示", "Bare demo", "0.1.0")

    @hookimpl
    def gridgov_load_demo(self, tenant, loader):
        loader.grid("B", "某网格")


class BrokenDemo:
    """A demo that assigns a role nobody declared: its tenant must not be left half-built."""

    @hookimpl
    def gridgov_plugin_info(self):
        return PluginInfo("坏演示", "Broken demo", "0.1.0")

    @hookimpl
    def gridgov_load_demo(self, tenant, loader):
        grid = loader.grid("X", "某网格")
        loader.assign(loader.person("P1"), "nobody", grid)


@pytest.fixture
def make(app_config):
    """Build an app with the given throwaway plugins only, on a fresh database."""
    apps = []

    def build(**plugins):
        app = create_app({**app_config, "GRIDGOV_PLUGIN_AUTOLOAD": False,
                          "GRIDGOV_EXTRA_PLUGINS": list(plugins.items())})
        with app.app_context(), platform_scope():
            db.drop_all()
            db.create_all()
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context(), platform_scope():
            db.session.remove()
            if db.engine.dialect.name == "postgresql":
                db.drop_all()
            db.engine.dispose()


def test_what_a_plugin_declares_reaches_its_tenants(make):
    app = make(kiosk=Kiosk())
    registry = app.extensions["gridgov_registry"]
    assert registry.info["kiosk"].title_en == "Kiosk management"
    assert [lv.title_zh for lv in registry.levels["kiosk"]] == ["市场", "摊区"]
    with app.app_context():
        with platform_scope():
            tenant = tenant_ops.create_tenant("kiosk", "报亭", plugins=["kiosk"])
            db.session.commit()
        assert registry.for_tenant(tenant).level_name(1) == "摊区"
        assert tenant_ops.get_settings(tenant, "kiosk") == {"fee": Decimal("2.50")}
        with tenant_scope(tenant.id):
            market = grids.create_grid(code="M", name="东门市场")
            keeper = registers.create(Person, {"code": "k1", "name": "摊主甲"})
            registers.create(Assignment, {"person_id": keeper.id, "role": "kiosk.keeper", "grid_id": market.id,
                                          "starts_on": dt.date(2026, 1, 1)})
            stall = registers.create(Place, {"kind": "kiosk.stall", "code": "S1", "name": "1号摊位",
                                             "grid_id": market.id, "attributes": {"goods": "报刊"}})
            sale, _ = events.record({"type": "kiosk.sale", "grid_id": market.id, "place_id": stall.id,
                                     "occurred_at": "2026-11-02T09:00:00+08:00", "payload": {"amount": "3.5"}})
            assert sale.payload == {"amount": "3.50"}
            with pytest.raises(OperationError) as exc:
                registers.create(Place, {"kind": "kiosk.stall", "code": "S2", "name": "2号摊位",
                                         "grid_id": market.id, "attributes": {}})
            assert "goods" in exc.value.errors["attributes"]


def test_a_plugins_demo_becomes_a_demo_tenant(make):
    app = make(tiny_demo=TinyDemo(), kiosk=Kiosk())
    with app.app_context():
        credentials = load_demo()
        with platform_scope():
            slugs = list(db.session.scalars(select(Tenant.slug)))
        assert slugs == ["tiny-demo"]  # kiosk ships no demo
        assert [(c["username"], c["role"]) for c in credentials] == [
            ("admin", "platform_admin"), ("tiny-demo-admin", "tenant_admin"), ("tiny-demo-staff", "field_staff")]
        tenant = db.session.scalar(select(Tenant))
        with tenant_scope(tenant.id):
            assert db.session.scalar(select(Assignment.role)) == "tiny_demo.caretaker"
            assert db.session.scalar(select(Event.type)) == "core.note"
            staff = db.session.scalar(select(User).where(User.username == "tiny-demo-staff"))
            assert db.session.scalar(select(Person.user_id)) == staff.id


def test_every_demo_tenant_gets_a_field_staff_login(make):
    app = make(bare_demo=BareDemo())
    with app.app_context():
        assert [(c["username"], c["role"]) for c in load_demo()[1:]] == [
            ("bare-demo-admin", "tenant_admin"), ("bare-demo-staff", "field_staff")]


def test_a_failing_demo_leaves_no_half_built_tenant(make):
    app = make(broken_demo=BrokenDemo())
    with app.app_context():
        with pytest.raises(OperationError) as exc:
            load_demo()
        assert "role" in exc.value.errors
        with platform_scope():
            assert db.session.scalar(select(func.count()).select_from(Tenant)) == 0
            assert db.session.scalar(select(func.count()).select_from(Grid)) == 0
            assert db.session.scalar(select(func.count()).select_from(Membership)) == 0
            assert list(db.session.scalars(select(User.username))) == ["admin"]
