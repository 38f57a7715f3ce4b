"""A small zhanqian tenant for the sheet tests: street S (站前街道) with communities A and B,
second-level grids A1, A2 and B1, B2; the leading group's judge (an assessor login linked to
the leader), an inspector who is also the responsible person of B1, a director of A, and an
office login (supervisor) that moves cases. Period: March 2026."""
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
from gridgov.tenancy import platform_scope

TZ = ZoneInfo("Asia/Shanghai")
MARCH, APRIL, MAY, JUNE = dt.date(2026, 3, 1), dt.date(2026, 4, 1), dt.date(2026, 5, 1), dt.date(2026, 6, 1)
Q2 = APRIL


def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


class World:
    def __init__(self, app, factory):
        self.app = app
        self.tenant = factory.tenant("zq", plugins=["zhanqian"])
        self.ids = {}
        self.ids["judge"], self.judge_token = factory.user("zq-judge", self.tenant, "assessor")
        self.ids["office"], _ = factory.user("zq-office", self.tenant, "supervisor")
        self.ids["director_login"], self.director_token = factory.user("zq-director", self.tenant, "field_staff")
        self.grids, self.people = {}, {}
        with app.app_context(), platform_scope():
            workdays.seed_official_calendar()
            db.session.commit()
        with self.scope():
            street = grid_ops.create_grid(code="S", name="站前街道")
            self.grids["S"] = street.id
            for c in "AB":
                self.grids[c] = grid_ops.create_grid(code=c, name=f"社区{c}", parent_id=street.id).id
                unit = Unit(code=f"U{c}", name=f"社区{c}居委会", kind="community", grid_id=self.grids[c])
                db.session.add(unit)
                for n in (1, 2):
                    self.grids[f"{c}{n}"] = grid_ops.create_grid(code=f"{c}{n}", name=f"网格{c}{n}",
                                                                 parent_id=self.grids[c]).id
            group = Unit(code="LG", name="考核工作领导小组", kind="leading_group")
            db.session.add(group)
            db.session.flush()
            self.person("leader", "zhanqian.leading_group_leader", unit_id=group.id, login="judge")
            self.person("inspector", "zhanqian.inspector", unit_id=group.id)
            self.assign("inspector", "zhanqian.grid_responsible", grid_id=self.grids["B1"])
            self.person("director", "zhanqian.community_director", grid_id=self.grids["A"], login="director_login")
            db.session.commit()

    def scope(self):
        from conftest import in_tenant

        return in_tenant(self.app, self.tenant)

    def user(self, key: str = "judge") -> User:
        return db.session.get(User, self.ids[key])

    def person(self, key: str, role: str, login: str | None = None, **where) -> int:
        person = Person(code=key, name=f"人员{key}", user_id=self.ids[login] if login else None)
        db.session.add(person)
        db.session.flush()
        self.people[key] = person.id
        self.assign(key, role, **where)
        return person.id

    def assign(self, key: str, role: str, **where) -> None:
        db.session.add(Assignment(person_id=self.people[key], role=role, starts_on=dt.date(2026, 1, 1), **where))
        db.session.flush()

    def events(self, type_: str, grid: str, days, payload: dict | None = None, actor: str | None = None) -> list[int]:
        items = [{"type": f"zhanqian.{type_}", "grid_id": self.grids[grid], "occurred_at": at(d).isoformat(),
                  "payload": dict(payload or {}), "actor_person_id": self.people.get(actor)} for d in days]
        with self.scope():
            ids, _ = event_ops.record_batch(items)
            db.session.commit()
            return ids

    def inspections(self, grid: str, n: int, month: dt.date = MARCH) -> list[int]:
        return self.events("inspection", grid, [month + dt.timedelta(days=2 * k + 1) for k in range(n)],
                           {"problems_found": 0})

    def case(self, grid: str, reported: dt.datetime, resolved: dt.datetime | None = None,
             category: str = "core.general") -> int:
        """A case accepted when reported (resolve deadline: the category's), resolved at ``resolved``."""
        with self.scope():
            office = self.user("office")
            case = case_ops.report_case({"category": category, "grid_id": self.grids[grid], "description": "问题",
                                         "reported_at": reported.isoformat()}, actor=office)
            case_ops.accept(case, actor=office, at=reported)
            if resolved is not None:
                case_ops.dispatch(case, actor=office, at=reported)
                case_ops.start(case, actor=office, at=reported)
                case_ops.resolve(case, actor=office, at=resolved)
            db.session.commit()
            return case.id

    def judge(self, item: str, community: str, points: str, period: dt.date = MARCH, reason: str = "领导小组评定"):
        with self.scope():
            judging.enter_judgement(sheet="zhanqian.community_month", period_start=period, item=item,
                                    subject_id=self.grids[community], points=points, reason=reason,
                                    user=self.user("judge"))
            db.session.commit()

    def run(self, sheet: str = "community_month", period: dt.date = MARCH, publish: bool = False):
        """Create, compute (in this transaction) and optionally publish a run: {community: result}."""
        with self.scope():
            user = self.user("judge")
            run = runs.create_run(sheet=f"zhanqian.{sheet}", period_start=period, user=user)
            runs.compute_now(run, user)
            if publish:
                runs.publish(run, user)
            db.session.commit()
            rows = db.session.scalars(select(AssessmentResult).where(AssessmentResult.run_id == run.id)).all()
            for row in rows:
                db.session.expunge(row)
        return {code: next(r for r in rows if r.subject_id == self.grids[code]) for code in "AB"}


def line(result: AssessmentResult, key: str) -> dict:
    return next(i for i in result.items if i["key"] == key)
