"""A small chashan tenant for the sheet tests: street 茶山 with communities X and Y (level 1),
one grid each (X1, Y1) with a director, and department K attached to X with two street liaison
members. The official calendar is seeded; 2025 Q4 has a holiday Friday (3 October) and a
holiday first Monday (6 October)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from gridgov.assessment import judging
from gridgov.assessment import operations as runs
from gridgov.extensions import db
from gridgov.jobs import inprocess
from gridgov.models import Assignment, JobRecord, Person, Unit, User
from gridgov.models.assessment import AssessmentResult
from gridgov import workdays
from gridgov.tenancy import platform_scope
from gridgov.operations import events as event_ops
from gridgov.operations import grids as grid_ops

TZ = ZoneInfo("Asia/Shanghai")
Q4 = dt.date(2025, 10, 1)
OCTOBER, NOVEMBER = dt.date(2025, 10, 1), dt.date(2025, 11, 1)


def at(day: dt.date, hour: int = 9, minute: int = 0) -> str:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ).isoformat()


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(n) for n in range((end - start).days)]


class World:
    def __init__(self, app, factory):
        self.app = app
        self.tenant = factory.tenant("cs", plugins=["chashan"])
        self.judge_id, _ = factory.user("cs-judge", self.tenant, "assessor")
        self.grids, self.people, self.units = {}, {}, {}
        with app.app_context(), platform_scope():
            workdays.seed_official_calendar()
            db.session.commit()
        with self.scope():
            street = grid_ops.create_grid(code="S", name="茶山街道")
            for c in "XY":
                self.grids[c] = grid_ops.create_grid(code=c, name=f"社区{c}", parent_id=street.id).id
                self.grids[c + "1"] = grid_ops.create_grid(code=c + "1", name=f"网格{c}1", parent_id=self.grids[c]).id
                self.person(f"d{c}", "chashan.grid_director", grid_id=self.grids[c + "1"])
            unit = Unit(code="K", name="城市管理科", kind="department", grid_id=self.grids["X"])
            db.session.add(unit)
            db.session.flush()
            self.units["K"] = unit.id
            for k in ("k1", "k2"):
                self.person(k, "chashan.street_liaison", unit_id=unit.id)

    def person(self, name: str, role: str, starts_on: dt.date = dt.date(2025, 1, 1), **where) -> int:
        person = Person(code=name, name=f"人员{name}")
        db.session.add(person)
        db.session.flush()
        db.session.add(Assignment(person_id=person.id, role=role, starts_on=starts_on, **where))
        self.people[name] = person.id
        return person.id

    def scope(self):
        from conftest import in_tenant

        return in_tenant(self.app, self.tenant)

    def events(self, type_: str, grid: str, days, payload: dict | None = None, hour: int = 9, **columns) -> list[int]:
        items = [{"type": f"chashan.{type_}", "grid_id": self.grids[grid], "occurred_at": at(d, hour),
                  "payload": dict(payload or {}), **columns} for d in days]
        with self.scope():
            ids, _ = event_ops.record_batch(items)
            return ids

    def patrols(self, grid: str, days, minutes: int = 70, **columns) -> list[int]:
        end = dt.time(9 + minutes // 60, minutes % 60)
        return self.events("patrol", grid, days, {"start": "09:00", "end": end.strftime("%H:%M"), "log": "巡查"},
                           actor_person_id=self.people.get(f"d{grid[0]}"), **columns)

    def judge(self, sheet: str, period: dt.date, item: str, subject: int, points: str) -> None:
        with self.scope():
            judging.enter_judgement(sheet=f"chashan.{sheet}", period_start=period, item=item, subject_id=subject,
                                    points=points, reason="领导小组评分", user=db.session.get(User, self.judge_id))

    def run(self, sheet: str, period: dt.date, publish: bool = False) -> dict[int, AssessmentResult]:
        """Create and compute a run through the job queue; {subject id: result}."""
        with self.scope():
            user = db.session.get(User, self.judge_id)
            run_id = runs.create_run(sheet=f"chashan.{sheet}", period_start=period, user=user).id
            runs.compute(runs.get_run(run_id), user)
        assert inprocess.runner_for(self.app).wait(timeout=60)
        with self.scope():
            run = runs.get_run(run_id)
            assert run.state == "computed", db.session.get(JobRecord, run.job_id).error
            if publish:
                runs.publish(run, db.session.get(User, self.judge_id))
            rows = db.session.scalars(select(AssessmentResult).where(AssessmentResult.run_id == run_id)).all()
            for row in rows:
                db.session.expunge(row)
        return {r.subject_id: r for r in rows}


def line(result: AssessmentResult, key: str) -> dict:
    return next(i for i in result.items if i["key"] == key)
