"""A throwaway plugin ``assesstest`` declaring a small sheet, and a tenant to run it on.

Sheet ``assesstest.grid_month`` scores the communities (grids of level 1) every month:

* ``patrol`` (max 40): 40 − 2 per working day without a patrol of at least
  ``patrol_minutes`` anywhere in the community, floor 0 — evidence: the patrols counted;
* ``leadership`` (judged 0–60);
* ``honour`` (bonus): +5 per honour event;
* ``complaint`` (penalty): 3 per complaint about the community (events naming the grid);
* a ``veto`` event in the community vetoes it (一票否决); ``awards``: ``excellent_award`` CNY
  for an excellent community.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from marshmallow import Schema, fields

from gridgov import hookimpl
from gridgov.assessment import Award, Evidence, ItemScore, SubjectScore, grade_bands_field
from gridgov.extensions import db
from gridgov.models import Assignment, Person, User
from gridgov.operations import events as event_ops
from gridgov.operations import grids as grid_ops
from gridgov.plugins import EventType, PluginInfo, Sheet, SheetItem

TZ = ZoneInfo("Asia/Shanghai")
NOVEMBER = dt.date(2026, 11, 1)


class PatrolPayload(Schema):
    minutes = fields.Integer(required=True)


class Empty(Schema):
    note = fields.String(load_default="")


class ReportPayload(Schema):
    accepted = fields.Boolean(required=True)


class Settings(Schema):
    grade_bands = grade_bands_field()
    patrol_minutes = fields.Integer(load_default=60)
    excellent_award = fields.Decimal(places=2, load_default=Decimal("1000"))


def score_grid_month(facts):
    days = facts.working_days()
    patrols = facts.count("assesstest.patrol", by="grid", daily=True,
                          payload={"minutes": (">=", facts.settings["patrol_minutes"])})
    honours = facts.count("assesstest.honour", by="grid")
    complaints = facts.count("assesstest.complaint")
    vetoes = facts.count("assesstest.veto", by="grid")
    judged = facts.judged("leadership")
    out = {}
    for sid in facts.subjects:
        missed = [d for d in days if not patrols[sid].by_day.get(d)]
        entry = judged.get(sid)
        out[sid] = SubjectScore(items=[
            ItemScore("patrol", max(Decimal(0), Decimal(40) - 2 * len(missed)),
                      f"40 − 2 × {len(missed)} missed working days, floor 0",
                      Evidence(event_ids=patrols[sid].event_ids)),
            ItemScore("leadership", entry.points if entry else Decimal(0), "entered by the leading group",
                      Evidence(judged=entry)),
            ItemScore("honour", Decimal(5) * honours[sid].count, "+5 per honour", Evidence(event_ids=honours[sid].event_ids)),
            ItemScore("complaint", Decimal(3) * complaints[sid].count, "3 per complaint",
                      Evidence(event_ids=complaints[sid].event_ids)),
        ], vetoes=["veto recorded"] if vetoes[sid].count else [])
    return out


def excellent_award(standing, settings):
    if standing.grade != "excellent":
        return []
    return [Award("excellent", "优秀奖励", "Excellence award", settings["excellent_award"])]


GRID_MONTH = Sheet(
    "grid_month", "社区月度考核", "Community monthly assessment", "grid", "month",
    items=(SheetItem("patrol", "巡查", "Patrol", Decimal(40)),
           SheetItem("leadership", "领导评分", "Leadership score", Decimal(60), kind="judged"),
           SheetItem("honour", "荣誉加分", "Honours", role="bonus"),
           SheetItem("complaint", "投诉扣分", "Complaints", role="penalty")),
    score=score_grid_month, awards=excellent_award, grid_levels=(1,))


def score_person_month(facts):
    """A cash ledger (茶山 A style): money-only lines, +¥10 per accepted report the person made,
    −¥50 per working day without a patrol in their grids; and the undisposed cases as a note."""
    days = facts.working_days()
    reports = facts.count("assesstest.report", by="actor", payload={"accepted": True})
    patrols = facts.count("assesstest.patrol", by="grid", daily=True)
    conduct = facts.judged("conduct")
    out = {}
    for sid in facts.subjects:
        missed = [d for d in days if not patrols[sid].by_day.get(d)]
        cases = [c for g in facts.subject_grids(sid) for c in facts.undisposed_case_ids(grid=g)]
        out[sid] = SubjectScore(items=[
            ItemScore("reports", None, "+¥10 per accepted report", Evidence(event_ids=reports[sid].event_ids),
                      money=Decimal(10) * reports[sid].count),
            ItemScore("missed_patrol", None, "−¥50 per missed working day",
                      Evidence(note=", ".join(d.isoformat() for d in missed)), money=Decimal(-50) * len(missed)),
            ItemScore("cases", Decimal(10) - len(cases), "−1 per case not disposed in time", Evidence(case_ids=cases)),
            ItemScore("conduct", conduct[sid].points if sid in conduct else Decimal(0), "judged",
                      Evidence(judged=conduct.get(sid))),
        ])
    return out


PERSON_MONTH = Sheet(
    "person_month", "网格长月度奖惩", "Grid leader monthly ledger", "person", "half_month",
    items=(SheetItem("reports", "信息上报", "Reports"), SheetItem("missed_patrol", "漏巡", "Missed patrols"),
           SheetItem("cases", "案件处置", "Cases", Decimal(10)),
           SheetItem("conduct", "工作作风", "Conduct", Decimal(5), kind="judged")),
    score=score_person_month, roles=("core.grid_leader",))


class AssessPlugin:
    @hookimpl
    def gridgov_plugin_info(self):
        return PluginInfo("考核测试", "Assessment test", "1.0")

    @hookimpl
    def gridgov_settings_schema(self):
        return Settings

    @hookimpl
    def gridgov_event_types(self):
        return [EventType("patrol", "巡查", "Patrol", PatrolPayload), EventType("honour", "荣誉", "Honour", Empty),
                EventType("complaint", "投诉", "Complaint", Empty), EventType("veto", "否决", "Veto", Empty),
                EventType("report", "信息上报", "Report", ReportPayload)]

    @hookimpl
    def gridgov_assessment_sheets(self):
        return [GRID_MONTH, PERSON_MONTH]


def at(day: dt.date, hour: int = 9) -> str:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ).isoformat()


def weekdays(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(n) for n in range((end - start).days) if (start + dt.timedelta(n)).weekday() < 5]


class World:
    """A street with communities A, B, C (level 1), each with one grid below (level 2)."""

    def __init__(self, app, factory):
        self.app = app
        self.tenant = factory.tenant("assess", plugins=["assesstest"])
        self.users, self.people, self.tokens = {}, {}, {}
        for name, role in [("admin", "tenant_admin"), ("judge", "assessor"), ("near", "assessor"),
                           ("below", "assessor"), ("dirA", "viewer"), ("outsider", "viewer")]:
            self.users[name], self.tokens[name] = factory.user(f"u-{name}", self.tenant, role)
        with self.scope():
            street = grid_ops.create_grid(code="S", name="街道")
            self.grids = {"S": street.id}
            for c in "ABC":
                community = grid_ops.create_grid(code=c, name=f"社区{c}", parent_id=street.id)
                self.grids[c] = community.id
                self.grids[c + "1"] = grid_ops.create_grid(code=c + "1", name=f"网格{c}1", parent_id=community.id).id
            self._staff("near", "S")    # assessor responsible for the street: above every community
            self._staff("below", "A1")  # assessor responsible for a grid below community A
            self._staff("dirA", "A")    # the director of community A

    def _staff(self, user: str, grid: str, role: str = "core.grid_leader", **assignment) -> None:
        person = Person(code=f"p-{user}", name=f"人员{user}", user_id=self.users.get(user))
        db.session.add(person)
        db.session.flush()
        self.people[user] = person.id
        db.session.add(Assignment(person_id=person.id, role=role, grid_id=self.grids[grid],
                                  starts_on=assignment.pop("starts_on", dt.date(2026, 1, 1)), **assignment))

    def scope(self):
        from conftest import in_tenant

        return in_tenant(self.app, self.tenant)

    def user(self, name: str) -> User:
        return db.session.get(User, self.users[name])

    def events(self, items: list[dict]) -> list[int]:
        with self.scope():
            ids, _ = event_ops.record_batch(items)
            return ids

    def patrols(self, grid: str, days, minutes: int = 90) -> list[int]:
        return self.events([{"type": "assesstest.patrol", "grid_id": self.grids[grid], "occurred_at": at(d),
                             "payload": {"minutes": minutes}} for d in days])
