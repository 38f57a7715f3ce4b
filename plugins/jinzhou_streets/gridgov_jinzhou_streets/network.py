"""The street network (街路网格): detachments (支队, grid level 1) → brigades (大队, level 2) →
unit grid groups (单元网格小组, level 3, the "blocks"). Streets are cut into sections (路段,
places of kind ``street_section`` with street, from–to, width and grade); a section's place
grid is its one responsible group — a place has exactly one grid, so a section can never sit in
two groups. A section in no group is one whose grid is not at the group level: it is refused
when a violation is recorded on it (:func:`check_violation`) and listed by
:func:`unassigned_sections` (report ``jinzhou_streets.unassigned``).

Violations (违章发现, event ``jinzhou_streets.violation``) become cases of category
``jinzhou_streets.violation`` (:func:`open_cases`, scheduled every ten minutes and run by the
demo). The source's five steps map onto the core's case states:

======================  =======================================================
discover 发现             the inspection event; case reported (``reported``)
collect 采集/立案          accepted by the evaluation office (``accepted``)
handle 处置               dispatched to the group's brigade, resolved (``dispatched``
                          → ``resolved``)
feedback 反馈             verified by the office (``verified``)
close 结案                closed (``closed``)
======================  =======================================================
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from gridgov.extensions import db
from gridgov.models import Event, Grid, Place
from gridgov.operations.event_cases import open_cases_for_events
from gridgov.plugins import SEVERITIES, CaseCategory, Deadline, ScheduledJob

from .settings import STANDARDS, VIOLATIONS

GROUP_LEVEL = 3
SECTION = "jinzhou_streets.street_section"
VIOLATION = "jinzhou_streets.violation"
CATEGORY = "jinzhou_streets.violation"


def _every(amount: int) -> dict:
    return {severity: Deadline(amount, "working_days") for severity in SEVERITIES}


VIOLATION_CATEGORY = CaseCategory(
    "violation", "街路违章整改", "Street violation rectification",
    deadlines={"accept": _every(1), "resolve": _every(3), "close": _every(5)},
    handling_unit_kind="brigade",
    description="明查暗查发现的八无/四无违章：发现、采集、处置、反馈、结案。")

OPEN_CASES_JOB = ScheduledJob("open_cases", "*/10 * * * *", "gridgov_jinzhou_streets.network.open_cases",
                              "街路违章立案", "Open a case for every street violation found")


def section_problem(place: Place | None, grid_id: int | None = None) -> str | None:
    """Why a violation cannot be recorded on this section, or None."""
    if place is None or place.kind != SECTION:
        return "not a street section (街路路段)"
    if place.grid is None or place.grid.level != GROUP_LEVEL:
        return f"section {place.code} is in no unit grid group (路段未划入单元网格小组)"
    if grid_id is not None and grid_id != place.grid_id:
        return f"section {place.code} belongs to group {place.grid.code}, not to this grid"
    return None


def check_violation(event: dict, earlier: list) -> dict | None:
    """EventType check: the section must be in exactly one group — the event's grid — and the
    item must be in the section's standard (八无 for level 1, 四无 for level 2)."""
    place = db.session.get(Place, event["place_id"]) if event.get("place_id") else None
    problem = section_problem(place, event.get("grid_id")) if place else "a violation names its street section"
    if problem:
        return {"place_id": [problem]}
    grade = int(place.attributes.get("grade", 1))
    item = event["payload"].get("violation")
    if item not in STANDARDS.get(grade, ()):
        standard = "八无 eight nos" if grade == 1 else "四无 four nos"
        return {"payload.violation": [f"{item!r} is not in the {standard} of a level-{grade} street"]}
    return None


def unassigned_sections() -> list[Place]:
    """Sections whose grid is not a unit grid group (the validation list)."""
    return list(db.session.scalars(select(Place).join(Grid, Place.grid_id == Grid.id).where(
        Place.kind == SECTION, Grid.level != GROUP_LEVEL).order_by(Place.code)))


def roster_hours(group: Grid, settings: dict) -> tuple[int, int]:
    """The group's shift roster (弹性工作时间): grid attributes ``roster_start``/``roster_end``
    (hours, local), else the tenant's defaults."""
    attrs = group.attributes or {}
    return (int(attrs.get("roster_start", settings["default_roster_start"])),
            int(attrs.get("roster_end", settings["default_roster_end"])))


def outside_roster(local: dt.datetime, hours: tuple[int, int]) -> bool:
    """Whether a local time falls outside the rostered hours [start, end)."""
    start, end = hours
    return not (start <= local.hour < end)


def _ref(event_id: int) -> str:
    return f"违章{event_id}"


def _violation_case(event: Event) -> dict:
    zh = VIOLATIONS.get(event.payload.get("violation"), ("?", "?"))[0]
    mode = "暗查" if event.payload.get("mode") == "covert" else "明查"
    return {"place_id": event.place_id, "description": f"{mode}发现：{zh}。{event.payload.get('note', '')}".strip(),
            "source_ref": _ref(event.id), "note": f"violation event {event.id}"}


def open_cases() -> list[int]:
    """A case for every standing violation event without one (idempotent: the case remembers
    its event in ``source_ref``; see :func:`gridgov.operations.event_cases.open_cases_for_events`);
    returns the new cases' ids."""
    return open_cases_for_events(VIOLATION, _violation_case, category=CATEGORY)
