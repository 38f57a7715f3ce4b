"""Demo data: one demo tenant per installed plugin that ships a demo (``gridgov demo load``).

A plugin fills its tenant in ``gridgov_load_demo(tenant, loader)`` with the helpers of
:class:`DemoLoader`. Every helper calls the same operation the API, the console and the CLI call,
so demo rows pass the same validation (a role the plugin does not declare, a place whose
attributes its schema refuses, an event payload of the wrong shape all fail here too) and are
written to the audit log like any other change.

The demo password is public on purpose: these logins exist only in a demo database.
"""
from __future__ import annotations

import datetime as dt
import random
import zoneinfo

from flask import current_app
from sqlalchemy import delete, select, update

from .extensions import db
from .models import Assignment, Grid, Membership, Person, Place, Tenant, Unit, User
from .operations import events as event_ops
from .operations import grids as grid_ops
from .operations import registers
from .operations import tenants as tenant_ops
from .operations.errors import OperationError
from .plugins import Registry
from .tenancy import platform_scope, tenant_scope

DEMO_PASSWORD = "gridgov-demo"  # demo only
PLATFORM_ADMIN = "admin"
DEMO_HOOK = "gridgov_load_demo"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红燕鹏辉玲琴晶斌宇浩凯秀英建文志春海波宁飞雪梅林峰"


class DemoLoader:
    """Helpers a plugin's ``gridgov_load_demo`` uses to build its demo tenant.

    Keys without a namespace (a role ``grid_director``, a place kind ``household``, an event type
    ``patrol``) are taken from the plugin's own namespace, so a plugin writes its keys as it
    declared them. ``random`` is seeded with the plugin name: the same demo every time.
    """

    def __init__(self, tenant: Tenant, plugin: str):
        self.tenant = tenant
        self.plugin = plugin
        self.slug = tenant.slug
        self.random = random.Random(f"gridgov-demo:{plugin}")
        self.zone = zoneinfo.ZoneInfo(tenant.timezone)
        self.today = dt.datetime.now(self.zone).date()
        self.year_start = self.today.replace(month=1, day=1)
        self._names: set[str] = set()
        self._events: list[dict] = []
        self.granted: set[str] = set()  # tenant roles given to logins so far

    def key(self, key: str) -> str:
        return key if "." in key else f"{self.plugin}.{key}"

    # -- the registers ------------------------------------------------------------------------

    def grid(self, code: str, name: str, parent: Grid | None = None, *, geometry=None, **attributes) -> Grid:
        return grid_ops.create_grid(code=code, name=name, parent_id=parent.id if parent else None,
                                    attributes=attributes, geometry=geometry)

    def unit(self, code: str, name: str, kind: str = "", *, parent: Unit | None = None, grid: Grid | None = None,
             **attributes) -> Unit:
        return registers.create(Unit, {"code": code, "name": name, "kind": kind, "attributes": attributes,
                                       "parent_id": parent.id if parent else None,
                                       "grid_id": grid.id if grid else None})

    def person(self, code: str, name: str | None = None, *, phone: str = "", **attributes) -> Person:
        """A member of staff; without ``name``, a made-up Chinese name (see :meth:`person_name`)."""
        if name:
            self._names.add(name)
        return registers.create(Person, {"code": code, "name": name or self.person_name(), "phone": phone,
                                         "attributes": attributes})

    def assign(self, person: Person, role: str, grid: Grid | None = None, unit: Unit | None = None, *,
               starts_on: dt.date | None = None, ends_on: dt.date | None = None,
               sheet_override: str | None = None) -> Assignment:
        """Give ``person`` a role in a grid or a unit, from the start of this year by default."""
        return registers.create(Assignment, {
            "person_id": person.id, "role": self.key(role), "grid_id": grid.id if grid else None,
            "unit_id": unit.id if unit else None, "starts_on": starts_on or self.year_start, "ends_on": ends_on,
            "sheet_override": self.key(sheet_override) if sheet_override else None,
        })

    def place(self, kind: str, code: str, name: str, grid: Grid, *, address: str = "", geometry=None,
              **attributes) -> Place:
        return registers.create(Place, {"kind": self.key(kind), "code": code, "name": name, "grid_id": grid.id,
                                        "address": address, "attributes": attributes, "geometry": geometry})

    def event(self, type: str, grid: Grid, occurred_at: dt.datetime, payload: dict | None = None, *,
              actor: Person | None = None, subject: Person | None = None, subject_unit: Unit | None = None,
              place: Place | None = None) -> None:
        """Queue an event; :meth:`flush_events` records the queue through the batch path (called
        after the demo hook returns), so a demo of hundreds of events costs a few statements."""
        self._events.append({
            "type": self.key(type), "grid_id": grid.id, "occurred_at": occurred_at.isoformat(),
            "payload": payload or {}, "actor_person_id": actor.id if actor else None,
            "subject_person_id": subject.id if subject else None,
            "subject_unit_id": subject_unit.id if subject_unit else None, "place_id": place.id if place else None,
        })

    def flush_events(self) -> None:
        """Record the queued events, all or nothing; a refused one is named by its type."""
        queued, self._events = self._events, []
        for start in range(0, len(queued), event_ops.MAX_BATCH):
            chunk = queued[start:start + event_ops.MAX_BATCH]
            try:
                event_ops.record_batch(chunk)
            except OperationError as exc:
                failed = exc.errors["events"]  # {index in chunk: {field: reasons}}
                raise OperationError({f"demo event {start + i} ({chunk[i]['type']})": e
                                      for i, e in failed.items()}) from exc

    def login(self, username: str, role: str, person: Person | None = None) -> User:
        """A login ``<slug>-<username>`` with the demo password and ``role`` in this tenant
        (a tenant role: tenant_admin, assessor, supervisor, field_staff or viewer); linked to
        ``person`` when given, so field staff act as that member of staff."""
        full = f"{self.slug}-{username}"
        user = db.session.scalar(select(User).where(User.username == full))
        if user is None:
            user = tenant_ops.create_user(full, DEMO_PASSWORD, display_name=person.name if person else full)
        tenant_ops.add_membership(self.tenant, user, role)
        self.granted.add(role)
        if person is not None:
            registers.update(person, {"user_id": user.id})
        return user

    def person_name(self) -> str:
        """A made-up Chinese name, not yet used in this demo (from the seeded generator)."""
        while True:
            given = "".join(self.random.choice(GIVEN) for _ in range(self.random.choice((1, 2, 2))))
            name = self.random.choice(SURNAMES) + given
            if name not in self._names:
                self._names.add(name)
                return name

    # -- time -------------------------------------------------------------------------------

    def recent_weekdays(self, count: int) -> list[dt.date]:
        """The last ``count`` days before today from Monday to Friday, oldest first. Demo data
        only: the official working-day calendar is the scoring's business, not the demo's."""
        days, day = [], self.today
        while len(days) < count:
            day -= dt.timedelta(days=1)
            if day.weekday() < 5:
                days.append(day)
        return days[::-1]

    def at(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        """An instant on ``day`` in the tenant's time zone."""
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=self.zone)


def demo_plugins(registry: Registry) -> list[str]:
    """The loaded plugins that implement ``gridgov_load_demo``, in registry order."""
    implementing = {impl.plugin_name for impl in getattr(registry.pm.hook, DEMO_HOOK).get_hookimpls()}
    return [name for name in registry.plugin_names() if name in implementing]


def demo_slug(plugin: str) -> str:
    return plugin.replace("_", "-")


def load_demo(reset: bool = False) -> list[dict]:
    """Create the platform admin and one demo tenant per plugin that ships a demo, with a
    tenant admin ``<slug>-admin`` and a field-staff login (``<slug>-staff`` unless the plugin's
    demo made its own, linked to one of its staff).

    Idempotent: a demo tenant that exists (by slug) is left alone, unless ``reset`` — then it is
    deleted with its demo logins and rebuilt. Each tenant is one transaction. Needs an app context.

    :returns: the logins to print, ``{"username", "password", "tenant", "role"}`` each; the
        platform admin first (tenant ``None``, role ``platform_admin``).
    """
    registry: Registry = current_app.extensions["gridgov_registry"]
    credentials = [_platform_admin()]
    for plugin in demo_plugins(registry):
        slug = demo_slug(plugin)
        with platform_scope():
            tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
            if tenant is not None and reset:
                _delete_tenant(tenant)
                db.session.commit()
                tenant = None
        if tenant is None:
            tenant = _build_tenant(registry, plugin, slug)
        credentials.extend(_tenant_logins(tenant))
    return credentials


def _platform_admin() -> dict:
    if db.session.scalar(select(User.id).where(User.username == PLATFORM_ADMIN)) is None:
        tenant_ops.create_user(PLATFORM_ADMIN, DEMO_PASSWORD, display_name="平台管理员", platform_admin=True)
        db.session.commit()
    return {"username": PLATFORM_ADMIN, "password": DEMO_PASSWORD, "tenant": None, "role": "platform_admin"}


def _build_tenant(registry: Registry, plugin: str, slug: str) -> Tenant:
    try:
        with platform_scope():
            tenant = tenant_ops.create_tenant(slug, registry.info[plugin].title_zh, plugins=[plugin])
        with tenant_scope(tenant.id):
            loader = DemoLoader(tenant, plugin)
            admin = loader.login("admin", "tenant_admin")
            registry.call(plugin, DEMO_HOOK, tenant=tenant, loader=loader)
            if "field_staff" not in loader.granted:
                loader.login("staff", "field_staff")
            loader.flush_events()
            _demo_cases(loader, admin)
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return tenant


CASE_PROBLEMS = ("楼道堆放杂物，堵塞消防通道", "路灯损坏，夜间无照明", "下水道堵塞，污水外溢", "商户占道经营",
                 "夜间施工噪音扰民", "邻里漏水纠纷", "违规张贴小广告", "生活垃圾清运不及时")
# How far each demo case has got, from closed to just reported, and how many days ago it came in.
CASE_STEPS = ("accept", "dispatch", "start", "resolve", "verify", "close")
CASE_PLAN = ((20, 6), (15, 6), (12, 5), (9, 4), (6, 3), (4, 2), (2, 1), (1, 0))


def _demo_cases(loader: DemoLoader, actor: User) -> None:
    """A few cases in the tenant's grids, at every stage of the workflow, so the case queues,
    the timeline and the metrics have something to show. Each step goes through the workflow's
    own operation; a step the tenant cannot take (no unit to dispatch to) ends that case's run
    there, inside a savepoint, as an officer would leave it."""
    from .operations import cases as case_ops

    leaves = list(db.session.scalars(select(Grid).where(Grid.tenant_id == loader.tenant.id)
                                     .order_by(Grid.level.desc(), Grid.id).limit(len(CASE_PLAN))))
    category = "core.general"
    now = dt.datetime.now(loader.zone)
    for index, (days_ago, steps) in enumerate(CASE_PLAN):
        if not leaves:
            return
        grid = leaves[index % len(leaves)]
        at = (now - dt.timedelta(days=days_ago)).replace(hour=9, minute=0, second=0, microsecond=0)
        case = case_ops.report_case({"category": category, "grid_id": grid.id, "description": CASE_PROBLEMS[index],
                                     "address": grid.name, "reported_at": at.isoformat()}, actor=actor)
        for number, step in enumerate(CASE_STEPS[:steps], start=1):
            at = min(at + dt.timedelta(hours=2 if number < 4 else 20), now)
            try:
                with db.session.begin_nested():
                    getattr(case_ops, step)(case, actor=actor, at=at, note="演示数据")
            except OperationError:
                break


def _tenant_logins(tenant: Tenant) -> list[dict]:
    with platform_scope():
        rows = db.session.execute(
            select(User.username, Membership.role).join(Membership, Membership.user_id == User.id)
            .where(Membership.tenant_id == tenant.id).order_by(Membership.role != "tenant_admin", User.username)
        ).all()
    return [{"username": u, "password": DEMO_PASSWORD, "tenant": tenant.slug, "role": r} for u, r in rows]


def _delete_tenant(tenant: Tenant) -> None:
    """Delete a demo tenant, every row it owns, and its demo logins (``<slug>-...``).

    Table by table, dependants first, so the RESTRICT references that keep history from being
    deleted by accident (events on a grid, a grid under a grid) hold until the whole tenant
    goes; references within a table are cut first. These are Core statements on the tables —
    the tenancy criteria apply to ORM entities only — hence the explicit ``tenant_id`` filter.
    Every tenant-owned table is covered, whichever module declares it. Call under platform scope.
    """
    demo_users = list(db.session.scalars(
        select(User.id).join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant.id, User.username.startswith(f"{tenant.slug}-", autoescape=True),
               ~User.is_platform_admin)))
    for table in reversed(db.metadata.sorted_tables):
        if "tenant_id" not in table.c:
            continue
        mine = table.c.tenant_id == tenant.id
        within = {fk.parent.name: None for fk in table.foreign_keys if fk.column.table is table}
        if within:
            db.session.execute(update(table).where(mine).values(within))
        db.session.execute(delete(table).where(mine))
    db.session.execute(delete(User).where(User.id.in_(demo_users)))
    db.session.execute(delete(Tenant).where(Tenant.id == tenant.id))
