"""A small mengjin_fees tenant for the sheet tests: county K with sub-bureau A (level 1) and its
grids A1, A2; the comprehensive service group S attached to A; a branch association B with
cadre ``c`` and 邵军 (``shao``, assessed on sheet C by ``sheet_override``); grid responsible
persons ``r1`` (A1) and ``r2`` (A2). The official calendar is seeded (2025 National Day:
1–8 October off, Saturday 11 October a make-up working day)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from gridgov import workdays
from gridgov.assessment import judging
from gridgov.assessment import operations as runs
from gridgov.extensions import db
from gridgov.models import Assignment, Person, Unit, User
from gridgov.models.assessment import AssessmentResult
from gridgov.operations import cases as case_ops
from gridgov.operations import events as event_ops
from gridgov.operations import grids as grid_ops
from gridgov.operations import registers
from gridgov.models import Place
from gridgov.tenancy import platform_scope

TZ = ZoneInfo("Asia/Shanghai")
OCTOBER, SEPTEMBER = dt.date(2025, 10, 1), dt.date(2025, 9, 1)
NS = "mengjin_fees."


def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


class World:
    def __init__(self, app, factory, slug: str = "mj"):
        self.app = app
        self.tenant = factory.tenant(slug, plugins=["mengjin_fees"])
        self.office_id, _ = factory.user(f"{slug}-office", self.tenant, "tenant_admin")
        self.grids, self.people, self.units, self.places = {}, {}, {}, {}
        with app.app_context(), platform_scope():
            workdays.seed_official_calendar()
            db.session.commit()
        with self.scope():
            self.grids["K"] = grid_ops.create_grid(code="K", name="孟津县局辖区").id
            self.grids["A"] = grid_ops.create_grid(code="A", name="城关分局", parent_id=self.grids["K"]).id
            for g in ("A1", "A2"):
                self.grids[g] = grid_ops.create_grid(code=g, name=f"网格{g}", parent_id=self.grids["A"]).id
            self.units["S"] = self.unit("S", "综合服务组", "service_group", "A")
            self.units["F"] = self.unit("F", "城关分局", "sub_bureau", "A")
            self.units["B"] = self.unit("B", "个协城关分会", "branch_association", "A")
            self.person("c", "branch_cadre", unit_id=self.units["B"])
            self.person("shao", "branch_cadre", name="邵军", unit_id=self.units["B"],
                        sheet_override=NS + "grid_responsible")
            self.person("r1", "grid_responsible", grid_id=self.grids["A1"])
            self.person("r2", "grid_responsible", grid_id=self.grids["A2"])

    def unit(self, code, name, kind, grid) -> int:
        unit = Unit(code=code, name=name, kind=kind, grid_id=self.grids[grid])
        db.session.add(unit)
        db.session.flush()
        return unit.id

    def person(self, key: str, role: str, name: str | None = None, **where) -> int:
        person = Person(code=key, name=name or f"人员{key}")
        db.session.add(person)
        db.session.flush()
        db.session.add(Assignment(person_id=person.id, role=NS + role, starts_on=dt.date(2025, 1, 1), **where))
        self.people[key] = person.id
        return person.id

    def scope(self):
        from conftest import in_tenant

        return in_tenant(self.app, self.tenant)

    def user(self) -> User:
        return db.session.get(User, self.office_id)

    def household(self, key: str, grid: str, kind: str = "individual_business", **attributes) -> int:
        with self.scope():
            place = registers.create(Place, {"kind": NS + kind, "code": key, "name": f"商户{key}",
                                             "grid_id": self.grids[grid],
                                             "attributes": {"registration_no": f"4103{key}", "operator": "经营者",
                                                            **attributes}})
            self.places[key] = place.id
            return place.id

    def events(self, type_: str, grid: str, days, payload: dict | None = None, hour: int = 9, **columns) -> list[int]:
        items = [{"type": NS + type_, "grid_id": self.grids[grid], "occurred_at": at(d, hour).isoformat(),
                  "payload": dict(payload or {}), **columns} for d in days]
        with self.scope():
            ids, _ = event_ops.record_batch(items)
            return ids

    def service(self, type_: str, days, payload: dict | None = None, **columns) -> list[int]:
        """Records about the service group (subject unit S)."""
        return self.events(type_, "A", days, payload, subject_unit_id=self.units["S"], **columns)

    def case(self, category: str, grid: str, reported: dt.datetime, resolved: dt.datetime | None = None,
             unit: str | None = "S") -> int:
        """A case reported, accepted, dispatched and started at the report, resolved at ``resolved``."""
        with self.scope():
            user = self.user()
            case = case_ops.report_case({"category": NS + category, "grid_id": self.grids[grid], "description": "问题",
                                         "reported_at": reported.isoformat()}, actor=user)
            case_ops.accept(case, actor=user, at=reported + dt.timedelta(minutes=10))
            if unit is not None:
                case_ops.dispatch(case, actor=user, unit_id=self.units[unit], at=reported + dt.timedelta(minutes=20))
                case_ops.start(case, actor=user, at=reported + dt.timedelta(minutes=30))
                if resolved is not None:
                    case_ops.resolve(case, actor=user, at=resolved)
            return case.id

    def judge(self, sheet: str, period: dt.date, item: str, subject: int, points, reason: str = "办公室评分") -> None:
        with self.scope():
            judging.enter_judgement(sheet=NS + sheet, period_start=period, item=item, subject_id=subject,
                                    points=str(points), reason=reason, user=self.user())

    def settings(self, **values) -> None:
        from gridgov.models import Tenant
        from gridgov.operations import tenants as tenant_ops

        with self.app.app_context():
            tenant_ops.update_settings(db.session.get(Tenant, self.tenant.id), "mengjin_fees",
                                       {k: str(v) if not isinstance(v, bool) else v for k, v in values.items()})
            db.session.commit()

    def run(self, sheet: str, period: dt.date, publish: bool = False) -> dict[int, AssessmentResult]:
        """Create and compute a run in this transaction; {subject id: result}."""
        with self.scope():
            user = self.user()
            run = runs.create_run(sheet=NS + sheet, period_start=period, user=user)
            runs.compute_now(run, user)
            if publish:
                runs.publish(run, user)
            rows = db.session.scalars(select(AssessmentResult).where(AssessmentResult.run_id == run.id)).all()
            for row in rows:
                db.session.expunge(row)
        return {r.subject_id: r for r in rows}


def line(result: AssessmentResult, key: str) -> dict:
    return next(i for i in result.items if i["key"] == key)
