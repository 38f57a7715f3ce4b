"""Helpers for the case tests (``test_cases*.py``): a tenant with a grid tree, units, staff and
logins, the official calendar seeded, and a way to bring a case into any state."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from gridgov import workdays
from gridgov.extensions import db
from gridgov.models import Assignment, Person, Unit, User
from gridgov.operations import cases, grids, registers
from gridgov.operations import tenants as tenant_ops
from gridgov.tenancy import platform_scope, tenant_scope

TZ = ZoneInfo("Asia/Shanghai")
# login name → tenant role
LOGINS = {"admin": "tenant_admin", "sup": "supervisor", "fs": "field_staff", "g1staff": "field_staff",
          "cstaff": "field_staff", "sstaff": "field_staff", "vstaff": "viewer", "exstaff": "field_staff",
          "viewer": "viewer", "assessor": "assessor"}


def local(text: str) -> dt.datetime:
    """``"2026-10-05 09:00"`` in Asia/Shanghai."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


class World:
    """Street S → communities C (grids G1, G2) and C2 (grid G3).

    Units: US (S), UC (C), UG1 (G1), UG3 (G3), department D and brigade B (no grid). C2 has no
    unit. Staff: g1staff in UG1, cstaff in UC, sstaff in US, vstaff (a viewer) in UG1, exstaff
    in UG1 until January; fs is a grid worker of G1 (a grid, not a unit, assignment)."""

    def __init__(self, app, factory, slug: str = "city", plugins=()):
        self.app = app
        self.tenant = factory.tenant(slug, plugins=plugins)
        self.grid, self.unit, self.person = {}, {}, {}
        with app.app_context():
            # logins without a password: these act through the operations only (hashing ten
            # passwords would cost seconds per test)
            users = {name: User(username=f"{slug}-{name}", display_name=name) for name in LOGINS}
            db.session.add_all(users.values())
            db.session.flush()
            for name, role in LOGINS.items():
                tenant_ops.add_membership(self.tenant, users[name], role)
            self.user_ids = {name: user.id for name, user in users.items()}
            db.session.commit()
            with platform_scope():
                workdays.seed_official_calendar()
                db.session.commit()
            with tenant_scope(self.tenant.id):
                for code, parent in (("S", None), ("C", "S"), ("G1", "C"), ("G2", "C"), ("C2", "S"), ("G3", "C2")):
                    self.grid[code] = grids.create_grid(code=code, name=f"网格{code}",
                                                        parent_id=self.grid[parent] if parent else None).id
                for code, grid, kind in (("US", "S", "street_office"), ("UC", "C", "community"), ("UG1", "G1", "grid_room"),
                                         ("UG3", "G3", "grid_room"), ("D", None, "department"), ("B", None, "fire_brigade")):
                    self.unit[code] = registers.create(Unit, {"code": code, "name": f"单位{code}", "kind": kind,
                                                              "grid_id": self.grid[grid] if grid else None}).id
                staff = (("g1staff", "UG1", None), ("cstaff", "UC", None), ("sstaff", "US", None), ("vstaff", "UG1", None),
                         ("exstaff", "UG1", dt.date(2026, 1, 31)))
                for login in ("g1staff", "cstaff", "sstaff", "vstaff", "exstaff", "fs"):
                    self.person[login] = registers.create(Person, {"code": login, "name": f"人员{login}",
                                                                   "user_id": self.user_ids[login]}).id
                for login, unit, ends_on in staff:
                    registers.create(Assignment, {"person_id": self.person[login], "role": "core.unit_staff",
                                                  "unit_id": self.unit[unit], "starts_on": dt.date(2026, 1, 1), "ends_on": ends_on})
                registers.create(Assignment, {"person_id": self.person["fs"], "role": "core.grid_worker",
                                              "grid_id": self.grid["G1"], "starts_on": dt.date(2026, 1, 1)})
                db.session.commit()

    def user(self, name: str) -> User:
        return db.session.get(User, self.user_ids[name])

    def report(self, actor=None, **values) -> cases.Case:
        values = {"category": "core.dispute", "grid_id": self.grid["G1"], "description": "占道经营", **values}
        return cases.report_case(values, actor=self.user("fs") if actor is None else actor)

    # how to take each step with the arguments it needs
    def step(self, action: str, case, actor, **kw):
        if action == "accept":
            return cases.accept(case, actor=actor, **kw)
        if action == "reject":
            return cases.reject(case, actor=actor, reason=kw.pop("reason", "重复上报"), **kw)
        if action == "dispatch":
            return cases.dispatch(case, actor=actor, unit_id=kw.pop("unit_id", self.unit["UG1"]), **kw)
        if action == "hand_off":
            default = self.unit["B"] if case.unit_id == self.unit["D"] else self.unit["D"]
            return cases.hand_off(case, actor=actor, to_unit_id=kw.pop("to_unit_id", default), reason=kw.pop("reason", "职责移交"), **kw)
        if action == "wait":
            return cases.wait(case, actor=actor, reason=kw.pop("reason", "等待当事人"), **kw)
        if action == "reopen":
            return cases.reopen(case, actor=actor, reason=kw.pop("reason", "未整改到位"), **kw)
        if action == "close_special":
            return cases.close(case, actor=actor, special_reason=kw.pop("special_reason", "历史遗留"), **kw)
        return getattr(cases, action)(case, actor=actor, **kw)

    PATHS = {
        "reported": (),
        "accepted": ("accept",),
        "rejected": ("reject",),
        "dispatched": ("accept", "dispatch"),
        "in_progress": ("accept", "dispatch", "start"),
        "waiting": ("accept", "dispatch", "start", "wait"),
        "escalated": ("accept", "dispatch", "escalate"),
        "handed_off": ("accept", "dispatch", "hand_off"),
        "resolved": ("accept", "dispatch", "start", "resolve"),
        "verified": ("accept", "dispatch", "start", "resolve", "verify"),
        "reopened": ("accept", "dispatch", "start", "resolve", "reopen"),
        "closed": ("accept", "dispatch", "start", "resolve", "verify", "close"),
    }

    def case_in(self, state: str, **values):
        """A new case of UG1 (in G1) brought to ``state`` by the supervisor."""
        sup = self.user("sup")
        case = self.report(**values)
        for action in self.PATHS[state]:
            self.step(action, case, sup)
        assert case.state == state
        return case

