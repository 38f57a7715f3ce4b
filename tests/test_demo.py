"""The demo loader: one tenant per bundled plugin, built through the operations, idempotent,
rebuilt on reset.

Loading six tenants takes seconds, so the module shares one loaded database (its own app,
on SQLite or on the PostgreSQL named by GRIDGOV_TEST_DATABASE_URL); every test leaves it
holding a complete demo.
"""
from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from gridgov.demo import DEMO_PASSWORD, load_demo
from gridgov.extensions import db
from gridgov.models import Assignment, AuditEntry, Event, Grid, Membership, Person, Place, Tenant, Unit, User
from gridgov.operations import cases, events, grids
from gridgov.tenancy import platform_scope, tenant_scope

from conftest import loaded_demo

PLUGINS = ["chashan", "mengjin_fees", "zhanqian", "jinzhou_streets", "dafang_fire", "family_planning"]
SLUGS = {p: p.replace("_", "-") for p in PLUGINS}
TABLES = (Tenant, User, Membership, Grid, Unit, Person, Assignment, Place, Event, AuditEntry)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with loaded_demo(tmp_path_factory) as (app, _, credentials):
        yield app, credentials


def counts() -> dict:
    with platform_scope():
        return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in TABLES}


def demo_tenant(slug: str) -> Tenant:
    with platform_scope():
        return db.session.scalar(select(Tenant).where(Tenant.slug == slug))


def test_one_tenant_per_bundled_plugin(demo):
    app, _ = demo
    registry = app.extensions["gridgov_registry"]
    with app.app_context():
        for plugin, slug in SLUGS.items():
            tenant = demo_tenant(slug)
            assert tenant.enabled_plugins == [plugin]
            assert tenant.name == registry.info[plugin].title_zh


@pytest.mark.parametrize("plugin", PLUGINS)
def test_each_tree_has_the_depth_its_levels_name_and_every_declared_role_is_held(demo, plugin):
    app, _ = demo
    view = app.extensions["gridgov_registry"]
    with app.app_context():
        tenant = demo_tenant(SLUGS[plugin])
        mine = view.for_tenant(tenant)
        with tenant_scope(tenant.id):
            per_level = Counter(db.session.scalars(select(Grid.level)))
            roles = Counter(db.session.scalars(select(Assignment.role)))
            kinds = set(db.session.scalars(select(Place.kind)))
            types = set(db.session.scalars(select(Event.type)))
            people = set(db.session.scalars(select(Person.id)))
            assigned = set(db.session.scalars(select(Assignment.person_id)))
    assert sorted(per_level) == list(range(len(mine.levels())))
    assert per_level[0] == 1
    assert set(roles) == {k for k, r in mine.roles.items() if r.plugin == plugin}
    assert kinds == {k for k, kind in mine.place_kinds.items() if kind.plugin == plugin}
    # besides its own forms, a demo may hold the core's survey votes (a satisfaction rule needs them)
    assert types - {"core.survey_vote"} == {k for k, t in mine.event_types.items() if t.plugin == plugin}
    assert people and people == assigned  # staff, each holding a role


def test_the_trees_are_shaped_like_their_sources(demo):
    app, _ = demo
    with app.app_context():
        shape = {}
        for plugin, slug in SLUGS.items():
            with tenant_scope(demo_tenant(slug).id):
                levels = Counter(db.session.scalars(select(Grid.level)))
                shape[plugin] = [levels[n] for n in sorted(levels)]
    assert shape["chashan"] == [1, 6, 30]
    assert shape["jinzhou_streets"] == [1, 4, 12, 25]  # detachments, brigades, unit grid groups
    assert shape["family_planning"] == [1, 2, 4, 10]  # 二区四片十个责任块
    assert shape["dafang_fire"][3] == 19  # Dafang town's 19 grid rooms
    assert shape["zhanqian"] == [1, 5, 20]


def test_every_street_section_lies_in_exactly_one_block_and_every_block_has_one(demo):
    app, _ = demo
    with app.app_context(), tenant_scope(demo_tenant("jinzhou-streets").id):
        blocks = set(db.session.scalars(select(Grid.id).where(Grid.level == 3)))
        held = Counter(db.session.scalars(select(Place.grid_id).where(Place.kind == "jinzhou_streets.street_section")))
        groups = Counter(db.session.scalars(
            select(Assignment.grid_id).where(Assignment.role.like("jinzhou_streets.group_%"))))
    assert set(held) == blocks
    assert all(3 <= groups[b] <= 5 for b in blocks)


def test_grid_rooms_have_two_officers_and_an_assistant(demo):
    app, _ = demo
    with app.app_context(), tenant_scope(demo_tenant("dafang-fire").id):
        rooms = set(db.session.scalars(select(Grid.id).where(Grid.level == 3)))
        staff = Counter(db.session.execute(select(Assignment.grid_id, Assignment.role)
                                           .where(Assignment.grid_id.in_(rooms))).all())
    assert all(staff[(r, "dafang_fire.area_officer")] == 2 and staff[(r, "dafang_fire.assistant")] == 1 for r in rooms)


def test_shao_jun_is_assessed_on_the_grid_responsible_sheet(demo):
    app, _ = demo
    with app.app_context(), tenant_scope(demo_tenant("mengjin-fees").id):
        role, sheet = db.session.execute(select(Assignment.role, Assignment.sheet_override)
                                         .join(Person, Person.id == Assignment.person_id)
                                         .where(Person.name == "邵军")).one()
    assert (role, sheet) == ("mengjin_fees.branch_cadre", "mengjin_fees.grid_responsible")


def test_logins_are_returned_and_work(demo):
    app, credentials = demo
    assert credentials[0] == {"username": "admin", "password": DEMO_PASSWORD, "tenant": None, "role": "platform_admin"}
    expected = {(f"{s}-admin", s, "tenant_admin") for s in SLUGS.values()} | \
               {(f"{s}-staff", s, "field_staff") for s in SLUGS.values()} | \
               {("chashan-assessor", "chashan", "assessor"), ("chashan-director", "chashan", "field_staff")} | \
               {("family-planning-director", "family-planning", "supervisor"),
                ("family-planning-assessor", "family-planning", "assessor")} | \
               {("zhanqian-leader", "zhanqian", "assessor"), ("zhanqian-office", "zhanqian", "supervisor"),
                ("zhanqian-director", "zhanqian", "field_staff")} | \
               {("jinzhou-streets-office", "jinzhou-streets", "assessor"),
                ("jinzhou-streets-supervisor", "jinzhou-streets", "supervisor")}
    assert {(c["username"], c["tenant"], c["role"]) for c in credentials[1:]} == expected
    assert {c["password"] for c in credentials} == {DEMO_PASSWORD}
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "admin")).is_platform_admin
        staff = db.session.scalar(select(User).where(User.username == "chashan-staff"))
        assert staff.check_password(DEMO_PASSWORD)
        with tenant_scope(demo_tenant("chashan").id):
            director = db.session.scalar(select(Person).where(Person.user_id == staff.id))
            role = db.session.scalar(select(Assignment.role).where(Assignment.person_id == director.id))
        assert role == "chashan.grid_director"


def test_loading_again_changes_nothing(demo):
    app, credentials = demo
    with app.app_context():
        before = counts()
        again = load_demo()
        assert counts() == before
    assert again == credentials


def test_reset_rebuilds_the_demo_tenants_and_nothing_else(demo):
    app, _ = demo
    with app.app_context():
        before = counts()
        old = demo_tenant("chashan")
        old_id = old.id
        with tenant_scope(old_id):  # what a visitor might do in the demo: history that references it
            extra = grids.create_grid(code="EXTRA", name="临时网格")
            events.void(db.session.scalars(select(Event).limit(1)).one(), "录入错误")
            cases.report_case({"category": "core.general", "grid_id": extra.id, "description": "路灯不亮"})
            db.session.commit()
        with platform_scope():
            other = Tenant(slug="other", name="其他租户", enabled_plugins=[], settings={})
            db.session.add(other)
            db.session.flush()
        with tenant_scope(other.id):
            grids.create_grid(code="KEEP", name="保留网格")
            db.session.commit()
        other_id = other.id

        load_demo(reset=True)

        rebuilt = demo_tenant("chashan")
        assert rebuilt.id != old_id
        with tenant_scope(rebuilt.id):
            assert db.session.scalar(select(Grid.id).where(Grid.code == "EXTRA")) is None
        with tenant_scope(other_id):
            assert [g.code for g in db.session.scalars(select(Grid))] == ["KEEP"]
        with platform_scope():
            assert db.session.scalar(select(func.count()).select_from(Grid).where(Grid.tenant_id == old_id)) == 0
            db.session.delete(db.session.get(Tenant, other_id))
            db.session.commit()
        after = counts()
    # the same demo again; only the audit log holds the extra tenant's creation
    assert {k: v for k, v in after.items() if k != "AuditEntry"} == \
           {k: v for k, v in before.items() if k != "AuditEntry"}


def test_demo_cases_stand_at_every_stage_of_the_workflow(demo):
    """The case queues, timelines and metrics of the demo have cases to show; every step was
    taken through the workflow (so each case's timeline has one transition per step)."""
    from gridgov.models.cases import Case, CaseTransition

    app, _ = demo
    with app.app_context(), platform_scope():
        states = set(db.session.scalars(select(Case.state)))
        assert {"reported", "accepted", "dispatched", "in_progress", "resolved", "verified", "closed"} <= states
        for case in db.session.scalars(select(Case)):
            steps = db.session.scalar(select(func.count()).select_from(CaseTransition).where(CaseTransition.case_id == case.id))
            assert steps >= 1
