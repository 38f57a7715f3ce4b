"""How the case pages show a case: titles in the request's language, deadlines with the time
left or overdue (in the tenant's time zone), and the names behind the ids of a timeline."""
from __future__ import annotations

import dataclasses
import datetime as dt

from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import Person, Place, Unit, User
from ..models.base import utcnow
from ..models.cases import CASE_SOURCES, CLOSURE_TYPES, REPORTER_KINDS
from ..operations import cases
from ..plugins import SEVERITIES
from .case_forms import pair_title
from .helpers import is_english, local_time, title

STAGES = {
    "accept": (_l("Accept deadline"), "accepted_at"),
    "resolve": (_l("Resolve deadline"), "resolved_at"),
    "close": (_l("Close deadline"), "closed_at"),
}
# the deadline a case in this state is working against (the queues show only that one)
CURRENT_STAGE = {"reported": "accept", "resolved": "close", "verified": "close", "closed": None, "rejected": None}


def state_title(state: str | None) -> str:
    return pair_title(cases.STATES[state]) if state in cases.STATES else (state or "")


def action_title(action: str) -> str:
    t = cases.TRANSITIONS.get(action)
    return t.title("en" if is_english() else "zh") if t is not None else action


def category_title(key: str) -> str:
    cat = cases.categories().get(key)
    return f"{title(cat)} ({key})" if cat is not None else key


def table_title(table: dict, key: str | None) -> str:
    return pair_title(table[key]) if key in table else (key or "")


def severity_title(key: str) -> str:
    return table_title(SEVERITIES, key)


def source_title(key: str) -> str:
    return table_title(CASE_SOURCES, key)


def reporter_kind_title(key: str) -> str:
    return table_title(REPORTER_KINDS, key)


def closure_title(key: str | None) -> str:
    return table_title(CLOSURE_TYPES, key)


def duration(seconds: float) -> str:
    """A span in days, hours and minutes ("2天3小时")."""
    seconds = int(abs(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return gettext("%(days)s d %(hours)s h", days=days, hours=hours)
    if hours:
        return gettext("%(hours)s h %(minutes)s min", hours=hours, minutes=rest // 60)
    return gettext("%(minutes)s min", minutes=rest // 60)


@dataclasses.dataclass(frozen=True)
class DeadlineStatus:
    stage: str
    label: str
    due: str  # local time
    status: str
    tone: str  # a Bootstrap colour: success, danger, warning, secondary


def deadline_status(case, stage: str, now: dt.datetime | None = None) -> DeadlineStatus | None:
    """Where ``case`` stands against one stage's deadline; None when that clock never started."""
    label, done_attr = STAGES[stage]
    due = getattr(case, f"{stage}_due_at")
    if due is None:
        return None
    now = now or utcnow()
    done = getattr(case, done_attr)
    if stage == "accept" and case.state == "rejected":
        done = case.last_transition_at if done is None else done
    if done is not None:
        late = done > due
        return DeadlineStatus(stage, str(label), local_time(due),
                              gettext("late by %(span)s", span=duration((done - due).total_seconds())) if late
                              else gettext("met"), "danger" if late else "success")
    if case.paused_at is not None and stage != "accept":
        return DeadlineStatus(stage, str(label), local_time(due),
                              gettext("paused since %(time)s", time=local_time(case.paused_at)), "secondary")
    left = (due - now).total_seconds()
    if left < 0:
        return DeadlineStatus(stage, str(label), local_time(due), gettext("overdue by %(span)s", span=duration(left)), "danger")
    return DeadlineStatus(stage, str(label), local_time(due), gettext("%(span)s left", span=duration(left)),
                          "warning" if left < 86400 else "secondary")


def deadlines(case, now: dt.datetime | None = None) -> list[DeadlineStatus]:
    return [s for s in (deadline_status(case, stage, now) for stage in STAGES) if s is not None]


def current_deadline(case, now: dt.datetime | None = None) -> DeadlineStatus | None:
    stage = CURRENT_STAGE.get(case.state, "resolve")
    return deadline_status(case, stage, now) if stage else None


class Names:
    """Names of the units, people, places and logins a page mentions, loaded in one query each
    (under the request's tenant scope, so an id of another tenant stays a bare number)."""

    def __init__(self, unit_ids=(), person_ids=(), user_ids=(), place_ids=()):
        self.units = self._load(Unit, unit_ids, lambda u: f"{u.code} {u.name}")
        self.people = self._load(Person, person_ids, lambda p: p.name)
        self.places = self._load(Place, place_ids, lambda p: p.name)
        ids = {i for i in user_ids if i is not None}
        self.users = {uid: display or username for uid, username, display in db.session.execute(
            select(User.id, User.username, User.display_name).where(User.id.in_(ids)))} if ids else {}

    @staticmethod
    def _load(model, ids, label) -> dict:
        ids = {i for i in ids if i is not None}
        return {row.id: label(row) for row in db.session.scalars(select(model).where(model.id.in_(ids)))} if ids else {}

    def unit(self, unit_id) -> str:
        return "" if unit_id is None else self.units.get(unit_id, f"#{unit_id}")

    def person(self, person_id) -> str:
        return "" if person_id is None else self.people.get(person_id, f"#{person_id}")

    def user(self, user_id) -> str:
        return "" if user_id is None else self.users.get(user_id, f"#{user_id}")

    def place(self, place_id) -> str:
        return "" if place_id is None else self.places.get(place_id, f"#{place_id}")


def actor(names: Names, user_id, person_id) -> str:
    """A step's actor: the person's name with the login, or a public channel."""
    who = [n for n in (names.person(person_id), names.user(user_id)) if n]
    return " / ".join(dict.fromkeys(who)) if who else gettext("public channel")
